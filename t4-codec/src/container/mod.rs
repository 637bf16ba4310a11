//! File formats around coded bi-level images: PBM, TIFF (Class F writing; reading through the
//! `tiff` crate, feature `tiff`) and 1-bit PNG (feature `png`).
//!
//! Every reader gives [`Page`]s: packed pixels with 1 = black as shown, the physical resolution
//! and a [`PageInfo`] that says how the page was stored (coding, options, fill order, the fax
//! quality tags). Identity tags that may hold personal data (`Artist`, `HostComputer`,
//! `ImageDescription`, `DocumentName`, `PageName`, `Make`, `Model`, ...) are never read.
//!
//! ```
//! use t4_codec::container::{write_tiff, Page, TiffWriteOptions};
//! use t4_codec::{Coding, Image};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let image = Image { columns: 16, rows: 2, black_is_1: true, data: vec![0x0F, 0xF0, 0, 1], ..Image::default() };
//! let tiff = write_tiff(&[Page::from_image(image)], &TiffWriteOptions::new(Coding::Mmr))?;
//! assert_eq!(&tiff[..4], b"II*\0");
//! # Ok(()) }
//! ```

mod error;
mod page;
mod pbm;
#[cfg(feature = "png")]
mod png;
#[cfg(feature = "tiff")]
mod tiff_read;
mod tiff_write;

pub use error::ContainerError;
pub use page::{FaxQuality, FileFormat, Page, PageInfo, Resolution, ResolutionUnit};
pub use pbm::{read_pbm, read_pbm_pages, write_pbm, write_pbm_to, PbmError};
#[cfg(feature = "png")]
pub use png::{read_png, write_png};
#[cfg(feature = "tiff")]
pub use tiff_read::{read_tiff, ReadOptions, TiffReader};
pub use tiff_write::{write_tiff, TiffWriteOptions};

/// Clears the padding bits after `columns` in every packed row of `data`.
pub(crate) fn clear_padding(data: &mut [u8], columns: u32) {
    let tail = columns % 8;
    if tail == 0 {
        return;
    }
    let row_bytes = (columns as usize).div_ceil(8);
    let mask = 0xFFu8 << (8 - tail);
    for row in data.chunks_mut(row_bytes.max(1)) {
        if let Some(last) = row.last_mut() {
            *last &= mask;
        }
    }
}

/// Packed output bytes of a `columns x rows` image, checked against the limits.
#[cfg(any(feature = "tiff", feature = "png"))]
pub(crate) fn check_size(
    columns: u32,
    rows: u32,
    limits: &crate::Limits,
) -> Result<usize, ContainerError> {
    use crate::Limit;
    if columns > limits.max_columns {
        return Err(ContainerError::Limit(Limit::Columns));
    }
    if rows > limits.max_rows {
        return Err(ContainerError::Limit(Limit::Rows));
    }
    let bytes = u64::from(columns).div_ceil(8) * u64::from(rows);
    if bytes > limits.max_output_bytes {
        return Err(ContainerError::Limit(Limit::OutputBytes));
    }
    usize::try_from(bytes).map_err(|_| ContainerError::Limit(Limit::OutputBytes))
}
