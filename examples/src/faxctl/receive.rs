//! `faxctl receive`: the answering party of a T.38 fax over UDP, in real time. Each received
//! fax is written to the output directory as a TIFF Class F (MH, one IFD per page, damaged
//! rows recorded in `BadFaxLines`).

use super::cli::ReceiveArgs;
use super::send::{bind, report, run_call, CallOptions, EXIT_CALL_FAILED};
use super::Failure;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use t30::{PageSink, ReceivedPage};
use t38::terminal::{Config, Terminal};
use t4_codec::container::{write_tiff, Page, Resolution, TiffWriteOptions};
use t4_codec::{Coding, Image};

/// Pages of one call, shared with the session's sink.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<ReceivedPage>>>);

impl PageSink for Collect {
    fn page(&mut self, page: ReceivedPage) {
        if let Ok(mut v) = self.0.lock() {
            v.push(page);
        }
    }
}

/// Writes the pages of one fax to `dir` as TIFF Class F; returns the file name.
fn save(dir: &Path, pages: &[ReceivedPage]) -> Result<PathBuf, Failure> {
    let tiff_pages: Vec<Page> = pages
        .iter()
        .map(|p| {
            let (x, y) = p.page.resolution.dpi();
            let mut page = Page::from_image(Image {
                columns: p.page.columns,
                rows: p.page.rows,
                black_is_1: true,
                data: p.page.data.clone(),
                bad_rows: p.bad_rows,
                max_consecutive_bad_rows: 0,
            });
            page.resolution = Some(Resolution::dpi(f64::from(x), f64::from(y)));
            page
        })
        .collect();
    let data = write_tiff(&tiff_pages, &TiffWriteOptions::new(Coding::Mh))
        .map_err(|e| Failure::container("received fax", &e))?;
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let path = dir.join(format!("fax-{stamp}.tif"));
    std::fs::write(&path, data)
        .map_err(|e| Failure::Invalid(format!("{}: {e}", path.display())))?;
    Ok(path)
}

/// `faxctl receive`.
pub(crate) fn run(a: &ReceiveArgs) -> Result<(), Failure> {
    let opts = CallOptions::new(a.ecm, a.ec, a.t38_version, a.json)?;
    if !a.out.is_dir() {
        return Err(Failure::Invalid(format!(
            "--out {}: not a directory",
            a.out.display()
        )));
    }
    let io = |e: std::io::Error| Failure::Invalid(format!("UDP: {e}"));
    let mut buf = vec![0u8; 65_536];
    let mut all_ok = true;
    loop {
        // A fresh socket per call: the previous one is connected to the previous caller.
        let socket = bind(&a.listen, "--listen")?;
        // Wait for a caller: its first datagram (CNG) names the peer.
        socket.set_read_timeout(None).map_err(io)?;
        let (n, peer) = loop {
            match socket.recv_from(&mut buf) {
                Ok(x) => break x,
                // An ICMP error left over from an earlier datagram: not a caller.
                Err(e) if super::send::transient(&e) => continue,
                Err(e) => return Err(io(e)),
            }
        };
        socket.connect(peer).map_err(io)?;
        let pages = Collect::default();
        let mut cfg = t30::Config::receiver(false, Box::new(pages.clone()));
        cfg.ecm = opts.ecm;
        cfg.capabilities.ecm = opts.ecm;
        let term = Terminal::new(cfg, Config::new(opts.version, false), Instant::now())
            .map_err(|e| Failure::Usage(format!("{e}")))?;
        let first = buf[..n].to_vec();
        let (call, traffic) = run_call(&socket, term, &opts, Some(&first))?;
        let got = pages.0.lock().map(|v| v.clone()).unwrap_or_default();
        let file = if got.is_empty() {
            None
        } else {
            Some(save(&a.out, &got)?.display().to_string())
        };
        let ok = report(
            call.outcome(),
            call.terminal(),
            &traffic,
            call.udptl(),
            opts.json,
            file.as_deref(),
        );
        all_ok &= ok;
        if a.once {
            break;
        }
        // Accept the next caller from anywhere: undo the connect.
        let any: std::net::SocketAddr = if peer.is_ipv6() {
            "[::]:0"
                .parse()
                .map_err(|_| Failure::Invalid("address".into()))?
        } else {
            "0.0.0.0:0"
                .parse()
                .map_err(|_| Failure::Invalid("address".into()))?
        };
        // Linux treats connect to an unspecified address as a disconnect.
        let _ = socket.connect(any);
    }
    if !all_ok {
        std::process::exit(EXIT_CALL_FAILED);
    }
    Ok(())
}
