//! The receiving side: drops duplicates, repairs losses from redundancy and FEC, and releases
//! IFPs strictly in order, holding a gap for a bounded time.
//!
//! ```text
//!              receive(datagram, now)                       poll(now)
//! datagram --> decode --> store primary --> secondaries --> release head in order
//!                      |  (dup? late?)      FEC repair       gap: wait until `hold` passed
//!                      |                    (re-parse the    or `max_held` IFPs wait behind
//!                      v                     repaired IFP)   it, then report it Lost
//!                   counters
//! ```
//! In-order delivery matters because the IFP layer (spandsp's `t38_core`, our terminal) drops
//! late packets: a repair must happen here, before release, or it is useless.

use std::time::{Duration, Instant};

use super::packet::{Datagram, Recovery};
use super::Limits;
use crate::error::UdptlError;
use crate::ifp::{Ifp, Packing};

/// Receiver settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverConfig {
    /// IFP packing, used to re-derive the length of FEC-repaired IFPs.
    pub packing: Packing,
    /// How long a gap is held open for a repair before it is reported lost. Default 200 ms.
    pub hold: Duration,
    /// Most IFPs waiting behind a gap before it is reported lost. Default 32, at most 32.
    pub max_held: usize,
    /// Sequence offset treated as a restart of the stream rather than loss or lateness.
    /// Default 1000 (spandsp uses 2000 at the IFP layer).
    pub resync_after: u16,
    /// Caps.
    pub limits: Limits,
}

impl ReceiverConfig {
    /// Defaults for `packing`.
    pub fn new(packing: Packing) -> Self {
        ReceiverConfig {
            packing,
            hold: Duration::from_millis(200),
            max_held: 32,
            resync_after: 1000,
            limits: Limits::default(),
        }
    }
}

/// What the receiver has seen. Every released sequence number is counted exactly once in
/// `delivered_primary`, `recovered_redundancy`, `recovered_fec` or `lost`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Counters {
    /// Well-formed datagrams received (including duplicates and late ones).
    pub received: u64,
    /// Datagrams that did not decode.
    pub malformed: u64,
    /// Datagrams whose primary had been received before.
    pub duplicate: u64,
    /// Datagrams whose sequence number was already released (recovered or lost) when the
    /// primary arrived.
    pub late: u64,
    /// IFPs released from their own datagram.
    pub delivered_primary: u64,
    /// IFPs released from a secondary copy, their own datagram not having arrived.
    pub recovered_redundancy: u64,
    /// IFPs released from FEC parity, their own datagram not having arrived.
    pub recovered_fec: u64,
    /// Sequence numbers released as lost.
    pub lost: u64,
    /// Jumps in sequence numbers treated as a restart.
    pub resyncs: u64,
}

/// Where a released IFP came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// Its own datagram.
    Primary,
    /// A secondary IFP in a later datagram.
    Redundancy,
    /// Repaired from FEC parity.
    Fec,
}

/// One released sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery<'a> {
    /// The IFP for `seq`, in order.
    Ifp {
        /// Sequence number.
        seq: u16,
        /// The encoded IFP.
        ifp: &'a [u8],
        /// Where it came from.
        source: Source,
    },
    /// `seq` could not be received or repaired in time.
    Lost {
        /// Sequence number.
        seq: u16,
    },
}

const RING: usize = 64;
const RING_I32: i32 = 64;
const MAX_ENTRIES: usize = 8;

#[derive(Debug)]
struct Slot {
    seq: u16,
    /// The slot describes `seq` (false: never used, or reset).
    valid: bool,
    /// Source of the data held, if any.
    data: Option<Source>,
    released: bool,
    buf: Vec<u8>,
    /// FEC parity carried by datagram `seq`: span, entry count and entries.
    fec_span: u8,
    fec_entries: u8,
    parity: [Vec<u8>; MAX_ENTRIES],
}

impl Slot {
    fn new(cap: usize) -> Slot {
        Slot {
            seq: 0,
            valid: false,
            data: None,
            released: false,
            buf: Vec::with_capacity(cap),
            fec_span: 0,
            fec_entries: 0,
            parity: core::array::from_fn(|_| Vec::with_capacity(cap)),
        }
    }

    fn reset(&mut self, seq: u16) {
        self.seq = seq;
        self.valid = true;
        self.data = None;
        self.released = false;
        self.buf.clear();
        self.fec_span = 0;
        self.fec_entries = 0;
    }

    fn is(&self, seq: u16) -> bool {
        self.valid && self.seq == seq
    }
}

/// The UDPTL receiver. Sans-IO: feed datagrams with [`Receiver::receive`], then drain
/// [`Receiver::poll`] until it returns `None`; wake at [`Receiver::poll_timeout`].
///
/// All buffers are allocated in [`Receiver::new`]; receiving does not allocate.
#[derive(Debug)]
pub struct Receiver {
    cfg: ReceiverConfig,
    slots: Vec<Slot>,
    started: bool,
    /// Next sequence number to release.
    next: u16,
    /// Highest sequence number stored (valid when `held > 0`).
    highest: u16,
    /// Unreleased IFPs with data at or after `next`.
    held: usize,
    /// When the current gap at `next` times out.
    gap_deadline: Option<Instant>,
    counters: Counters,
}

fn ahead(a: u16, b: u16) -> i32 {
    // Signed distance from b to a.
    i32::from(a.wrapping_sub(b) as i16)
}

impl Receiver {
    /// A receiver with `cfg` (`max_held` is clamped to 32).
    pub fn new(mut cfg: ReceiverConfig) -> Receiver {
        cfg.max_held = cfg.max_held.clamp(1, 32);
        let cap = cfg.limits.max_ifp.min(cfg.limits.max_datagram);
        Receiver {
            cfg,
            slots: (0..RING).map(|_| Slot::new(cap)).collect(),
            started: false,
            next: 0,
            highest: 0,
            held: 0,
            gap_deadline: None,
            counters: Counters::default(),
        }
    }

    /// Forgets the stream and the counters (a new call), keeping the buffers.
    pub fn reset(&mut self) {
        for s in &mut self.slots {
            s.valid = false;
            s.fec_entries = 0;
        }
        self.started = false;
        self.next = 0;
        self.highest = 0;
        self.held = 0;
        self.gap_deadline = None;
        self.counters = Counters::default();
    }

    /// The counters so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The next sequence number to be released, once the first datagram arrived.
    pub fn next_seq(&self) -> Option<u16> {
        self.started.then_some(self.next)
    }

    /// When [`Receiver::poll`] should be called again if no datagram arrives first.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.gap_deadline
    }

    /// Takes one datagram received at `now`.
    ///
    /// # Errors
    /// The datagram does not decode (it is counted in `malformed` and otherwise ignored).
    pub fn receive(&mut self, datagram: &[u8], _now: Instant) -> Result<(), UdptlError> {
        let d = match Datagram::decode(datagram, &self.cfg.limits) {
            Ok(d) => d,
            Err(e) => {
                self.counters.malformed += 1;
                return Err(e);
            }
        };
        self.counters.received += 1;
        let seq = d.seq;
        if !self.started {
            self.started = true;
            self.next = seq;
            self.highest = seq;
        }
        let mut off = ahead(seq, self.next);
        if off.unsigned_abs() > u32::from(self.cfg.resync_after) {
            self.restart(seq);
            off = 0;
        }
        if off < 0 {
            let slot = &self.slots[usize::from(seq) % RING];
            if slot.is(seq) && slot.data == Some(Source::Primary) {
                self.counters.duplicate += 1;
            } else {
                self.counters.late += 1;
            }
            return Ok(());
        }
        // Keep the window: anything 64 or more ahead pushes unreleased slots out as lost.
        while ahead(seq, self.next) >= RING_I32 {
            self.skip_head();
        }
        // The primary.
        let slot = &mut self.slots[usize::from(seq) % RING];
        if !slot.is(seq) {
            slot.reset(seq);
        }
        match slot.data {
            Some(Source::Primary) => {
                self.counters.duplicate += 1;
                return Ok(());
            }
            Some(_) => {}
            None => self.held += 1,
        }
        slot.data = Some(Source::Primary);
        slot.buf.clear();
        slot.buf.extend_from_slice(d.primary);
        if self.held == 1 || ahead(seq, self.highest) > 0 {
            self.highest = seq;
        }
        match d.recovery {
            Recovery::Redundancy(list) => {
                for (i, sec) in list.iter().enumerate() {
                    let s = seq.wrapping_sub(u16::try_from(i + 1).unwrap_or(u16::MAX));
                    if ahead(s, self.next) < 0 {
                        break;
                    }
                    self.fill(s, sec, Source::Redundancy);
                }
            }
            Recovery::Fec { span, entries } => {
                let slot = &mut self.slots[usize::from(seq) % RING];
                slot.fec_entries = 0;
                // Parity covers only IFPs before `seq`. Without a gap now every one of them
                // that can still be released is here, so the parity can never be needed.
                if !self.has_gap() {
                    return Ok(());
                }
                let slot = &mut self.slots[usize::from(seq) % RING];
                let n = entries.len().min(MAX_ENTRIES);
                slot.fec_span = span;
                slot.fec_entries = crate::per::lo8(n);
                for (dst, src) in slot.parity.iter_mut().zip(entries.iter()) {
                    dst.clear();
                    dst.extend_from_slice(src);
                }
                self.repair_fec();
            }
        }
        Ok(())
    }

    /// Stores a recovered IFP for `s` unless it already has data.
    fn fill(&mut self, s: u16, ifp: &[u8], source: Source) {
        let slot = &mut self.slots[usize::from(s) % RING];
        if !slot.is(s) {
            slot.reset(s);
        }
        if slot.data.is_some() || slot.released {
            return;
        }
        slot.data = Some(source);
        slot.buf.clear();
        slot.buf.extend_from_slice(ifp);
        self.held += 1;
        if ahead(s, self.highest) > 0 {
            self.highest = s;
        }
    }

    fn has_data(&self, s: u16) -> bool {
        let slot = &self.slots[usize::from(s) % RING];
        slot.is(s) && slot.data.is_some()
    }

    /// True if some sequence number between `next` and `highest` has no data.
    fn has_gap(&self) -> bool {
        self.held > 0
            && self.held < usize::try_from(ahead(self.highest, self.next) + 1).unwrap_or(0)
    }

    /// Repairs every IFP that exactly one missing member of a parity group allows, until no
    /// more can be.
    fn repair_fec(&mut self) {
        while self.has_gap() {
            let mut progress = false;
            let span_back = ahead(self.highest, self.next);
            // Datagrams whose parity can cover an unreleased IFP: next+1 ..= highest.
            for back in 0..span_back {
                let l = self.highest.wrapping_sub(u16::try_from(back).unwrap_or(0));
                let slot = &self.slots[usize::from(l) % RING];
                if !slot.is(l) || slot.fec_entries == 0 || slot.fec_span == 0 {
                    continue;
                }
                let (span, entries) = (usize::from(slot.fec_span), usize::from(slot.fec_entries));
                for m in 0..entries {
                    let member = |j: usize| {
                        let back = span * entries - m - j * entries;
                        l.wrapping_sub(u16::try_from(back).unwrap_or(0))
                    };
                    let mut missing = None;
                    let mut n_missing = 0;
                    for j in 0..span {
                        let k = member(j);
                        if !self.has_data(k) {
                            n_missing += 1;
                            missing = Some(k);
                        }
                    }
                    let Some(k) = missing else { continue };
                    if n_missing != 1 || ahead(k, self.next) < 0 {
                        continue;
                    }
                    if self.repair_one(l, m, k, span, entries) {
                        progress = true;
                    }
                }
            }
            if !progress {
                break;
            }
        }
    }

    /// XORs parity entry `m` of datagram `l` with the other members into the slot of `k`, then
    /// re-derives the IFP length by parsing (parity has the length of the longest member).
    fn repair_one(&mut self, l: u16, m: usize, k: u16, span: usize, entries: usize) -> bool {
        let ks = usize::from(k) % RING;
        let mut buf = core::mem::take(&mut self.slots[ks].buf);
        buf.clear();
        buf.extend_from_slice(&self.slots[usize::from(l) % RING].parity[m]);
        for j in 0..span {
            let back = span * entries - m - j * entries;
            let s = l.wrapping_sub(u16::try_from(back).unwrap_or(0));
            if s == k {
                continue;
            }
            for (o, b) in buf
                .iter_mut()
                .zip(self.slots[usize::from(s) % RING].buf.iter())
            {
                *o ^= b;
            }
        }
        let used = match Ifp::decode_prefix(&buf, self.cfg.packing) {
            Ok((_, used)) if buf[used..].iter().all(|&b| b == 0) => Some(used),
            _ => None,
        };
        let slot = &mut self.slots[ks];
        if !slot.is(k) {
            slot.reset(k);
        }
        slot.buf = buf;
        slot.released = false;
        match used {
            Some(n) => {
                slot.buf.truncate(n);
                slot.data = Some(Source::Fec);
                self.held += 1;
                if ahead(k, self.highest) > 0 {
                    self.highest = k;
                }
                true
            }
            None => {
                slot.buf.clear();
                false
            }
        }
    }

    fn restart(&mut self, seq: u16) {
        self.counters.resyncs += 1;
        for s in &mut self.slots {
            s.valid = false;
        }
        self.next = seq;
        self.highest = seq;
        self.held = 0;
        self.gap_deadline = None;
    }

    /// Releases the head without delivering it (window overflow).
    fn skip_head(&mut self) {
        let s = self.next;
        let slot = &mut self.slots[usize::from(s) % RING];
        if slot.is(s) && slot.data.is_some() && !slot.released {
            self.held = self.held.saturating_sub(1);
        }
        slot.reset(s);
        slot.released = true;
        self.counters.lost += 1;
        self.next = s.wrapping_add(1);
        self.gap_deadline = None;
    }

    /// The next released IFP or loss, in sequence order, or `None` when the head must wait.
    pub fn poll(&mut self, now: Instant) -> Option<Delivery<'_>> {
        self.poll_inner(Some(now))
    }

    /// Like [`Receiver::poll`] with every hold expired: at the end of a call, drain this until
    /// `None` to release what is held and report the gaps before it as lost.
    pub fn flush(&mut self) -> Option<Delivery<'_>> {
        self.poll_inner(None)
    }

    fn poll_inner(&mut self, now: Option<Instant>) -> Option<Delivery<'_>> {
        if !self.started {
            return None;
        }
        let s = self.next;
        let idx = usize::from(s) % RING;
        let slot = &self.slots[idx];
        if slot.is(s) && !slot.released {
            if let Some(source) = slot.data {
                self.held = self.held.saturating_sub(1);
                self.next = s.wrapping_add(1);
                self.gap_deadline = None;
                match source {
                    Source::Primary => self.counters.delivered_primary += 1,
                    Source::Redundancy => self.counters.recovered_redundancy += 1,
                    Source::Fec => self.counters.recovered_fec += 1,
                }
                let slot = &mut self.slots[idx];
                slot.released = true;
                return Some(Delivery::Ifp {
                    seq: s,
                    ifp: &slot.buf,
                    source,
                });
            }
        }
        if self.held == 0 {
            self.gap_deadline = None;
            return None;
        }
        let expired = match now {
            Some(now) => now >= *self.gap_deadline.get_or_insert(now + self.cfg.hold),
            None => true,
        };
        if self.held >= self.cfg.max_held || expired {
            let slot = &mut self.slots[idx];
            slot.reset(s);
            slot.released = true;
            self.counters.lost += 1;
            self.next = s.wrapping_add(1);
            return Some(Delivery::Lost { seq: s });
        }
        None
    }
}

#[cfg(test)]
mod tests;
