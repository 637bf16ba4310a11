//! A tamper-evident, crash-safe audit trail: RFC 6962 Merkle tree, signed checkpoints, proofs
//!
//! (Skeleton: the implementation lands with its issue.)
#![forbid(unsafe_code)]
