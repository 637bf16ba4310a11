//! DIS / DTC / DCS as a typed capability model (T.30 Table 2).
//!
//! [`Dis`] holds the raw FIF of a DIS or DTC (unknown bits and extension octets of any length
//! kept) with a typed view, [`Capabilities`]. [`Dcs`] is the mode a sender commands; it can
//! only be made by [`Dcs::negotiate`] or [`Dcs::parse`], both of which check it against the
//! DIS it answers, so a DCS that contradicts itself or the DIS (the HylaFAX CVE-2018-17141
//! class of bug) never reaches the session.

mod dcs;
mod dis;
mod page;
mod rate;
#[cfg(test)]
mod tests;

pub(crate) use dcs::best_resolution;
pub use dcs::{Dcs, EcmCoding, FrameSize, Mode, NonEcmCoding, Preferences, Transfer};
pub use dis::{Capabilities, Dis};
pub use page::{Length, Resolution, Resolutions, ScanCapability, ScanTime, Width, RESOLUTIONS};
pub use rate::{Modem, Modems, Rate, FALLBACK};
