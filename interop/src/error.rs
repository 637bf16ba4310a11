//! The one error type of the crate.

use std::fmt;

/// A libtiff call failed, or the caller's sizes do not fit.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A libtiff function reported failure.
    Libtiff {
        /// The C function that failed.
        call: &'static str,
        /// What libtiff's error handler was told, as `module: format` (the `printf`
        /// arguments are not expanded).
        messages: Vec<String>,
    },
    /// Sizes that do not describe an image (zero width, wrong buffer length, overflow).
    Size(&'static str),
}

impl Error {
    pub(crate) fn libtiff(call: &'static str, messages: Vec<String>) -> Error {
        Error::Libtiff { call, messages }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Libtiff { call, messages } if messages.is_empty() => write!(f, "{call} failed"),
            Error::Libtiff { call, messages } => {
                write!(f, "{call} failed: {}", messages.join("; "))
            }
            Error::Size(what) => write!(f, "bad size: {what}"),
        }
    }
}

impl std::error::Error for Error {}
