//! `faxctl demo`: the whole stack in one command, on a fresh machine with nothing but Rust.
//!
//! Two `faxd` servers run in this process on 127.0.0.1, each with its own fresh data
//! directory (store, key file, passphrase file, audit log, queue):
//!
//! - the *receiving* faxd answers on line `+1 555 0100` and routes every fax to its `main`
//!   inbox;
//! - the *sending* faxd has the receiver in its recipient directory (verified) and gets one
//!   job: a generated 3-page referral with a cover page.
//!
//! The sender places the call over T.38 (UDPTL, redundancy 3) to the receiver's UDP port; both
//! sides negotiate and run the T.30 session exactly as on a real line, only without pacing
//! (every IFP leaves at once instead of at 14 400 bit/s) unless `--paced`. The receiver
//! stores the fax encrypted, the sender issues a delivery receipt. Then the demo stops both
//! servers, verifies both audit logs from their bytes and root keys, verifies the receipt
//! offline, reads the fax back out of the receiving inbox (decrypting it as a clinician),
//! checks every page pixel for pixel against what was sent, writes the pages as PNG and
//! prints where everything is.
//!
//! The document is made up: no real person, number or record appears in it.

use super::cli::DemoArgs;
use super::{print_stdout, Failure};
use faxkit_examples::cover::{self, CoverSheet, Layout, Rule, TextLine};
use faxkit_examples::faxd::client::{self, Reader, SubmitRequest};
use faxkit_examples::faxd::data::{now_ms, random_hex, utc_minute, write_atomic, DataDir};
use faxkit_examples::faxd::error::FaxdError;
use faxkit_examples::faxd::init::{init, InitOptions};
use faxkit_examples::faxd::queue::JobState;
use faxkit_examples::faxd::server::Server;
use faxkit_examples::receipt::{self, Receipt};
use phi_audit::scan::{scan_log, Mode};
use phi_audit::storage::FsStorage;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use t30::Resolution;
use t4_codec::container::{read_tiff, write_png, ReadOptions};

/// The receiving line's number.
const RECEIVER: &str = "+1 555 0100";
/// The sending line's number.
const SENDER: &str = "+1 555 0199";
/// Pages after the cover page.
const PAGES: u32 = 3;

/// `faxctl demo`.
pub(crate) fn run(a: &DemoArgs) -> Result<(), Failure> {
    let t0 = Instant::now();
    let base = match &a.dir {
        Some(d) => {
            fresh_dir(d)?;
            d.clone()
        }
        None => temp_dir()?,
    };
    let limit = if a.paced {
        Duration::from_secs(30 * 60)
    } else {
        Duration::from_secs(180)
    };
    // The cover page's date line, fixed here so that the page the receiver gets can be
    // compared with the one we expect.
    let sheet = sheet(&utc_minute(now_ms()));
    let rx_data = DataDir::new(base.join("receiver"));
    let tx_data = DataDir::new(base.join("sender"));

    // 1. The receiving faxd.
    make(&rx_data, RECEIVER, a, None)?;
    let rx = start(&rx_data)?;
    let rx_addr = rx.addr;
    // 2. The sending faxd, with the receiver in its directory.
    let res = make(&tx_data, SENDER, a, Some(rx_addr))
        .and_then(|()| start(&tx_data))
        .and_then(|tx| {
            let r = send_and_wait(&tx_data, &rx_data, &sheet, limit);
            let stopped = tx.stop();
            let r = r?;
            stopped?;
            Ok(r)
        });
    let stopped = rx.stop();
    let (job, call_time) = res?;
    stopped?;

    // 3. Offline checks on the stopped servers' files.
    let sent = document(&sheet)?;
    let received = base.join("received");
    std::fs::create_dir_all(&received)
        .map_err(|e| Failure::Invalid(format!("{}: {e}", received.display())))?;
    let reader = Reader {
        principal: "demo-clinician".into(),
        role: "clinician".into(),
        purpose: phi_store::policy::Purpose::Treatment,
    };
    let listed = client::inbox_list(&rx_data, "main", &reader).map_err(faxd)?;
    let [entry] = listed.as_slice() else {
        return Err(Failure::Invalid(format!(
            "the receiving inbox holds {} faxes, expected 1",
            listed.len()
        )));
    };
    let tif = received.join("fax.tif");
    client::inbox_get(&rx_data, "main", &reader, &entry.entry.object, &tif).map_err(faxd)?;
    let bytes =
        std::fs::read(&tif).map_err(|e| Failure::Invalid(format!("{}: {e}", tif.display())))?;
    let pages = read_tiff(&bytes, &ReadOptions::default())
        .map_err(|e| Failure::container(&tif.display().to_string(), &e))?;
    if pages.len() != sent.len() {
        return Err(Failure::Invalid(format!(
            "received {} pages, sent {}",
            pages.len(),
            sent.len()
        )));
    }
    let mut pngs = Vec::new();
    for (i, (got, want)) in pages.iter().zip(&sent).enumerate() {
        if got.width() != want.columns || got.rows() != want.rows || got.image.data != want.data {
            return Err(Failure::Invalid(format!(
                "page {} differs from what was sent",
                i + 1
            )));
        }
        let png = received.join(format!("page-{}.png", i + 1));
        let b = write_png(got).map_err(|e| Failure::container("PNG", &e))?;
        // Decrypted pages are PHI in real use: private files, like the TIFF.
        write_atomic(&png, &b).map_err(faxd)?;
        pngs.push(png);
    }
    let rx_log = verify_log(&rx_data)?;
    let tx_log = verify_log(&tx_data)?;
    let receipt_path = tx_data.receipts().join(format!("{job}.json"));
    let receipt_size = verify_receipt(&receipt_path, &tx_data)?;

    let lines = [
        format!("faxkit demo: {} pages sent and received over T.38 on 127.0.0.1 ({})", sent.len(),
            if a.paced { "paced, real fax timing" } else { "unpaced" }),
        format!("  cover page + {PAGES} generated pages, pixel-identical after decryption"),
        format!("  call:     {:.2} s; total {:.2} s", call_time.as_secs_f64(), t0.elapsed().as_secs_f64()),
        format!("  stored:   object {} (TIFF Class F, AES-256-GCM) in {}", entry.entry.object, rx_data.root().join("store").display()),
        format!("  audit:    receiver log verified ({rx_log} events), sender log verified ({tx_log} events)"),
        format!("  receipt:  {} verified offline (checkpoint size {receipt_size})", receipt_path.display()),
        format!("  pages:    {}", received.display()),
        format!("            {}", pngs.iter().filter_map(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).collect::<Vec<_>>().join(", ")),
        format!("  data:     {} (receiver/ and sender/: faxd.toml, store/, audit/, secrets/)", base.display()),
        format!("  verify:   faxctl audit verify --log {}", rx_data.audit().display()),
        format!("            faxctl audit verify-receipt {} --log {}", receipt_path.display(), tx_data.audit().display()),
        "ok".to_string(),
    ];
    print_stdout(&(lines.join("\n") + "\n"));
    Ok(())
}

fn faxd(e: FaxdError) -> Failure {
    Failure::Invalid(e.to_string())
}

/// Fails unless `dir` is absent or empty, then creates it.
fn fresh_dir(dir: &Path) -> Result<(), Failure> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|e| Failure::Invalid(format!("{}: {e}", dir.display())))?
            .next()
            .is_none();
        if !empty {
            return Err(Failure::Usage(format!(
                "--dir {}: not empty (the demo needs a fresh directory)",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::Invalid(format!("{}: {e}", dir.display())))
}

/// A new directory under the system temp dir.
fn temp_dir() -> Result<PathBuf, Failure> {
    for _ in 0..16 {
        let p = std::env::temp_dir().join(format!("faxkit-demo-{}", random_hex(4)));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Failure::Invalid(format!("{}: {e}", p.display()))),
        }
    }
    Err(Failure::Invalid(
        "could not create a fresh temporary directory".into(),
    ))
}

/// `faxd init` for one side, then the demo's settings: pacing, and for the sender the
/// receiver as a verified recipient.
fn make(
    data: &DataDir,
    number: &str,
    a: &DemoArgs,
    recipient: Option<SocketAddr>,
) -> Result<(), Failure> {
    let created = init(&InitOptions {
        data: data.root().to_path_buf(),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        number: number.into(),
        kdf_iterations: a.kdf_iterations,
    })
    .map_err(faxd)?;
    let mut text = std::fs::read_to_string(&created.config)
        .map_err(|e| Failure::Invalid(format!("{}: {e}", created.config.display())))?;
    if !a.paced {
        text = text.replacen("pacing = \"paced\"", "pacing = \"unpaced\"", 1);
    }
    if let Some(addr) = recipient {
        text.push_str(&format!(
            "\n[[recipient]]\nnumber = \"{RECEIVER}\"\naddress = \"{addr}\"\n\
             name = \"Demo Cardiology Clinic\"\nverified = true\nclass = \"default\"\n"
        ));
    }
    write_atomic(&created.config, text.as_bytes()).map_err(faxd)
}

/// A faxd running on its own thread.
struct Running {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<(), FaxdError>>,
}

impl Running {
    /// Graceful shutdown, then the server's own result.
    fn stop(self) -> Result<(), Failure> {
        self.stop.store(true, Ordering::SeqCst);
        match self.thread.join() {
            Ok(r) => r.map_err(faxd),
            Err(_) => Err(Failure::Invalid("a faxd thread panicked".into())),
        }
    }
}

fn start(data: &DataDir) -> Result<Running, Failure> {
    let cfg = client::load(data).map_err(faxd)?;
    let server = Server::open(cfg).map_err(faxd)?;
    let addr = *server
        .local_addrs()
        .first()
        .ok_or_else(|| Failure::Invalid("faxd has no line".into()))?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("faxd".into())
        .spawn(move || server.run(&flag))
        .map_err(|e| Failure::Invalid(format!("thread: {e}")))?;
    Ok(Running { addr, stop, thread })
}

/// Submits the job to the sender and waits until it is final and the receiver's inbox has
/// the fax. Returns the job id and the call's duration.
fn send_and_wait(
    tx: &DataDir,
    rx: &DataDir,
    sheet: &CoverSheet,
    limit: Duration,
) -> Result<(String, Duration), Failure> {
    let pages = body_pages();
    let job = client::submit(
        tx,
        &SubmitRequest {
            to: RECEIVER.into(),
            pages,
            cover: Some(sheet.clone()),
            allow_unverified: None,
            principal: "demo-clerk".into(),
            role: "clinician".into(),
        },
    )
    .map_err(faxd)?;
    let start = Instant::now();
    loop {
        let (jobs, _) = client::status(tx).map_err(faxd)?;
        if let Some(j) = jobs.iter().find(|j| j.id == job) {
            if j.state == JobState::Done {
                break;
            }
            if j.state.is_final() {
                return Err(Failure::Invalid(format!(
                    "the fax was not delivered: {}",
                    j.last_result
                )));
            }
        }
        if start.elapsed() > limit {
            return Err(Failure::Invalid(format!(
                "the fax was not delivered within {} s",
                limit.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let call = start.elapsed();
    // The receiver files the fax when its side of the call ends, moments later.
    let inbox = rx.inbox("main");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_dir(&inbox).map_or(0, |d| {
        d.filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .count()
    }) == 0
    {
        if Instant::now() > deadline {
            return Err(Failure::Invalid("the receiver did not file the fax".into()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((job, call))
}

/// Verifies an audit log from its bytes and root key; returns its size.
fn verify_log(data: &DataDir) -> Result<u64, Failure> {
    let storage = FsStorage::new(data.audit());
    let root =
        phi_audit::root_key(&storage).map_err(|e| Failure::Invalid(format!("audit log: {e}")))?;
    let s = scan_log(&storage, &root, Mode::Verify, false, None).map_err(|f| {
        Failure::Invalid(format!(
            "{}: the audit log does not verify at seq {}",
            data.audit().display(),
            f.seq
        ))
    })?;
    Ok(s.tree.size())
}

/// Verifies the receipt with only the sender's audit root key; returns the checkpoint size.
fn verify_receipt(path: &Path, tx: &DataDir) -> Result<u64, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Invalid(format!("{}: {e}", path.display())))?;
    let r: Receipt = serde_json::from_str(&text)
        .map_err(|e| Failure::Invalid(format!("{}: {e}", path.display())))?;
    let root = phi_audit::root_key(&FsStorage::new(tx.audit()))
        .map_err(|e| Failure::Invalid(format!("audit log: {e}")))?;
    let size = receipt::verify_summary(&r, &root)
        .map_err(|e| Failure::Invalid(format!("{}: {e}", path.display())))?;
    if !r.delivered || r.pages != PAGES + 1 {
        return Err(Failure::Invalid(format!(
            "{}: the receipt says delivered {} with {} pages",
            path.display(),
            r.delivered,
            r.pages
        )));
    }
    Ok(size)
}

/// The demo's cover sheet (made-up people and numbers), dated `date`.
fn sheet(date: &str) -> CoverSheet {
    CoverSheet {
        to: "Demo Cardiology Clinic".into(),
        from: "faxkit demo sender".into(),
        patient_reference: "DEMO-000042".into(),
        subject: "Referral (demonstration only)".into(),
        pages: PAGES,
        callback: SENDER.into(),
        date: date.into(),
        ..CoverSheet::default()
    }
}

/// What the receiver should end up with: the cover page faxd renders, then the pages.
fn document(sheet: &CoverSheet) -> Result<Vec<t30::Page>, Failure> {
    let cover = cover::render(sheet, Resolution::Fine)
        .map_err(|e| Failure::Invalid(format!("cover page: {e}")))?;
    let mut v = vec![cover];
    v.extend(body_pages());
    Ok(v)
}

/// Three pages of made-up referral text, in the cover page's font.
fn body_pages() -> Vec<t30::Page> {
    const TEXT: [&[&str]; 3] = [
        &[
            "REFERRAL LETTER (DEMONSTRATION)",
            "",
            "This document was generated by `faxctl demo`.",
            "It travelled as a T.38 fax between two faxd",
            "servers on 127.0.0.1 and was stored encrypted",
            "(AES-256-GCM) by the receiving server, with",
            "every step in a tamper-evident audit log.",
            "",
            "Nothing in it is about a real person.",
        ],
        &[
            "PAGE 2: WHAT HAPPENED",
            "",
            "1. faxctl submit queued the job, encrypted.",
            "2. The sender rendered the cover page.",
            "3. DIS/DCS negotiated ECM and MMR coding.",
            "4. The receiver filed the fax in its inbox.",
            "5. The sender issued a delivery receipt:",
            "   an audit entry with an inclusion proof",
            "   under a signed checkpoint.",
        ],
        &[
            "PAGE 3: CHECK IT YOURSELF",
            "",
            "faxctl audit verify --log DIR/audit",
            "faxctl audit verify-receipt RECEIPT --log DIR",
            "",
            "Change one byte of a log segment or of the",
            "receipt and verification fails.",
            "",
            "End of document.",
        ],
    ];
    TEXT.iter()
        .map(|lines| {
            let rows = cover::page_rows(Resolution::Fine);
            let mut layout = Layout {
                columns: cover::COLUMNS,
                rows,
                resolution: Resolution::Fine,
                lines: Vec::new(),
                rules: vec![Rule {
                    x: cover::MARGIN,
                    y: 240,
                    width: cover::COLUMNS - 2 * cover::MARGIN,
                    height: 6,
                }],
            };
            for (i, text) in (0u32..).zip(lines.iter()) {
                // Fine resolution has nearly square pels: the same scale both ways.
                let (scale, y) = if i == 0 { (3, 160) } else { (2, 240 + i * 56) };
                layout.lines.push(TextLine {
                    field: if i == 0 { "heading" } else { "label" },
                    x: cover::MARGIN,
                    y,
                    scale_x: scale,
                    scale_y: scale,
                    text: (*text).into(),
                });
            }
            layout.draw()
        })
        .collect()
}
