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

/// Records a run boundary at `pos` (boundaries at the row end are implied, not stored).
#[inline(always)]
fn boundary(out: &mut Vec<u32>, pos: u32, columns: u32) {
    if pos < columns {
        out.push(pos);
    }
}

/// The colour of the next run: black after an odd number of boundaries.
#[inline(always)]
fn next_is_black(out: &[u32]) -> bool {
    out.len() & 1 == 1
}

/// After uncompressed mode, makes the list's colour agree with the exit code's tag bit.
fn set_colour(out: &mut Vec<u32>, a0: u32, black: bool, columns: u32) {
    if next_is_black(out) != black {
        boundary(out, a0, columns);
    }
}

/// Decodes a 1-D (MH) row.
///
/// Every run ends in a boundary, zero-length runs included (a row that starts black begins
/// with white 0), except that a white-0 black-0 pair is dropped, as libtiff does; the list is
/// then exactly libtiff's run array, which matters when it is the reference of a 2-D row.
pub(crate) fn decode_1d(
    r: &mut BitReader<'_>,
    columns: u32,
    out: &mut Vec<u32>,
) -> Result<(), RowError> {
    out.clear();
    let mut a0 = 0u32;
    let mut white_run = u32::MAX;
    loop {
        let black = next_is_black(out);
        match decode_run(r, black, columns)? {
            Run::Length(run) => {
                let end = a0
                    .checked_add(run)
                    .filter(|&e| e <= columns)
                    .ok_or(RowError::TooLong)?;
                boundary(out, end, columns);
                a0 = end;
                if !black {
                    white_run = run;
                } else if run == 0 && white_run == 0 && a0 < columns {
                    out.truncate(out.len() - 2);
                }
            }
            Run::Uncompressed => {
                let (end, next_black) = decode_uncompressed(r, columns, a0, out)?;
                a0 = end;
                set_colour(out, a0, next_black, columns);
                white_run = u32::MAX;
            }
        }
        if a0 == columns {
            return Ok(());
        }
    }
}

/// Decodes a 2-D (MR or MMR) row against `reference`, a change list followed by at least
/// [`SENTINELS`] copies of `columns`.
///
/// b1 is tracked as libtiff does, so that reference lines holding zero-length runs (which
/// some encoders write, e.g. horizontal mode with runs 0 and 0) are read the way those
/// encoders and libtiff read them: b1 steps by one change after a vertical code, by two after
/// pass mode, and is moved on in pairs past a0 before each code, except while the row has no
/// boundary yet.
pub(crate) fn decode_2d(
    r: &mut BitReader<'_>,
    reference: &[u32],
    columns: u32,
    out: &mut Vec<u32>,
) -> Result<(), RowError> {
    debug_assert!(reference.len() >= SENTINELS);
    out.clear();
    // Index -1 is the start of the row (position 0), reached by a VL code at the first change.
    let at = |j: isize| match usize::try_from(j) {
        Ok(j) => reference.get(j).copied().unwrap_or(columns),
        Err(_) => 0,
    };
    let mut a0 = 0u32;
    let mut j: isize = 0;
    while a0 < columns {
        if !out.is_empty() {
            while at(j) <= a0 && at(j) < columns {
                j += 2;
            }
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
                boundary(out, a1, columns);
                a0 = a1;
                j += if delta < 0 { -1 } else { 1 };
            }
            Mode::Pass => {
                r.consume(u32::from(len));
                let b2 = at(j + 1);
                if b2 < a0 {
                    return Err(RowError::InvalidCode);
                }
                a0 = b2;
                j += 2;
            }
            Mode::Horizontal => {
                r.consume(u32::from(len));
                let black = next_is_black(out);
                let mut pos = a0;
                for colour in [black, !black] {
                    match decode_run(r, colour, columns)? {
                        Run::Length(run) => {
                            pos = pos
                                .checked_add(run)
                                .filter(|&e| e <= columns)
                                .ok_or(RowError::TooLong)?;
                        }
                        Run::Uncompressed => return Err(RowError::InvalidCode),
                    }
                    boundary(out, pos, columns);
                }
                a0 = pos;
            }
            Mode::Extension => {
                if r.peek(10) != 0b0000001111 {
                    return Err(RowError::InvalidCode);
                }
                r.consume(10);
                let (end, next_black) = decode_uncompressed(r, columns, a0, out)?;
                a0 = end;
                set_colour(out, a0, next_black, columns);
                // Rare: find b1 afresh, at the first change of the right colour past a0.
                j = isize::from(next_is_black(out));
                while at(j) <= a0 && at(j) < columns {
                    j += 2;
                }
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
