//! UDPTL (T.38 §9.1): the datagram codec, and a sans-IO [`Sender`] and [`Receiver`] that add
//! and use redundancy or FEC.

mod limits;
mod packet;
mod receiver;
mod sender;

pub use limits::Limits;
pub use packet::{Datagram, IfpList, ListIter, Recovery};
pub use receiver::{Counters, Delivery, Receiver, ReceiverConfig, Source};
pub use sender::{ErrorRecovery, Repeats, SendError, Sender, SenderConfig, Transmit};
