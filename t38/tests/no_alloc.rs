//! Steady state allocates nothing: once a sender and a receiver exist, sending, receiving
//! (with loss, duplicates and repairs), releasing, and decoding and encoding IFPs into reused
//! buffers make no heap allocation. Checked with a counting global allocator.

// A global allocator cannot be written without `unsafe` (the trait is unsafe); this one only
// forwards to `System` and counts. Test code only: the library itself forbids unsafe.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use t38::udptl::{Delivery, ErrorRecovery, Receiver, ReceiverConfig, Sender, SenderConfig};
use t38::{DataType, Field, FieldType, Ifp, Indicator, Message, Packing};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn run(
    packing: Packing,
    datagrams: u32,
    armed: bool,
    tx: &mut Sender,
    rx: &mut Receiver,
    out: &mut Vec<u8>,
) -> u64 {
    let image = [0x3Cu8; 54];
    let frame = [0xFFu8, 0x13, 0x80, 0x00, 0xEE, 0xF8];
    let data = [Field::new(FieldType::T4_NON_ECM_DATA, &image)];
    let hdlc = [
        Field::new(FieldType::HDLC_DATA, &frame),
        Field::bare(FieldType::HDLC_FCS_OK_SIG_END),
    ];
    let t0 = Instant::now();
    let mut delivered = 0u64;
    ARMED.with(|a| a.set(armed));
    for i in 0..datagrams {
        let ifp = match i % 5 {
            0 => Ifp::indicator(Indicator::V17_14400_LONG_TRAINING),
            1 => Ifp::new(Message::Data(DataType::V21), &hdlc),
            _ => Ifp::new(Message::Data(DataType::V17_14400), &data),
        };
        let now = t0 + Duration::from_millis(u64::from(i) * 30);
        let t = tx.send(&ifp).expect("sends");
        // Lose every 7th datagram, duplicate every 11th.
        let copies = if i % 7 == 3 {
            0
        } else if i % 11 == 5 {
            2
        } else {
            1
        };
        for _ in 0..copies {
            rx.receive(t.datagram, now).expect("well-formed");
        }
        while let Some(d) = rx.poll(now) {
            if let Delivery::Ifp { ifp, .. } = d {
                let decoded = Ifp::decode(ifp, packing).expect("decodes");
                out.clear();
                decoded.encode(packing, out).expect("encodes");
                assert_eq!(out.as_slice(), ifp);
                delivered += 1;
            }
        }
    }
    ARMED.with(|a| a.set(false));
    delivered
}

#[test]
fn no_allocation_per_datagram_in_steady_state() {
    for packing in [Packing::V1998, Packing::V2002] {
        for rec in [
            ErrorRecovery::None,
            ErrorRecovery::Redundancy { depth: 3 },
            ErrorRecovery::Fec {
                span: 3,
                entries: 3,
            },
        ] {
            let mut cfg = SenderConfig::new(rec, 1400);
            cfg.packing = packing;
            let mut tx = Sender::new(cfg).expect("valid");
            let mut rx = Receiver::new(ReceiverConfig::new(packing));
            let mut out = Vec::with_capacity(1400);
            run(packing, 200, false, &mut tx, &mut rx, &mut out);
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            let delivered = run(packing, 10_000, true, &mut tx, &mut rx, &mut out);
            let after = ALLOCATIONS.load(Ordering::Relaxed);
            assert_eq!(
                after - before,
                0,
                "{packing:?} {rec:?}: allocations in steady state"
            );
            let c = rx.counters();
            assert!(delivered > 8_000, "{packing:?} {rec:?}: {c:?}");
            if rec != ErrorRecovery::None {
                assert!(
                    c.recovered_redundancy + c.recovered_fec > 1000,
                    "{rec:?}: repairs exercised: {c:?}"
                );
            }
            assert!(c.duplicate > 0);
        }
    }
}
