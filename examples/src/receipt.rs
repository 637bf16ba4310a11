//! Delivery receipts: a JSON document for one outbound fax (time, destination token, pages,
//! T.30 result, SHA-256 of the sent document) that is itself an audit entry, carrying an
//! inclusion proof and the signed checkpoint, so that anyone holding the log's public key can
//! verify it offline (`faxctl audit verify-receipt`).
//!
//! A receipt is not a second source of truth: [`issue`] appends one `delivery_status` event
//! to the audit log and copies the receipt's fields *out of the stored record*, and [`verify`]
//! checks the proof first and then that every field still equals what the proven record says.
//! Editing any field, the record, the Merkle path or the checkpoint makes it fail. The
//! destination number itself never appears: the record holds it sealed (crypto-shredded at
//! retention expiry) plus the log's keyed token of it, and the receipt carries that token,
//! which an auditor holding the token key can match against a number.
//!
//! ```
//! use faxkit_examples::receipt::{issue, verify, Delivery};
//! use phi_audit::storage::FsStorage;
//! use std::sync::Arc;
//!
//! let dir = tempfile::tempdir()?;
//! let storage = Arc::new(FsStorage::new(dir.path()));
//! phi_audit::init(storage.as_ref(), "clinic.example/audit")?;
//! let root = phi_audit::root_key(storage.as_ref())?;
//! let mut log = phi_audit::Log::open(storage, phi_audit::Config::default())?;
//!
//! let delivery = Delivery {
//!     job: "job-0001".into(),
//!     remote_number: "+1 555 0199".into(),
//!     local_number: "+15550100".into(),
//!     pages: 4,
//!     t30_result: "Ok".into(),
//!     delivered: true,
//!     document_sha256: "ab".repeat(32),
//!     call_id: "call-7".into(),
//!     attempt: 1,
//! };
//! let receipt = issue(&mut log, &delivery)?;
//! let json = serde_json::to_string(&receipt)?;
//! assert!(!json.contains("555 0199")); // the number is not in the receipt
//!
//! // Anyone with the public key checks it offline.
//! let back: faxkit_examples::receipt::Receipt = serde_json::from_str(&json)?;
//! verify(&back, &root)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use phi_audit::checkpoint::VerifierKey;
use phi_audit::event::{Direction, Fax, ObjectRef, Sensitive};
use phi_audit::{Event, Kind, Log, LogError, Outcome, Record};
use serde::{Deserialize, Serialize};

/// The receipt format version [`issue`] writes and [`verify`] accepts.
pub const VERSION: u32 = 1;

/// The object kind under which the sent document's SHA-256 is recorded.
pub const DOCUMENT_OBJECT: &str = "document-sha256";

/// The object kind under which the send job is recorded.
pub const JOB_OBJECT: &str = "fax_job";

/// The principal of delivery-status events (the server acts, not a user).
pub const PRINCIPAL: &str = "faxd";

/// The facts of one delivery attempt that end a send job.
#[derive(Clone)]
pub struct Delivery {
    /// The send job's id (not PHI).
    pub job: String,
    /// The destination fax number (PHI: sealed in the audit event, a keyed token in the receipt).
    pub remote_number: String,
    /// Our number.
    pub local_number: String,
    /// Pages delivered (the cover page included).
    pub pages: u32,
    /// The T.30 result, e.g. `Ok` or the failure's name.
    pub t30_result: String,
    /// Whether the fax was delivered.
    pub delivered: bool,
    /// SHA-256 of the document as sent (every page's bitmap, in order), lowercase hex.
    pub document_sha256: String,
    /// The call id.
    pub call_id: String,
    /// Which attempt this was (1 = first).
    pub attempt: u32,
}

impl core::fmt::Debug for Delivery {
    /// Leaves out the remote number (PHI).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Delivery")
            .field("job", &self.job)
            .field("pages", &self.pages)
            .field("t30_result", &self.t30_result)
            .field("delivered", &self.delivered)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// A delivery receipt (serialised as JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Receipt format version (1).
    pub version: u32,
    /// The send job's id.
    pub job: String,
    /// When the delivery status was recorded (RFC 3339, UTC).
    pub time: String,
    /// The keyed token of the destination number (the audit log's HMAC token), hex.
    pub destination_token: String,
    /// Pages delivered.
    pub pages: u32,
    /// The T.30 result.
    pub t30_result: String,
    /// Whether the fax was delivered.
    pub delivered: bool,
    /// SHA-256 of the sent document, lowercase hex.
    pub document_sha256: String,
    /// The inclusion proof of the delivery-status event under a signed checkpoint.
    pub proof: phi_audit::Proof,
}

/// Why a receipt could not be issued or verified.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// The audit log failed.
    #[error("audit log: {0}")]
    Log(#[from] phi_audit::LogError),
    /// The proof does not verify.
    #[error("receipt proof does not verify: {0}")]
    Proof(#[from] phi_audit::VerifyError),
    /// The receipt's fields differ from the audit event it proves.
    #[error("receipt field {0} does not match its audit event")]
    Mismatch(&'static str),
    /// Not built yet (placeholder; no longer returned).
    #[error("receipts are not implemented yet")]
    Unimplemented,
}

/// The delivery-status event for `d` (the remote number in the sealed fields).
fn event(d: &Delivery) -> Event {
    let outcome = if d.delivered {
        Outcome::Success
    } else {
        // An undelivered fax is a serious failure for the sender (ATNA code 8); the T.30
        // result says why.
        Outcome::SeriousFailure
    };
    let mut e = Event::new(Kind::DeliveryStatus, outcome, PRINCIPAL);
    e.actor.role = "system".into();
    e.objects.push(ObjectRef {
        kind: JOB_OBJECT.into(),
        id: d.job.clone(),
        role: "job".into(),
        header_sha256: None,
    });
    e.objects.push(ObjectRef {
        kind: DOCUMENT_OBJECT.into(),
        id: d.document_sha256.to_ascii_lowercase(),
        role: "document".into(),
        header_sha256: None,
    });
    e.fax = Some(Fax {
        direction: Some(Direction::Send),
        local_number: d.local_number.clone(),
        pages: d.pages,
        t30_result: d.t30_result.clone(),
        call_id: d.call_id.clone(),
        attempt: d.attempt,
    });
    e.correlation.request_id = d.job.clone();
    e.sensitive = Sensitive {
        remote_number: Some(d.remote_number.clone()),
        ..Sensitive::default()
    };
    e
}

/// SHA-256 of a document as sent, lowercase hex (the value for
/// [`Delivery::document_sha256`]): for each page in order, its width in pels and its rows
/// (both `u32` big-endian), then its packed rows as [`t30::Page::data`] holds them (1 =
/// black, first pel in the most significant bit). The geometry is hashed too, so the same
/// bytes cut into differently sized pages give a different hash.
pub fn document_sha256(pages: &[t30::Page]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in pages {
        ctx.update(&p.columns.to_be_bytes());
        ctx.update(&p.rows.to_be_bytes());
        ctx.update(&p.data);
    }
    hex(ctx.finish().as_ref())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Reads back the canonical bytes of record `seq` from the segment file that holds it.
fn record_bytes(log: &Log, seq: u64) -> Result<Vec<u8>, LogError> {
    use phi_audit::segment::{parse_file_name, scan, TAG_EVENT};
    let missing = |reason: &str| LogError::Corrupt {
        seq,
        reason: reason.into(),
    };
    let storage = log.storage();
    let io = |op: &'static str| move |source| LogError::Io { op, source };
    let names = storage
        .list(phi_audit::scan::SEGMENTS)
        .map_err(io("list segments"))?;
    // Names sort in log order; the record is in the last segment starting at or before it.
    let name = names
        .iter()
        .rfind(|n| parse_file_name(n).is_some_and(|(_, first)| first <= seq))
        .ok_or_else(|| missing("no segment holds the delivery-status record"))?;
    let data = storage
        .read(&format!("{}/{name}", phi_audit::scan::SEGMENTS))
        .map_err(io("read segment"))?
        .ok_or_else(|| missing("the segment holding the record vanished"))?;
    let (frames, _) = scan(&data);
    let bytes = frames
        .iter()
        .filter_map(|f| f.payload.split_first())
        .filter(|(tag, _)| **tag == TAG_EVENT)
        .map(|(_, rec)| rec)
        .find(|rec| Record::peek_seq(rec).is_ok_and(|s| s == seq))
        .ok_or_else(|| missing("the delivery-status record is not in its segment"))?;
    // What we read back must be exactly what the tree holds.
    if log.tree().leaf(seq) != Some(phi_audit::merkle::leaf_hash(bytes)) {
        return Err(missing(
            "the record read back differs from the one appended",
        ));
    }
    Ok(bytes.to_vec())
}

/// Appends the delivery-status event for `delivery` to `log`, makes it durable under a new
/// signed checkpoint, and returns its receipt.
///
/// The event is a `delivery_status` with the fax fields (outbound, local number, pages,
/// T.30 result, call id, attempt), outcome `success` when delivered and `serious_failure`
/// otherwise, objects `fax_job` = the job and `document-sha256` = the document hash,
/// `correlation.request_id` = the job, and the remote number sealed. The checkpoint is also
/// anchored (`checkpoints.log`), so recovery cannot silently drop the event.
///
/// # Errors
/// [`ReceiptError::Log`] if the log cannot append or checkpoint (including an over-long
/// field, [`LogError::Event`]).
pub fn issue(log: &mut Log, delivery: &Delivery) -> Result<Receipt, ReceiptError> {
    let seq = log.append(event(delivery))?;
    log.anchor()?;
    let bytes = record_bytes(log, seq)?;
    let size = log.size();
    let note = log
        .checkpoint()
        .ok_or_else(|| LogError::Corrupt {
            seq,
            reason: "no signed checkpoint after the append".into(),
        })?
        .to_owned();
    let path = log.tree().inclusion_proof(seq, size)?;
    let proof = phi_audit::Proof::new(&bytes, seq, size, &path, &note, log.certs());
    let record = Record::decode(&bytes).map_err(|_| LogError::Corrupt {
        seq,
        reason: "the delivery-status record does not decode".into(),
    })?;
    let fields = fields_of(&record).ok_or(ReceiptError::Mismatch("kind"))?;
    Ok(Receipt {
        version: VERSION,
        job: fields.job,
        time: fields.time,
        destination_token: fields.destination_token,
        pages: fields.pages,
        t30_result: fields.t30_result,
        delivered: fields.delivered,
        document_sha256: fields.document_sha256,
        proof,
    })
}

/// The receipt fields a record states.
struct Fields {
    job: String,
    time: String,
    destination_token: String,
    pages: u32,
    t30_result: String,
    delivered: bool,
    document_sha256: String,
}

/// Reads the receipt fields out of a delivery-status record; `None` if it is not an
/// outbound delivery status with one job, one document and one token.
fn fields_of(rec: &Record) -> Option<Fields> {
    let e = &rec.event;
    if e.kind != Kind::DeliveryStatus {
        return None;
    }
    let fax = e.fax.as_ref()?;
    if fax.direction != Some(Direction::Send) {
        return None;
    }
    let one = |kind: &str| {
        let mut it = e.objects.iter().filter(|o| o.kind == kind);
        match (it.next(), it.next()) {
            (Some(o), None) => Some(o.id.clone()),
            _ => None,
        }
    };
    let [token] = rec.tokens.as_slice() else {
        return None;
    };
    Some(Fields {
        job: one(JOB_OBJECT)?,
        time: phi_audit::time::rfc3339(rec.time_ns),
        destination_token: hex(token),
        pages: fax.pages,
        t30_result: fax.t30_result.clone(),
        delivered: e.outcome == Outcome::Success,
        document_sha256: one(DOCUMENT_OBJECT)?,
    })
}

/// Verifies `receipt` offline with only the log's root public key.
///
/// First the proof (certificate chain from `root`, checkpoint signature, Merkle path from the
/// record to the signed root), then every receipt field against the proven record.
///
/// # Errors
/// The first check that fails: [`ReceiptError::Proof`] for the proof,
/// [`ReceiptError::Mismatch`] naming the first field that differs (`version` for a format
/// this code does not know, `kind` for a proven record that is not an outbound delivery
/// status).
pub fn verify(receipt: &Receipt, root: &VerifierKey) -> Result<(), ReceiptError> {
    let (record, _checkpoint) = receipt.proof.verify(root)?;
    check_fields(receipt, &record)
}

/// Verifies like [`verify`] and returns the size of the checkpoint that includes the record
/// (for summaries).
///
/// # Errors
/// As [`verify`].
pub fn verify_summary(receipt: &Receipt, root: &VerifierKey) -> Result<u64, ReceiptError> {
    let (record, checkpoint) = receipt.proof.verify(root)?;
    check_fields(receipt, &record)?;
    Ok(checkpoint.size)
}

fn check_fields(receipt: &Receipt, record: &Record) -> Result<(), ReceiptError> {
    if receipt.version != VERSION {
        return Err(ReceiptError::Mismatch("version"));
    }
    let f = fields_of(record).ok_or(ReceiptError::Mismatch("kind"))?;
    let checks: [(&'static str, bool); 7] = [
        ("job", receipt.job == f.job),
        ("time", receipt.time == f.time),
        (
            "destination_token",
            receipt.destination_token == f.destination_token,
        ),
        ("pages", receipt.pages == f.pages),
        ("t30_result", receipt.t30_result == f.t30_result),
        ("delivered", receipt.delivered == f.delivered),
        (
            "document_sha256",
            receipt.document_sha256 == f.document_sha256,
        ),
    ];
    match checks.iter().find(|(_, ok)| !ok) {
        Some((field, _)) => Err(ReceiptError::Mismatch(field)),
        None => Ok(()),
    }
}
