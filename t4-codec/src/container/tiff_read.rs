//! TIFF reading: the `tiff` crate parses the file structure and tags, the strips' raw bytes
//! are decoded by this crate.

use super::{
    check_size, clear_padding, ContainerError, FileFormat, Page, PageInfo, Resolution,
    ResolutionUnit,
};
use crate::bits::reverse_bits_in_place;
use crate::decoder::{Decoder, Progress};
use crate::image::Image;
use crate::limits::{Limit, Limits};
use crate::params::{FillOrder, Params, TiffFaxTags};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::collections::HashSet;
use tiff::decoder::ifd::Value;
use tiff::decoder::{Decoder as TiffDecoder, IfdDecoder};
use tiff::tags::{IfdPointer, Tag};
use tiff::TiffError;

const FORMAT: &str = "TIFF";

/// Options for reading files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Limits for every page (columns, rows, damaged rows, buffering); `max_output_bytes`
    /// bounds each page and, in [`read_tiff`], all pages together.
    pub limits: Limits,
    /// Fail on damaged coded data and on structural faults (missing strips, strips past the
    /// end of the file) instead of concealing them. Default: lenient, like libtiff.
    pub strict: bool,
    /// Most pages (IFDs) read from one file. Default 10,000.
    pub max_pages: u32,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            limits: Limits::default(),
            strict: false,
            max_pages: 10_000,
        }
    }
}

/// Where a page's data is and how it is stored.
#[derive(Clone, Debug, Default)]
struct Layout {
    width: u32,
    height: u32,
    bits_per_sample: u16,
    samples: u16,
    compression: u16,
    photometric: u16,
    fill_order: FillOrder,
    t4_options: u32,
    t6_options: u32,
    rows_per_strip: u32,
    /// Where the directory is (its strip tables are read when the page is decoded).
    ifd: u64,
    tiled: bool,
}

/// Where the strips of a page are.
struct StripTables {
    offsets: Vec<u64>,
    counts: Option<Vec<u64>>,
}

/// One IFD as parsed: what `info` shows, and the layout (or why it is unusable).
#[derive(Clone, Debug)]
struct Directory {
    info: PageInfo,
    resolution: Option<Resolution>,
    layout: Result<Layout, ContainerError>,
}

/// A TIFF file held in memory, its directories parsed, its pages decoded on request.
///
/// ```no_run
/// use t4_codec::container::{ReadOptions, TiffReader};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let data = std::fs::read("fax.tif")?;
/// let reader = TiffReader::new(&data, ReadOptions::default())?;
/// for i in 0..reader.page_count() {
///     let page = reader.read_page(i)?;
///     println!("{} x {}, {} bad rows", page.width(), page.rows(), page.image.bad_rows);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TiffReader<'a> {
    data: &'a [u8],
    little_endian: bool,
    bigtiff: bool,
    options: ReadOptions,
    dirs: Vec<Directory>,
    warnings: Vec<String>,
}

fn tiff_error(e: TiffError) -> ContainerError {
    match e {
        TiffError::LimitsExceeded => ContainerError::Limit(Limit::BufferedBytes),
        TiffError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ContainerError::malformed(FORMAT, "the file is truncated")
        }
        TiffError::UnsupportedError(e) => ContainerError::unsupported(FORMAT, e.to_string()),
        e => ContainerError::malformed(FORMAT, e.to_string()),
    }
}

/// An unsigned value, or the first of a list of them.
fn uint(v: Value) -> Option<u64> {
    match v {
        Value::List(list) => list.into_iter().next().and_then(uint),
        v => v.into_u64().ok(),
    }
}

/// A resolution value.
fn real(v: Value) -> Option<f64> {
    match v {
        Value::Rational(n, d) if d != 0 => Some(f64::from(n) / f64::from(d)),
        #[allow(clippy::cast_precision_loss)]
        Value::RationalBig(n, d) if d != 0 => Some(n as f64 / d as f64),
        Value::Float(f) => Some(f64::from(f)),
        Value::Double(f) => Some(f),
        Value::List(list) => list.into_iter().next().and_then(real),
        #[allow(clippy::cast_precision_loss)]
        v => v.into_u64().ok().map(|u| u as f64),
    }
}

/// Reads the tags of one directory. Only the tags that describe the image data are read.
struct Tags<'t, 'd> {
    t: IfdDecoder<'t>,
    warnings: &'d mut Vec<String>,
}

impl Tags<'_, '_> {
    fn value(&mut self, tag: u16, name: &str) -> Option<Value> {
        match self.t.find_tag(Tag::from_u16_exhaustive(tag)) {
            Ok(v) => v,
            Err(e) => {
                self.warnings
                    .push(format!("tag {name} unreadable ({e}), ignored"));
                None
            }
        }
    }

    fn uint<T: TryFrom<u64>>(&mut self, tag: u16, name: &str) -> Option<T> {
        let v = self.value(tag, name)?;
        match uint(v).and_then(|u| T::try_from(u).ok()) {
            Some(v) => Some(v),
            None => {
                self.warnings
                    .push(format!("tag {name} has an unusable value, ignored"));
                None
            }
        }
    }
}

/// An array of offsets or sizes.
fn uints(t: &mut IfdDecoder<'_>, tag: u16, name: &str) -> Result<Option<Vec<u64>>, ContainerError> {
    match t.find_tag(Tag::from_u16_exhaustive(tag)) {
        Ok(None) => Ok(None),
        Ok(Some(v)) => v.into_u64_vec().map(Some).map_err(|_| {
            ContainerError::malformed(FORMAT, format!("{name} holds no offsets or sizes"))
        }),
        Err(e) => Err(tiff_error(e)),
    }
}

/// A `tiff` crate decoder over `data` (see [`View`]), ready for `read_directory`.
fn open_decoder<'a>(
    data: &'a [u8],
    little_endian: bool,
    bigtiff: bool,
    limits: &Limits,
) -> Result<TiffDecoder<View<'a>>, ContainerError> {
    let mut tiff_limits = tiff::decoder::Limits::default();
    // Enough for a strip per row of the tallest page allowed.
    tiff_limits.ifd_value_size = tiff_limits
        .ifd_value_size
        .max(usize::try_from(u64::from(limits.max_rows) * 8).unwrap_or(usize::MAX));
    let view = View::new(data, little_endian, bigtiff);
    let mut dec = TiffDecoder::new(view)
        .map_err(tiff_error)?
        .with_limits(tiff_limits);
    dec.inner().patched = false;
    Ok(dec)
}

fn parse_directory(
    tags: &mut Tags<'_, '_>,
    ifd: u64,
    tiled: bool,
) -> (PageInfo, Option<Resolution>, Result<Layout, ContainerError>) {
    let mut info = PageInfo {
        format: FileFormat::Tiff,
        ..PageInfo::default()
    };
    info.subfile_type = tags.uint(254, "NewSubfileType");
    info.orientation = tags.uint(274, "Orientation");
    info.page_number = tags.value(297, "PageNumber").and_then(|v| match v {
        Value::List(l) if l.len() == 2 => {
            let mut it = l.into_iter().map(|v| v.into_u16().ok());
            match (it.next().flatten(), it.next().flatten()) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            }
        }
        _ => None,
    });
    info.tag_bad_rows = tags.uint(326, "BadFaxLines");
    info.tag_clean_fax_data = tags.uint(327, "CleanFaxData");
    info.tag_consecutive_bad_rows = tags.uint(328, "ConsecutiveBadFaxLines");

    let x = tags.value(282, "XResolution").and_then(real);
    let y = tags.value(283, "YResolution").and_then(real);
    let unit = match tags.uint::<u16>(296, "ResolutionUnit") {
        None | Some(2) => ResolutionUnit::Inch,
        Some(1) => ResolutionUnit::None,
        Some(3) => ResolutionUnit::Centimeter,
        Some(u) => {
            tags.warnings
                .push(format!("unknown ResolutionUnit {u}, taken as inches"));
            ResolutionUnit::Inch
        }
    };
    let resolution = match (x, y) {
        (Some(x), Some(y)) => Some(Resolution { x, y, unit }),
        (Some(v), None) | (None, Some(v)) => Some(Resolution { x: v, y: v, unit }),
        (None, None) => None,
    }
    .filter(Resolution::is_valid);

    let compression = tags.uint::<u16>(259, "Compression").unwrap_or(1);
    info.compression = Some(compression);
    let t4 = tags.uint::<u32>(292, "T4Options");
    let t6 = tags.uint::<u32>(293, "T6Options");
    info.t4_options = t4;
    info.t6_options = t6;
    let photometric = match tags.uint::<u16>(262, "PhotometricInterpretation") {
        Some(p) => p,
        None => {
            tags.warnings
                .push("no PhotometricInterpretation, taken as min-is-white".into());
            0
        }
    };
    info.photometric = Some(photometric);
    let fill_order = match tags.uint::<u16>(266, "FillOrder") {
        None | Some(1) => FillOrder::MsbFirst,
        Some(2) => FillOrder::LsbFirst,
        Some(f) => {
            tags.warnings
                .push(format!("unknown FillOrder {f}, taken as 1"));
            FillOrder::MsbFirst
        }
    };
    info.fill_order = fill_order;
    let rows_per_strip = tags.uint::<u32>(278, "RowsPerStrip");
    info.rows_per_strip = rows_per_strip;

    let layout = (|| {
        let width = tags
            .uint::<u32>(256, "ImageWidth")
            .ok_or_else(|| ContainerError::malformed(FORMAT, "no usable ImageWidth"))?;
        let height = tags
            .uint::<u32>(257, "ImageLength")
            .ok_or_else(|| ContainerError::malformed(FORMAT, "no usable ImageLength"))?;
        if width == 0 || height == 0 {
            return Err(ContainerError::malformed(FORMAT, "zero width or height"));
        }
        let rows_per_strip = match rows_per_strip {
            Some(r) if r > 0 => r.min(height),
            _ => height,
        };
        Ok(Layout {
            width,
            height,
            bits_per_sample: tags.uint(258, "BitsPerSample").unwrap_or(1),
            samples: tags.uint(277, "SamplesPerPixel").unwrap_or(1),
            compression,
            photometric,
            fill_order,
            t4_options: t4.unwrap_or(0),
            t6_options: t6.unwrap_or(0),
            rows_per_strip,
            ifd,
            tiled,
        })
    })();
    if let Ok(l) = &layout {
        info.strips = l.height.div_ceil(l.rows_per_strip);
        if matches!(compression, 2 | 3 | 4 | 32771) {
            info.params = Params::from_tiff(&l.fax_tags(l.height)).ok();
        }
    }
    (info, resolution, layout)
}

impl Layout {
    fn fax_tags(&self, rows: u32) -> TiffFaxTags {
        let mut t = TiffFaxTags::new(self.compression, self.width, rows);
        t.t4_options = self.t4_options;
        t.t6_options = self.t6_options;
        t.fill_order = match self.fill_order {
            FillOrder::MsbFirst => 1,
            FillOrder::LsbFirst => 2,
        };
        t.photometric = self.photometric;
        t
    }
}

/// A read-only view of a TIFF file for the `tiff` crate's decoder: the header's first-IFD
/// pointer is replaced by one to a minimal valid directory placed after the data.
///
/// `tiff::decoder::Decoder::new` validates the first image strictly (strip counts,
/// `PhotometricInterpretation`, `StripByteCounts`), which would make a lenient reading of
/// page 1 impossible. With this view it validates the stand-in directory instead, and every
/// real directory is read with `read_directory`, which parses without judging, so all pages get
/// the same lenient checks of this module. Offsets into the real data are unchanged.
struct View<'a> {
    data: &'a [u8],
    /// Bytes replacing the start of `data` (the header with the pointer changed).
    header: Vec<u8>,
    /// Where the stand-in directory starts (after `data`, word-aligned).
    tail_at: u64,
    tail: Vec<u8>,
    /// The stand-in directory and the patched header are visible (only while the decoder is
    /// being created); afterwards the view is exactly the file.
    patched: bool,
    pos: u64,
}

/// The file's byte order, BigTIFF flag and first-IFD offset, from its header.
fn parse_header(data: &[u8]) -> Result<(bool, bool, u64), ContainerError> {
    let not_tiff = || ContainerError::malformed(FORMAT, "not a TIFF file (bad header)");
    let little = match data.get(..2) {
        Some(b"II") => true,
        Some(b"MM") => false,
        _ => return Err(not_tiff()),
    };
    let u16_at = |i: usize| -> Option<u16> {
        let b: [u8; 2] = data.get(i..i + 2)?.try_into().ok()?;
        Some(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    match u16_at(2).ok_or_else(not_tiff)? {
        42 => {
            let b: [u8; 4] = data
                .get(4..8)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(not_tiff)?;
            let v = if little {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            };
            Ok((little, false, u64::from(v)))
        }
        43 => {
            if u16_at(4) != Some(8) || u16_at(6) != Some(0) {
                return Err(not_tiff());
            }
            let b: [u8; 8] = data
                .get(8..16)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(not_tiff)?;
            let v = if little {
                u64::from_le_bytes(b)
            } else {
                u64::from_be_bytes(b)
            };
            Ok((little, true, v))
        }
        _ => Err(not_tiff()),
    }
}

impl<'a> View<'a> {
    fn new(data: &'a [u8], little: bool, big: bool) -> View<'a> {
        let tail_at = (data.len() as u64 + 1) & !1;
        let mut header = data[..if big { 16 } else { 8 }].to_vec();
        let mut tail = Vec::new();
        let put = |out: &mut Vec<u8>, v: u64, n: usize| {
            let b = if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            };
            if little {
                out.extend_from_slice(&b[..n]);
            } else {
                out.extend_from_slice(&b[8 - n..]);
            }
        };
        // A 1 x 1 uncompressed min-is-white image: width, length, photometric, strip offset,
        // strip byte count; no next directory.
        let entries: [(u16, u16, u64); 5] = [
            (256, 3, 1),
            (257, 3, 1),
            (262, 3, 0),
            (273, 4, 0),
            (279, 4, 1),
        ];
        if big {
            let ptr = if little {
                tail_at.to_le_bytes()
            } else {
                tail_at.to_be_bytes()
            };
            header[8..16].copy_from_slice(&ptr);
            put(&mut tail, entries.len() as u64, 8);
            for (tag, ty, v) in entries {
                put(&mut tail, u64::from(tag), 2);
                put(&mut tail, u64::from(ty), 2);
                put(&mut tail, 1, 8);
                let mut value = Vec::new();
                put(&mut value, v, if ty == 3 { 2 } else { 4 });
                value.resize(8, 0);
                tail.extend_from_slice(&value);
            }
            put(&mut tail, 0, 8);
        } else {
            // `TiffReader::new` refuses classic files too large for a 32-bit pointer here.
            let at = u32::try_from(tail_at).unwrap_or(u32::MAX);
            let ptr = if little {
                at.to_le_bytes()
            } else {
                at.to_be_bytes()
            };
            header[4..8].copy_from_slice(&ptr);
            put(&mut tail, entries.len() as u64, 2);
            for (tag, ty, v) in entries {
                put(&mut tail, u64::from(tag), 2);
                put(&mut tail, u64::from(ty), 2);
                put(&mut tail, 1, 4);
                let mut value = Vec::new();
                put(&mut value, v, if ty == 3 { 2 } else { 4 });
                value.resize(4, 0);
                tail.extend_from_slice(&value);
            }
            put(&mut tail, 0, 4);
        }
        View {
            data,
            header,
            tail_at,
            tail,
            patched: true,
            pos: 0,
        }
    }

    fn len(&self) -> u64 {
        if self.patched {
            self.tail_at + self.tail.len() as u64
        } else {
            self.data.len() as u64
        }
    }
}

impl std::io::Read for View<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let pos = self.pos;
        let data_len = self.data.len() as u64;
        // Each source is in memory, so its indexes fit in usize.
        #[allow(clippy::cast_possible_truncation)]
        let src: &[u8] = if self.patched && pos < self.header.len() as u64 {
            &self.header[pos as usize..]
        } else if pos < data_len {
            &self.data[pos as usize..]
        } else if pos < self.tail_at {
            &[0]
        } else if pos < self.len() {
            &self.tail[(pos - self.tail_at) as usize..]
        } else {
            &[]
        };
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for View<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let new = match to {
            std::io::SeekFrom::Start(p) => Some(p),
            std::io::SeekFrom::End(d) => self.len().checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before start")
        })?;
        Ok(self.pos)
    }
}

impl<'a> TiffReader<'a> {
    /// Parses the file structure: every IFD, in order (pages are not decoded yet).
    ///
    /// Lenient by default: a broken link to a further IFD ends the page list with a warning
    /// ([`warnings`](Self::warnings)), as libtiff does; in strict mode it is an error.
    ///
    /// # Errors
    /// [`ContainerError::Malformed`] if this is not a TIFF file or its first IFD is unusable;
    /// [`ContainerError::TooManyPages`] beyond [`ReadOptions::max_pages`].
    pub fn new(data: &'a [u8], options: ReadOptions) -> Result<TiffReader<'a>, ContainerError> {
        let (little, big, first) = parse_header(data)?;
        if !big && data.len() as u64 >= u64::from(u32::MAX) - 64 {
            return Err(ContainerError::unsupported(
                FORMAT,
                "a classic TIFF file over 4 GiB",
            ));
        }
        let mut dec = open_decoder(data, little, big, &options.limits)?;
        let mut next = (first != 0).then_some(IfdPointer(first));
        let mut seen = HashSet::new();
        let mut dirs = Vec::new();
        let mut warnings = Vec::new();
        while let Some(IfdPointer(ptr)) = next {
            if !seen.insert(ptr) {
                if options.strict {
                    return Err(ContainerError::malformed(FORMAT, "the IFD chain loops"));
                }
                warnings.push("the IFD chain loops; stopped there".to_string());
                break;
            }
            if dirs.len() >= options.max_pages as usize {
                return Err(ContainerError::TooManyPages(options.max_pages));
            }
            let dir = match dec.read_directory(IfdPointer(ptr)) {
                Ok(d) => d,
                Err(e) if !options.strict && !dirs.is_empty() => {
                    warnings.push(format!(
                        "IFD {} unreadable ({e}); pages after it ignored",
                        dirs.len() + 1
                    ));
                    break;
                }
                Err(e) => return Err(tiff_error(e)),
            };
            next = dir.next();
            let tiled = dir.contains(Tag::TileOffsets) || dir.contains(Tag::TileWidth);
            let mut dir_warnings = Vec::new();
            let mut tags = Tags {
                t: dec.read_directory_tags(&dir),
                warnings: &mut dir_warnings,
            };
            let (mut info, resolution, layout) = parse_directory(&mut tags, ptr, tiled);
            info.warnings = dir_warnings;
            dirs.push(Directory {
                info,
                resolution,
                layout,
            });
        }
        if dirs.is_empty() {
            return Err(ContainerError::malformed(FORMAT, "no image directory"));
        }
        Ok(TiffReader {
            data,
            little_endian: little,
            bigtiff: big,
            options,
            dirs,
            warnings,
        })
    }

    /// Number of pages (IFDs).
    pub fn page_count(&self) -> usize {
        self.dirs.len()
    }

    /// How page `index` (from 0) is stored, without decoding it.
    pub fn page_info(&self, index: usize) -> Option<&PageInfo> {
        self.dirs.get(index).map(|d| &d.info)
    }

    /// Width and height of page `index` (from 0), if its directory gives them.
    pub fn dimensions(&self, index: usize) -> Option<(u32, u32)> {
        let l = self.dirs.get(index)?.layout.as_ref().ok()?;
        Some((l.width, l.height))
    }

    /// Resolution of page `index` (from 0), if its directory gives one.
    pub fn resolution(&self, index: usize) -> Option<Resolution> {
        self.dirs.get(index)?.resolution
    }

    /// Problems with the file structure that were worked around.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Decodes page `index` (from 0).
    ///
    /// Every strip is decoded with its own row count and the rows are concatenated. Data that
    /// is damaged or missing is concealed (and counted in the image's `bad_rows`) unless
    /// [`ReadOptions::strict`] is set. The declared size is checked against the limits before
    /// anything is allocated.
    ///
    /// # Errors
    /// [`ContainerError::Unsupported`] for what is not bi-level image data (or tiles);
    /// [`ContainerError::Malformed`] for unusable tags; [`ContainerError::Limit`] for a
    /// page over the limits; [`ContainerError::Decode`] for coded data that cannot be
    /// decoded (always in strict mode, only for limits in lenient mode).
    ///
    /// # Panics
    /// Never; an `index` out of range is an error.
    pub fn read_page(&self, index: usize) -> Result<Page, ContainerError> {
        let dir = self.dirs.get(index).ok_or_else(|| {
            ContainerError::malformed(FORMAT, format!("there is no page {}", index + 1))
        })?;
        let layout = dir.layout.as_ref().map_err(Clone::clone)?;
        let mut info = dir.info.clone();
        let strict = self.options.strict;
        if layout.tiled {
            return Err(ContainerError::unsupported(FORMAT, "tiled images"));
        }
        let coded = match layout.compression {
            1 => false,
            2 | 3 | 4 | 32771 => true,
            c => {
                return Err(ContainerError::unsupported(
                    FORMAT,
                    format!("compression {c} (only 1, 2, 3, 4 and 32771 hold bi-level images)"),
                ))
            }
        };
        if layout.bits_per_sample != 1 || layout.samples != 1 {
            return Err(ContainerError::unsupported(
                FORMAT,
                format!(
                    "{} samples of {} bits per pel (only bi-level images)",
                    layout.samples, layout.bits_per_sample
                ),
            ));
        }
        if layout.photometric > 1 {
            return Err(ContainerError::unsupported(
                FORMAT,
                format!(
                    "PhotometricInterpretation {} (only 0 and 1)",
                    layout.photometric
                ),
            ));
        }
        let size = check_size(layout.width, layout.height, &self.options.limits)?;
        let tables = self.strip_tables(layout.ifd)?;
        let row_bytes = (layout.width as usize).div_ceil(8);
        let mut data = Vec::with_capacity(size);
        let mut bad_rows = 0u32;
        let mut max_consecutive = 0u32;
        let strips = layout.height.div_ceil(layout.rows_per_strip);
        if tables.offsets.len() < strips as usize {
            let msg = format!(
                "{} strips declared, {} needed",
                tables.offsets.len(),
                strips
            );
            if strict {
                return Err(ContainerError::malformed(FORMAT, msg));
            }
            info.warnings
                .push(format!("{msg}; the missing rows are white"));
        }
        if tables.counts.is_none() {
            if strict {
                return Err(ContainerError::malformed(FORMAT, "no StripByteCounts"));
            }
            info.warnings
                .push("no StripByteCounts; strips read to the end of the file".into());
        }
        for s in 0..strips {
            let first_row = s * layout.rows_per_strip;
            let rows = layout.rows_per_strip.min(layout.height - first_row);
            let strip = self.strip_bytes(&tables, s as usize, strict, &mut info.warnings)?;
            let before = data.len();
            let (good_rows, strip_bad, strip_consecutive) = match strip {
                None => (0, 0, 0),
                Some(bytes) if coded => self.decode_strip(
                    layout,
                    bytes,
                    rows,
                    index,
                    s as usize,
                    &mut data,
                    &mut info.warnings,
                )?,
                Some(bytes) => {
                    let n = (bytes.len() / row_bytes.max(1)).min(rows as usize);
                    let start = data.len();
                    data.extend_from_slice(&bytes[..n * row_bytes]);
                    let rows_here = &mut data[start..];
                    if layout.fill_order == FillOrder::LsbFirst {
                        reverse_bits_in_place(rows_here);
                    }
                    if layout.photometric == 1 {
                        rows_here.iter_mut().for_each(|b| *b = !*b);
                    }
                    if n < rows as usize {
                        let msg = format!("strip {} holds {n} of its {rows} rows", s + 1);
                        if strict {
                            return Err(ContainerError::malformed(FORMAT, msg));
                        }
                        info.warnings
                            .push(format!("{msg}; the missing rows are white"));
                    }
                    // `n <= rows`, a u32.
                    #[allow(clippy::cast_possible_truncation)]
                    let n = n as u32;
                    (n, 0, 0)
                }
            };
            // Rows the strip did not give are white and damaged.
            let missing = rows - good_rows;
            data.resize(before + rows as usize * row_bytes, 0);
            bad_rows = bad_rows.saturating_add(strip_bad).saturating_add(missing);
            max_consecutive = max_consecutive.max(strip_consecutive).max(missing);
        }
        clear_padding(&mut data, layout.width);
        let image = Image {
            columns: layout.width,
            rows: layout.height,
            black_is_1: true,
            data,
            bad_rows,
            max_consecutive_bad_rows: max_consecutive,
        };
        Ok(Page {
            image,
            resolution: dir.resolution,
            info,
        })
    }

    /// The page's `StripOffsets` and `StripByteCounts`, read from its directory.
    fn strip_tables(&self, ifd: u64) -> Result<StripTables, ContainerError> {
        let mut dec = open_decoder(
            self.data,
            self.little_endian,
            self.bigtiff,
            &self.options.limits,
        )?;
        let dir = dec.read_directory(IfdPointer(ifd)).map_err(tiff_error)?;
        let mut t = dec.read_directory_tags(&dir);
        let offsets = uints(&mut t, 273, "StripOffsets")?.unwrap_or_default();
        let counts = uints(&mut t, 279, "StripByteCounts")?;
        Ok(StripTables { offsets, counts })
    }

    /// The bytes of strip `s`, clipped to the file (`None` if the strip is missing).
    fn strip_bytes(
        &self,
        tables: &StripTables,
        s: usize,
        strict: bool,
        warnings: &mut Vec<String>,
    ) -> Result<Option<&'a [u8]>, ContainerError> {
        let Some(&offset) = tables.offsets.get(s) else {
            return Ok(None);
        };
        let len = self.data.len() as u64;
        let count = tables.counts.as_ref().and_then(|c| c.get(s).copied());
        if count.is_none() && tables.counts.is_some() {
            let msg = format!("strip {} has no StripByteCounts entry", s + 1);
            if strict {
                return Err(ContainerError::malformed(FORMAT, msg));
            }
            warnings.push(format!("{msg}; read to the end of the file"));
        }
        let end = count.map_or(len, |c| offset.saturating_add(c));
        if offset > len || end > len {
            let msg = format!("strip {} extends past the end of the file", s + 1);
            if strict {
                return Err(ContainerError::malformed(FORMAT, msg));
            }
            warnings.push(format!("{msg}; truncated"));
        }
        let (start, end) = (offset.min(len), end.min(len));
        // Both are at most the length of the data, a usize.
        #[allow(clippy::cast_possible_truncation)]
        Ok(Some(&self.data[start as usize..end.max(start) as usize]))
    }

    /// Decodes one coded strip of `rows` rows onto `out`; returns (rows decoded, bad rows,
    /// longest run of bad rows).
    #[allow(clippy::too_many_arguments)]
    fn decode_strip(
        &self,
        layout: &Layout,
        bytes: &[u8],
        rows: u32,
        page: usize,
        strip: usize,
        out: &mut Vec<u8>,
        warnings: &mut Vec<String>,
    ) -> Result<(u32, u32, u32), ContainerError> {
        let params = Params::from_tiff(&layout.fax_tags(rows))
            .map_err(|e| ContainerError::unsupported(FORMAT, format!("page {}: {e}", page + 1)))?;
        // The decoder delivers "black is 1" for min-is-white and "black is 0" for
        // min-is-black (`Params::from_tiff`). In both cases the bits are those a TIFF reader
        // shows with 1 = black: libtiff always decodes coded black runs as 1 bits and then
        // applies the photometric interpretation, so a min-is-black fax page shows inverted.
        let row_bytes = params.row_bytes();
        let decode_error = |error| ContainerError::Decode {
            page: page + 1,
            strip: strip + 1,
            error,
        };
        let mut dec = Decoder::with_limits(params, self.options.limits).map_err(decode_error)?;
        dec.set_strict(self.options.strict);
        // Rows go straight into the page: no image per strip to copy.
        let start = out.len();
        let mut input = bytes;
        let mut got = 0u32;
        while got < rows {
            match dec.update(input) {
                Ok((used, progress)) => {
                    input = &input[used..];
                    match progress {
                        Progress::Row(_) => {
                            let at = out.len();
                            out.resize(at + row_bytes, 0);
                            dec.write_row(&mut out[at..]);
                            got += 1;
                        }
                        Progress::NeedInput => dec.end_input(),
                        Progress::End => break,
                    }
                }
                Err(e) if self.options.strict || e.is_limit() => return Err(decode_error(e)),
                Err(e) => {
                    warnings.push(format!(
                        "strip {}: {e}; {} rows after row {got} are white",
                        strip + 1,
                        rows - got
                    ));
                    break;
                }
            }
        }
        debug_assert_eq!(out.len(), start + got as usize * row_bytes);
        if got < rows && !self.options.strict {
            // Ended early (RTC / EOFB before the declared rows).
            warnings.push(format!(
                "strip {} ends after {got} of its {rows} rows",
                strip + 1
            ));
        } else if got < rows {
            return Err(ContainerError::Decode {
                page: page + 1,
                strip: strip + 1,
                error: crate::DecodeError {
                    kind: crate::DecodeErrorKind::Truncated,
                    rows: got,
                    bit: 0,
                },
            });
        }
        Ok((got, dec.bad_rows(), dec.max_consecutive_bad_rows()))
    }
}

/// Reads and decodes every page of a TIFF file (see [`TiffReader`]).
///
/// # Errors
/// As [`TiffReader::new`] and [`TiffReader::read_page`]; also
/// [`ContainerError::Limit`] if all pages together exceed `limits.max_output_bytes`.
pub fn read_tiff(data: &[u8], options: &ReadOptions) -> Result<Vec<Page>, ContainerError> {
    let reader = TiffReader::new(data, *options)?;
    let mut total = 0u64;
    let mut pages = Vec::new();
    for i in 0..reader.page_count() {
        if let Some((w, h)) = reader.dimensions(i) {
            total = total.saturating_add(u64::from(w).div_ceil(8) * u64::from(h));
            if total > options.limits.max_output_bytes {
                return Err(ContainerError::Limit(Limit::OutputBytes));
            }
        }
        pages.push(reader.read_page(i)?);
    }
    if let Some(last) = pages.last_mut() {
        last.info.warnings.extend(reader.warnings().iter().cloned());
    }
    Ok(pages)
}
