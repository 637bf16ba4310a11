//! Validated names: tenants, classes, content types and object ids. They appear in storage
//! paths and audit events, so they are restricted to short, plain ASCII and never carry PHI
//! (an object id is random; tenant and class names are configuration).

use crate::error::{Result, StoreError};
use std::fmt;

/// Longest tenant or class name.
pub const MAX_NAME_LEN: usize = 64;
/// Longest content type.
pub const MAX_CONTENT_TYPE_LEN: usize = 127;

fn check_name(s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid("name: 1-64 of a-z 0-9 - _"))
    }
}

macro_rules! name_type {
    ($(#[$m:meta])* $t:ident) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $t(String);

        impl $t {
            /// Validates a name: 1 to 64 of `a-z`, `0-9`, `-`, `_`.
            ///
            /// # Errors
            /// [`StoreError::Invalid`] for anything else.
            pub fn new(s: &str) -> Result<$t> {
                check_name(s)?;
                Ok($t(s.to_owned()))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// A tenant: its own namespace in the backend and its own KEKs.
    Tenant
);
name_type!(
    /// An object class (for example `inbound`, `outbound`, `ocr`): one KEK and one retention
    /// policy per class and tenant.
    Class
);

/// A MIME content type such as `image/tiff` (printable ASCII, at most 127 bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentType(String);

impl ContentType {
    /// Validates a content type.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] if empty, too long or not printable ASCII.
    pub fn new(s: &str) -> Result<ContentType> {
        if s.is_empty()
            || s.len() > MAX_CONTENT_TYPE_LEN
            || !s.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(StoreError::Invalid("content type: 1-127 printable ASCII"));
        }
        Ok(ContentType(s.to_owned()))
    }

    /// The content type as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A random 128-bit object id, shown as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub [u8; 16]);

impl ObjectId {
    /// A fresh random id.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the system generator fails.
    pub fn random(rng: &ring::rand::SystemRandom) -> Result<ObjectId> {
        let mut b = [0u8; 16];
        ring::rand::SecureRandom::fill(rng, &mut b)
            .map_err(|_| StoreError::Backend(std::io::Error::other("system random failed")))?;
        Ok(ObjectId(b))
    }

    /// Parses 32 hex digits.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] if it is not 32 hex digits.
    pub fn parse(s: &str) -> Result<ObjectId> {
        let bad = StoreError::Invalid("object id: 32 hex digits");
        if s.len() != 32 {
            return Err(bad);
        }
        let mut b = [0u8; 16];
        for (i, out) in b.iter_mut().enumerate() {
            *out = u8::from_str_radix(
                s.get(2 * i..2 * i + 2).ok_or(StoreError::Invalid("id"))?,
                16,
            )
            .map_err(|_| StoreError::Invalid("object id: 32 hex digits"))?;
        }
        Ok(ObjectId(b))
    }
}

impl ObjectId {
    /// The 32 lowercase hex digits, built by table lookup: every put and get names its blob
    /// with them, and formatting 16 bytes one `{:02x}` at a time cost about a microsecond.
    pub(crate) fn hex(&self) -> [u8; 32] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 32];
        for (pair, b) in out.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 0x0f)];
        }
        out
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.hex();
        // Hex digits are ASCII, so this never fails.
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_id_prints_lowercase_hex_and_parses_back() {
        let id = ObjectId([
            0x00, 0x01, 0x7f, 0x80, 0x9a, 0xbc, 0xde, 0xff, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba,
            0xdc, 0xfe,
        ]);
        let text = "00017f809abcdeff1032547698badcfe";
        assert_eq!(id.to_string(), text);
        assert_eq!(format!("{id:?}"), format!("ObjectId({text})"));
        assert_eq!(ObjectId::parse(text).ok(), Some(id));
    }
}
