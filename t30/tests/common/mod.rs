//! A quinn-proto style `Pair`: two sessions back to back over an emulated line in
//! simulated time, with seeded loss and corruption and per-frame fault injection.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use t30::{
    BitOrder, Carrier, Config, Event, Fcf, Frame, Input, Output, Page, PageSink, ReceivedPage,
    Resolution, Session, Training, Transmit,
};

/// Which session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// What the line does to one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Deliver,
    Drop,
    Corrupt,
}

/// A deterministic xorshift generator.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p && p > 0.0
    }
}

type Hook = Box<dyn FnMut(Side, &Frame, Carrier) -> Fate>;

#[derive(Debug)]
enum Delivery {
    Frame(Vec<u8>, bool),
    Data(Vec<u8>),
    Training(Training),
    CarrierUp,
    CarrierDown,
}

pub struct Pair {
    pub a: Session,
    pub b: Session,
    pub start: Instant,
    pub now: Instant,
    /// Deliveries keyed by (time, sequence) per destination.
    queue: BTreeMap<(Instant, u64), (Side, Delivery)>,
    seq: u64,
    busy: [Instant; 2],
    pub rng: Rng,
    /// Probability that a frame (or a 1 s chunk of non-ECM data) is lost.
    pub loss: f64,
    /// Probability that a frame arrives with a bad FCS (or a data chunk damaged).
    pub corrupt: f64,
    /// One-way delay.
    pub latency: Duration,
    /// TCF at a rate above this fails (drives FTT).
    pub train_max_bps: u32,
    /// Deliver TCF as zero octets of data (T.38 `transferredTCF`) instead of a report.
    pub tcf_as_data: bool,
    /// Per-frame fault injection, applied before random faults.
    pub hook: Option<Hook>,
    /// Non-ECM data damage: called with (sender side, page data); may change it.
    pub data_hook: Option<Box<dyn FnMut(Side, &mut Vec<u8>)>>,
    pub events: Vec<(Side, Event)>,
    /// Every frame sent: (time, sender, frame).
    pub sent: Vec<(Duration, Side, Frame)>,
    pub order: BitOrder,
}

impl Pair {
    pub fn new(a: Config, b: Config) -> Pair {
        let start = Instant::now();
        let order = a.bit_order;
        Pair {
            a: Session::new(a, start).unwrap(),
            b: Session::new(b, start).unwrap(),
            start,
            now: start,
            queue: BTreeMap::new(),
            seq: 0,
            busy: [start; 2],
            rng: Rng::new(1),
            loss: 0.0,
            corrupt: 0.0,
            latency: Duration::from_millis(20),
            train_max_bps: u32::MAX,
            tcf_as_data: false,
            hook: None,
            data_hook: None,
            events: Vec::new(),
            sent: Vec::new(),
            order,
        }
    }

    fn session(&mut self, side: Side) -> &mut Session {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    fn push(&mut self, at: Instant, to: Side, d: Delivery) {
        self.seq += 1;
        self.queue.insert((at + self.latency, self.seq), (to, d));
    }

    fn transmit(&mut self, from: Side, t: Transmit) {
        let to = match from {
            Side::A => Side::B,
            Side::B => Side::A,
        };
        let idx = from as usize;
        let begin = self.busy[idx].max(self.now);
        let air = t.airtime();
        self.busy[idx] = begin + air;
        match t {
            Transmit::Frames { carrier, frames } => {
                let (bps, lead) = match carrier {
                    Carrier::V21 => (300u64, Duration::from_secs(1)),
                    Carrier::Fast(r) => (u64::from(r.bps()), Duration::from_millis(200)),
                };
                let mut at = begin + lead;
                for f in frames {
                    at += Duration::from_micros((f.len() as u64 + 3) * 8 * 1_000_000 / bps);
                    self.sent.push((at - self.start, from, f.clone()));
                    let mut fate = match self.hook.as_mut() {
                        Some(h) => h(from, &f, carrier),
                        None => Fate::Deliver,
                    };
                    if fate == Fate::Deliver {
                        if self.rng.chance(self.loss) {
                            fate = Fate::Drop;
                        } else if self.rng.chance(self.corrupt) {
                            fate = Fate::Corrupt;
                        }
                    }
                    let mut bytes = f.to_bytes(self.order);
                    match fate {
                        Fate::Drop => continue,
                        Fate::Corrupt => {
                            let i = 2 + (self.rng.next() as usize) % (bytes.len() - 2);
                            bytes[i] ^= 0x10;
                            // The FCS catches it; the control octet is left readable.
                            if i == 1 {
                                bytes[1] ^= 0x10;
                            }
                            self.push(at, to, Delivery::Frame(bytes, false));
                        }
                        Fate::Deliver => self.push(at, to, Delivery::Frame(bytes, true)),
                    }
                }
            }
            Transmit::Tcf { rate, duration } if self.tcf_as_data => {
                let ok = rate.bps() <= self.train_max_bps;
                let octets = (u128::from(rate.bps()) * duration.as_millis() / 8000) as usize;
                let mut zeros = vec![0u8; octets];
                if !ok {
                    // Errors every 100 octets: no long clean run.
                    zeros.iter_mut().step_by(100).for_each(|b| *b = 0x40);
                }
                let lead = Duration::from_millis(200);
                self.push(begin + lead, to, Delivery::CarrierUp);
                let mut at = begin + lead;
                for c in zeros.chunks(54) {
                    at += Duration::from_micros(c.len() as u64 * 8_000_000 / u64::from(rate.bps()));
                    self.push(at, to, Delivery::Data(c.to_vec()));
                }
                self.push(at, to, Delivery::CarrierDown);
            }
            Transmit::Tcf { rate, duration } => {
                let ok = rate.bps() <= self.train_max_bps;
                let t = Training {
                    duration,
                    longest_zero_run: if ok { duration } else { duration / 10 },
                };
                self.push(begin + air, to, Delivery::Training(t));
            }
            Transmit::NonEcm { rate, mut data } => {
                if let Some(h) = self.data_hook.as_mut() {
                    h(from, &mut data);
                }
                let lead = Duration::from_millis(200);
                self.push(begin + lead, to, Delivery::CarrierUp);
                let chunk = (rate.bps() / 8) as usize; // one second of data
                let mut at = begin + lead;
                for c in data.chunks(chunk.max(1)) {
                    at += Duration::from_micros(
                        c.len() as u64 * 8 * 1_000_000 / u64::from(rate.bps()),
                    );
                    if self.rng.chance(self.loss) {
                        continue;
                    }
                    let mut c = c.to_vec();
                    if self.rng.chance(self.corrupt) {
                        let i = (self.rng.next() as usize) % c.len();
                        c[i] ^= 0xFF;
                    }
                    self.push(at, to, Delivery::Data(c));
                }
                self.push(at, to, Delivery::CarrierDown);
            }
            _ => {}
        }
    }

    fn drain(&mut self) {
        for side in [Side::A, Side::B] {
            while let Some(o) = self.session(side).poll_output() {
                match o {
                    Output::Transmit(t) => self.transmit(side, t),
                    Output::Event(e) => self.events.push((side, e)),
                }
            }
        }
    }

    /// Runs until both sessions are done (or 4 simulated hours).
    pub fn drive(&mut self) {
        self.drive_until(Duration::from_secs(4 * 3600));
    }

    /// Runs until both sessions are done or `t` of simulated time has passed.
    pub fn drive_until(&mut self, t: Duration) {
        let limit = self.start + t;
        for _ in 0..10_000_000 {
            self.drain();
            let next_delivery = self.queue.keys().next().map(|k| k.0);
            let next = [next_delivery, self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next else { break };
            if next > limit {
                break;
            }
            self.now = self.now.max(next);
            let now = self.now;
            while let Some(entry) = self.queue.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let (to, d) = entry.remove();
                if std::env::var("PAIR_TRACE").is_ok() {
                    eprintln!("TRACE {:?} -> {to:?} {d:?}", now - self.start);
                }
                let s = self.session(to);
                match &d {
                    Delivery::Frame(bytes, ok) => {
                        s.handle_input(Input::Frame { bytes, fcs_ok: *ok }, now)
                    }
                    Delivery::Data(bytes) => s.handle_input(Input::NonEcmData(bytes), now),
                    Delivery::Training(t) => s.handle_input(Input::Training(*t), now),
                    Delivery::CarrierUp => s.handle_input(Input::CarrierUp, now),
                    Delivery::CarrierDown => s.handle_input(Input::CarrierDown, now),
                }
            }
            if std::env::var("PAIR_TRACE").is_ok() {
                eprintln!("TRACE {:?} timeouts", now - self.start);
            }
            self.a.handle_timeout(now);
            self.b.handle_timeout(now);
        }
        self.drain();
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Frames of one FCF sent by a side.
    pub fn count_sent(&self, side: Side, fcf: Fcf) -> usize {
        self.sent
            .iter()
            .filter(|(_, s, f)| *s == side && f.fcf.base() == fcf)
            .count()
    }
}

/// A sink that keeps pages where the test can see them and can refuse (RNR).
#[derive(Clone, Default)]
pub struct SharedSink {
    pub pages: Arc<Mutex<Vec<ReceivedPage>>>,
    pub busy: Arc<AtomicBool>,
}

impl PageSink for SharedSink {
    fn page(&mut self, page: ReceivedPage) {
        self.pages.lock().unwrap().push(page);
    }
    fn ready(&mut self) -> bool {
        !self.busy.load(Ordering::SeqCst)
    }
}

/// A deterministic "text-like" page: rows of short black runs varying by seed.
pub fn text_page(seed: u64, columns: u32, rows: u32, resolution: Resolution) -> Page {
    let mut p = Page::blank(columns, rows, resolution);
    let rb = p.row_bytes();
    let mut rng = Rng::new(seed);
    for y in 0..rows as usize {
        // Text lines of 24 rows with 8-row gaps.
        if y % 32 >= 24 {
            continue;
        }
        let line_seed = (y / 32) as u64 * 7919 + seed;
        let mut lr = Rng::new(line_seed);
        let mut x = 100usize;
        while x + 40 < columns as usize - 100 {
            let w = 4 + (lr.next() % 20) as usize;
            if (rng.next() % 4) != 0 {
                for px in x..x + w {
                    p.data[y * rb + px / 8] |= 0x80 >> (px % 8);
                }
            }
            x += w + 6 + (lr.next() % 14) as usize;
        }
    }
    p
}
