#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod codes;
mod error;
pub mod ifp;
mod per;
pub mod sdp;
pub mod tcp;
#[cfg(feature = "terminal")]
pub mod terminal;
pub mod udptl;

pub use codes::{DataType, FieldType, Indicator};
pub use error::{IfpError, SdpError, StreamError, UdptlError, UdptlLimit};
pub use ifp::{Field, Fields, Ifp, Message, Packing};
