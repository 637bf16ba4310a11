//! The T.30 session: one state machine for every role.
//!
//! ```text
//!              calling                                   answering
//!   A  ----------------------------------------------------------------------
//!   B  TxAwaitDis <-------------- [NSF][CSI] DIS ---------- RxAwaitDcs (T4 repeats, T1)
//!        |  send:  [TSI] DCS + TCF ---------------------->  RxAwaitTcf
//!        |  poll:  [CIG] DTC -> roles swap                    | TCF judged
//!      TxAwaitCfr <------------------ CFR | FTT -----------  RxPhaseC
//!   C  (non-ECM data | ECM blocks + RCP) ---------------->  RxPhaseC
//!   D  TxAwaitPost   MPS|EOM|EOP  (ECM: PPS-x, RR, CTC, EOR) -> MCF|RTP|RTN (ECM: PPR, RNR, CTR, ERR)
//!        MPS -> C, EOM -> B, EOP -> E
//!   E  DCN --------------------------------------------->  RxAwaitDcn -> Done
//! ```
//!
//! Sending and receiving are decided by the frames, not fixed up front: an answering station
//! that is polled (DTC) becomes the sender; a calling station that polls becomes the
//! receiver. Every wait has a timer and every repeat a bound, so a session always ends.

mod io;
mod recv;
mod send;

pub use io::{Carrier, Event, Input, Output, Phase, Training, Transmit, TCF_DURATION};

use crate::caps::{Capabilities, Dcs, Dis, Rate};
use crate::document::{DocumentSource, PageSink};
use crate::error::ConfigError;
use crate::fcf::Fcf;
use crate::frame::{BitOrder, Frame};
use crate::ident::{Identity, NonStandard};
use crate::outcome::{Completion, Outcome, Waiting};
use crate::timer::{Timeouts, Timer, TimerTable};
use recv::RxState;
use send::TxState;
use std::collections::VecDeque;
use std::time::Instant;

/// Most times a command is sent without a response (T.30's 3).
pub(crate) const MAX_TRIES: u8 = 3;

/// Copy-quality thresholds for non-ECM pages (spandsp's good / poor / bad split).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyQuality {
    /// At most this per-mille of rows damaged for MCF. Default 50 (5 %).
    pub good_per_mille: u32,
    /// At most this per-mille for RTP (page kept, retrain); above it RTN. Default 150.
    pub poor_per_mille: u32,
    /// A longer run of consecutive damaged rows is at best poor. Default 10.
    pub max_consecutive: u32,
}

impl Default for CopyQuality {
    fn default() -> Self {
        CopyQuality {
            good_per_mille: 50,
            poor_per_mille: 150,
            max_consecutive: 10,
        }
    }
}

/// How a session behaves. Build with [`Config::sender`] or [`Config::receiver`] and adjust.
#[non_exhaustive]
pub struct Config {
    /// True for the calling station (waits for DIS), false for the answering one (sends DIS).
    pub calling: bool,
    /// Calling station only: receive by polling (send DTC) instead of sending.
    pub poll: bool,
    /// What we announce and accept.
    pub capabilities: Capabilities,
    /// Fastest phase C rate to try when sending.
    pub max_rate: Rate,
    /// Use ECM when the remote offers it.
    pub ecm: bool,
    /// ECM frame size when sending (256 by default, like spandsp).
    pub ecm_frame_size: crate::caps::FrameSize,
    /// Our identity (CSI, TSI or CIG).
    pub identity: Identity,
    /// Subaddress to send (SUB) when the remote offers subaddressing (sending side).
    pub subaddress: Option<Identity>,
    /// Sender identification / password to send (SID) when the remote offers it.
    pub password: Option<Identity>,
    /// Selective polling address (SEP) to send with DTC when the remote offers it.
    pub selective_polling: Option<Identity>,
    /// A password the remote must present (SID with DCS, PWD with DTC); the call is refused
    /// with [`Completion::PasswordRejected`] otherwise. Our DIS then announces bit 50.
    pub expected_password: Option<Identity>,
    /// Our non-standard facilities frame, if any.
    pub nsf: Option<NonStandard>,
    /// Timer durations.
    pub timeouts: Timeouts,
    /// Octet order of frames and non-ECM data at the front-end boundary.
    pub bit_order: BitOrder,
    /// Non-ECM copy-quality thresholds.
    pub quality: CopyQuality,
    /// Decoding limits for received pages.
    pub limits: t4_codec::Limits,
    /// Most coded bytes accepted for one received page. Default 8 MiB.
    pub max_page_bytes: usize,
    /// Most RTN answers for one page before giving up. Default 3.
    pub max_rtn: u8,
    /// Pages to send (sending or pollable stations).
    pub source: Option<Box<dyn DocumentSource + Send>>,
    /// Where received pages go (receiving or polling stations).
    pub sink: Option<Box<dyn PageSink + Send>>,
}

impl core::fmt::Debug for Config {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Config")
            .field("calling", &self.calling)
            .field("poll", &self.poll)
            .field("capabilities", &self.capabilities)
            .field("ecm", &self.ecm)
            .field("identity", &self.identity)
            .field("source", &self.source.is_some())
            .field("sink", &self.sink.is_some())
            .finish_non_exhaustive()
    }
}

impl Config {
    fn base(calling: bool) -> Config {
        Config {
            calling,
            poll: false,
            capabilities: Capabilities::default(),
            max_rate: Rate::V17_14400,
            ecm: true,
            ecm_frame_size: crate::caps::FrameSize::Octets256,
            identity: Identity::default(),
            subaddress: None,
            password: None,
            selective_polling: None,
            expected_password: None,
            nsf: None,
            timeouts: Timeouts::default(),
            bit_order: BitOrder::T30,
            quality: CopyQuality::default(),
            limits: t4_codec::Limits::default(),
            max_page_bytes: 8 << 20,
            max_rtn: 3,
            source: None,
            sink: None,
        }
    }

    /// A station that sends `source` (calling), or offers it for polling (answering).
    pub fn sender(calling: bool, source: Box<dyn DocumentSource + Send>) -> Config {
        let mut c = Config::base(calling);
        c.capabilities.ready_to_transmit = true;
        c.source = Some(source);
        c
    }

    /// A station that receives into `sink` (answering), or polls for it (calling: sets
    /// [`Config::poll`]).
    pub fn receiver(calling: bool, sink: Box<dyn PageSink + Send>) -> Config {
        let mut c = Config::base(calling);
        c.poll = calling;
        c.sink = Some(sink);
        c
    }
}

#[derive(Debug)]
enum State {
    Rx(RxState),
    Tx(TxState),
    Done,
}

/// A command waiting for its response, kept for repeats (T4, CRP).
#[derive(Debug)]
struct Pending {
    frames: Vec<Frame>,
    /// Sent after the frames on every repeat (the TCF after DCS).
    tail: Option<Transmit>,
    tries: u8,
}

/// A T.30 session (see the module docs for the phase diagram).
#[derive(Debug)]
pub struct Session {
    cfg: Config,
    state: State,
    timers: TimerTable,
    out: VecDeque<Output>,
    /// The X bit for our frames: we received a valid DIS.
    x: bool,
    /// The DIS or DTC we sent (receiving side): every DCS is checked against it.
    our_dis: Option<Dis>,
    /// The remote's DIS or DTC (sending side).
    remote_dis: Option<Dis>,
    /// The mode in force.
    dcs: Option<Dcs>,
    pending: Option<Pending>,
    /// The last response we sent (receiving side), repeated when the command is.
    last_response: Vec<Frame>,
    /// T2 expiries in a row while waiting for a command.
    t2_expiries: u8,
    /// DCSs set aside because the SUB frame they announce did not arrive.
    sub_missing: u8,
    /// Sending side: the next page, fetched ahead to choose MPS, EOM or EOP.
    upcoming: Option<crate::document::Page>,
    /// Sending side: pages started (numbers pages and ECM page counters).
    pages_started: u32,
    /// Receiving side: the post-page command last answered, while no new data came.
    answered: Option<Fcf>,
    /// The password (SID or PWD) the remote sent with its last command group.
    remote_password: Option<Identity>,
    /// The time of the input being handled.
    clock: Instant,
    /// When our line is free: everything queued so far has been sent (by airtime).
    line_free: Instant,
    outcome: Outcome,
}

impl Session {
    /// Starts a session at `now` (phase B: the answering station sends DIS at once).
    ///
    /// # Errors
    /// [`ConfigError`] if the configuration cannot do anything: a calling sender without a
    /// source, a poller or an answering station with neither source nor sink.
    pub fn new(mut cfg: Config, now: Instant) -> Result<Session, ConfigError> {
        if cfg.calling && !cfg.poll && cfg.source.is_none() {
            return Err(ConfigError::NoSource);
        }
        if (cfg.calling && cfg.poll || !cfg.calling && cfg.source.is_none()) && cfg.sink.is_none() {
            return Err(ConfigError::NoSink);
        }
        cfg.capabilities.ready_to_receive = cfg.sink.is_some();
        cfg.capabilities.ready_to_transmit = cfg.source.is_some();
        if cfg.expected_password.is_some() {
            cfg.capabilities.password = true;
        }
        let mut s = Session {
            timers: TimerTable::default(),
            out: VecDeque::new(),
            x: false,
            our_dis: None,
            remote_dis: None,
            dcs: None,
            pending: None,
            last_response: Vec::new(),
            t2_expiries: 0,
            sub_missing: 0,
            upcoming: None,
            pages_started: 0,
            answered: None,
            remote_password: None,
            clock: now,
            line_free: now,
            outcome: Outcome {
                completion: Completion::Ok,
                pages_sent: 0,
                pages_received: 0,
                mode: None,
                bad_rows: 0,
                ecm_retransmissions: 0,
                retrains: 0,
                blocks_given_up: 0,
                remote: Identity::default(),
                subaddress: Identity::default(),
            },
            state: State::Done,
            cfg,
        };
        s.timers.set(Timer::Call, now + s.cfg.timeouts.call);
        s.timers.set(Timer::T1, now + s.cfg.timeouts.t1);
        s.event(Event::Phase(Phase::B));
        if s.cfg.calling {
            s.state = State::Tx(TxState::AwaitDis);
        } else {
            s.announce(Fcf::DIS, now);
        }
        Ok(s)
    }

    /// Feeds what the front end observed.
    pub fn handle_input(&mut self, input: Input<'_>, now: Instant) {
        if matches!(self.state, State::Done) {
            return;
        }
        self.clock = now;
        match input {
            Input::Frame { bytes, fcs_ok } => {
                let Ok(frame) = Frame::parse(bytes, self.cfg.bit_order) else {
                    // Not a T.30 frame at all: the same as noise.
                    return;
                };
                if fcs_ok {
                    self.handle_frame(frame, now);
                } else {
                    self.handle_bad_frame(&frame, now);
                }
            }
            Input::NonEcmData(data) => self.rx_data(data, now),
            Input::Training(t) => self.rx_training(t, now),
            Input::CarrierUp => self.rx_carrier(true, now),
            Input::CarrierDown => self.rx_carrier(false, now),
        }
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.clock = now;
        while let Some(t) = self.timers.expire(now) {
            if matches!(self.state, State::Done) {
                return;
            }
            match t {
                Timer::Call => self.disconnect(Completion::CallTimeout, now),
                Timer::T1 => {
                    let c = if matches!(self.state, State::Tx(_)) {
                        Completion::NoDis
                    } else {
                        Completion::NoDcs
                    };
                    self.disconnect(c, now);
                }
                Timer::T2 | Timer::T4 | Timer::T5 => match &self.state {
                    State::Rx(_) => self.rx_timeout(t, now),
                    State::Tx(_) => self.tx_timeout(t, now),
                    State::Done => {}
                },
            }
        }
    }

    /// The next output, if any. Drain it after every input and timeout.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next; `None` once finished.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.state, State::Done) {
            None
        } else {
            self.timers.next()
        }
    }

    /// The outcome, once the session has finished.
    pub fn outcome(&self) -> Option<&Outcome> {
        matches!(self.state, State::Done).then_some(&self.outcome)
    }

    /// True once finished.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Ends the call now: DCN, outcome [`Completion::Aborted`].
    pub fn abort(&mut self, now: Instant) {
        if !self.is_done() {
            self.disconnect(Completion::Aborted, now);
        }
    }

    /// Bytes this session holds beyond its own struct (for memory accounting in tests).
    pub fn heap_bytes(&self) -> usize {
        let frames = |v: &[Frame]| v.iter().map(|f| f.fif.capacity() + 32).sum::<usize>();
        let mut n = self.out.capacity() * core::mem::size_of::<Output>();
        n += self.last_response.capacity() * core::mem::size_of::<Frame>()
            + frames(&self.last_response);
        n += self.our_dis.as_ref().map_or(0, |d| d.fif().len());
        n += self.remote_dis.as_ref().map_or(0, |d| d.fif().len());
        n += self.dcs.as_ref().map_or(0, |d| d.fif().len());
        n += match &self.state {
            State::Rx(r) => r.heap_bytes(),
            State::Tx(t) => t.heap_bytes(),
            State::Done => 0,
        };
        n
    }

    // ----- shared plumbing -----

    fn event(&mut self, e: Event) {
        self.out.push_back(Output::Event(e));
    }

    fn frame(&self, fcf: Fcf, fif: Vec<u8>) -> Frame {
        Frame::new(fcf.with_x(self.x), fif, false)
    }

    /// Queues a V.21 frame group (the last frame gets the final bit) and returns its airtime.
    fn send_frames(&mut self, mut frames: Vec<Frame>) -> std::time::Duration {
        if let Some(last) = frames.last_mut() {
            last.last = true;
        }
        self.send(Transmit::Frames {
            carrier: Carrier::V21,
            frames,
        })
    }

    /// Queues a transmission; returns its airtime. The line is busy until it ends.
    fn send(&mut self, t: Transmit) -> std::time::Duration {
        let d = t.airtime();
        self.line_free = self.line_free.max(self.clock) + d;
        self.out.push_back(Output::Transmit(t));
        d
    }

    /// T4 from the end of everything queued (a response cannot come before that).
    fn arm_t4(&mut self) {
        self.timers.set(
            Timer::T4,
            self.line_free.max(self.clock) + self.cfg.timeouts.t4,
        );
    }

    /// Sends a command group and waits T4 (after everything queued) for the response.
    fn command(&mut self, frames: Vec<Frame>) {
        self.command_with(frames, None);
    }

    /// As [`command`](Self::command), with a transmission after the frames (TCF).
    fn command_with(&mut self, frames: Vec<Frame>, tail: Option<Transmit>) {
        self.send_frames(frames.clone());
        if let Some(t) = &tail {
            self.send(t.clone());
        }
        self.pending = Some(Pending {
            frames,
            tail,
            tries: 1,
        });
        self.arm_t4();
    }

    /// Repeats the pending command (T4 expiry or CRP); false once the tries are used up.
    fn repeat_command(&mut self) -> bool {
        let Some(p) = self.pending.as_mut() else {
            return false;
        };
        if p.tries >= MAX_TRIES {
            return false;
        }
        p.tries += 1;
        let frames = p.frames.clone();
        let tail = p.tail.clone();
        self.send_frames(frames);
        if let Some(t) = tail {
            self.send(t);
        }
        self.arm_t4();
        true
    }

    /// Sends a response and remembers it for repeated commands.
    fn respond(&mut self, frames: Vec<Frame>) -> std::time::Duration {
        self.last_response.clone_from(&frames);
        self.send_frames(frames)
    }

    /// Sends DCN and finishes.
    fn disconnect(&mut self, completion: Completion, _now: Instant) {
        let dcn = self.frame(Fcf::DCN, Vec::new());
        self.send_frames(vec![dcn]);
        self.finish(completion);
    }

    /// What the current state waits for (completion detail).
    fn waiting(&self) -> Waiting {
        match &self.state {
            State::Rx(r) => r.waiting(),
            State::Tx(t) => t.waiting(),
            State::Done => Waiting::Dcn,
        }
    }

    /// Finishes without sending anything more.
    fn finish(&mut self, completion: Completion) {
        self.outcome.completion = completion;
        self.outcome.mode = self.dcs.as_ref().map(|d| *d.mode());
        self.timers.stop_all();
        self.state = State::Done;
        self.pending = None;
        self.event(Event::Phase(Phase::E));
        self.event(Event::Finished(self.outcome.clone()));
    }

    /// Identity and NSF frames of a group, shared by both sides.
    fn note_identity(&mut self, f: &Frame) -> bool {
        match f.fcf.base() {
            Fcf::CSI | Fcf::TSI | Fcf::CIG => {
                if let Ok(id) = Identity::from_fif(&f.fif) {
                    self.outcome.remote = id.clone();
                    self.event(Event::RemoteIdentity(id));
                }
                true
            }
            Fcf::NSF | Fcf::NSS | Fcf::NSC => {
                if let Ok(n) = NonStandard::from_fif(&f.fif) {
                    self.event(Event::NonStandard(n));
                }
                true
            }
            Fcf::SUB => {
                if let Ok(id) = Identity::from_fif(&f.fif) {
                    self.outcome.subaddress = id;
                }
                true
            }
            Fcf::SID | Fcf::PWD => {
                self.remote_password = Identity::from_fif(&f.fif).ok();
                true
            }
            Fcf::SEP => {
                if let Ok(id) = Identity::from_fif(&f.fif) {
                    self.outcome.subaddress = id;
                }
                true
            }
            Fcf::PSA | Fcf::TSA | Fcf::IRA | Fcf::CIA | Fcf::CSA | Fcf::ISP => true,
            _ => false,
        }
    }

    /// True unless a password is expected and the remote did not present it. Compared
    /// without an early exit.
    fn password_ok(&self) -> bool {
        let Some(want) = &self.cfg.expected_password else {
            return true;
        };
        let Some(got) = &self.remote_password else {
            return false;
        };
        let (a, b) = (want.to_fif(), got.to_fif());
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }

    /// Sends our DIS (answering) or DTC (polling) with its identity frames, repeated every
    /// T4 until a command arrives or T1 runs out.
    fn announce(&mut self, fcf: Fcf, now: Instant) {
        let dis = Dis::from_capabilities(&self.cfg.capabilities);
        let mut frames = Vec::with_capacity(3);
        if let Some(n) = &self.cfg.nsf {
            let nf = if fcf == Fcf::DTC { Fcf::NSC } else { Fcf::NSF };
            frames.push(self.frame(nf, n.to_fif()));
        }
        if !self.cfg.identity.is_empty() {
            let idf = if fcf == Fcf::DTC { Fcf::CIG } else { Fcf::CSI };
            frames.push(self.frame(idf, self.cfg.identity.to_fif()));
        }
        if fcf == Fcf::DTC {
            // Polling: the polled station's DIS says whether it takes SEP and PWD.
            let remote = self.remote_dis.as_ref().map(Dis::capabilities);
            if let (Some(sep), Some(r)) = (&self.cfg.selective_polling, &remote) {
                if r.selective_polling {
                    frames.push(self.frame(Fcf::SEP, sep.to_fif()));
                }
            }
            if let (Some(pwd), Some(r)) = (&self.cfg.password, &remote) {
                if r.password {
                    frames.push(self.frame(Fcf::PWD, pwd.to_fif()));
                }
            }
        }
        frames.push(self.frame(fcf, dis.fif().to_vec()));
        self.our_dis = Some(dis);
        self.state = State::Rx(RxState::AwaitDcs { announcing: true });
        self.command(frames);
        if !self.timers.is_set(Timer::T1) {
            self.timers.set(Timer::T1, now + self.cfg.timeouts.t1);
        }
    }

    fn handle_frame(&mut self, f: Frame, now: Instant) {
        // A frame group is arriving: the rest of it may take longer than T4 (spandsp
        // restarts its timers on flags), so the wait starts again.
        if !f.last && self.timers.is_set(Timer::T4) && self.pending.is_some() {
            self.arm_t4();
        }
        if self.note_identity(&f) {
            return;
        }
        if f.fcf.base() == Fcf::DCN {
            let done_ok = matches!(self.state, State::Rx(RxState::AwaitDcn));
            self.finish(if done_ok {
                Completion::Ok
            } else {
                Completion::UnexpectedDcn(self.waiting())
            });
            return;
        }
        match &self.state {
            State::Rx(_) => self.rx_frame(f, now),
            State::Tx(_) => self.tx_frame(f, now),
            State::Done => {}
        }
    }

    fn handle_bad_frame(&mut self, f: &Frame, now: Instant) {
        // Only a damaged final frame of a command earns CRP; a damaged response is left to
        // the sender's T4, and damaged ECM data frames show up in the PPR map.
        if !f.last {
            return;
        }
        if let State::Rx(r) = &self.state {
            if r.wants_crp() {
                let crp = self.frame(Fcf::CRP, Vec::new());
                self.send_frames(vec![crp]);
                self.timers.set(Timer::T2, now + self.cfg.timeouts.t2);
            }
        }
    }
}
