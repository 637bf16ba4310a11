//! Whole-strip helpers: libtiff compresses, decompresses, wraps and unwraps one image.

use crate::error::Error;
use crate::ffi;
use crate::handle::{Handle, Mode};
use crate::scheme::LibtiffScheme;

/// A bi-level image as libtiff decoded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bitmap {
    /// `ImageWidth`.
    pub width: u32,
    /// `ImageLength`.
    pub rows: u32,
    /// `PhotometricInterpretation` (0 min-is-white: 1 bits are black).
    pub photometric: u16,
    /// Packed rows, `ceil(width / 8)` bytes each, first pel in the most significant bit.
    pub data: Vec<u8>,
    /// libtiff's warnings while decoding (`module: format`), e.g. a fax row of the wrong
    /// length: damage libtiff repaired rather than failed on.
    pub warnings: Vec<String>,
}

/// Bytes per packed row.
pub(crate) fn row_bytes(width: u32) -> usize {
    (width as usize).div_ceil(8)
}

/// Checks the size of a packed image and returns its byte length.
pub(crate) fn image_bytes(width: u32, rows: u32) -> Result<usize, Error> {
    if width == 0 || rows == 0 {
        return Err(Error::Size("width and rows must be at least 1"));
    }
    row_bytes(width)
        .checked_mul(rows as usize)
        .ok_or(Error::Size("image too large"))
}

/// Opens a new in-memory TIFF with one strip of `rows` rows, min-is-white, FillOrder 1,
/// tagged like `like`'s files (the YResolution selects libtiff's MR K) and coded with it, or
/// uncompressed if `compress` is false.
pub(crate) fn new_file(
    like: LibtiffScheme,
    compress: bool,
    width: u32,
    rows: u32,
) -> Result<Handle, Error> {
    image_bytes(width, rows)?;
    let mut h = Handle::open(Vec::new(), Mode::Write)?;
    h.set_u32(ffi::TAG_IMAGEWIDTH, width)?;
    h.set_u32(ffi::TAG_IMAGELENGTH, rows)?;
    h.set_u16(ffi::TAG_BITSPERSAMPLE, 1)?;
    h.set_u16(ffi::TAG_SAMPLESPERPIXEL, 1)?;
    h.set_u16(ffi::TAG_PHOTOMETRIC, ffi::PHOTOMETRIC_MINISWHITE)?;
    h.set_u16(ffi::TAG_FILLORDER, ffi::FILLORDER_MSB2LSB)?;
    h.set_u16(ffi::TAG_PLANARCONFIG, ffi::PLANARCONFIG_CONTIG)?;
    h.set_u32(ffi::TAG_ROWSPERSTRIP, rows)?;
    h.set_u16(ffi::TAG_RESOLUTIONUNIT, ffi::RESUNIT_INCH)?;
    h.set_float(ffi::TAG_XRESOLUTION, 204.0)?;
    h.set_float(ffi::TAG_YRESOLUTION, like.y_resolution())?;
    if !compress {
        h.set_u16(ffi::TAG_COMPRESSION, ffi::COMPRESSION_NONE)?;
    } else if like.compression() == 3 {
        // The codec's own tags exist only once Compression has selected the codec.
        h.set_u16(ffi::TAG_COMPRESSION, 3)?;
        h.set_u32(ffi::TAG_GROUP3OPTIONS, like.group3_options())?;
    } else {
        h.set_u16(ffi::TAG_COMPRESSION, like.compression())?;
        h.set_u32(ffi::TAG_GROUP4OPTIONS, 0)?;
    }
    Ok(h)
}

/// Writes a one-strip TIFF of `packed` rows through libtiff.
fn write_file(
    like: LibtiffScheme,
    compress: bool,
    width: u32,
    rows: u32,
    packed: &[u8],
) -> Result<Vec<u8>, Error> {
    if packed.len() != image_bytes(width, rows)? {
        return Err(Error::Size(
            "pixel buffer is not rows x ceil(width / 8) bytes",
        ));
    }
    let mut h = new_file(like, compress, width, rows)?;
    h.write_encoded_strip(0, &mut packed.to_vec())?;
    h.close()
}

/// A complete TIFF file holding `packed` rows (1 = black) in one strip, compressed by libtiff
/// with `scheme`.
///
/// # Errors
/// [`Error::Size`] if `packed` is not `rows` rows of `width` pels; [`Error::Libtiff`] if
/// libtiff fails.
pub fn write_tiff(
    scheme: LibtiffScheme,
    width: u32,
    rows: u32,
    packed: &[u8],
) -> Result<Vec<u8>, Error> {
    write_file(scheme, true, width, rows, packed)
}

/// A TIFF file holding `packed` rows uncompressed, with the same tags as `like`'s files
/// otherwise (`tiffcmp` compares the resolution too).
///
/// # Errors
/// As [`write_tiff`].
pub fn write_uncompressed(
    like: LibtiffScheme,
    width: u32,
    rows: u32,
    packed: &[u8],
) -> Result<Vec<u8>, Error> {
    write_file(like, false, width, rows, packed)
}

/// A complete TIFF file whose one strip is the given coded bytes, as `scheme` describes them.
///
/// # Errors
/// [`Error::Size`] for a zero width or height; [`Error::Libtiff`] if libtiff fails.
pub fn wrap_raw_strip(
    scheme: LibtiffScheme,
    width: u32,
    rows: u32,
    raw: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut h = new_file(scheme, true, width, rows)?;
    h.write_raw_strip(0, raw)?;
    h.close()
}

/// The coded bytes of every strip of the first image of a TIFF file.
///
/// # Errors
/// [`Error::Libtiff`] if libtiff cannot read the file.
pub fn raw_strips(file: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let mut h = Handle::open(file.to_vec(), Mode::Read)?;
    (0..h.strips()).map(|s| h.read_raw_strip(s)).collect()
}

/// Decodes the first image of a bi-level TIFF file with libtiff, strip by strip.
///
/// # Errors
/// [`Error::Size`] if the image is not one sample of one bit; [`Error::Libtiff`] if libtiff
/// fails on any strip (damaged data included).
pub fn read_tiff(file: &[u8]) -> Result<Bitmap, Error> {
    let mut h = Handle::open(file.to_vec(), Mode::Read)?;
    let width = h.get_u32(ffi::TAG_IMAGEWIDTH)?;
    let rows = h.get_u32(ffi::TAG_IMAGELENGTH)?;
    let rows_per_strip = h.get_u32(ffi::TAG_ROWSPERSTRIP)?.clamp(1, rows.max(1));
    let photometric = h.get_u16(ffi::TAG_PHOTOMETRIC)?;
    if h.get_u16(ffi::TAG_BITSPERSAMPLE)? != 1 || h.get_u16(ffi::TAG_SAMPLESPERPIXEL)? != 1 {
        return Err(Error::Size("not a bi-level image"));
    }
    let mut data = vec![0u8; image_bytes(width, rows)?];
    let strip_bytes = row_bytes(width) * rows_per_strip as usize;
    for (strip, chunk) in (0u32..).zip(data.chunks_mut(strip_bytes)) {
        h.read_encoded_strip(strip, chunk)?;
    }
    // libtiff's fax decoder reports some bad code words as errors yet goes on and succeeds.
    if !h.file().errors.is_empty() {
        return Err(Error::libtiff(
            "TIFFReadEncodedStrip",
            h.file().errors.clone(),
        ));
    }
    Ok(Bitmap {
        width,
        rows,
        photometric,
        data,
        warnings: h.file().warnings.clone(),
    })
}

/// libtiff compresses packed rows (min-is-white: 1 = black) with `scheme`; returns the raw
/// strip bytes.
///
/// # Errors
/// As [`write_tiff`].
pub fn encode_strip(
    scheme: LibtiffScheme,
    width: u32,
    rows: u32,
    packed: &[u8],
) -> Result<Vec<u8>, Error> {
    let file = write_tiff(scheme, width, rows, packed)?;
    raw_strips(&file)?
        .into_iter()
        .next()
        .ok_or(Error::Size("libtiff wrote no strip"))
}

/// libtiff decodes one coded strip of `rows` rows to packed rows (1 = black).
///
/// # Errors
/// As [`wrap_raw_strip`] and [`read_tiff`]; also [`Error::Libtiff`] if libtiff warned about
/// the data (a row of the wrong length, premature end): this is a strict decode.
pub fn decode_strip(
    scheme: LibtiffScheme,
    width: u32,
    rows: u32,
    raw: &[u8],
) -> Result<Vec<u8>, Error> {
    let file = wrap_raw_strip(scheme, width, rows, raw)?;
    let bitmap = read_tiff(&file)?;
    if !bitmap.warnings.is_empty() {
        return Err(Error::libtiff("TIFFReadEncodedStrip", bitmap.warnings));
    }
    Ok(bitmap.data)
}
