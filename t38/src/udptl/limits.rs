//! Caps on what a UDPTL datagram may declare, with the defaults deployed stacks use.

/// Caps checked before any count or length from a datagram is used.
///
/// The defaults are strict on purpose: Asterisk's AST-2011-002 (CVE-2011-1147) overflowed
/// arrays with counts taken from the wire. They match what Asterisk enforces today (FEC span
/// and entries at most 5, lengths at most 1400) and cover every deployed sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Largest datagram accepted or produced, in octets. Default 1400.
    pub max_datagram: usize,
    /// Largest IFP (primary, secondary or FEC parity entry), in octets. Default 1400.
    pub max_ifp: usize,
    /// Most secondary IFPs in one datagram. Default 16.
    pub max_secondaries: usize,
    /// Most FEC parity entries in one datagram. Default 5.
    pub max_fec_entries: usize,
    /// Largest FEC span. Default 5.
    pub max_fec_span: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_datagram: 1400,
            max_ifp: 1400,
            max_secondaries: 16,
            max_fec_entries: 5,
            max_fec_span: 5,
        }
    }
}
