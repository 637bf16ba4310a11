//! Errors of the container readers and writers.

use super::pbm::PbmError;
use crate::error::{DecodeError, EncodeError, ParamError};
use crate::limits::Limit;
use alloc::string::String;

/// A file that cannot be read or written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerError {
    /// The file is not of the expected format, or its structure is broken.
    #[error("malformed {format} file: {reason}")]
    Malformed {
        /// The format ("TIFF", "PNG", ...).
        format: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The file is valid but uses something this crate does not handle (tiles, colour, an
    /// unknown compression, ...).
    #[error("unsupported {format} file: {reason}")]
    Unsupported {
        /// The format ("TIFF", "PNG", ...).
        format: &'static str,
        /// What is not supported.
        reason: String,
    },
    /// A limit was exceeded before anything sized by it was allocated; raise it in
    /// [`Limits`](crate::Limits) only for trusted input.
    #[error("limit exceeded: {0} (raise it only for trusted input)")]
    Limit(Limit),
    /// More pages than `ReadOptions::max_pages` allows (TIFF reading, feature `tiff`).
    #[error("limit exceeded: more than {0} pages")]
    TooManyPages(u32),
    /// Coded data of a page could not be decoded (strict mode, or damage that cannot be
    /// concealed).
    #[error("page {page}, strip {strip}: {error}")]
    Decode {
        /// Page number, from 1.
        page: usize,
        /// Strip number within the page, from 1.
        strip: usize,
        /// The decoder's error.
        error: DecodeError,
    },
    /// Coding parameters that the format cannot express or the codec cannot use.
    #[error(transparent)]
    Params(#[from] ParamError),
    /// Encoding failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A malformed PBM file.
    #[error(transparent)]
    Pbm(#[from] PbmError),
    /// There are no pages to write.
    #[error("no pages to write")]
    NoPages,
}

impl ContainerError {
    /// True if the error is a limit being exceeded rather than a fault in the file.
    pub fn is_limit(&self) -> bool {
        match self {
            ContainerError::Limit(_) | ContainerError::TooManyPages(_) => true,
            ContainerError::Pbm(PbmError::TooLarge(_)) => true,
            ContainerError::Decode { error, .. } => error.is_limit(),
            _ => false,
        }
    }

    #[cfg_attr(not(any(feature = "tiff", feature = "png")), allow(dead_code))]
    pub(crate) fn malformed(format: &'static str, reason: impl Into<String>) -> Self {
        ContainerError::Malformed {
            format,
            reason: reason.into(),
        }
    }

    pub(crate) fn unsupported(format: &'static str, reason: impl Into<String>) -> Self {
        ContainerError::Unsupported {
            format,
            reason: reason.into(),
        }
    }
}
