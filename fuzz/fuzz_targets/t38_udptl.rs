//! UDPTL datagrams: the codec never panics and round-trips what it accepts; a receiver fed
//! the input as a stream of datagrams (2-octet length prefixes) never panics, never releases
//! out of order, and keeps its counters consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};
use t38::udptl::{Datagram, Delivery, Limits, Receiver, ReceiverConfig};
use t38::Packing;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = Datagram::decode(data, &Limits::default()) {
        let mut out = Vec::new();
        d.encode(&mut out).expect("a decoded datagram encodes");
        assert_eq!(Datagram::decode(&out, &Limits::default()), Ok(d));
    }
    let packing = if data.first().is_some_and(|b| b & 1 == 1) {
        Packing::V2002
    } else {
        Packing::V1998
    };
    let mut rx = Receiver::new(ReceiverConfig::new(packing));
    let t0 = Instant::now();
    let mut rest = data.get(1..).unwrap_or(&[]);
    let mut step = 0u64;
    let mut last: Option<u16> = None;
    let mut check = |d: Delivery<'_>| {
        let seq = match d {
            Delivery::Ifp { seq, .. } | Delivery::Lost { seq } => seq,
        };
        if let Some(l) = last {
            assert!(
                seq == l.wrapping_add(1) || seq.wrapping_sub(l) > 1,
                "released in order"
            );
        }
        last = Some(seq);
    };
    while rest.len() >= 2 {
        let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]) % 512);
        let body = rest.get(2..2 + n.min(rest.len() - 2)).unwrap_or(&[]);
        rest = &rest[2 + body.len()..];
        step += 1;
        let now = t0 + Duration::from_millis(step * 20);
        let _ = rx.receive(body, now);
        while let Some(d) = rx.poll(now) {
            check(d);
        }
    }
    while let Some(d) = rx.flush() {
        check(d);
    }
    let c = rx.counters();
    assert_eq!(c.received + c.malformed, step);
});
