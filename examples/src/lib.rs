//! The library behind faxkit's applications: the pieces the `faxd` server and the `faxctl`
//! command share (the fax server, its cover pages and its delivery receipts).
//!
//! Nothing here is a stable API for other crates; it is the assembly of the faxkit crates
//! into an application, kept in a library so that binaries, tests and examples use one copy.
#![forbid(unsafe_code)]

pub mod cover;
pub mod faxd;
pub mod receipt;
