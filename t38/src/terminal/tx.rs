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

    fn interval(&self) -> Duration {
        match self.pacing {
            Pacing::Paced { interval } => interval,
            Pacing::Unpaced => Duration::ZERO,
        }
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

    /// A tone or state indicator, right away (or when the line is free).
    pub(crate) fn indicator(&mut self, indicator: Indicator, now: Instant) {
        let at = self.start(now);
        self.push(at, Message::Indicator(indicator), &[], Category::Indicator);
        self.finish(at + self.interval());
    }

    fn start(&self, now: Instant) -> Instant {
        self.busy_until.map_or(now, |b| b.max(now))
    }

    fn finish(&mut self, end: Instant) {
        self.busy_until = Some(end);
    }

    /// Schedules one transmission of the session.
    pub(crate) fn transmit(&mut self, t: &Transmit, now: Instant) {
        let begin = self.start(now);
        let paced = matches!(self.pacing, Pacing::Paced { .. });
        let step = self.interval();
        match t {
            Transmit::Frames { carrier, frames } => {
                let (ind, lead) = match carrier {
                    Carrier::V21 => (Indicator::V21_PREAMBLE, V21_PREAMBLE),
                    Carrier::Fast(rate) => (modem::training(*rate), FAST_TRAINING),
                };
                self.push(begin, Message::Indicator(ind), &[], Category::Indicator);
                let mut at = if paced { begin + lead } else { begin };
                let msg = Message::Data(modem::data_type(*carrier));
                let chunk = self.chunk_octets(modem::bps(*carrier));
                let n = frames.len();
                for (i, frame) in frames.iter().enumerate() {
                    let bytes = frame.to_bytes(BitOrder::T30);
                    for c in bytes.chunks(chunk) {
                        self.push(
                            at,
                            msg,
                            &[Field::new(FieldType::HDLC_DATA, c)],
                            Category::Data,
                        );
                        at += step;
                    }
                    let end = if i + 1 == n {
                        FieldType::HDLC_FCS_OK_SIG_END
                    } else {
                        FieldType::HDLC_FCS_OK
                    };
                    self.push(at, msg, &[Field::bare(end)], Category::End);
                    at += step;
                }
                self.push(
                    at,
                    Message::Indicator(Indicator::NO_SIGNAL),
                    &[],
                    Category::Indicator,
                );
                self.finish(at + step);
            }
            Transmit::Tcf { rate, duration } => {
                let bps = rate.bps();
                let octets = usize::try_from(
                    u128::from(bps) * duration.as_micros() / 8_000_000,
                )
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

    /// Training indicator, `total` octets as `t4-non-ecm-data` (taken from `data(offset,
    /// len)`), a bare `t4-non-ecm-sig-end`, then no-signal.
    fn non_ecm<'d>(
        &mut self,
        begin: Instant,
        rate: t30::Rate,
        total: usize,
        data: impl Fn(usize, usize) -> &'d [u8],
    ) {
        let paced = matches!(self.pacing, Pacing::Paced { .. });
        let step = self.interval();
        let carrier = Carrier::Fast(rate);
        let msg = Message::Data(modem::data_type(carrier));
        self.push(
            begin,
            Message::Indicator(modem::training(rate)),
            &[],
            Category::Indicator,
        );
        let mut at = if paced { begin + FAST_TRAINING } else { begin };
        let chunk = self.chunk_octets(rate.bps());
        let mut offset = 0;
        while offset < total {
            let len = chunk.min(total - offset);
            let c = data(offset, len);
            self.push(
                at,
                msg,
                &[Field::new(FieldType::T4_NON_ECM_DATA, c)],
                Category::Data,
            );
            offset += len;
            at += step;
        }
        self.push(
            at,
            msg,
            &[Field::bare(FieldType::T4_NON_ECM_SIG_END)],
            Category::End,
        );
        at += step;
        self.push(
            at,
            Message::Indicator(Indicator::NO_SIGNAL),
            &[],
            Category::Indicator,
        );
        self.finish(at + step);
    }
}
