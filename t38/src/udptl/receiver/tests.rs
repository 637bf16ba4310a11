//! The receiver against a seeded netem-style link (loss, duplication, reordering) with a
//! simulated clock. Expected losses come from an independent model of what redundancy and FEC
//! can recover; delivered IFPs must equal what was sent, byte for byte.

#![allow(clippy::cast_possible_truncation)] // test arithmetic on small counts

use super::*;
use crate::ifp::{Field, Message};
use crate::udptl::{ErrorRecovery, Sender, SenderConfig};
use crate::{DataType, FieldType, Indicator};
use std::collections::BTreeSet;

/// splitmix64: a seeded generator small enough to live in a test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Realistic IFPs of varying length (indicators, HDLC, non-ECM image data), so FEC-repaired
/// lengths must really be re-derived.
fn ifps(n: usize, seed: u64, packing: Packing) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let mut out = Vec::new();
            match i % 7 {
                0 => Ifp::indicator(Indicator(u8::try_from(rng.below(16)).unwrap_or(0)))
                    .encode(packing, &mut out),
                1 => {
                    let f = [
                        Field::new(FieldType::HDLC_DATA, &[0xFF]),
                        Field::bare(FieldType::HDLC_FCS_OK_SIG_END),
                    ];
                    Ifp::new(Message::Data(DataType::V21), &f).encode(packing, &mut out)
                }
                _ => {
                    let len = 1 + rng.below(60) as usize;
                    let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                    let f = [Field::new(FieldType::T4_NON_ECM_DATA, &data)];
                    Ifp::new(Message::Data(DataType::V17_14400), &f).encode(packing, &mut out)
                }
            }
            .expect("encodes");
            out
        })
        .collect()
}

#[derive(Clone, Copy)]
struct Net {
    seed: u64,
    loss: f64,
    dup: f64,
    reorder: f64,
}

struct Run {
    /// (seq, Some(ifp) or None for lost), in release order.
    released: Vec<(u16, Option<Vec<u8>>, Option<Source>)>,
    counters: Counters,
    /// Indices of datagrams that arrived at least once.
    arrived: BTreeSet<usize>,
    /// Arrival events (copies included).
    events: usize,
}

fn run(
    rec: ErrorRecovery,
    first_seq: u16,
    payload: &[Vec<u8>],
    net: Net,
    rx_cfg: ReceiverConfig,
) -> Run {
    let mut cfg = SenderConfig::new(rec, 1400);
    cfg.first_seq = first_seq;
    let mut tx = Sender::new(cfg).expect("valid");
    let mut rng = Rng(net.seed);
    let base = Instant::now();
    let tick = Duration::from_millis(20);
    // (arrival time, tie-break, datagram index, bytes)
    let mut events = Vec::new();
    let mut arrived = BTreeSet::new();
    for (i, ifp) in payload.iter().enumerate() {
        let dgram = tx.send_encoded(ifp).expect("sends").datagram.to_vec();
        let sent = tick * u32::try_from(i).expect("small");
        // The first datagram always arrives first (the receiver starts from it).
        if i > 0 && rng.chance(net.loss) {
            continue;
        }
        arrived.insert(i);
        let late = i > 0 && rng.chance(net.reorder);
        let at = sent + Duration::from_millis(if late { 35 } else { 5 });
        events.push((at, i * 2, i, dgram.clone()));
        if i > 0 && rng.chance(net.dup) {
            events.push((
                at + Duration::from_millis(1 + rng.below(50)),
                i * 2 + 1,
                i,
                dgram,
            ));
        }
    }
    events.sort_by_key(|e| (e.0, e.1));
    let mut rx = Receiver::new(rx_cfg);
    let mut released = Vec::new();
    let take = |d: Delivery<'_>| match d {
        Delivery::Ifp { seq, ifp, source } => (seq, Some(ifp.to_vec()), Some(source)),
        Delivery::Lost { seq } => (seq, None, None),
    };
    for (at, _, _, bytes) in &events {
        let now = base + *at;
        // Timers that fell due before this arrival fire first, as in an event loop.
        while let Some(t) = rx.poll_timeout() {
            if t > now {
                break;
            }
            match rx.poll(t) {
                Some(d) => released.push(take(d)),
                None => break,
            }
        }
        rx.receive(bytes, now).expect("well-formed");
        while let Some(d) = rx.poll(now) {
            released.push(take(d));
        }
    }
    while let Some(d) = rx.flush() {
        released.push(take(d));
    }
    Run {
        released,
        counters: rx.counters(),
        arrived,
        events: events.len(),
    }
}

/// Which IFPs redundancy of `depth` can recover: any of datagrams i..=i+depth arrived.
fn model_redundancy(n: usize, depth: usize, arrived: &BTreeSet<usize>) -> BTreeSet<usize> {
    (0..n.min(arrived.last().map_or(0, |l| l + 1)))
        .filter(|&i| (i..=(i + depth).min(n - 1)).any(|j| arrived.contains(&j)))
        .collect()
}

/// Which IFPs FEC can recover: arrived ones, then every parity group (with the wind-up) that
/// misses exactly one member, until nothing changes.
fn model_fec(_n: usize, span: usize, entries: usize, arrived: &BTreeSet<usize>) -> BTreeSet<usize> {
    let mut have = arrived.clone();
    loop {
        let mut progress = false;
        for &s in arrived {
            let (mut sp, mut en) = (span, entries);
            if s < sp * en {
                en = s / sp;
                if s < sp {
                    sp = 0;
                }
            }
            for m in 0..en {
                let members: Vec<usize> = (0..sp).map(|j| s + m - sp * en + j * en).collect();
                let missing: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|k| !have.contains(k))
                    .collect();
                if missing.len() == 1 {
                    have.insert(missing[0]);
                    progress = true;
                }
            }
        }
        if !progress {
            return have;
        }
    }
}

/// Checks order, completeness and content; returns the set of indices released with data.
fn check_release(r: &Run, first_seq: u16, payload: &[Vec<u8>]) -> BTreeSet<usize> {
    // Up to the last datagram that arrived: a receiver cannot know of later ones.
    let span = r.arrived.last().map_or(0, |l| l + 1);
    assert_eq!(
        r.released.len(),
        span,
        "every sequence number released once"
    );
    let mut got = BTreeSet::new();
    for (i, (seq, ifp, _)) in r.released.iter().enumerate() {
        assert_eq!(
            *seq,
            first_seq.wrapping_add(u16::try_from(i).expect("small")),
            "in order"
        );
        if let Some(ifp) = ifp {
            assert_eq!(ifp, &payload[i], "IFP {i} delivered exactly as sent");
            got.insert(i);
        }
    }
    let c = r.counters;
    assert_eq!(
        c.delivered_primary + c.recovered_redundancy + c.recovered_fec + c.lost,
        span as u64
    );
    assert_eq!(c.lost as usize, span - got.len());
    assert_eq!(c.received, r.events as u64);
    assert_eq!(c.received, c.delivered_primary + c.duplicate + c.late);
    got
}

fn count_source(r: &Run, s: Source) -> u64 {
    r.released.iter().filter(|x| x.2 == Some(s)).count() as u64
}

#[test]
fn redundancy_under_loss_recovers_exactly() {
    let payload = ifps(3000, 1, Packing::V2002);
    for seed in 1..=4 {
        for loss in [0.01, 0.05, 0.2] {
            let net = Net {
                seed,
                loss,
                dup: 0.0,
                reorder: 0.0,
            };
            let r = run(
                ErrorRecovery::Redundancy { depth: 3 },
                0,
                &payload,
                net,
                ReceiverConfig::new(Packing::V2002),
            );
            let got = check_release(&r, 0, &payload);
            assert_eq!(
                got,
                model_redundancy(payload.len(), 3, &r.arrived),
                "seed {seed} loss {loss}"
            );
            let c = r.counters;
            assert_eq!((c.duplicate, c.late), (0, 0));
            assert_eq!(c.delivered_primary as usize, r.arrived.len());
            assert_eq!(c.recovered_redundancy as usize, got.len() - r.arrived.len());
            assert_eq!(c.recovered_fec, 0);
            if loss >= 0.05 {
                assert!(
                    c.recovered_redundancy > 0
                        && c.recovered_redundancy == count_source(&r, Source::Redundancy)
                );
            }
        }
    }
}

#[test]
fn fec_under_loss_recovers_exactly() {
    for packing in [Packing::V1998, Packing::V2002] {
        let payload = ifps(3000, 2, packing);
        for seed in 1..=4 {
            for loss in [0.01, 0.05, 0.1] {
                let net = Net {
                    seed,
                    loss,
                    dup: 0.0,
                    reorder: 0.0,
                };
                let mut cfg = ReceiverConfig::new(packing);
                cfg.hold = Duration::from_secs(1);
                let r = run(
                    ErrorRecovery::Fec {
                        span: 3,
                        entries: 3,
                    },
                    0,
                    &payload,
                    net,
                    cfg,
                );
                let got = check_release(&r, 0, &payload);
                assert_eq!(
                    got,
                    model_fec(payload.len(), 3, 3, &r.arrived),
                    "seed {seed} loss {loss}"
                );
                let c = r.counters;
                assert_eq!(c.recovered_fec as usize, got.len() - r.arrived.len());
                assert!(loss < 0.05 || c.recovered_fec > 0);
            }
        }
    }
}

#[test]
fn duplicates_are_dropped_and_counted() {
    let payload = ifps(1000, 3, Packing::V2002);
    let net = Net {
        seed: 9,
        loss: 0.0,
        dup: 0.3,
        reorder: 0.0,
    };
    let r = run(
        ErrorRecovery::Redundancy { depth: 2 },
        0,
        &payload,
        net,
        ReceiverConfig::new(Packing::V2002),
    );
    let got = check_release(&r, 0, &payload);
    assert_eq!(got.len(), payload.len());
    let c = r.counters;
    assert_eq!(c.duplicate as usize, r.events - payload.len());
    assert!(c.duplicate > 200);
    assert_eq!((c.late, c.lost, c.recovered_redundancy), (0, 0, 0));
}

#[test]
fn loss_duplication_and_reordering_with_wrap() {
    let payload = ifps(4000, 4, Packing::V2002);
    for seed in 1..=3 {
        let net = Net {
            seed,
            loss: 0.05,
            dup: 0.05,
            reorder: 0.05,
        };
        // Start near the top so the sequence number wraps mid-call.
        let first = 65_000;
        let r = run(
            ErrorRecovery::Redundancy { depth: 3 },
            first,
            &payload,
            net,
            ReceiverConfig::new(Packing::V2002),
        );
        let got = check_release(&r, first, &payload);
        assert_eq!(got, model_redundancy(payload.len(), 3, &r.arrived));
        let c = r.counters;
        // A datagram overtaken by its successor was already recovered from it: late.
        assert!(c.late > 0 && c.duplicate > 0);

        let mut cfg = ReceiverConfig::new(Packing::V2002);
        cfg.hold = Duration::from_secs(1);
        let r = run(
            ErrorRecovery::Fec {
                span: 3,
                entries: 3,
            },
            first,
            &payload,
            net,
            cfg,
        );
        let got = check_release(&r, first, &payload);
        assert_eq!(got, model_fec(payload.len(), 3, 3, &r.arrived));
    }
}

#[test]
fn gap_held_until_timeout_then_lost() {
    let mut tx = Sender::new(SenderConfig::new(ErrorRecovery::None, 1400)).expect("valid");
    let d: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            tx.send_encoded(&[0x06 + 2 * i])
                .expect("sends")
                .datagram
                .to_vec()
        })
        .collect();
    let mut rx = Receiver::new(ReceiverConfig::new(Packing::V2002));
    let t0 = Instant::now();
    rx.receive(&d[0], t0).expect("ok");
    assert!(matches!(rx.poll(t0), Some(Delivery::Ifp { seq: 0, .. })));
    assert_eq!(rx.poll(t0), None);
    rx.receive(&d[2], t0).expect("ok");
    assert_eq!(rx.poll(t0), None, "gap held");
    assert_eq!(rx.poll_timeout(), Some(t0 + Duration::from_millis(200)));
    assert_eq!(rx.poll(t0 + Duration::from_millis(199)), None);
    let t1 = t0 + Duration::from_millis(200);
    assert_eq!(rx.poll(t1), Some(Delivery::Lost { seq: 1 }));
    assert!(matches!(rx.poll(t1), Some(Delivery::Ifp { seq: 2, .. })));
    // The missing datagram arrives after all: late, not delivered.
    rx.receive(&d[1], t1).expect("ok");
    assert_eq!(rx.poll(t1), None);
    let c = rx.counters();
    assert_eq!((c.lost, c.late, c.delivered_primary), (1, 1, 2));
    // Garbage is counted and rejected.
    assert!(rx.receive(&[0, 1, 0xC0], t1).is_err());
    assert_eq!(rx.counters().malformed, 1);
}

#[test]
fn huge_jump_is_a_restart() {
    let mut rx = Receiver::new(ReceiverConfig::new(Packing::V2002));
    let t = Instant::now();
    rx.receive(&[0, 5, 1, 6, 0, 0], t).expect("ok");
    assert!(rx.poll(t).is_some());
    rx.receive(&[0x80, 0, 1, 2, 0, 0], t).expect("ok");
    assert!(matches!(
        rx.poll(t),
        Some(Delivery::Ifp { seq: 0x8000, .. })
    ));
    assert_eq!(rx.counters().resyncs, 1);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    type Model = fn(usize, &BTreeSet<usize>) -> BTreeSet<usize>;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any seed, loss rate, duplication and reordering: in-order, exact delivery of
        /// exactly what the model says redundancy or FEC can recover.
        #[test]
        fn sender_to_receiver_matches_model(seed in any::<u64>(), loss in 0.0f64..0.3, dup in 0.0f64..0.2,
                                            reorder in 0.0f64..0.1, fec in any::<bool>(), first in any::<u16>()) {
            let payload = ifps(400, seed, Packing::V2002);
            let net = Net { seed, loss, dup, reorder };
            let mut cfg = ReceiverConfig::new(Packing::V2002);
            cfg.hold = Duration::from_secs(1);
            let (rec, model): (ErrorRecovery, Model) = if fec {
                (ErrorRecovery::Fec { span: 3, entries: 3 }, |n, a| model_fec(n, 3, 3, a))
            } else {
                (ErrorRecovery::Redundancy { depth: 3 }, |n, a| model_redundancy(n, 3, a))
            };
            let r = run(rec, first, &payload, net, cfg);
            let got = check_release(&r, first, &payload);
            prop_assert_eq!(got, model(payload.len(), &r.arrived));
        }
    }
}
