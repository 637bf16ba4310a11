//! One call: a T.38 [`Terminal`] (driving a t30 session) with its own UDPTL [`Sender`] and
//! [`Receiver`]. Sans-IO like the pieces it holds: datagrams in, datagrams out, the current
//! time as an argument, the next deadline on request. The server's single loop owns many of
//! these, keyed by the peer's address.

use super::config::{Config as FaxdConfig, PacingMode, Recovery};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use t30::{PageSink, ReceivedPage};
use t38::terminal::{Config, Pacing, Terminal};
use t38::udptl::{Delivery, ErrorRecovery, Receiver, ReceiverConfig, Sender, SenderConfig};
use t38::Packing;

/// Largest datagram we accept and announce (the usual `T38FaxMaxDatagram`).
pub const MAX_DATAGRAM: usize = 1400;
/// The longest a call may last (a peer that keeps a call alive without finishing it).
pub const CALL_LIMIT: Duration = Duration::from_secs(3 * 3600);

/// Received pages, shared with the session's sink.
#[derive(Clone, Default)]
pub struct Pages(Arc<Mutex<Vec<ReceivedPage>>>);

impl Pages {
    /// Takes the pages received so far.
    pub fn take(&self) -> Vec<ReceivedPage> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    /// How many pages were received so far.
    pub fn count(&self) -> usize {
        self.0.lock().map(|v| v.len()).unwrap_or(0)
    }
}

impl PageSink for Pages {
    fn page(&mut self, page: ReceivedPage) {
        if let Ok(mut v) = self.0.lock() {
            v.push(page);
        }
    }
}

/// Why a call could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The T.38 or UDPTL configuration was refused.
    #[error("call setup: {0}")]
    Setup(String),
}

/// Datagrams and bytes of one call.
#[derive(Clone, Copy, Debug, Default)]
pub struct Traffic {
    /// Datagrams sent (every copy).
    pub datagrams_out: u64,
    /// Datagrams received.
    pub datagrams_in: u64,
}

/// One call in progress.
pub struct Call {
    /// Call id (`c` and 16 hex digits); the only name of the call in logs.
    pub id: String,
    /// The peer.
    pub peer: SocketAddr,
    /// The line (index into the configuration's lines).
    pub line: usize,
    /// Pages received (inbound calls).
    pub pages: Pages,
    /// The send job (outbound calls).
    pub job: Option<String>,
    /// When the call started.
    pub started: Instant,
    /// Counted datagrams.
    pub traffic: Traffic,
    /// Pages sent (confirmed) or received so far.
    pub progress: u32,
    term: Terminal,
    tx: Sender,
    rx: Receiver,
}

fn recovery(r: Recovery) -> ErrorRecovery {
    match r {
        Recovery::None => ErrorRecovery::None,
        Recovery::Redundancy => ErrorRecovery::Redundancy { depth: 3 },
        Recovery::Fec => ErrorRecovery::Fec {
            span: 3,
            entries: 3,
        },
    }
}

/// The t30 capabilities from the configuration.
pub fn session_config(cfg: &FaxdConfig, mut s: t30::Config) -> t30::Config {
    s.ecm = cfg.t38.ecm;
    s.capabilities.ecm = cfg.t38.ecm;
    s.capabilities.mr = true;
    s.capabilities.mmr = cfg.t38.ecm;
    s
}

impl Call {
    /// A call around the session `session` (already configured as sender or receiver).
    ///
    /// # Errors
    /// [`CallError::Setup`] if the terminal or UDPTL refuse the configuration.
    pub fn new(
        cfg: &FaxdConfig,
        id: String,
        peer: SocketAddr,
        line: usize,
        session: t30::Config,
        pages: Pages,
        now: Instant,
    ) -> Result<Call, CallError> {
        let calling = session.calling;
        let mut tc = Config::new(cfg.t38.version, calling);
        if cfg.pacing == PacingMode::Unpaced {
            tc.pacing = Pacing::Unpaced;
        }
        let term = Terminal::new(session, tc, now).map_err(|e| CallError::Setup(e.to_string()))?;
        let mut c = Call::with_terminal(
            id,
            peer,
            line,
            term,
            recovery(cfg.t38.error_recovery),
            cfg.t38.version,
        )?;
        c.pages = pages;
        c.started = now;
        Ok(c)
    }

    /// A call around a terminal built by the caller (`faxctl send` / `receive`), with UDPTL
    /// `recovery` and the IFP packing of T.38 `version`.
    ///
    /// # Errors
    /// [`CallError::Setup`] if UDPTL refuses the configuration.
    pub fn with_terminal(
        id: String,
        peer: SocketAddr,
        line: usize,
        term: Terminal,
        recovery: ErrorRecovery,
        version: u8,
    ) -> Result<Call, CallError> {
        let packing = Packing::for_version(version);
        let mut scfg = SenderConfig::new(recovery, MAX_DATAGRAM);
        scfg.packing = packing;
        let tx = Sender::new(scfg).map_err(|e| CallError::Setup(e.to_string()))?;
        let rx = Receiver::new(ReceiverConfig::new(packing));
        Ok(Call {
            id,
            peer,
            line,
            pages: Pages::default(),
            job: None,
            started: Instant::now(),
            traffic: Traffic::default(),
            progress: 0,
            term,
            tx,
            rx,
        })
    }

    /// The terminal (its counters and outcome).
    pub fn terminal(&self) -> &Terminal {
        &self.term
    }

    /// The UDPTL receiver (its counters: duplicates, recovered, lost).
    pub fn udptl(&self) -> &Receiver {
        &self.rx
    }

    /// Feeds one datagram from the peer. A malformed one is counted by the UDPTL receiver
    /// and otherwise ignored.
    pub fn receive(&mut self, datagram: &[u8], now: Instant) {
        self.traffic.datagrams_in += 1;
        let _ = self.rx.receive(datagram, now);
    }

    /// Runs the call up to `now`: delivers received IFPs, fires timers, and appends the
    /// datagrams to send (each copy once) to `out`.
    pub fn drive(&mut self, now: Instant, out: &mut Vec<Vec<u8>>) {
        while let Some(d) = self.rx.poll(now) {
            match d {
                // A malformed IFP is counted by the terminal, like noise on a line.
                Delivery::Ifp { ifp, .. } => drop(self.term.handle_encoded(ifp, now)),
                Delivery::Lost { .. } => self.term.handle_lost(now),
            }
        }
        self.term.handle_timeout(now);
        if now.saturating_duration_since(self.started) > CALL_LIMIT && !self.term.is_done() {
            self.term.abort(now);
        }
        while let Some(p) = self.term.poll_transmit(now) {
            // An IFP our own terminal made is always within limits; skip it if not.
            let Ok(t) = self.tx.send_encoded(&p.ifp) else {
                continue;
            };
            for _ in 0..t.copies {
                out.push(t.datagram.to_vec());
                self.traffic.datagrams_out += 1;
            }
        }
        // Page progress is all the loop needs from the events; drain them so none pile up.
        while let Some(e) = self.term.poll_event() {
            if let t30::Event::PageSent { number } | t30::Event::PageReceived { number, .. } = e {
                self.progress = number;
            }
        }
    }

    /// The earliest moment the call needs [`Call::drive`] again without new input.
    pub fn deadline(&self) -> Option<Instant> {
        [self.term.poll_timeout(), self.rx.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// True once the session ended.
    pub fn is_done(&self) -> bool {
        self.term.is_done()
    }

    /// Ends the call now (shutdown, call limit).
    pub fn abort(&mut self, now: Instant) {
        self.term.abort(now);
    }

    /// How the session ended.
    pub fn outcome(&self) -> Option<&t30::Outcome> {
        self.term.outcome()
    }

    /// Pages confirmed (sending) or received (receiving) so far.
    pub fn page_count(&self) -> u32 {
        self.term
            .outcome()
            .map_or(self.progress, |o| o.pages_sent.max(o.pages_received))
    }
}

/// True if `datagram` is a UDPTL packet whose primary IFP decodes: the only thing that may
/// start a call from an unknown address. Allocates nothing.
pub fn starts_call(datagram: &[u8], version: u8) -> bool {
    let Ok(d) = t38::udptl::Datagram::decode(datagram, &t38::udptl::Limits::default()) else {
        return false;
    };
    t38::Ifp::decode(d.primary, Packing::for_version(version)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_does_not_start_a_call() {
        assert!(!starts_call(b"", 0));
        assert!(!starts_call(b"GET / HTTP/1.1\r\n\r\n", 0));
        assert!(!starts_call(&[0xff; 1400], 0));
    }

    #[test]
    fn a_cng_indicator_from_our_own_sender_starts_a_call() {
        // What a calling terminal sends first, encoded by t38 (a peer we use as is).
        let ifp = t38::Ifp::indicator(t38::Indicator::CNG);
        let mut bytes = Vec::new();
        ifp.encode(Packing::for_version(0), &mut bytes)
            .expect("encode");
        let mut tx = Sender::new(SenderConfig::new(
            ErrorRecovery::Redundancy { depth: 3 },
            MAX_DATAGRAM,
        ))
        .expect("sender");
        let t = tx.send_encoded(&bytes).expect("udptl");
        assert!(starts_call(t.datagram, 0));
        // Cut short, the same packet does not.
        assert!(!starts_call(&t.datagram[..t.datagram.len() - 1], 0));
    }
}
