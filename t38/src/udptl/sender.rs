//! The sending side: numbers IFPs, keeps the recent ones, and adds redundancy or FEC sized to
//! the peer's maximum datagram.

use super::packet::{write_count, write_fec_header, write_header, write_octet_string};
use super::Limits;
use crate::error::UdptlError;
use crate::ifp::{Ifp, Message, Packing};
use crate::per::{len_det_size, write_len_det};
use crate::FieldType;

/// Which error recovery the datagrams carry (`T38FaxUdpEC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorRecovery {
    /// None: the datagram carries an empty list of secondaries.
    None,
    /// `t38UDPRedundancy`: up to `depth` earlier IFPs, newest first. 3 is a good default
    /// (t30-t38.md §7: every run at 1-20 % loss completed with depth 3).
    Redundancy {
        /// Most secondaries per datagram (at most `Limits::max_secondaries`).
        depth: u8,
    },
    /// `t38UDPFEC`: `entries` XOR parity entries each over `span` earlier IFPs.
    Fec {
        /// IFPs per parity entry (1..=`Limits::max_fec_span`).
        span: u8,
        /// Parity entries per datagram (1..=`Limits::max_fec_entries`).
        entries: u8,
    },
}

/// How many identical copies of each datagram to send, by what its IFP carries (spandsp asks
/// for 3 of indicators and frame ends, 1 of data; FreeSWITCH sends them, Asterisk does not).
/// Receivers drop the copies as duplicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Repeats {
    /// Indicator packets.
    pub indicator: u8,
    /// Data packets that do not end a frame or signal.
    pub data: u8,
    /// Data packets with a frame end (`hdlc-fcs-*`) or signal end (`*-sig-end`).
    pub end: u8,
}

impl Default for Repeats {
    /// One copy of everything: redundancy already repeats each IFP.
    fn default() -> Self {
        Repeats {
            indicator: 1,
            data: 1,
            end: 1,
        }
    }
}

impl Repeats {
    /// spandsp's counts: indicators 3, data 1, ends 3.
    pub fn spandsp() -> Self {
        Repeats {
            indicator: 3,
            data: 1,
            end: 3,
        }
    }
}

/// Sender settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SenderConfig {
    /// Error recovery to add.
    pub recovery: ErrorRecovery,
    /// The peer's maximum datagram (`T38FaxMaxDatagram`, read as a UDPTL datagram size);
    /// clamped to `limits.max_datagram`. Secondaries and parity entries that would exceed it
    /// are left out.
    pub peer_max_datagram: usize,
    /// Sequence number of the first datagram.
    pub first_seq: u16,
    /// Copies per datagram.
    pub repeats: Repeats,
    /// IFP packing, for [`Sender::send`].
    pub packing: Packing,
    /// Caps.
    pub limits: Limits,
}

impl SenderConfig {
    /// Settings for `recovery` and the peer's max datagram; sequence numbers from 0, one copy,
    /// 2002 packing, default caps.
    pub fn new(recovery: ErrorRecovery, peer_max_datagram: usize) -> Self {
        SenderConfig {
            recovery,
            peer_max_datagram,
            first_seq: 0,
            repeats: Repeats::default(),
            packing: Packing::V2002,
            limits: Limits::default(),
        }
    }
}

/// One datagram to put on the wire `copies` times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit<'a> {
    /// Its sequence number.
    pub seq: u16,
    /// The datagram.
    pub datagram: &'a [u8],
    /// How many identical copies to send (at least 1).
    pub copies: u8,
}

/// IFPs kept for redundancy and FEC (at least 16 secondaries and 5 x 5 FEC, a power of two).
const HISTORY: usize = 32;

/// The UDPTL sender. Sans-IO: it returns datagrams, the caller sends them.
///
/// All buffers are allocated in [`Sender::new`]; sending does not allocate.
#[derive(Debug)]
pub struct Sender {
    cfg: SenderConfig,
    max_datagram: usize,
    seq: u16,
    /// IFPs sent so far (saturating), for the FEC wind-up.
    sent: u32,
    history: Vec<Vec<u8>>,
    out: Vec<u8>,
    scratch: Vec<u8>,
}

impl Sender {
    /// A sender with `cfg`.
    ///
    /// # Errors
    /// [`UdptlError::BadConfig`] for a redundancy depth above `max_secondaries`, an FEC span or
    /// entry count of 0 or above its cap.
    pub fn new(cfg: SenderConfig) -> Result<Sender, UdptlError> {
        match cfg.recovery {
            ErrorRecovery::Redundancy { depth }
                if usize::from(depth) > cfg.limits.max_secondaries.min(HISTORY - 1) =>
            {
                return Err(UdptlError::BadConfig(
                    "redundancy depth above max_secondaries",
                ))
            }
            ErrorRecovery::Fec { span, entries } => {
                if span == 0 || usize::from(span) > cfg.limits.max_fec_span {
                    return Err(UdptlError::BadConfig("FEC span must be 1..=max_fec_span"));
                }
                if entries == 0 || usize::from(entries) > cfg.limits.max_fec_entries {
                    return Err(UdptlError::BadConfig(
                        "FEC entries must be 1..=max_fec_entries",
                    ));
                }
                if usize::from(span) * usize::from(entries) >= HISTORY {
                    return Err(UdptlError::BadConfig("FEC span x entries must be below 32"));
                }
            }
            _ => {}
        }
        let max_datagram = cfg.peer_max_datagram.min(cfg.limits.max_datagram);
        let ifp_cap = max_datagram.min(cfg.limits.max_ifp);
        Ok(Sender {
            cfg,
            max_datagram,
            seq: cfg.first_seq,
            sent: 0,
            history: (0..HISTORY).map(|_| Vec::with_capacity(ifp_cap)).collect(),
            out: Vec::with_capacity(max_datagram),
            scratch: Vec::with_capacity(ifp_cap),
        })
    }

    /// The settings.
    pub fn config(&self) -> &SenderConfig {
        &self.cfg
    }

    /// The peer's max datagram in use (after clamping).
    pub fn max_datagram(&self) -> usize {
        self.max_datagram
    }

    /// Sequence number the next datagram gets.
    pub fn next_seq(&self) -> u16 {
        self.seq
    }

    /// Encodes `ifp` with the configured packing and sends it; the copy count follows
    /// [`Repeats`].
    ///
    /// # Errors
    /// [`SendError::Ifp`] if the IFP cannot be encoded in the configured packing,
    /// [`SendError::Udptl`] as for [`Sender::send_encoded`].
    pub fn send(&mut self, ifp: &Ifp<'_>) -> Result<Transmit<'_>, SendError> {
        let mut scratch = core::mem::take(&mut self.scratch);
        scratch.clear();
        let r = ifp.encode(self.cfg.packing, &mut scratch);
        let copies = self.copies_for(ifp);
        let result = match r {
            Ok(_) => self.build(&scratch).map_err(SendError::Udptl),
            Err(e) => Err(SendError::Ifp(e)),
        };
        self.scratch = scratch;
        result?;
        Ok(Transmit {
            seq: self.seq.wrapping_sub(1),
            datagram: &self.out,
            copies,
        })
    }

    /// Sends an IFP that is already encoded (one copy).
    ///
    /// # Errors
    /// [`UdptlError::EmptyIfp`], [`UdptlError::Limit`] for an IFP above `max_ifp`,
    /// [`UdptlError::IfpTooLargeForPeer`] if the IFP alone exceeds the peer's datagram.
    pub fn send_encoded(&mut self, ifp: &[u8]) -> Result<Transmit<'_>, UdptlError> {
        self.build(ifp)?;
        Ok(Transmit {
            seq: self.seq.wrapping_sub(1),
            datagram: &self.out,
            copies: 1,
        })
    }

    fn copies_for(&self, ifp: &Ifp<'_>) -> u8 {
        let r = self.cfg.repeats;
        let n = match ifp.message() {
            Message::Indicator(_) => r.indicator,
            Message::Data(_) => {
                let ends = ifp.fields().any(|f| {
                    matches!(
                        f.field_type,
                        FieldType::HDLC_SIG_END
                            | FieldType::HDLC_FCS_OK
                            | FieldType::HDLC_FCS_BAD
                            | FieldType::HDLC_FCS_OK_SIG_END
                            | FieldType::HDLC_FCS_BAD_SIG_END
                            | FieldType::T4_NON_ECM_SIG_END
                    )
                });
                if ends {
                    r.end
                } else {
                    r.data
                }
            }
        };
        n.max(1)
    }

    fn build(&mut self, ifp: &[u8]) -> Result<(), UdptlError> {
        if ifp.is_empty() {
            return Err(UdptlError::EmptyIfp);
        }
        if ifp.len() > self.cfg.limits.max_ifp {
            return Err(UdptlError::Limit {
                limit: crate::UdptlLimit::Ifp,
                value: ifp.len(),
                max: self.cfg.limits.max_ifp,
            });
        }
        // Header plus the smallest error-recovery field (2 octets for redundancy, 4 for FEC
        // with no entries).
        let recovery_min = if matches!(self.cfg.recovery, ErrorRecovery::Fec { .. }) {
            4
        } else {
            2
        };
        let base = 2 + len_det_size(ifp.len()) + ifp.len() + recovery_min;
        if base > self.max_datagram {
            return Err(UdptlError::IfpTooLargeForPeer {
                ifp: ifp.len(),
                max_datagram: self.max_datagram,
            });
        }
        let seq = self.seq;
        let out = &mut self.out;
        out.clear();
        write_header(seq, ifp, out)?;
        match self.cfg.recovery {
            ErrorRecovery::None => {
                out.push(0x00);
                write_count(0, out)?;
            }
            ErrorRecovery::Redundancy { depth } => {
                out.push(0x00);
                let want = usize::from(depth).min(sent_so_far(self.sent));
                // Find how many fit, newest first, then write them.
                let mut len = out.len() + 1;
                let mut n = 0;
                while n < want {
                    let prev = &self.history[slot_back(seq, 1 + n)];
                    let add = len_det_size(prev.len()) + prev.len();
                    if len + add > self.max_datagram {
                        break;
                    }
                    len += add;
                    n += 1;
                }
                write_count(n, out)?;
                for i in 0..n {
                    let prev = &self.history[slot_back(seq, 1 + i)];
                    write_octet_string(prev, out)?;
                }
            }
            ErrorRecovery::Fec { span, entries } => {
                let (mut span, mut entries) = (usize::from(span), usize::from(entries));
                // The deployed wind-up (spandsp's test helper, copied by Asterisk and
                // FreeSWITCH): until span x entries IFPs exist, fewer entries; span 0 until
                // `span` IFPs exist. Counted from our first datagram, not from seq 0.
                let sent = sent_so_far(self.sent);
                if sent < span * entries {
                    entries = sent / span;
                    if sent < span {
                        span = 0;
                    }
                }
                // Parity entry m covers seq + m - span*e + j*e, j = 0..span, for e entries.
                let history = &self.history;
                let member =
                    |m: usize, j: usize, e: usize| &history[slot_back(seq, span * e - m - j * e)];
                let high = |m: usize, e: usize| {
                    (0..span).map(|j| member(m, j, e).len()).max().unwrap_or(0)
                };
                // Fewer entries (each over a different set of IFPs) until the datagram fits the
                // peer's maximum; patching the count after the fact would mislead the receiver.
                let header = out.len() + 4;
                while entries > 0
                    && header
                        + (0..entries)
                            .map(|m| len_det_size(high(m, entries)) + high(m, entries))
                            .sum::<usize>()
                        > self.max_datagram
                {
                    entries -= 1;
                }
                write_fec_header(crate::per::lo8(span), entries, out)?;
                for m in 0..entries {
                    let h = high(m, entries);
                    write_len_det(out, h);
                    let start = out.len();
                    // The first member is copied, the others XORed in; shorter ones count as
                    // zero-padded.
                    out.extend_from_slice(member(m, 0, entries));
                    out.resize(start + h, 0);
                    for j in 1..span {
                        xor_into(&mut out[start..], member(m, j, entries));
                    }
                }
            }
        }
        let slot = &mut self.history[usize::from(seq) % HISTORY];
        slot.clear();
        slot.extend_from_slice(ifp);
        self.seq = seq.wrapping_add(1);
        self.sent = self.sent.saturating_add(1);
        Ok(())
    }
}

/// `dst[i] ^= src[i]` over the shorter of the two, eight octets at a time.
pub(crate) fn xor_into(dst: &mut [u8], src: &[u8]) {
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (dc, sc) in (&mut d).zip(&mut s) {
        let mut a = [0u8; 8];
        a.copy_from_slice(dc);
        let mut b = [0u8; 8];
        b.copy_from_slice(sc);
        dc.copy_from_slice(&(u64::from_ne_bytes(a) ^ u64::from_ne_bytes(b)).to_ne_bytes());
    }
    for (o, b) in d.into_remainder().iter_mut().zip(s.remainder()) {
        *o ^= b;
    }
}

/// History slot of the IFP `back` datagrams before `seq` (HISTORY divides 65,536, so this
/// is right across the wrap).
fn slot_back(seq: u16, back: usize) -> usize {
    (usize::from(seq) + 65_536 - back % 65_536) % HISTORY
}

fn sent_so_far(sent: u32) -> usize {
    usize::try_from(sent).unwrap_or(usize::MAX)
}

/// Why [`Sender::send`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The IFP cannot be encoded.
    #[error(transparent)]
    Ifp(crate::IfpError),
    /// The datagram cannot be built.
    #[error(transparent)]
    Udptl(UdptlError),
}

#[cfg(test)]
mod tests;
