//! The audit log has one writer at a time (phi-audit's `Log` is a single writer). faxd holds
//! `run/faxd.lock` while it runs and is that writer; a `faxctl` command that must record an
//! event (submit, inbox access) either takes the lock itself when faxd is not running, or
//! hands its events to the running faxd through the spool directory and waits for the
//! acknowledgement:
//!
//! ```text
//! faxctl: spool/audit/<id>.json   (atomic: JSON array of events)
//! faxd:   appends them durably, writes spool/audit/<id>.ack (the seqs), removes <id>.json
//! faxctl: reads the .ack, removes it; no ack within 30 s is an error
//! ```
//!
//! A crash of faxd between the append and the removal replays the file at the next start:
//! an event may then be recorded twice (with the same `correlation.request_id`), never lost.

use super::data::{random_hex, write_atomic, DataDir};
use super::error::{FaxdError, Result};
use super::store::GATEWAY;
use phi_audit::event::{ObjectRef, Purpose as AuditPurpose};
use phi_audit::storage::FsStorage;
use phi_audit::{Event, Kind, Log, Outcome};
use phi_store::audit::{AuditEvent, KeyOp, RetentionOp};
use phi_store::policy::{Decision, Purpose};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a client waits for the running faxd to acknowledge spooled events.
const ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// The software named in every event's source.
pub const SOFTWARE: &str = concat!("faxkit faxd ", env!("CARGO_PKG_VERSION"));

/// Opens the lock file (created if missing).
///
/// # Errors
/// The I/O error.
pub fn lock_file(data: &DataDir) -> Result<File> {
    super::data::make_private_dir(&data.run())?;
    let p = data.lock();
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .map_err(|e| FaxdError::io(p.display(), &e))
}

/// Opens the audit log of `data` (the caller holds the lock).
///
/// # Errors
/// A missing or damaged log.
pub fn open_log(data: &DataDir) -> Result<Log> {
    let storage = Arc::new(FsStorage::new(data.audit()));
    Log::open(storage, phi_audit::Config::default()).map_err(|e| FaxdError::audit("open", &e))
}

/// Records `events` durably from a client process: directly when no faxd runs, else through
/// the running faxd. Returns their seqs.
///
/// # Errors
/// The log cannot be opened or appended to, or the running faxd did not acknowledge.
pub fn record(data: &DataDir, events: Vec<Event>) -> Result<Vec<u64>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let lock = lock_file(data)?;
    match lock.try_lock() {
        Ok(()) => {
            let mut log = open_log(data)?;
            let seqs = log
                .append_batch(events)
                .map_err(|e| FaxdError::audit("append", &e))?;
            log.close().map_err(|e| FaxdError::audit("close", &e))?;
            drop(lock);
            Ok(seqs)
        }
        Err(std::fs::TryLockError::WouldBlock) => spool(data, &events),
        Err(std::fs::TryLockError::Error(e)) => Err(FaxdError::io(data.lock().display(), &e)),
    }
}

fn spool(data: &DataDir, events: &[Event]) -> Result<Vec<u64>> {
    let dir = data.audit_spool();
    super::data::make_private_dir(&dir)?;
    let id = random_hex(12);
    let json = serde_json::to_vec(events).map_err(|e| FaxdError::Invalid(e.to_string()))?;
    write_atomic(&dir.join(format!("{id}.json")), &json)?;
    let ack = dir.join(format!("{id}.ack"));
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&ack) {
            let _ = std::fs::remove_file(&ack);
            return serde_json::from_str(&text).map_err(|_| {
                FaxdError::Invalid(format!("{}: bad acknowledgement", ack.display()))
            });
        }
        if start.elapsed() > ACK_TIMEOUT {
            return Err(FaxdError::Invalid(format!(
                "faxd holds the audit log but did not record the events within {} s \
                 (they stay in {} for its next start)",
                ACK_TIMEOUT.as_secs(),
                dir.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// faxd's side: appends every spooled event file and acknowledges it. Returns how many
/// events were recorded. A file that does not parse is renamed `.bad` and reported.
///
/// # Errors
/// An append that failed (the file stays for the next try).
pub fn ingest_spool(data: &DataDir, log: &mut Log) -> Result<usize> {
    let dir = data.audit_spool();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(0);
    };
    let mut n = 0;
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let events: Vec<Event> = match std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            Some(v) => v,
            None => {
                tracing::warn!("an audit spool file does not parse; renamed .bad");
                let _ = std::fs::rename(&path, path.with_extension("bad"));
                continue;
            }
        };
        let count = events.len();
        let seqs = log
            .append_batch(events)
            .map_err(|e| FaxdError::audit("append", &e))?;
        let ack = serde_json::to_vec(&seqs).map_err(|e| FaxdError::Invalid(e.to_string()))?;
        write_atomic(&path.with_extension("ack"), &ack)?;
        let _ = std::fs::remove_file(&path);
        n += count;
    }
    Ok(n)
}

/// A new event with the source filled in.
pub fn event(kind: Kind, outcome: Outcome, principal: &str, role: &str) -> Event {
    let mut e = Event::new(kind, outcome, principal);
    e.actor.role = role.into();
    e.source.software = SOFTWARE.into();
    e
}

/// A reference to a stored object.
pub fn object(id: &str, role: &str) -> ObjectRef {
    ObjectRef {
        kind: "store_object".into(),
        id: id.into(),
        role: role.into(),
        header_sha256: None,
    }
}

/// A reference to a send job.
pub fn job_ref(id: &str) -> ObjectRef {
    ObjectRef {
        kind: "fax_job".into(),
        id: id.into(),
        role: "job".into(),
        header_sha256: None,
    }
}

fn purpose(p: Purpose) -> AuditPurpose {
    match p {
        Purpose::Treatment => AuditPurpose::Treatment,
        Purpose::Payment => AuditPurpose::Payment,
        Purpose::Operations => AuditPurpose::Operations,
        Purpose::AuthorizedDisclosure => AuditPurpose::Disclosure,
        _ => AuditPurpose::Other,
    }
}

/// The audit events for what the store reported: every access decision (allow or deny),
/// shredding and expiry. Key wrapping and unwrapping are implied by the decisions and not
/// repeated. `role` is the role the caller acted in (the store's events name only the
/// principal).
pub fn from_store(events: Vec<AuditEvent>, role: &str) -> Vec<Event> {
    let mut out = Vec::new();
    for ev in events {
        match ev {
            AuditEvent::Access {
                principal,
                purpose: p,
                action,
                tenant,
                class,
                object: obj,
                decision,
            } => {
                let outcome = match decision {
                    Decision::Allow => Outcome::Success,
                    Decision::Deny => Outcome::MinorFailure,
                };
                let mut e = event(Kind::PolicyDecision, outcome, principal.as_str(), role);
                e.purpose = purpose(p);
                e.correlation.request_id = format!(
                    "{action:?} tenant={tenant} class={}",
                    class.as_ref().map_or("-", |c| c.as_str())
                )
                .to_lowercase();
                if let Some(id) = obj {
                    e.objects.push(object(&id.to_string(), "subject"));
                }
                out.push(e);
            }
            AuditEvent::Key {
                op: KeyOp::ShredObject,
                object: Some(id),
                ..
            } => {
                let mut e = event(Kind::KeyDestroy, Outcome::Success, GATEWAY, "gateway");
                e.objects.push(object(&id.to_string(), "shredded"));
                out.push(e);
            }
            AuditEvent::Retention {
                op,
                tenant,
                object: id,
            } => {
                let kind = match op {
                    RetentionOp::ExpireContent | RetentionOp::ExpireMetadata => {
                        Kind::RetentionExpire
                    }
                    RetentionOp::Hold => Kind::RetentionHold,
                    RetentionOp::Release => Kind::RetentionRelease,
                    RetentionOp::Delete => Kind::PhiDelete,
                    // The final delivery is recorded as the job's delivery status.
                    _ => continue,
                };
                let mut e = event(kind, Outcome::Success, GATEWAY, "gateway");
                e.correlation.request_id = format!("{op:?} tenant={tenant}").to_lowercase();
                e.objects.push(object(&id.to_string(), "subject"));
                out.push(e);
            }
            _ => {}
        }
    }
    out
}

/// True if `path` looks like an initialised audit log.
pub fn exists(dir: &Path) -> bool {
    dir.join(phi_audit::ROOT_PUB).is_file()
}
