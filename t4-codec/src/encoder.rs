//! The row-by-row encoder: row framing (EOLs, tag bits, alignment, fill, RTC/EOFB) around
//! the row coders, with a pull interface for the coded bytes.

use crate::bits::{reverse_bits_in_place, BitWriter};
use crate::changes::{extend_canonical, is_valid_change_list, packed_to_changes};
use crate::encode_row::{encode_1d, encode_2d, encode_uncompressed};
use crate::error::EncodeError;
use crate::params::{Coding, FillOrder, Params};
use crate::tables::{EOL, UNCOMPRESSED_1D, UNCOMPRESSED_2D};
use alloc::vec::Vec;

/// Sentinels after `current` / `reference` lists (see `encode_2d`).
const SENTINELS: usize = 3;

/// Encodes rows into T.4 / T.6 coded data.
///
/// Rows go in one at a time, as packed bits ([`encode_row`](Self::encode_row)) or change lists
/// ([`encode_changes`](Self::encode_changes)); coded bytes come out as soon as they are
/// complete ([`pull`](Self::pull)), so a modem or a T.38 stream can be fed while the page is
/// still being coded. [`finish`](Self::finish) writes RTC/EOFB (if `end_of_block`) and the
/// last partial byte.
///
/// With `end_of_line` set, an EOL precedes every row, as in TIFF Class F and libtiff.
///
/// ```
/// use t4_codec::{Encoder, Params, Coding};
/// # fn main() -> Result<(), t4_codec::EncodeError> {
/// let mut params = Params::new(Coding::Mmr, 8);
/// params.black_is_1 = true;
/// let mut enc = Encoder::new(params)?;
/// enc.encode_row(&[0x00])?;
/// enc.encode_row(&[0x00])?;
/// enc.finish()?;
/// // V0 V0 and EOFB.
/// assert_eq!(enc.take_output(), [0b1100_0000, 0b0000_0100, 0b0000_0000, 0b0100_0000]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    params: Params,
    coding: Coding,
    w: BitWriter,
    /// Bytes of `w.out` already handed out by `pull`.
    read: usize,
    reference: Vec<u32>,
    current: Vec<u32>,
    scratch: BitWriter,
    rows: u32,
    finished: bool,
}

impl Encoder {
    /// An encoder for the given parameters (`rows` is ignored: rows are counted as given).
    ///
    /// # Errors
    /// [`EncodeError::Params`] if the parameters are invalid.
    pub fn new(params: Params) -> Result<Encoder, EncodeError> {
        params.validate()?;
        let mut reference = Vec::with_capacity(64);
        reference.resize(SENTINELS, params.columns);
        Ok(Encoder {
            coding: params.coding(),
            params,
            w: BitWriter::default(),
            read: 0,
            reference,
            current: Vec::with_capacity(64),
            scratch: BitWriter::default(),
            rows: 0,
            finished: false,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Rows encoded so far.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Encodes a packed row (`Params::row_bytes()` bytes, first pel in the most significant
    /// bit, polarity from `Params::black_is_1`).
    ///
    /// # Errors
    /// [`EncodeError::RowTooShort`] or [`EncodeError::Finished`].
    pub fn encode_row(&mut self, row: &[u8]) -> Result<(), EncodeError> {
        let want = self.params.row_bytes();
        if row.len() < want {
            return Err(EncodeError::RowTooShort {
                want,
                got: row.len(),
            });
        }
        let mut current = core::mem::take(&mut self.current);
        packed_to_changes(
            row,
            self.params.columns,
            self.params.black_is_1,
            &mut current,
        );
        self.encode_current(current)
    }

    /// Encodes a row given as a change list (see [`crate::changes_to_packed`]); repeated
    /// positions (zero-length runs, as the decoder may report them) draw nothing and are
    /// dropped, so the output is what encoding the pels would give.
    ///
    /// # Errors
    /// [`EncodeError::BadChanges`] if the list decreases or reaches `columns`;
    /// [`EncodeError::Finished`].
    pub fn encode_changes(&mut self, changes: &[u32]) -> Result<(), EncodeError> {
        if !is_valid_change_list(changes, self.params.columns) {
            return Err(EncodeError::BadChanges);
        }
        let mut current = core::mem::take(&mut self.current);
        current.clear();
        extend_canonical(&mut current, changes);
        self.encode_current(current)
    }

    fn encode_current(&mut self, mut current: Vec<u32>) -> Result<(), EncodeError> {
        if self.finished {
            self.current = current;
            return Err(EncodeError::Finished);
        }
        let p = &self.params;
        let columns = p.columns;
        let one_d = match self.coding {
            Coding::Mh => true,
            Coding::Mr { k } => self.rows % k.max(1) == 0,
            Coding::Mmr => false,
        };
        if p.encoded_byte_align {
            self.w.align(8);
        } else if p.encoded_word_align {
            self.w.align(16);
        }
        let row_start = self.w.bit_len();
        let tag = match self.coding {
            Coding::Mr { .. } => Some(one_d),
            _ => None,
        };
        let eol = p.end_of_line || tag.is_some();
        if eol {
            put_eol(&mut self.w, p.eol_fill, tag);
        }
        let real = current.len();
        current.extend_from_slice(&[columns; SENTINELS]);
        let normal = |w: &mut BitWriter| {
            if one_d {
                encode_1d(w, &current[..real], columns);
            } else {
                encode_2d(w, &current, &self.reference, columns);
            }
        };
        if p.uncompressed {
            self.scratch.clear();
            normal(&mut self.scratch);
            let entry = if one_d {
                UNCOMPRESSED_1D
            } else {
                UNCOMPRESSED_2D
            };
            let raw = u64::from(entry.len) + encode_uncompressed(None, &current[..real], columns);
            if raw < self.scratch.bit_len() {
                self.w.put(u32::from(entry.bits), u32::from(entry.len));
                encode_uncompressed(Some(&mut self.w), &current[..real], columns);
            } else {
                self.w.append(&self.scratch);
            }
        } else {
            normal(&mut self.w);
        }
        let used = self.w.bit_len() - row_start;
        // Fill is only recognisable in front of an EOL (T.4 4.1.3).
        if eol && used < u64::from(p.min_row_bits) {
            self.w.zeros(u64::from(p.min_row_bits) - used);
        }
        current.truncate(real);
        self.current = core::mem::replace(&mut self.reference, current);
        self.reference.extend_from_slice(&[columns; SENTINELS]);
        self.rows += 1;
        Ok(())
    }

    /// Ends the image: RTC (six EOLs, MH/MR) or EOFB (two EOLs, MMR) if `end_of_block`,
    /// then zero bits to the end of the byte. Calling it twice does nothing more.
    ///
    /// # Errors
    /// None at present; reserved for output sinks that can fail.
    pub fn finish(&mut self) -> Result<(), EncodeError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        if self.params.end_of_block {
            if self.params.encoded_byte_align {
                self.w.align(8);
            } else if self.params.encoded_word_align {
                self.w.align(16);
            }
            let (count, tag) = match self.coding {
                Coding::Mh => (6, None),
                Coding::Mr { .. } => (6, Some(true)),
                Coding::Mmr => (2, None),
            };
            for _ in 0..count {
                put_eol(&mut self.w, self.params.eol_fill, tag);
            }
        }
        self.w.align(8);
        Ok(())
    }

    /// Complete coded bytes not yet pulled.
    pub fn pending(&mut self) -> usize {
        self.sync_bytes();
        self.w.out.len() - self.read
    }

    /// Copies up to `out.len()` complete coded bytes into `out`; returns how many. Before
    /// [`finish`](Self::finish) the last partial byte is held back.
    pub fn pull(&mut self, out: &mut [u8]) -> usize {
        self.sync_bytes();
        let avail = &self.w.out[self.read..];
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        if self.params.fill_order == FillOrder::LsbFirst {
            reverse_bits_in_place(&mut out[..n]);
        }
        self.read += n;
        if self.read == self.w.out.len() {
            self.w.out.clear();
            self.read = 0;
        }
        n
    }

    /// Takes every complete coded byte not yet pulled.
    pub fn take_output(&mut self) -> Vec<u8> {
        self.sync_bytes();
        if self.read == 0 && self.params.fill_order == FillOrder::MsbFirst {
            // Nothing pulled yet: hand over the buffer itself rather than a copy.
            return core::mem::take(&mut self.w.out);
        }
        let mut out = alloc::vec![0; self.pending()];
        let n = self.pull(&mut out);
        out.truncate(n);
        out
    }

    fn sync_bytes(&mut self) {
        self.w.settle();
    }
}

/// Writes an EOL (plus the MR tag bit), padded first so it ends on a byte boundary if
/// `fill` (TIFF "fill bits").
fn put_eol(w: &mut BitWriter, fill: bool, tag: Option<bool>) {
    if fill {
        let rem = (w.bit_len() + 12) % 8;
        if rem != 0 {
            w.zeros(8 - rem);
        }
    }
    w.put(u32::from(EOL.bits), u32::from(EOL.len));
    if let Some(one_d) = tag {
        w.put(u32::from(one_d), 1);
    }
}

/// Encodes a whole image of packed rows in one call.
///
/// # Errors
/// As [`Encoder::encode_row`]; also [`EncodeError::RowTooShort`] if `data` is not a whole
/// number of rows.
pub fn encode(params: &Params, data: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let row_bytes = params.row_bytes();
    if row_bytes == 0 || data.len() % row_bytes != 0 {
        params.validate()?;
        return Err(EncodeError::RowTooShort {
            want: row_bytes,
            got: data.len() % row_bytes.max(1),
        });
    }
    let mut enc = Encoder::new(params.clone())?;
    for row in data.chunks_exact(row_bytes) {
        enc.encode_row(row)?;
    }
    enc.finish()?;
    Ok(enc.take_output())
}
