//! Coding of one row from its change list: 1-D (MH), 2-D (MR/MMR) and uncompressed mode.

use crate::bits::BitWriter;
use crate::tables::{run_codes, Code, HORIZONTAL, PASS, VERTICAL};

#[inline(always)]
fn put(w: &mut BitWriter, c: Code) {
    w.put(u32::from(c.bits), u32::from(c.len));
}

#[inline(always)]
fn put_run(w: &mut BitWriter, run: u32, black: bool) {
    run_codes(run, black, |c| put(w, c));
}

/// Codes a row in 1-D (MH). `changes` must be a valid change list for `columns`.
pub(crate) fn encode_1d(w: &mut BitWriter, changes: &[u32], columns: u32) {
    let mut a0 = 0;
    let mut black = false;
    for &c in changes {
        put_run(w, c - a0, black);
        a0 = c;
        black = !black;
    }
    put_run(w, columns - a0, black);
}

/// Codes a row in 2-D against `reference`. Both lists are followed by sentinel copies of
/// `columns` (two for `current`, three for `reference`).
///
/// The mode choice is T.4's (pass if b2 < a1, vertical if |a1 - b1| <= 3, else horizontal),
/// which makes the output identical to libtiff's and every other conforming encoder's.
pub(crate) fn encode_2d(w: &mut BitWriter, current: &[u32], reference: &[u32], columns: u32) {
    let cur = |i: usize| current.get(i).copied().unwrap_or(columns);
    let refe = |j: usize| reference.get(j).copied().unwrap_or(columns);
    let mut a0 = 0u32;
    let mut start = true;
    let mut black = false;
    let mut i = 0usize;
    let mut j = 0usize;
    loop {
        let a1 = cur(i);
        let threshold = if start { 0 } else { a0 + 1 };
        while refe(j) < threshold {
            j += 1;
        }
        if ((j & 1) == 1) != black {
            j += 1;
        }
        let b1 = refe(j);
        let b2 = refe(j + 1);
        if b2 < a1 {
            put(w, PASS);
            a0 = b2;
        } else {
            // |a1 - b1| <= 3 picks VERTICAL[a1 - b1 + 3].
            let vertical = usize::try_from(i64::from(a1) - i64::from(b1) + 3)
                .ok()
                .and_then(|i| VERTICAL.get(i));
            if let Some(&code) = vertical {
                put(w, code);
                a0 = a1;
                black = !black;
                i += 1;
                j = j.saturating_sub(1);
            } else {
                let a2 = cur(i + 1);
                put(w, HORIZONTAL);
                put_run(w, a1 - a0, black);
                put_run(w, a2 - a1, !black);
                a0 = a2;
                i += 2;
            }
        }
        start = false;
        if a0 >= columns {
            return;
        }
    }
}

/// Codes the pels of a row in uncompressed mode (after the caller wrote the entry code),
/// ending with the exit code. Returns the number of bits written; with `w` = `None` it only
/// counts.
pub(crate) fn encode_uncompressed(
    mut w: Option<&mut BitWriter>,
    changes: &[u32],
    columns: u32,
) -> u64 {
    let mut bits = 0u64;
    let mut emit = |code: u32, len: u32| {
        bits += u64::from(len);
        if let Some(w) = w.as_deref_mut() {
            w.put(code, len);
        }
    };
    let mut whites = 0u32; // pending white pels, < 5
    let mut pos = 0u32;
    let mut k = 0usize;
    while pos < columns {
        let black = k & 1 == 1;
        let end = changes.get(k).copied().unwrap_or(columns);
        let n = end - pos;
        if black {
            // `0^whites 1` for the first black pel, then `1` for each further one.
            emit(1, whites + 1);
            whites = 0;
            for _ in 1..n {
                emit(1, 1);
            }
        } else {
            whites += n;
            while whites >= 5 {
                emit(0b000001, 6);
                whites -= 5;
            }
        }
        pos = end;
        k += 1;
    }
    // Exit: 6 + whites zeros, a 1, and the tag bit T (next colour white).
    emit(0, 6 + whites);
    emit(0b10, 2);
    bits
}
