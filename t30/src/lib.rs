//! The ITU-T T.30 fax session (phases A-E, DIS/DCS, ECM with PPR, timers) as a sans-IO state machine
//!
//! (Skeleton: the implementation lands with its issue.)
#![forbid(unsafe_code)]
