//! Transcoding between codings on change lists, without a bitmap.

use crate::decoder::{Decoder, Progress};
use crate::encoder::Encoder;
use crate::error::{DecodeError, EncodeError};
use crate::limits::Limits;
use crate::params::Params;
use alloc::vec::Vec;

/// A transcoding failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TranscodeError {
    /// The input could not be decoded.
    #[error("decoding: {0}")]
    Decode(#[from] DecodeError),
    /// The output could not be encoded.
    #[error("encoding: {0}")]
    Encode(#[from] EncodeError),
    /// Input and output disagree on the row width.
    #[error("input and output columns differ")]
    ColumnsDiffer,
}

/// Re-codes `data` from the coding in `from` to the coding in `to` (MH, MR, MMR, any options),
/// row by row on change lists. Damaged input rows are concealed as the decoder does and
/// counted in the returned number.
///
/// ```
/// use t4_codec::{encode, transcode, Coding, Limits, Params};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut mh = Params::new(Coding::Mh, 16);
/// mh.black_is_1 = true;
/// let mut mmr = mh.clone();
/// mmr.set_coding(Coding::Mmr);
/// let pels = [0x0F, 0xF0, 0x00, 0x01];
/// let (g4, bad) = transcode(&encode(&mh, &pels)?, &mh, &mmr, Limits::default())?;
/// assert_eq!((g4, bad), (encode(&mmr, &pels)?, 0));
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`TranscodeError`] if the input cannot be decoded or the parameters are unusable.
pub fn transcode(
    data: &[u8],
    from: &Params,
    to: &Params,
    limits: Limits,
) -> Result<(Vec<u8>, u32), TranscodeError> {
    if from.columns != to.columns {
        return Err(TranscodeError::ColumnsDiffer);
    }
    let mut dec = Decoder::with_limits(from.clone(), limits)?;
    let mut enc = Encoder::new(to.clone())?;
    let mut input = data;
    loop {
        let (used, progress) = dec.update(input)?;
        input = &input[used..];
        match progress {
            Progress::Row(_) => enc.encode_changes(dec.changes())?,
            Progress::NeedInput => dec.end_input(),
            Progress::End => break,
        }
    }
    enc.finish()?;
    Ok((enc.take_output(), dec.bad_rows()))
}
