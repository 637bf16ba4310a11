//! The transmit side: turns each t30 [`Transmit`] into timed IFPs, paced like a modem
//! (one IFP per chunk interval, as many octets as the rate carries in it) or all at once.

use super::modem;
use super::{Category, Pacing, Packet};
use crate::codes::{FieldType, Indicator};
use crate::ifp::{Field, Ifp, Message, Packing};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use t30::{BitOrder, Carrier, Transmit};

/// Flags before V.21 frames: the same 1 s the session's airtime counts.
const V21_PREAMBLE: Duration = Duration::from_secs(1);
/// Training before phase C data (short V.17 training), as the session's airtime counts.
const FAST_TRAINING: Duration = Duration::from_millis(200);
/// Largest field in unpaced mode: comfortably below every IFP and datagram limit.
pub(crate) const UNPACED_MAX_CHUNK: usize = 256;

/// IFPs waiting for their time.
#[derive(Debug)]
pub(crate) struct Schedule {
    packing: Packing,
    pacing: Pacing,
    queue: VecDeque<Packet>,
    /// When the line is free again (paced mode).
    busy_until: Option<Instant>,
    /// Heap bytes of queued IFPs are bounded by what one transmission needs.
    scratch: Vec<u8>,
}

impl Schedule {
    pub(crate) fn new(packing: Packing, pacing: Pacing) -> Schedule {
        Schedule {
            packing,
            pacing,
            queue: VecDeque::new(),
            busy_until: None,
            scratch: Vec::new(),
        }
    }

    /// The time of the next IFP.
    pub(crate) fn next_at(&self) -> Option<Instant> {
        self.queue.front().map(|p| p.at)
    }

    /// The next IFP if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Packet> {
        if self.queue.front()?.at <= now {
            self.queue.pop_front()
        } else {
            None
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Heap bytes held by queued IFPs.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.queue.capacity() * std::mem::size_of::<Packet>()
            + self.queue.iter().map(|p| p.ifp.capacity()).sum::<usize>()
            + self.scratch.capacity()
    }

    fn chunk_octets(&self, bps: u32) -> usize {
        match self.pacing {
            Pacing::Paced { interval } => modem::octets_per_chunk(bps, interval),
            Pacing::Unpaced => UNPACED_MAX_CHUNK,
        }
    }

    fn push(&mut self, at: Instant, message: Message, fields: &[Field<'_>], category: Category) {
        self.scratch.clear();
        // Every field here is at most one chunk (far below 65 535 octets), so encoding cannot
        // fail; if it ever did, the IFP is left out rather than sent half-made.
        if Ifp::new(message, fields)
            .encode(self.packing, &mut self.scratch)
            .is_ok()
        {
            self.queue.push_back(Packet {
                at,
                ifp: self.scratch.clone(),
                category,
            });
        }
    }

    /// A tone indicator, right away (or when the line is free); it does not occupy the line.
    pub(crate) fn indicator(&mut self, indicator: Indicator, now: Instant) {
        let at = self.start(now);
        self.push(at, Message::Indicator(indicator), &[], Category::Indicator);
    }

    fn start(&self, now: Instant) -> Instant {
        self.busy_until.map_or(now, |b| b.max(now))
    }

    fn finish(&mut self, end: Instant) {
        self.busy_until = Some(end);
    }

    /// Schedules one transmission of the session.
    ///
    /// Paced, each IFP leaves when its last octet would have left a modem: after the
    /// preamble or training, chunk by chunk at the carrier's bit rate, each frame end after
    /// its 2 FCS octets and closing flag. That is exactly the airtime the session assumes
    /// ([`Transmit::airtime`]), so its response timers start when the far end has really
    /// received everything; a sender that lags behind its own session (spandsp's fixed 30 ms
    /// per 1-octet V.21 IFP) makes the session repeat commands the peer is still receiving.
    pub(crate) fn transmit(&mut self, t: &Transmit, now: Instant) {
        let begin = self.start(now);
        match t {
            Transmit::Frames { carrier, frames } => {
                let (ind, lead) = match carrier {
                    Carrier::V21 => (Indicator::V21_PREAMBLE, V21_PREAMBLE),
                    Carrier::Fast(rate) => (modem::training(*rate), FAST_TRAINING),
                };
                self.push(begin, Message::Indicator(ind), &[], Category::Indicator);
                let bps = modem::bps(*carrier);
                let clock = LineClock::new(begin, lead, bps, self.paced());
                let msg = Message::Data(modem::data_type(*carrier));
                let chunk = self.chunk_octets(bps);
                let n = frames.len();
                let mut sent = 0usize;
                for (i, frame) in frames.iter().enumerate() {
                    let bytes = frame.to_bytes(BitOrder::T30);
                    for c in bytes.chunks(chunk) {
                        sent += c.len();
                        self.push(
                            clock.at(sent),
                            msg,
                            &[Field::new(FieldType::HDLC_DATA, c)],
                            Category::Data,
                        );
                    }
                    // Two FCS octets and the closing flag.
                    sent += 3;
                    let end = if i + 1 == n {
                        FieldType::HDLC_FCS_OK_SIG_END
                    } else {
                        FieldType::HDLC_FCS_OK
                    };
                    self.push(clock.at(sent), msg, &[Field::bare(end)], Category::End);
                }
                self.no_signal(clock.at(sent));
            }
            Transmit::Tcf { rate, duration } => {
                let bps = rate.bps();
                let octets = usize::try_from(u128::from(bps) * duration.as_micros() / 8_000_000)
                    .unwrap_or(0);
                let zeros = vec![0u8; self.chunk_octets(bps).min(octets.max(1))];
                self.non_ecm(begin, *rate, octets, |_, len| &zeros[..len]);
            }
            Transmit::NonEcm { rate, data } => {
                self.non_ecm(begin, *rate, data.len(), |at, len| &data[at..at + len]);
            }
            _ => {}
        }
    }

    fn paced(&self) -> bool {
        matches!(self.pacing, Pacing::Paced { .. })
    }

    /// `no-signal` at `at`; the line is free from then on.
    fn no_signal(&mut self, at: Instant) {
        self.push(
            at,
            Message::Indicator(Indicator::NO_SIGNAL),
            &[],
            Category::Indicator,
        );
        self.finish(at);
    }

    /// Training indicator, `total` octets as `t4-non-ecm-data` (taken from `data(offset,
    /// len)`), a bare `t4-non-ecm-sig-end`, then no-signal.
    fn non_ecm<'d>(
        &mut self,
        begin: Instant,
        rate: t30::Rate,
        total: usize,
        data: impl Fn(usize, usize) -> &'d [u8],
    ) {
        let carrier = Carrier::Fast(rate);
        let msg = Message::Data(modem::data_type(carrier));
        self.push(
            begin,
            Message::Indicator(modem::training(rate)),
            &[],
            Category::Indicator,
        );
        let clock = LineClock::new(begin, FAST_TRAINING, rate.bps(), self.paced());
        let chunk = self.chunk_octets(rate.bps());
        let mut offset = 0;
        while offset < total {
            let len = chunk.min(total - offset);
            let c = data(offset, len);
            offset += len;
            self.push(
                clock.at(offset),
                msg,
                &[Field::new(FieldType::T4_NON_ECM_DATA, c)],
                Category::Data,
            );
        }
        let end = clock.at(offset);
        self.push(
            end,
            msg,
            &[Field::bare(FieldType::T4_NON_ECM_SIG_END)],
            Category::End,
        );
        self.no_signal(end);
    }
}

/// When octet `n` of a carrier has left the modem (everything at `begin` when unpaced).
struct LineClock {
    begin: Instant,
    lead: Duration,
    bps: u64,
    paced: bool,
}

impl LineClock {
    fn new(begin: Instant, lead: Duration, bps: u32, paced: bool) -> LineClock {
        LineClock {
            begin,
            lead,
            bps: u64::from(bps.max(1)),
            paced,
        }
    }

    fn at(&self, octets: usize) -> Instant {
        if !self.paced {
            return self.begin;
        }
        let octets = u64::try_from(octets).unwrap_or(u64::MAX);
        self.begin + self.lead + Duration::from_micros(octets.saturating_mul(8_000_000) / self.bps)
    }
}
