//! Two of our T.38 terminals in simulated time over our UDPTL sender and receiver: pages go
//! through pixel-identical in every mode, with and without loss, and the wire follows the
//! pacing rules.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use t30::{Completion, MemorySource, Page, PageSink, ReceivedPage, Resolution};
use t38::terminal::{Category, Config, Pacing, Terminal};
use t38::udptl::{Delivery, ErrorRecovery, Receiver, ReceiverConfig, Sender, SenderConfig};
use t38::{DataType, FieldType, Ifp, Indicator, Message, Packing};

#[derive(Clone, Default)]
struct Keep(Arc<Mutex<Vec<ReceivedPage>>>);
impl PageSink for Keep {
    fn page(&mut self, page: ReceivedPage) {
        self.0.lock().unwrap().push(page);
    }
}

/// A fine A4 page with text-like content: short black runs in bands, different per page.
fn page(n: u32, rows: u32) -> Page {
    let mut p = Page::blank(1728, rows, Resolution::Fine);
    let rb = p.row_bytes();
    for y in 0..rows {
        if (y / 12 + n) % 3 == 2 {
            continue;
        }
        for x in 0..rb {
            let v = (x as u32)
                .wrapping_mul(2_654_435_761)
                .wrapping_add((y / 3) * 97 + n * 13);
            if (v >> 7) % 5 == 0 {
                p.data[y as usize * rb + x] = (v >> 13) as u8;
            }
        }
    }
    p
}

/// The coding the session may pick.
#[derive(Clone, Copy, Debug)]
enum Coding {
    Mh,
    Mr,
    Mmr,
}

fn caps(c: &mut t30::Config, coding: Coding, ecm: bool) {
    c.ecm = ecm;
    c.capabilities.ecm = ecm;
    c.capabilities.mr = matches!(coding, Coding::Mr | Coding::Mmr);
    c.capabilities.mmr = matches!(coding, Coding::Mmr);
}

/// A deterministic xorshift generator.
struct Rng(u64);
impl Rng {
    fn chance(&mut self, p: f64) -> bool {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        p > 0.0 && ((x >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// One direction of the network: our UDPTL sender, a lossy delay line, our receiver.
struct Link {
    tx: Sender,
    rx: Receiver,
    line: BTreeMap<(Instant, u64), Vec<u8>>,
    seq: u64,
    loss: f64,
    latency: Duration,
    datagrams: u64,
    /// Every datagram put on the wire (before loss), with its time.
    log: Vec<(Instant, Vec<u8>)>,
}

impl Link {
    fn new(ec: ErrorRecovery, packing: Packing, loss: f64) -> Link {
        let mut cfg = SenderConfig::new(ec, 1400);
        cfg.packing = packing;
        Link {
            tx: Sender::new(cfg).unwrap(),
            rx: Receiver::new(ReceiverConfig::new(packing)),
            line: BTreeMap::new(),
            seq: 0,
            loss,
            latency: Duration::from_millis(20),
            datagrams: 0,
            log: Vec::new(),
        }
    }

    fn send(&mut self, ifp: &[u8], now: Instant, rng: &mut Rng) {
        let t = self.tx.send_encoded(ifp).unwrap();
        let d = t.datagram.to_vec();
        for _ in 0..t.copies {
            self.datagrams += 1;
            self.log.push((now, d.clone()));
            if rng.chance(self.loss) {
                continue;
            }
            self.seq += 1;
            self.line.insert((now + self.latency, self.seq), d.clone());
        }
    }

    fn next(&self) -> Option<Instant> {
        [self.line.keys().next().map(|k| k.0), self.rx.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    fn deliver(&mut self, to: &mut Terminal, now: Instant) {
        while let Some(e) = self.line.first_entry() {
            if e.key().0 > now {
                break;
            }
            let d = e.remove();
            self.rx.receive(&d, now).unwrap();
        }
        while let Some(d) = self.rx.poll(now) {
            match d {
                Delivery::Ifp { ifp, .. } => to.handle_encoded(ifp, now).unwrap(),
                Delivery::Lost { .. } => to.handle_lost(now),
            }
        }
    }
}

struct Call {
    a: Terminal,
    b: Terminal,
    ab: Link,
    ba: Link,
    rng: Rng,
    start: Instant,
    now: Instant,
    /// Every IFP A sent, in order.
    a_sent: Vec<Vec<u8>>,
}

impl Call {
    fn run(&mut self) {
        for _ in 0..5_000_000 {
            while let Some(p) = self.a.poll_transmit(self.now) {
                self.ab.send(&p.ifp, self.now, &mut self.rng);
                self.a_sent.push(p.ifp);
            }
            while let Some(p) = self.b.poll_transmit(self.now) {
                self.ba.send(&p.ifp, self.now, &mut self.rng);
            }
            if self.a.is_done() && self.b.is_done() {
                break;
            }
            let next = [
                self.a.poll_timeout(),
                self.b.poll_timeout(),
                self.ab.next(),
                self.ba.next(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else { break };
            assert!(
                next - self.start < Duration::from_secs(3600),
                "call runs away"
            );
            self.now = self.now.max(next);
            self.ab.deliver(&mut self.b, self.now);
            self.ba.deliver(&mut self.a, self.now);
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn call(
    pages: &[Page],
    coding: Coding,
    ecm: bool,
    version: u8,
    ec: ErrorRecovery,
    loss: f64,
    seed: u64,
    pacing: Pacing,
) -> (Call, Keep) {
    let start = Instant::now();
    let keep = Keep::default();
    let mut sc = t30::Config::sender(true, Box::new(MemorySource::new(pages.to_vec())));
    let mut rc = t30::Config::receiver(false, Box::new(keep.clone()));
    caps(&mut sc, coding, ecm);
    caps(&mut rc, coding, ecm);
    let mut ac = Config::new(version, true);
    let mut bc = Config::new(version, false);
    ac.pacing = pacing;
    bc.pacing = pacing;
    let packing = Packing::for_version(version);
    let mut c = Call {
        a: Terminal::new(sc, ac, start).unwrap(),
        b: Terminal::new(rc, bc, start).unwrap(),
        ab: Link::new(ec, packing, loss),
        ba: Link::new(ec, packing, loss),
        rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        start,
        now: start,
        a_sent: Vec::new(),
    };
    c.run();
    (c, keep)
}

fn check_clean(c: &Call, keep: &Keep, pages: &[Page], ecm: bool, label: &str) {
    let a =
        c.a.outcome()
            .unwrap_or_else(|| panic!("{label}: sender unfinished"));
    let b =
        c.b.outcome()
            .unwrap_or_else(|| panic!("{label}: receiver unfinished"));
    assert_eq!(a.completion, Completion::Ok, "{label}: sender {a:?}");
    assert_eq!(b.completion, Completion::Ok, "{label}: receiver {b:?}");
    assert_eq!(a.pages_sent as usize, pages.len(), "{label}");
    let got = keep.0.lock().unwrap();
    assert_eq!(got.len(), pages.len(), "{label}");
    for (g, p) in got.iter().zip(pages) {
        assert_eq!(g.bad_rows, 0, "{label}");
        assert_eq!(g.page.columns, p.columns, "{label}");
        assert_eq!(g.page.rows, p.rows, "{label}");
        assert!(g.page.data == p.data, "{label}: page {} differs", g.number);
        assert_eq!(
            matches!(g.mode.transfer, t30::caps::Transfer::Ecm { .. }),
            ecm,
            "{label}"
        );
    }
}

const PACED: Pacing = Pacing::Paced {
    interval: Duration::from_millis(30),
};

#[test]
fn every_mode_without_loss() {
    let pages = [page(0, 300), page(1, 300)];
    for version in [0, 2] {
        for (ecm, coding) in [
            (false, Coding::Mh),
            (false, Coding::Mr),
            (true, Coding::Mh),
            (true, Coding::Mr),
            (true, Coding::Mmr),
        ] {
            for ec in [
                ErrorRecovery::None,
                ErrorRecovery::Redundancy { depth: 3 },
                ErrorRecovery::Fec {
                    span: 3,
                    entries: 3,
                },
            ] {
                let label = format!("v{version} ecm={ecm} {coding:?} {ec:?}");
                let (c, keep) = call(&pages, coding, ecm, version, ec, 0.0, 1, PACED);
                check_clean(&c, &keep, &pages, ecm, &label);
                assert_eq!(c.a.counters().malformed + c.b.counters().malformed, 0);
                assert_eq!(c.a.counters().frames_bad + c.b.counters().frames_bad, 0);
            }
        }
    }
}

#[test]
fn ecm_survives_five_percent_loss_with_redundancy_or_fec() {
    let pages = [page(3, 400), page(4, 400)];
    for version in [0, 2] {
        for ec in [
            ErrorRecovery::Redundancy { depth: 3 },
            ErrorRecovery::Fec {
                span: 3,
                entries: 3,
            },
        ] {
            for seed in 1..=3 {
                let label = format!("v{version} {ec:?} seed {seed}");
                let (c, keep) = call(&pages, Coding::Mmr, true, version, ec, 0.05, seed, PACED);
                check_clean(&c, &keep, &pages, true, &label);
            }
        }
    }
}

#[test]
fn non_ecm_under_heavy_loss_reports_bad_rows_never_a_clean_copy() {
    // No error recovery and 3 % loss: image datagrams go missing. Whatever the outcome, a
    // page the receiver keeps must either be pixel-identical or carry bad rows.
    let pages = [page(5, 600)];
    let mut damaged = 0;
    for seed in 1..=6 {
        let (_c, keep) = call(
            &pages,
            Coding::Mh,
            false,
            2,
            ErrorRecovery::None,
            0.03,
            seed,
            PACED,
        );
        for g in keep.0.lock().unwrap().iter() {
            if g.page.data != pages[0].data {
                assert!(g.bad_rows > 0, "seed {seed}: a damaged page claimed clean");
                damaged += 1;
            }
        }
    }
    assert!(
        damaged > 0,
        "the loss never hit page data: the test proves nothing"
    );
}

#[test]
fn unpaced_terminals_complete_too() {
    let pages = [page(6, 200)];
    for ecm in [false, true] {
        let (c, keep) = call(
            &pages,
            Coding::Mr,
            ecm,
            2,
            ErrorRecovery::None,
            0.0,
            1,
            Pacing::Unpaced,
        );
        check_clean(&c, &keep, &pages, ecm, &format!("unpaced ecm={ecm}"));
    }
}

#[test]
fn paced_wire_shape() {
    let pages = [page(7, 100)];
    let (c, _) = call(
        &pages,
        Coding::Mr,
        false,
        2,
        ErrorRecovery::None,
        0.0,
        1,
        PACED,
    );
    let packing = Packing::V2002;
    let decoded: Vec<Ifp<'_>> = c
        .a_sent
        .iter()
        .map(|b| Ifp::decode(b, packing).unwrap())
        .collect();
    // The calling terminal starts with CNG.
    assert_eq!(decoded[0].message(), Message::Indicator(Indicator::CNG));
    let mut v21_sizes = Vec::new();
    let mut fast_sizes = Vec::new();
    let mut sig_ends = 0;
    for ifp in &decoded {
        if let Message::Data(dt) = ifp.message() {
            for f in ifp.fields() {
                match (dt, f.field_type, f.data) {
                    (DataType::V21, FieldType::HDLC_DATA, Some(d)) => v21_sizes.push(d.len()),
                    (DataType::V17_14400, FieldType::T4_NON_ECM_DATA, Some(d)) => {
                        fast_sizes.push(d.len())
                    }
                    (_, FieldType::T4_NON_ECM_SIG_END, _) => sig_ends += 1,
                    _ => {}
                }
            }
        }
    }
    // V.21: one octet per IFP; 14 400 bit/s: 54 octets per IFP but the last of a signal.
    assert!(!v21_sizes.is_empty() && v21_sizes.iter().all(|&n| n == 1));
    assert!(fast_sizes.iter().all(|&n| (1..=54).contains(&n)));
    // One TCF and one page: two signal ends.
    assert_eq!(sig_ends, 2);
    // TCF first: 1.5 s at 14 400 bit/s is 2700 zero octets, exactly 50 full chunks.
    assert!(fast_sizes.len() > 50);
    assert!(fast_sizes[..50].iter().all(|&n| n == 54));
    assert_eq!(Category::Indicator.spandsp_copies(), 3);
}

/// A classic pcap (Ethernet, IPv4, UDP without checksum) of `(time, from_a, datagram)`:
/// A is 127.0.0.1:4000, B 127.0.0.2:4002.
fn pcap(start: Instant, packets: &[(Instant, bool, Vec<u8>)]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(0xA1B2_C3D4u32.to_le_bytes());
    f.extend(2u16.to_le_bytes());
    f.extend(4u16.to_le_bytes());
    f.extend([0u8; 8]);
    f.extend(65_535u32.to_le_bytes());
    f.extend(1u32.to_le_bytes());
    for (t, from_a, d) in packets {
        let (src, dst, sp, dp) = if *from_a {
            ([127, 0, 0, 1], [127, 0, 0, 2], 4000u16, 4002u16)
        } else {
            ([127, 0, 0, 2], [127, 0, 0, 1], 4002, 4000)
        };
        let udp_len = (8 + d.len()) as u16;
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0];
        ip.extend(src);
        ip.extend(dst);
        ip[2..4].copy_from_slice(&(20 + udp_len).to_be_bytes());
        let sum: u32 = ip
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        let sum = (sum & 0xFFFF) + (sum >> 16);
        let sum = !(((sum & 0xFFFF) + (sum >> 16)) as u16);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        frame.extend(ip);
        frame.extend(sp.to_be_bytes());
        frame.extend(dp.to_be_bytes());
        frame.extend(udp_len.to_be_bytes());
        frame.extend([0, 0]);
        frame.extend(d);
        let us = (*t - start).as_micros() as u64;
        f.extend(((us / 1_000_000) as u32).to_le_bytes());
        f.extend(((us % 1_000_000) as u32).to_le_bytes());
        f.extend((frame.len() as u32).to_le_bytes());
        f.extend((frame.len() as u32).to_le_bytes());
        f.extend(frame);
    }
    f
}

fn count_key(v: &serde_json::Value, key: &str) -> usize {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, x)| usize::from(k == key) + count_key(x, key))
            .sum(),
        serde_json::Value::Array(a) => a.iter().map(|x| count_key(x, key)).sum(),
        _ => 0,
    }
}

/// A capture of whole calls between our terminals (both packings, ECM and non-ECM,
/// redundancy) dissects in tshark with no "Malformed Packet", every datagram as T.38.
#[test]
fn tshark_dissects_a_whole_call() {
    let ok = matches!(
        std::process::Command::new("tshark").arg("-v").output(),
        Ok(o) if o.status.success()
    );
    if !ok {
        assert!(
            std::env::var("FAXKIT_REQUIRE_PEERS").as_deref() != Ok("1"),
            "tshark is required (FAXKIT_REQUIRE_PEERS=1)"
        );
        eprintln!("note: tshark not found; capture test skipped");
        return;
    }
    let pages = [page(8, 120)];
    for version in [0u8, 2] {
        for ecm in [true, false] {
            let (c, keep) = call(
                &pages,
                Coding::Mr,
                ecm,
                version,
                ErrorRecovery::Redundancy { depth: 3 },
                0.0,
                1,
                PACED,
            );
            check_clean(&c, &keep, &pages, ecm, "capture");
            let mut packets: Vec<(Instant, bool, Vec<u8>)> =
                c.ab.log
                    .iter()
                    .map(|(t, d)| (*t, true, d.clone()))
                    .chain(c.ba.log.iter().map(|(t, d)| (*t, false, d.clone())))
                    .collect();
            packets.sort_by_key(|p| p.0);
            let path = std::env::temp_dir().join(format!(
                "t38-term-call-{}-v{version}-{ecm}.pcap",
                std::process::id()
            ));
            std::fs::write(&path, pcap(c.start, &packets)).unwrap();
            let pref = format!(
                "t38.use_pre_corrigendum_asn1_specification:{}",
                if version == 0 { "TRUE" } else { "FALSE" }
            );
            let out = std::process::Command::new("tshark")
                .arg("-r")
                .arg(&path)
                .args(["-d", "udp.port==4000,t38", "-o", &pref, "-T", "json"])
                .output()
                .unwrap();
            let _ = std::fs::remove_file(&path);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let list = v.as_array().unwrap();
            assert_eq!(list.len(), packets.len());
            assert_eq!(count_key(&v, "_ws.malformed"), 0, "v{version} ecm={ecm}");
            let t38 = list
                .iter()
                .filter(|p| p["_source"]["layers"].get("t38").is_some())
                .count();
            assert_eq!(t38, packets.len(), "every datagram dissects as T.38");
        }
    }
}

/// An idle terminal (session included) is small: a few KiB, where spandsp's T.38 terminal
/// state is 80 KiB (reference note §11). `Terminal::heap_bytes` adds the session's own count.
#[test]
fn idle_terminals_are_small() {
    let start = Instant::now();
    let keep = Keep::default();
    let b = Terminal::new(
        t30::Config::receiver(false, Box::new(keep)),
        Config::new(0, false),
        start,
    )
    .unwrap();
    let total = b.heap_bytes() + std::mem::size_of::<Terminal>();
    assert!(total < 8 * 1024, "{total} bytes");
}
