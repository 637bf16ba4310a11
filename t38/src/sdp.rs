//! SDP for T.38 (T.38 Annex D, RFC 6466): the `m=image <port> udptl t38` line and the `T38*`
//! attributes, as a typed model with parsing, formatting and an offer/answer helper. No SIP
//! stack: the caller hands over attribute lines and gets lines back.
//!
//! Interop rules built in (t30-t38.md §5 and §7):
//! - names are matched case-insensitively, and `T38MaxDatagram` (a common misspelling Asterisk
//!   accepts) is read as `T38FaxMaxDatagram`;
//! - boolean attributes count by presence: `a=T38FaxFillBitRemoval` and `...:1` are true, an
//!   explicit `...:0` is false; formatting writes the bare attribute or nothing;
//! - numbers are bounded (CVE-2010-0441 crashed Asterisk with a malformed `T38FaxMaxDatagram`):
//!   a value that does not fit `u32` is an error, and [`T38Params::peer_max_datagram`] clamps.
//! - an absent `T38FaxVersion` means version 0 (1998 packing).
//!
//! ```
//! use t38::sdp::{udptl_configs, LocalCaps, MediaLine, T38Params};
//! use t38::udptl::{ErrorRecovery, Receiver, Sender};
//! use t38::Packing;
//!
//! // A re-INVITE offer as FreeSWITCH sends it.
//! let offer_sdp = "m=image 40068 udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\n\
//!                  a=T38FaxRateManagement:transferredTCF\r\na=T38FaxMaxDatagram:400\r\n\
//!                  a=T38FaxUdpEC:t38UDPRedundancy\r\n";
//! let media = MediaLine::parse(offer_sdp.lines().next().unwrap_or_default())?;
//! let offer = T38Params::parse(offer_sdp.lines())?;
//!
//! let answer = LocalCaps::default().answer(&offer)?;
//! let lines = answer.attribute_lines(); // a=T38FaxVersion:0, a=T38MaxBitRate:14400, ...
//! assert_eq!(lines[0], "a=T38FaxVersion:0");
//!
//! let (tx, rx) = udptl_configs(&answer, &offer);
//! assert_eq!((media.port, tx.packing, tx.peer_max_datagram), (40068, Packing::V1998, 400));
//! assert_eq!(tx.recovery, ErrorRecovery::Redundancy { depth: 3 });
//! let (_sender, _receiver) = (Sender::new(tx)?, Receiver::new(rx));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt::{self, Write as _};

use crate::error::SdpError;
use crate::ifp::Packing;
use crate::udptl::{ErrorRecovery, Limits, ReceiverConfig, SenderConfig};

/// `T38FaxRateManagement`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateManagement {
    /// `localTCF`: each gateway generates TCF itself (TCP).
    LocalTcf,
    /// `transferredTCF`: TCF is sent end to end (required over UDP).
    TransferredTcf,
}

/// One `T38FaxUdpEC` token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UdpEc {
    /// `t38UDPRedundancy`.
    Redundancy,
    /// `t38UDPFEC`.
    Fec,
    /// `t38UDPNoEC` (not in T.38 itself, but sent by some stacks).
    NoEc,
    /// Any other token, kept as sent.
    Other(String),
}

impl UdpEc {
    fn parse(s: &str) -> UdpEc {
        if s.eq_ignore_ascii_case("t38UDPRedundancy") {
            UdpEc::Redundancy
        } else if s.eq_ignore_ascii_case("t38UDPFEC") {
            UdpEc::Fec
        } else if s.eq_ignore_ascii_case("t38UDPNoEC") {
            UdpEc::NoEc
        } else {
            UdpEc::Other(s.to_owned())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            UdpEc::Redundancy => "t38UDPRedundancy",
            UdpEc::Fec => "t38UDPFEC",
            UdpEc::NoEc => "t38UDPNoEC",
            UdpEc::Other(s) => s,
        }
    }
}

/// The T.38 parameters of one side of an SDP exchange.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct T38Params {
    /// `T38FaxVersion` (absent = 0).
    pub version: u8,
    /// `T38MaxBitRate` in bit/s.
    pub max_bit_rate: Option<u32>,
    /// `T38FaxFillBitRemoval`.
    pub fill_bit_removal: bool,
    /// `T38FaxTranscodingMMR`.
    pub transcoding_mmr: bool,
    /// `T38FaxTranscodingJBIG`.
    pub transcoding_jbig: bool,
    /// `T38FaxRateManagement`.
    pub rate_management: Option<RateManagement>,
    /// `T38FaxMaxBuffer` in octets.
    pub max_buffer: Option<u32>,
    /// `T38FaxMaxDatagram` (or `T38MaxDatagram`) in octets.
    pub max_datagram: Option<u32>,
    /// `T38FaxUdpEC`, in the order listed (an offer may list more than one).
    pub udp_ec: Vec<UdpEc>,
    /// Version 4: `T38FaxMaxIFP` in octets.
    pub max_ifp: Option<u32>,
    /// Version 4: `T38FaxUdpECDepth:<min> [<max>]`, redundancy depth.
    pub udp_ec_depth: Option<(u32, Option<u32>)>,
    /// Version 4: `T38FaxUdpFECMaxSpan`.
    pub fec_max_span: Option<u32>,
    /// Version 4: `T38ModemType` (e.g. `t38G3FaxOnly`).
    pub modem_type: Option<String>,
}

/// The `m=image <port> udptl t38` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MediaLine {
    /// The UDP port (0 = stream rejected).
    pub port: u16,
}

impl MediaLine {
    /// Parses `m=image <port> udptl t38` (the `m=` prefix is optional).
    ///
    /// # Errors
    /// [`SdpError::NotT38Media`] for anything else.
    pub fn parse(line: &str) -> Result<MediaLine, SdpError> {
        let line = line.trim();
        let line = line.strip_prefix("m=").unwrap_or(line);
        let mut it = line.split_ascii_whitespace();
        let (Some(media), Some(port), Some(proto), Some(fmt), None) =
            (it.next(), it.next(), it.next(), it.next(), it.next())
        else {
            return Err(SdpError::NotT38Media);
        };
        // RFC 4566 allows `<port>/<count>`; T.38 uses one port.
        let port = port.split('/').next().unwrap_or(port);
        if !media.eq_ignore_ascii_case("image")
            || !proto.eq_ignore_ascii_case("udptl")
            || !fmt.eq_ignore_ascii_case("t38")
        {
            return Err(SdpError::NotT38Media);
        }
        let port = port.parse().map_err(|_| SdpError::NotT38Media)?;
        Ok(MediaLine { port })
    }
}

impl fmt::Display for MediaLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m=image {} udptl t38", self.port)
    }
}

fn num(name: &'static str, v: Option<&str>) -> Result<u32, SdpError> {
    v.map(str::trim)
        .and_then(|v| v.parse().ok())
        .ok_or(SdpError::BadValue { name })
}

fn flag(name: &'static str, v: Option<&str>) -> Result<bool, SdpError> {
    match v.map(str::trim) {
        None | Some("") | Some("1") => Ok(true),
        Some("0") => Ok(false),
        Some(_) => Err(SdpError::BadValue { name }),
    }
}

impl T38Params {
    /// The IFP packing this version implies.
    pub fn packing(&self) -> Packing {
        Packing::for_version(self.version)
    }

    /// Applies one attribute line (`a=` prefix optional). Returns `Ok(false)` for a line that
    /// is not a T.38 attribute (left for the caller).
    ///
    /// # Errors
    /// [`SdpError::BadValue`] for a T.38 attribute whose value does not parse.
    pub fn apply_attribute(&mut self, line: &str) -> Result<bool, SdpError> {
        let line = line.trim();
        let line = line.strip_prefix("a=").unwrap_or(line);
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n.trim(), Some(v)),
            None => (line, None),
        };
        let is = |s: &str| name.eq_ignore_ascii_case(s);
        if is("T38FaxVersion") {
            let v = num("T38FaxVersion", value)?;
            self.version = u8::try_from(v).map_err(|_| SdpError::BadValue {
                name: "T38FaxVersion",
            })?;
        } else if is("T38MaxBitRate") {
            self.max_bit_rate = Some(num("T38MaxBitRate", value)?);
        } else if is("T38FaxFillBitRemoval") {
            self.fill_bit_removal = flag("T38FaxFillBitRemoval", value)?;
        } else if is("T38FaxTranscodingMMR") {
            self.transcoding_mmr = flag("T38FaxTranscodingMMR", value)?;
        } else if is("T38FaxTranscodingJBIG") {
            self.transcoding_jbig = flag("T38FaxTranscodingJBIG", value)?;
        } else if is("T38FaxRateManagement") {
            let v = value.map(str::trim).unwrap_or("");
            self.rate_management = Some(if v.eq_ignore_ascii_case("localTCF") {
                RateManagement::LocalTcf
            } else if v.eq_ignore_ascii_case("transferredTCF") {
                RateManagement::TransferredTcf
            } else {
                return Err(SdpError::BadValue {
                    name: "T38FaxRateManagement",
                });
            });
        } else if is("T38FaxMaxBuffer") {
            self.max_buffer = Some(num("T38FaxMaxBuffer", value)?);
        } else if is("T38FaxMaxDatagram") || is("T38MaxDatagram") {
            self.max_datagram = Some(num("T38FaxMaxDatagram", value)?);
        } else if is("T38FaxUdpEC") {
            let v = value.map(str::trim).unwrap_or("");
            if v.is_empty() {
                return Err(SdpError::BadValue {
                    name: "T38FaxUdpEC",
                });
            }
            for tok in v.split_ascii_whitespace() {
                self.udp_ec.push(UdpEc::parse(tok));
            }
        } else if is("T38FaxMaxIFP") {
            self.max_ifp = Some(num("T38FaxMaxIFP", value)?);
        } else if is("T38FaxUdpECDepth") {
            let mut it = value.unwrap_or("").split_ascii_whitespace();
            let min = num("T38FaxUdpECDepth", it.next())?;
            let max = it
                .next()
                .map(|m| num("T38FaxUdpECDepth", Some(m)))
                .transpose()?;
            self.udp_ec_depth = Some((min, max));
        } else if is("T38FaxUdpFECMaxSpan") {
            self.fec_max_span = Some(num("T38FaxUdpFECMaxSpan", value)?);
        } else if is("T38ModemType") {
            let v = value.map(str::trim).unwrap_or("");
            if v.is_empty() {
                return Err(SdpError::BadValue {
                    name: "T38ModemType",
                });
            }
            self.modem_type = Some(v.to_owned());
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// Parses the T.38 attributes among `lines` (other lines are ignored).
    ///
    /// # Errors
    /// The first T.38 attribute whose value does not parse.
    pub fn parse<'l>(lines: impl IntoIterator<Item = &'l str>) -> Result<T38Params, SdpError> {
        let mut p = T38Params::default();
        for l in lines {
            p.apply_attribute(l)?;
        }
        Ok(p)
    }

    /// The attribute lines (`a=...`, no line ends), in the usual order.
    pub fn attribute_lines(&self) -> Vec<String> {
        let mut v = Vec::new();
        let mut push = |args: fmt::Arguments<'_>| {
            let mut s = String::from("a=");
            let _ = s.write_fmt(args);
            v.push(s);
        };
        push(format_args!("T38FaxVersion:{}", self.version));
        if let Some(r) = self.max_bit_rate {
            push(format_args!("T38MaxBitRate:{r}"));
        }
        if self.fill_bit_removal {
            push(format_args!("T38FaxFillBitRemoval"));
        }
        if self.transcoding_mmr {
            push(format_args!("T38FaxTranscodingMMR"));
        }
        if self.transcoding_jbig {
            push(format_args!("T38FaxTranscodingJBIG"));
        }
        if let Some(r) = self.rate_management {
            let s = match r {
                RateManagement::LocalTcf => "localTCF",
                RateManagement::TransferredTcf => "transferredTCF",
            };
            push(format_args!("T38FaxRateManagement:{s}"));
        }
        if let Some(b) = self.max_buffer {
            push(format_args!("T38FaxMaxBuffer:{b}"));
        }
        if let Some(d) = self.max_datagram {
            push(format_args!("T38FaxMaxDatagram:{d}"));
        }
        if let Some(i) = self.max_ifp {
            push(format_args!("T38FaxMaxIFP:{i}"));
        }
        for ec in &self.udp_ec {
            push(format_args!("T38FaxUdpEC:{}", ec.as_str()));
        }
        if let Some((min, max)) = self.udp_ec_depth {
            match max {
                Some(max) => push(format_args!("T38FaxUdpECDepth:{min} {max}")),
                None => push(format_args!("T38FaxUdpECDepth:{min}")),
            }
        }
        if let Some(s) = self.fec_max_span {
            push(format_args!("T38FaxUdpFECMaxSpan:{s}"));
        }
        if let Some(m) = &self.modem_type {
            push(format_args!("T38ModemType:{m}"));
        }
        v
    }

    /// The peer's max datagram to size our datagrams to: its `T38FaxMaxDatagram`, or
    /// `default` when absent, clamped to `[MIN_USABLE_DATAGRAM, cap]` (bogus values like 0 or
    /// 4 billion exist).
    pub fn peer_max_datagram(&self, default: usize, cap: usize) -> usize {
        self.max_datagram
            .map_or(default, |d| usize::try_from(d).unwrap_or(usize::MAX))
            .clamp(MIN_USABLE_DATAGRAM, cap.max(MIN_USABLE_DATAGRAM))
    }
}

/// Smallest max datagram we honour: 72 octets is the smallest seen deployed (H.245 default);
/// anything lower cannot carry a V.17 IFP with any redundancy.
pub const MIN_USABLE_DATAGRAM: usize = 72;

/// What we can do, for answering an offer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalCaps {
    /// Highest `T38FaxVersion` we speak.
    pub max_version: u8,
    /// Highest bit rate.
    pub max_bit_rate: u32,
    /// Whether we can do fill-bit removal.
    pub fill_bit_removal: bool,
    /// Our receive buffer (`T38FaxMaxBuffer`).
    pub max_buffer: u32,
    /// Our largest acceptable datagram (`T38FaxMaxDatagram`).
    pub max_datagram: u32,
    /// Error-recovery schemes in order of preference.
    pub ec_preference: Vec<UdpEc>,
}

impl Default for LocalCaps {
    /// Version 3 (2002 packing), 14400 bit/s, no fill-bit removal, buffer 1800 and datagram
    /// 1400, redundancy preferred over FEC (3GPP TS 29.163 and the measurements in §7 agree).
    fn default() -> Self {
        LocalCaps {
            max_version: 3,
            max_bit_rate: 14_400,
            fill_bit_removal: false,
            max_buffer: 1800,
            max_datagram: 1400,
            ec_preference: vec![UdpEc::Redundancy, UdpEc::Fec],
        }
    }
}

impl LocalCaps {
    /// Our offer.
    pub fn offer(&self) -> T38Params {
        T38Params {
            version: self.max_version,
            max_bit_rate: Some(self.max_bit_rate),
            fill_bit_removal: self.fill_bit_removal,
            rate_management: Some(RateManagement::TransferredTcf),
            max_buffer: Some(self.max_buffer),
            max_datagram: Some(self.max_datagram),
            udp_ec: self.ec_preference.first().cloned().into_iter().collect(),
            ..T38Params::default()
        }
    }

    /// Our answer to `offer`: the lower version and bit rate, options only if both sides have
    /// them, the offer's rate management (over UDPTL only `transferredTCF` works), our own
    /// buffer and datagram sizes, and the first scheme of our preference that the offer lists
    /// (none if it lists none we know).
    ///
    /// # Errors
    /// [`SdpError::Incompatible`] if the offer asks for `localTCF` (TCP-only rate management).
    pub fn answer(&self, offer: &T38Params) -> Result<T38Params, SdpError> {
        let rate_management = match offer.rate_management {
            Some(RateManagement::LocalTcf) => {
                return Err(SdpError::Incompatible("localTCF is not usable over UDPTL"))
            }
            _ => RateManagement::TransferredTcf,
        };
        let ec = self
            .ec_preference
            .iter()
            .find(|e| offer.udp_ec.contains(e))
            .cloned();
        Ok(T38Params {
            version: offer.version.min(self.max_version),
            max_bit_rate: Some(offer.max_bit_rate.unwrap_or(14_400).min(self.max_bit_rate)),
            fill_bit_removal: offer.fill_bit_removal && self.fill_bit_removal,
            transcoding_mmr: false,
            transcoding_jbig: false,
            rate_management: Some(rate_management),
            max_buffer: Some(self.max_buffer),
            max_datagram: Some(self.max_datagram),
            udp_ec: ec.into_iter().collect(),
            ..T38Params::default()
        })
    }
}

/// The error recovery an agreed parameter set selects, with our default depth / span.
pub fn agreed_recovery(params: &T38Params) -> ErrorRecovery {
    match params.udp_ec.first() {
        Some(UdpEc::Redundancy) => ErrorRecovery::Redundancy { depth: 3 },
        Some(UdpEc::Fec) => ErrorRecovery::Fec {
            span: 3,
            entries: 3,
        },
        _ => ErrorRecovery::None,
    }
}

/// `T38FaxMaxDatagram` assumed when the peer's SDP has none: 400, spandsp's default and below
/// FreeSWITCH's fallback of 500.
pub const DEFAULT_PEER_MAX_DATAGRAM: usize = 400;

/// The UDPTL endpoints a finished offer/answer calls for: the packing of the agreed version,
/// the agreed error recovery (with a version-4 `T38FaxUdpECDepth` / `T38FaxUdpFECMaxSpan` from
/// the peer honoured within our caps), and the peer's max datagram, clamped.
pub fn udptl_configs(agreed: &T38Params, peer: &T38Params) -> (SenderConfig, ReceiverConfig) {
    let limits = Limits::default();
    let mut recovery = agreed_recovery(agreed);
    match &mut recovery {
        ErrorRecovery::Redundancy { depth } => {
            if let Some((min, max)) = peer.udp_ec_depth {
                let want = u32::from(*depth).clamp(min, max.unwrap_or(u32::MAX).max(min));
                *depth = u8::try_from(want.min(16)).unwrap_or(16);
            }
        }
        ErrorRecovery::Fec { span, .. } => {
            if let Some(max) = peer.fec_max_span {
                *span = u8::try_from(max.max(1).min(u32::from(*span).max(1))).unwrap_or(*span);
            }
        }
        ErrorRecovery::None => {}
    }
    let mut tx = SenderConfig::new(
        recovery,
        peer.peer_max_datagram(DEFAULT_PEER_MAX_DATAGRAM, limits.max_datagram),
    );
    tx.packing = agreed.packing();
    let rx = ReceiverConfig::new(agreed.packing());
    (tx, rx)
}

/// Worst-case UDPTL datagram size for IFPs of up to `max_ifp` octets under `recovery`:
/// sequence number 2, primary `len + IFP`, the recovery CHOICE octet, then for redundancy a
/// count and `depth` secondaries, for FEC `01 <span>`, a count and `entries` parity entries
/// (each as long as the longest IFP it covers).
pub fn datagram_size(max_ifp: usize, recovery: ErrorRecovery) -> usize {
    let item = max_ifp + if max_ifp < 0x80 { 1 } else { 2 };
    match recovery {
        ErrorRecovery::None => 2 + item + 2,
        ErrorRecovery::Redundancy { depth } => 2 + item + 2 + usize::from(depth) * item,
        ErrorRecovery::Fec { entries, .. } => 2 + item + 4 + usize::from(entries) * item,
    }
}

/// The largest IFP that fits a datagram of `max_datagram` octets under `recovery` (the inverse
/// of [`datagram_size`]); 0 if not even a one-octet IFP fits. Unlike Asterisk's estimate
/// (`(max - 8) / (entries + 1)` less 5 %), this is exact.
pub fn max_ifp_for(max_datagram: usize, recovery: ErrorRecovery) -> usize {
    // datagram_size is monotonic in max_ifp: binary search.
    let (mut lo, mut hi) = (0usize, max_datagram);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if datagram_size(mid, recovery) <= max_datagram {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

#[cfg(test)]
mod tests;
