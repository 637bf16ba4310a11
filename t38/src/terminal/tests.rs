//! Unit tests of the terminal's receive-side tolerance.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::codes::{DataType, FieldType};
use crate::ifp::{Field, Message};

struct Discard;
impl t30::PageSink for Discard {
    fn page(&mut self, _page: t30::ReceivedPage) {}
}

fn answerer(now: Instant) -> Terminal {
    Terminal::new(
        t30::Config::receiver(false, Box::new(Discard)),
        Config::new(2, false),
        now,
    )
    .unwrap()
}

fn caller(now: Instant) -> Terminal {
    let page = t30::Page::blank(1728, 10, t30::Resolution::Fine);
    let src = Box::new(t30::MemorySource::new(vec![page]));
    Terminal::new(t30::Config::sender(true, src), Config::new(2, true), now).unwrap()
}

/// The IFPs of the answerer's first DIS group (CED, preamble, frames, no-signal).
fn dis_ifps(now: Instant) -> Vec<Vec<u8>> {
    let mut a = answerer(now);
    let mut out = Vec::new();
    let mut t = now;
    while out.len() < 200 {
        while let Some(p) = a.poll_transmit(t) {
            let end = Ifp::decode(&p.ifp, Packing::V2002).unwrap().message()
                == Message::Indicator(Indicator::NO_SIGNAL);
            out.push(p.ifp);
            if end {
                return out;
            }
        }
        t = a.poll_timeout().unwrap();
    }
    panic!("no DIS group");
}

/// The HDLC frames (FCF octets) a terminal transmits until `until`.
fn fcfs_sent(t: &mut Terminal, from: Instant, until: Instant) -> Vec<u8> {
    let mut fcfs = Vec::new();
    let mut frame = Vec::new();
    let mut now = from;
    loop {
        while let Some(p) = t.poll_transmit(now) {
            let ifp = Ifp::decode(&p.ifp, Packing::V2002).unwrap();
            for f in ifp.fields() {
                match f.field_type {
                    FieldType::HDLC_DATA => frame.extend_from_slice(f.data.unwrap()),
                    FieldType::HDLC_FCS_OK | FieldType::HDLC_FCS_OK_SIG_END => {
                        fcfs.push(frame[2] & 0x7F);
                        frame.clear();
                    }
                    _ => {}
                }
            }
        }
        match t.poll_timeout() {
            Some(n) if n <= until => {
                now = n;
                t.handle_timeout(now);
            }
            _ => return fcfs,
        }
    }
}

#[test]
fn a_dis_with_repeated_ends_and_indicators_gets_one_dcs() {
    let now = Instant::now();
    let dis = dis_ifps(now);
    let mut c = caller(now);
    // Indicators and frame ends three times (spandsp's counts, same sequence number lost
    // by a UDPTL receiver that does not deduplicate), data once.
    for ifp in &dis {
        let decoded = Ifp::decode(ifp, Packing::V2002).unwrap();
        let copies = match decoded.message() {
            Message::Indicator(_) => 3,
            Message::Data(_) if decoded.fields().any(|f| f.data.is_none()) => 3,
            Message::Data(_) => 1,
        };
        for _ in 0..copies {
            c.handle_encoded(ifp, now).unwrap();
        }
    }
    // One frame (no identity configured, so no CSI), its end twice more, and a
    // superfluous hdlc-sig-end as spandsp 0.0.6 sends after hdlc-fcs-OK-sig-end.
    let sig_end = [Field::bare(FieldType::HDLC_SIG_END)];
    let mut b = Vec::new();
    Ifp::new(Message::Data(DataType::V21), &sig_end)
        .encode(Packing::V2002, &mut b)
        .unwrap();
    c.handle_encoded(&b, now).unwrap();
    let k = c.counters();
    assert_eq!(k.frames_ok, 1, "DIS: {k:?}");
    assert_eq!(k.frames_bad, 0);
    assert_eq!(k.superfluous_ends, 2, "two extra copies of the frame end");
    // CED, preamble and no-signal twice more each.
    assert_eq!(k.repeated_indicators, 6);
    // The caller answers with DCS (0x41) once, then waits (no repeat within 3 s).
    let fcfs = fcfs_sent(&mut c, now, now + Duration::from_secs(3));
    assert_eq!(
        fcfs.iter().filter(|&&f| f == 0x41).count(),
        1,
        "{fcfs:02x?}"
    );
}

#[test]
fn a_lost_ifp_makes_the_frame_bad() {
    let now = Instant::now();
    let dis = dis_ifps(now);
    let mut c = caller(now);
    // Drop the 6th IFP (inside the first frame) and report it lost.
    for (i, ifp) in dis.iter().enumerate() {
        if i == 5 {
            c.handle_lost(now);
            continue;
        }
        c.handle_encoded(ifp, now).unwrap();
    }
    let k = c.counters();
    assert_eq!(k.lost, 1);
    assert_eq!(k.frames_bad, 1, "{k:?}");
    assert_eq!(k.frames_ok, 0, "{k:?}");
    // A bad DIS is not acted on: no DCS.
    let fcfs = fcfs_sent(&mut c, now, now + Duration::from_secs(2));
    assert!(!fcfs.contains(&0x41), "{fcfs:02x?}");
}

#[test]
fn malformed_ifps_are_counted_and_ignored() {
    let now = Instant::now();
    let mut c = caller(now);
    assert!(c.handle_encoded(&[0xFF, 0xFF, 0xFF], now).is_err());
    assert!(c.handle_encoded(&[], now).is_err());
    assert_eq!(c.counters().malformed, 2);
    assert!(!c.is_done());
}

mod line_clock {
    use super::super::tx::Schedule;
    use super::super::Pacing;
    use crate::ifp::Packing;
    use proptest::prelude::*;
    use std::time::{Duration, Instant};
    use t30::{Carrier, Fcf, Frame, Rate, Transmit};

    fn drain_last(s: &mut Schedule) -> (Instant, usize) {
        let far = Instant::now() + Duration::from_secs(100_000);
        let mut last = None;
        let mut n = 0;
        while let Some(p) = s.pop_due(far) {
            assert!(last.is_none_or(|l| p.at >= l), "IFPs leave in time order");
            last = Some(p.at);
            n += 1;
        }
        (last.unwrap(), n)
    }

    fn rate() -> impl Strategy<Value = Rate> {
        prop::sample::select(t30::caps::FALLBACK.to_vec())
    }

    proptest! {
        /// Paced, a transmission ends exactly when the session's airtime says it does (t30
        /// computes airtime on its own); unpaced, everything leaves at once.
        #[test]
        fn schedule_takes_the_sessions_airtime(
            fast in prop::option::of(rate()),
            fifs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..260), 1..5),
            data in prop::collection::vec(any::<u8>(), 1..3000),
            non_ecm in any::<bool>(),
        ) {
            let carrier = fast.map_or(Carrier::V21, Carrier::Fast);
            let t = if non_ecm {
                Transmit::NonEcm { rate: fast.unwrap_or(Rate::V27ter2400), data }
            } else {
                let n = fifs.len();
                let frames = fifs
                    .into_iter()
                    .enumerate()
                    .map(|(i, f)| Frame::new(Fcf::DCS, f, i + 1 == n))
                    .collect();
                Transmit::Frames { carrier, frames }
            };
            let now = Instant::now();
            let mut s = Schedule::new(
                Packing::V2002,
                Pacing::Paced { interval: Duration::from_millis(30) },
            );
            s.transmit(&t, now);
            let (last, paced_n) = drain_last(&mut s);
            prop_assert_eq!(last, now + t.airtime());
            let mut u = Schedule::new(Packing::V2002, Pacing::Unpaced);
            u.transmit(&t, now);
            let (last, unpaced_n) = drain_last(&mut u);
            prop_assert_eq!(last, now);
            prop_assert!(unpaced_n <= paced_n);
        }

        #[test]
        fn tcf_takes_its_duration(r in rate()) {
            let t = Transmit::Tcf { rate: r, duration: t30::TCF_DURATION };
            let now = Instant::now();
            let mut s = Schedule::new(
                Packing::V1998,
                Pacing::Paced { interval: Duration::from_millis(30) },
            );
            s.transmit(&t, now);
            let (last, n) = drain_last(&mut s);
            prop_assert_eq!(last, now + t.airtime());
            // Indicator, 50 chunks of 30 ms, sig-end, no-signal.
            prop_assert_eq!(n, 53);
        }
    }
}
