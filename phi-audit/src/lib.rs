#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod checkpoint;
mod codec;
mod error;
pub mod event;
pub mod export;
#[cfg(feature = "forward")]
pub mod forward;
pub mod keys;
mod log;
pub mod merkle;
#[cfg(feature = "mirror")]
pub mod mirror;
pub mod proof;
pub mod scan;
pub mod seal;
pub mod segment;
pub mod storage;
pub mod time;
pub mod writer;

pub use error::{DecodeError, EventError, LogError, VerifyError};
pub use event::{Event, Kind, Outcome, Record};
pub use log::{
    destroy_seal_key, init, legal_hold, open_sealed, root_key, set_legal_hold, token_key, Clock,
    Config, Log, Recovery, SystemClock, LEAVES, ROOT_PUB,
};
pub use proof::Proof;

/// Lowercase hex.
pub(crate) fn hex(b: &[u8]) -> String {
    use core::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// Parses lowercase or uppercase hex.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

pub(crate) fn unhex32(s: &str) -> Option<[u8; 32]> {
    unhex(s)?.try_into().ok()
}
