//! Error types, by blame: malformed bytes ([`DecodeError`]), a failed proof or signature
//! ([`VerifyError`]), a caller's event that breaks a rule ([`EventError`]), and the log's own
//! I/O and state ([`LogError`]).

/// Bytes that are not a valid encoding (an event, a segment header, a certificate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The data ends inside a value.
    #[error("data ends inside a value")]
    Truncated,
    /// Bytes are left after the value.
    #[error("trailing bytes after the value")]
    TrailingBytes,
    /// A string or byte field is longer than the limit.
    #[error("a field is longer than the limit")]
    TooLong,
    /// A list has more entries than the limit.
    #[error("a list has more entries than the limit")]
    TooMany,
    /// A text field is not UTF-8.
    #[error("a text field is not UTF-8")]
    BadUtf8,
    /// An enum or option tag with no meaning in this schema version.
    #[error("unknown tag")]
    BadTag,
    /// A schema version this build does not read.
    #[error("unsupported schema version {0}")]
    Schema(u16),
    /// A magic number or format marker is wrong.
    #[error("not a phi-audit file (bad magic)")]
    BadMagic,
}

/// A proof, checkpoint or signature that does not verify.
///
/// The variants say which check failed, never anything derived from secret data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The index or sizes are out of range for the tree (e.g. index >= size, size1 > size2).
    #[error("index or tree size out of range")]
    Range,
    /// The proof has the wrong number of hashes for the index and size.
    #[error("proof has the wrong length")]
    ProofLength,
    /// The recomputed root differs from the expected root.
    #[error("root hash mismatch")]
    RootMismatch,
    /// A checkpoint note is malformed.
    #[error("malformed checkpoint: {0}")]
    Checkpoint(&'static str),
    /// No signature by a trusted key, or a signature that does not verify.
    #[error("no valid signature by a trusted key")]
    Signature,
    /// A segment key certificate does not verify against the previous key.
    #[error("segment key certificate does not verify")]
    Certificate,
    /// The leaf hashes a proof needs could not be read from the tree's leaf store.
    #[error("the tree's leaf store failed (rebuild it from the segments)")]
    LeafStore,
}

/// An event that the log refuses to record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// Every event needs an actor principal (164.312(a)(2)(i) unique user identification).
    #[error("the actor principal is empty: every event needs a unique user id")]
    NoPrincipal,
    /// A field exceeds the schema's limit.
    #[error("field {0} exceeds its limit (see phi_audit::limits)")]
    TooLong(&'static str),
    /// JSON input that is not a valid event.
    #[error("not a valid event: {0}")]
    Json(String),
}

/// An error of the log itself (storage, recovery, configuration).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// A storage operation failed. After a failed `fdatasync` the log is closed (fail-closed):
    /// reopen it, which runs crash recovery.
    #[error("storage error during {op}: {source}")]
    Io {
        /// What the log was doing.
        op: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An earlier write or sync failed; the log accepts nothing more until it is reopened.
    #[error("the log failed earlier and is closed; reopen it to recover")]
    Poisoned,
    /// Recovery found fewer events than the last signed checkpoint covers: acknowledged
    /// events are missing. The log refuses to start; restore the segments from a mirror or
    /// backup, or investigate tampering.
    #[error(
        "acknowledged events are missing: log has {found} events, checkpoint covers {checkpoint}"
    )]
    MissingAcknowledged {
        /// Events found on disk.
        found: u64,
        /// Size of the newest signed checkpoint.
        checkpoint: u64,
    },
    /// Stored data does not verify (see `verify` for the first bad seq).
    #[error("the stored log is corrupt at seq {seq}: {reason}")]
    Corrupt {
        /// First bad seq.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// No keys: run `init` first.
    #[error("no keys in the log directory: run `faxctl audit init --log DIR` first")]
    NotInitialised,
    /// A key file is unreadable or malformed.
    #[error("key file {0} is malformed")]
    BadKey(&'static str),
    /// The event was refused.
    #[error(transparent)]
    Event(#[from] EventError),
    /// A sequence number that the log does not hold.
    #[error("seq {0} is not in the log")]
    NoSuchSeq(u64),
    /// The object-store mirror failed (feature `mirror`).
    #[error("mirror: {0}")]
    Mirror(String),
    /// A retention rule forbids the operation (e.g. expiry under legal hold).
    #[error("retention: {0}")]
    Retention(&'static str),
}

impl LogError {
    pub(crate) fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> LogError {
        move |source| LogError::Io { op, source }
    }
}
