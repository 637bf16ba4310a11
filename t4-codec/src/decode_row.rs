//! Decoding of one coded row into a change list: 1-D (MH), 2-D (MR/MMR) and uncompressed mode.
//!
//! These functions see a bit reader positioned at the first code of the row and stop after
//! its last code. They never look at EOLs except to report one found where a code should be;
//! the row framing (EOLs, tag bits, alignment, RTC/EOFB) is the [`Decoder`](crate::Decoder)'s.
//!
//! Rows are written into a caller's buffer of [`row_capacity`] entries; every position is
//! checked against `columns` and every write against the buffer before it happens, so nothing
//! is indexed out of bounds and a stream of zero-length runs cannot grow a row without end.
//! The hot loops work on a local copy of the bit reader, which the compiler keeps in
//! registers.

use crate::bits::BitReader;
use crate::tables::{
    RunEntry, BLACK_PAIR_TABLE, BLACK_PEEK, BLACK_TABLE, MODE_EXTENSION, MODE_HORIZONTAL,
    MODE_PASS, MODE_PEEK, MODE_TABLE, MODE_VERTICAL_MAX, MODE_ZEROS, PAIR_PEEK, PAIR_TABLE,
    RUN_EOL, RUN_UNCOMPRESSED, WHITE_PEEK, WHITE_TABLE,
};

/// Why a row could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowError {
    /// No valid code at this point.
    InvalidCode,
    /// An EOL where a code was expected (the row is short). The EOL is not consumed.
    PrematureEol,
    /// The runs go past `columns`, or the row has more boundaries than a row can.
    TooLong,
}

/// Number of sentinel entries (`columns`) after a reference change list.
pub(crate) const SENTINELS: usize = 3;

/// Entries a row buffer needs: entry 0 is always 0 (the start of the row, which 2-D decoding
/// can step back to), then the changes: at most `columns` real ones, and zero-length runs
/// (kept as coded, see `decode_2d`) may add as many again; more is malformed data. Then the
/// sentinels.
pub(crate) fn row_capacity(columns: u32) -> usize {
    1 + 2 * columns as usize + 8 + SENTINELS
}

/// A change list under construction in a fixed buffer, from index 1 (see [`row_capacity`]).
struct Row<'o> {
    /// The buffer without the room for the sentinels the decoder appends.
    out: &'o mut [u32],
    len: usize,
}

impl<'o> Row<'o> {
    /// A row in `buffer`, leaving room for the sentinels.
    fn new(buffer: &'o mut [u32]) -> Self {
        let room = buffer.len().saturating_sub(SENTINELS);
        Row {
            out: &mut buffer[..room],
            len: 0,
        }
    }

    /// Moves the row out, leaving an empty one.
    fn take(&mut self) -> Row<'o> {
        core::mem::replace(
            self,
            Row {
                out: &mut [],
                len: 0,
            },
        )
    }

    /// Records a run boundary at `pos` (boundaries at the row end are implied, not stored).
    #[inline(always)]
    fn boundary(&mut self, pos: u32, columns: u32) -> Result<(), RowError> {
        if pos < columns {
            *self.out.get_mut(self.len + 1).ok_or(RowError::TooLong)? = pos;
            self.len += 1;
        }
        Ok(())
    }

    /// Records the boundaries of two runs that end before `columns`; false if the row
    /// has no room (the caller then takes the run-by-run path, which reports it).
    #[inline(always)]
    fn two_boundaries(&mut self, first: u32, second: u32) -> bool {
        match self.out.get_mut(self.len + 1..self.len + 3) {
            Some(slots) => {
                slots[0] = first;
                slots[1] = second;
                self.len += 2;
                true
            }
            None => false,
        }
    }

    /// The colour of the next run: black after an odd number of boundaries.
    #[inline(always)]
    fn next_is_black(&self) -> bool {
        self.len & 1 == 1
    }

    /// Appends the span `[from, to)` of colour `black` (uncompressed mode, pel by pel).
    fn paint(&mut self, from: u32, to: u32, black: bool, columns: u32) -> Result<(), RowError> {
        if to > from && self.next_is_black() != black {
            self.boundary(from, columns)?;
        }
        Ok(())
    }
}

/// What [`decode_run`] returns for the uncompressed-mode entry code instead of a length (a
/// plain integer keeps the hot loop free of enum packing).
const ENTER_UNCOMPRESSED: u32 = u32::MAX;

/// The run table entry for the code at the reader's position, in the colour's table.
#[inline(always)]
fn next_run_entry(r: &mut BitReader<'_>, black: bool) -> RunEntry {
    r.ensure(BLACK_PEEK);
    if black {
        BLACK_TABLE[r.peek(BLACK_PEEK) as usize]
    } else {
        WHITE_TABLE[r.peek(WHITE_PEEK) as usize]
    }
}

/// Decodes the make-up and terminating codes of one run of the given colour: its length, or
/// [`ENTER_UNCOMPRESSED`].
#[inline(always)]
fn decode_run(r: &mut BitReader<'_>, black: bool, columns: u32) -> Result<u32, RowError> {
    let e = next_run_entry(r, black);
    let len = u32::from(e >> 12);
    let value = e & 0xFFF;
    if value < 64 && len != 0 {
        // The common case: a terminating code.
        r.consume(len);
        return Ok(u32::from(value));
    }
    if len != 0 && value < RUN_UNCOMPRESSED && u32::from(value) <= columns {
        // Next most common: one make-up code and a terminating code (white margins, blank
        // rows). This is exactly the slow path's first two steps.
        r.consume(len);
        let e = next_run_entry(r, black);
        let (len, term) = (u32::from(e >> 12), e & 0xFFF);
        if term < 64 && len != 0 {
            r.consume(len);
            return Ok(u32::from(value) + u32::from(term));
        }
        return run_slow(r, len, term, black, columns, u32::from(value));
    }
    run_slow(r, len, value, black, columns, 0)
}

/// Calls [`decode_run_slow`] with a copy of the reader: a reference to the hot loops' reader
/// would make the compiler keep it in memory rather than in registers.
#[inline(always)]
fn run_slow(
    r: &mut BitReader<'_>,
    len: u32,
    value: u16,
    black: bool,
    columns: u32,
    run: u32,
) -> Result<u32, RowError> {
    let (reader, result) = decode_run_slow(*r, len, value, black, columns, run);
    *r = reader;
    result
}

/// The rest of [`decode_run`]: make-up codes, EOLs, invalid codes, uncompressed entry. `run`
/// is the length of the make-up codes already taken.
#[inline(never)]
fn decode_run_slow<'a>(
    mut r: BitReader<'a>,
    len: u32,
    value: u16,
    black: bool,
    columns: u32,
    run: u32,
) -> (BitReader<'a>, Result<u32, RowError>) {
    let result = run_slow_steps(&mut r, len, value, black, columns, run);
    (r, result)
}

fn run_slow_steps(
    r: &mut BitReader<'_>,
    mut len: u32,
    mut value: u16,
    black: bool,
    columns: u32,
    mut run: u32,
) -> Result<u32, RowError> {
    loop {
        if len == 0 {
            return Err(RowError::InvalidCode);
        }
        if value == RUN_EOL {
            return Err(RowError::PrematureEol);
        }
        r.consume(len);
        if value == RUN_UNCOMPRESSED {
            return if run == 0 {
                Ok(ENTER_UNCOMPRESSED)
            } else {
                Err(RowError::InvalidCode)
            };
        }
        run += u32::from(value);
        if value < 64 {
            return Ok(run);
        }
        if run > columns {
            return Err(RowError::TooLong);
        }
        let e = next_run_entry(r, black);
        len = u32::from(e >> 12);
        value = e & 0xFFF;
    }
}

/// Decodes a 1-D (MH) row into `out`; returns the number of boundaries.
///
/// Every run ends in a boundary, zero-length runs included (a row that starts black begins
/// with white 0), except that a white-0 black-0 pair is dropped, as libtiff does; the list is
/// then exactly libtiff's run array, which matters when it is the reference of a 2-D row.
pub(crate) fn decode_1d(
    r: &mut BitReader<'_>,
    columns: u32,
    out: &mut [u32],
) -> Result<usize, RowError> {
    let mut br = *r;
    let mut row = Row::new(out);
    let result = decode_1d_runs(&mut br, columns, &mut row, r);
    *r = br;
    result.map(|()| row.len)
}

#[inline(always)]
fn decode_1d_runs<'a>(
    br: &mut BitReader<'a>,
    columns: u32,
    row: &mut Row<'_>,
    spill: &mut BitReader<'a>,
) -> Result<(), RowError> {
    let mut a0 = 0u32;
    let mut white_run = u32::MAX;
    loop {
        let black = row.next_is_black();
        if !black {
            // The common case: a white and a black terminating code in one lookup, with the
            // row going on after both (the row's end and everything unusual take the
            // run-by-run path below).
            br.ensure(BLACK_PEEK);
            let e = PAIR_TABLE[br.peek(PAIR_PEEK) as usize];
            let end = a0 + u32::from(e & 63) + u32::from((e >> 6) & 63);
            if e != 0 && end < columns && row.two_boundaries(a0 + u32::from(e & 63), end) {
                br.consume(u32::from(e >> 12));
                a0 = end;
                continue;
            }
        }
        let run = decode_run(br, black, columns)?;
        if run != ENTER_UNCOMPRESSED {
            let end = a0 + run;
            if end > columns {
                return Err(RowError::TooLong);
            }
            row.boundary(end, columns)?;
            a0 = end;
            if !black {
                white_run = run;
            } else if run == 0 && white_run == 0 && a0 < columns {
                row.len -= 2;
            }
        } else {
            *spill = *br;
            // The row goes by value (and comes back) so that the hot loops' row stays in
            // registers.
            let (back, result) = decode_uncompressed(spill, columns, a0, row.take());
            *row = back;
            // Keep the position even on error: the decoder judges errors by it.
            *br = *spill;
            a0 = result?;
            white_run = u32::MAX;
        }
        if a0 == columns {
            return Ok(());
        }
    }
}

/// Decodes a 2-D (MR or MMR) row against `reference` (laid out as [`row_capacity`] says: 0,
/// the changes, then at least [`SENTINELS`] copies of `columns`) into `out`; returns the
/// number of boundaries.
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
    out: &mut [u32],
) -> Result<usize, RowError> {
    debug_assert!(reference.len() > SENTINELS);
    let mut br = *r;
    let mut row = Row::new(out);
    let result = decode_2d_modes(&mut br, reference, columns, &mut row, r);
    *r = br;
    result.map(|()| row.len)
}

#[inline(always)]
fn decode_2d_modes<'a>(
    br: &mut BitReader<'a>,
    reference: &[u32],
    columns: u32,
    row: &mut Row<'_>,
    spill: &mut BitReader<'a>,
) -> Result<(), RowError> {
    // Past the sentinels every position reads as the row end.
    let at = |j: usize| reference.get(j).copied().unwrap_or(columns);
    let mut a0 = 0u32;
    // Index of b1; 1 is the first change (index 0, the row start, is reached by a VL code
    // at the first change). Odd indexes are changes to black.
    let mut j = 1usize;
    while a0 < columns {
        if row.len != 0 {
            // b1 is the first change past a0 of the right colour: step over pairs at or
            // before a0. Past the row end `at` reads `columns`, which is past a0. One step
            // is common and its need unpredictable, so it is taken without a branch; more
            // are rare.
            j += 2 * usize::from(at(j) <= a0);
            while at(j) <= a0 {
                j += 2;
            }
        }
        let b1 = at(j);
        // Enough for any mode code, the extension check and an EOL.
        br.ensure(13);
        let entry = MODE_TABLE[br.peek(MODE_PEEK) as usize];
        let kind = entry & 15;
        let len = u32::from(entry >> 4);
        if kind <= MODE_VERTICAL_MAX {
            br.consume(len);
            // a1 = b1 + kind - 3 must lie within [a0, columns]; one unsigned comparison
            // checks both ends (a1 below a0, or below 0, wraps to a large offset).
            let a1 = (b1 + u32::from(kind)).wrapping_sub(3);
            if a1.wrapping_sub(a0) > columns - a0 {
                return Err(RowError::TooLong);
            }
            row.boundary(a1, columns)?;
            a0 = a1;
            // b1 moves back one change after VL codes (not before the row start), else on.
            j = (j + 2 * usize::from(kind >= 3)).saturating_sub(1);
        } else if kind == MODE_HORIZONTAL {
            br.consume(len);
            let black = row.next_is_black();
            // Both runs in one lookup when they are short and the row goes on after them.
            br.ensure(BLACK_PEEK);
            let table = if black {
                &BLACK_PAIR_TABLE
            } else {
                &PAIR_TABLE
            };
            let e = table[br.peek(PAIR_PEEK) as usize];
            let mid = a0 + u32::from(e & 63);
            let end = mid + u32::from((e >> 6) & 63);
            if e != 0 && end < columns && row.two_boundaries(mid, end) {
                br.consume(u32::from(e >> 12));
                a0 = end;
                continue;
            }
            let mut pos = a0;
            for colour in [black, !black] {
                let run = decode_run(br, colour, columns)?;
                if run == ENTER_UNCOMPRESSED {
                    return Err(RowError::InvalidCode);
                }
                pos += run;
                if pos > columns {
                    return Err(RowError::TooLong);
                }
                row.boundary(pos, columns)?;
            }
            a0 = pos;
        } else if kind == MODE_PASS {
            br.consume(len);
            let b2 = at(j + 1);
            if b2 < a0 {
                return Err(RowError::InvalidCode);
            }
            a0 = b2;
            j += 2;
        } else if kind == MODE_EXTENSION {
            if br.peek(10) != 0b0000001111 {
                return Err(RowError::InvalidCode);
            }
            br.consume(10);
            *spill = *br;
            // The row goes by value (and comes back) so that the hot loops' row stays in
            // registers.
            let (back, result) = decode_uncompressed(spill, columns, a0, row.take());
            *row = back;
            // Keep the position even on error: the decoder judges errors by it.
            *br = *spill;
            a0 = result?;
            // Rare: find b1 afresh, at the first change of the right colour past a0.
            j = 1 + usize::from(row.next_is_black());
            while at(j) <= a0 && at(j) < columns {
                j += 2;
            }
        } else {
            debug_assert_eq!(kind, MODE_ZEROS);
            return Err(if br.peek(12) == 1 {
                RowError::PrematureEol
            } else {
                RowError::InvalidCode
            });
        }
    }
    Ok(())
}

/// Decodes uncompressed-mode codes (T.4 Annex B, T.6 Table 3) from `a0` until the exit code,
/// or until the row is complete and no exit code follows. Returns the new `a0`; the row's
/// colour afterwards is the exit code's tag bit (the colour of the next run).
///
/// The codes are the pels themselves with a 1 stuffed after every five 0s: `0^n 1` for
/// `n` < 5 is `n` white pels and one black pel, `000001` is five white pels, and `0^(6+n) 1 T`
/// leaves uncompressed mode after `n` (< 5) more white pels, `T` giving the next colour.
#[inline(never)]
fn decode_uncompressed<'o>(
    r: &mut BitReader<'_>,
    columns: u32,
    a0: u32,
    mut row: Row<'o>,
) -> (Row<'o>, Result<u32, RowError>) {
    let result = uncompressed_codes(r, columns, a0, &mut row);
    (row, result)
}

fn uncompressed_codes(
    r: &mut BitReader<'_>,
    columns: u32,
    mut a0: u32,
    row: &mut Row<'_>,
) -> Result<u32, RowError> {
    loop {
        r.refill();
        let zeros = r.window().leading_zeros().min(12);
        if a0 == columns && !(6..=10).contains(&zeros) {
            if r.more_may_follow(12) {
                // Whether an exit code follows is not known yet; the decoder waits.
                return Err(RowError::InvalidCode);
            }
            // The row is complete; tolerate a missing exit code.
            return Ok(a0);
        }
        match zeros {
            0..=4 => {
                let end = a0 + zeros + 1;
                if end > columns {
                    return Err(RowError::TooLong);
                }
                row.paint(a0, a0 + zeros, false, columns)?;
                row.paint(a0 + zeros, end, true, columns)?;
                a0 = end;
                r.consume(zeros + 1);
            }
            5 => {
                if a0 + 5 > columns {
                    return Err(RowError::TooLong);
                }
                row.paint(a0, a0 + 5, false, columns)?;
                a0 += 5;
                r.consume(6);
            }
            6..=10 => {
                let whites = zeros - 6;
                if a0 + whites > columns {
                    return Err(RowError::TooLong);
                }
                row.paint(a0, a0 + whites, false, columns)?;
                a0 += whites;
                r.consume(zeros + 1);
                let next_black = r.bit();
                if row.next_is_black() != next_black {
                    row.boundary(a0, columns)?;
                }
                return Ok(a0);
            }
            _ => return Err(RowError::InvalidCode),
        }
    }
}
