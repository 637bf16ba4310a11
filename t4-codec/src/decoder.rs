//! The streaming decoder: row framing (EOLs, tag bits, alignment, RTC/EOFB), damage handling
//! and the push interface.

use crate::bits::{reverse_bits_in_place, BitReader};
use crate::changes::fill_valid;
use crate::decode_row::{decode_1d, decode_2d, row_capacity, RowError, SENTINELS};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::limits::{Limit, Limits};
use crate::params::{Coding, FillOrder, Params};
use alloc::vec::Vec;

/// What a call to [`Decoder::update`] achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A row is ready: read it with [`Decoder::changes`] or [`Decoder::write_row`].
    Row(RowStatus),
    /// All input given so far is used up; give more with [`Decoder::update`], or call
    /// [`Decoder::end_input`] if there is none.
    NeedInput,
    /// The coded image is complete (RTC/EOFB, the expected rows, or the end of input).
    End,
}

/// How a delivered row was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowStatus {
    /// Decoded from intact codes.
    Good,
    /// The row's codes were damaged; it is a copy of the previous row (all white for the
    /// first), as spandsp and fax machines conceal bad rows. Counted in
    /// [`Decoder::bad_rows`].
    Concealed,
}

/// Most input taken into the internal buffer per call while rows are still waiting in it.
const CHUNK: usize = 64 * 1024;

/// A push decoder for T.4 / T.6 coded data.
///
/// Feed input in chunks of any size with [`update`](Self::update); each call takes some
/// input and reports at most one row. The rows, counts and errors are the same however the
/// input is split (rows are decoded only once all their bits are present).
///
/// ```
/// use t4_codec::{Decoder, Params, Progress, Coding};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Two all-white rows of 8 pels in MMR, then EOFB: V0 V0 EOL EOL.
/// let data = [0b1100_0000, 0b0000_0100, 0b0000_0000, 0b0100_0000];
/// let mut params = Params::new(Coding::Mmr, 8);
/// params.black_is_1 = true;
/// let mut dec = Decoder::new(params)?;
/// let mut input = &data[..];
/// let mut rows = Vec::new();
/// loop {
///     let (used, progress) = dec.update(input)?;
///     input = &input[used..];
///     match progress {
///         Progress::Row(_) => rows.push(dec.changes().to_vec()),
///         Progress::NeedInput => dec.end_input(),
///         Progress::End => break,
///     }
/// }
/// assert_eq!(rows, [vec![], vec![]]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Decoder {
    params: Params,
    limits: Limits,
    strict: bool,
    coding: Coding,
    /// Coded data not yet consumed (bit-reversed already for LSB-first input).
    buf: Vec<u8>,
    /// Bit position in `buf` of the next row's framing.
    bit: usize,
    /// Bits discarded from the front of `buf` so far (for error positions).
    dropped_bits: u64,
    /// No more input will come.
    input_done: bool,
    /// Do not try to decode until `buf` holds this many bytes (or input is done).
    retry_at: usize,
    /// The last delivered row as a reference line: 0, its `ref_len` changes, then
    /// `SENTINELS` copies of `columns`; [`row_capacity`] entries long.
    reference: Vec<u32>,
    ref_len: usize,
    /// Scratch for the row being decoded.
    current: Vec<u32>,
    rows: u32,
    bad_rows: u32,
    consecutive_bad: u32,
    max_consecutive_bad: u32,
    /// An EOL has been seen, so the data can be resynchronised after damage.
    has_eols: bool,
    /// After damage: skip to the next EOL before the next row.
    resync: bool,
    /// EOLs are announced (`end_of_line`): every row starts after the next EOL. Cleared if
    /// the whole input turns out to hold none.
    eol_sync: bool,
    state: State,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Running,
    Ended,
    Failed,
}

/// The outcome of trying to decode the next row from the buffer.
enum Step {
    Row(RowStatus),
    NeedMore,
    End,
}

impl Decoder {
    /// A decoder with the default [`Limits`], lenient about damaged rows.
    ///
    /// # Errors
    /// If the parameters are invalid or exceed the default limits.
    pub fn new(params: Params) -> Result<Decoder, DecodeError> {
        Decoder::with_limits(params, Limits::default())
    }

    /// A decoder with explicit limits.
    ///
    /// # Errors
    /// If the parameters are invalid or `columns` exceeds `limits.max_columns`. Nothing
    /// sized by the parameters is allocated before these checks.
    pub fn with_limits(params: Params, limits: Limits) -> Result<Decoder, DecodeError> {
        let fail = |kind| DecodeError {
            kind,
            rows: 0,
            bit: 0,
        };
        params
            .validate()
            .map_err(|e| fail(DecodeErrorKind::Params(e)))?;
        if params.columns > limits.max_columns {
            return Err(fail(DecodeErrorKind::Limit(Limit::Columns)));
        }
        let row_buffer = || -> Result<Vec<u32>, DecodeError> {
            let n = row_capacity(params.columns);
            let mut v = Vec::new();
            v.try_reserve_exact(n)
                .map_err(|_| fail(DecodeErrorKind::Limit(Limit::Columns)))?;
            v.resize(n, params.columns);
            v[0] = 0;
            Ok(v)
        };
        let reference = row_buffer()?;
        let current = row_buffer()?;
        let eol_sync = params.end_of_line;
        Ok(Decoder {
            coding: params.coding(),
            params,
            limits,
            strict: false,
            buf: Vec::new(),
            bit: 0,
            dropped_bits: 0,
            input_done: false,
            retry_at: 0,
            reference,
            ref_len: 0,
            current,
            rows: 0,
            bad_rows: 0,
            consecutive_bad: 0,
            max_consecutive_bad: 0,
            has_eols: false,
            resync: false,
            eol_sync,
            state: State::Running,
        })
    }

    /// Strict mode: a damaged row is an error once more than
    /// `Params::damaged_rows_before_error` rows were damaged (PDF semantics). The default,
    /// lenient mode conceals damaged rows and counts them, like libtiff's `BadFaxLines`.
    pub fn set_strict(&mut self, strict: bool) {
        self.strict = strict;
    }

    /// The parameters this decoder was made with.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Rows delivered so far.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Damaged (concealed) rows so far (TIFF `BadFaxLines`).
    pub fn bad_rows(&self) -> u32 {
        self.bad_rows
    }

    /// Longest run of consecutive damaged rows (TIFF `ConsecutiveBadFaxLines`).
    pub fn max_consecutive_bad_rows(&self) -> u32 {
        self.max_consecutive_bad
    }

    /// The change list of the last delivered row, as coded: it may repeat a position where
    /// the coder wrote a zero-length run (see [`crate::changes_to_packed`]'s module).
    pub fn changes(&self) -> &[u32] {
        &self.reference[1..=self.ref_len]
    }

    /// Writes the last delivered row as packed bits (`Params::row_bytes()` bytes, polarity
    /// from `Params::black_is_1`).
    ///
    /// # Panics
    /// If `out` is shorter than `Params::row_bytes()`.
    pub fn write_row(&self, out: &mut [u8]) {
        // The decoder's rows are valid change lists: positions below `columns`, in order.
        fill_valid(
            self.changes(),
            self.params.columns,
            self.params.black_is_1,
            out,
        );
    }

    /// Declares that no more input will come; the remaining rows are then delivered by
    /// [`update`](Self::update) (with empty input).
    pub fn end_input(&mut self) {
        self.input_done = true;
    }

    /// Takes input and decodes at most one row.
    ///
    /// Returns the number of bytes of `input` taken (the caller passes the rest next time)
    /// and what happened. Input after the end of the image is not taken.
    ///
    /// # Errors
    /// A [`DecodeError`] for invalid data that cannot be concealed, a limit exceeded, or data
    /// ending before the expected rows. After an error the decoder refuses further calls.
    pub fn update(&mut self, input: &[u8]) -> Result<(usize, Progress), DecodeError> {
        match self.state {
            State::Failed => return Err(self.error(DecodeErrorKind::Poisoned)),
            State::Ended => return Ok((0, Progress::End)),
            State::Running => {}
        }
        let mut taken = 0;
        loop {
            taken += self.take_input(&input[taken..])?;
            if !self.input_done && self.buf.len() < self.retry_at {
                return Ok((taken, Progress::NeedInput));
            }
            match self.step() {
                Ok(Step::Row(status)) => {
                    self.retry_at = 0;
                    return Ok((taken, Progress::Row(status)));
                }
                Ok(Step::NeedMore) => {
                    let pending = self.buf.len();
                    let limit = self
                        .limits
                        .max_buffered_bytes
                        .saturating_add(self.params.columns as usize * 4);
                    if pending > limit {
                        return Err(self.fail(DecodeErrorKind::Limit(Limit::BufferedBytes)));
                    }
                    // Retry only once the buffer has grown by half: linear work overall,
                    // however finely the input is split.
                    self.retry_at = pending + (pending / 2).max(16);
                    if taken == input.len() {
                        return Ok((taken, Progress::NeedInput));
                    }
                }
                Ok(Step::End) => {
                    self.state = State::Ended;
                    return Ok((taken, Progress::End));
                }
                Err(kind) => return Err(self.fail(kind)),
            }
        }
    }

    fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            kind,
            rows: self.rows,
            bit: self.dropped_bits + self.bit as u64,
        }
    }

    fn fail(&mut self, kind: DecodeErrorKind) -> DecodeError {
        self.state = State::Failed;
        self.error(kind)
    }

    /// Moves input into the buffer: everything while a row is incomplete, at most [`CHUNK`]
    /// while rows can still be decoded from what is buffered.
    fn take_input(&mut self, input: &[u8]) -> Result<usize, DecodeError> {
        // Drop whole 16-bit words only, so row alignment stays relative to the stream start.
        let consumed = self.bit / 16 * 2;
        if consumed > 0 && (consumed >= CHUNK || consumed * 2 >= self.buf.len()) {
            self.buf.drain(..consumed);
            self.retry_at = self.retry_at.saturating_sub(consumed);
            self.bit -= consumed * 8;
            self.dropped_bits += consumed as u64 * 8;
        }
        let pending = self.buf.len();
        let room = CHUNK
            .saturating_sub(pending)
            .max(self.retry_at.saturating_sub(pending));
        let n = room.min(input.len());
        if n > 0 {
            if self.input_done {
                return Err(
                    self.fail(DecodeErrorKind::Params(crate::ParamError::Unsupported(
                        "input given after end_input",
                    ))),
                );
            }
            let start = self.buf.len();
            self.buf.extend_from_slice(&input[..n]);
            if self.params.fill_order == FillOrder::LsbFirst {
                reverse_bits_in_place(&mut self.buf[start..]);
            }
        }
        Ok(n)
    }

    /// Tries to frame and decode the next row from the buffer.
    fn step(&mut self) -> Result<Step, DecodeErrorKind> {
        let p = &self.params;
        if p.rows > 0 && self.rows >= p.rows && !p.end_of_block {
            return Ok(Step::End);
        }
        if self.rows >= self.limits.max_rows {
            return Err(DecodeErrorKind::Limit(Limit::Rows));
        }
        let past_expected = p.rows > 0 && self.rows >= p.rows;
        let done = self.input_done;
        let data = &self.buf[..];
        let mut r = BitReader::new(data, self.bit);
        // A row (and its EOL, if any) starts at the boundary; TIFF-style fill that ends an
        // EOL on a boundary leaves at least 11 zeros after it, so EOLs are still found.
        if p.encoded_byte_align {
            r.align_to_byte();
        } else if p.encoded_word_align {
            r.align_to_word();
        }

        // Framing: optional fill and an EOL. With EOLs announced, or after damage, whatever
        // comes before the next EOL is skipped, as libtiff does: bits left over after a
        // complete row are not a row.
        let search = self.resync || self.eol_sync;
        let frame_start = r.position();
        let mut skipped_ones = false;
        let mut saw_eol = false;
        // Fast paths for the usual cases, decided on real bits only: an EOL right here, or
        // (when not searching) row data right here.
        r.ensure(13);
        let certain = r.remaining() >= 13;
        if certain && r.peek(12) == 1 {
            r.consume(12);
            saw_eol = true;
        }
        let row_here = certain && !search && r.peek(11) != 0;
        while !saw_eol && !row_here {
            let before = r.position();
            let zeros = r.skip_zeros(usize::MAX);
            if r.remaining() == 0 {
                if done && self.eol_sync && !self.has_eols && !self.resync && skipped_ones {
                    // EOLs were announced but the data has none at all (libtiff 4.7 retries
                    // such G3 data the same way): decode it as rows without EOLs.
                    self.eol_sync = false;
                    r = BitReader::new(data, frame_start);
                    break;
                }
                return self.at_end_of_data(done);
            }
            if zeros >= 11 {
                r.consume(1);
                saw_eol = true;
                break;
            }
            if !search {
                r = BitReader::new(data, before);
                break;
            }
            r.consume(1);
            skipped_ones = true;
        }
        let one_d = match self.coding {
            Coding::Mh => true,
            Coding::Mmr => false,
            Coding::Mr { .. } => {
                r.refill();
                if r.remaining() == 0 {
                    return self.at_end_of_data(done);
                }
                r.bit()
            }
        };
        r.ensure(13);
        let surely_not_eol = r.remaining() >= 11 && r.peek(11) != 0;
        if saw_eol && !surely_not_eol {
            // A second EOL right after this one is RTC (MH, MR) or EOFB (MMR).
            let after = r.position();
            let zeros = r.skip_zeros(usize::MAX);
            if r.remaining() == 0 {
                return self.at_end_of_data(done);
            }
            if zeros >= 11 {
                return Ok(Step::End);
            }
            r = BitReader::new(data, after);
        }

        r.set_complete(done);
        let result = if one_d {
            decode_1d(&mut r, p.columns, &mut self.current)
        } else {
            let reference = &self.reference[..=self.ref_len + SENTINELS];
            decode_2d(&mut r, reference, p.columns, &mut self.current)
        };
        let overrun = r.overrun();
        if !done && (overrun || (result.is_err() && r.remaining() < 32)) {
            return Ok(Step::NeedMore);
        }
        match result {
            Ok(len) if !overrun => {
                self.bit = r.position();
                if saw_eol {
                    self.has_eols = true;
                    self.resync = false;
                }
                self.deliver(RowStatus::Good, len)
            }
            // Whatever follows the expected rows is not ours to judge.
            _ if past_expected => Ok(Step::End),
            failed => {
                // A code cut by the end of the data reads as padding zeros: truncation.
                let cut = overrun || r.remaining() < 13;
                let kind = match failed {
                    _ if cut => DecodeErrorKind::Truncated,
                    Err(RowError::InvalidCode) => DecodeErrorKind::InvalidCode,
                    Err(RowError::TooLong | RowError::PrematureEol) => {
                        DecodeErrorKind::BadRowLength
                    }
                    Ok(_) => DecodeErrorKind::Truncated,
                };
                // State changes only here, when the attempt is committed: an attempt that
                // waits for more input must leave the decoder as it found it.
                self.has_eols |= saw_eol;
                if !self.has_eols || kind == DecodeErrorKind::Truncated {
                    // Without EOLs there is no way to find the next row.
                    return Err(kind);
                }
                self.bad_rows += 1;
                self.consecutive_bad += 1;
                self.max_consecutive_bad = self.max_consecutive_bad.max(self.consecutive_bad);
                if self.strict && self.bad_rows > p.damaged_rows_before_error {
                    return Err(DecodeErrorKind::DamagedRows);
                }
                if self.consecutive_bad > self.limits.max_consecutive_bad_rows {
                    return Err(DecodeErrorKind::Limit(Limit::ConsecutiveBadRows));
                }
                self.bit = r.position().min(data.len() * 8);
                self.resync = true;
                // Conceal: repeat the previous row, which stays the reference line.
                let len = self.ref_len;
                self.current[1..=len].copy_from_slice(&self.reference[1..=len]);
                self.deliver(RowStatus::Concealed, len)
            }
        }
    }

    fn at_end_of_data(&self, done: bool) -> Result<Step, DecodeErrorKind> {
        if !done {
            Ok(Step::NeedMore)
        } else if self.params.rows > 0 && self.rows < self.params.rows {
            Err(DecodeErrorKind::Truncated)
        } else {
            Ok(Step::End)
        }
    }

    fn deliver(&mut self, status: RowStatus, len: usize) -> Result<Step, DecodeErrorKind> {
        if status == RowStatus::Good {
            self.consecutive_bad = 0;
        }
        core::mem::swap(&mut self.reference, &mut self.current);
        self.ref_len = len;
        self.reference[len + 1..=len + SENTINELS].fill(self.params.columns);
        self.rows += 1;
        Ok(Step::Row(status))
    }
}
