//! File formats around coded bi-level images: PBM, TIFF (Class F writing; reading through the
//! `tiff` crate) and 1-bit PNG.

mod pbm;
pub use pbm::{read_pbm, write_pbm, PbmError};
