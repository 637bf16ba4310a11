//! Pages: a bi-level image with its resolution and a description of how it was stored.

use crate::image::Image;
use crate::params::{FillOrder, Params};
use alloc::string::String;
use alloc::vec::Vec;

/// Unit of a [`Resolution`] (TIFF `ResolutionUnit`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ResolutionUnit {
    /// No absolute unit: only the aspect ratio is known (TIFF 1).
    None,
    /// Pels per inch (TIFF 2, the TIFF default).
    #[default]
    Inch,
    /// Pels per centimetre (TIFF 3).
    Centimeter,
}

/// Physical resolution of a page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resolution {
    /// Horizontal pels per unit.
    pub x: f64,
    /// Vertical pels (rows) per unit.
    pub y: f64,
    /// The unit.
    pub unit: ResolutionUnit,
}

impl Resolution {
    /// A resolution in pels per inch.
    pub fn dpi(x: f64, y: f64) -> Resolution {
        Resolution {
            x,
            y,
            unit: ResolutionUnit::Inch,
        }
    }

    /// The T.4 "fine" fax resolution, 204 x 196 pels per inch (8 x 7.7 per mm).
    pub fn fax_fine() -> Resolution {
        Resolution::dpi(204.0, 196.0)
    }

    /// The resolution in pels per inch, if the unit is an absolute one.
    pub fn to_dpi(&self) -> Option<(f64, f64)> {
        match self.unit {
            ResolutionUnit::Inch => Some((self.x, self.y)),
            ResolutionUnit::Centimeter => Some((self.x * 2.54, self.y * 2.54)),
            ResolutionUnit::None => None,
        }
    }

    /// True if both values are finite and above 0.
    pub fn is_valid(&self) -> bool {
        self.x.is_finite() && self.y.is_finite() && self.x > 0.0 && self.y > 0.0
    }
}

/// The file format a page was read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileFormat {
    /// TIFF.
    Tiff,
    /// Binary PBM (`P4`).
    #[default]
    Pbm,
    /// PNG.
    Png,
    /// A headerless T.4 / T.6 stream.
    Raw,
}

/// How a page was stored: what `faxctl info` reports. Holds no identity data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageInfo {
    /// The file format.
    pub format: FileFormat,
    /// TIFF `Compression` (1 uncompressed, 2, 3, 4, 32771, or another value that was not
    /// decoded).
    pub compression: Option<u16>,
    /// The coding parameters of T.4 / T.6 coded data (`None` for uncompressed pages). For TIFF
    /// these are [`Params::from_tiff`] of the tags, `rows` being the page height.
    pub params: Option<Params>,
    /// TIFF `T4Options`, if present.
    pub t4_options: Option<u32>,
    /// TIFF `T6Options`, if present.
    pub t6_options: Option<u32>,
    /// Bit order of the stored data (TIFF `FillOrder`).
    pub fill_order: FillOrder,
    /// TIFF `PhotometricInterpretation` (0 min-is-white, 1 min-is-black).
    pub photometric: Option<u16>,
    /// Number of strips the page is stored in.
    pub strips: u32,
    /// TIFF `RowsPerStrip` as stored, if present.
    pub rows_per_strip: Option<u32>,
    /// TIFF `NewSubfileType`, if present (bit 1: a page of a multi-page document).
    pub subfile_type: Option<u32>,
    /// TIFF `Orientation`, if present (reported only: pixels are given in stored order).
    pub orientation: Option<u16>,
    /// TIFF `PageNumber` (page, total), if present.
    pub page_number: Option<(u16, u16)>,
    /// TIFF `BadFaxLines` as stored, if present.
    pub tag_bad_rows: Option<u32>,
    /// TIFF `CleanFaxData` as stored, if present (0 clean, 1 regenerated, 2 unclean).
    pub tag_clean_fax_data: Option<u16>,
    /// TIFF `ConsecutiveBadFaxLines` as stored, if present.
    pub tag_consecutive_bad_rows: Option<u32>,
    /// Problems that were worked around while reading (lenient mode), one sentence each.
    pub warnings: Vec<String>,
}

/// Damaged-row counts in the form of TIFF's `BadFaxLines` / `ConsecutiveBadFaxLines`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FaxQuality {
    /// Damaged rows.
    pub bad_rows: u32,
    /// Longest run of damaged rows.
    pub consecutive_bad_rows: u32,
    /// TIFF `CleanFaxData`: 0 clean, 1 regenerated, 2 unclean.
    pub clean: u16,
}

/// One page: a bi-level image (1 = black), its resolution and how it was stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// The pixels, always with `black_is_1` set and padding bits clear; `bad_rows` and
    /// `max_consecutive_bad_rows` count what decoding this page concealed.
    pub image: Image,
    /// Physical resolution, if the file gave one.
    pub resolution: Option<Resolution>,
    /// How the page was stored.
    pub info: PageInfo,
}

impl Page {
    /// A page from an image of either polarity (converted to 1 = black), with no resolution.
    pub fn from_image(mut image: Image) -> Page {
        if !image.black_is_1 {
            for b in &mut image.data {
                *b = !*b;
            }
            image.black_is_1 = true;
        }
        super::clear_padding(&mut image.data, image.columns);
        Page {
            image,
            resolution: None,
            info: PageInfo::default(),
        }
    }

    /// Pels per row.
    pub fn width(&self) -> u32 {
        self.image.columns
    }

    /// Rows.
    pub fn rows(&self) -> u32 {
        self.image.rows
    }

    /// Packed rows, first pel in the most significant bit, 1 = black, each row padded to a
    /// byte.
    pub fn data(&self) -> &[u8] {
        &self.image.data
    }

    /// The damage known for this page: the file's `BadFaxLines` / `ConsecutiveBadFaxLines`
    /// plus what decoding its coded data concealed. `None` when nothing is known (a PBM or
    /// PNG page, or an uncompressed TIFF page without the tags).
    pub fn fax_quality(&self) -> Option<FaxQuality> {
        let i = &self.info;
        let known = i.params.is_some()
            || i.tag_bad_rows.is_some()
            || i.tag_clean_fax_data.is_some()
            || self.image.bad_rows > 0;
        if !known {
            return None;
        }
        let bad_rows = i
            .tag_bad_rows
            .unwrap_or(0)
            .saturating_add(self.image.bad_rows);
        let consecutive_bad_rows = i
            .tag_consecutive_bad_rows
            .unwrap_or(0)
            .max(self.image.max_consecutive_bad_rows);
        let clean = match (bad_rows, i.tag_clean_fax_data) {
            (0, Some(c)) => c,
            (0, None) => 0,
            (_, Some(c)) if c != 0 => c,
            _ => 1,
        };
        Some(FaxQuality {
            bad_rows,
            consecutive_bad_rows,
            clean,
        })
    }
}
