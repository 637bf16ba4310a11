//! UDPTL (T.38 §9.1): the datagram codec, and a sans-IO [`Sender`] and [`Receiver`] that add
//! and use redundancy or FEC.

mod limits;
mod packet;

pub use limits::Limits;
pub use packet::{Datagram, IfpList, ListIter, Recovery};
