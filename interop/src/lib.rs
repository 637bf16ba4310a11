//! A minimal, hand-written FFI to the system libtiff (4.5 or later), for testing t4-codec
//! against libtiff and for benchmarking the two side by side, and to the system spandsp
//! (0.0.6) for testing t38.
//!
//! Everything goes through in-memory TIFF files (`TIFFClientOpenExt` with callbacks over a
//! `Vec<u8>`), so nothing touches the file system. libtiff's messages are captured per handle
//! and returned in [`Error`] instead of being printed.
//!
//! - [`encode_strip`] / [`decode_strip`]: one image through libtiff's fax codec, as raw strip
//!   bytes in the coding a [`LibtiffScheme`] names.
//! - [`write_tiff`], [`write_uncompressed`], [`wrap_raw_strip`], [`read_tiff`],
//!   [`raw_strips`]: whole TIFF files, for feeding libtiff's command-line tools.
//! - [`PreparedDecode`] / [`PreparedEncode`]: handles set up once so that a benchmark times
//!   only libtiff's codec.
//!
//! - [`spandsp`]: spandsp's T.38 IFP codec and T.38 terminal, for the `t38` crate's peer
//!   tests.
//!
//! This crate is for tests and benchmarks only and is not published.

// The only crate of the workspace allowed unsafe code: calling a C library needs it. Every
// unsafe block is small and says why it is sound; the FFI declarations live in `ffi`, the
// callbacks libtiff calls in `memio`, the handle ownership in `handle`.
#![allow(unsafe_code)]

mod error;
mod ffi;
mod handle;
mod memio;
mod prepared;
mod scheme;
pub mod spandsp;
mod strip;
pub mod sys;

pub use error::Error;
pub use prepared::{PreparedDecode, PreparedEncode};
pub use scheme::LibtiffScheme;

/// `../shared/corpus` beside the workspace, or `None` (with a note on stderr) when it is
/// absent: the tests that need it then pass without checking anything.
pub fn shared_corpus() -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("note: ../shared/corpus not found; corpus test skipped");
        None
    }
}
pub use strip::{
    decode_strip, encode_strip, raw_strips, read_tiff, wrap_raw_strip, write_tiff,
    write_uncompressed, Bitmap,
};

#[cfg(test)]
mod tests;
