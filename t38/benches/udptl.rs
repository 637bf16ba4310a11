//! UDPTL per-datagram cost, side by side with the `udptl` crate 0.2, for a typical 60-octet
//! IFP (V.17 14400 non-ECM image data, as spandsp sends every 30 ms) with redundancy depth 3
//! and with FEC 3x3:
//!
//! - `decode`: datagram bytes -> sequence number, primary and recovery items. Ours borrows
//!   (`Datagram::decode` plus walking the items); `udptl` builds `UdptlPacket` (owned `Vec`s).
//! - `receive`: the receive path: decode, drop duplicates, release in order. Ours:
//!   `Receiver::receive` + `poll`; `udptl`: `UdptlPacket::decode` + `RedundancyReceiver`.
//! - `send`: one IFP -> one datagram with its recovery data. Ours: `Sender::send_encoded`;
//!   `udptl`: `UdptlPacket::with_redundancy` / `with_fec` + `encode`, with the history and (for
//!   FEC) the parity kept the way its own socket state does (its state type is private).
//!
//! Every contender processes the same 1024-datagram stream per call; outputs are checked
//! equal before timing. The ratio lines (`ratio <op> udptl <x.xx>` = udptl's time / ours) come
//! from interleaved rounds (medians), which a changing machine load affects less than
//! criterion's back-to-back runs.

#![allow(clippy::cast_possible_truncation)] // test data: byte patterns from indices

use criterion::{Criterion, Throughput};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use t38::udptl::{
    Datagram, Delivery, ErrorRecovery, Limits, Receiver, ReceiverConfig, Recovery, Sender,
    SenderConfig,
};
use t38::{DataType, Field, FieldType, Ifp, Message, Packing};

const N: usize = 1024;

/// 1024 distinct 60-octet IFPs.
fn ifps() -> Vec<Vec<u8>> {
    (0..N)
        .map(|i| {
            let data: Vec<u8> = (0..54).map(|j| ((i * 31 + j * 7) % 256) as u8).collect();
            let f = [Field::new(FieldType::T4_NON_ECM_DATA, &data)];
            let mut out = Vec::new();
            Ifp::new(Message::Data(DataType::V17_14400), &f)
                .encode(Packing::V2002, &mut out)
                .expect("encodes");
            out
        })
        .collect()
}

struct Contender<'a> {
    name: &'static str,
    run: Box<dyn FnMut() -> usize + 'a>,
}

/// The `udptl` crate's sender side, as its socket state does it.
struct PeerSender {
    seq: u16,
    history: VecDeque<Vec<u8>>,
    rec: ErrorRecovery,
}

impl PeerSender {
    fn send(&mut self, ifp: &[u8]) -> Vec<u8> {
        let pkt = match self.rec {
            ErrorRecovery::Redundancy { depth } => {
                let red: Vec<Vec<u8>> = self
                    .history
                    .iter()
                    .rev()
                    .take(usize::from(depth))
                    .cloned()
                    .collect();
                udptl::UdptlPacket::with_redundancy(self.seq, ifp.to_vec(), red)
            }
            ErrorRecovery::Fec { span, entries } => {
                let (span, entries) = (usize::from(span), usize::from(entries));
                let mut parity = Vec::with_capacity(entries);
                let n = self.history.len();
                let full = n >= span * entries;
                let (sp, en) = if full {
                    (span, entries)
                } else {
                    (if n < span { 0 } else { span }, n / span)
                };
                for m in 0..en {
                    let mut p: Vec<u8> = Vec::new();
                    for j in 0..sp {
                        let back = sp * en - m - j * en;
                        let pkt = &self.history[n - back];
                        if p.len() < pkt.len() {
                            p.resize(pkt.len(), 0);
                        }
                        for (o, b) in p.iter_mut().zip(pkt) {
                            *o ^= b;
                        }
                    }
                    parity.push(p);
                }
                udptl::UdptlPacket::with_fec(
                    self.seq,
                    ifp.to_vec(),
                    u16::try_from(sp).expect("small"),
                    parity,
                )
            }
            ErrorRecovery::None => udptl::UdptlPacket::new(self.seq, ifp.to_vec()),
        };
        self.history.push_back(ifp.to_vec());
        if self.history.len() > 32 {
            self.history.pop_front();
        }
        self.seq = self.seq.wrapping_add(1);
        pkt.encode()
    }
}

fn interleaved(contenders: &mut [Contender<'_>], rounds: usize, batch: Duration) -> Vec<f64> {
    let calls: Vec<u32> = contenders
        .iter_mut()
        .map(|c| {
            std::hint::black_box((c.run)());
            let t = Instant::now();
            std::hint::black_box((c.run)());
            let one = t.elapsed().as_nanos().max(1);
            u32::try_from(batch.as_nanos().div_ceil(one).clamp(1, 10_000)).unwrap_or(1)
        })
        .collect();
    let mut samples = vec![Vec::new(); contenders.len()];
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let t = Instant::now();
            for _ in 0..calls[i] {
                std::hint::black_box((contenders[i].run)());
            }
            samples[i].push(t.elapsed().as_secs_f64() / f64::from(calls[i]));
        }
    }
    samples
        .into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect()
}

fn main() {
    let ifps = ifps();
    let modes = [
        ("red3", ErrorRecovery::Redundancy { depth: 3 }),
        (
            "fec3x3",
            ErrorRecovery::Fec {
                span: 3,
                entries: 3,
            },
        ),
    ];
    let mut workloads: Vec<(String, Vec<Contender<'_>>)> = Vec::new();
    for (label, rec) in modes {
        // The stream, from our sender; the peer's sender must produce the same bytes.
        let mut tx = Sender::new(SenderConfig::new(rec, 1400)).expect("valid");
        let stream: Vec<Vec<u8>> = ifps
            .iter()
            .map(|i| tx.send_encoded(i).expect("sends").datagram.to_vec())
            .collect();
        let mut peer = PeerSender {
            seq: 0,
            history: VecDeque::new(),
            rec,
        };
        for (i, d) in ifps.iter().zip(&stream) {
            assert_eq!(
                &peer.send(i),
                d,
                "{label}: udptl crate encodes the same datagram"
            );
        }
        for d in &stream {
            let p = udptl::UdptlPacket::decode(d).expect("udptl decodes ours");
            let ours = Datagram::decode(d, &Limits::default()).expect("decodes");
            assert_eq!(p.primary_ifp, ours.primary);
        }
        let stream = std::rc::Rc::new(stream);

        // decode
        let s1 = stream.clone();
        let s2 = stream.clone();
        workloads.push((
            format!("decode-{label}"),
            vec![
                Contender {
                    name: "t38",
                    run: Box::new(move || {
                        let lim = Limits::default();
                        let mut acc = 0;
                        for d in s1.iter() {
                            let g = Datagram::decode(d, &lim).expect("decodes");
                            acc += g.primary.len();
                            match g.recovery {
                                Recovery::Redundancy(l) => {
                                    acc += l.iter().map(<[u8]>::len).sum::<usize>()
                                }
                                Recovery::Fec { entries, .. } => {
                                    acc += entries.iter().map(<[u8]>::len).sum::<usize>()
                                }
                            }
                        }
                        acc
                    }),
                },
                Contender {
                    name: "udptl",
                    run: Box::new(move || {
                        let mut acc = 0;
                        for d in s2.iter() {
                            let p = udptl::UdptlPacket::decode(d).expect("decodes");
                            acc += p.primary_ifp.len();
                            match &p.error_recovery {
                                udptl::ErrorRecovery::Redundancy(r) => {
                                    acc += r.iter().map(Vec::len).sum::<usize>()
                                }
                                udptl::ErrorRecovery::Fec { entries, .. } => {
                                    acc += entries.iter().map(Vec::len).sum::<usize>()
                                }
                            }
                        }
                        acc
                    }),
                },
            ],
        ));

        // receive
        let s1 = stream.clone();
        let s2 = stream.clone();
        let mut rx = Receiver::new(ReceiverConfig::new(Packing::V2002));
        let now = Instant::now();
        workloads.push((
            format!("receive-{label}"),
            vec![
                Contender {
                    name: "t38",
                    run: Box::new(move || {
                        rx.reset();
                        let mut acc = 0;
                        for d in s1.iter() {
                            rx.receive(d, now).expect("well-formed");
                            while let Some(x) = rx.poll(now) {
                                if let Delivery::Ifp { ifp, .. } = x {
                                    acc += ifp.len();
                                }
                            }
                        }
                        assert_eq!(rx.counters().delivered_primary, N as u64);
                        acc
                    }),
                },
                Contender {
                    name: "udptl",
                    run: Box::new(move || {
                        let mut r = udptl::RedundancyReceiver::new();
                        let mut acc = 0;
                        for d in s2.iter() {
                            let p = udptl::UdptlPacket::decode(d).expect("decodes");
                            for x in r.receive(&p) {
                                acc += x.payload.len();
                            }
                        }
                        acc
                    }),
                },
            ],
        ));

        // send
        let i1 = &ifps;
        let i2 = &ifps;
        let mut ours = Sender::new(SenderConfig::new(rec, 1400)).expect("valid");
        let mut peer = PeerSender {
            seq: 0,
            history: VecDeque::new(),
            rec,
        };
        workloads.push((
            format!("send-{label}"),
            vec![
                Contender {
                    name: "t38",
                    run: Box::new(move || {
                        i1.iter()
                            .map(|i| ours.send_encoded(i).expect("sends").datagram.len())
                            .sum()
                    }),
                },
                Contender {
                    name: "udptl",
                    run: Box::new(move || i2.iter().map(|i| peer.send(i).len()).sum()),
                },
            ],
        ));
    }

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10)
        .configure_from_args();
    for (group, contenders) in &mut workloads {
        let mut g = criterion.benchmark_group(group.as_str());
        g.throughput(Throughput::Elements(N as u64));
        for c in contenders.iter_mut() {
            g.bench_function(c.name, |b| b.iter(|| std::hint::black_box((c.run)())));
        }
        g.finish();
    }
    criterion.final_summary();
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("\ninterleaved timing (11 rounds, median), ns per datagram:");
    let mut ratios = Vec::new();
    for (group, contenders) in &mut workloads {
        let secs = interleaved(contenders, 11, Duration::from_millis(50));
        for (c, s) in contenders.iter().zip(&secs) {
            println!("  {group:<16} {:<6} {:>8.1}", c.name, s * 1e9 / N as f64);
        }
        ratios.push(format!("ratio {group} udptl {:.2}", secs[1] / secs[0]));
    }
    println!();
    for r in ratios {
        println!("{r}");
    }
}
