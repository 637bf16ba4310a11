//! Feeds a session an arbitrary script of inputs (shared by the proptest and the fuzz
//! target): no panic, bounded memory, and the session always ends through its timers.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};
use t30::{
    BitOrder, Config, Input, MemorySource, Page, PageSink, ReceivedPage, Resolution, Session,
    Training,
};

struct NullSink;
impl PageSink for NullSink {
    fn page(&mut self, _: ReceivedPage) {}
}

/// Most heap a session may hold while fed the script (its page limit is set to 256 KiB).
pub const HEAP_LIMIT: usize = 1 << 20;

pub fn run(data: &[u8]) {
    let Some((&role, mut rest)) = data.split_first() else {
        return;
    };
    let start = Instant::now();
    let page = Page::blank(1728, 20, Resolution::Fine);
    let mut cfg = match role % 4 {
        0 => Config::sender(true, Box::new(MemorySource::new(vec![page]))),
        1 => Config::sender(false, Box::new(MemorySource::new(vec![page]))),
        2 => Config::receiver(true, Box::new(NullSink)),
        _ => Config::receiver(false, Box::new(NullSink)),
    };
    cfg.max_page_bytes = 256 << 10;
    cfg.bit_order = if role & 4 != 0 {
        BitOrder::Lsb
    } else {
        BitOrder::T30
    };
    let Ok(mut s) = Session::new(cfg, start) else {
        return;
    };
    let mut now = start;
    let drain = |s: &mut Session| while s.poll_output().is_some() {};
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let take = |rest: &mut &[u8], n: usize| {
            let n = n.min(rest.len());
            let (a, b) = rest.split_at(n);
            *rest = b;
            a.to_vec()
        };
        match op % 8 {
            0..=2 => {
                // A frame: address and final control prepended half the time, so the
                // fuzzer reaches the FCF logic easily.
                let len = usize::from(op / 8);
                let mut bytes = take(&mut rest, len);
                if op & 0x80 == 0 {
                    let mut b = vec![0xFF, 0xC8];
                    b.append(&mut bytes);
                    bytes = b;
                }
                s.handle_input(
                    Input::Frame {
                        bytes: &bytes,
                        fcs_ok: op % 8 != 2,
                    },
                    now,
                );
            }
            3 => {
                let chunk = take(&mut rest, usize::from(op / 8) * 16);
                s.handle_input(Input::NonEcmData(&chunk), now);
            }
            4 => {
                let ms = u64::from(op / 8) * 100;
                s.handle_input(
                    Input::Training(Training {
                        duration: Duration::from_millis(1500),
                        longest_zero_run: Duration::from_millis(ms),
                    }),
                    now,
                );
            }
            5 => s.handle_input(
                if op & 8 != 0 {
                    Input::CarrierUp
                } else {
                    Input::CarrierDown
                },
                now,
            ),
            _ => {
                now += Duration::from_millis(u64::from(op / 8) * 250);
                s.handle_timeout(now);
            }
        }
        drain(&mut s);
        assert!(s.heap_bytes() <= HEAP_LIMIT, "{} bytes", s.heap_bytes());
    }
    // Silence from now on: the timers must end the call.
    for _ in 0..100_000 {
        drain(&mut s);
        let Some(at) = s.poll_timeout() else { break };
        assert!(at >= now);
        now = at;
        s.handle_timeout(now);
    }
    drain(&mut s);
    assert!(s.is_done(), "session did not end");
    assert!(s.outcome().is_some());
    assert!(now - start <= Duration::from_secs(31 * 60) + Duration::from_millis(250 * 32 * 4096));
}
