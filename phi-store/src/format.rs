//! Object format v1: the header that precedes every body.
//!
//! ```text
//! object   = preamble(8) || identity || slot_len u16 || slot || body
//! preamble = "FXPS" || version u8 (1) || flags u8 (bit 0: derived) || identity_len u16
//! identity = object_id[16]
//!            || tenant_len u8 || tenant || class_len u8 || class
//!            || created_ms i64 || content_type_len u8 || content_type
//!            || plaintext_len u64 || kek_id_len u8 || kek_id
//!            || [derived only] original_id[16] || provenance_len u16 || provenance
//!            || commitment[32]
//! slot     = 0x01 || kek_version u32 || nonce[12] || wrapped_dek[48]     (live)
//!          | 0x02                                                       (shredded)
//! body     = Tink AES-GCM-HKDF streaming ciphertext (see [`crate::stream`]); absent once shredded
//! ```
//! Integers are big-endian. `header_hash = SHA-256("phi-store/v1 header\0" || preamble ||
//! identity)` is the associated data of both the wrapped data key and the body, so every
//! identity field is authenticated twice and a wrapped key or body moved under another header
//! fails. The key slot is not hashed (rewrap replaces it without touching the body); it is
//! authenticated by its own AES-GCM tag, whose associated data also holds the KEK id and
//! version. `commitment = HKDF-SHA256(ikm = data key, salt = object_id, info =
//! "phi-store/v1 key commitment", 32)` is checked before any body byte is decrypted.

use crate::error::{Result, StoreError};
use crate::keys::{DataKey, KekId, WrappedKey, WRAPPED_LEN};
use crate::names::{Class, ContentType, ObjectId, Tenant};
use ring::{digest, hkdf};

/// Magic bytes at the start of every object.
pub const MAGIC: &[u8; 4] = b"FXPS";
/// The format version this crate writes and reads.
pub const VERSION: u8 = 1;
/// Longest provenance text of a derived artifact.
pub const MAX_PROVENANCE_LEN: usize = 1024;
/// Longest header (identity and slot) accepted by the parser.
pub const MAX_HEADER_LEN: usize = 8 + 2048 + 2 + 1 + 4 + 12 + WRAPPED_LEN;

const FLAG_DERIVED: u8 = 1;
/// Encoded length of a live key slot: state, version, nonce, wrapped key.
const SLOT_LEN: u16 = 1 + 4 + 12 + 48;

/// Where a derived artifact (OCR text, a summary) came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derivation {
    /// The original object it was made from.
    pub original: ObjectId,
    /// Which tool made it, how (free text without PHI, at most 1024 bytes).
    pub provenance: String,
}

/// The key slot: the wrapped data key, or the mark that it was destroyed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySlot {
    /// The data key wrapped under a KEK version.
    Wrapped {
        /// KEK version.
        version: u32,
        /// Wrap nonce.
        nonce: [u8; 12],
        /// Wrapped key and tag.
        ciphertext: [u8; WRAPPED_LEN],
    },
    /// The data key was destroyed (crypto-shredded); the identity is kept as metadata.
    Shredded,
}

/// A parsed (not yet authenticated) object header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Object id.
    pub id: ObjectId,
    /// Owning tenant.
    pub tenant: Tenant,
    /// Object class.
    pub class: Class,
    /// Creation time, milliseconds since the Unix epoch (UTC).
    pub created_ms: i64,
    /// Content type of the plaintext.
    pub content_type: ContentType,
    /// Plaintext length in bytes.
    pub length: u64,
    /// The KEK that wraps the data key.
    pub kek: KekId,
    /// Set for derived artifacts.
    pub derived: Option<Derivation>,
    /// Key commitment.
    pub commitment: [u8; 32],
    /// Wrapped data key or shred mark.
    pub slot: KeySlot,
}

struct CommitLen;
impl hkdf::KeyType for CommitLen {
    fn len(&self) -> usize {
        32
    }
}

/// The key commitment of `dek` for object `id`.
pub fn commitment(dek: &DataKey, id: &ObjectId) -> [u8; 32] {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &id.0).extract(dek.dangerous_as_bytes());
    let info: [&[u8]; 1] = [b"phi-store/v1 key commitment"];
    let mut out = [0u8; 32];
    // Expanding 32 bytes from SHA-256 cannot fail (limit is 255 * 32).
    if let Ok(okm) = prk.expand(&info, CommitLen) {
        let _ = okm.fill(&mut out);
    }
    out
}

/// Constant-time equality of two commitments.
pub(crate) fn same_commitment(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lengths are bounded by the validated name types (at most 129 bytes for a KEK id), so the
/// saturating conversions below never change a value.
fn put_str8(out: &mut Vec<u8>, s: &str) {
    out.push(u8::try_from(s.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(s.as_bytes());
}

impl Header {
    fn preamble_and_identity(&self) -> Vec<u8> {
        let mut id = Vec::with_capacity(256);
        id.extend_from_slice(&self.id.0);
        put_str8(&mut id, self.tenant.as_str());
        put_str8(&mut id, self.class.as_str());
        id.extend_from_slice(&self.created_ms.to_be_bytes());
        put_str8(&mut id, self.content_type.as_str());
        id.extend_from_slice(&self.length.to_be_bytes());
        put_str8(&mut id, self.kek.as_str());
        if let Some(d) = &self.derived {
            id.extend_from_slice(&d.original.0);
            id.extend_from_slice(
                &u16::try_from(d.provenance.len())
                    .unwrap_or(u16::MAX)
                    .to_be_bytes(),
            );
            id.extend_from_slice(d.provenance.as_bytes());
        }
        id.extend_from_slice(&self.commitment);
        let mut out = Vec::with_capacity(8 + id.len() + 80);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(if self.derived.is_some() {
            FLAG_DERIVED
        } else {
            0
        });
        out.extend_from_slice(&u16::try_from(id.len()).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(&id);
        out
    }

    /// The header hash: associated data of the wrapped key and of the body.
    pub fn hash(&self) -> [u8; 32] {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(b"phi-store/v1 header\0");
        ctx.update(&self.preamble_and_identity());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }

    /// Serializes the header (everything before the body).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.preamble_and_identity();
        match &self.slot {
            KeySlot::Wrapped {
                version,
                nonce,
                ciphertext,
            } => {
                out.extend_from_slice(&SLOT_LEN.to_be_bytes());
                out.push(1);
                out.extend_from_slice(&version.to_be_bytes());
                out.extend_from_slice(nonce);
                out.extend_from_slice(ciphertext);
            }
            KeySlot::Shredded => {
                out.extend_from_slice(&1u16.to_be_bytes());
                out.push(2);
            }
        }
        out
    }

    /// The wrapped key of a live object.
    ///
    /// # Errors
    /// [`StoreError::Shredded`] if the key was destroyed.
    pub fn wrapped_key(&self) -> Result<WrappedKey> {
        match &self.slot {
            KeySlot::Wrapped {
                version,
                nonce,
                ciphertext,
            } => Ok(WrappedKey {
                kek: self.kek.clone(),
                version: *version,
                nonce: *nonce,
                ciphertext: *ciphertext,
            }),
            KeySlot::Shredded => Err(StoreError::Shredded),
        }
    }

    /// Parses a header from the start of `bytes`; returns it and its encoded length (the
    /// body starts there). Never panics; trailing fields and bad lengths are rejected.
    ///
    /// # Errors
    /// [`StoreError::Malformed`] for anything that is not a v1 header.
    pub fn parse(bytes: &[u8]) -> Result<(Header, usize)> {
        let mut r = Reader { b: bytes, pos: 0 };
        if r.take(4)? != MAGIC || r.u8()? != VERSION {
            return Err(StoreError::Malformed);
        }
        let flags = r.u8()?;
        if flags & !FLAG_DERIVED != 0 {
            return Err(StoreError::Malformed);
        }
        let id_len = usize::from(r.u16()?);
        let mut id = Reader {
            b: r.take(id_len)?,
            pos: 0,
        };
        let mut oid = [0u8; 16];
        oid.copy_from_slice(id.take(16)?);
        let tenant = Tenant::new(id.str8()?).map_err(|_| StoreError::Malformed)?;
        let class = Class::new(id.str8()?).map_err(|_| StoreError::Malformed)?;
        let created_ms = i64::from_be_bytes(id.array()?);
        let content_type = ContentType::new(id.str8()?).map_err(|_| StoreError::Malformed)?;
        let length = u64::from_be_bytes(id.array()?);
        let kek = KekId::parse(id.str8()?)?;
        let derived = if flags & FLAG_DERIVED != 0 {
            let mut orig = [0u8; 16];
            orig.copy_from_slice(id.take(16)?);
            let n = usize::from(id.u16()?);
            if n > MAX_PROVENANCE_LEN {
                return Err(StoreError::Malformed);
            }
            let p = std::str::from_utf8(id.take(n)?).map_err(|_| StoreError::Malformed)?;
            Some(Derivation {
                original: ObjectId(orig),
                provenance: p.to_owned(),
            })
        } else {
            None
        };
        let commitment: [u8; 32] = id.array()?;
        if id.pos != id.b.len() {
            return Err(StoreError::Malformed);
        }
        let slot_len = usize::from(r.u16()?);
        let mut s = Reader {
            b: r.take(slot_len)?,
            pos: 0,
        };
        let slot = match s.u8()? {
            1 => KeySlot::Wrapped {
                version: u32::from_be_bytes(s.array()?),
                nonce: s.array()?,
                ciphertext: s.array()?,
            },
            2 => KeySlot::Shredded,
            _ => return Err(StoreError::Malformed),
        };
        if s.pos != s.b.len() {
            return Err(StoreError::Malformed);
        }
        let header = Header {
            id: ObjectId(oid),
            tenant,
            class,
            created_ms,
            content_type,
            length,
            kek,
            derived,
            commitment,
            slot,
        };
        Ok((header, r.pos))
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(StoreError::Malformed)?;
        let s = self.b.get(self.pos..end).ok_or(StoreError::Malformed)?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn str8(&mut self) -> Result<&'a str> {
        let n = usize::from(self.u8()?);
        std::str::from_utf8(self.take(n)?).map_err(|_| StoreError::Malformed)
    }
}
