//! Checkpoints in the C2SP signed-note format (`tlog-checkpoint` body, Ed25519 signature
//! lines), encoded, parsed and verified as pure functions.
//!
//! ```text
//! <origin>\n
//! <tree size, decimal>\n
//! <root hash, base64>\n
//! \n
//! — <key name> <base64(4-byte key hash || 64-byte signature)>\n
//! ```
//! The key hash is the first four bytes of `SHA-256(name || "\n" || 0x01 || public key)`; the
//! signature covers the note text (the first three lines, newlines included).

use crate::error::VerifyError;
use crate::merkle::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};

/// Longest note accepted by the parser.
pub const MAX_NOTE: usize = 16 * 1024;
/// Most signature lines accepted by the parser.
pub const MAX_SIGNATURES: usize = 16;

/// A checkpoint: the log's origin, size and root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Origin line: a unique name of the log (the deployment).
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash at that size.
    pub root: Hash,
}

/// An Ed25519 public key under a name, as a note verifier sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    /// The key name (the log origin).
    pub name: String,
    /// The Ed25519 public key.
    pub public: [u8; 32],
}

impl VerifierKey {
    /// The 4-byte key hash that identifies this key in signature lines.
    pub fn key_hash(&self) -> [u8; 4] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(self.name.as_bytes());
        ctx.update(b"\n\x01");
        ctx.update(&self.public);
        let d = ctx.finish();
        let mut h = [0u8; 4];
        h.copy_from_slice(&d.as_ref()[..4]);
        h
    }

    /// The C2SP verifier key string `name+hash+base64(0x01 || key)`.
    pub fn to_vkey(&self) -> String {
        let mut k = vec![1u8];
        k.extend_from_slice(&self.public);
        format!(
            "{}+{}+{}",
            self.name,
            crate::hex(&self.key_hash()),
            B64.encode(k)
        )
    }

    /// Parses a verifier key string.
    ///
    /// # Errors
    /// [`VerifyError::Checkpoint`] if it is malformed or its hash does not match.
    pub fn from_vkey(s: &str) -> Result<Self, VerifyError> {
        let s = s.trim();
        // The name cannot contain '+', the base64 key can: split from the left.
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(VerifyError::Checkpoint("verifier key needs name+hash+key"));
        };
        let raw = B64
            .decode(key)
            .map_err(|_| VerifyError::Checkpoint("verifier key is not base64"))?;
        if raw.len() != 33 || raw[0] != 1 {
            return Err(VerifyError::Checkpoint("verifier key is not Ed25519"));
        }
        let mut public = [0u8; 32];
        public.copy_from_slice(&raw[1..]);
        let vk = VerifierKey {
            name: name.to_owned(),
            public,
        };
        if crate::hex(&vk.key_hash()) != hash {
            return Err(VerifyError::Checkpoint("verifier key hash mismatch"));
        }
        Ok(vk)
    }
}

impl Checkpoint {
    /// The note text (the signed part).
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// The signed note: the body, a blank line and one signature line by `key` named `name`.
    pub fn sign(&self, name: &str, key: &Ed25519KeyPair) -> String {
        let body = self.body();
        let sig = key.sign(body.as_bytes());
        let mut public = [0u8; 32];
        public.copy_from_slice(key.public_key().as_ref());
        let vk = VerifierKey {
            name: name.to_owned(),
            public,
        };
        let mut blob = vk.key_hash().to_vec();
        blob.extend_from_slice(sig.as_ref());
        format!("{body}\n\u{2014} {name} {}\n", B64.encode(blob))
    }

    /// Parses the body lines of a note text (no signature check).
    ///
    /// # Errors
    /// [`VerifyError::Checkpoint`] if the body is not origin, decimal size, base64 root.
    pub fn parse_body(text: &str) -> Result<Self, VerifyError> {
        let mut lines = text.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() || origin.contains(char::is_control) {
            return Err(VerifyError::Checkpoint("bad origin line"));
        }
        let size_s = lines
            .next()
            .ok_or(VerifyError::Checkpoint("no size line"))?;
        if size_s.is_empty()
            || !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(VerifyError::Checkpoint("bad size line"));
        }
        let size = size_s
            .parse::<u64>()
            .map_err(|_| VerifyError::Checkpoint("bad size line"))?;
        let root_s = lines
            .next()
            .ok_or(VerifyError::Checkpoint("no root line"))?;
        let root_v = B64
            .decode(root_s)
            .map_err(|_| VerifyError::Checkpoint("root is not base64"))?;
        let root: Hash = root_v
            .try_into()
            .map_err(|_| VerifyError::Checkpoint("root is not 32 bytes"))?;
        // Extension lines (C2SP allows them) are accepted if non-empty; the text ends with
        // a newline, which leaves one empty final piece.
        let rest: Vec<&str> = lines.collect();
        match rest.split_last() {
            Some((last, ext)) if last.is_empty() && ext.iter().all(|l| !l.is_empty()) => {}
            _ => return Err(VerifyError::Checkpoint("body must end with a newline")),
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

/// Verifies a signed note against trusted keys and returns its checkpoint.
///
/// At least one signature line must be by a trusted key (matching name and key hash) and
/// verify; a line by a trusted key that fails is an error; lines by unknown keys are
/// ignored, as C2SP prescribes.
///
/// # Errors
/// [`VerifyError::Checkpoint`] for a malformed note, [`VerifyError::Signature`] if no
/// trusted key signed it validly.
pub fn verify_note(note: &str, keys: &[VerifierKey]) -> Result<Checkpoint, VerifyError> {
    Checkpoint::parse_body(open_note(note, keys)?)
}

/// Verifies any signed note (not only a checkpoint) and returns its text.
///
/// # Errors
/// As [`verify_note`], without the checkpoint body rules.
pub fn open_note<'a>(note: &'a str, keys: &[VerifierKey]) -> Result<&'a str, VerifyError> {
    if note.len() > MAX_NOTE {
        return Err(VerifyError::Checkpoint("note too long"));
    }
    let split = note
        .rfind("\n\n")
        .ok_or(VerifyError::Checkpoint("no blank line before signatures"))?;
    let (text, sigs) = note.split_at(split + 1);
    let sigs = &sigs[1..];
    if !sigs.ends_with('\n') {
        return Err(VerifyError::Checkpoint(
            "signature block must end with a newline",
        ));
    }
    if text.len() < 2 {
        return Err(VerifyError::Checkpoint("empty note text"));
    }
    let mut ok = false;
    let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(VerifyError::Checkpoint("too many signatures"));
    }
    for line in lines {
        let rest = line
            .strip_prefix("\u{2014} ")
            .ok_or(VerifyError::Checkpoint(
                "signature line must start with an em dash",
            ))?;
        let (name, b64) = rest.split_once(' ').ok_or(VerifyError::Checkpoint(
            "signature line needs a name and a signature",
        ))?;
        let blob = B64
            .decode(b64)
            .map_err(|_| VerifyError::Checkpoint("signature is not base64"))?;
        if blob.len() < 5 || name.is_empty() {
            return Err(VerifyError::Checkpoint("signature too short"));
        }
        for k in keys
            .iter()
            .filter(|k| k.name == name && k.key_hash() == blob[..4])
        {
            if blob.len() != 68 {
                return Err(VerifyError::Signature);
            }
            UnparsedPublicKey::new(&ED25519, &k.public)
                .verify(text.as_bytes(), &blob[4..])
                .map_err(|_| VerifyError::Signature)?;
            ok = true;
        }
    }
    if ok {
        Ok(text)
    } else {
        Err(VerifyError::Signature)
    }
}
