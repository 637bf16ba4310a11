//! Errors by blame. Cryptographic failures say nothing an attacker could use: a flipped bit,
//! a swapped header, a truncated body and a wrong data key all give the same
//! [`StoreError::Integrity`].

use thiserror::Error;

/// Every way a store operation can fail.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The object (or a key record) failed authentication: it was altered, truncated,
    /// reordered, moved to another header, or is being opened with the wrong data key.
    /// Nothing was decrypted. Restore the object from a backup; do not retry.
    #[error(
        "object failed authentication (altered, truncated or wrong key); nothing was decrypted"
    )]
    Integrity,
    /// The bytes are not a phi-store v1 object (bad magic, version or structure).
    #[error("not a phi-store v1 object (bad preamble or structure)")]
    Malformed,
    /// The object belongs to another tenant than the one asked for.
    #[error("object belongs to another tenant")]
    WrongTenant,
    /// The key-encryption key named by the object is not known to the key provider.
    #[error("key-encryption key unknown to the key provider")]
    UnknownKey,
    /// The object is wrapped under a KEK version that was retired: run `rewrap` before
    /// retiring versions that objects still use.
    #[error("object is wrapped under a retired key version; rewrap before retiring")]
    RetiredKeyVersion,
    /// The object (or its whole class) was crypto-shredded: its data key no longer exists.
    #[error("object was crypto-shredded; its content cannot be recovered")]
    Shredded,
    /// No object with this id in this tenant.
    #[error("no such object")]
    NotFound,
    /// An object with this name already exists (create-only puts never overwrite).
    #[error("object already exists")]
    AlreadyExists,
    /// The access policy denied the request (the decision was audited).
    #[error("access denied by policy")]
    Denied,
    /// Retention or a legal hold forbids deleting this object now.
    #[error("retention policy or legal hold forbids deleting this object now")]
    Retained,
    /// The request is invalid (bad name, range outside the object, derived artifact used as
    /// an original, ...). The message names the field, never content.
    #[error("invalid request: {0}")]
    Invalid(&'static str),
    /// A configured limit was exceeded.
    #[error("limit exceeded: {0}")]
    Limit(&'static str),
    /// The key file could not be opened: wrong passphrase, or the file was altered.
    #[error("key file cannot be opened: wrong passphrase or altered file")]
    KeyFile,
    /// The storage backend failed (disk, network). The object was not acknowledged.
    #[error("storage backend failed: {0}")]
    Backend(#[from] std::io::Error),
    /// A fault injected by a test backend.
    #[error("injected fault")]
    Injected,
}

impl StoreError {
    /// True when the error is one of the detail-free authentication failures.
    pub fn is_integrity(&self) -> bool {
        matches!(self, StoreError::Integrity | StoreError::Malformed)
    }
}

/// Short alias used throughout the crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
