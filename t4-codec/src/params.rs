//! Coding parameters: one type with the PDF `CCITTFaxDecode` names and defaults, and the
//! mappings to and from TIFF tags.

use crate::error::ParamError;

/// The three codings of T.4 and T.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coding {
    /// T.4 Modified Huffman, one-dimensional ("G3 1-D", PDF `K = 0`).
    Mh,
    /// T.4 Modified READ: a one-dimensional row followed by at most `k - 1` two-dimensional
    /// rows ("G3 2-D", PDF `K > 0`).
    Mr {
        /// The K parameter (at least 1). Decoding follows the tag bits whatever K says.
        k: u32,
    },
    /// T.6 Modified Modified READ ("G4", PDF `K < 0`).
    Mmr,
}

impl Coding {
    /// The PDF `K` value of this coding.
    pub fn pdf_k(self) -> i32 {
        match self {
            Coding::Mh => 0,
            Coding::Mr { k } => i32::try_from(k.max(1)).unwrap_or(i32::MAX),
            Coding::Mmr => -1,
        }
    }

    /// The coding a PDF `K` value names.
    pub fn from_pdf_k(k: i32) -> Coding {
        match k {
            0 => Coding::Mh,
            k if k > 0 => Coding::Mr {
                k: k.unsigned_abs(),
            },
            _ => Coding::Mmr,
        }
    }

    /// K for MR coding at a vertical resolution, as T.4 section 4.2.1.3.4 asks of fax
    /// machines (2 at standard, 4 at fine, ...), in lines per inch.
    pub fn mr_for_resolution(lines_per_inch: f32) -> Coding {
        let k = match lines_per_inch {
            r if r < 150.0 => 2,
            r if r < 250.0 => 4,
            r if r < 350.0 => 6,
            r if r < 500.0 => 8,
            r if r < 700.0 => 12,
            r if r < 1000.0 => 16,
            _ => 24,
        };
        Coding::Mr { k }
    }
}

/// Order of bits within each byte of the coded data (TIFF `FillOrder`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FillOrder {
    /// The first bit of the stream is the most significant bit of a byte (TIFF `FillOrder`
    /// 1, PDF, T.4 as printed).
    #[default]
    MsbFirst,
    /// The first bit is the least significant bit (TIFF `FillOrder` 2, the order in which
    /// fax modems deliver octets).
    LsbFirst,
}

/// Widest row any parameters may declare (2^30 pels), far above every real image; keeps all
/// position arithmetic clear of overflow. [`crate::Limits::max_columns`] is the practical cap.
pub const MAX_COLUMNS: u32 = 1 << 30;

/// Parameters of a coded bi-level image.
///
/// Field names and defaults are those of the PDF `CCITTFaxDecode` filter (ISO 32000-1 Table
/// 11): an absent `K` means 0 (MH), not G4. The fields after `damaged_rows_before_error`
/// extend it with what TIFF and T.30 need.
///
/// ```
/// let mut p = t4_codec::Params::default();
/// assert_eq!((p.k, p.columns, p.end_of_block, p.black_is_1), (0, 1728, true, false));
/// p.k = -1;
/// assert_eq!(p.coding(), t4_codec::Coding::Mmr);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Params {
    /// `K`: < 0 MMR, 0 MH, > 0 MR with at most `K - 1` 2-D rows after each 1-D row.
    pub k: i32,
    /// `EndOfLine`: EOL codes are present. The decoder accepts EOLs either way; the encoder
    /// writes an EOL before every row when set (always for MR coding, which needs tag bits).
    pub end_of_line: bool,
    /// `EncodedByteAlign`: every coded row (with its EOL, if any) starts on a byte boundary.
    /// This is not TIFF's "fill bits" ([`Params::eol_fill`]), which end the EOL on a byte
    /// boundary instead.
    pub encoded_byte_align: bool,
    /// `Columns`: pels per row (at least 1).
    pub columns: u32,
    /// `Rows`: expected rows, 0 when unknown. With `end_of_block` set, more rows are decoded
    /// if the data holds them: a `Rows` smaller than the data never truncates.
    pub rows: u32,
    /// `EndOfBlock`: the data ends with RTC (MH, MR) or EOFB (MMR). The decoder accepts
    /// data without one; the encoder writes one when set.
    pub end_of_block: bool,
    /// `BlackIs1`: in packed rows, 1 bits are black. PDF's default, false, makes 0 black;
    /// TIFF min-is-white and PBM need true.
    pub black_is_1: bool,
    /// `DamagedRowsBeforeError`: in strict mode, damaged rows tolerated before decoding fails.
    pub damaged_rows_before_error: u32,
    /// Bit order within bytes of the coded data.
    pub fill_order: FillOrder,
    /// TIFF T.4 "fill bits" (T4Options bit 2): the encoder pads with 0 bits so that every EOL
    /// ends on a byte boundary.
    pub eol_fill: bool,
    /// TIFF Compression 32771: every coded row starts on a 16-bit boundary.
    pub encoded_word_align: bool,
    /// Uncompressed mode allowed (TIFF T4Options/T6Options bit 1): the encoder codes a row in
    /// uncompressed mode when that is shorter. The decoder always accepts it.
    pub uncompressed: bool,
    /// Minimum bits per coded row, EOL included (T.30 minimum scan-line time times bit rate);
    /// the encoder pads with fill bits before the next EOL. Applies only to rows written with
    /// an EOL (MR, or `end_of_line`): without one, fill could not be told from data. 0 for
    /// none.
    pub min_row_bits: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            k: 0,
            end_of_line: false,
            encoded_byte_align: false,
            columns: 1728,
            rows: 0,
            end_of_block: true,
            black_is_1: false,
            damaged_rows_before_error: 0,
            fill_order: FillOrder::MsbFirst,
            eol_fill: false,
            encoded_word_align: false,
            uncompressed: false,
            min_row_bits: 0,
        }
    }
}

/// TIFF tags that describe bi-level coded data (TIFF 6.0 section 11, TIFF Class F).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TiffFaxTags {
    /// `Compression`: 2 (CCITT RLE), 3 (T.4), 4 (T.6) or 32771 (CCITT RLE, word aligned).
    pub compression: u16,
    /// `T4Options` (tag 292) for compression 3: bit 0 2-D, bit 1 uncompressed, bit 2 fill.
    pub t4_options: u32,
    /// `T6Options` (tag 293) for compression 4: bit 1 uncompressed.
    pub t6_options: u32,
    /// `FillOrder`: 1 or 2.
    pub fill_order: u16,
    /// `PhotometricInterpretation`: 0 min-is-white, 1 min-is-black.
    pub photometric: u16,
    /// `ImageWidth`.
    pub width: u32,
    /// Rows in the strip being decoded.
    pub rows: u32,
}

impl TiffFaxTags {
    /// Tags with TIFF's defaults (T.6, fill order 1, min-is-white) for the given size.
    pub fn new(compression: u16, width: u32, rows: u32) -> Self {
        TiffFaxTags {
            compression,
            t4_options: 0,
            t6_options: 0,
            fill_order: 1,
            photometric: 0,
            width,
            rows,
        }
    }
}

impl Params {
    /// Parameters for one row-coded strip of a TIFF file.
    ///
    /// `Rows` becomes the strip's row count with `end_of_block` off, because TIFF states the
    /// exact height and Class F strips carry no RTC; an RTC or EOFB is still recognised.
    ///
    /// # Errors
    /// [`ParamError`] for a compression that is not a CCITT one, a fill order other than 1
    /// or 2, or a photometric interpretation other than 0 or 1.
    pub fn from_tiff(tags: &TiffFaxTags) -> Result<Params, ParamError> {
        let mut p = Params {
            columns: tags.width,
            rows: tags.rows,
            end_of_block: false,
            ..Params::default()
        };
        match tags.compression {
            2 => p.encoded_byte_align = true,
            32771 => p.encoded_word_align = true,
            3 => {
                if tags.t4_options & !0b111 != 0 {
                    return Err(ParamError::Unsupported("T4Options bits above bit 2"));
                }
                p.k = if tags.t4_options & 1 != 0 { 4 } else { 0 };
                p.uncompressed = tags.t4_options & 2 != 0;
                p.eol_fill = tags.t4_options & 4 != 0;
                p.end_of_line = true;
            }
            4 => {
                p.k = -1;
                p.uncompressed = tags.t6_options & 2 != 0;
            }
            _ => {
                return Err(ParamError::Unsupported(
                    "TIFF compression is not 2, 3, 4 or 32771",
                ))
            }
        }
        p.fill_order = match tags.fill_order {
            1 => FillOrder::MsbFirst,
            2 => FillOrder::LsbFirst,
            _ => return Err(ParamError::Unsupported("TIFF FillOrder is not 1 or 2")),
        };
        p.black_is_1 = match tags.photometric {
            0 => true,
            1 => false,
            _ => {
                return Err(ParamError::Unsupported(
                    "PhotometricInterpretation is not 0 or 1",
                ))
            }
        };
        Ok(p)
    }

    /// The TIFF tags that describe data written with these parameters (TIFF Class F style:
    /// T.4 data has an EOL before every row).
    ///
    /// # Errors
    /// [`ParamError::Unsupported`] for combinations TIFF cannot express: MH without EOLs that
    /// is not byte- or word-aligned, PDF's `EncodedByteAlign` together with EOLs, or MMR
    /// with EOLs.
    pub fn to_tiff(&self, rows: u32) -> Result<TiffFaxTags, ParamError> {
        let mut t = TiffFaxTags::new(4, self.columns, rows);
        t.fill_order = match self.fill_order {
            FillOrder::MsbFirst => 1,
            FillOrder::LsbFirst => 2,
        };
        t.photometric = if self.black_is_1 { 0 } else { 1 };
        match self.coding() {
            Coding::Mh if !self.end_of_line => {
                t.compression = if self.encoded_word_align {
                    32771
                } else if self.encoded_byte_align {
                    2
                } else {
                    return Err(ParamError::Unsupported(
                        "MH without EOLs or row alignment has no TIFF compression",
                    ));
                };
            }
            Coding::Mh | Coding::Mr { .. } => {
                if self.encoded_byte_align {
                    return Err(ParamError::Unsupported(
                        "TIFF T.4 aligns the end of each EOL (eol_fill), not the row start",
                    ));
                }
                t.compression = 3;
                t.t4_options = u32::from(self.coding() != Coding::Mh)
                    | (u32::from(self.uncompressed) << 1)
                    | (u32::from(self.eol_fill) << 2);
            }
            Coding::Mmr => {
                if self.end_of_line || self.encoded_byte_align {
                    return Err(ParamError::Unsupported(
                        "TIFF T.6 has neither EOLs nor alignment",
                    ));
                }
                t.t6_options = u32::from(self.uncompressed) << 1;
            }
        }
        Ok(t)
    }

    /// The coding selected by `k`.
    pub fn coding(&self) -> Coding {
        Coding::from_pdf_k(self.k)
    }

    /// Sets `k` from a coding.
    pub fn set_coding(&mut self, coding: Coding) {
        self.k = coding.pdf_k();
    }

    /// Parameters for a coding with every other field at its default.
    pub fn new(coding: Coding, columns: u32) -> Params {
        let mut p = Params {
            columns,
            ..Params::default()
        };
        p.set_coding(coding);
        p
    }

    /// Bytes in one packed row (`columns` rounded up to whole bytes).
    pub fn row_bytes(&self) -> usize {
        (self.columns as usize).div_ceil(8)
    }

    /// Checks the parameters on their own (the decoder also checks them against its limits).
    ///
    /// # Errors
    /// [`ParamError::ZeroColumns`] when `columns` is 0, [`ParamError::Unsupported`] above
    /// [`MAX_COLUMNS`] or with both byte and word alignment.
    pub fn validate(&self) -> Result<(), ParamError> {
        if self.columns == 0 {
            return Err(ParamError::ZeroColumns);
        }
        if self.columns > MAX_COLUMNS {
            return Err(ParamError::Unsupported("columns above 2^30"));
        }
        if self.encoded_byte_align && self.encoded_word_align {
            return Err(ParamError::Unsupported("byte and word alignment together"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiff_round_trips_through_params() {
        for (compression, t4, t6) in [
            (2, 0, 0),
            (32771, 0, 0),
            (3, 0, 0),
            (3, 1, 0),
            (3, 5, 0),
            (3, 7, 0),
            (4, 0, 0),
            (4, 0, 2),
        ] {
            for fill_order in [1, 2] {
                for photometric in [0, 1] {
                    let mut tags = TiffFaxTags::new(compression, 1728, 10);
                    tags.t4_options = t4;
                    tags.t6_options = t6;
                    tags.fill_order = fill_order;
                    tags.photometric = photometric;
                    let p = Params::from_tiff(&tags).expect("valid tags");
                    assert_eq!(p.to_tiff(10).expect("expressible"), tags);
                }
            }
        }
    }

    #[test]
    fn tiff_fill_bits_are_not_encoded_byte_align() {
        let mut tags = TiffFaxTags::new(3, 1728, 1);
        tags.t4_options = 4;
        let p = Params::from_tiff(&tags).expect("valid");
        assert!(p.eol_fill && !p.encoded_byte_align);
        let mut pdf = Params::new(Coding::Mr { k: 4 }, 1728);
        pdf.end_of_line = true;
        pdf.encoded_byte_align = true;
        assert!(pdf.to_tiff(1).is_err());
    }

    #[test]
    fn rejects_what_tiff_cannot_say() {
        assert!(Params::from_tiff(&TiffFaxTags::new(5, 8, 1)).is_err());
        let mut t = TiffFaxTags::new(4, 8, 1);
        t.fill_order = 3;
        assert!(Params::from_tiff(&t).is_err());
        assert!(Params::new(Coding::Mh, 8).to_tiff(1).is_err());
    }

    #[test]
    fn k_mapping_follows_pdf() {
        assert_eq!(Params::default().coding(), Coding::Mh);
        assert_eq!(Coding::from_pdf_k(-7), Coding::Mmr);
        assert_eq!(Coding::from_pdf_k(3), Coding::Mr { k: 3 });
        assert_eq!(Coding::mr_for_resolution(196.0), Coding::Mr { k: 4 });
        assert_eq!(Coding::mr_for_resolution(98.0), Coding::Mr { k: 2 });
    }
}
