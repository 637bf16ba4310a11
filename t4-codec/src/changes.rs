//! Rows as change lists, and conversion to and from packed rows.
//!
//! A change list holds, in order, the positions where the colour changes, starting from
//! white at position 0: `[]` is an all-white row, `[0]` all black, `[3, 5]` white 0..3,
//! black 3..5, white to the end. Positions are below `columns`. This is what 2-D coding works
//! on, so decoding, encoding and transcoding never need a bitmap.
//!
//! Lists made from pels are strictly increasing. Lists from the decoder are the run
//! boundaries as coded and may repeat a position where the coder wrote a zero-length run:
//! such a pair draws nothing, but as a reference line it steers 2-D decoding the way the
//! coder (and libtiff) saw it. Everything here accepts both.

use alloc::vec::Vec;

/// Checks that `changes` is a valid change list for a row of `columns` pels: non-decreasing
/// and below `columns`.
pub fn is_valid_change_list(changes: &[u32], columns: u32) -> bool {
    changes.windows(2).all(|w| w[0] <= w[1]) && changes.last().is_none_or(|&l| l < columns)
}

/// Appends the pels-only form of a valid change list to `out`: repeated positions (zero-length
/// runs) cancel in pairs, leaving a strictly increasing list of the same pels.
pub(crate) fn extend_canonical(out: &mut Vec<u32>, changes: &[u32]) {
    let base = out.len();
    for &c in changes {
        if out.len() > base && out.last() == Some(&c) {
            out.pop();
        } else {
            out.push(c);
        }
    }
}

/// Writes a change list as a packed row: `ceil(columns / 8)` bytes, first pel in the most
/// significant bit, black as 1 if `black_is_1`. Padding bits after `columns` are 0.
///
/// # Panics
/// If `out` is shorter than `ceil(columns / 8)` bytes. Change positions at or above
/// `columns` are ignored.
pub fn changes_to_packed(changes: &[u32], columns: u32, black_is_1: bool, out: &mut [u8]) {
    if changes.iter().all(|&c| c < columns) {
        fill::<false>(changes, columns, black_is_1, out);
    } else {
        fill::<true>(changes, columns, black_is_1, out);
    }
}

/// [`changes_to_packed`] for a list with every position below `columns` (the decoder's own
/// rows).
pub(crate) fn fill_valid(changes: &[u32], columns: u32, black_is_1: bool, out: &mut [u8]) {
    fill::<false>(changes, columns, black_is_1, out);
}

/// The filler; `CLAMP` limits positions to `columns` (not needed when all are below it).
#[inline(always)]
fn fill<const CLAMP: bool>(changes: &[u32], columns: u32, black_is_1: bool, out: &mut [u8]) {
    let at = |c: u32| if CLAMP { c.min(columns) } else { c } as usize;
    let nbytes = (columns as usize).div_ceil(8);
    let out = &mut out[..nbytes];
    out.fill(0);
    let mut pairs = changes.chunks_exact(2);
    for pair in &mut pairs {
        set_span(out, at(pair[0]), at(pair[1]));
    }
    if let [start] = pairs.remainder() {
        set_span(out, at(*start), columns as usize);
    }
    if !black_is_1 {
        for b in out.iter_mut() {
            *b = !*b;
        }
        let tail = columns % 8;
        if tail != 0 {
            if let Some(last) = out.last_mut() {
                *last &= 0xFFu8 << (8 - tail);
            }
        }
    }
}

/// Sets bits `[start, end)` of a packed row (nothing if `start >= end`; `end` at most the
/// row's pels).
///
/// Spans are ORed into the row's aligned 64-bit words. Aligned words matter: consecutive
/// spans usually touch the same word, and a load that exactly matches the store before it
/// is forwarded from it, while one that partly overlaps it (unaligned windows) waits for the
/// store to reach the cache, which made this the slowest part of decoding to a bitmap.
#[inline(always)]
fn set_span(out: &mut [u8], start: usize, end: usize) {
    if start >= end {
        return;
    }
    let k = start / 64;
    let shift = start % 64;
    let last = (end - 1) / 64;
    if last == k {
        // `n` ones from bit `shift` (1 <= n <= 64 - shift).
        let n = end - start;
        if or_word(out, k, (u64::MAX << (64 - n)) >> shift) {
            return;
        }
    } else if last == k + 1 && out.len() >= 8 * (k + 2) {
        // Bits of the second word before `end`: 1 to 64 of them.
        let r = end - 64 * last;
        or_word(out, k, u64::MAX >> shift);
        or_word(out, last, u64::MAX << (64 - r));
        return;
    }
    set_span_bytes(out, start, end);
}

/// ORs `mask` (first pel in the most significant bit) into the `k`-th 64-bit word of `out`;
/// false if the row has no whole word there (its tail).
#[inline(always)]
fn or_word(out: &mut [u8], k: usize, mask: u64) -> bool {
    match out.get_mut(8 * k..8 * k + 8) {
        Some(window) => {
            let mut b = [0u8; 8];
            b.copy_from_slice(window);
            let word = u64::from_ne_bytes(b) | mask.to_be();
            window.copy_from_slice(&word.to_ne_bytes());
            true
        }
        None => false,
    }
}

/// [`set_span`] byte by byte: long spans and the row's last, partial word.
fn set_span_bytes(out: &mut [u8], start: usize, end: usize) {
    let sb = start / 8;
    let eb = end / 8;
    let head = 0xFFu8 >> (start % 8);
    // Bits of byte `eb` before `end`; zero when `end` is on a byte boundary.
    let tail = !(0xFFu8 >> (end % 8));
    if sb == eb {
        out[sb] |= head & tail;
    } else {
        out[sb] |= head;
        out[sb + 1..eb].fill(0xFF);
        if tail != 0 {
            out[eb] |= tail;
        }
    }
}

/// Reads a packed row (first pel in the most significant bit, black as 1 if `black_is_1`)
/// into a change list, replacing its contents. Bits after `columns` are ignored.
///
/// # Panics
/// If `row` is shorter than `ceil(columns / 8)` bytes.
pub fn packed_to_changes(row: &[u8], columns: u32, black_is_1: bool, out: &mut Vec<u32>) {
    out.clear();
    let nbytes = (columns as usize).div_ceil(8);
    let row = &row[..nbytes];
    let invert = if black_is_1 { 0u64 } else { u64::MAX };
    let mut prev_black = 0u64; // colour of the pel before the current word, in bit 63
    let mut base = 0u32;
    let mut chunks = row.chunks_exact(8);
    for chunk in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        let x = u64::from_be_bytes(b) ^ invert;
        push_word_changes(x, prev_black, base, columns, out);
        prev_black = x << 63;
        base += 64;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        b[..rest.len()].copy_from_slice(rest);
        let x = u64::from_be_bytes(b) ^ invert;
        push_word_changes(x, prev_black, base, columns, out);
    }
}

#[inline(always)]
fn push_word_changes(x: u64, prev_black: u64, base: u32, columns: u32, out: &mut Vec<u32>) {
    let mut t = x ^ ((x >> 1) | prev_black);
    // Changes at or past `columns` (in the padding) are not changes of the row.
    if columns - base < 64 {
        t &= !(u64::MAX >> (columns - base));
    }
    while t != 0 {
        let lz = t.leading_zeros();
        out.push(base + lz);
        t ^= (1u64 << 63) >> lz;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn packs_and_unpacks() {
        let cases: &[(&[u32], u32, &[u8])] = &[
            (&[], 10, &[0x00, 0x00]),
            (&[0], 10, &[0xFF, 0xC0]),
            (&[3, 5], 8, &[0b0001_1000]),
            (&[7, 9], 12, &[0b0000_0001, 0b1000_0000]),
            (&[1, 2, 70], 72, &[0x40, 0, 0, 0, 0, 0, 0, 0, 0x03]),
        ];
        for &(changes, columns, packed) in cases {
            let mut out = vec![0xAAu8; packed.len()];
            changes_to_packed(changes, columns, true, &mut out);
            assert_eq!(out, packed, "{changes:?}");
            let mut back = Vec::new();
            packed_to_changes(packed, columns, true, &mut back);
            assert_eq!(back, changes);
            // Inverted polarity gives the same changes.
            let inverted: Vec<u8> = packed.iter().map(|b| !b).collect();
            packed_to_changes(&inverted, columns, false, &mut back);
            assert_eq!(back, changes);
        }
    }

    #[test]
    fn padding_is_ignored_and_cleared() {
        let mut back = Vec::new();
        packed_to_changes(&[0b1110_0111], 3, true, &mut back);
        assert_eq!(back, [0]);
        let mut out = [0u8; 1];
        changes_to_packed(&[], 3, false, &mut out);
        assert_eq!(out, [0b1110_0000]);
    }

    #[test]
    fn positions_past_the_row_are_ignored() {
        let mut out = [0xAAu8; 2];
        changes_to_packed(&[3, 12], 10, true, &mut out);
        assert_eq!(out, [0b0001_1111, 0b1100_0000]);
        changes_to_packed(&[12, 3], 10, true, &mut out);
        assert_eq!(out, [0, 0]);
        // Long spans take the byte-run path, short ones the word path.
        let mut long = [0u8; 10];
        changes_to_packed(&[1, 70, 71, 72], 80, true, &mut long);
        assert_eq!(
            long,
            [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFD, 0]
        );
    }

    #[test]
    fn validity_of_change_lists() {
        assert!(is_valid_change_list(&[0, 6], 10));
        assert!(is_valid_change_list(&[3, 3], 10));
        assert!(!is_valid_change_list(&[4, 3], 10));
        assert!(!is_valid_change_list(&[10], 10));
    }

    #[test]
    fn zero_length_runs_cancel_and_draw_nothing() {
        let mut v = vec![9];
        extend_canonical(&mut v, &[0, 0, 2, 5, 5, 5, 7]);
        assert_eq!(v, [9, 2, 5, 7]);
        let mut a = [0u8; 1];
        let mut b = [0u8; 1];
        changes_to_packed(&[0, 0, 2, 5, 5, 5, 7], 8, true, &mut a);
        changes_to_packed(&[2, 5, 7], 8, true, &mut b);
        assert_eq!(a, b);
    }
}
