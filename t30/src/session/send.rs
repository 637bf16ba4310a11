//! The sending side: phase B after DIS/DTC, pages in phase C, responses in phase D.

use super::{Carrier, Event, Phase, Session, State, Transmit, TCF_DURATION};
use crate::caps::{best_resolution, Dcs, Dis, Mode, Preferences, Resolution, Width};
use crate::document::Page;
use crate::ecm::{number_octet, FrameMap, MAX_FRAMES};
use crate::fcf::Fcf;
use crate::frame::{BitOrder, Frame};
use crate::outcome::Completion;
use crate::timer::Timer;
use std::time::Instant;

/// A page being sent: kept until confirmed, for RTN resends and ECM retransmissions.
pub(super) struct TxPage {
    number: u32,
    /// The page fitted to the mode (re-encoded if the rate, hence the scan-line padding,
    /// changes).
    page: Page,
    /// The coded page, T.30 bit order (MSB first).
    coded: Vec<u8>,
    /// MPS, EOM or EOP.
    post: Fcf,
    rtn: u8,
}

/// Sizes only: the data is PHI.
impl core::fmt::Debug for TxPage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "TxPage {} [{} octets, {}]",
            self.number,
            self.coded.len(),
            self.post
        )
    }
}

/// What to do once CFR arrives.
#[derive(Debug)]
pub(super) enum AfterCfr {
    NextPage,
    Resend(Box<TxPage>),
}

#[derive(Debug)]
pub(super) enum EcmStage {
    /// PPS sent; waiting for MCF, PPR or RNR.
    AwaitPps,
    /// RNR received; RR goes out when T4 (used as the pause) fires.
    RnrPause,
    /// RR sent.
    AwaitRr,
    /// CTC sent with a lower rate; the frames of `map` go again after CTR.
    AwaitCtr { map: FrameMap, dcs: Box<Dcs> },
    /// EOR sent.
    AwaitErr,
}

#[derive(Debug)]
pub(super) struct TxEcm {
    page: Box<TxPage>,
    block: usize,
    ppr: u8,
    stage: EcmStage,
}

#[derive(Debug)]
pub(super) enum TxState {
    /// Waiting for DIS (or DTC after we were polled; or DIS again after EOM).
    AwaitDis,
    /// DCS and TCF sent.
    AwaitCfr(AfterCfr),
    /// Non-ECM page and its post-page command sent.
    AwaitPost(Box<TxPage>),
    /// ECM phase C/D.
    Ecm(TxEcm),
}

impl TxState {
    pub(super) fn waiting(&self) -> crate::outcome::Waiting {
        use crate::outcome::Waiting;
        match self {
            TxState::AwaitDis => Waiting::Dis,
            TxState::AwaitCfr(_) => Waiting::Cfr,
            TxState::AwaitPost(_) => Waiting::PageResponse,
            TxState::Ecm(e) => match e.stage {
                EcmStage::AwaitCtr { .. } => Waiting::Ctr,
                EcmStage::AwaitErr => Waiting::Err,
                _ => Waiting::EcmResponse,
            },
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        let page = |p: &TxPage| p.coded.capacity() + p.page.data.capacity();
        match self {
            TxState::AwaitDis | TxState::AwaitCfr(AfterCfr::NextPage) => 0,
            TxState::AwaitCfr(AfterCfr::Resend(p)) | TxState::AwaitPost(p) => page(p),
            TxState::Ecm(e) => page(&e.page),
        }
    }
}

/// The narrowest width whose row holds `columns` pels at `res`.
fn width_for(columns: u32, res: Resolution) -> Width {
    [Width::A4, Width::B4, Width::A3]
        .into_iter()
        .find(|&w| res.pels(w) >= columns)
        .unwrap_or(Width::A3)
}

impl Session {
    fn tx(&mut self) -> Option<&mut TxState> {
        match &mut self.state {
            State::Tx(t) => Some(t),
            _ => None,
        }
    }

    /// Takes the sending state out, leaving `AwaitDis` until the caller sets the next one.
    fn take_tx(&mut self) -> Option<TxState> {
        self.tx().map(|t| std::mem::replace(t, TxState::AwaitDis))
    }

    /// A DIS (or DTC) arrived and we are the one to send: negotiate and train.
    pub(super) fn start_send(&mut self, dis: Dis, now: Instant) {
        self.timers.stop(Timer::T1);
        self.pending = None;
        self.timers.stop(Timer::T4);
        if self.upcoming.is_none() {
            self.upcoming = self.cfg.source.as_mut().and_then(|s| s.next_page());
        }
        let Some(first) = &self.upcoming else {
            self.disconnect(Completion::NothingToPoll, now);
            return;
        };
        let pref = Preferences {
            max_rate: self.cfg.max_rate,
            ecm: self.cfg.ecm,
            resolution: first.resolution,
            width: width_for(first.columns, first.resolution),
            frame_size: self.cfg.ecm_frame_size,
        };
        let remote = dis.capabilities();
        let sub = self.cfg.subaddress.is_some() && remote.subaddress;
        let sid = self.cfg.password.is_some() && remote.password;
        match Dcs::negotiate(&self.cfg.capabilities, &pref, &dis)
            .and_then(|d| d.with_sub_sid(sub, sid, &dis))
        {
            Ok(dcs) => {
                self.event(Event::Negotiated(*dcs.mode()));
                self.dcs = Some(dcs);
                self.remote_dis = Some(dis);
                self.state = State::Tx(TxState::AwaitCfr(AfterCfr::NextPage));
                self.send_dcs();
            }
            Err(_) => self.disconnect(Completion::Incompatible, now),
        }
    }

    /// Sends [TSI] DCS + TCF and waits for CFR.
    fn send_dcs(&mut self) {
        let Some(dcs) = &self.dcs else { return };
        let rate = dcs.mode().rate;
        let dcs_frame = self.frame(Fcf::DCS, dcs.fif().to_vec());
        let mut frames = Vec::with_capacity(3);
        if let Some(n) = &self.cfg.nsf {
            frames.push(self.frame(Fcf::NSS, n.to_fif()));
        }
        if !self.cfg.identity.is_empty() {
            frames.push(self.frame(Fcf::TSI, self.cfg.identity.to_fif()));
        }
        if let (true, Some(sub)) = (dcs.has_sub(), &self.cfg.subaddress) {
            frames.push(self.frame(Fcf::SUB, sub.to_fif()));
        }
        if let (true, Some(pwd)) = (dcs.has_sid(), &self.cfg.password) {
            frames.push(self.frame(Fcf::SID, pwd.to_fif()));
        }
        frames.push(dcs_frame);
        let tcf = Transmit::Tcf {
            rate,
            duration: TCF_DURATION,
        };
        self.command_with(frames, Some(tcf));
    }

    pub(super) fn tx_frame(&mut self, f: Frame, now: Instant) {
        let fcf = f.fcf.base();
        if fcf == Fcf::CRP {
            // A CRP with no command outstanding (a stray or repeated one) is ignored.
            if self.pending.is_some() && !self.repeat_command() {
                self.disconnect(Completion::NoResponse(self.waiting()), now);
            }
            return;
        }
        if matches!(fcf, Fcf::PIP | Fcf::PIN) {
            self.disconnect(Completion::ProcedureInterrupt, now);
            return;
        }
        #[derive(PartialEq)]
        enum At {
            Dis,
            Cfr,
            Post,
            Ecm,
        }
        let at = match self.tx() {
            Some(TxState::AwaitDis) => At::Dis,
            Some(TxState::AwaitCfr(_)) => At::Cfr,
            Some(TxState::AwaitPost(_)) => At::Post,
            Some(TxState::Ecm(_)) => At::Ecm,
            None => return,
        };
        match (at, fcf) {
            (At::Dis, Fcf::DIS) => {
                self.x = true;
                let Ok(dis) = Dis::from_fif(&f.fif) else {
                    return;
                };
                if self.cfg.calling && self.cfg.poll {
                    if dis.capabilities().ready_to_transmit {
                        self.remote_dis = Some(dis);
                        self.announce(Fcf::DTC, now);
                    } else {
                        self.disconnect(Completion::NothingToPoll, now);
                    }
                } else {
                    self.start_send(dis, now);
                }
            }
            // The receiver repeats DIS: our DCS was lost. Train again (counts as a try).
            (At::Cfr, Fcf::DIS | Fcf::DTC) if !self.repeat_command() => {
                self.disconnect(Completion::NoResponse(self.waiting()), now);
            }
            (At::Cfr, Fcf::CFR) => {
                let Some(TxState::AwaitCfr(next)) = self.take_tx() else {
                    return;
                };
                self.stop_waiting();
                self.event(Event::Phase(Phase::C));
                match next {
                    AfterCfr::NextPage => self.send_next_page(now),
                    AfterCfr::Resend(mut p) => {
                        self.reencode(&mut p);
                        self.transmit_page(p);
                    }
                }
            }
            (At::Cfr, Fcf::FTT) => {
                self.outcome.retrains += 1;
                if !self.step_down() {
                    self.disconnect(Completion::TrainingFailed, now);
                    return;
                }
                self.send_dcs();
            }
            (At::Post, Fcf::MCF | Fcf::RTP | Fcf::RTN) => {
                let Some(TxState::AwaitPost(p)) = self.take_tx() else {
                    return;
                };
                self.stop_waiting();
                if fcf == Fcf::RTN {
                    self.page_rejected(p, now);
                } else {
                    self.page_confirmed(&p, fcf == Fcf::RTP, now);
                }
            }
            (At::Ecm, _) => self.ecm_response(&f, now),
            _ => {}
        }
    }

    fn stop_waiting(&mut self) {
        self.pending = None;
        self.timers.stop(Timer::T4);
    }

    /// Steps the DCS rate down after FTT, RTN or before CTC; false at the lowest rate.
    fn step_down(&mut self) -> bool {
        let (Some(dcs), Some(dis)) = (&self.dcs, &self.remote_dis) else {
            return false;
        };
        let common = crate::caps::Modems {
            v27ter: self.cfg.capabilities.modems.v27ter,
            v29: self.cfg.capabilities.modems.v29,
            v17: self.cfg.capabilities.modems.v17,
        };
        let mut rate = dcs.mode().rate;
        while let Some(r) = rate.step_down(common) {
            if let Ok(d) = dcs.with_rate(r, dis) {
                self.dcs = Some(d);
                return true;
            }
            rate = r;
        }
        false
    }

    fn mode(&self) -> Option<Mode> {
        self.dcs.as_ref().map(|d| *d.mode())
    }

    /// Fetches, fits, encodes and sends the next page.
    fn send_next_page(&mut self, now: Instant) {
        let page = match self.upcoming.take() {
            Some(p) => Some(p),
            None => self.cfg.source.as_mut().and_then(|s| s.next_page()),
        };
        let (Some(page), Some(mode)) = (page, self.mode()) else {
            // Nothing left (the source changed its mind): end politely.
            self.disconnect(Completion::Ok, now);
            return;
        };
        self.upcoming = self.cfg.source.as_mut().and_then(|s| s.next_page());
        let post = match &self.upcoming {
            None => Fcf::EOP,
            Some(next) => {
                let res = self
                    .remote_dis
                    .as_ref()
                    .map(|d| best_resolution(next.resolution, d.capabilities().resolutions))
                    .unwrap_or(mode.resolution);
                if res == mode.resolution && width_for(next.columns, next.resolution) == mode.width
                {
                    Fcf::MPS
                } else {
                    Fcf::EOM
                }
            }
        };
        self.pages_started += 1;
        let mut p = Box::new(TxPage {
            number: self.pages_started,
            page: page.fit_to(&mode),
            coded: Vec::new(),
            post,
            rtn: 0,
        });
        self.reencode(&mut p);
        if p.coded.is_empty() {
            self.disconnect(Completion::BadPageData, now);
            return;
        }
        self.transmit_page(p);
    }

    fn reencode(&self, p: &mut TxPage) {
        if let Some(mode) = self.mode() {
            if p.page.columns != mode.columns() {
                p.page = p.page.fit_to(&mode);
            }
            p.coded = t4_codec::encode(&mode.codec_params(), &p.page.data).unwrap_or_default();
        }
    }

    fn transmit_page(&mut self, p: Box<TxPage>) {
        let Some(mode) = self.mode() else { return };
        if mode.transfer.is_ecm() {
            self.state = State::Tx(TxState::Ecm(TxEcm {
                page: p,
                block: 0,
                ppr: 0,
                stage: EcmStage::AwaitPps,
            }));
            self.send_block(None);
            return;
        }
        let mut data = p.coded.clone();
        if self.cfg.bit_order == BitOrder::Lsb {
            data.iter_mut().for_each(|b| *b = b.reverse_bits());
        }
        self.send(Transmit::NonEcm {
            rate: mode.rate,
            data,
        });
        self.event(Event::Phase(Phase::D));
        let post = self.frame(p.post, Vec::new());
        self.state = State::Tx(TxState::AwaitPost(p));
        self.command(vec![post]);
    }

    /// MCF or RTP (or ECM MCF/ERR at the end of a page).
    fn page_confirmed(&mut self, p: &TxPage, retrain: bool, now: Instant) {
        self.outcome.pages_sent += 1;
        self.event(Event::PageSent { number: p.number });
        match p.post.without_pri() {
            Fcf::MPS if retrain => {
                self.state = State::Tx(TxState::AwaitCfr(AfterCfr::NextPage));
                self.event(Event::Phase(Phase::B));
                self.send_dcs();
            }
            Fcf::MPS => {
                self.event(Event::Phase(Phase::C));
                self.send_next_page(now);
            }
            Fcf::EOM => {
                self.state = State::Tx(TxState::AwaitDis);
                self.event(Event::Phase(Phase::B));
                self.timers.set(Timer::T1, now + self.cfg.timeouts.t1);
            }
            _ => self.disconnect(Completion::Ok, now),
        }
    }

    fn page_rejected(&mut self, mut p: Box<TxPage>, now: Instant) {
        p.rtn += 1;
        self.outcome.retrains += 1;
        if p.rtn > self.cfg.max_rtn {
            self.disconnect(Completion::PageRejected, now);
            return;
        }
        // Retrain lower if we can; T.30 also allows the same rate.
        self.step_down();
        self.state = State::Tx(TxState::AwaitCfr(AfterCfr::Resend(p)));
        self.event(Event::Phase(Phase::B));
        self.send_dcs();
    }

    pub(super) fn tx_timeout(&mut self, t: Timer, now: Instant) {
        match t {
            Timer::T5 => self.disconnect(Completion::RnrTimeout, now),
            Timer::T4 => {
                if let Some(TxState::Ecm(e)) = self.tx() {
                    if matches!(e.stage, EcmStage::RnrPause) {
                        e.stage = EcmStage::AwaitRr;
                        let rr = self.frame(Fcf::RR, Vec::new());
                        self.command(vec![rr]);
                        return;
                    }
                }
                if !self.repeat_command() {
                    self.disconnect(Completion::NoResponse(self.waiting()), now);
                }
            }
            _ => {}
        }
    }

    // ----- ECM -----

    /// Sends the current block's frames (all, or those in `map`), 3 RCP, then PPS.
    fn send_block(&mut self, map: Option<FrameMap>) {
        let (Some(mode), x) = (self.mode(), self.x) else {
            return;
        };
        let crate::caps::Transfer::Ecm { frame_size, .. } = mode.transfer else {
            return;
        };
        let fs = frame_size.octets();
        let Some(TxState::Ecm(e)) = self.tx() else {
            return;
        };
        let block_bytes = fs * MAX_FRAMES;
        let start = e.block * block_bytes;
        let end = (start + block_bytes).min(e.page.coded.len());
        let data = e.page.coded.get(start..end).unwrap_or_default();
        let count = data.len().div_ceil(fs).max(1);
        let more_blocks = end < e.page.coded.len();
        let mut frames = Vec::with_capacity(count + 3);
        for (n, chunk) in data.chunks(fs).enumerate() {
            if map.is_some_and(|m| !m.get(n)) {
                continue;
            }
            let mut fif = Vec::with_capacity(chunk.len() + 1);
            fif.push(number_octet(u8::try_from(n).unwrap_or(u8::MAX)));
            fif.extend_from_slice(chunk);
            frames.push(Frame::new(Fcf::FCD, fif, false));
        }
        for i in 0..3 {
            frames.push(Frame::new(Fcf::RCP, Vec::new(), i == 2));
        }
        let fcf2 = if more_blocks { Fcf::NULL } else { e.page.post };
        let counter = |v: usize| number_octet(u8::try_from(v % 256).unwrap_or(0));
        let pps_fif = vec![
            fcf2.with_x(x).0,
            counter(e.page.number as usize - 1),
            counter(e.block),
            counter(count - 1),
        ];
        e.stage = EcmStage::AwaitPps;
        self.send(Transmit::Frames {
            carrier: Carrier::Fast(mode.rate),
            frames,
        });
        let pps = self.frame(Fcf::PPS, pps_fif);
        self.event(Event::Phase(Phase::D));
        self.command(vec![pps]);
    }

    fn ecm_response(&mut self, f: &Frame, now: Instant) {
        let fcf = f.fcf.base();
        let awaiting = match self.tx() {
            Some(TxState::Ecm(e)) => match e.stage {
                EcmStage::AwaitPps | EcmStage::AwaitRr => Some(Fcf::MCF),
                EcmStage::AwaitCtr { .. } => Some(Fcf::CTR),
                EcmStage::AwaitErr => Some(Fcf::ERR),
                EcmStage::RnrPause => None,
            },
            _ => return,
        };
        match (awaiting, fcf) {
            (Some(Fcf::MCF), Fcf::MCF) => {
                self.timers.stop(Timer::T5);
                self.block_done(now);
            }
            (Some(Fcf::MCF), Fcf::PPR) => {
                let Some(map) = FrameMap::from_fif(&f.fif) else {
                    return;
                };
                self.timers.stop(Timer::T5);
                self.stop_waiting();
                self.outcome.ecm_retransmissions += u32::try_from(map.count()).unwrap_or(0);
                let ppr = match self.tx() {
                    Some(TxState::Ecm(e)) => {
                        e.ppr += 1;
                        e.ppr
                    }
                    _ => return,
                };
                if ppr < 4 {
                    self.send_block(Some(map));
                } else {
                    self.continue_or_give_up(map);
                }
            }
            (Some(Fcf::MCF), Fcf::RNR) => {
                if let Some(TxState::Ecm(e)) = self.tx() {
                    e.stage = EcmStage::RnrPause;
                }
                self.pending = None;
                if !self.timers.is_set(Timer::T5) {
                    self.timers.set(Timer::T5, now + self.cfg.timeouts.t5);
                }
                self.timers
                    .set(Timer::T4, now + self.cfg.timeouts.rr_interval);
            }
            (Some(Fcf::CTR), Fcf::CTR) => {
                let Some(TxState::Ecm(e)) = self.tx() else {
                    return;
                };
                let EcmStage::AwaitCtr { map, dcs } =
                    std::mem::replace(&mut e.stage, EcmStage::AwaitPps)
                else {
                    return;
                };
                e.ppr = 0;
                self.outcome.retrains += 1;
                self.dcs = Some(*dcs);
                self.stop_waiting();
                self.send_block(Some(map));
            }
            (Some(Fcf::ERR), Fcf::ERR) => {
                self.outcome.blocks_given_up += 1;
                self.block_done(now);
            }
            _ => {}
        }
    }

    /// After the fourth PPR for a block: CTC at the next lower rate, or EOR at the lowest.
    fn continue_or_give_up(&mut self, map: FrameMap) {
        let before = self.dcs.clone();
        if self.step_down() {
            let lower = std::mem::replace(&mut self.dcs, before);
            if let (Some(lower), Some(TxState::Ecm(e))) = (lower, self.tx()) {
                let fif = lower.ctc_fif();
                e.stage = EcmStage::AwaitCtr {
                    map,
                    dcs: Box::new(lower),
                };
                let ctc = self.frame(Fcf::CTC, fif);
                self.command(vec![ctc]);
                return;
            }
        }
        let fs = self.frame_size();
        let x = self.x;
        let Some(TxState::Ecm(e)) = self.tx() else {
            return;
        };
        e.stage = EcmStage::AwaitErr;
        let post = if (e.block + 1) * fs * MAX_FRAMES < e.page.coded.len() {
            Fcf::NULL
        } else {
            e.page.post
        };
        let eor = self.frame(Fcf::EOR, vec![post.with_x(x).0]);
        self.command(vec![eor]);
    }

    fn frame_size(&self) -> usize {
        match self.mode().map(|m| m.transfer) {
            Some(crate::caps::Transfer::Ecm { frame_size, .. }) => frame_size.octets(),
            _ => 256,
        }
    }

    /// The block was accepted (MCF or ERR): next block, or the page is done.
    fn block_done(&mut self, now: Instant) {
        self.stop_waiting();
        let Some(mode) = self.mode() else { return };
        let fs = match mode.transfer {
            crate::caps::Transfer::Ecm { frame_size, .. } => frame_size.octets(),
            crate::caps::Transfer::NonEcm(_) => return,
        };
        let Some(TxState::Ecm(e)) = self.tx() else {
            return;
        };
        e.ppr = 0;
        if (e.block + 1) * fs * MAX_FRAMES < e.page.coded.len() {
            e.block += 1;
            self.send_block(None);
            return;
        }
        let State::Tx(TxState::Ecm(e)) =
            std::mem::replace(&mut self.state, State::Tx(TxState::AwaitDis))
        else {
            return;
        };
        self.page_confirmed(&e.page, false, now);
    }
}
