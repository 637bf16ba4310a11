//! Memory: an idle session is small, and the ECM block buffer exists only while a block is in
//! flight. Measured with a counting global allocator (this test binary only).
#![allow(clippy::unwrap_used, unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use t30::{
    BitOrder, Capabilities, Config, Dcs, Dis, Fcf, Frame, Input, MemorySource, Page, PageSink,
    ReceivedPage, Resolution, Session, Training,
};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::SeqCst);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::SeqCst)
}

struct NullSink;
impl PageSink for NullSink {
    fn page(&mut self, _: ReceivedPage) {}
}

fn drain(s: &mut Session) {
    while s.poll_output().is_some() {}
}

/// One test function so that no other test allocates concurrently.
#[test]
fn idle_session_and_ecm_block_buffer() {
    let start = Instant::now();

    // Idle sending session (waiting for DIS), pages not yet fetched.
    let pages = vec![Page::blank(1728, 10, Resolution::Fine)];
    let before = live();
    let mut tx = Session::new(
        Config::sender(true, Box::new(MemorySource::new(pages))),
        start,
    )
    .unwrap();
    drain(&mut tx);
    let tx_total = live() - before + std::mem::size_of::<Session>();
    println!(
        "idle sending session: {tx_total} bytes (struct {} + heap)",
        std::mem::size_of::<Session>()
    );
    assert!(tx_total <= 8 * 1024, "{tx_total}");

    // Idle answering session (DIS sent, waiting for DCS).
    let before = live();
    let mut rx = Session::new(Config::receiver(false, Box::new(NullSink)), start).unwrap();
    drain(&mut rx);
    let rx_total = live() - before + std::mem::size_of::<Session>();
    println!("idle receiving session: {rx_total} bytes");
    assert!(rx_total <= 8 * 1024, "{rx_total}");

    // Drive the receiver into ECM phase C by hand.
    let dis = Dis::from_capabilities(&Capabilities::default());
    let mode = t30::Mode {
        rate: t30::Rate::V17_14400,
        resolution: Resolution::Fine,
        width: t30::caps::Width::A4,
        length: t30::caps::Length::Unlimited,
        scan_time: t30::caps::ScanTime(0),
        transfer: t30::caps::Transfer::Ecm {
            coding: t30::caps::EcmCoding::Mmr,
            frame_size: t30::caps::FrameSize::Octets256,
        },
        t38: false,
    };
    let dcs = Dcs::from_mode(mode, &dis).unwrap();
    let mut now = start + Duration::from_secs(3);
    let feed = |rx: &mut Session, f: Frame, now: Instant| {
        rx.handle_input(
            Input::Frame {
                bytes: &f.to_bytes(BitOrder::T30),
                fcs_ok: true,
            },
            now,
        );
    };
    feed(
        &mut rx,
        Frame::new(Fcf::DCS.with_x(true), dcs.fif().to_vec(), true),
        now,
    );
    rx.handle_input(Input::Training(Training::perfect()), now);
    drain(&mut rx);
    let in_phase_c = live();

    // The first FCD allocates the block buffer (256 frames of 256 octets).
    now += Duration::from_secs(1);
    let mut fif = vec![0u8];
    fif.extend_from_slice(&[0u8; 256]);
    feed(&mut rx, Frame::new(Fcf::FCD, fif, false), now);
    let in_flight = live() - in_phase_c;
    println!("ECM block in flight: {in_flight} bytes");
    assert!(in_flight >= 64 * 1024, "{in_flight}");

    // PPS-NULL with one frame: block accepted (MCF) and its buffer released.
    let pps = Frame::new(Fcf::PPS.with_x(true), vec![0, 0, 0, 0], true);
    feed(&mut rx, pps, now);
    drain(&mut rx);
    let after = live().saturating_sub(in_phase_c);
    println!("after MCF: {after} bytes above phase C entry");
    assert!(after < 2 * 1024, "{after}");
    drop(rx);
    drop(tx);
}
