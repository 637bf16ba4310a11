//! TIFF Class F writing: little-endian, one IFD and one strip per page, coded by this crate.

use super::{ContainerError, FaxQuality, Page, Resolution, ResolutionUnit};
use crate::encoder::encode;
use crate::params::{Coding, Params};
use alloc::string::String;
use alloc::vec::Vec;

const SHORT: u16 = 3;
const LONG: u16 = 4;
const RATIONAL: u16 = 5;
const ASCII: u16 = 2;

/// How [`write_tiff`] codes and tags the pages.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TiffWriteOptions {
    /// Coding and options: `k`, `end_of_line`, `encoded_byte_align` / `encoded_word_align`
    /// (MH without EOLs only: TIFF compression 2 / 32771), `eol_fill`, `uncompressed`,
    /// `fill_order`, `end_of_block`. `columns`, `rows` and `black_is_1` are set from each
    /// page. The combination must be one TIFF can express ([`Params::to_tiff`]).
    pub params: Params,
    /// Resolution written for pages that have none (TIFF requires one). Default: T.4 fine,
    /// 204 x 196 pels per inch.
    pub default_resolution: Resolution,
    /// An `ImageDescription` tag for every page. `None` (the default) writes none: such text
    /// easily carries personal data, so it is only written when asked for.
    pub image_description: Option<String>,
}

impl TiffWriteOptions {
    /// TIFF Class F options for a coding: an EOL before every T.4 row and no RTC (as libtiff
    /// writes), EOFB after T.6 data, fill order 1.
    pub fn new(coding: Coding) -> TiffWriteOptions {
        let mut params = Params::new(coding, 1728);
        params.black_is_1 = true;
        params.end_of_line = coding != Coding::Mmr;
        params.end_of_block = coding == Coding::Mmr;
        TiffWriteOptions {
            params,
            default_resolution: Resolution::fax_fine(),
            image_description: None,
        }
    }
}

impl Default for TiffWriteOptions {
    /// MMR (T.6), the most compact coding.
    fn default() -> Self {
        TiffWriteOptions::new(Coding::Mmr)
    }
}

/// One IFD entry: tag, type, count and the value bytes (inline if at most 4).
struct Entry {
    tag: u16,
    ty: u16,
    count: u32,
    value: Vec<u8>,
}

impl Entry {
    fn short(tag: u16, v: u16) -> Entry {
        Entry {
            tag,
            ty: SHORT,
            count: 1,
            value: v.to_le_bytes().to_vec(),
        }
    }

    fn short_pair(tag: u16, a: u16, b: u16) -> Entry {
        let mut value = a.to_le_bytes().to_vec();
        value.extend_from_slice(&b.to_le_bytes());
        Entry {
            tag,
            ty: SHORT,
            count: 2,
            value,
        }
    }

    fn long(tag: u16, v: u32) -> Entry {
        Entry {
            tag,
            ty: LONG,
            count: 1,
            value: v.to_le_bytes().to_vec(),
        }
    }

    fn rational(tag: u16, (num, den): (u32, u32)) -> Entry {
        let mut value = num.to_le_bytes().to_vec();
        value.extend_from_slice(&den.to_le_bytes());
        Entry {
            tag,
            ty: RATIONAL,
            count: 1,
            value,
        }
    }
}

/// A positive resolution value as a TIFF RATIONAL (exact to four decimals).
fn to_rational(v: f64) -> (u32, u32) {
    if !(v.is_finite() && v > 0.0) {
        return (1, 1);
    }
    if v >= f64::from(u32::MAX) {
        return (u32::MAX, 1);
    }
    let mut best = (1, 1);
    for den in [1u32, 10, 100, 1000, 10_000] {
        let num = (v * f64::from(den)).round();
        if num > f64::from(u32::MAX) {
            break;
        }
        if num >= 1.0 {
            // Integral and within u32, so the cast is exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = num as u32;
            best = (n, den);
            if (num / f64::from(den) - v).abs() <= 1e-9 * v {
                break;
            }
        }
    }
    best
}

/// Writes the pages as a little-endian TIFF Class F file: one IFD per page (`NewSubfileType`
/// page, `PageNumber`), one strip per page coded with `options.params`, `PhotometricInterpretation`
/// 0 (min-is-white), `BadFaxLines` / `CleanFaxData` / `ConsecutiveBadFaxLines` when the damage
/// of a page is known ([`Page::fax_quality`]). No identity tags are written, and no
/// `ImageDescription` unless `options.image_description` asks for one.
///
/// # Errors
/// [`ContainerError::NoPages`] for no pages; [`ContainerError::Params`] for a coding TIFF
/// cannot express; [`ContainerError::Encode`] if a page's data does not fit its size;
/// [`ContainerError::Unsupported`] for a file over 4 GiB or a description with a NUL byte.
pub fn write_tiff(pages: &[Page], options: &TiffWriteOptions) -> Result<Vec<u8>, ContainerError> {
    if pages.is_empty() {
        return Err(ContainerError::NoPages);
    }
    let total = u16::try_from(pages.len())
        .map_err(|_| ContainerError::unsupported("TIFF", "more than 65535 pages"))?;
    if let Some(d) = &options.image_description {
        if d.as_bytes().contains(&0) {
            return Err(ContainerError::unsupported(
                "TIFF",
                "ImageDescription with a NUL byte",
            ));
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"II*\0");
    // Offset of the field that points at the next IFD: the header's, then each IFD's.
    let mut next_ifd_field = 4usize;
    out.extend_from_slice(&0u32.to_le_bytes());
    for (index, page) in pages.iter().enumerate() {
        let mut params = options.params.clone();
        params.columns = page.width();
        params.rows = page.rows();
        params.black_is_1 = true;
        let tags = params.to_tiff(page.rows())?;
        let strip = encode(&params, page.data())?;

        let strip_offset = offset(out.len())?;
        out.extend_from_slice(&strip);
        if out.len() % 2 == 1 {
            out.push(0);
        }

        let resolution = page
            .resolution
            .filter(Resolution::is_valid)
            .unwrap_or(options.default_resolution);
        let unit = match resolution.unit {
            ResolutionUnit::None => 1,
            ResolutionUnit::Inch => 2,
            ResolutionUnit::Centimeter => 3,
        };
        // `index < total <= u16::MAX`.
        #[allow(clippy::cast_possible_truncation)]
        let page_number = index as u16;
        let mut entries = alloc::vec![
            Entry::long(254, 2),
            Entry::long(256, page.width()),
            Entry::long(257, page.rows()),
            Entry::short(258, 1),
            Entry::short(259, tags.compression),
            Entry::short(262, 0),
            Entry::short(266, tags.fill_order),
            Entry::long(273, strip_offset),
            Entry::short(277, 1),
            Entry::long(278, page.rows()),
            Entry::long(279, offset(strip.len())?),
            Entry::rational(282, to_rational(resolution.x)),
            Entry::rational(283, to_rational(resolution.y)),
            Entry::short(296, unit),
            Entry::short_pair(297, page_number, total),
        ];
        if let Some(d) = &options.image_description {
            let mut value = d.as_bytes().to_vec();
            value.push(0);
            let count = offset(value.len())?;
            entries.push(Entry {
                tag: 270,
                ty: ASCII,
                count,
                value,
            });
        }
        match tags.compression {
            3 => entries.push(Entry::long(292, tags.t4_options)),
            4 => entries.push(Entry::long(293, tags.t6_options)),
            _ => {}
        }
        if let Some(FaxQuality {
            bad_rows,
            consecutive_bad_rows,
            clean,
        }) = page.fax_quality()
        {
            entries.push(Entry::long(326, bad_rows));
            entries.push(Entry::short(327, clean));
            entries.push(Entry::long(328, consecutive_bad_rows));
        }
        entries.sort_by_key(|e| e.tag);

        let ifd_offset = offset(out.len())?;
        out[next_ifd_field..next_ifd_field + 4].copy_from_slice(&ifd_offset.to_le_bytes());
        // At most 20 entries.
        #[allow(clippy::cast_possible_truncation)]
        let n = entries.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        let mut extra_at = out.len() + entries.len() * 12 + 4;
        let mut extra = Vec::new();
        for e in &entries {
            out.extend_from_slice(&e.tag.to_le_bytes());
            out.extend_from_slice(&e.ty.to_le_bytes());
            out.extend_from_slice(&e.count.to_le_bytes());
            if e.value.len() <= 4 {
                let mut inline = [0u8; 4];
                inline[..e.value.len()].copy_from_slice(&e.value);
                out.extend_from_slice(&inline);
            } else {
                out.extend_from_slice(&offset(extra_at)?.to_le_bytes());
                extra.extend_from_slice(&e.value);
                extra_at += e.value.len();
                if e.value.len() % 2 == 1 {
                    extra.push(0);
                    extra_at += 1;
                }
            }
        }
        next_ifd_field = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&extra);
    }
    offset(out.len())?;
    Ok(out)
}

/// A file offset or size as a classic TIFF LONG.
fn offset(n: usize) -> Result<u32, ContainerError> {
    u32::try_from(n).map_err(|_| ContainerError::unsupported("TIFF", "file larger than 4 GiB"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rationals() {
        assert_eq!(to_rational(204.0), (204, 1));
        assert_eq!(to_rational(37.79), (3779, 100));
        assert_eq!(to_rational(7.7), (77, 10));
        assert_eq!(to_rational(f64::NAN), (1, 1));
        assert_eq!(to_rational(0.0001), (1, 10_000));
    }
}
