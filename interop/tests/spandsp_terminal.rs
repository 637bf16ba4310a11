//! Our T.38 terminal (`t38::terminal` driving a `t30` session) against spandsp 0.0.6's T.38
//! terminal, in simulated time, over our UDPTL sender and receiver:
//!
//! - ours -> spandsp and spandsp -> ours, for ECM on/off x MH/MR/MMR (MMR with ECM) x error
//!   recovery none / redundancy / FEC x `T38FaxVersion` 0 and 2, without loss: every page
//!   is pixel-identical (pages we receive compared with what spandsp sent; spandsp's received
//!   TIFF read back by libtiff and by our own decoder, and compared with `tiffcmp`);
//! - the same directions with 5 % loss and redundancy or FEC: ECM pages stay pixel-identical;
//!   non-ECM pages we receive are either identical or report bad rows;
//! - polling both ways (we poll spandsp; spandsp polls us), also at 5 % loss under FEC;
//! - our terminal unpaced over TCP (TPKT both ways, our stream decoder on spandsp's side).
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use faxkit_interop::spandsp::{Compressions, SpandspTerminal, Transport};
use faxkit_interop::{read_tiff, write_tiff, LibtiffScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use t30::{Completion, MemorySource, Page, PageSink, ReceivedPage, Resolution};
use t38::tcp::{write_tpkt, Framing, StreamDecoder};
use t38::terminal::{Config, Pacing, Terminal};
use t38::udptl::{
    Delivery, ErrorRecovery, Receiver, ReceiverConfig, Repeats, Sender, SenderConfig,
};
use t38::Packing;

#[derive(Clone, Default)]
struct Keep(Arc<Mutex<Vec<ReceivedPage>>>);
impl PageSink for Keep {
    fn page(&mut self, page: ReceivedPage) {
        self.0.lock().unwrap().push(page);
    }
}

/// A fine A4 page with text-like content, different per `n`.
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Mh,
    Mr,
    Mmr,
}

/// Which side calls and which side sends the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    /// We call and send; spandsp answers and receives.
    OursSends,
    /// spandsp calls and sends; we answer and receive.
    SpandspSends,
    /// We call and poll; spandsp answers and sends.
    OursPolls,
    /// spandsp calls and polls; we answer and send.
    SpandspPolls,
}

impl Flow {
    fn ours_sends(self) -> bool {
        matches!(self, Flow::OursSends | Flow::SpandspPolls)
    }
    fn ours_calls(self) -> bool {
        matches!(self, Flow::OursSends | Flow::OursPolls)
    }
}

#[derive(Clone, Copy, Debug)]
struct Case {
    flow: Flow,
    ecm: bool,
    coding: Coding,
    version: u8,
    ec: ErrorRecovery,
    loss_percent: u64,
    seed: u64,
    /// Over TCP: spandsp frames with TPKT, we run unpaced and read through our
    /// `StreamDecoder` (the stream cut into 5-octet segments); no UDPTL.
    tpkt: bool,
}

enum Out {
    Ifp(u16, Vec<u8>),
    Lost,
}

/// One direction: our UDPTL sender, a seeded lossy line, our receiver.
struct Link {
    tx: Sender,
    rx: Receiver,
    rng: u64,
    loss_percent: u64,
    /// Every datagram put on the wire, with the time (for the capture test).
    log: Vec<(Instant, Vec<u8>)>,
}

impl Link {
    fn new(case: &Case, repeats: Repeats, salt: u64) -> Link {
        let packing = Packing::for_version(case.version);
        let mut cfg = SenderConfig::new(case.ec, 1400);
        cfg.packing = packing;
        cfg.repeats = repeats;
        Link {
            tx: Sender::new(cfg).unwrap(),
            rx: Receiver::new(ReceiverConfig::new(packing)),
            rng: (case.seed * 7919 + salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            loss_percent: case.loss_percent,
            log: Vec::new(),
        }
    }

    fn lost(&mut self) -> bool {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % 100 < self.loss_percent
    }

    fn carry(&mut self, ifps: Vec<Vec<u8>>, now: Instant) -> Vec<Out> {
        let mut out = Vec::new();
        for ifp in ifps {
            let t = self.tx.send_encoded(&ifp).unwrap();
            let (d, copies) = (t.datagram.to_vec(), t.copies);
            for _ in 0..copies {
                self.log.push((now, d.clone()));
                if !self.lost() {
                    self.rx.receive(&d, now).unwrap();
                }
            }
        }
        while let Some(x) = self.rx.poll(now) {
            out.push(match x {
                Delivery::Ifp { seq, ifp, .. } => Out::Ifp(seq, ifp.to_vec()),
                Delivery::Lost { .. } => Out::Lost,
            });
        }
        out
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("t38-term-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn tiff_of(p: &Page) -> Vec<u8> {
    write_tiff(LibtiffScheme::MH, p.columns, p.rows, &p.data).unwrap()
}

/// `tiffcmp a b`: true if libtiff's tool finds the images identical; `None` without the tool.
fn tiffcmp(a: &Path, b: &Path) -> Option<bool> {
    match std::process::Command::new("tiffcmp").arg(a).arg(b).output() {
        Ok(o) => {
            if !o.status.success() {
                eprintln!(
                    "tiffcmp: {}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                );
            }
            Some(o.status.success())
        }
        Err(_) => {
            assert!(
                std::env::var("FAXKIT_REQUIRE_PEERS").as_deref() != Ok("1"),
                "tiffcmp (libtiff-tools) is required"
            );
            eprintln!("note: tiffcmp not found; libtiff-tools comparison skipped");
            None
        }
    }
}

struct Result_ {
    ours: Option<t30::Outcome>,
    spandsp: Option<i32>,
    received: Vec<ReceivedPage>,
    /// The TIFF spandsp wrote (empty when it did not receive).
    spandsp_rx: Option<PathBuf>,
    /// IFPs our UDPTL receiver could not recover on the way to spandsp.
    lost_to_spandsp: u64,
    dir: PathBuf,
    seconds: u64,
    /// Datagrams on the wire: (time, from us, datagram), in time order.
    wire: Vec<(Duration, bool, Vec<u8>)>,
}

fn run(case: Case, pages: &[Page]) -> Result_ {
    let name = format!(
        "{:?}-{}-{:?}-v{}-{}-{}-{}",
        case.flow,
        case.ecm,
        case.coding,
        case.version,
        match case.ec {
            ErrorRecovery::None => "none",
            ErrorRecovery::Redundancy { .. } => "red",
            _ => "fec",
        },
        case.loss_percent,
        case.seed
    );
    let dir = temp_dir(&name);
    let tx_file = dir.join("tx.tif");
    let rx_file = dir.join("rx.tif");
    let keep = Keep::default();
    let mut sc = if case.flow.ours_sends() {
        t30::Config::sender(
            case.flow.ours_calls(),
            Box::new(MemorySource::new(pages.to_vec())),
        )
    } else {
        // Multi-page input for spandsp: one TIFF per page is not needed, it sends page 1..N.
        assert_eq!(pages.len(), 1, "spandsp is given a one-page TIFF");
        std::fs::write(&tx_file, tiff_of(&pages[0])).unwrap();
        t30::Config::receiver(case.flow.ours_calls(), Box::new(keep.clone()))
    };
    sc.ecm = case.ecm;
    sc.capabilities.ecm = case.ecm;
    sc.capabilities.mr = case.coding != Coding::Mh;
    sc.capabilities.mmr = case.coding == Coding::Mmr;
    let start = Instant::now();
    let mut tcfg = Config::new(case.version, case.flow.ours_calls());
    if case.tpkt {
        tcfg.pacing = Pacing::Unpaced;
    }
    let mut ours = Terminal::new(sc, tcfg, start).unwrap();
    let (sp_tx, sp_rx) = if case.flow.ours_sends() {
        (None, Some(rx_file.as_path()))
    } else {
        (Some(tx_file.as_path()), None)
    };
    let mut sp = SpandspTerminal::with_files(
        !case.flow.ours_calls(),
        sp_tx,
        sp_rx,
        i32::from(case.version),
        case.ecm,
    );
    sp.set_compressions(match case.coding {
        Coding::Mh => Compressions::Mh,
        Coding::Mr => Compressions::Mr,
        Coding::Mmr => Compressions::All,
    });
    if case.tpkt {
        sp.set_transport(Transport::TcpTpkt);
    }
    let mut stream = StreamDecoder::new(Framing::Tpkt);
    let mut to_sp_seq = 0u16;
    // spandsp asks for 3 copies of indicators and ends; our sender honours that one way.
    let mut s2o = Link::new(&case, Repeats::spandsp(), 1);
    let mut o2s = Link::new(&case, Repeats::default(), 2);
    let mut seconds = 0;
    let trace = std::env::var("T38_TRACE").is_ok();
    let mut lost_to_spandsp = 0u64;
    for step in 0..30_000u64 {
        let now = start + Duration::from_millis(step * 20);
        seconds = step / 50;
        let from_sp: Vec<Vec<u8>> = sp.step(160).into_iter().map(|(b, _)| b).collect();
        if case.tpkt {
            let bytes: Vec<u8> = from_sp.concat();
            for seg in bytes.chunks(5) {
                let mut rest = seg;
                while !rest.is_empty() {
                    let (n, frame) = stream.update(rest).unwrap();
                    if let Some(f) = frame {
                        // A malformed IFP is counted; the counter is checked below.
                        let _ = ours.handle_encoded(f, now);
                    }
                    rest = &rest[n..];
                }
            }
            ours.handle_timeout(now);
            while let Some(p) = ours.poll_transmit(now) {
                let mut framed = Vec::new();
                write_tpkt(&p.ifp, &mut framed).unwrap();
                sp.rx_ifp(&framed, to_sp_seq);
                to_sp_seq = to_sp_seq.wrapping_add(1);
            }
            if ours.is_done() && sp.completion().is_some() {
                break;
            }
            continue;
        }
        if trace {
            for b in &from_sp {
                show("spandsp", step, b, case.version);
            }
        }
        for o in s2o.carry(from_sp, now) {
            match o {
                // A malformed IFP is counted by the terminal; the test checks the counter.
                Out::Ifp(_, b) => {
                    let _ = ours.handle_encoded(&b, now);
                }
                Out::Lost => ours.handle_lost(now),
            }
        }
        ours.handle_timeout(now);
        let mut mine = Vec::new();
        while let Some(p) = ours.poll_transmit(now) {
            mine.push(p.ifp);
        }
        if trace {
            for b in &mine {
                show("ours   ", step, b, case.version);
            }
        }
        for o in o2s.carry(mine, now) {
            match o {
                Out::Ifp(seq, b) => {
                    sp.rx_ifp(&b, seq);
                }
                Out::Lost => lost_to_spandsp += 1,
            }
        }
        if ours.is_done() && sp.completion().is_some() {
            break;
        }
    }
    assert_eq!(
        ours.counters().malformed,
        0,
        "{name}: spandsp sent IFPs we reject"
    );
    let r = Result_ {
        ours: ours.outcome().cloned(),
        spandsp: sp.completion(),
        received: keep.0.lock().unwrap().clone(),
        spandsp_rx: case.flow.ours_sends().then_some(rx_file),
        lost_to_spandsp,
        dir,
        seconds,
        wire: {
            let mut w: Vec<(Duration, bool, Vec<u8>)> = o2s
                .log
                .into_iter()
                .map(|(t, d)| (t - start, true, d))
                .chain(s2o.log.into_iter().map(|(t, d)| (t - start, false, d)))
                .collect();
            w.sort_by_key(|x| x.0);
            w
        },
    };
    drop(sp);
    r
}

/// Prints an IFP (with `T38_TRACE` set): indicators, and HDLC frame ends with the frame's
/// first octets.
fn show(who: &str, step: u64, b: &[u8], version: u8) {
    if let Ok(ifp) = t38::Ifp::decode(b, Packing::for_version(version)) {
        let fields: Vec<String> = ifp
            .fields()
            .map(|f| {
                format!(
                    "{}{:02x?}",
                    f.field_type,
                    f.data.map(|d| &d[..d.len().min(4)])
                )
            })
            .collect();
        eprintln!(
            "{:>6} ms {who} {:?} {}",
            step * 20,
            ifp.message(),
            fields.join(" ")
        );
    }
}

/// Runs `case` and checks the fax went through with every page identical (or, for lossy
/// non-ECM pages we receive, honestly marked).
fn check(case: Case) {
    let pages = vec![page(case.seed as u32, 500)];
    let r = run(case, &pages);
    let label = format!("{case:?} after {} s", r.seconds);
    let ours = r
        .ours
        .as_ref()
        .unwrap_or_else(|| panic!("{label}: ours unfinished"));
    assert_eq!(ours.completion, Completion::Ok, "{label}: ours {ours:?}");
    assert_eq!(r.spandsp, Some(0), "{label}: spandsp completion code");
    let mode = ours.mode.unwrap_or_else(|| panic!("{label}: no mode"));
    assert_eq!(
        matches!(mode.transfer, t30::caps::Transfer::Ecm { .. }),
        case.ecm,
        "{label}"
    );
    let coding = match mode.transfer {
        t30::caps::Transfer::Ecm { coding, .. } => match coding {
            t30::caps::EcmCoding::Mh => Coding::Mh,
            t30::caps::EcmCoding::Mr => Coding::Mr,
            t30::caps::EcmCoding::Mmr => Coding::Mmr,
        },
        t30::caps::Transfer::NonEcm(t30::caps::NonEcmCoding::Mh) => Coding::Mh,
        t30::caps::Transfer::NonEcm(t30::caps::NonEcmCoding::Mr) => Coding::Mr,
    };
    assert_eq!(coding, case.coding, "{label}: negotiated coding");
    let lossy_non_ecm = case.loss_percent > 0 && !case.ecm;
    if case.flow.ours_sends() {
        assert_eq!(ours.pages_sent as usize, pages.len(), "{label}");
        let rx = r.spandsp_rx.as_ref().unwrap();
        let bytes = std::fs::read(rx).unwrap_or_else(|e| panic!("{label}: {e}"));
        let got = read_tiff(&bytes).unwrap();
        assert_eq!((got.width, got.rows), (1728, pages[0].rows), "{label}");
        let identical = got.data == pages[0].data;
        // Our decoder reads spandsp's TIFF too.
        let ours_read = t4_codec::container::read_tiff(&bytes, &Default::default())
            .unwrap_or_else(|e| panic!("{label}: our TIFF reader: {e}"));
        assert_eq!(ours_read.len(), 1, "{label}");
        // spandsp's bad-row count is not visible through the FFI, but whether any IFP
        // towards it stayed lost is: with none lost, its page must be exact even without ECM.
        if !lossy_non_ecm || r.lost_to_spandsp == 0 {
            assert!(identical, "{label}: spandsp's page differs (libtiff)");
            assert!(
                ours_read[0].data() == pages[0].data.as_slice(),
                "{label}: spandsp's page differs (our decoder)"
            );
            let orig = r.dir.join("orig.tif");
            std::fs::write(&orig, tiff_of(&pages[0])).unwrap();
            if let Some(same) = tiffcmp(&orig, rx) {
                assert!(same, "{label}: tiffcmp finds differences");
            }
        }
    } else {
        assert_eq!(r.received.len(), pages.len(), "{label}");
        for (g, p) in r.received.iter().zip(&pages) {
            assert_eq!(
                (g.page.columns, g.page.rows),
                (p.columns, p.rows),
                "{label}"
            );
            if g.page.data != p.data {
                assert!(lossy_non_ecm, "{label}: page {} differs", g.number);
                assert!(g.bad_rows > 0, "{label}: a damaged page claimed clean");
            } else {
                assert_eq!(g.bad_rows, 0, "{label}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&r.dir);
}

const MODES: [(bool, Coding); 5] = [
    (false, Coding::Mh),
    (false, Coding::Mr),
    (true, Coding::Mh),
    (true, Coding::Mr),
    (true, Coding::Mmr),
];

fn recoveries() -> [ErrorRecovery; 3] {
    [
        ErrorRecovery::None,
        ErrorRecovery::Redundancy { depth: 3 },
        ErrorRecovery::Fec {
            span: 3,
            entries: 3,
        },
    ]
}

fn matrix(flow: Flow) {
    for version in [0, 2] {
        for (ecm, coding) in MODES {
            for ec in recoveries() {
                check(Case {
                    flow,
                    ecm,
                    coding,
                    version,
                    ec,
                    loss_percent: 0,
                    seed: 1,
                    tpkt: false,
                });
            }
        }
    }
}

/// Seeds of the lossy runs: 2, or `T38_LOSS_SEEDS` (a count) for a longer sweep.
fn seeds() -> std::ops::RangeInclusive<u64> {
    let n = std::env::var("T38_LOSS_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0u64);
    if n == 0 {
        2..=2
    } else {
        10..=9 + n
    }
}

fn lossy(flow: Flow) {
    for seed in seeds() {
        for version in [0, 2] {
            for (ecm, coding) in MODES {
                for ec in &recoveries()[1..] {
                    check(Case {
                        flow,
                        ecm,
                        coding,
                        version,
                        ec: *ec,
                        loss_percent: 5,
                        seed,
                        tpkt: false,
                    });
                }
            }
        }
    }
}

#[test]
fn ours_to_spandsp_every_mode() {
    matrix(Flow::OursSends);
}

#[test]
fn spandsp_to_ours_every_mode() {
    matrix(Flow::SpandspSends);
}

#[test]
fn ours_to_spandsp_at_five_percent_loss() {
    lossy(Flow::OursSends);
}

#[test]
fn spandsp_to_ours_at_five_percent_loss() {
    lossy(Flow::SpandspSends);
}

#[test]
fn polling_both_ways() {
    for flow in [Flow::OursPolls, Flow::SpandspPolls] {
        for version in [0, 2] {
            for (ecm, coding) in [(true, Coding::Mmr), (false, Coding::Mr)] {
                check(Case {
                    flow,
                    ecm,
                    coding,
                    version,
                    ec: ErrorRecovery::Redundancy { depth: 3 },
                    loss_percent: 0,
                    seed: 3,
                    tpkt: false,
                });
            }
            // And ECM at 5 % loss under FEC.
            check(Case {
                flow,
                ecm: true,
                coding: Coding::Mmr,
                version,
                ec: ErrorRecovery::Fec {
                    span: 3,
                    entries: 3,
                },
                loss_percent: 5,
                seed: 4,
                tpkt: false,
            });
        }
    }
}

#[test]
fn unpaced_over_tpkt_both_ways() {
    for flow in [Flow::OursSends, Flow::SpandspSends] {
        for (ecm, coding) in [(true, Coding::Mmr), (false, Coding::Mr)] {
            check(Case {
                flow,
                ecm,
                coding,
                version: 3,
                ec: ErrorRecovery::None,
                loss_percent: 0,
                seed: 5,
                tpkt: true,
            });
        }
    }
}

/// A classic pcap (Ethernet, IPv4, UDP without checksum): ours 127.0.0.1:5000, spandsp
/// 127.0.0.2:5002.
fn pcap(packets: &[(Duration, bool, Vec<u8>)]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(0xA1B2_C3D4u32.to_le_bytes());
    f.extend(2u16.to_le_bytes());
    f.extend(4u16.to_le_bytes());
    f.extend([0u8; 8]);
    f.extend(65_535u32.to_le_bytes());
    f.extend(1u32.to_le_bytes());
    for (t, ours, d) in packets {
        let (src, dst, sp, dp) = if *ours {
            ([127, 0, 0, 1], [127, 0, 0, 2], 5000u16, 5002u16)
        } else {
            ([127, 0, 0, 2], [127, 0, 0, 1], 5002, 5000)
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
        let us = t.as_micros() as u64;
        f.extend(((us / 1_000_000) as u32).to_le_bytes());
        f.extend(((us % 1_000_000) as u32).to_le_bytes());
        f.extend((frame.len() as u32).to_le_bytes());
        f.extend((frame.len() as u32).to_le_bytes());
        f.extend(frame);
    }
    f
}

/// Number of `"_ws.malformed"` keys in tshark's JSON text.
fn malformed(json: &str) -> usize {
    json.matches("\"_ws.malformed\"").count()
}

/// A capture of whole calls between our terminal and spandsp's (both directions, both
/// packings, FEC) dissects in tshark with no "Malformed Packet" when the pre-corrigendum
/// preference follows the version, and every datagram is read as T.38.
#[test]
fn capture_of_a_call_with_spandsp_dissects_cleanly() {
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
    for flow in [Flow::OursSends, Flow::SpandspSends] {
        for version in [0u8, 2] {
            let case = Case {
                flow,
                ecm: true,
                coding: Coding::Mmr,
                version,
                ec: ErrorRecovery::Fec {
                    span: 3,
                    entries: 3,
                },
                loss_percent: 0,
                seed: 6,
                tpkt: false,
            };
            let r = run(case, &[page(6, 200)]);
            assert_eq!(r.spandsp, Some(0), "{case:?}");
            let path = r.dir.join("call.pcap");
            std::fs::write(&path, pcap(&r.wire)).unwrap();
            let pref = format!(
                "t38.use_pre_corrigendum_asn1_specification:{}",
                if version == 0 { "TRUE" } else { "FALSE" }
            );
            let out = std::process::Command::new("tshark")
                .arg("-r")
                .arg(&path)
                .args(["-d", "udp.port==5000,t38", "-o", &pref, "-T", "json"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(malformed(&text), 0, "{case:?}");
            // One `"t38":` layer per datagram.
            assert_eq!(text.matches("\"t38\": {").count(), r.wire.len(), "{case:?}");
            let _ = std::fs::remove_dir_all(&r.dir);
        }
    }
}
