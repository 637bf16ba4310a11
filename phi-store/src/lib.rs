//! Encrypted storage for fax images and metadata: envelope AES-256-GCM, rotation, crypto-shredding, retention, access policy
//!
//! (Skeleton: the implementation lands with its issue.)
#![forbid(unsafe_code)]
