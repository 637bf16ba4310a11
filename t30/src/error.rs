//! Errors by blame: malformed bytes ([`FrameError`]), a peer's mode that contradicts itself
//! or our DIS ([`DcsError`]), and caller misuse ([`ConfigError`]).

/// A frame that cannot be parsed. The session answers CRP (for a command) or ignores it (for
/// a response) and lets its timers recover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Fewer octets than address, control and FCF.
    #[error("HDLC frame of {0} octets is too short for address, control and FCF")]
    TooShort(usize),
    /// Longer than any T.30 frame.
    #[error("HDLC frame of {0} octets is longer than any T.30 frame")]
    TooLong(usize),
    /// The address octet is not 0xFF.
    #[error("HDLC address octet 0x{0:02x} is not 0xFF")]
    BadAddress(u8),
    /// The control octet is neither the final nor the non-final form.
    #[error("HDLC control octet 0x{0:02x} is not a T.30 control field (check the bit order)")]
    BadControl(u8),
    /// An identity field longer than 20 characters or with non-printable characters.
    #[error("identity field is not 20 printable characters")]
    BadIdentity,
    /// An NSF/NSS/NSC without a complete T.35 country code.
    #[error("non-standard facilities frame without a complete T.35 country code")]
    BadNonStandard,
}

/// A DCS that contradicts itself or the DIS it answers (the HylaFAX CVE-2018-17141 class).
/// The session disconnects with [`crate::Completion::InvalidDcs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DcsError {
    /// Fewer than the 3 FIF octets every DIS/DTC/DCS has.
    #[error("DIS/DTC/DCS information field of {0} octets; at least 3 are required")]
    TooShort(usize),
    /// A reserved code in a field.
    #[error("DCS uses a reserved code for the {0}")]
    ReservedCode(&'static str),
    /// Bits that cannot be set together.
    #[error("DCS contradicts itself: {0}")]
    Contradiction(&'static str),
    /// A bit that requires ECM, without ECM.
    #[error("DCS bit {0} requires ECM, which the DCS does not select")]
    NeedsEcm(u16),
    /// Something our DIS did not offer.
    #[error("DCS asks for a {0} the DIS did not offer")]
    NotOffered(&'static str),
    /// DCS bit 10 (receive command) is clear.
    #[error("DCS without its receive bit (10)")]
    NotReceiveCommand,
    /// The remote's DIS says it is not ready to receive.
    #[error("the remote station is not ready to receive")]
    NotReceiving,
}

/// A session configuration that cannot work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A sending role without a document source.
    #[error("a sending session needs a document source (Config::source)")]
    NoSource,
    /// A receiving role without a page sink.
    #[error("a receiving session needs a page sink (Config::sink)")]
    NoSink,
}
