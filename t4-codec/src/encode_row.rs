//! Coding of one row from its change list: 1-D (MH), 2-D (MR/MMR) and uncompressed mode.

use crate::bits::BitWriter;
use crate::tables::{
    Code, BLACK_RUNS, EXT_MAKEUP, HORIZONTAL, PASS, RUN_TABLE_LEN, VERTICAL, WHITE_RUNS,
};

#[inline(always)]
fn put(w: &mut BitWriter, c: Code) {
    w.put(u32::from(c.bits), u32::from(c.len));
}

/// Writes the codes of one run: make-up 2560 while at least 2624 pels remain, then the
/// joined make-up and terminating code from one table entry.
#[inline(always)]
fn put_run(w: &mut BitWriter, mut run: u32, black: bool) {
    while run as usize >= RUN_TABLE_LEN {
        put(w, EXT_MAKEUP[12]);
        run -= 2560;
    }
    let table = if black { &BLACK_RUNS } else { &WHITE_RUNS };
    let e = table[run as usize];
    w.put(e >> 5, e & 31);
}

/// Codes a row in 1-D (MH). `changes` must be a valid change list for `columns`.
pub(crate) fn encode_1d(w: &mut BitWriter, changes: &[u32], columns: u32) {
    // Changes come in (to black, to white) pairs, so the colours need no tracking.
    let mut a0 = 0;
    let mut pairs = changes.chunks_exact(2);
    for pair in &mut pairs {
        put_run(w, pair[0] - a0, false);
        put_run(w, pair[1] - pair[0], true);
        a0 = pair[1];
    }
    match *pairs.remainder() {
        [c] => {
            put_run(w, c - a0, false);
            put_run(w, columns - c, true);
        }
        _ => put_run(w, columns - a0, false),
    }
}

/// Codes a row in 2-D against `reference`. Both lists are canonical change lists followed by
/// sentinel copies of `columns` (two for `current`, three for `reference`).
///
/// The mode choice is T.4's (pass if b2 < a1, vertical if |a1 - b1| <= 3, else horizontal),
/// which makes the output identical to libtiff's and every other conforming encoder's. b1 is
/// stepped as the decoder steps it (one change after a vertical code, two after pass mode,
/// pairs past a0), which on canonical lists finds exactly T.4's b1.
pub(crate) fn encode_2d(w: &mut BitWriter, current: &[u32], reference: &[u32], columns: u32) {
    let cur = |i: usize| current.get(i).copied().unwrap_or(columns);
    // Index 0 is the start of the row; index k is reference[k - 1]; odd indexes are changes
    // to black.
    let at = |j: usize| match j.checked_sub(1) {
        Some(k) => reference.get(k).copied().unwrap_or(columns),
        None => 0,
    };
    let mut a0 = 0u32;
    let mut started = false;
    let mut i = 0usize;
    let mut j = 1usize;
    loop {
        if started {
            loop {
                let b = at(j);
                if b > a0 || b >= columns {
                    break;
                }
                j += 2;
            }
        }
        let a1 = cur(i);
        let b1 = at(j);
        let b2 = at(j + 1);
        if b2 < a1 {
            put(w, PASS);
            a0 = b2;
            j += 2;
        } else {
            started = true;
            // |a1 - b1| <= 3 picks VERTICAL[a1 - b1 + 3].
            let vertical = usize::try_from(i64::from(a1) - i64::from(b1) + 3)
                .ok()
                .and_then(|v| VERTICAL.get(v));
            if let Some(&code) = vertical {
                put(w, code);
                a0 = a1;
                i += 1;
                if a1 < b1 {
                    j = j.saturating_sub(1);
                } else {
                    j += 1;
                }
            } else {
                let a2 = cur(i + 1);
                let black = i & 1 == 1;
                put(w, HORIZONTAL);
                put_run(w, a1 - a0, black);
                put_run(w, a2 - a1, !black);
                a0 = a2;
                i += 2;
            }
        }
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
