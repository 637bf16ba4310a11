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

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}
