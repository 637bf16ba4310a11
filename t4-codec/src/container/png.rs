//! PNG: 1-bit grayscale writing with the physical resolution (`pHYs`), and reading of any PNG
//! by thresholding (bi-level and grayscale pages; colour is reduced to luma).

use super::{
    check_size, clear_padding, ContainerError, FileFormat, Page, PageInfo, Resolution,
    ResolutionUnit,
};
use crate::image::Image;
use crate::limits::{Limit, Limits};
use alloc::string::ToString;
use alloc::vec::Vec;
use png::{BitDepth, ColorType, PixelDimensions, Transformations, Unit};

const FORMAT: &str = "PNG";
const METERS_PER_INCH: f64 = 0.0254;

fn png_error(e: png::DecodingError) -> ContainerError {
    match e {
        png::DecodingError::LimitsExceeded => ContainerError::Limit(Limit::OutputBytes),
        e => ContainerError::malformed(FORMAT, e.to_string()),
    }
}

fn encoding_error(e: png::EncodingError) -> ContainerError {
    ContainerError::unsupported(FORMAT, e.to_string())
}

/// Pels per metre (or per unit for [`ResolutionUnit::None`]), rounded.
fn per_meter(v: f64, unit: ResolutionUnit) -> u32 {
    let v = match unit {
        ResolutionUnit::Inch => v / METERS_PER_INCH,
        ResolutionUnit::Centimeter => v * 100.0,
        ResolutionUnit::None => v,
    };
    let v = v.round();
    if v.is_finite() && v >= 1.0 {
        // Clamped to the u32 range first.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = v.min(f64::from(u32::MAX)) as u32;
        n
    } else {
        1
    }
}

/// Writes a page as a 1-bit grayscale PNG (0 = black, as PNG grayscale has it), with a
/// `pHYs` chunk when the page has a resolution.
///
/// # Errors
/// [`ContainerError::Unsupported`] if the PNG encoder refuses the image (for example a zero
/// size), [`ContainerError::Malformed`] if the data is shorter than the page.
pub fn write_png(page: &Page) -> Result<Vec<u8>, ContainerError> {
    let row_bytes = (page.width() as usize).div_ceil(8);
    let need = row_bytes * page.rows() as usize;
    if page.data().len() < need {
        return Err(ContainerError::malformed(
            FORMAT,
            "page data shorter than its size",
        ));
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, page.width(), page.rows());
    enc.set_color(ColorType::Grayscale);
    enc.set_depth(BitDepth::One);
    enc.set_compression(png::Compression::Best);
    if let Some(r) = page.resolution.filter(Resolution::is_valid) {
        let unit = if r.unit == ResolutionUnit::None {
            Unit::Unspecified
        } else {
            Unit::Meter
        };
        enc.set_pixel_dims(Some(PixelDimensions {
            xppu: per_meter(r.x, r.unit),
            yppu: per_meter(r.y, r.unit),
            unit,
        }));
    }
    let mut pels: Vec<u8> = page.data()[..need].iter().map(|b| !b).collect();
    clear_padding(&mut pels, page.width());
    let mut w = enc.write_header().map_err(encoding_error)?;
    w.write_image_data(&pels).map_err(encoding_error)?;
    w.finish().map_err(encoding_error)?;
    Ok(out)
}

/// Resolution from a `pHYs` chunk: pels per inch (rounded to a whole number when within 0.05),
/// or a bare aspect ratio.
fn resolution(d: PixelDimensions) -> Option<Resolution> {
    if d.xppu == 0 || d.yppu == 0 {
        return None;
    }
    match d.unit {
        Unit::Meter => {
            let dpi = |v: u32| {
                let x = f64::from(v) * METERS_PER_INCH;
                if (x - x.round()).abs() < 0.05 {
                    x.round()
                } else {
                    x
                }
            };
            Some(Resolution::dpi(dpi(d.xppu), dpi(d.yppu)))
        }
        Unit::Unspecified => Some(Resolution {
            x: f64::from(d.xppu),
            y: f64::from(d.yppu),
            unit: ResolutionUnit::None,
        }),
    }
}

/// Reads a PNG as a bi-level page: pels darker than half intensity (after compositing any
/// transparency over white) are black.
///
/// The size is checked against `limits` before the pixels are decoded; non-interlaced images
/// are decoded row by row, so only the bi-level result is held.
///
/// # Errors
/// [`ContainerError::Malformed`] for a broken PNG, [`ContainerError::Limit`] for an image
/// over the limits, [`ContainerError::Unsupported`] for an animated PNG.
pub fn read_png(data: &[u8], limits: &Limits) -> Result<Page, ContainerError> {
    // Bounds what the decoder allocates for ancillary chunks and interlaced images.
    let png_limits = png::Limits {
        bytes: usize::try_from(limits.max_output_bytes)
            .unwrap_or(usize::MAX)
            .saturating_mul(8),
    };
    let mut dec = png::Decoder::new_with_limits(data, png_limits);
    dec.set_transformations(Transformations::normalize_to_color8());
    let (width, height, interlaced, animated) = {
        let info = dec.read_header_info().map_err(png_error)?;
        (
            info.width,
            info.height,
            info.interlaced,
            info.animation_control.is_some(),
        )
    };
    if animated {
        return Err(ContainerError::unsupported(FORMAT, "animated PNG"));
    }
    let size = check_size(width, height, limits)?;
    let mut reader = dec.read_info().map_err(png_error)?;
    let (color, _) = reader.output_color_type();
    let channels = color.samples();
    let row_bytes = (width as usize).div_ceil(8);
    let mut out = alloc::vec![0u8; size];
    let pack = |y: usize, row: &[u8], out: &mut [u8]| {
        let dst = &mut out[y * row_bytes..(y + 1) * row_bytes];
        for (x, px) in row.chunks_exact(channels).enumerate().take(width as usize) {
            let (luma, alpha) = match *px {
                [g] => (u32::from(g), 255),
                [g, a] => (u32::from(g), u32::from(a)),
                [r, g, b] => (
                    (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000,
                    255,
                ),
                [r, g, b, a] => (
                    (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000,
                    u32::from(a),
                ),
                _ => (255, 255),
            };
            let shown = (luma * alpha + 255 * (255 - alpha)) / 255;
            if shown < 128 {
                dst[x / 8] |= 0x80 >> (x % 8);
            }
        }
    };
    if interlaced {
        let buf_size = reader.output_buffer_size();
        if buf_size as u64 > limits.max_output_bytes.saturating_mul(8) {
            return Err(ContainerError::Limit(Limit::OutputBytes));
        }
        let mut buf = alloc::vec![0u8; buf_size];
        let frame = reader.next_frame(&mut buf).map_err(png_error)?;
        let line = frame.line_size;
        for y in 0..height as usize {
            let row = buf.get(y * line..(y + 1) * line).unwrap_or(&[]);
            pack(y, row, &mut out);
        }
    } else {
        let mut y = 0usize;
        while let Some(row) = reader.next_row().map_err(png_error)? {
            if y >= height as usize {
                break;
            }
            pack(y, row.data(), &mut out);
            y += 1;
        }
    }
    let image = Image {
        columns: width,
        rows: height,
        black_is_1: true,
        data: out,
        ..Image::default()
    };
    let info = PageInfo {
        format: FileFormat::Png,
        strips: 1,
        ..PageInfo::default()
    };
    let resolution = reader.info().pixel_dims.and_then(resolution);
    Ok(Page {
        image,
        resolution,
        info,
    })
}
