//! A T.38 terminal fed arbitrary IFP bytes, losses and time steps: it never panics, and once
//! the input stops it finishes on its own timers (every session ends).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};
use t38::terminal::{Config, Terminal};

struct Discard;
impl t30::PageSink for Discard {
    fn page(&mut self, _page: t30::ReceivedPage) {}
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let calling = flags & 1 != 0;
    let version = (flags >> 1) & 3;
    let start = Instant::now();
    let session = if flags & 8 != 0 {
        let page = t30::Page::blank(1728, 20, t30::Resolution::Fine);
        t30::Config::sender(calling, Box::new(t30::MemorySource::new(vec![page])))
    } else {
        t30::Config::receiver(calling, Box::new(Discard))
    };
    let Ok(mut term) = Terminal::new(session, Config::new(version, calling), start) else {
        return;
    };
    let mut now = start;
    while let [op, len, tail @ ..] = rest {
        now += Duration::from_millis(u64::from(*op & 0x3F) * 20);
        let n = usize::from(*len).min(tail.len());
        match op >> 6 {
            0 | 1 => {
                let _ = term.handle_encoded(&tail[..n], now);
            }
            2 => term.handle_lost(now),
            _ => term.handle_timeout(now),
        }
        while term.poll_transmit(now).is_some() {}
        while term.poll_event().is_some() {}
        rest = &tail[n..];
    }
    // Silence from now on: the session must end by its own timers.
    let limit = now + Duration::from_secs(4 * 3600);
    while let Some(t) = term.poll_timeout() {
        assert!(t <= limit, "terminal never finishes");
        now = now.max(t);
        term.handle_timeout(now);
        while term.poll_transmit(now).is_some() {}
        while term.poll_event().is_some() {}
    }
    assert!(term.is_done());
});
