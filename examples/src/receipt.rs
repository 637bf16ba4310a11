//! Delivery receipts: a JSON document for one outbound fax (time, destination token, pages,
//! T.30 result, SHA-256 of the sent document) that is itself an audit entry, carrying an
//! inclusion proof and the signed checkpoint, so that anyone holding the log's public key can
//! verify it offline (`faxctl audit verify-receipt`).
//!
//! PLACEHOLDER API (the implementation replaces the bodies; the signatures are the contract
//! `faxd` builds against).

use phi_audit::checkpoint::VerifierKey;
use phi_audit::Log;
use serde::{Deserialize, Serialize};

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
    /// Not built yet (placeholder).
    #[error("receipts are not implemented yet")]
    Unimplemented,
}

/// Appends the delivery-status event for `delivery` to `log`, makes it durable under a new
/// signed checkpoint, and returns its receipt.
///
/// # Errors
/// [`ReceiptError::Log`] if the log cannot append or checkpoint.
pub fn issue(log: &mut Log, delivery: &Delivery) -> Result<Receipt, ReceiptError> {
    let _ = (log, delivery);
    Err(ReceiptError::Unimplemented)
}

/// Verifies `receipt` offline with only the log's root public key.
///
/// # Errors
/// The first check that fails.
pub fn verify(receipt: &Receipt, root: &VerifierKey) -> Result<(), ReceiptError> {
    let _ = (receipt, root);
    Err(ReceiptError::Unimplemented)
}
