//! Portable bitmap (PBM, binary `P4`): 1 = black, rows packed most significant bit first and
//! padded to a byte. A multi-page PBM is several `P4` images one after another.

use super::{ContainerError, FileFormat, Page, PageInfo};
use crate::image::Image;
use crate::limits::{Limit, Limits};
use alloc::vec::Vec;

/// A malformed PBM file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PbmError {
    /// Not a binary PBM (`P4`) image.
    #[error("not a binary PBM (P4) image")]
    NotP4,
    /// The header is malformed or a dimension is 0 or too large.
    #[error("malformed PBM header: {0}")]
    BadHeader(&'static str),
    /// The pixel data is shorter than the header says.
    #[error("PBM pixel data is truncated")]
    Truncated,
    /// The image is larger than the limit given.
    #[error("PBM image exceeds {0} bytes")]
    TooLarge(u64),
}

/// Reads every `P4` image in `data` (a multi-page PBM), each at most `max_bytes` of pixels.
///
/// # Errors
/// [`PbmError`] for anything that is not a well-formed sequence of `P4` images.
pub fn read_pbm(data: &[u8], max_bytes: u64) -> Result<Vec<Image>, PbmError> {
    let mut pages = Vec::new();
    let mut rest = data;
    loop {
        let (page, after) = read_one(rest, max_bytes)?;
        pages.push(page);
        rest = skip_whitespace(after);
        if rest.is_empty() {
            return Ok(pages);
        }
    }
}

fn skip_whitespace(mut d: &[u8]) -> &[u8] {
    while let Some((&b, tail)) = d.split_first() {
        if !b.is_ascii_whitespace() {
            break;
        }
        d = tail;
    }
    d
}

/// Reads one header number, skipping whitespace and `#` comments before it.
fn number(mut d: &[u8]) -> Result<(u32, &[u8]), PbmError> {
    loop {
        d = skip_whitespace(d);
        if d.first() == Some(&b'#') {
            let end = d.iter().position(|&b| b == b'\n').unwrap_or(d.len());
            d = &d[end..];
        } else {
            break;
        }
    }
    let digits = d.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 9 {
        return Err(PbmError::BadHeader("expected a dimension"));
    }
    let s = core::str::from_utf8(&d[..digits]).map_err(|_| PbmError::BadHeader("not ASCII"))?;
    let n: u32 = s
        .parse()
        .map_err(|_| PbmError::BadHeader("dimension out of range"))?;
    Ok((n, &d[digits..]))
}

fn read_one(data: &[u8], max_bytes: u64) -> Result<(Image, &[u8]), PbmError> {
    let d = data.strip_prefix(b"P4").ok_or(PbmError::NotP4)?;
    let (columns, d) = number(d)?;
    let (rows, d) = number(d)?;
    if columns == 0 || rows == 0 {
        return Err(PbmError::BadHeader("zero width or height"));
    }
    // Exactly one whitespace byte separates the header from the pixels.
    let (&sep, d) = d.split_first().ok_or(PbmError::Truncated)?;
    if !sep.is_ascii_whitespace() {
        return Err(PbmError::BadHeader("no whitespace after the height"));
    }
    let row_bytes = u64::from(columns).div_ceil(8);
    let size = row_bytes * u64::from(rows);
    if size > max_bytes {
        return Err(PbmError::TooLarge(max_bytes));
    }
    let size = usize::try_from(size).map_err(|_| PbmError::TooLarge(max_bytes))?;
    if d.len() < size {
        return Err(PbmError::Truncated);
    }
    let image = Image {
        columns,
        rows,
        black_is_1: true,
        data: d[..size].to_vec(),
        ..Image::default()
    };
    Ok((image, &d[size..]))
}

/// Reads every `P4` image in `data` as [`Page`]s, each checked against `limits` (columns,
/// rows and output bytes).
///
/// # Errors
/// [`ContainerError::Pbm`] for a malformed file, [`ContainerError::Limit`] for a page over
/// the limits.
pub fn read_pbm_pages(data: &[u8], limits: &Limits) -> Result<Vec<Page>, ContainerError> {
    let images = read_pbm(data, limits.max_output_bytes)?;
    let mut pages = Vec::with_capacity(images.len());
    for image in images {
        if image.columns > limits.max_columns {
            return Err(ContainerError::Limit(Limit::Columns));
        }
        if image.rows > limits.max_rows {
            return Err(ContainerError::Limit(Limit::Rows));
        }
        let mut page = Page::from_image(image);
        page.info = PageInfo {
            format: FileFormat::Pbm,
            strips: 1,
            ..PageInfo::default()
        };
        pages.push(page);
    }
    Ok(pages)
}

/// Appends `image` as a `P4` image (converting polarity if needed).
pub fn write_pbm(image: &Image, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = write_pbm_to(image, out);
}

/// Writes `image` as a `P4` image to `w` (a file, a pipe): pages can go out one at a time
/// without the whole file in memory.
///
/// # Errors
/// Whatever `w` reports.
pub fn write_pbm_to(image: &Image, w: &mut impl std::io::Write) -> std::io::Result<()> {
    write!(w, "P4\n{} {}\n", image.columns, image.rows)?;
    if image.black_is_1 {
        return w.write_all(&image.data);
    }
    let row_bytes = image.row_bytes().max(1);
    let tail = image.columns % 8;
    let mut row = Vec::with_capacity(row_bytes);
    for packed in image.data.chunks(row_bytes) {
        row.clear();
        row.extend(packed.iter().map(|b| !b));
        if tail != 0 {
            if let Some(last) = row.last_mut() {
                *last &= 0xFFu8 << (8 - tail);
            }
        }
        w.write_all(&row)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_multi_page() {
        let a = Image {
            columns: 10,
            rows: 2,
            black_is_1: true,
            data: alloc::vec![0x80, 0x40, 0, 0xC0],
            ..Image::default()
        };
        let b = Image {
            columns: 3,
            rows: 1,
            black_is_1: true,
            data: alloc::vec![0xA0],
            ..Image::default()
        };
        let mut file = Vec::new();
        write_pbm(&a, &mut file);
        write_pbm(&b, &mut file);
        assert_eq!(read_pbm(&file, 1 << 20).expect("valid"), [a, b]);
    }

    #[test]
    fn rejects_bad_files() {
        assert_eq!(read_pbm(b"P1\n1 1\n0", 100), Err(PbmError::NotP4));
        assert_eq!(
            read_pbm(b"P4\n# c\n16 2\n\x00", 100),
            Err(PbmError::Truncated)
        );
        assert!(matches!(
            read_pbm(b"P4 0 2\n", 100),
            Err(PbmError::BadHeader(_))
        ));
        assert_eq!(
            read_pbm(b"P4 100000 100000\n", 1000),
            Err(PbmError::TooLarge(1000))
        );
    }
}
