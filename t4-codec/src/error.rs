//! Error types. Decoding errors carry how far decoding got, so a caller can keep the good rows.

use crate::limits::Limit;

/// Parameters that cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// `columns` is 0.
    #[error("columns must be at least 1")]
    ZeroColumns,
    /// A combination of parameters this codec (or the target format) does not support.
    #[error("unsupported parameters: {0}")]
    Unsupported(&'static str),
}

/// What went wrong while decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The parameters are unusable.
    Params(ParamError),
    /// A limit was exceeded; raise it in [`Limits`](crate::Limits) if the input is trusted.
    Limit(Limit),
    /// A bit pattern that is no valid code where one was expected.
    InvalidCode,
    /// A row's runs do not add up to `columns` (too long, or cut short by an EOL).
    BadRowLength,
    /// The data ended before the expected rows (`Params::rows`) were decoded.
    Truncated,
    /// Strict mode: more damaged rows than `Params::damaged_rows_before_error`.
    DamagedRows,
    /// The decoder failed earlier and refuses further input.
    Poisoned,
}

/// A decoding error, with the progress made before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (after {rows} rows, at bit {bit})")]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// Rows successfully delivered before the error.
    pub rows: u32,
    /// Bit offset into the coded data of the row (with its EOL, if any) that failed.
    pub bit: u64,
}

impl core::fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeErrorKind::Params(e) => write!(f, "{e}"),
            DecodeErrorKind::Limit(l) => {
                write!(f, "limit exceeded: {l} (raise it only for trusted input)")
            }
            DecodeErrorKind::InvalidCode => f.write_str("invalid code in the coded data"),
            DecodeErrorKind::BadRowLength => f.write_str(
                "a row does not add up to the declared columns (wrong width or damaged data)",
            ),
            DecodeErrorKind::Truncated => f.write_str("coded data ends before the declared rows"),
            DecodeErrorKind::DamagedRows => {
                f.write_str("more damaged rows than DamagedRowsBeforeError allows")
            }
            DecodeErrorKind::Poisoned => f.write_str("decoder already failed; start a new one"),
        }
    }
}

impl DecodeError {
    /// True if the error is a limit being exceeded (not a fault in the data as such).
    pub fn is_limit(&self) -> bool {
        matches!(self.kind, DecodeErrorKind::Limit(_))
    }
}

/// An encoding error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The parameters are unusable.
    #[error("{0}")]
    Params(#[from] ParamError),
    /// A packed row is shorter than `ceil(columns / 8)` bytes.
    #[error("row has {got} bytes, {want} needed for the declared columns")]
    RowTooShort {
        /// Bytes needed.
        want: usize,
        /// Bytes given.
        got: usize,
    },
    /// A change list decreases or reaches `columns`.
    #[error("change list decreases or reaches the row width")]
    BadChanges,
    /// A row was given after [`Encoder::finish`](crate::Encoder::finish).
    #[error("encoder already finished")]
    Finished,
}
