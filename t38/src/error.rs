//! Error types, by layer. Each says what was wrong and, where it helps, what to do about it.
//! None of them carries packet contents (fax data may be PHI).

use crate::codes::FieldType;

/// An IFP packet that cannot be decoded or encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IfpError {
    /// The input ended inside the packet.
    #[error("IFP packet truncated")]
    Truncated,
    /// Octets follow a complete packet (`decode` wants exactly one packet; use
    /// `decode_prefix` for a stream).
    #[error("{extra} octet(s) after the end of the IFP packet")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// A PER fragmented length (16K units); no T.38 implementation sends one.
    #[error("fragmented PER length in an IFP packet (not used by T.38; malformed)")]
    Fragmented,
    /// A root enumeration value outside the enumeration (e.g. data type 9..15 without the
    /// extension bit).
    #[error("{what} root value {value} is not defined")]
    UnknownRootValue {
        /// Which enumeration.
        what: &'static str,
        /// The 3- or 4-bit value read.
        value: u8,
    },
    /// An extension value in the long form (index 64 or more): none is defined.
    #[error("{what} extension index above 63 (none is defined)")]
    ExtensionTooLarge {
        /// Which enumeration.
        what: &'static str,
    },
    /// A data field with zero elements.
    #[error("IFP data field present with no elements")]
    EmptyDataField,
    /// Encoding: an extension field type cannot be expressed in the 1998 packing.
    #[error("field type {field_type} needs T38FaxVersion 1 or later (2002 packing)")]
    ExtensionFieldTypeIn1998 {
        /// The field type.
        field_type: FieldType,
    },
    /// Encoding: a code above its enumeration's `MAX`.
    #[error("{what} {value} cannot be encoded (extension index above 63)")]
    CodeOutOfRange {
        /// Which enumeration.
        what: &'static str,
        /// The value.
        value: u8,
    },
    /// Encoding: field data present but empty; use `Field::bare` for no data.
    #[error("field data must be 1..65535 octets; use Field::bare for none")]
    EmptyFieldData,
    /// Encoding: field data above 65,535 octets; split it over several fields or packets.
    #[error("field data of {len} octets exceeds 65535; split it")]
    FieldDataTooLong {
        /// The length.
        len: usize,
    },
    /// Encoding: more than 16,383 fields would need a fragmented count.
    #[error("{count} fields in one IFP exceed 16383; split them over packets")]
    TooManyFields {
        /// The count.
        count: usize,
    },
}

/// Which UDPTL cap a datagram exceeded (see [`crate::udptl::Limits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UdptlLimit {
    /// `max_datagram`.
    Datagram,
    /// `max_ifp`.
    Ifp,
    /// `max_secondaries`.
    Secondaries,
    /// `max_fec_entries`.
    FecEntries,
    /// `max_fec_span`.
    FecSpan,
}

impl core::fmt::Display for UdptlLimit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            UdptlLimit::Datagram => "max_datagram",
            UdptlLimit::Ifp => "max_ifp",
            UdptlLimit::Secondaries => "max_secondaries",
            UdptlLimit::FecEntries => "max_fec_entries",
            UdptlLimit::FecSpan => "max_fec_span",
        })
    }
}

/// A UDPTL datagram that cannot be decoded, or an IFP that cannot be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UdptlError {
    /// The datagram ended inside a field.
    #[error("UDPTL datagram truncated")]
    Truncated,
    /// Octets after the error-recovery field.
    #[error("{extra} octet(s) after the end of the UDPTL datagram")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// A PER fragmented length; nobody sends them (Asterisk and spandsp reject them too).
    #[error("fragmented PER length in a UDPTL datagram (malformed)")]
    Fragmented,
    /// A primary or secondary IFP of zero octets.
    #[error("empty IFP in a UDPTL datagram")]
    EmptyIfp,
    /// The error-recovery CHOICE octet is neither `0x00` nor `0x80`.
    #[error("unknown UDPTL error-recovery choice {0:#04x}")]
    BadRecoveryChoice(u8),
    /// `fec-npackets` is not a small non-negative INTEGER.
    #[error("bad fec-npackets encoding")]
    BadFecSpan,
    /// A value above a cap. Caps are strict on purpose (Asterisk AST-2011-002 trusted these
    /// counts); raise them in `Limits` only for a peer known to need it.
    #[error("{value} exceeds {limit} = {max}")]
    Limit {
        /// Which cap.
        limit: UdptlLimit,
        /// The value seen or requested.
        value: usize,
        /// The cap.
        max: usize,
    },
    /// Sending: the IFP alone does not fit the peer's maximum datagram.
    #[error("IFP of {ifp} octets does not fit the peer's max datagram of {max_datagram}; send smaller IFPs")]
    IfpTooLargeForPeer {
        /// IFP length.
        ifp: usize,
        /// The peer's maximum datagram.
        max_datagram: usize,
    },
    /// Configuration outside the caps (e.g. FEC span 0, redundancy depth above 16).
    #[error("invalid UDPTL configuration: {0}")]
    BadConfig(&'static str),
}

/// A TPKT or raw IFP stream that cannot be framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// TPKT version octet is not 3.
    #[error("TPKT version {0} (expected 3); is the peer sending raw IFPs?")]
    BadVersion(u8),
    /// TPKT length below the 4-octet header plus one IFP octet.
    #[error("TPKT length {0} too small")]
    BadLength(u16),
    /// A frame above the configured maximum.
    #[error("frame of {len} octets exceeds the maximum of {max}")]
    TooLarge {
        /// The frame length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// An IFP in a raw stream is malformed.
    #[error("malformed IFP in stream: {0}")]
    Ifp(IfpError),
    /// Encoding: an IFP too long for a TPKT header (65,531 octets).
    #[error("IFP of {0} octets too long for TPKT")]
    IfpTooLong(usize),
    /// The decoder failed earlier and refuses further input.
    #[error("stream decoder already failed; close the connection")]
    Poisoned,
}

/// An SDP line or parameter set that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// Not an `m=image <port> udptl t38` line.
    #[error("not a T.38 media line (want `m=image <port> udptl t38`)")]
    NotT38Media,
    /// A T.38 attribute whose value does not parse.
    #[error("attribute {name}: bad value")]
    BadValue {
        /// The attribute name.
        name: &'static str,
    },
    /// The offer and our capabilities have nothing in common (e.g. the offer lacks
    /// `T38FaxRateManagement` or asks for `localTCF` over UDP).
    #[error("cannot answer the T.38 offer: {0}")]
    Incompatible(&'static str),
}
