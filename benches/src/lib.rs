//! Shared pieces of the codec benchmark (`benches/codec.rs`): the pages, the codings, thin
//! adapters that make every implementation decode into a caller's buffer and encode to bytes,
//! and the interleaved timer that computes the ratios.
//!
//! Not published; see `benches/README.md` for how to run it.

pub mod fill;
pub mod modes;
pub mod pages;
pub mod peers;
pub mod timing;
