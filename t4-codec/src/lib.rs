#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod bits;
mod changes;
#[cfg(feature = "std")]
pub mod container;
mod decode_row;
mod decoder;
mod encode_row;
mod encoder;
mod error;
mod image;
mod limits;
mod params;
mod tables;
mod transcode;

pub use changes::{changes_to_packed, is_valid_change_list, packed_to_changes};
pub use decoder::{Decoder, Progress, RowStatus};
pub use encoder::{encode, Encoder};
pub use error::{DecodeError, DecodeErrorKind, EncodeError, ParamError};
pub use image::{decode_image, DecodeOptions, Image, ImageError};
pub use limits::{Limit, Limits};
pub use params::{Coding, FillOrder, Params, TiffFaxTags, MAX_COLUMNS};
pub use transcode::{transcode, TranscodeError};
