//! Sealing of sensitive fields and keyed search tokens.
//!
//! Each segment has its own AES-256-GCM key ([`SealKey`]); a record's sensitive fields are
//! sealed with a 96-bit nonce and the record's seq as associated data, so a blob cannot be
//! moved to another record. The log draws the nonce as 32 random bits per batch followed by
//! the record's 64-bit seq ([`SealKey::seal_with_prefix`]): unique inside a batch by the
//! seq, and across batches even if a seq were ever sealed twice under one key (the log
//! never does: a crash or failed write ends the key's use) unless 32 random bits repeat,
//! with one `getrandom` per batch instead of one per record. Destroying a segment key erases those fields
//! while every hash and proof stays valid, because the ciphertext, not the plaintext, is in
//! the leaf.
//!
//! A [`TokenKey`] (HMAC-SHA256, one per deployment) derives search tokens: an investigator
//! holding it finds every event for one fax number or patient without decrypting others.

use crate::event::{SealedBlob, Sensitive, Token};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// Sealing or opening failed. Deliberately says nothing more (no oracle for an attacker).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("sealed fields cannot be opened (wrong key, destroyed key or altered data)")]
pub struct SealError;

/// A per-segment AES-256-GCM key. Not `Clone`: one owner; dropping it forgets the key.
pub struct SealKey {
    key: LessSafeKey,
}

impl core::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SealKey(<secret>)")
    }
}

fn aad(seq: u64) -> [u8; 24] {
    let mut a = [0u8; 24];
    a[..16].copy_from_slice(b"phi-audit seal 1");
    a[16..].copy_from_slice(&seq.to_be_bytes());
    a
}

impl SealKey {
    /// A key from 32 secret bytes.
    ///
    /// # Errors
    /// [`SealError`] if `bytes` is not 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        let k = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| SealError)?;
        Ok(SealKey {
            key: LessSafeKey::new(k),
        })
    }

    /// Fresh random key bytes (to be stored by the caller, then passed to [`Self::from_bytes`]).
    ///
    /// # Errors
    /// [`SealError`] if the system random source fails.
    pub fn generate_bytes(rng: &dyn SecureRandom) -> Result<[u8; 32], SealError> {
        let mut k = [0u8; 32];
        rng.fill(&mut k).map_err(|_| SealError)?;
        Ok(k)
    }

    /// Seals `fields` for the record `seq`.
    ///
    /// # Errors
    /// [`SealError`] if the random source fails.
    pub fn seal(&self, seq: u64, fields: &Sensitive) -> Result<SealedBlob, SealError> {
        let mut nonce = [0u8; 12];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError)?;
        let mut data = fields.encode();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(seq)),
                &mut data,
            )
            .map_err(|_| SealError)?;
        Ok(SealedBlob {
            nonce,
            ciphertext: data,
        })
    }

    /// Seals `fields` for the record `seq` with the nonce `prefix || seq` (big-endian): the
    /// caller draws `prefix` at random for each batch (see the module docs).
    ///
    /// # Errors
    /// [`SealError`] if sealing fails.
    pub fn seal_with_prefix(
        &self,
        prefix: [u8; 4],
        seq: u64,
        fields: &Sensitive,
    ) -> Result<SealedBlob, SealError> {
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&prefix);
        nonce[4..].copy_from_slice(&seq.to_be_bytes());
        let mut data = fields.encode();
        data.reserve(AES_256_GCM.tag_len());
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(seq)),
                &mut data,
            )
            .map_err(|_| SealError)?;
        Ok(SealedBlob {
            nonce,
            ciphertext: data,
        })
    }

    /// Opens the sealed fields of record `seq`.
    ///
    /// # Errors
    /// [`SealError`] for a wrong key, an altered blob or a blob from another record.
    pub fn open(&self, seq: u64, blob: &SealedBlob) -> Result<Sensitive, SealError> {
        let mut data = blob.ciphertext.clone();
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(blob.nonce),
                Aad::from(aad(seq)),
                &mut data,
            )
            .map_err(|_| SealError)?;
        Sensitive::decode(plain).map_err(|_| SealError)
    }
}

/// The token kinds (domain separation inside the HMAC input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// A fax number (normalised to `+` and digits).
    FaxNumber,
    /// A patient reference.
    Patient,
}

/// HMAC-SHA256 key for search tokens.
pub struct TokenKey {
    key: hmac::Key,
}

impl core::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TokenKey(<secret>)")
    }
}

/// Keeps `+` and digits, so `+1 (555) 0199` and `+15550199` give the same token.
pub fn normalize_number(n: &str) -> String {
    n.chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

impl TokenKey {
    /// A token key from secret bytes (32 recommended).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        TokenKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, bytes),
        }
    }

    /// The token of `value` (first 128 bits of the HMAC).
    pub fn token(&self, kind: TokenKind, value: &str) -> Token {
        let mut ctx = hmac::Context::with_key(&self.key);
        match kind {
            TokenKind::FaxNumber => {
                ctx.update(b"fax\0");
                ctx.update(normalize_number(value).as_bytes());
            }
            TokenKind::Patient => {
                ctx.update(b"patient\0");
                ctx.update(value.trim().as_bytes());
            }
        }
        let tag = ctx.sign();
        let mut t = [0u8; 16];
        t.copy_from_slice(&tag.as_ref()[..16]);
        t
    }

    /// Every token of a record's sensitive fields, sorted and de-duplicated so the order of
    /// the fields does not show.
    pub fn tokens_for(&self, s: &Sensitive) -> Vec<Token> {
        let mut out: Vec<Token> = s
            .remote_number
            .iter()
            .map(|n| self.token(TokenKind::FaxNumber, n))
            .chain(s.patients.iter().map(|p| self.token(TokenKind::Patient, p)))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let key = SealKey::from_bytes(&[7u8; 32]).expect("key");
        let s = crate::Event::example().sensitive;
        let blob = key.seal(5, &s).expect("seal");
        assert_eq!(key.open(5, &blob).expect("open"), s);
        // Moved to another record: refused.
        assert_eq!(key.open(6, &blob), Err(SealError));
        // Another key: refused.
        let other = SealKey::from_bytes(&[8u8; 32]).expect("key");
        assert_eq!(other.open(5, &blob), Err(SealError));
        // One flipped bit: refused.
        let mut bad = blob.clone();
        bad.ciphertext[0] ^= 1;
        assert_eq!(key.open(5, &bad), Err(SealError));
    }

    #[test]
    fn tokens_normalise_numbers_and_separate_kinds() {
        let k = TokenKey::from_bytes(b"k");
        assert_eq!(
            k.token(TokenKind::FaxNumber, "+1 (555) 0199"),
            k.token(TokenKind::FaxNumber, "+15550199")
        );
        assert_ne!(
            k.token(TokenKind::FaxNumber, "123"),
            k.token(TokenKind::Patient, "123")
        );
        assert_ne!(
            k.token(TokenKind::FaxNumber, "123"),
            TokenKey::from_bytes(b"other").token(TokenKind::FaxNumber, "123")
        );
    }
}
