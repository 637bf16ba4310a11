//! Whole-image helpers on top of the streaming decoder.

use crate::decoder::{Decoder, Progress};
use crate::error::{DecodeError, DecodeErrorKind};
use crate::limits::{Limit, Limits};
use crate::params::Params;
use alloc::boxed::Box;
use alloc::vec::Vec;

/// A decoded bi-level image: packed rows, first pel of each row in the most significant bit.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Image {
    /// Pels per row.
    pub columns: u32,
    /// Rows.
    pub rows: u32,
    /// Polarity of `data`: true if 1 bits are black.
    pub black_is_1: bool,
    /// `rows x ceil(columns / 8)` bytes.
    pub data: Vec<u8>,
    /// Rows that were damaged or missing and were concealed (TIFF `BadFaxLines`).
    pub bad_rows: u32,
    /// Longest run of concealed rows (TIFF `ConsecutiveBadFaxLines`).
    pub max_consecutive_bad_rows: u32,
}

impl Image {
    /// Bytes per packed row.
    pub fn row_bytes(&self) -> usize {
        (self.columns as usize).div_ceil(8)
    }

    /// Row `y` as packed bytes.
    pub fn row(&self, y: u32) -> Option<&[u8]> {
        let rb = self.row_bytes();
        let start = (y as usize).checked_mul(rb)?;
        self.data.get(start..start.checked_add(rb)?)
    }
}

/// A decoding failure together with the rows decoded before it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct ImageError {
    /// What went wrong.
    pub error: DecodeError,
    /// The rows delivered before the error.
    pub partial: Box<Image>,
}

/// Options for [`decode_image`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Limits on the output and on buffering.
    pub limits: Limits,
    /// Fail on damage instead of concealing it (see [`Decoder::set_strict`]).
    pub strict: bool,
}

/// Decodes a complete coded image held in memory.
///
/// In the default lenient mode, when `params.rows` is known and the data is damaged beyond
/// repair (MMR has no resynchronisation points), ends early, or ends with RTC/EOFB before
/// that many rows, the missing rows are filled with white and counted in
/// [`Image::bad_rows`], as libtiff does and as PDF viewers show such images. In strict mode,
/// or when the height is unknown, such damage is an error that carries the rows decoded so
/// far.
///
/// # Errors
/// [`ImageError`] with the partial image.
pub fn decode_image(
    data: &[u8],
    params: &Params,
    options: DecodeOptions,
) -> Result<Image, ImageError> {
    let row_bytes = params.row_bytes();
    let mut image = Image {
        columns: params.columns,
        rows: 0,
        black_is_1: params.black_is_1,
        ..Image::default()
    };
    let fail = |error: DecodeError, image: Image| {
        Err(ImageError {
            error,
            partial: Box::new(image),
        })
    };
    let mut dec = match Decoder::with_limits(params.clone(), options.limits) {
        Ok(d) => d,
        Err(e) => return fail(e, image),
    };
    dec.set_strict(options.strict);
    let max_rows_by_bytes = options.limits.max_output_bytes / row_bytes.max(1) as u64;
    if params.rows > 0 {
        // Bounded by max_output_bytes, so it fits in memory by the caller's own choice.
        let expected = u64::from(params.rows).min(max_rows_by_bytes);
        image
            .data
            .reserve_exact(usize::try_from(expected).unwrap_or(0) * row_bytes);
    }
    let mut input = data;
    let outcome = loop {
        match dec.update(input) {
            Ok((used, progress)) => {
                input = &input[used..];
                match progress {
                    Progress::Row(_) => {
                        if u64::from(image.rows) + 1 > max_rows_by_bytes {
                            break Err(DecodeError {
                                kind: DecodeErrorKind::Limit(Limit::OutputBytes),
                                rows: image.rows,
                                bit: 0,
                            });
                        }
                        let start = image.data.len();
                        image.data.resize(start + row_bytes, 0);
                        dec.write_row(&mut image.data[start..]);
                        image.rows += 1;
                    }
                    Progress::NeedInput => dec.end_input(),
                    Progress::End => break Ok(()),
                }
            }
            Err(e) => break Err(e),
        }
    };
    image.bad_rows = dec.bad_rows();
    image.max_consecutive_bad_rows = dec.max_consecutive_bad_rows();
    let short = params.rows > image.rows;
    let concealable = !options.strict && short && u64::from(params.rows) <= max_rows_by_bytes;
    match outcome {
        Ok(()) if !short => Ok(image),
        // RTC/EOFB came before the declared rows.
        Ok(()) if concealable => Ok(pad_with_white(image, params)),
        Ok(()) => {
            let error = DecodeError {
                kind: DecodeErrorKind::Truncated,
                rows: image.rows,
                bit: 0,
            };
            fail(error, image)
        }
        Err(e)
            if concealable
                && matches!(
                    e.kind,
                    DecodeErrorKind::Truncated
                        | DecodeErrorKind::InvalidCode
                        | DecodeErrorKind::BadRowLength
                ) =>
        {
            Ok(pad_with_white(image, params))
        }
        Err(e) => fail(e, image),
    }
}

/// Conceals the rows missing up to `params.rows` as white, and says so in the counts.
fn pad_with_white(mut image: Image, params: &Params) -> Image {
    let missing = params.rows - image.rows;
    let mut row = alloc::vec![0; params.row_bytes()];
    crate::changes::changes_to_packed(&[], params.columns, params.black_is_1, &mut row);
    for _ in 0..missing {
        image.data.extend_from_slice(&row);
    }
    image.rows = params.rows;
    image.bad_rows += missing;
    image.max_consecutive_bad_rows = image.max_consecutive_bad_rows.max(missing);
    image
}
