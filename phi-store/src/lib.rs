#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod audit;
pub mod backend;
mod durable;
mod error;
pub mod format;
pub mod keys;
mod names;
pub mod policy;
pub mod retention;
mod store;
pub mod stream;

pub use error::{Result, StoreError};
pub use names::{Class, ContentType, ObjectId, Tenant, MAX_CONTENT_TYPE_LEN, MAX_NAME_LEN};
pub use store::{open_sealed, ObjectInfo, RewrapReport, Store, SweepReport, VerifyReport};
