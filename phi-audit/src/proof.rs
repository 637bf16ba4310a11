//! A self-contained inclusion proof for auditors: the record's canonical bytes, the Merkle
//! path, the signed checkpoint and the segment-key certificates from the root. Verifying it
//! needs only the pinned root public key ([`Proof::verify`]); nothing is decrypted.

use crate::checkpoint::{verify_note, Checkpoint, VerifierKey};
use crate::error::VerifyError;
use crate::event::Record;
use crate::keys::{verify_chain, KeyCert};
use crate::merkle::{leaf_hash, verify_consistency, verify_inclusion, Hash};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// An inclusion proof bundle (JSON via serde; hashes and bytes in base64).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// The event's seq (its leaf index).
    pub seq: u64,
    /// The tree size the proof is for (the checkpoint's size).
    pub tree_size: u64,
    /// The record's canonical bytes, base64.
    pub record: String,
    /// The leaf hash, base64 (informational: recomputed from `record`).
    pub leaf_hash: String,
    /// The audit path, base64 hashes.
    pub path: Vec<String>,
    /// The signed checkpoint note.
    pub checkpoint: String,
    /// The segment-key certificates from segment 0 up to the signer's, hex.
    pub certs: Vec<String>,
}

fn b64_hash(s: &str) -> Result<Hash, VerifyError> {
    B64.decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(VerifyError::ProofLength)
}

impl Proof {
    /// Builds a bundle.
    pub fn new(
        record: &[u8],
        seq: u64,
        tree_size: u64,
        path: &[Hash],
        checkpoint: &str,
        certs: &[KeyCert],
    ) -> Self {
        Proof {
            seq,
            tree_size,
            record: B64.encode(record),
            leaf_hash: B64.encode(leaf_hash(record)),
            path: path.iter().map(|h| B64.encode(h)).collect(),
            checkpoint: checkpoint.to_owned(),
            certs: certs.iter().map(|c| crate::hex(&c.encode())).collect(),
        }
    }

    /// Verifies the bundle with only the root key and returns the decoded record and the
    /// checkpoint it is included in.
    ///
    /// # Errors
    /// The first [`VerifyError`]: certificate chain, checkpoint signature, size, record
    /// seq, or Merkle path.
    pub fn verify(&self, root: &VerifierKey) -> Result<(Record, Checkpoint), VerifyError> {
        let certs = self
            .certs
            .iter()
            .map(|h| {
                crate::unhex(h)
                    .and_then(|b| KeyCert::decode(&b).ok())
                    .ok_or(VerifyError::Certificate)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let keys = verify_chain(&root.name, &root.public, &certs)?;
        let cp = verify_note(&self.checkpoint, &keys)?;
        if cp.origin != root.name || cp.size != self.tree_size {
            return Err(VerifyError::Checkpoint(
                "checkpoint is for another log or size",
            ));
        }
        let record = B64
            .decode(&self.record)
            .map_err(|_| VerifyError::ProofLength)?;
        let rec = Record::decode(&record).map_err(|_| VerifyError::RootMismatch)?;
        if rec.seq != self.seq {
            return Err(VerifyError::Range);
        }
        let path = self
            .path
            .iter()
            .map(|s| b64_hash(s))
            .collect::<Result<Vec<_>, _>>()?;
        verify_inclusion(
            &leaf_hash(&record),
            self.seq,
            self.tree_size,
            &path,
            &cp.root,
        )?;
        Ok((rec, cp))
    }
}

/// Checks that signed checkpoint `new` extends signed checkpoint `old` (both verified with
/// `keys`), given a consistency proof.
///
/// # Errors
/// Any [`VerifyError`] of the notes or the proof.
pub fn verify_checkpoints_consistent(
    old: &str,
    new: &str,
    proof: &[Hash],
    keys: &[VerifierKey],
) -> Result<(Checkpoint, Checkpoint), VerifyError> {
    let a = verify_note(old, keys)?;
    let b = verify_note(new, keys)?;
    if a.origin != b.origin {
        return Err(VerifyError::Checkpoint("checkpoints of different logs"));
    }
    verify_consistency(a.size, b.size, &a.root, &b.root, proof)?;
    Ok((a, b))
}

/// A consistency proof bundle for an auditor who holds an older checkpoint: the path, the
/// newer signed checkpoint and the segment-key certificates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyBundle {
    /// Size of the older checkpoint.
    pub old_size: u64,
    /// Size of the newer checkpoint.
    pub new_size: u64,
    /// The consistency path, base64 hashes.
    pub path: Vec<String>,
    /// The newer signed checkpoint note.
    pub checkpoint: String,
    /// Segment-key certificates from segment 0, hex.
    pub certs: Vec<String>,
}

impl ConsistencyBundle {
    /// Builds a bundle.
    pub fn new(
        old_size: u64,
        new_size: u64,
        path: &[Hash],
        checkpoint: &str,
        certs: &[KeyCert],
    ) -> Self {
        ConsistencyBundle {
            old_size,
            new_size,
            path: path.iter().map(|h| B64.encode(h)).collect(),
            checkpoint: checkpoint.to_owned(),
            certs: certs.iter().map(|c| crate::hex(&c.encode())).collect(),
        }
    }

    /// Verifies that the bundle's checkpoint extends `old_note` (a checkpoint the auditor
    /// kept), with only the root key. Returns the newer checkpoint.
    ///
    /// # Errors
    /// The first [`VerifyError`].
    pub fn verify(&self, old_note: &str, root: &VerifierKey) -> Result<Checkpoint, VerifyError> {
        let certs = self
            .certs
            .iter()
            .map(|h| {
                crate::unhex(h)
                    .and_then(|b| KeyCert::decode(&b).ok())
                    .ok_or(VerifyError::Certificate)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let keys = verify_chain(&root.name, &root.public, &certs)?;
        let path = self
            .path
            .iter()
            .map(|s| b64_hash(s))
            .collect::<Result<Vec<_>, _>>()?;
        let (old, new) = verify_checkpoints_consistent(old_note, &self.checkpoint, &path, &keys)?;
        if old.size != self.old_size || new.size != self.new_size {
            return Err(VerifyError::Range);
        }
        Ok(new)
    }
}
