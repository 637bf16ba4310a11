//! The one error type of the server and its client commands. Every message says what went
//! wrong and what to do, and names no PHI: never a fax number, name, subaddress or patient
//! reference, only ids, paths the operator chose and counts.

/// Why a faxd operation failed; the variant decides `faxctl`'s exit status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaxdError {
    /// Bad arguments or a request that cannot be understood (exit 1).
    #[error("{0}")]
    Usage(String),
    /// Input, configuration or state that cannot be used, or a refused request (exit 2).
    #[error("{0}")]
    Invalid(String),
    /// A limit was exceeded, e.g. more pages than the destination class allows (exit 3).
    #[error("{0}")]
    Limit(String),
}

impl FaxdError {
    /// The `faxctl` exit status for this error: 1 usage, 2 invalid, 3 limit.
    pub fn exit_code(&self) -> u8 {
        match self {
            FaxdError::Usage(_) => 1,
            FaxdError::Invalid(_) => 2,
            FaxdError::Limit(_) => 3,
        }
    }

    /// An I/O error about `what` (a path or a component name; never PHI).
    pub fn io(what: impl core::fmt::Display, e: &std::io::Error) -> FaxdError {
        FaxdError::Invalid(format!("{what}: {e}"))
    }

    /// A store error about `what`.
    pub fn store(what: &str, e: &phi_store::StoreError) -> FaxdError {
        FaxdError::Invalid(format!("store: {what}: {e}"))
    }

    /// An audit log error about `what`.
    pub fn audit(what: &str, e: &phi_audit::LogError) -> FaxdError {
        FaxdError::Invalid(format!("audit log: {what}: {e}"))
    }
}

/// Results of faxd operations.
pub type Result<T> = core::result::Result<T, FaxdError>;
