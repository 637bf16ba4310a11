//! Where encrypted bytes live. A backend stores opaque named blobs; it never sees plaintext or
//! keys. Names are `/`-separated segments of `a-z 0-9 - _ .` (no `..`, no leading `.`).
//!
//! The contract every backend keeps: [`Backend::create`] publishes only on
//! [`ObjectWriter::commit`], and only if the name is free (create-only: an object is never
//! overwritten by a put); once `commit` returns, the object survives a crash.
//! [`Backend::replace`] swaps a whole small object atomically (used for headers on rewrap and
//! shred). A reader sees either the old or the new bytes, never a mix.

mod fault;
mod fs;
mod memory;
#[cfg(feature = "s3")]
mod s3;

pub use fault::{Fault, FaultyBackend};
pub use fs::FsBackend;
pub use memory::MemoryBackend;
#[cfg(feature = "s3")]
pub use s3::{S3Backend, S3Config};

use crate::error::{Result, StoreError};
use std::io::{Read, Write};

/// A blob being written; nothing is visible until [`ObjectWriter::commit`].
pub trait ObjectWriter: Write + Send {
    /// Makes the blob durable and publishes it under its name.
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] if the name was taken meanwhile; I/O errors.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// Storage for encrypted blobs.
pub trait Backend: Send + Sync {
    /// Starts a create-only write of `name`.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a bad name; I/O errors.
    fn create(&self, name: &str) -> Result<Box<dyn ObjectWriter + '_>>;

    /// Atomically and durably replaces (or creates) a small blob.
    ///
    /// # Errors
    /// I/O errors.
    fn replace(&self, name: &str, bytes: &[u8]) -> Result<()>;

    /// Reads a whole blob.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; I/O errors.
    fn get(&self, name: &str) -> Result<Vec<u8>>;

    /// A streaming reader over a blob.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; I/O errors.
    fn reader(&self, name: &str) -> Result<Box<dyn Read + Send + '_>>;

    /// Fills `buf` from `offset` of a blob.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Integrity`] if the blob is shorter; I/O errors.
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> Result<()>;

    /// Size of a blob in bytes.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; I/O errors.
    fn size(&self, name: &str) -> Result<u64>;

    /// Deletes a blob (durably). Deleting a missing blob is not an error.
    ///
    /// # Errors
    /// I/O errors.
    fn delete(&self, name: &str) -> Result<()>;

    /// Names of all blobs under `prefix` (a directory-like prefix ending in `/`, or empty),
    /// sorted.
    ///
    /// # Errors
    /// I/O errors.
    fn list(&self, prefix: &str) -> Result<Vec<String>>;

    /// Creates a blob from bytes (create-only, durable).
    ///
    /// # Errors
    /// As [`Backend::create`] and [`ObjectWriter::commit`].
    fn put_new(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let mut w = self.create(name)?;
        w.write_all(bytes)?;
        w.commit()
    }
}

/// Checks a blob name against the rules above.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && name.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
                })
        });
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid("blob name"))
    }
}

/// Adapter so `&B` and `Arc<B>` work where a backend is expected.
impl<T: Backend + ?Sized> Backend for std::sync::Arc<T> {
    fn create(&self, name: &str) -> Result<Box<dyn ObjectWriter + '_>> {
        (**self).create(name)
    }
    fn replace(&self, name: &str, bytes: &[u8]) -> Result<()> {
        (**self).replace(name, bytes)
    }
    fn get(&self, name: &str) -> Result<Vec<u8>> {
        (**self).get(name)
    }
    fn reader(&self, name: &str) -> Result<Box<dyn Read + Send + '_>> {
        (**self).reader(name)
    }
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> Result<()> {
        (**self).read_at(name, offset, buf)
    }
    fn size(&self, name: &str) -> Result<u64> {
        (**self).size(name)
    }
    fn delete(&self, name: &str) -> Result<()> {
        (**self).delete(name)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        (**self).list(prefix)
    }
}
