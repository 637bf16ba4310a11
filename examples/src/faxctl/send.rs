//! `faxctl send`: the calling party of a T.38 fax over UDP, in real time; and the call loop
//! `faxctl receive` shares.
//!
//! The loop is the thin IO shell around faxd's sans-IO [`Call`] (a [`Terminal`], the T.38
//! terminal driving a t30 session, with its UDPTL sender and [`Receiver`]), one UDP socket,
//! and the wall clock. It sleeps in `recv` until the next datagram or the call's earliest
//! deadline.

use super::cli::{EcArg, OnOff, SendArgs};
use super::files::Input;
use super::{print_stdout, Failure};
use faxkit_examples::faxd::call::Call;
use std::io::IsTerminal as _;
use std::net::{SocketAddr, ToSocketAddrs as _, UdpSocket};
use std::time::{Duration, Instant};
use t30::{Completion, MemorySource, Outcome, Resolution};
use t38::terminal::{Config, Terminal};
use t38::udptl::{ErrorRecovery, Receiver};

/// Exit status of a call that did not complete.
pub(crate) const EXIT_CALL_FAILED: i32 = 4;

/// Options shared by send and receive.
pub(crate) struct CallOptions {
    pub(crate) ecm: bool,
    pub(crate) ec: ErrorRecovery,
    pub(crate) version: u8,
    pub(crate) json: bool,
    /// Pages to send, for the progress bar (unknown when receiving).
    pub(crate) total_pages: Option<u32>,
}

impl CallOptions {
    pub(crate) fn new(ecm: OnOff, ec: EcArg, version: u8, json: bool) -> Result<Self, Failure> {
        if version > 4 {
            return Err(Failure::Usage(format!(
                "--t38-version {version}: T.38 versions are 0 to 4"
            )));
        }
        Ok(CallOptions {
            ecm: ecm == OnOff::On,
            ec: match ec {
                EcArg::None => ErrorRecovery::None,
                EcArg::Redundancy => ErrorRecovery::Redundancy { depth: 3 },
                EcArg::Fec => ErrorRecovery::Fec {
                    span: 3,
                    entries: 3,
                },
            },
            version,
            json,
            total_pages: None,
        })
    }
}

/// What the call loop counted.
#[derive(Default, Clone, Copy)]
pub(crate) struct Traffic {
    pub(crate) datagrams_sent: u64,
    pub(crate) datagrams_received: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) bytes_received: u64,
}

/// Runs one call on `socket` (connected to the peer) until the terminal is done: faxd's
/// [`Call`] (terminal + UDPTL pair) driven by a one-socket loop.
pub(crate) fn run_call(
    socket: &UdpSocket,
    term: Terminal,
    opts: &CallOptions,
    first: Option<&[u8]>,
) -> Result<(Call, Traffic), Failure> {
    let io = |e: std::io::Error| Failure::Invalid(format!("UDP: {e}"));
    let peer = socket.peer_addr().map_err(io)?;
    let mut call = Call::with_terminal("faxctl".into(), peer, 0, term, opts.ec, opts.version)
        .map_err(|e| Failure::Usage(format!("error recovery: {e}")))?;
    let mut traffic = Traffic::default();
    let start = Instant::now();
    let progress = std::io::stderr().is_terminal() && !opts.json;
    let mut next_draw = start;
    if let Some(d) = first {
        traffic.datagrams_received += 1;
        traffic.bytes_received += d.len() as u64;
        // A malformed first datagram is counted by the receiver and otherwise ignored.
        call.receive(d, start);
    }
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        let now = Instant::now();
        out.clear();
        call.drive(now, &mut out);
        for d in &out {
            match socket.send(d) {
                Ok(_) => {
                    traffic.datagrams_sent += 1;
                    traffic.bytes_sent += d.len() as u64;
                }
                // The peer is not (or no longer) listening: like a lost datagram; the
                // session's timers decide when to give up.
                Err(e) if transient(&e) => {}
                Err(e) => return Err(io(e)),
            }
        }
        if progress && now >= next_draw {
            next_draw = now + Duration::from_millis(250);
            eprint!(
                "\r{}",
                progress_line(call.progress, opts.total_pages, &traffic)
            );
        }
        if call.is_done() {
            break;
        }
        let deadline = call.deadline().unwrap_or(now + Duration::from_millis(20));
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .clamp(Duration::from_millis(1), Duration::from_millis(100));
        socket.set_read_timeout(Some(wait)).map_err(io)?;
        match socket.recv(&mut buf) {
            Ok(n) => {
                traffic.datagrams_received += 1;
                traffic.bytes_received += n as u64;
                // Malformed datagrams are counted by the receiver.
                call.receive(&buf[..n], Instant::now());
            }
            Err(e)
                if transient(&e)
                    || matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
            Err(e) => return Err(io(e)),
        }
    }
    if progress {
        eprintln!();
    }
    Ok((call, traffic))
}

/// The progress line: a bar over the pages when their number is known, and the bytes.
fn progress_line(done: u32, total: Option<u32>, t: &Traffic) -> String {
    const WIDTH: u32 = 20;
    let bar = match total {
        Some(total) if total > 0 => {
            let filled = (done.min(total) * WIDTH / total) as usize;
            format!(
                "[{}{}] {done}/{total} pages",
                "#".repeat(filled),
                ".".repeat(WIDTH as usize - filled)
            )
        }
        _ => format!("{done} pages"),
    };
    format!(
        "faxctl: {bar}, {} KiB sent, {} KiB received ",
        t.bytes_sent / 1024,
        t.bytes_received / 1024
    )
}

/// An ICMP error reported on a UDP socket (nobody listening at the peer's port yet, or any
/// more): no reason to end a call, which has its own timers.
pub(crate) fn transient(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
    )
}

/// The final line: text, or a JSON object with `--json`.
pub(crate) fn report(
    outcome: Option<&Outcome>,
    term: &Terminal,
    traffic: &Traffic,
    rx: &Receiver,
    json: bool,
    file: Option<&str>,
) -> bool {
    let ok = outcome.is_some_and(|o| o.completion == Completion::Ok);
    let status = outcome.map_or("unfinished".to_string(), |o| format!("{:?}", o.completion));
    let mode = outcome.and_then(|o| o.mode);
    let (coding, ecm) = match mode.map(|m| m.transfer) {
        Some(t30::caps::Transfer::Ecm { coding, .. }) => (format!("{coding:?}"), true),
        Some(t30::caps::Transfer::NonEcm(c)) => (format!("{c:?}"), false),
        _ => ("none".into(), false),
    };
    let coding = coding.to_lowercase();
    let rate = mode.map_or(0, |m| m.rate.bps());
    let pages = outcome.map_or(0, |o| o.pages_sent.max(o.pages_received));
    let bad_rows = outcome.map_or(0, |o| o.bad_rows);
    let c = term.counters();
    let u = rx.counters();
    if json {
        let v = serde_json::json!({
            "status": if ok { "ok" } else { "failed" },
            "completion": status,
            "pages": pages,
            "rate": rate,
            "coding": coding,
            "ecm": ecm,
            "bad_rows": bad_rows,
            "file": file,
            "counters": {
                "datagrams_sent": traffic.datagrams_sent,
                "datagrams_received": traffic.datagrams_received,
                "bytes_sent": traffic.bytes_sent,
                "bytes_received": traffic.bytes_received,
                "ifps_sent": c.ifps_sent,
                "ifps_received": c.ifps_received,
                "ifps_malformed": c.malformed,
                "frames_bad": c.frames_bad,
                "udptl_duplicate": u.duplicate,
                "udptl_recovered_redundancy": u.recovered_redundancy,
                "udptl_recovered_fec": u.recovered_fec,
                "udptl_lost": u.lost,
            },
        });
        print_stdout(&format!("{v}\n"));
    } else {
        let mut line = format!(
            "{}: {status}, {pages} page(s), {rate} bit/s, {coding}{}, {bad_rows} bad rows, \
             {} datagrams sent, {} received, {} lost",
            if ok { "ok" } else { "failed" },
            if ecm { " ECM" } else { "" },
            traffic.datagrams_sent,
            traffic.datagrams_received,
            u.lost,
        );
        if let Some(f) = file {
            line.push_str(&format!(", saved {f}"));
        }
        print_stdout(&format!("{line}\n"));
    }
    ok
}

fn resolve(addr: &str, what: &str) -> Result<SocketAddr, Failure> {
    addr.to_socket_addrs()
        .map_err(|e| Failure::Usage(format!("{what} {addr}: {e}")))?
        .next()
        .ok_or_else(|| Failure::Usage(format!("{what} {addr}: no address")))
}

pub(crate) fn bind(addr: &str, what: &str) -> Result<UdpSocket, Failure> {
    let a = resolve(addr, what)?;
    UdpSocket::bind(a).map_err(|e| Failure::Invalid(format!("{what} {addr}: {e}")))
}

/// `faxctl send`.
pub(crate) fn run(a: &SendArgs) -> Result<(), Failure> {
    let mut opts = CallOptions::new(a.ecm, a.ec, a.t38_version, a.json)?;
    let input = Input::open(&a.file)?;
    let pages: Vec<t30::Page> = input
        .pages(None, !a.json)?
        .into_iter()
        .map(|p| {
            let y = p.resolution.and_then(|r| r.to_dpi()).map_or(196.0, |d| d.1);
            let resolution = if y < 150.0 {
                Resolution::Standard
            } else if y < 300.0 {
                Resolution::Fine
            } else {
                Resolution::Superfine
            };
            t30::Page {
                columns: p.width(),
                rows: p.rows(),
                resolution,
                data: p.image.data,
            }
        })
        .collect();
    if pages.is_empty() {
        return Err(Failure::Invalid(format!(
            "{}: no page to send",
            a.file.display()
        )));
    }
    opts.total_pages = u32::try_from(pages.len()).ok();
    let peer = resolve(&a.to, "--to")?;
    let local = a.local.clone().unwrap_or_else(|| {
        if peer.is_ipv6() {
            "[::]:0".into()
        } else {
            "0.0.0.0:0".into()
        }
    });
    let socket = bind(&local, "--local")?;
    socket
        .connect(peer)
        .map_err(|e| Failure::Invalid(format!("--to {}: {e}", a.to)))?;
    let mut cfg = t30::Config::sender(true, Box::new(MemorySource::new(pages)));
    cfg.ecm = opts.ecm;
    cfg.capabilities.ecm = opts.ecm;
    if let Some(c) = a.coding {
        use super::cli::CodingArg;
        cfg.capabilities.mr = c != CodingArg::Mh;
        cfg.capabilities.mmr = c == CodingArg::Mmr;
    }
    if let Some(id) = &a.ident {
        cfg.identity =
            t30::Identity::new(id).map_err(|e| Failure::Usage(format!("--ident: {e}")))?;
    }
    let term = Terminal::new(cfg, Config::new(opts.version, true), Instant::now())
        .map_err(|e| Failure::Usage(format!("{e}")))?;
    let (call, traffic) = run_call(&socket, term, &opts, None)?;
    let ok = report(
        call.outcome(),
        call.terminal(),
        &traffic,
        call.udptl(),
        opts.json,
        None,
    );
    if !ok {
        std::process::exit(EXIT_CALL_FAILED);
    }
    Ok(())
}
