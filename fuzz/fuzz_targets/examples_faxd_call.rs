//! faxd's exposure to the network: arbitrary datagrams from an unknown address (the
//! start-a-call check), then fed to an answering call as one peer, with time advancing;
//! plus the stored-document envelope and the configuration parser on the same bytes.
//! Nothing may panic.
#![no_main]

use faxkit_examples::faxd::call::{session_config, starts_call, Call, Pages};
use faxkit_examples::faxd::config::Config;
use faxkit_examples::faxd::document;
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let _ = document::decode(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Config::parse(text);
    }
    let Ok(cfg) =
        Config::parse("pacing = \"unpaced\"\n[[line]]\nnumber = \"1\"\nlisten = \"127.0.0.1:0\"\n")
    else {
        return;
    };
    let start = Instant::now();
    let pages = Pages::default();
    let s = session_config(&cfg, t30::Config::receiver(false, Box::new(pages.clone())));
    let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 9));
    let Ok(mut call) = Call::new(&cfg, "f".into(), peer, 0, s, pages, start) else {
        return;
    };
    let mut out = Vec::new();
    let mut now = start;
    // Datagrams: one length byte, then that many bytes.
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        let (d, tail) = tail.split_at(n);
        rest = tail;
        let _ = starts_call(d, 0);
        call.receive(d, now);
        now += Duration::from_millis(u64::from(len % 64) * 10);
        out.clear();
        call.drive(now, &mut out);
    }
    // Let every timer run out.
    for _ in 0..50 {
        now += Duration::from_secs(10);
        out.clear();
        call.drive(now, &mut out);
    }
});
