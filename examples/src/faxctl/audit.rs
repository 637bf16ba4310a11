//! `faxctl audit`: the phi-audit log from the command line. The command names, flags and
//! output lines are a contract other tools call:
//!
//! - `init --log DIR [--origin NAME]`: creates the keys; prints the public key path.
//! - `example-event`: prints one valid event as a JSON line.
//! - `append --log DIR`: events as JSON lines on stdin; prints `ack <seq>` for each event
//!   once it is durable (group commit: the lines that arrived during the previous sync, up
//!   to 256, share one `fdatasync`).
//! - `verify --log DIR [--key PUB] [--anchor NOTE]`: exit 0 and `ok <size>` if intact;
//!   otherwise `bad <seq>` on stdout (the first bad seq), the reason on stderr, exit 2.
//! - `prove --log DIR --seq N`: an inclusion proof bundle (JSON) that `check-proof`
//!   verifies with only the public key.
//! - `forward --log DIR --to HOST:PORT --ca PEM`: RFC 5424 over RFC 5425 TLS from the
//!   durable cursor, closed by the newest signed checkpoint.
//! - `verify-receipt RECEIPT.json --key PUB` (or `--log DIR` for DIR's public key): exit 0
//!   and `ok receipt job <job> pages <n> result <t30> delivered <yes|no> checkpoint <size>`
//!   if the delivery receipt verifies offline (`--json`: one object with the receipt's fields,
//!   `seq` and `checkpoint_size`); otherwise the reason on stderr, exit 2.
//! - `export --log DIR --format jsonl|csv|fhir|disclosures [--from X] [--to X]`: X is a seq
//!   or a UTC date (`2026-01-31`, `2026-01-31T12:00:00Z`).

use super::{print_stdout, Failure};
use clap::{Args, Subcommand, ValueEnum};
use phi_audit::export::{Exporter, Range, Reveal};
use phi_audit::scan::{scan_log, Mode, Scanned};
use phi_audit::storage::FsStorage;
use phi_audit::writer::collect_batch;
use phi_audit::{Config, Event, Log, Proof};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `Audit`.
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    #[command(subcommand)]
    pub(crate) command: AuditCommand,
}

/// The `audit` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Create the keys of a new log; prints the path of the public key auditors pin.
    Init {
        /// The log directory.
        #[arg(long)]
        log: PathBuf,
        /// The log's origin (checkpoint origin line; no spaces or '+').
        #[arg(long, default_value = "faxkit.local/audit")]
        origin: String,
    },
    /// Print one valid event as a JSON line.
    ExampleEvent,
    /// Append events (JSON lines on stdin); prints `ack <seq>` once each is durable.
    Append {
        /// The log directory.
        #[arg(long)]
        log: PathBuf,
    },
    /// Verify the whole log; exit 0 if intact, else prints `bad <first bad seq>`, exit 2.
    Verify {
        /// The log directory.
        #[arg(long)]
        log: PathBuf,
        /// The pinned public key file (default: DIR/keys/root.pub).
        #[arg(long)]
        key: Option<PathBuf>,
        /// A checkpoint note seen earlier (from syslog or a previous verify): the log must
        /// still contain it (detects a rollback of the whole directory).
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
    /// Print an inclusion proof bundle (JSON) for one event, or with --since a consistency
    /// proof from an older checkpoint to the newest one.
    Prove {
        /// The log directory.
        #[arg(long)]
        log: PathBuf,
        /// The event's seq.
        #[arg(long, required_unless_present = "since")]
        seq: Option<u64>,
        /// A checkpoint note kept earlier: prove the newest checkpoint extends it.
        #[arg(long, conflicts_with = "seq")]
        since: Option<PathBuf>,
    },
    /// Verify a proof bundle (JSON on stdin) with only the public key; with --old, a
    /// consistency bundle against that earlier checkpoint note.
    CheckProof {
        /// The pinned public key file.
        #[arg(long)]
        key: PathBuf,
        /// The earlier checkpoint note a consistency bundle extends.
        #[arg(long)]
        old: Option<PathBuf>,
    },
    /// Verify a delivery receipt (JSON) offline with only the log's public key: its proof,
    /// and that every field equals the proven audit event. Exit 0 and a one-line summary if
    /// valid; exit 2 and the reason otherwise. Prints no PHI (the number is only a token).
    VerifyReceipt {
        /// The receipt file (JSON, as faxd writes it).
        receipt: PathBuf,
        /// The pinned public key file (what `faxctl audit init` printed).
        #[arg(long, required_unless_present = "log", conflicts_with = "log")]
        key: Option<PathBuf>,
        /// Read the public key from this log directory instead (DIR/keys/root.pub).
        #[arg(long)]
        log: Option<PathBuf>,
        /// Print the summary as a JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Forward new events and the newest checkpoint to a syslog receiver over RFC 5425 TLS
    /// (at-least-once from the durable cursor; receivers de-duplicate by seq).
    Forward {
        /// The log directory.
        #[arg(long)]
        log: PathBuf,
        /// The receiver, HOST:PORT (port 6514 is the RFC 5425 default).
        #[arg(long)]
        to: String,
        /// The CA certificates (PEM) that sign the receiver's certificate.
        #[arg(long)]
        ca: PathBuf,
        /// The name in the receiver's certificate (default: the host of --to).
        #[arg(long)]
        server_name: Option<String>,
        /// HOSTNAME field of the messages.
        #[arg(long, default_value = "-")]
        hostname: String,
    },
    /// Export events.
    Export {
        /// The log directory.
        #[arg(long)]
        log: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// First event: a seq or a UTC date/time.
        #[arg(long)]
        from: Option<String>,
        /// Last event (inclusive): a seq or a UTC date/time.
        #[arg(long)]
        to: Option<String>,
        /// Decrypt sealed fields (fax numbers, patients, names); the export is itself
        /// recorded as a `phi_export` event.
        #[arg(long)]
        reveal: bool,
        /// The patient for `--format disclosures`.
        #[arg(long)]
        patient: Option<String>,
        /// Only events for this fax number (matched by keyed token; nothing else is
        /// decrypted).
        #[arg(long)]
        fax_number: Option<String>,
    },
}

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// JSON Lines, one object per event with its seq, then the closing checkpoint.
    Jsonl,
    /// CSV: date, time, fax number, user id, delivery status, ...
    Csv,
    /// A FHIR R4 Bundle of AuditEvent resources.
    Fhir,
    /// Accounting of disclosures for --patient (JSON lines with proofs).
    Disclosures,
}

fn log_err(e: &phi_audit::LogError) -> Failure {
    Failure::Invalid(format!("audit log: {e}"))
}

pub(crate) fn run(args: AuditArgs) -> Result<(), Failure> {
    match args.command {
        AuditCommand::Init { log, origin } => init(&log, &origin),
        AuditCommand::ExampleEvent => {
            let line = serde_json::to_string(&Event::example())
                .map_err(|e| Failure::Invalid(e.to_string()))?;
            print_stdout(&format!("{line}\n"));
            Ok(())
        }
        AuditCommand::Append { log } => append(&log),
        AuditCommand::Verify { log, key, anchor } => {
            verify(&log, key.as_deref(), anchor.as_deref())
        }
        AuditCommand::Prove { log, seq, since } => match (seq, since) {
            (Some(seq), _) => prove(&log, seq),
            (None, Some(old)) => prove_since(&log, &old),
            (None, None) => Err(Failure::Usage("prove needs --seq or --since".into())),
        },
        AuditCommand::CheckProof { key, old } => check_proof(&key, old.as_deref()),
        AuditCommand::VerifyReceipt {
            receipt,
            key,
            log,
            json,
        } => verify_receipt(&receipt, key.as_deref(), log.as_deref(), json),
        AuditCommand::Forward {
            log,
            to,
            ca,
            server_name,
            hostname,
        } => forward(&log, &to, &ca, server_name.as_deref(), &hostname),
        AuditCommand::Export {
            log,
            format,
            from,
            to,
            reveal,
            patient,
            fax_number,
        } => export(
            &log,
            format,
            (from.as_deref(), to.as_deref()),
            reveal,
            patient.as_deref(),
            fax_number.as_deref(),
        ),
    }
}

fn init(dir: &Path, origin: &str) -> Result<(), Failure> {
    let storage = FsStorage::new(dir);
    phi_audit::init(&storage, origin).map_err(|e| log_err(&e))?;
    print_stdout(&format!("{}\n", dir.join(phi_audit::ROOT_PUB).display()));
    Ok(())
}

fn append(dir: &Path) -> Result<(), Failure> {
    let storage: Arc<FsStorage> = Arc::new(FsStorage::new(dir));
    let mut log = Log::open(storage, Config::default()).map_err(|e| log_err(&e))?;
    let (tx, rx) = std::sync::mpsc::channel::<(usize, String)>();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for (i, line) in stdin.lock().lines().enumerate() {
            let Ok(line) = line else { break };
            if tx.send((i + 1, line)).is_err() {
                break;
            }
        }
    });
    let mut bad_lines = 0u64;
    let mut out = std::io::stdout().lock();
    loop {
        let batch = collect_batch(&rx, 256, Duration::ZERO);
        if batch.is_empty() {
            break;
        }
        let mut events = Vec::with_capacity(batch.len());
        for (n, line) in batch {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Event>(&line)
                .map_err(|e| e.to_string())
                .and_then(|e| e.validate().map(|()| e).map_err(|e| e.to_string()))
            {
                Ok(e) => events.push(e),
                Err(e) => {
                    // The message names the line and the rule, never the line's content.
                    eprintln!(
                        "faxctl: error: stdin line {n}: not a valid event: {}",
                        redact(&e)
                    );
                    bad_lines += 1;
                }
            }
        }
        let seqs = log.append_batch(events).map_err(|e| log_err(&e))?;
        let mut text = String::with_capacity(seqs.len() * 12);
        for s in seqs {
            text.push_str(&format!("ack {s}\n"));
        }
        if out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            // The reader went away; what was acknowledged is durable. Stop here.
            break;
        }
    }
    log.close().map_err(|e| log_err(&e))?;
    if bad_lines > 0 {
        return Err(Failure::Invalid(format!(
            "{bad_lines} input lines were not valid events"
        )));
    }
    Ok(())
}

/// serde_json messages quote the offending value for some errors; keep only the kind.
fn redact(msg: &str) -> String {
    match msg.find('`') {
        Some(i) => format!("{}...", &msg[..i]),
        None => msg.to_owned(),
    }
}

fn read_root(
    dir: &Path,
    key: Option<&Path>,
) -> Result<phi_audit::checkpoint::VerifierKey, Failure> {
    match key {
        Some(k) => {
            let s = std::fs::read_to_string(k)
                .map_err(|e| Failure::Invalid(format!("{}: {e}", k.display())))?;
            phi_audit::checkpoint::VerifierKey::from_vkey(&s)
                .map_err(|e| Failure::Invalid(format!("{}: {e}", k.display())))
        }
        None => phi_audit::root_key(&FsStorage::new(dir)).map_err(|e| log_err(&e)),
    }
}

fn scan(
    dir: &Path,
    key: Option<&Path>,
    anchor: Option<&str>,
    records: bool,
) -> Result<Scanned, Failure> {
    let root = read_root(dir, key)?;
    scan_log(&FsStorage::new(dir), &root, Mode::Verify, records, anchor).map_err(|f| {
        print_stdout(&format!("bad {}\n", f.seq));
        Failure::Invalid(format!(
            "the log does not verify: first bad seq {}: {}",
            f.seq, f.reason
        ))
    })
}

fn verify(dir: &Path, key: Option<&Path>, anchor: Option<&Path>) -> Result<(), Failure> {
    let anchor = anchor
        .map(|p| {
            std::fs::read_to_string(p)
                .map_err(|e| Failure::Invalid(format!("{}: {e}", p.display())))
        })
        .transpose()?;
    let s = scan(dir, key, anchor.as_deref(), false)?;
    print_stdout(&format!(
        "ok {} events, {} segments, root {}\n",
        s.tree.size(),
        s.segments.len(),
        hex(&s.tree.root())
    ));
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn prove(dir: &Path, seq: u64) -> Result<(), Failure> {
    let s = scan(dir, None, None, true)?;
    let size = s.tree.size();
    let i = usize::try_from(seq).unwrap_or(usize::MAX);
    let (Some(bytes), Some(note)) = (s.record_bytes.get(i), s.last_note.as_deref()) else {
        return Err(Failure::Invalid(format!(
            "seq {seq} is not in the log (size {size})"
        )));
    };
    let path = s
        .tree
        .inclusion_proof(seq, size)
        .map_err(|e| Failure::Invalid(e.to_string()))?;
    let proof = Proof::new(bytes, seq, size, &path, note, &s.certs);
    let text = serde_json::to_string_pretty(&proof).map_err(|e| Failure::Invalid(e.to_string()))?;
    print_stdout(&format!("{text}\n"));
    Ok(())
}

fn read_text(p: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(p).map_err(|e| Failure::Invalid(format!("{}: {e}", p.display())))
}

fn prove_since(dir: &Path, old: &Path) -> Result<(), Failure> {
    let old_note = read_text(old)?;
    let s = scan(dir, None, Some(&old_note), false)?;
    // The scan above already checked that the log contains this signed checkpoint.
    let body = old_note
        .split_once("\n\n")
        .map_or(old_note.as_str(), |(b, _)| b);
    let old_size = phi_audit::checkpoint::Checkpoint::parse_body(&format!("{body}\n"))
        .map_err(|e| Failure::Invalid(format!("{}: {e}", old.display())))?
        .size;
    let size = s.tree.size();
    let note = s
        .last_note
        .as_deref()
        .ok_or_else(|| Failure::Invalid("the log has no checkpoint yet".into()))?;
    let path = s
        .tree
        .consistency_proof(old_size, size)
        .map_err(|e| Failure::Invalid(e.to_string()))?;
    let b = phi_audit::proof::ConsistencyBundle::new(old_size, size, &path, note, &s.certs);
    let text = serde_json::to_string_pretty(&b).map_err(|e| Failure::Invalid(e.to_string()))?;
    print_stdout(&format!("{text}\n"));
    Ok(())
}

fn check_proof(key: &Path, old: Option<&Path>) -> Result<(), Failure> {
    let root = read_root(Path::new("."), Some(key))?;
    let mut input = String::new();
    std::io::stdin()
        .lock()
        .read_to_string_lossy(&mut input)
        .map_err(|e| Failure::Invalid(format!("stdin: {e}")))?;
    if let Some(old) = old {
        let old_note = read_text(old)?;
        let b: phi_audit::proof::ConsistencyBundle = serde_json::from_str(&input).map_err(|e| {
            Failure::Invalid(format!("consistency bundle: {}", redact(&e.to_string())))
        })?;
        let new = b
            .verify(&old_note, &root)
            .map_err(|e| Failure::Invalid(format!("the consistency proof does not verify: {e}")))?;
        print_stdout(&format!(
            "ok tree of size {} extends size {}\n",
            new.size, b.old_size
        ));
        return Ok(());
    }
    let proof: Proof = serde_json::from_str(&input)
        .map_err(|e| Failure::Invalid(format!("proof: {}", redact(&e.to_string()))))?;
    let (rec, cp) = proof
        .verify(&root)
        .map_err(|e| Failure::Invalid(format!("the proof does not verify: {e}")))?;
    print_stdout(&format!(
        "ok seq {} included in tree of size {}\n",
        rec.seq, cp.size
    ));
    Ok(())
}

fn verify_receipt(
    file: &Path,
    key: Option<&Path>,
    log: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    use faxkit_examples::receipt::{verify_summary, Receipt, ReceiptError};
    let root = read_root(log.unwrap_or(Path::new(".")), key)?;
    let text = read_text(file)?;
    let receipt: Receipt = serde_json::from_str(&text).map_err(|e| {
        Failure::Invalid(format!(
            "{}: not a delivery receipt: {}",
            file.display(),
            redact(&e.to_string())
        ))
    })?;
    let size = verify_summary(&receipt, &root).map_err(|e| {
        Failure::Invalid(match e {
            ReceiptError::Mismatch(field) => format!(
                "the receipt does not verify: field {field} differs from its audit event (the receipt was altered)"
            ),
            e => format!("the receipt does not verify: {e}"),
        })
    })?;
    if json {
        let v = serde_json::json!({
            "ok": true,
            "job": receipt.job,
            "time": receipt.time,
            "destination_token": receipt.destination_token,
            "pages": receipt.pages,
            "t30_result": receipt.t30_result,
            "delivered": receipt.delivered,
            "document_sha256": receipt.document_sha256,
            "seq": receipt.proof.seq,
            "checkpoint_size": size,
        });
        print_stdout(&format!("{v}\n"));
        return Ok(());
    }
    print_stdout(&format!(
        "ok receipt job {} pages {} result {} delivered {} checkpoint {}\n",
        printable(&receipt.job),
        receipt.pages,
        printable(&receipt.t30_result),
        if receipt.delivered { "yes" } else { "no" },
        size
    ));
    Ok(())
}

/// Keeps a one-line summary one line: control characters become `?`.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

trait ReadAll {
    fn read_to_string_lossy(&mut self, s: &mut String) -> std::io::Result<usize>;
}

impl<R: std::io::Read> ReadAll for R {
    fn read_to_string_lossy(&mut self, s: &mut String) -> std::io::Result<usize> {
        let mut b = Vec::new();
        let n = self.read_to_end(&mut b)?;
        s.push_str(&String::from_utf8_lossy(&b));
        Ok(n)
    }
}

fn forward(
    dir: &Path,
    to: &str,
    ca: &Path,
    name: Option<&str>,
    hostname: &str,
) -> Result<(), Failure> {
    let ca_pem =
        std::fs::read(ca).map_err(|e| Failure::Invalid(format!("{}: {e}", ca.display())))?;
    let host = to.rsplit_once(':').map_or(to, |(h, _)| h);
    let mut stream = phi_audit::forward::tls::connect(to, name.unwrap_or(host), &ca_pem)
        .map_err(|e| Failure::Invalid(format!("syslog receiver {to}: {e}")))?;
    let mut format = phi_audit::forward::Format::default();
    format.hostname = hostname.to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    let n = phi_audit::forward::forward_once(&FsStorage::new(dir), &format, &mut stream, now)
        .map_err(|e| log_err(&e))?;
    stream.conn.send_close_notify();
    let _ = stream.flush();
    print_stdout(&format!("forwarded {n} events\n"));
    Ok(())
}

/// A bound: a seq if it is a number, else a UTC date or date-time.
fn bound(s: Option<&str>, range: &mut Range, upper: bool) -> Result<(), Failure> {
    let Some(s) = s else { return Ok(()) };
    if let Ok(n) = s.parse::<u64>() {
        if upper {
            range.to_seq = n;
        } else {
            range.from_seq = n;
        }
        return Ok(());
    }
    let t = phi_audit::time::parse(s).ok_or_else(|| {
        Failure::Usage(format!("--from/--to: {s:?} is neither a seq nor a UTC date (2026-01-31 or 2026-01-31T12:00:00Z)"))
    })?;
    if upper {
        // A bare date as the upper bound means the whole day.
        range.to_ns = if s.contains('T') {
            t
        } else {
            t + 86_400_000_000_000 - 1
        };
    } else {
        range.from_ns = t;
    }
    Ok(())
}

fn export(
    dir: &Path,
    format: ExportFormat,
    (from, to): (Option<&str>, Option<&str>),
    reveal: bool,
    patient: Option<&str>,
    fax_number: Option<&str>,
) -> Result<(), Failure> {
    let mut range = Range::default();
    bound(from, &mut range, false)?;
    bound(to, &mut range, true)?;
    let reveal = if reveal || format == ExportFormat::Disclosures {
        record_export(dir, format)?;
        Reveal::Yes
    } else {
        Reveal::No
    };
    let s = scan(dir, None, None, true)?;
    let storage = FsStorage::new(dir);
    let mut ex = Exporter::new(&s, &storage, reveal);
    if let Some(n) = fax_number {
        let tokens = phi_audit::token_key(&storage).map_err(|e| log_err(&e))?;
        ex = ex.only_token(tokens.token(phi_audit::seal::TokenKind::FaxNumber, n));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let r = match format {
        ExportFormat::Jsonl => ex.jsonl(range, &mut out),
        ExportFormat::Csv => ex.csv(range, &mut out),
        ExportFormat::Fhir => ex.fhir(range, &mut out),
        ExportFormat::Disclosures => {
            let p = patient
                .ok_or_else(|| Failure::Usage("--format disclosures needs --patient".into()))?;
            let tokens = phi_audit::token_key(&storage).map_err(|e| log_err(&e))?;
            ex.disclosures(&tokens, p, range, &mut out)
        }
    };
    r.map_err(|e| log_err(&e))?;
    out.flush()
        .map_err(|e| Failure::Invalid(format!("stdout: {e}")))?;
    Ok(())
}

/// A revealing export discloses PHI: record it before anything is written.
fn record_export(dir: &Path, format: ExportFormat) -> Result<(), Failure> {
    let mut log =
        Log::open(Arc::new(FsStorage::new(dir)), Config::default()).map_err(|e| log_err(&e))?;
    let mut e = Event::new(
        phi_audit::Kind::PhiExport,
        phi_audit::Outcome::Success,
        &whoami(),
    );
    e.actor.role = "auditor".into();
    e.objects.push(phi_audit::event::ObjectRef {
        kind: "audit_log".into(),
        id: format!("{format:?}").to_lowercase(),
        role: "export".into(),
        header_sha256: None,
    });
    log.append(e).map_err(|e| log_err(&e))?;
    log.close().map_err(|e| log_err(&e))
}

fn whoami() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "faxctl".into())
}
