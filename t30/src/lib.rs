#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod bits;
pub mod caps;
mod document;
pub mod ecm;
mod error;
mod fcf;
mod frame;
mod ident;
mod outcome;
mod session;
mod timer;

pub use caps::{Capabilities, Dcs, Dis, Mode, Rate, Resolution};
pub use document::{DocumentSource, MemorySource, Page, PageSink, ReceivedPage};
pub use error::{ConfigError, DcsError, FrameError};
pub use fcf::{Fcf, X_BIT};
pub use frame::{BitOrder, Frame, ADDRESS, CONTROL, CONTROL_FINAL, MAX_FRAME};
pub use ident::{Identity, NonStandard, IDENTITY_LEN};
pub use outcome::{Completion, Outcome, Waiting};
pub use session::{
    Carrier, Config, CopyQuality, Event, Input, Output, Phase, Session, Training, Transmit,
    TCF_DURATION,
};
pub use timer::{Timeouts, Timer};
