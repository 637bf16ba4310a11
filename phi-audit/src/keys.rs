//! Signing keys: a pinned root key and one Ed25519 key per segment, each certified by the
//! key before it (the first by the root). Checkpoints are signed by the segment key, so a
//! stolen current key cannot re-sign the history of earlier segments, and an auditor needs
//! only the root public key: the certificates travel in the segment headers and in proofs.

use crate::checkpoint::VerifierKey;
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, VerifyError};
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

/// A certificate for one segment's signing key, signed by the previous key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyCert {
    /// Segment number (0, 1, ...).
    pub segment: u64,
    /// First seq of the segment.
    pub first_seq: u64,
    /// The segment's Ed25519 public key.
    pub public: [u8; 32],
    /// Signature by the previous segment's key (the root key for segment 0).
    pub signature: [u8; 64],
}

fn cert_message(origin: &str, segment: u64, first_seq: u64, public: &[u8; 32]) -> Vec<u8> {
    let mut w = Writer::default();
    w.raw(b"phi-audit segment key v1\0");
    w.str(origin);
    w.u64(segment);
    w.u64(first_seq);
    w.raw(public);
    w.buf
}

/// The 32-byte public key of a key pair.
pub fn public_of(key: &Ed25519KeyPair) -> [u8; 32] {
    let mut p = [0u8; 32];
    p.copy_from_slice(key.public_key().as_ref());
    p
}

impl KeyCert {
    /// Certifies `public` for `segment` with `signer` (the previous key).
    pub fn issue(
        origin: &str,
        segment: u64,
        first_seq: u64,
        public: [u8; 32],
        signer: &Ed25519KeyPair,
    ) -> Self {
        let sig = signer.sign(&cert_message(origin, segment, first_seq, &public));
        let mut signature = [0u8; 64];
        signature.copy_from_slice(sig.as_ref());
        KeyCert {
            segment,
            first_seq,
            public,
            signature,
        }
    }

    /// Checks the certificate against the previous public key.
    ///
    /// # Errors
    /// [`VerifyError::Certificate`] if the signature does not verify.
    pub fn verify(&self, origin: &str, previous: &[u8; 32]) -> Result<(), VerifyError> {
        UnparsedPublicKey::new(&ED25519, previous)
            .verify(
                &cert_message(origin, self.segment, self.first_seq, &self.public),
                &self.signature,
            )
            .map_err(|_| VerifyError::Certificate)
    }

    /// 112 bytes: segment, first seq, key, signature.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u64(self.segment);
        w.u64(self.first_seq);
        w.raw(&self.public);
        w.raw(&self.signature);
        w.buf
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(KeyCert {
            segment: r.u64()?,
            first_seq: r.u64()?,
            public: r.array()?,
            signature: r.array()?,
        })
    }

    /// Decodes [`Self::encode`]'s bytes.
    ///
    /// # Errors
    /// A [`DecodeError`] unless exactly 112 bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes, 0);
        let c = Self::read(&mut r)?;
        r.finish()?;
        Ok(c)
    }
}

/// Walks a certificate chain from the pinned root key and returns the verifier key of every
/// segment, in order.
///
/// # Errors
/// [`VerifyError::Certificate`] at the first certificate that does not verify or whose
/// segment number is out of order.
pub fn verify_chain(
    origin: &str,
    root: &[u8; 32],
    certs: &[KeyCert],
) -> Result<Vec<VerifierKey>, VerifyError> {
    let mut prev = *root;
    let mut out = Vec::with_capacity(certs.len());
    for (i, c) in certs.iter().enumerate() {
        if c.segment != i as u64 {
            return Err(VerifyError::Certificate);
        }
        c.verify(origin, &prev)?;
        prev = c.public;
        out.push(VerifierKey {
            name: origin.to_owned(),
            public: c.public,
        });
    }
    Ok(out)
}
