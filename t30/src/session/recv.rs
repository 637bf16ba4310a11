//! The receiving side: DCS and training in phase B, page data in phase C, post-page
//! responses in phase D.

use super::{Event, Phase, Session, State};
use crate::caps::{Dcs, Dis, Transfer};
use crate::document::{Page, ReceivedPage};
use crate::ecm::{BlockRx, FrameMap};
use crate::fcf::Fcf;
use crate::frame::{BitOrder, Frame};
use crate::outcome::Completion;
use crate::session::Training;
use crate::timer::Timer;
use std::time::Instant;

/// An ECM block waiting for the application (we answered RNR).
#[derive(Debug, Clone, Copy)]
pub(super) struct Busy {
    fcf2: Fcf,
    id: (u8, u8),
    count: usize,
}

/// ECM reception state of one page.
#[derive(Debug, Default)]
pub(super) struct RxEcm {
    /// The block in flight: allocated on its first frame, dropped when accepted.
    block: Option<BlockRx>,
    /// (page, block) counters of the last accepted block, to spot repeated PPS.
    accepted: Option<(u8, u8)>,
    /// Frames announced by the last PPS (used by EOR).
    last_count: usize,
    busy: Option<Busy>,
}

/// A page being received.
#[derive(Default)]
pub(super) struct RxPage {
    coded: Vec<u8>,
    /// Data beyond `Config::max_page_bytes` was dropped.
    overflow: bool,
    ecm: Option<RxEcm>,
}

/// Sizes only: the data is PHI.
impl core::fmt::Debug for RxPage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RxPage [{} octets] {:?}", self.coded.len(), self.ecm)
    }
}

#[derive(Debug)]
pub(super) enum RxState {
    /// DIS/DTC sent (`announcing`: repeated every T4 until T1), or waiting for a new DCS
    /// after FTT, RTN or RTP.
    AwaitDcs { announcing: bool },
    /// DCS accepted; waiting for TCF (as a [`Training`] report, or as data bytes that
    /// are judged here when the carrier drops: T.38 `transferredTCF`).
    AwaitTcf(TcfCount),
    /// CFR sent: page data (non-ECM) or ECM frames.
    PhaseC(RxPage),
    /// MCF sent for EOP: waiting for DCN.
    AwaitDcn,
}

impl RxState {
    pub(super) fn waiting(&self) -> crate::outcome::Waiting {
        use crate::outcome::Waiting;
        match self {
            RxState::AwaitDcs { .. } => Waiting::Dcs,
            RxState::AwaitTcf(_) => Waiting::Training,
            RxState::PhaseC(_) => Waiting::Page,
            RxState::AwaitDcn => Waiting::Dcn,
        }
    }

    /// True where a damaged final frame is a command worth a CRP.
    pub(super) fn wants_crp(&self) -> bool {
        !matches!(self, RxState::PhaseC(RxPage { ecm: Some(_), .. }))
    }

    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            RxState::PhaseC(p) => {
                p.coded.capacity()
                    + p.ecm
                        .as_ref()
                        .and_then(|e| e.block.as_ref())
                        .map_or(0, BlockRx::heap_bytes)
            }
            _ => 0,
        }
    }
}

/// TCF received as data: octets so far and the longest run of zero octets.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct TcfCount {
    total: usize,
    run: usize,
    best: usize,
}

impl TcfCount {
    fn add(&mut self, data: &[u8]) {
        for &b in data {
            self.total += 1;
            if b == 0 {
                self.run += 1;
                self.best = self.best.max(self.run);
            } else {
                self.run = 0;
            }
        }
    }
}

/// The copy-quality verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quality {
    Good,
    Poor,
    Bad,
}

impl Session {
    fn rx(&mut self) -> Option<&mut RxState> {
        match &mut self.state {
            State::Rx(r) => Some(r),
            _ => None,
        }
    }

    fn announce_fcf(&self) -> Fcf {
        if self.cfg.calling && self.cfg.poll {
            Fcf::DTC
        } else {
            Fcf::DIS
        }
    }

    /// T2 from the end of what we are sending.
    fn await_command(&mut self, now: Instant) {
        self.timers
            .set(Timer::T2, self.line_free.max(now) + self.cfg.timeouts.t2);
    }

    pub(super) fn rx_frame(&mut self, f: Frame, now: Instant) {
        let fcf = f.fcf.base();
        self.t2_expiries = 0;
        match fcf {
            Fcf::DCS => return self.on_dcs(&f, now),
            Fcf::DTC
                if !(self.cfg.calling && self.cfg.poll)
                    && matches!(self.rx(), Some(RxState::AwaitDcs { .. })) =>
            {
                // We are polled: become the sender.
                if self.cfg.source.is_none() {
                    return self.disconnect(Completion::NothingToPoll, now);
                }
                let Ok(dtc) = Dis::from_fif(&f.fif) else {
                    return;
                };
                if !self.password_ok() {
                    return self.disconnect(Completion::PasswordRejected, now);
                }
                self.state = State::Tx(super::send::TxState::AwaitDis);
                self.start_send(dtc, now);
                return;
            }
            Fcf::DIS if matches!(self.rx(), Some(RxState::AwaitDcs { announcing: true })) => {
                // The polled station repeats DIS: our DTC was lost.
                self.x = true;
                if !self.repeat_command() {
                    self.announce(self.announce_fcf(), now);
                }
                return;
            }
            _ => {}
        }
        let (in_c, ecm) = match self.rx() {
            Some(RxState::PhaseC(p)) => (true, p.ecm.is_some()),
            Some(_) => (false, false),
            None => return,
        };
        if in_c && ecm {
            self.ecm_frame(&f, now);
        } else if in_c && fcf.is_post_page() {
            self.on_post_page(f.fcf, now);
        } else if (fcf.is_post_page() && self.answered == Some(f.fcf.without_pri()))
            || (matches!(fcf, Fcf::PPS | Fcf::RR | Fcf::EOR | Fcf::CTC)
                && !self.last_response.is_empty())
        {
            self.send_frames(self.last_response.clone());
            self.await_command(now);
        }
    }

    fn on_dcs(&mut self, f: &Frame, now: Instant) {
        let Some(dis) = &self.our_dis else { return };
        match Dcs::parse(&f.fif, dis) {
            Ok(_) if !self.password_ok() => self.disconnect(Completion::PasswordRejected, now),
            Ok(dcs)
                if dcs.has_sub()
                    && self.outcome.subaddress.is_empty()
                    && self.sub_missing + 1 < super::MAX_TRIES =>
            {
                // The DCS announces a SUB frame that did not arrive (lost, or damaged on the
                // way). Inbound routing depends on the subaddress, so the command is not
                // taken: the sender repeats it, SUB included, when its T4 finds no response
                // (or on our next DIS). Only its last try is taken without the SUB, so a
                // sender that announces one and never sends it still gets through.
                self.sub_missing += 1;
            }
            Ok(dcs) => {
                // Identification is over: T1 no longer applies; T2 bounds the waits.
                self.pending = None;
                self.timers.stop(Timer::T4);
                self.timers.stop(Timer::T1);
                self.event(Event::Negotiated(*dcs.mode()));
                self.dcs = Some(dcs);
                self.answered = None;
                self.state = State::Rx(RxState::AwaitTcf(TcfCount::default()));
                self.await_command(now);
            }
            Err(e) => self.disconnect(Completion::InvalidDcs(e), now),
        }
    }

    pub(super) fn rx_training(&mut self, t: Training, now: Instant) {
        if !matches!(self.rx(), Some(RxState::AwaitTcf(_))) {
            return;
        }
        // spandsp accepts a TCF with at least about a second of clean zeros.
        let ok = t.longest_zero_run * 3 >= super::TCF_DURATION * 2;
        let ecm = self
            .dcs
            .as_ref()
            .is_some_and(|d| d.mode().transfer.is_ecm());
        if ok {
            self.timers.stop(Timer::T1);
            let cfr = self.frame(Fcf::CFR, Vec::new());
            self.respond(vec![cfr]);
            self.state = State::Rx(RxState::PhaseC(RxPage {
                ecm: ecm.then(RxEcm::default),
                ..RxPage::default()
            }));
            self.event(Event::Phase(Phase::C));
        } else {
            let ftt = self.frame(Fcf::FTT, Vec::new());
            self.respond(vec![ftt]);
            self.state = State::Rx(RxState::AwaitDcs { announcing: false });
        }
        self.await_command(now);
    }

    pub(super) fn rx_data(&mut self, data: &[u8], now: Instant) {
        if let Some(RxState::AwaitTcf(count)) = self.rx() {
            count.add(data);
            return;
        }
        let max = self.cfg.max_page_bytes;
        let lsb = self.cfg.bit_order == BitOrder::Lsb;
        let Some(RxState::PhaseC(p)) = self.rx() else {
            return;
        };
        if p.ecm.is_some() {
            return;
        }
        let room = max.saturating_sub(p.coded.len());
        if data.len() > room {
            p.overflow = true;
        }
        let take = &data[..data.len().min(room)];
        let at = p.coded.len();
        p.coded.extend_from_slice(take);
        if lsb {
            p.coded[at..].iter_mut().for_each(|b| *b = b.reverse_bits());
        }
        self.answered = None;
        self.await_command(now);
    }

    pub(super) fn rx_carrier(&mut self, up: bool, now: Instant) {
        if let (false, Some(RxState::AwaitTcf(count))) = (up, self.rx()) {
            let count = *count;
            if count.total > 0 {
                let rate = self.dcs.as_ref().map_or(2400, |d| d.mode().rate.bps());
                let at = |octets: usize| {
                    let octets = u64::try_from(octets).unwrap_or(u64::MAX);
                    std::time::Duration::from_micros(
                        octets.saturating_mul(8_000_000) / u64::from(rate),
                    )
                };
                let t = Training {
                    duration: at(count.total),
                    longest_zero_run: at(count.best),
                };
                self.rx_training(t, now);
            }
            return;
        }
        if matches!(self.rx(), Some(RxState::PhaseC(_))) {
            if up {
                self.timers.stop(Timer::T2);
            } else {
                self.await_command(now);
            }
        }
    }

    pub(super) fn rx_timeout(&mut self, t: Timer, now: Instant) {
        match t {
            Timer::T4 => {
                // DIS/DTC repeats until T1 ends the call.
                if matches!(self.rx(), Some(RxState::AwaitDcs { announcing: true })) {
                    if let Some(p) = self.pending.as_mut() {
                        p.tries = 0;
                    }
                    self.repeat_command();
                }
            }
            Timer::T2 => {
                if matches!(self.rx(), Some(RxState::AwaitDcn)) {
                    // The document is confirmed; a lost DCN changes nothing.
                    self.finish(Completion::Ok);
                    return;
                }
                if matches!(self.rx(), Some(RxState::AwaitTcf(_))) {
                    self.state = State::Rx(RxState::AwaitDcs { announcing: false });
                }
                self.t2_expiries += 1;
                if self.t2_expiries >= super::MAX_TRIES {
                    self.disconnect(Completion::NoCommand(self.waiting()), now);
                } else {
                    self.await_command(now);
                }
            }
            _ => {}
        }
    }

    /// Decodes a received page and judges its copy quality.
    fn decode(&self, coded: &[u8]) -> (Option<Page>, u32, Quality) {
        let Some(mode) = self.dcs.as_ref().map(|d| *d.mode()) else {
            return (None, 0, Quality::Bad);
        };
        let params = mode.codec_params();
        let mut opts = t4_codec::DecodeOptions::default();
        opts.limits = self.cfg.limits;
        let img = match t4_codec::decode_image(coded, &params, opts) {
            Ok(img) => img,
            Err(e) => *e.partial,
        };
        if img.rows == 0 {
            return (None, 0, Quality::Bad);
        }
        let q = &self.cfg.quality;
        let per_mille = u64::from(img.bad_rows) * 1000 / u64::from(img.rows);
        let quality = if per_mille <= u64::from(q.good_per_mille)
            && img.max_consecutive_bad_rows <= q.max_consecutive
        {
            Quality::Good
        } else if per_mille <= u64::from(q.poor_per_mille) {
            Quality::Poor
        } else {
            Quality::Bad
        };
        let page = Page {
            columns: img.columns,
            rows: img.rows,
            resolution: mode.resolution,
            data: img.data,
        };
        (Some(page), img.bad_rows, quality)
    }

    fn deliver(&mut self, page: Page, bad_rows: u32) {
        let Some(mode) = self.dcs.as_ref().map(|d| *d.mode()) else {
            return;
        };
        self.outcome.pages_received += 1;
        self.outcome.bad_rows += bad_rows;
        let number = self.outcome.pages_received;
        if let Some(sink) = self.cfg.sink.as_mut() {
            sink.page(ReceivedPage {
                number,
                page,
                bad_rows,
                mode,
                remote: self.outcome.remote.clone(),
                subaddress: self.outcome.subaddress.clone(),
            });
        }
        self.event(Event::PageReceived { number, bad_rows });
    }

    /// A non-ECM post-page command: judge the page and answer MCF, RTP or RTN.
    fn on_post_page(&mut self, fcf: Fcf, now: Instant) {
        let cmd = fcf.without_pri();
        let answered = self.answered;
        let Some(RxState::PhaseC(p)) = self.rx() else {
            return;
        };
        if p.coded.is_empty() && answered == Some(cmd) {
            // Our answer was lost and the command repeated.
            self.send_frames(self.last_response.clone());
            self.await_command(now);
            return;
        }
        let coded = std::mem::take(&mut p.coded);
        let overflow = p.overflow;
        self.event(Event::Phase(Phase::D));
        let (page, bad, quality) = self.decode(&coded);
        let quality = if overflow { Quality::Bad } else { quality };
        let response = match (quality, page) {
            (Quality::Good, Some(page)) => {
                self.deliver(page, bad);
                Fcf::MCF
            }
            (Quality::Poor, Some(page)) => {
                self.deliver(page, bad);
                Fcf::RTP
            }
            _ => Fcf::RTN,
        };
        let r = self.frame(response, Vec::new());
        self.respond(vec![r]);
        self.answered = Some(cmd);
        self.after_response(cmd, response, now);
    }

    /// Where the receiver goes after answering a post-page command.
    fn after_response(&mut self, cmd: Fcf, response: Fcf, now: Instant) {
        let ecm = self
            .dcs
            .as_ref()
            .is_some_and(|d| d.mode().transfer.is_ecm());
        match (cmd, response) {
            (Fcf::EOP, Fcf::MCF | Fcf::RTP) => self.state = State::Rx(RxState::AwaitDcn),
            (Fcf::EOM, Fcf::MCF | Fcf::RTP) => {
                self.event(Event::Phase(Phase::B));
                self.announce(self.announce_fcf(), now);
                return;
            }
            (_, Fcf::MCF) => {
                self.state = State::Rx(RxState::PhaseC(RxPage {
                    ecm: ecm.then(RxEcm::default),
                    ..RxPage::default()
                }));
                self.event(Event::Phase(Phase::C));
            }
            _ => self.state = State::Rx(RxState::AwaitDcs { announcing: false }),
        }
        self.await_command(now);
    }

    // ----- ECM -----

    fn ecm_frame(&mut self, f: &Frame, now: Instant) {
        let fcf = f.fcf.base();
        let Some(Transfer::Ecm { frame_size, .. }) = self.dcs.as_ref().map(|d| d.mode().transfer)
        else {
            return;
        };
        let ready = if matches!(fcf, Fcf::PPS | Fcf::RR) {
            self.cfg.sink.as_mut().is_none_or(|s| s.ready())
        } else {
            true
        };
        let Some(RxState::PhaseC(RxPage { ecm: Some(e), .. })) = self.rx() else {
            return;
        };
        match fcf {
            Fcf::FCD => {
                if let Some((&n, data)) = f.fif.split_first() {
                    let n = usize::from(n.reverse_bits());
                    e.block
                        .get_or_insert_with(|| BlockRx::new(frame_size))
                        .put(n, data);
                }
                self.await_command(now);
            }
            Fcf::RCP => self.await_command(now),
            Fcf::PPS => {
                let [fcf2, page, block, count, ..] = f.fif[..] else {
                    return;
                };
                let fcf2 = Fcf(fcf2).base();
                let id = (page.reverse_bits(), block.reverse_bits());
                let count = usize::from(count.reverse_bits()) + 1;
                if e.accepted == Some(id) {
                    self.send_frames(self.last_response.clone());
                    self.await_command(now);
                    return;
                }
                e.last_count = count;
                let missing = e
                    .block
                    .as_ref()
                    .map_or_else(|| FrameMap::first(count), |b| b.missing(count));
                if missing.count() > 0 {
                    self.outcome.ecm_retransmissions += u32::try_from(missing.count()).unwrap_or(0);
                    let ppr = self.frame(Fcf::PPR, missing.to_fif());
                    self.respond(vec![ppr]);
                    self.await_command(now);
                    return;
                }
                let busy = Busy { fcf2, id, count };
                if ready {
                    self.accept_block(busy, Fcf::MCF, now);
                } else {
                    e.busy = Some(busy);
                    let rnr = self.frame(Fcf::RNR, Vec::new());
                    self.respond(vec![rnr]);
                    self.await_command(now);
                }
            }
            Fcf::RR => match e.busy {
                Some(busy) if ready => {
                    e.busy = None;
                    self.accept_block(busy, Fcf::MCF, now);
                }
                _ => {
                    self.send_frames(self.last_response.clone());
                    self.await_command(now);
                }
            },
            Fcf::CTC => {
                let rate = Dcs::rate_from_ctc(&f.fif);
                if let (Some(rate), Some(dcs), Some(dis)) = (rate, &self.dcs, &self.our_dis) {
                    if let Ok(d) = dcs.with_rate(rate, dis) {
                        self.dcs = Some(d);
                    }
                }
                let ctr = self.frame(Fcf::CTR, Vec::new());
                self.respond(vec![ctr]);
                self.await_command(now);
            }
            Fcf::EOR => {
                let Some(&fcf2) = f.fif.first() else { return };
                let count = e.last_count.max(1);
                let id = e.accepted.map_or((0, 0), |(p, b)| (p, b.wrapping_add(1)));
                self.outcome.blocks_given_up += 1;
                let busy = Busy {
                    fcf2: Fcf(fcf2).base(),
                    id,
                    count,
                };
                self.accept_block(busy, Fcf::ERR, now);
            }
            f if f.is_post_page() || f == Fcf::DCS => {}
            _ => {}
        }
    }

    /// Appends the block to the page and answers; at the end of a page, delivers it.
    fn accept_block(&mut self, b: Busy, response: Fcf, now: Instant) {
        let r = self.frame(response, Vec::new());
        let Some(RxState::PhaseC(RxPage {
            coded,
            ecm: Some(e),
            ..
        })) = self.rx()
        else {
            return;
        };
        if let Some(block) = e.block.take() {
            block.append_to(b.count, coded);
        }
        e.accepted = Some(b.id);
        if b.fcf2 == Fcf::NULL {
            self.respond(vec![r]);
            self.await_command(now);
            return;
        }
        let coded = std::mem::take(coded);
        let (page, bad, _) = self.decode(&coded);
        if let Some(page) = page {
            self.deliver(page, bad);
        }
        self.respond(vec![r]);
        let cmd = b.fcf2.without_pri();
        self.answered = Some(cmd);
        self.after_response(cmd, Fcf::MCF, now);
        // A new page keeps the last accepted counters for spotting repeated PPS.
        if let Some(RxState::PhaseC(RxPage { ecm: Some(e), .. })) = self.rx() {
            e.accepted = Some(b.id);
        }
    }
}
