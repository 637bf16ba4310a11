//! Decoding of one coded row into a change list: 1-D (MH), 2-D (MR/MMR) and uncompressed mode.
//!
//! These functions see a bit reader positioned at the first code of the row and stop after
//! its last code. They never look at EOLs except to report one found where a code should be;
//! the row framing (EOLs, tag bits, alignment, RTC/EOFB) is the [`Decoder`](crate::Decoder)'s.
//! Every position is checked against `columns` before it enters the change list, so a row
//! never holds more than `columns` changes and nothing is indexed out of bounds.

use crate::bits::BitReader;
use crate::changes::paint;
use crate::tables::{
    Mode, BLACK_PEEK, BLACK_TABLE, MODE_PEEK, MODE_TABLE, RUN_EOL, RUN_UNCOMPRESSED, WHITE_PEEK,
    WHITE_TABLE,
};
use alloc::vec::Vec;

/// Why a row could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowError {
    /// No valid code at this point.
    InvalidCode,
    /// An EOL where a code was expected (the row is short). The EOL is not consumed.
    PrematureEol,
    /// The runs go past `columns`.
    TooLong,
}

/// Number of sentinel entries (`columns`) after a reference change list.
pub(crate) const SENTINELS: usize = 3;

/// What one run code decoded to.
enum Run {
    /// A complete run (make-up codes plus terminating code).
    Length(u32),
    /// The uncompressed-mode entry code was read.
    Uncompressed,
}

/// Decodes the make-up and terminating codes of one run of the given colour.
#[inline(always)]
fn decode_run(r: &mut BitReader<'_>, black: bool, columns: u32) -> Result<Run, RowError> {
    let mut run = 0u32;
    loop {
        r.refill();
        let e = if black {
            BLACK_TABLE[r.peek(BLACK_PEEK) as usize]
        } else {
            WHITE_TABLE[r.peek(WHITE_PEEK) as usize]
        };
        let len = u32::from(e >> 12);
        let value = e & 0xFFF;
        if len == 0 {
            return Err(RowError::InvalidCode);
        }
        if value == RUN_EOL {
            return Err(RowError::PrematureEol);
        }
        r.consume(len);
        if value == RUN_UNCOMPRESSED {
            return if run == 0 {
                Ok(Run::Uncompressed)
            } else {
                Err(RowError::InvalidCode)
            };
        }
        run += u32::from(value);
        if value < 64 {
            return Ok(Run::Length(run));
        }
        if run > columns {
            return Err(RowError::TooLong);
        }
    }
}

/// Decodes a 1-D (MH) row.
pub(crate) fn decode_1d(
    r: &mut BitReader<'_>,
    columns: u32,
    out: &mut Vec<u32>,
) -> Result<(), RowError> {
    out.clear();
    let mut a0 = 0u32;
    let mut black = false;
    loop {
        match decode_run(r, black, columns)? {
            Run::Length(run) => {
                let end = a0
                    .checked_add(run)
                    .filter(|&e| e <= columns)
                    .ok_or(RowError::TooLong)?;
                paint(out, a0, end, black);
                a0 = end;
                black = !black;
            }
            Run::Uncompressed => {
                let (end, next_black) = decode_uncompressed(r, columns, a0, out)?;
                a0 = end;
                black = next_black;
            }
        }
        if a0 == columns {
            return Ok(());
        }
    }
}

/// Decodes a 2-D (MR or MMR) row against `reference`, a change list followed by at least
/// [`SENTINELS`] copies of `columns`.
pub(crate) fn decode_2d(
    r: &mut BitReader<'_>,
    reference: &[u32],
    columns: u32,
    out: &mut Vec<u32>,
) -> Result<(), RowError> {
    debug_assert!(reference.len() >= SENTINELS);
    out.clear();
    let at = |j: usize| reference.get(j).copied().unwrap_or(columns);
    let mut a0 = 0u32;
    let mut start = true;
    let mut black = false;
    let mut j = 0usize;
    while a0 < columns {
        // b1: the first change on the reference line right of a0 to the colour opposite
        // a0's; even indexes are changes to black.
        let threshold = if start { 0 } else { a0 + 1 };
        while at(j) < threshold {
            j += 1;
        }
        if ((j & 1) == 1) != black {
            j += 1;
        }
        let b1 = at(j);
        r.refill();
        let (mode, len) = MODE_TABLE[r.peek(MODE_PEEK) as usize];
        match mode {
            Mode::Vertical(delta) => {
                r.consume(u32::from(len));
                let a1 = b1
                    .checked_add_signed(i32::from(delta))
                    .filter(|&a1| a1 >= a0 && a1 <= columns)
                    .ok_or(RowError::TooLong)?;
                paint(out, a0, a1, black);
                a0 = a1;
                black = !black;
                // The next b1 may be the change just before this one.
                j = j.saturating_sub(1);
            }
            Mode::Pass => {
                r.consume(u32::from(len));
                let b2 = at(j + 1);
                paint(out, a0, b2, black);
                a0 = b2;
            }
            Mode::Horizontal => {
                r.consume(u32::from(len));
                let mut ends = [0u32; 2];
                let mut pos = a0;
                for (i, end) in ends.iter_mut().enumerate() {
                    let colour = black ^ (i == 1);
                    match decode_run(r, colour, columns)? {
                        Run::Length(run) => {
                            pos = pos
                                .checked_add(run)
                                .filter(|&e| e <= columns)
                                .ok_or(RowError::TooLong)?;
                        }
                        Run::Uncompressed => return Err(RowError::InvalidCode),
                    }
                    *end = pos;
                }
                paint(out, a0, ends[0], black);
                paint(out, ends[0], ends[1], !black);
                a0 = ends[1];
            }
            Mode::Extension => {
                if r.peek(10) != 0b0000001111 {
                    return Err(RowError::InvalidCode);
                }
                r.consume(10);
                let (end, next_black) = decode_uncompressed(r, columns, a0, out)?;
                a0 = end;
                black = next_black;
                // Rare: look for b1 from the start again.
                j = 0;
            }
            Mode::Zeros => {
                return Err(if r.peek(12) == 1 {
                    RowError::PrematureEol
                } else {
                    RowError::InvalidCode
                })
            }
            Mode::Invalid => return Err(RowError::InvalidCode),
        }
        start = false;
    }
    Ok(())
}

/// Decodes uncompressed-mode codes (T.4 Annex B, T.6 Table 3) from `a0` until the exit code,
/// or until the row is complete and no exit code follows. Returns the new `a0` and the colour
/// of the next run (the exit code's tag bit).
///
/// The codes are the pels themselves with a 1 stuffed after every five 0s: `0^n 1` for
/// `n` < 5 is `n` white pels and one black pel, `000001` is five white pels, and `0^(6+n) 1 T`
/// leaves uncompressed mode after `n` (< 5) more white pels, `T` giving the next colour.
fn decode_uncompressed(
    r: &mut BitReader<'_>,
    columns: u32,
    mut a0: u32,
    out: &mut Vec<u32>,
) -> Result<(u32, bool), RowError> {
    loop {
        r.refill();
        let zeros = r.window().leading_zeros().min(12);
        if a0 == columns && !(6..=10).contains(&zeros) {
            if r.more_may_follow(12) {
                // Whether an exit code follows is not known yet; the decoder waits.
                return Err(RowError::InvalidCode);
            }
            // The row is complete; tolerate a missing exit code.
            return Ok((a0, false));
        }
        match zeros {
            0..=4 => {
                let end = a0 + zeros + 1;
                if end > columns {
                    return Err(RowError::TooLong);
                }
                paint(out, a0, a0 + zeros, false);
                paint(out, a0 + zeros, end, true);
                a0 = end;
                r.consume(zeros + 1);
            }
            5 => {
                if a0 + 5 > columns {
                    return Err(RowError::TooLong);
                }
                paint(out, a0, a0 + 5, false);
                a0 += 5;
                r.consume(6);
            }
            6..=10 => {
                let whites = zeros - 6;
                if a0 + whites > columns {
                    return Err(RowError::TooLong);
                }
                paint(out, a0, a0 + whites, false);
                a0 += whites;
                r.consume(zeros + 1);
                let next_black = r.bit();
                return Ok((a0, next_black));
            }
            _ => return Err(RowError::InvalidCode),
        }
    }
}
