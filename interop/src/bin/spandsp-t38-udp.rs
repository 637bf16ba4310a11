//! spandsp 0.0.6's T.38 terminal on a real UDP socket in real time, as the independent peer
//! of `faxctl send` / `faxctl receive` in `tests/realtime_udp.rs`.
//!
//! spandsp has no UDPTL layer of its own (Asterisk and FreeSWITCH bring theirs), so its IFPs
//! travel in our `t38::udptl` datagrams with redundancy depth 3.
//!
//! ```text
//! spandsp-t38-udp send FILE.tif --to HOST:PORT [--version N] [--ecm on|off] [--ident ID] [--sub SUB]
//! spandsp-t38-udp receive OUT.tif --listen HOST:PORT [--version N] [--ecm on|off] [--ident ID]
//! ```
//! Prints `completion N` (spandsp's T.30 code, 0 = OK) and exits 0 only for 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use faxkit_interop::spandsp::SpandspTerminal;
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use t38::udptl::{Delivery, ErrorRecovery, Receiver, ReceiverConfig, Sender, SenderConfig};
use t38::Packing;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: spandsp-t38-udp send FILE --to ADDR | receive FILE --listen ADDR \
                 [--version N] [--ecm on|off] [--ident ID] [--sub SUB]";
    if args.len() < 4 {
        eprintln!("{usage}");
        return ExitCode::from(1);
    }
    let sending = args[0] == "send";
    let file = PathBuf::from(&args[1]);
    let addr = args[3].clone();
    let mut version = 0u8;
    let mut ecm = true;
    let mut ident = None;
    let mut sub = None;
    let mut i = 4;
    while i + 1 < args.len() {
        match args[i].as_str() {
            "--version" => version = args[i + 1].parse().expect("version"),
            "--ecm" => ecm = args[i + 1] == "on",
            "--ident" => ident = Some(args[i + 1].clone()),
            "--sub" => sub = Some(args[i + 1].clone()),
            _ => {
                eprintln!("{usage}");
                return ExitCode::from(1);
            }
        }
        i += 2;
    }
    let socket = if sending {
        let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
        s.connect(&addr).expect("connect");
        s
    } else {
        UdpSocket::bind(&addr).expect("bind")
    };
    let packing = Packing::for_version(version);
    let mut scfg = SenderConfig::new(ErrorRecovery::Redundancy { depth: 3 }, 1400);
    scfg.packing = packing;
    let mut tx = Sender::new(scfg).expect("sender");
    let mut rx = Receiver::new(ReceiverConfig::new(packing));
    let mut buf = vec![0u8; 65_536];
    if !sending {
        // The caller's first datagram names the peer.
        let (n, peer) = socket.recv_from(&mut buf).expect("recv");
        socket.connect(peer).expect("connect");
        let _ = rx.receive(&buf[..n], Instant::now());
    }
    let mut term = if sending {
        SpandspTerminal::with_files(true, Some(&file), None, i32::from(version), ecm)
    } else {
        SpandspTerminal::with_files(false, None, Some(&file), i32::from(version), ecm)
    };
    if let Some(id) = &ident {
        assert!(
            term.set_ident(id),
            "--ident: spandsp refused it (at most 20 characters)"
        );
    }
    if let Some(s) = &sub {
        assert!(
            term.set_sub_address(s),
            "--sub: spandsp refused it (at most 20 characters)"
        );
    }
    socket
        .set_read_timeout(Some(Duration::from_millis(5)))
        .expect("timeout");
    let start = Instant::now();
    let mut stepped = Duration::ZERO;
    let mut done_at = None;
    loop {
        let now = Instant::now();
        while let Ok(n) = socket.recv(&mut buf) {
            let _ = rx.receive(&buf[..n], Instant::now());
        }
        while let Some(d) = rx.poll(now) {
            if let Delivery::Ifp { seq, ifp, .. } = d {
                term.rx_ifp(ifp, seq);
            }
        }
        // Advance spandsp's clock in 20 ms steps up to the wall clock.
        while stepped + Duration::from_millis(20) <= now - start {
            stepped += Duration::from_millis(20);
            for (ifp, _count) in term.step(160) {
                if let Ok(t) = tx.send_encoded(&ifp) {
                    let _ = socket.send(t.datagram);
                }
            }
        }
        if term.completion().is_some() && done_at.is_none() {
            done_at = Some(now);
        }
        // Keep answering for a moment after phase E (the final DCN and its repeats).
        if done_at.is_some_and(|t| now - t > Duration::from_secs(1)) {
            break;
        }
        if now - start > Duration::from_secs(300) {
            break;
        }
    }
    let c = term.completion().unwrap_or(-1);
    println!("completion {c}");
    if c == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
