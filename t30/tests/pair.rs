//! Two sessions back to back over an emulated line: every role, both modes, every coding,
//! and the failure paths.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

mod common;

use common::{text_page, Fate, Pair, SharedSink, Side};
use std::sync::atomic::Ordering;
use std::time::Duration;
use t30::caps::{EcmCoding, NonEcmCoding, Transfer};
use t30::{
    Carrier, Completion, Config, Event, Fcf, Identity, MemorySource, Page, Rate, Resolution,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Mh,
    Mr,
    Mmr,
}

fn limit_coding(cfg: &mut Config, coding: Coding) {
    cfg.capabilities.mr = coding != Coding::Mh;
    cfg.capabilities.mmr = coding == Coding::Mmr;
}

fn pages(n: u64, resolution: Resolution) -> Vec<Page> {
    (0..n)
        .map(|i| text_page(i + 1, 1728, 400, resolution))
        .collect()
}

fn sender(calling: bool, pages: Vec<Page>, ecm: bool, coding: Coding) -> Config {
    let mut c = Config::sender(calling, Box::new(MemorySource::new(pages)));
    c.ecm = ecm;
    c.identity = Identity::new("+1 555 0100").unwrap();
    limit_coding(&mut c, coding);
    c
}

fn receiver(calling: bool, sink: &SharedSink) -> Config {
    let mut c = Config::receiver(calling, Box::new(sink.clone()));
    c.identity = Identity::new("+1 555 0199").unwrap();
    c
}

fn outcome(s: &t30::Session) -> t30::Outcome {
    s.outcome().cloned().expect("session finished")
}

/// Runs a plain transfer and checks every page arrived pixel-identical.
fn transfer(ecm: bool, coding: Coding, n: u64) -> Pair {
    let sink = SharedSink::default();
    let sent = pages(n, Resolution::Fine);
    let mut pair = Pair::new(
        sender(true, sent.clone(), ecm, coding),
        receiver(false, &sink),
    );
    pair.drive();
    let (a, b) = (outcome(&pair.a), outcome(&pair.b));
    assert_eq!(a.completion, Completion::Ok, "sender {a:?}");
    assert_eq!(b.completion, Completion::Ok, "receiver {b:?}");
    assert_eq!((a.pages_sent, b.pages_received), (n as u32, n as u32));
    let got = sink.pages.lock().unwrap();
    for (s, r) in sent.iter().zip(got.iter()) {
        assert_eq!(r.page.data, s.data, "page {} differs", r.number);
        assert_eq!(r.bad_rows, 0);
    }
    let mode = a.mode.unwrap();
    let want = match (ecm, coding) {
        (false, Coding::Mh) => Transfer::NonEcm(NonEcmCoding::Mh),
        (false, _) => Transfer::NonEcm(NonEcmCoding::Mr),
        (true, Coding::Mh) => Transfer::Ecm {
            coding: EcmCoding::Mh,
            frame_size: t30::caps::FrameSize::Octets256,
        },
        (true, Coding::Mr) => Transfer::Ecm {
            coding: EcmCoding::Mr,
            frame_size: t30::caps::FrameSize::Octets256,
        },
        (true, Coding::Mmr) => Transfer::Ecm {
            coding: EcmCoding::Mmr,
            frame_size: t30::caps::FrameSize::Octets256,
        },
    };
    assert_eq!(mode.transfer, want);
    assert_eq!(mode.rate, Rate::V17_14400);
    // The receiver learnt the sender's TSI.
    assert_eq!(b.remote.reveal(), "+1 555 0100");
    assert_eq!(a.remote.reveal(), "+1 555 0199");
    pair
}

#[test]
fn non_ecm_mh_one_page() {
    let pair = transfer(false, Coding::Mh, 1);
    assert_eq!(pair.count_sent(Side::A, Fcf::EOP), 1);
    assert_eq!(pair.count_sent(Side::A, Fcf::DCN), 1);
}

#[test]
fn non_ecm_mr_three_pages_with_mps() {
    let pair = transfer(false, Coding::Mr, 3);
    assert_eq!(pair.count_sent(Side::A, Fcf::MPS), 2);
    assert_eq!(pair.count_sent(Side::A, Fcf::EOP), 1);
    assert_eq!(pair.count_sent(Side::B, Fcf::MCF), 3);
}

#[test]
fn ecm_mh_mr_mmr() {
    for coding in [Coding::Mh, Coding::Mr, Coding::Mmr] {
        let pair = transfer(true, coding, 2);
        assert_eq!(pair.count_sent(Side::A, Fcf::PPS), 2, "{coding:?}");
        assert_eq!(pair.count_sent(Side::A, Fcf::RCP), 6, "{coding:?}");
    }
}

#[test]
fn ecm_page_of_several_blocks() {
    // A dense page: more than 64 KiB of MH data, so PPS-NULL separates blocks.
    let sink = SharedSink::default();
    let mut page = Page::blank(1728, 2000, Resolution::Fine);
    for (i, b) in page.data.iter_mut().enumerate() {
        *b = if (i / 216 + i) % 3 == 0 { 0x55 } else { 0x0F };
    }
    let mut pair = Pair::new(
        sender(true, vec![page.clone()], true, Coding::Mh),
        receiver(false, &sink),
    );
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::Ok);
    let nulls = pair
        .sent
        .iter()
        .filter(|(_, s, f)| *s == Side::A && f.fcf.base() == Fcf::PPS && f.fif[0] == 0)
        .count();
    assert!(nulls >= 1, "PPS-NULL expected");
    assert_eq!(sink.pages.lock().unwrap()[0].page.data, page.data);
}

#[test]
fn eom_when_the_resolution_changes() {
    let sink = SharedSink::default();
    let sent = vec![
        text_page(1, 1728, 300, Resolution::Fine),
        text_page(2, 1728, 150, Resolution::Standard),
    ];
    let mut pair = Pair::new(
        sender(true, sent.clone(), false, Coding::Mr),
        receiver(false, &sink),
    );
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::Ok);
    assert_eq!(pair.count_sent(Side::A, Fcf::EOM), 1);
    assert_eq!(pair.count_sent(Side::A, Fcf::DCS), 2);
    assert_eq!(pair.count_sent(Side::B, Fcf::DIS), 2);
    let got = sink.pages.lock().unwrap();
    assert_eq!(got[1].mode.resolution, Resolution::Standard);
    assert_eq!(got[1].page.data, sent[1].data);
}

#[test]
fn polling_swaps_roles() {
    // The caller polls (DTC); the answering station has the document.
    let sink = SharedSink::default();
    let sent = pages(2, Resolution::Fine);
    let mut pair = Pair::new(
        receiver(true, &sink),
        sender(false, sent.clone(), true, Coding::Mmr),
    );
    pair.drive();
    let (a, b) = (outcome(&pair.a), outcome(&pair.b));
    assert_eq!(
        (a.completion, b.completion),
        (Completion::Ok, Completion::Ok)
    );
    assert_eq!((a.pages_received, b.pages_sent), (2, 2));
    assert_eq!(pair.count_sent(Side::A, Fcf::DTC), 1);
    assert_eq!(pair.count_sent(Side::A, Fcf::CIG), 1);
    assert_eq!(pair.count_sent(Side::B, Fcf::DCS), 1);
    assert_eq!(sink.pages.lock().unwrap()[1].page.data, sent[1].data);
}

#[test]
fn polling_a_station_with_nothing_ends_cleanly() {
    let sink = SharedSink::default();
    let mut pair = Pair::new(
        receiver(true, &sink),
        receiver(false, &SharedSink::default()),
    );
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::NothingToPoll);
    assert_eq!(
        outcome(&pair.b).completion,
        Completion::UnexpectedDcn(t30::Waiting::Dcs)
    );
}

#[test]
fn ftt_steps_down_the_fallback_list() {
    let sink = SharedSink::default();
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), false, Coding::Mr),
        receiver(false, &sink),
    );
    pair.train_max_bps = 9600;
    pair.drive();
    let a = outcome(&pair.a);
    assert_eq!(a.completion, Completion::Ok);
    // 14400 and 12000 fail; 9600 V.17 trains.
    assert_eq!(a.mode.unwrap().rate, Rate::V17_9600);
    assert_eq!(a.retrains, 2);
    assert_eq!(pair.count_sent(Side::B, Fcf::FTT), 2);
}

#[test]
fn transferred_tcf_drives_the_same_fallback() {
    let sink = SharedSink::default();
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), false, Coding::Mr),
        receiver(false, &sink),
    );
    pair.train_max_bps = 9600;
    pair.tcf_as_data = true;
    pair.drive();
    let a = outcome(&pair.a);
    assert_eq!(a.completion, Completion::Ok);
    assert_eq!(a.mode.unwrap().rate, Rate::V17_9600);
    assert_eq!(pair.count_sent(Side::B, Fcf::FTT), 2);
}

#[test]
fn ftt_at_the_lowest_rate_fails_training() {
    let sink = SharedSink::default();
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), false, Coding::Mr),
        receiver(false, &sink),
    );
    pair.train_max_bps = 0;
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::TrainingFailed);
    assert_eq!(pair.count_sent(Side::B, Fcf::FTT), 8);
}

#[test]
fn rtn_retrains_and_resends_the_page() {
    let sink = SharedSink::default();
    let sent = pages(1, Resolution::Fine);
    let mut pair = Pair::new(
        sender(true, sent.clone(), false, Coding::Mh),
        receiver(false, &sink),
    );
    let mut first = true;
    // Ruin the first transmission of the page: garbage after the first rows.
    pair.data_hook = Some(Box::new(move |_, data: &mut Vec<u8>| {
        if first {
            first = false;
            let n = data.len();
            for b in &mut data[200..n - 20] {
                *b = 0xA5;
            }
        }
    }));
    pair.drive();
    let a = outcome(&pair.a);
    assert_eq!(a.completion, Completion::Ok);
    assert_eq!(pair.count_sent(Side::B, Fcf::RTN), 1);
    assert_eq!(a.retrains, 1);
    assert_eq!(a.mode.unwrap().rate, Rate::V17_12000);
    assert_eq!(sink.pages.lock().unwrap()[0].page.data, sent[0].data);
}

#[test]
fn rtn_every_time_ends_with_page_rejected() {
    let sink = SharedSink::default();
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), false, Coding::Mh),
        receiver(false, &sink),
    );
    pair.data_hook = Some(Box::new(|_, data: &mut Vec<u8>| {
        data.iter_mut().for_each(|b| *b = 0xA5)
    }));
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::PageRejected);
    assert_eq!(pair.count_sent(Side::B, Fcf::RTN), 4);
    assert_eq!(outcome(&pair.b).pages_received, 0);
}

#[test]
fn ppr_resends_only_the_missing_frames() {
    let sink = SharedSink::default();
    let sent = pages(1, Resolution::Fine);
    let mut pair = Pair::new(
        sender(true, sent.clone(), true, Coding::Mr),
        receiver(false, &sink),
    );
    let mut seen = std::collections::HashSet::new();
    // Lose frames 1 and 3 the first time they are sent.
    pair.hook = Some(Box::new(move |_, f, _| {
        if f.fcf == Fcf::FCD && matches!(f.fif[0].reverse_bits(), 1 | 3) && seen.insert(f.fif[0]) {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    }));
    pair.drive();
    let a = outcome(&pair.a);
    assert_eq!(a.completion, Completion::Ok);
    assert_eq!(a.ecm_retransmissions, 2);
    assert_eq!(pair.count_sent(Side::B, Fcf::PPR), 1);
    let ppr = pair
        .sent
        .iter()
        .find(|(_, _, f)| f.fcf.base() == Fcf::PPR)
        .unwrap();
    assert_eq!(ppr.2.fif.len(), 32);
    assert_eq!(sink.pages.lock().unwrap()[0].page.data, sent[0].data);
}

#[test]
fn four_pprs_lead_to_ctc_and_a_lower_rate() {
    let sink = SharedSink::default();
    let sent = pages(1, Resolution::Fine);
    let mut pair = Pair::new(
        sender(true, sent.clone(), true, Coding::Mr),
        receiver(false, &sink),
    );
    // Frame 2 never survives above 12000 bit/s.
    pair.hook = Some(Box::new(|_, f, carrier| match carrier {
        Carrier::Fast(r)
            if r.bps() > 12000 && f.fcf == Fcf::FCD && f.fif[0].reverse_bits() == 2 =>
        {
            Fate::Drop
        }
        _ => Fate::Deliver,
    }));
    pair.drive();
    let a = outcome(&pair.a);
    assert_eq!(a.completion, Completion::Ok);
    assert_eq!(pair.count_sent(Side::B, Fcf::PPR), 4);
    assert_eq!(pair.count_sent(Side::A, Fcf::CTC), 1);
    assert_eq!(pair.count_sent(Side::B, Fcf::CTR), 1);
    assert_eq!(a.mode.unwrap().rate, Rate::V17_12000);
    assert_eq!(sink.pages.lock().unwrap()[0].page.data, sent[0].data);
}

#[test]
fn eor_at_the_lowest_rate_gives_up_the_block() {
    let sink = SharedSink::default();
    let mut cfg = sender(
        true,
        vec![text_page(1, 1728, 100, Resolution::Standard)],
        true,
        Coding::Mmr,
    );
    cfg.max_rate = Rate::V27ter2400;
    let mut pair = Pair::new(cfg, receiver(false, &sink));
    pair.hook = Some(Box::new(|_, f, _| {
        if f.fcf == Fcf::FCD && f.fif[0] == 0 {
            Fate::Corrupt
        } else {
            Fate::Deliver
        }
    }));
    pair.drive();
    let (a, b) = (outcome(&pair.a), outcome(&pair.b));
    assert_eq!(a.completion, Completion::Ok);
    assert_eq!(pair.count_sent(Side::B, Fcf::PPR), 4);
    assert_eq!(pair.count_sent(Side::A, Fcf::EOR), 1);
    assert_eq!(pair.count_sent(Side::B, Fcf::ERR), 1);
    assert_eq!((a.blocks_given_up, b.blocks_given_up), (1, 1));
}

#[test]
fn rnr_loop_ends_at_t5() {
    let sink = SharedSink::default();
    sink.busy.store(true, Ordering::SeqCst);
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), true, Coding::Mmr),
        receiver(false, &sink),
    );
    pair.drive();
    let a = outcome(&pair.a);
    assert_eq!(a.completion, Completion::RnrTimeout);
    let rr = pair.count_sent(Side::A, Fcf::RR);
    assert!(rr >= 10, "RR sent {rr} times");
    assert_eq!(pair.count_sent(Side::B, Fcf::RNR), rr + 1);
    // The first RNR starts T5 (60 s); the session ends then, not before.
    let first_rnr = pair
        .sent
        .iter()
        .find(|(_, _, f)| f.fcf.base() == Fcf::RNR)
        .unwrap()
        .0;
    let dcn = pair
        .sent
        .iter()
        .find(|(_, s, f)| *s == Side::A && f.fcf.base() == Fcf::DCN)
        .unwrap()
        .0;
    assert!(
        dcn >= first_rnr + Duration::from_secs(60) && dcn < first_rnr + Duration::from_secs(62)
    );
}

#[test]
fn rnr_then_ready_completes() {
    let sink = SharedSink::default();
    sink.busy.store(true, Ordering::SeqCst);
    let busy = sink.busy.clone();
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), true, Coding::Mmr),
        receiver(false, &sink),
    );
    let mut rrs = 0;
    pair.hook = Some(Box::new(move |_, f, _| {
        if f.fcf.base() == Fcf::RR {
            rrs += 1;
            if rrs == 3 {
                busy.store(false, Ordering::SeqCst);
            }
        }
        Fate::Deliver
    }));
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::Ok);
    assert_eq!(pair.count_sent(Side::A, Fcf::RR), 3);
    assert_eq!(sink.pages.lock().unwrap().len(), 1);
}

#[test]
fn missing_responses_end_in_dcn_after_three_tries() {
    let sink = SharedSink::default();
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), false, Coding::Mr),
        receiver(false, &sink),
    );
    // Every MCF is lost.
    pair.hook = Some(Box::new(|_, f, _| {
        if f.fcf.base() == Fcf::MCF {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    }));
    pair.drive();
    assert_eq!(
        outcome(&pair.a).completion,
        Completion::NoResponse(t30::Waiting::PageResponse)
    );
    assert_eq!(pair.count_sent(Side::A, Fcf::EOP), 3);
    assert_eq!(pair.count_sent(Side::A, Fcf::DCN), 1);
    // The receiver answered each repeat and then saw the DCN; it has the page.
    assert_eq!(pair.count_sent(Side::B, Fcf::MCF), 3);
    assert_eq!(outcome(&pair.b).pages_received, 1);
}

#[test]
fn no_dis_ends_after_t1() {
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), true, Coding::Mmr),
        receiver(false, &SharedSink::default()),
    );
    pair.hook = Some(Box::new(|_, _, _| Fate::Drop));
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::NoDis);
    assert_eq!(outcome(&pair.b).completion, Completion::NoDcs);
    // The answering side repeated DIS every T4 until T1.
    let dis = pair.count_sent(Side::B, Fcf::DIS);
    assert!((6..=9).contains(&dis), "{dis} DIS");
}

#[test]
fn crp_repeats_a_damaged_command() {
    let sink = SharedSink::default();
    let mut pair = Pair::new(
        sender(true, pages(2, Resolution::Fine), false, Coding::Mr),
        receiver(false, &sink),
    );
    let mut done = false;
    pair.hook = Some(Box::new(move |_, f, _| {
        if f.fcf.base() == Fcf::MPS && !done {
            done = true;
            Fate::Corrupt
        } else {
            Fate::Deliver
        }
    }));
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::Ok);
    assert_eq!(pair.count_sent(Side::B, Fcf::CRP), 1);
    assert_eq!(pair.count_sent(Side::A, Fcf::MPS), 2);
    assert_eq!(sink.pages.lock().unwrap().len(), 2);
}

#[test]
fn contradictory_dcs_gets_a_clean_dcn() {
    use t30::{BitOrder, Frame, Input, Output, Transmit};
    let sink = SharedSink::default();
    let start = std::time::Instant::now();
    let mut rx = t30::Session::new(receiver(false, &sink), start).unwrap();
    while rx.poll_output().is_some() {}
    // DCS asking for T.6 without ECM (bit 31 set, bit 27 clear): receive, V.17 14400, fine.
    let fif = [0x00, 0x46, 0x1e, 0x02];
    let dcs = Frame::new(Fcf::DCS.with_x(true), fif.to_vec(), true);
    let now = start + Duration::from_secs(2);
    rx.handle_input(
        Input::Frame {
            bytes: &dcs.to_bytes(BitOrder::T30),
            fcs_ok: true,
        },
        now,
    );
    let mut sent_dcn = false;
    while let Some(o) = rx.poll_output() {
        if let Output::Transmit(Transmit::Frames { frames, .. }) = o {
            sent_dcn |= frames.iter().any(|f| f.fcf.base() == Fcf::DCN);
        }
    }
    assert!(sent_dcn);
    assert_eq!(
        rx.outcome().map(|o| o.completion),
        Some(Completion::InvalidDcs(t30::DcsError::NeedsEcm(31)))
    );
    assert_eq!(rx.poll_timeout(), None);
}

#[test]
fn seeded_loss_and_corruption() {
    for seed in 1..=12 {
        for ecm in [true, false] {
            let sink = SharedSink::default();
            let sent = pages(2, Resolution::Fine);
            let mut pair = Pair::new(
                sender(true, sent.clone(), ecm, Coding::Mmr),
                receiver(false, &sink),
            );
            pair.rng = common::Rng::new(seed);
            pair.loss = 0.03;
            pair.corrupt = 0.03;
            pair.drive();
            let (a, b) = (outcome(&pair.a), outcome(&pair.b));
            // Repeats, CRP and PPR recover everything at 3 % loss and 3 % corruption.
            assert_eq!(a.completion, Completion::Ok, "seed {seed} ecm {ecm}");
            assert_eq!(
                (a.pages_sent, b.pages_received),
                (2, 2),
                "seed {seed} ecm {ecm}"
            );
            if ecm {
                let got = sink.pages.lock().unwrap();
                for (s, r) in sent.iter().zip(got.iter()) {
                    assert_eq!(r.page.data, s.data, "seed {seed}");
                }
            }
        }
    }
}

#[test]
fn heavy_loss_always_terminates() {
    for seed in 1..=16 {
        for ecm in [true, false] {
            let sink = SharedSink::default();
            let mut pair = Pair::new(
                sender(true, pages(2, Resolution::Fine), ecm, Coding::Mr),
                receiver(false, &sink),
            );
            pair.rng = common::Rng::new(seed);
            pair.loss = 0.25;
            pair.corrupt = 0.15;
            pair.drive();
            // Both ends finish through their own timers, well inside the call timer.
            assert!(
                pair.a.is_done() && pair.b.is_done(),
                "seed {seed} ecm {ecm}"
            );
            assert!(pair.elapsed() < Duration::from_secs(30 * 60), "seed {seed}");
        }
    }
}

#[test]
fn thirty_page_ecm_fax() {
    // Shows the cost of a long fax: both sessions, the T.4 coding and the line emulation.
    // Wall time is printed, never asserted (run with --release for the figure in the docs).
    let sink = SharedSink::default();
    let sent: Vec<Page> = (0..30)
        .map(|i| text_page(i + 1, 1728, 2200, Resolution::Fine))
        .collect();
    let wall = std::time::Instant::now();
    let mut pair = Pair::new(
        sender(true, sent, true, Coding::Mmr),
        receiver(false, &sink),
    );
    pair.drive();
    let wall = wall.elapsed();
    let a = outcome(&pair.a);
    assert_eq!((a.completion, a.pages_sent), (Completion::Ok, 30));
    assert_eq!(sink.pages.lock().unwrap().len(), 30);
    eprintln!(
        "30-page ECM MMR fax: {:.1} s simulated, {:.3} s wall",
        pair.elapsed().as_secs_f64(),
        wall.as_secs_f64()
    );
}

/// True if `text` holds one of the test stations' identities, as written or as T.30 sends it
/// (reversed), or its digits alone. (Digits as short as "555" also turn up in the `Debug` of
/// times, so only whole identities count.)
fn leaks_identity(text: &str) -> bool {
    ["+1 555 0100", "+1 555 0199"].iter().any(|id| {
        let reversed: String = id.chars().rev().collect();
        let digits: String = id.chars().filter(char::is_ascii_digit).collect();
        text.contains(id) || text.contains(&reversed) || text.contains(&digits)
    })
}

#[test]
fn events_report_phases_and_identity_redacted() {
    let pair = transfer(true, Coding::Mmr, 1);
    let log = format!("{:?}", pair.events);
    assert!(!leaks_identity(&log), "identity leaked: {log}");
    assert!(pair
        .events
        .iter()
        .any(|(s, e)| *s == Side::B && matches!(e, Event::PageReceived { number: 1, .. })));
    assert!(pair
        .events
        .iter()
        .any(|(s, e)| *s == Side::A && matches!(e, Event::Negotiated(_))));
}

#[test]
fn subaddress_and_password_only_when_offered() {
    for offered in [true, false] {
        let sink = SharedSink::default();
        let mut tx = sender(true, pages(1, Resolution::Fine), true, Coding::Mmr);
        tx.subaddress = Some(Identity::new("4711").unwrap());
        tx.password = Some(Identity::new("1234").unwrap());
        let mut rx = receiver(false, &sink);
        rx.capabilities.subaddress = offered;
        rx.capabilities.password = offered;
        let mut pair = Pair::new(tx, rx);
        pair.drive();
        assert_eq!(outcome(&pair.a).completion, Completion::Ok);
        let n = usize::from(offered);
        assert_eq!(pair.count_sent(Side::A, Fcf::SUB), n);
        assert_eq!(pair.count_sent(Side::A, Fcf::SID), n);
        let dcs = pair
            .sent
            .iter()
            .find(|(_, _, f)| f.fcf.base() == Fcf::DCS)
            .unwrap();
        // DCS bits 49 and 50: octet 7, 0x80 and 0x40 in T.30 notation.
        let bits = dcs.2.fif.get(6).copied().unwrap_or(0) & 0xC0;
        assert_eq!(bits, if offered { 0xC0 } else { 0 });
        let got = sink.pages.lock().unwrap();
        let want = if offered { "4711" } else { "" };
        assert_eq!(got[0].subaddress.reveal(), want);
        assert_eq!(outcome(&pair.b).subaddress.reveal(), want);
    }
}

#[test]
fn a_lost_sub_frame_is_sent_again_before_the_page() {
    // Routing depends on the subaddress: a DCS whose SUB frame was lost is not taken; the
    // sender's repeat brings the SUB.
    let sink = SharedSink::default();
    let mut tx = sender(true, pages(1, Resolution::Fine), true, Coding::Mmr);
    tx.subaddress = Some(Identity::new("4711").unwrap());
    let mut rx = receiver(false, &sink);
    rx.capabilities.subaddress = true;
    let mut pair = Pair::new(tx, rx);
    let mut dropped = false;
    pair.hook = Some(Box::new(move |_, f, _| {
        if f.fcf.base() == Fcf::SUB && !dropped {
            dropped = true;
            Fate::Drop
        } else {
            Fate::Deliver
        }
    }));
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::Ok);
    assert_eq!(pair.count_sent(Side::A, Fcf::SUB), 2);
    assert_eq!(pair.count_sent(Side::A, Fcf::DCS), 2);
    assert_eq!(outcome(&pair.b).subaddress.reveal(), "4711");
    assert_eq!(sink.pages.lock().unwrap()[0].subaddress.reveal(), "4711");
}

#[test]
fn ecm_with_64_octet_frames() {
    let sink = SharedSink::default();
    let sent = pages(1, Resolution::Fine);
    let mut tx = sender(true, sent.clone(), true, Coding::Mr);
    tx.ecm_frame_size = t30::caps::FrameSize::Octets64;
    let mut pair = Pair::new(tx, receiver(false, &sink));
    let mut first = true;
    pair.hook = Some(Box::new(move |_, f, _| {
        if f.fcf == Fcf::FCD && f.fif[0].reverse_bits() == 5 && first {
            first = false;
            Fate::Drop
        } else {
            Fate::Deliver
        }
    }));
    pair.drive();
    let a = outcome(&pair.a);
    assert_eq!(a.completion, Completion::Ok);
    assert!(matches!(
        a.mode.unwrap().transfer,
        Transfer::Ecm {
            frame_size: t30::caps::FrameSize::Octets64,
            ..
        }
    ));
    assert_eq!(a.ecm_retransmissions, 1);
    let fcd = pair
        .sent
        .iter()
        .find(|(_, _, f)| f.fcf == Fcf::FCD)
        .unwrap();
    assert_eq!(fcd.2.fif.len(), 65);
    assert_eq!(sink.pages.lock().unwrap()[0].page.data, sent[0].data);
}

#[test]
fn pri_eop_is_answered_like_eop() {
    use t30::{BitOrder, Frame, Input, Output, Transmit};
    let sink = SharedSink::default();
    let start = std::time::Instant::now();
    let mut rx = t30::Session::new(receiver(false, &sink), start).unwrap();
    while rx.poll_output().is_some() {}
    let feed = |rx: &mut t30::Session, fcf: Fcf, fif: Vec<u8>, now| {
        let f = Frame::new(fcf.with_x(true), fif, true);
        rx.handle_input(
            Input::Frame {
                bytes: &f.to_bytes(BitOrder::T30),
                fcs_ok: true,
            },
            now,
        );
    };
    let mut now = start + Duration::from_secs(3);
    // Non-ECM MH at V.29 9600, standard, A4, unlimited, 0 ms: bits 10, 11, 20, 21-23.
    feed(&mut rx, Fcf::DCS, vec![0x00, 0x60, 0x1e], now);
    rx.handle_input(Input::Training(t30::Training::perfect()), now);
    while rx.poll_output().is_some() {}
    let mut p = t4_codec::Params::new(t4_codec::Coding::Mh, 1728);
    p.end_of_line = true;
    let data = t4_codec::encode(&p, &vec![0u8; 216 * 10]).unwrap();
    now += Duration::from_secs(2);
    rx.handle_input(Input::CarrierUp, now);
    rx.handle_input(Input::NonEcmData(&data), now);
    rx.handle_input(Input::CarrierDown, now);
    feed(&mut rx, Fcf::PRI_EOP, vec![], now);
    let mut responses = Vec::new();
    while let Some(o) = rx.poll_output() {
        if let Output::Transmit(Transmit::Frames { frames, .. }) = o {
            responses.extend(frames.iter().map(|f| f.fcf.base()));
        }
    }
    assert_eq!(responses, [Fcf::MCF]);
    assert_eq!(sink.pages.lock().unwrap()[0].page.rows, 10);
    feed(&mut rx, Fcf::DCN, vec![], now);
    assert_eq!(rx.outcome().map(|o| o.completion), Some(Completion::Ok));
}

#[test]
fn lsb_first_front_end_order() {
    for ecm in [false, true] {
        let sink = SharedSink::default();
        let sent = pages(1, Resolution::Fine);
        let mut tx = sender(true, sent.clone(), ecm, Coding::Mr);
        tx.bit_order = t30::BitOrder::Lsb;
        let mut rx = receiver(false, &sink);
        rx.bit_order = t30::BitOrder::Lsb;
        let mut pair = Pair::new(tx, rx);
        pair.drive();
        assert_eq!(outcome(&pair.a).completion, Completion::Ok);
        assert_eq!(sink.pages.lock().unwrap()[0].page.data, sent[0].data);
    }
}

/// No identity, subaddress or page content reaches `Debug` output of sessions, events or
/// outcomes, at any point of a call (checked while an ECM block is held under RNR).
#[test]
fn debug_output_carries_no_phi() {
    let sink = SharedSink::default();
    sink.busy.store(true, Ordering::SeqCst);
    let mut page = Page::blank(1728, 50, Resolution::Fine);
    // A recognisable byte pattern in the page data.
    page.data.iter_mut().step_by(7).for_each(|b| *b = 0xA7);
    let mut tx = sender(true, vec![page], true, Coding::Mh);
    tx.subaddress = Some(Identity::new("9876543210123").unwrap());
    let mut rx = receiver(false, &sink);
    rx.capabilities.subaddress = true;
    let mut pair = Pair::new(tx, rx);
    let mut seen = String::new();
    for secs in [5, 10, 20, 40, 80] {
        pair.drive_until(Duration::from_secs(secs));
        seen.push_str(&format!("{:?} {:?} {:?}", pair.a, pair.b, pair.events));
    }
    pair.drive();
    seen.push_str(&format!(
        "{:?} {:?} {:?}",
        outcome(&pair.a),
        outcome(&pair.b),
        pair.events
    ));
    assert!(!leaks_identity(&seen), "an identity leaked");
    for secret in [
        "9876543210123",
        "3210123456789",
        "167, 0, 0, 0, 0, 0, 0, 167",
    ] {
        assert!(!seen.contains(secret), "{secret} leaked");
    }
    assert!(seen.contains("BlockRx"), "the RNR state was not observed");
}

#[test]
fn silent_sender_ends_receiver_through_t2() {
    let sink = SharedSink::default();
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), true, Coding::Mmr),
        receiver(false, &sink),
    );
    // After training, nothing from the sender gets through.
    pair.hook = Some(Box::new(|side, f, _| {
        if side == Side::A && !matches!(f.fcf.base(), Fcf::DCS | Fcf::TSI) {
            Fate::Drop
        } else {
            Fate::Deliver
        }
    }));
    pair.drive();
    // The receiver gives up after 3 x T2 and its DCN reaches the sender while it is still
    // repeating PPS.
    assert_eq!(
        outcome(&pair.b).completion,
        Completion::NoCommand(t30::Waiting::Page)
    );
    assert_eq!(
        outcome(&pair.a).completion,
        Completion::UnexpectedDcn(t30::Waiting::EcmResponse)
    );
    assert!(pair.count_sent(Side::A, Fcf::PPS) >= 2);
    // Completion messages name what was missing, for logs without PHI.
    assert_eq!(
        outcome(&pair.b).completion.to_string(),
        "no page from the remote within T2"
    );
}

#[test]
fn pages_are_fitted_to_what_the_receiver_accepts() {
    let sink = SharedSink::default();
    // A superfine B4-wide page; the receiver only has standard/fine and A4.
    let page = text_page(9, 2048, 800, Resolution::Superfine);
    let mut rx = receiver(false, &sink);
    rx.capabilities.resolutions = t30::caps::Resolutions::STANDARD.with(Resolution::Fine);
    rx.capabilities.max_width = t30::caps::Width::A4;
    let mut pair = Pair::new(sender(true, vec![page.clone()], true, Coding::Mmr), rx);
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::Ok);
    let got = sink.pages.lock().unwrap();
    let r = &got[0];
    assert_eq!(r.mode.resolution, Resolution::Fine);
    assert_eq!(r.page.columns, 1728);
    // Fine halves the rows; the width reduction to 1728/2048 shrinks them again.
    assert_eq!(r.page.rows, 338);
    // The same conversion done locally gives the same pels.
    assert_eq!(r.page.data, page.fit_to(&r.mode).data);
}

#[test]
fn pin_after_a_page_ends_with_procedure_interrupt() {
    use t30::{BitOrder, Capabilities, Dis, Frame, Input, Output, Transmit};
    let start = std::time::Instant::now();
    let mut tx = t30::Session::new(
        sender(true, pages(1, Resolution::Fine), false, Coding::Mr),
        start,
    )
    .unwrap();
    let feed = |s: &mut t30::Session, fcf: Fcf, fif: Vec<u8>, now| {
        let f = Frame::new(fcf, fif, true);
        s.handle_input(
            Input::Frame {
                bytes: &f.to_bytes(BitOrder::T30),
                fcs_ok: true,
            },
            now,
        );
    };
    let sent = |s: &mut t30::Session| {
        let mut v = Vec::new();
        while let Some(o) = s.poll_output() {
            if let Output::Transmit(Transmit::Frames { frames, .. }) = o {
                v.extend(frames.iter().map(|f| f.fcf.base()));
            }
        }
        v
    };
    let now = start + Duration::from_secs(2);
    let dis = Dis::from_capabilities(&Capabilities::default());
    feed(&mut tx, Fcf::DIS, dis.fif().to_vec(), now);
    assert_eq!(sent(&mut tx), [Fcf::TSI, Fcf::DCS]);
    feed(&mut tx, Fcf::CFR.with_x(true), vec![], now);
    assert_eq!(sent(&mut tx), [Fcf::EOP]);
    feed(&mut tx, Fcf::PIN.with_x(true), vec![], now);
    assert_eq!(sent(&mut tx), [Fcf::DCN]);
    assert_eq!(
        tx.outcome().map(|o| o.completion),
        Some(Completion::ProcedureInterrupt)
    );
}

#[test]
fn dcs_to_a_station_that_only_sends_is_refused() {
    // Two calling/answering senders: the answering one offers its document for polling
    // only (DIS bit 10 clear), so the caller's DCS has nothing to answer to.
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), true, Coding::Mmr),
        sender(false, pages(1, Resolution::Fine), true, Coding::Mmr),
    );
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::Incompatible);
    assert_eq!(pair.count_sent(Side::A, Fcf::DCS), 0);
}

#[test]
fn nsf_and_nss_are_reported_not_acted_on() {
    let sink = SharedSink::default();
    let mut tx = sender(true, pages(1, Resolution::Fine), true, Coding::Mmr);
    tx.nsf = Some(t30::NonStandard {
        country: 0xB5,
        vendor: vec![0x00, 0x26],
        data: vec![7; 12],
    });
    let mut rx = receiver(false, &sink);
    rx.nsf = Some(t30::NonStandard {
        country: 0xFF01,
        vendor: vec![0x12, 0x34],
        data: vec![],
    });
    let mut pair = Pair::new(tx, rx);
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::Ok);
    assert_eq!(pair.count_sent(Side::B, Fcf::NSF), 1);
    assert_eq!(pair.count_sent(Side::A, Fcf::NSS), 1);
    let nsf: Vec<_> = pair
        .events
        .iter()
        .filter_map(|(s, e)| match e {
            Event::NonStandard(n) => Some((*s, n.country, n.vendor.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        nsf,
        [
            (Side::A, 0xFF01, vec![0x12, 0x34]),
            (Side::B, 0xB5, vec![0x00, 0x26])
        ]
    );
}

#[test]
fn abort_and_call_timer() {
    let sink = SharedSink::default();
    let mut pair = Pair::new(
        sender(true, pages(1, Resolution::Fine), true, Coding::Mmr),
        receiver(false, &sink),
    );
    pair.drive_until(Duration::from_secs(4));
    let now = pair.now;
    pair.a.abort(now);
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::Aborted);
    assert!(
        matches!(outcome(&pair.b).completion, Completion::UnexpectedDcn(_)),
        "{:?}",
        outcome(&pair.b)
    );

    // A call that would go on for ever (receiver busy, T5 raised) ends at the call timer.
    let sink = SharedSink::default();
    sink.busy.store(true, Ordering::SeqCst);
    let mut tx = sender(true, pages(1, Resolution::Fine), true, Coding::Mmr);
    let mut t = t30::Timeouts::default();
    t.t5 = Duration::from_secs(3600);
    t.call = Duration::from_secs(300);
    tx.timeouts = t;
    let mut pair = Pair::new(tx, receiver(false, &sink));
    pair.drive();
    assert_eq!(outcome(&pair.a).completion, Completion::CallTimeout);
    let dcn = pair
        .sent
        .iter()
        .find(|(_, s, f)| *s == Side::A && f.fcf.base() == Fcf::DCN)
        .unwrap()
        .0;
    // The DCN goes out after whatever is on the line (an RR at most) and takes ~1.3 s.
    assert!(
        dcn >= Duration::from_secs(300) && dcn < Duration::from_secs(303),
        "{dcn:?}"
    );
}

#[test]
fn tcf_as_data_is_judged_by_the_session() {
    use t30::{BitOrder, Frame, Input, Output, Transmit};
    for (damage_at, want) in [(None, Fcf::CFR), (Some(700), Fcf::FTT)] {
        let start = std::time::Instant::now();
        let mut rx = t30::Session::new(receiver(false, &SharedSink::default()), start).unwrap();
        while rx.poll_output().is_some() {}
        let now = start + Duration::from_secs(3);
        // DCS: V.29 9600, standard, non-ECM MH, 0 ms; then 1.5 s of TCF = 1800 octets.
        let dcs = Frame::new(Fcf::DCS.with_x(true), vec![0x00, 0x60, 0x1e], true);
        rx.handle_input(
            Input::Frame {
                bytes: &dcs.to_bytes(BitOrder::T30),
                fcs_ok: true,
            },
            now,
        );
        let mut tcf = vec![0u8; 1800];
        if let Some(i) = damage_at {
            tcf[i] = 0x08;
        }
        rx.handle_input(Input::CarrierUp, now);
        for chunk in tcf.chunks(54) {
            rx.handle_input(Input::NonEcmData(chunk), now);
        }
        rx.handle_input(Input::CarrierDown, now);
        let mut responses = Vec::new();
        while let Some(o) = rx.poll_output() {
            if let Output::Transmit(Transmit::Frames { frames, .. }) = o {
                responses.extend(frames.iter().map(|f| f.fcf.base()));
            }
        }
        // 700 clean octets are 0.58 s: not enough; 1800 are.
        assert_eq!(responses, [want]);
    }
}

#[test]
fn non_ecm_rows_respect_the_minimum_scan_line_time() {
    use std::sync::{Arc, Mutex};
    let sink = SharedSink::default();
    let sent = vec![Page::blank(1728, 100, Resolution::Standard)];
    let mut rx = receiver(false, &sink);
    // 20 ms per row at standard resolution.
    rx.capabilities.scan = t30::caps::ScanCapability {
        ms: 20,
        halves_when_fine: false,
    };
    let mut pair = Pair::new(sender(true, sent.clone(), false, Coding::Mh), rx);
    let len = Arc::new(Mutex::new(0usize));
    let seen = len.clone();
    pair.data_hook = Some(Box::new(move |_, d: &mut Vec<u8>| {
        *seen.lock().unwrap() = d.len()
    }));
    pair.drive();
    let a = outcome(&pair.a);
    assert_eq!(a.completion, Completion::Ok);
    let mode = a.mode.unwrap();
    assert_eq!(mode.scan_time, t30::caps::ScanTime(20));
    // 20 ms at 14400 bit/s = 288 bits per row; a white MH row alone is far shorter.
    let bytes = *len.lock().unwrap();
    assert!(bytes * 8 >= 100 * 288, "{bytes} octets for 100 rows");
    assert_eq!(sink.pages.lock().unwrap()[0].page.data, sent[0].data);
}

#[test]
fn expected_password_admits_or_refuses() {
    for (given, ok) in [(Some("2468"), true), (Some("1357"), false), (None, false)] {
        let sink = SharedSink::default();
        let mut tx = sender(true, pages(1, Resolution::Fine), true, Coding::Mmr);
        tx.password = given.map(|p| Identity::new(p).unwrap());
        let mut rx = receiver(false, &sink);
        rx.expected_password = Some(Identity::new("2468").unwrap());
        let mut pair = Pair::new(tx, rx);
        pair.drive();
        let (a, b) = (outcome(&pair.a), outcome(&pair.b));
        if ok {
            assert_eq!((a.completion, b.pages_received), (Completion::Ok, 1));
        } else {
            assert_eq!(b.completion, Completion::PasswordRejected, "{given:?}");
            assert!(
                matches!(a.completion, Completion::UnexpectedDcn(_)),
                "{given:?}"
            );
            assert_eq!(b.pages_received, 0);
        }
    }
}

#[test]
fn selective_polling_with_password() {
    let sink = SharedSink::default();
    let mut poller = receiver(true, &sink);
    poller.selective_polling = Some(Identity::new("42").unwrap());
    poller.password = Some(Identity::new("9999").unwrap());
    let mut polled = sender(false, pages(1, Resolution::Fine), true, Coding::Mmr);
    polled.capabilities.selective_polling = true;
    polled.expected_password = Some(Identity::new("9999").unwrap());
    let mut pair = Pair::new(poller, polled);
    pair.drive();
    let (a, b) = (outcome(&pair.a), outcome(&pair.b));
    assert_eq!(
        (a.completion, b.completion),
        (Completion::Ok, Completion::Ok)
    );
    assert_eq!(pair.count_sent(Side::A, Fcf::SEP), 1);
    assert_eq!(pair.count_sent(Side::A, Fcf::PWD), 1);
    assert_eq!(b.subaddress.reveal(), "42");
    assert_eq!(a.pages_received, 1);
}
