//! A T.38 fax terminal (feature `terminal`): a [`t30::Session`] driven over IFP packets.
//!
//! The terminal is the T.38 front end of the session. Outgoing, it turns each
//! [`t30::Transmit`] into the IFPs a T.38 terminal sends on the wire: the V.21 preamble or
//! training indicator, HDLC frames as `hdlc-data` chunks closed by `hdlc-fcs-OK` (the last one
//! `hdlc-fcs-OK-sig-end`), TCF as zeros in `t4-non-ecm-data` (T.38 "transferredTCF"), non-ECM
//! pages the same way closed by `t4-non-ecm-sig-end`, and `no-signal` after every carrier.
//! Incoming, it reassembles frames and reports them with their FCS verdict, passes non-ECM
//! data on, and turns training indicators and signal ends into carrier up and down.
//!
//! Pacing ([`Pacing::Paced`], the UDPTL default) cuts data into chunks of the octets the
//! carrier's rate fills in 30 ms (1 at V.21, 54 at 14 400 bit/s, as spandsp does) and sends
//! each IFP when its last octet would have left a modem. The schedule therefore takes exactly
//! the airtime the session assumes ([`t30::Transmit::airtime`]); a terminal that lags behind it
//! makes its session repeat commands the peer is still receiving. [`Pacing::Unpaced`] (TCP,
//! IAF) sends everything at once. The IFP packing follows the negotiated `T38FaxVersion`.
//!
//! Real peers repeat things: spandsp asks for 3 copies of every indicator and frame end, sends
//! a superfluous `hdlc-sig-end` after `hdlc-fcs-OK-sig-end`, and UDPTL redundancy re-delivers
//! nothing but may leave a gap. Repeated indicators, frame ends without a frame and signal
//! ends without a carrier are counted and ignored; a lost IFP marks the frame in progress
//! damaged (its verdict becomes FCS-BAD), and lost non-ECM data simply leaves rows missing, which
//! the session reports as bad rows.
//!
//! Sans-IO: feed received IFPs with [`Terminal::handle_ifp`] (or
//! [`Terminal::handle_encoded`]) and losses with [`Terminal::handle_lost`], call
//! [`Terminal::handle_timeout`] at [`Terminal::poll_timeout`], and send what
//! [`Terminal::poll_transmit`] returns.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use t38::terminal::{Config, Terminal};
//! use t38::{Ifp, Indicator, Packing};
//!
//! struct Discard;
//! impl t30::PageSink for Discard {
//!     fn page(&mut self, _page: t30::ReceivedPage) {}
//! }
//!
//! // An answering terminal at T38FaxVersion 0.
//! let now = Instant::now();
//! let session = t30::Config::receiver(false, Box::new(Discard));
//! let mut term = Terminal::new(session, Config::new(0, false), now)?;
//!
//! // It answers with CED, then the V.21 preamble of its DIS.
//! let first = term.poll_transmit(now).expect("CED is due at once");
//! let ifp = Ifp::decode(&first.ifp, Packing::V1998)?;
//! assert_eq!(ifp.message(), t38::Message::Indicator(Indicator::CED));
//! let mut sent = 1;
//! let mut t = now;
//! while let Some(next) = term.poll_timeout() {
//!     if next > now + Duration::from_secs(2) { break; }
//!     t = next;
//!     term.handle_timeout(t);
//!     while term.poll_transmit(t).is_some() { sent += 1; }
//! }
//! // CED, preamble, then the DIS frames one octet per IFP.
//! assert!(sent > 10);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod modem;
mod rx;
mod tx;

use crate::error::IfpError;
use crate::ifp::{Ifp, Packing};
use crate::Indicator;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use t30::{BitOrder, Event, Output, Session};

/// Default time between paced IFPs (spandsp's `DEFAULT_MS_PER_TX_CHUNK`).
pub const DEFAULT_CHUNK_INTERVAL: Duration = Duration::from_millis(30);

/// How the terminal spreads a transmission over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pacing {
    /// Chunks of the octets the rate carries in `interval`, each sent when a modem would
    /// have finished it (UDPTL).
    Paced {
        /// Line time per full chunk; 30 ms by default.
        interval: Duration,
    },
    /// Every IFP of a transmission at once, data in chunks of up to 256 octets (TCP, IAF).
    Unpaced,
}

/// What kind of IFP a [`Packet`] is: senders that repeat packets (spandsp's counts: 3, 1, 3)
/// do it per category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// An indicator.
    Indicator,
    /// Data that neither ends a frame nor a signal.
    Data,
    /// A frame end (`hdlc-fcs-*`) or signal end (`*-sig-end`).
    End,
}

impl Category {
    /// spandsp's number of copies for the category (`INDICATOR_TX_COUNT`,
    /// `DATA_TX_COUNT`, `DATA_END_TX_COUNT`).
    pub fn spandsp_copies(self) -> u8 {
        match self {
            Category::Indicator | Category::End => 3,
            Category::Data => 1,
        }
    }
}

/// One encoded IFP to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Packet {
    /// When it is due.
    pub at: Instant,
    /// The encoded IFP, in the terminal's packing.
    pub ifp: Vec<u8>,
    /// Its repeat category.
    pub category: Category,
}

/// Sizes only: IFPs carry page data.
impl core::fmt::Debug for Packet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Packet {:?} [{} octets]", self.category, self.ifp.len())
    }
}

/// How the terminal behaves on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// IFP packing, from the negotiated `T38FaxVersion`.
    pub packing: Packing,
    /// Paced (UDPTL) or not (TCP).
    pub pacing: Pacing,
    /// True for the calling terminal (sends CNG first), false for the answering one (CED).
    pub calling: bool,
}

impl Config {
    /// A paced terminal at `T38FaxVersion` `version`.
    pub fn new(version: u8, calling: bool) -> Config {
        Config {
            packing: Packing::for_version(version),
            pacing: Pacing::Paced {
                interval: DEFAULT_CHUNK_INTERVAL,
            },
            calling,
        }
    }
}

/// What the terminal saw and tolerated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// IFPs handed to [`Terminal::handle_ifp`] / [`Terminal::handle_encoded`].
    pub ifps_received: u64,
    /// Received IFPs that did not decode.
    pub malformed: u64,
    /// IFPs reported lost by the transport.
    pub lost: u64,
    /// IFPs returned by [`Terminal::poll_transmit`].
    pub ifps_sent: u64,
    /// HDLC frames passed on with a good FCS.
    pub frames_ok: u64,
    /// HDLC frames passed on as bad (FCS-BAD from the peer, or damaged by loss).
    pub frames_bad: u64,
    /// Partial frames dropped (a signal ended before the frame's FCS verdict).
    pub frames_discarded: u64,
    /// Indicators equal to the previous one (copies), ignored.
    pub repeated_indicators: u64,
    /// Frame ends without a frame and signal ends without a carrier, ignored.
    pub superfluous_ends: u64,
    /// Fields of a type a terminal does not use (V.34 extensions), ignored.
    pub ignored_fields: u64,
}

/// A T.38 terminal around a t30 session (see the module docs).
#[derive(Debug)]
pub struct Terminal {
    session: Session,
    cfg: Config,
    tx: tx::Schedule,
    rx: rx::Deframer,
    events: VecDeque<Event>,
    counters: Counters,
}

impl Terminal {
    /// Starts a terminal and its session at `now`. The session's bit order is set to
    /// [`BitOrder::T30`], the order T.38 carries frames and page data in.
    ///
    /// # Errors
    /// The session configuration is inconsistent (see [`t30::ConfigError`]).
    pub fn new(
        mut session: t30::Config,
        cfg: Config,
        now: Instant,
    ) -> Result<Terminal, t30::ConfigError> {
        session.bit_order = BitOrder::T30;
        let session = Session::new(session, now)?;
        let mut t = Terminal {
            session,
            cfg,
            tx: tx::Schedule::new(cfg.packing, cfg.pacing),
            rx: rx::Deframer::default(),
            events: VecDeque::new(),
            counters: Counters::default(),
        };
        let tone = if cfg.calling {
            Indicator::CNG
        } else {
            Indicator::CED
        };
        t.tx.indicator(tone, now);
        t.pump(now);
        Ok(t)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The session (for its outcome and state).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The outcome, once the session has finished.
    pub fn outcome(&self) -> Option<&t30::Outcome> {
        self.session.outcome()
    }

    /// True when the session has finished and every IFP has been handed out.
    pub fn is_done(&self) -> bool {
        self.session.is_done() && self.tx.is_empty()
    }

    /// What the terminal counted so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Heap bytes held by the terminal and its session.
    pub fn heap_bytes(&self) -> usize {
        self.session.heap_bytes()
            + self.tx.heap_bytes()
            + self.rx.heap_bytes()
            + self.events.capacity() * std::mem::size_of::<Event>()
    }

    /// Feeds one received IFP.
    pub fn handle_ifp(&mut self, ifp: &Ifp<'_>, now: Instant) {
        self.counters.ifps_received += 1;
        self.rx
            .feed(ifp, &mut self.session, now, &mut self.counters);
        self.pump(now);
    }

    /// Decodes an IFP in the terminal's packing and feeds it.
    ///
    /// # Errors
    /// The IFP is malformed (it is counted and otherwise ignored, like noise on a line).
    pub fn handle_encoded(&mut self, ifp: &[u8], now: Instant) -> Result<(), IfpError> {
        match Ifp::decode(ifp, self.cfg.packing) {
            Ok(p) => {
                self.handle_ifp(&p, now);
                Ok(())
            }
            Err(e) => {
                self.counters.ifps_received += 1;
                self.counters.malformed += 1;
                Err(e)
            }
        }
    }

    /// The transport lost an IFP for good (UDPTL `Delivery::Lost`).
    pub fn handle_lost(&mut self, now: Instant) {
        self.counters.lost += 1;
        self.rx.lost();
        self.pump(now);
    }

    /// Runs the session's timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.session.handle_timeout(now);
        self.pump(now);
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) or
    /// [`poll_transmit`](Self::poll_transmit) next; `None` once done.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.session.poll_timeout(), self.tx.next_at()]
            .into_iter()
            .flatten()
            .min()
    }

    /// The next IFP due at `now`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Packet> {
        let p = self.tx.pop_due(now)?;
        self.counters.ifps_sent += 1;
        Some(p)
    }

    /// The next session event (pages, negotiation, the end of the call).
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Ends the call now (the session sends DCN).
    pub fn abort(&mut self, now: Instant) {
        self.session.abort(now);
        self.pump(now);
    }

    /// Moves the session's outputs into the schedule and the event queue.
    fn pump(&mut self, now: Instant) {
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Transmit(t) => self.tx.transmit(&t, now),
                Output::Event(e) => self.events.push_back(e),
            }
        }
    }
}

#[cfg(test)]
mod tests;
