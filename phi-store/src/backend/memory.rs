//! An in-memory backend for tests and examples; its blobs can be edited directly, which is
//! what tamper tests need.

use super::{check_name, Backend, ObjectWriter};
use crate::error::{Result, StoreError};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

/// Blobs in a map shared by clones of the backend.
#[derive(Clone, Default, Debug)]
pub struct MemoryBackend {
    map: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> MemoryBackend {
        MemoryBackend::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, BTreeMap<String, Vec<u8>>>> {
        self.map
            .lock()
            .map_err(|_| StoreError::Backend(std::io::Error::other("memory backend poisoned")))
    }

    /// Runs `f` on the stored bytes of `name` (tests: flip bits, truncate, swap).
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub fn edit<R>(&self, name: &str, f: impl FnOnce(&mut Vec<u8>) -> R) -> Result<R> {
        let mut m = self.lock()?;
        m.get_mut(name).map(f).ok_or(StoreError::NotFound)
    }

    /// Stores `bytes` under `name` unconditionally (tests: plant a foreign blob).
    ///
    /// # Errors
    /// Only if the map is poisoned.
    pub fn insert_raw(&self, name: &str, bytes: Vec<u8>) -> Result<()> {
        self.lock()?.insert(name.to_owned(), bytes);
        Ok(())
    }
}

struct MemWriter<'a> {
    backend: &'a MemoryBackend,
    name: String,
    buf: Vec<u8>,
}

impl Write for MemWriter<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ObjectWriter for MemWriter<'_> {
    fn commit(self: Box<Self>) -> Result<()> {
        let mut m = self.backend.lock()?;
        if m.contains_key(&self.name) {
            return Err(StoreError::AlreadyExists);
        }
        m.insert(self.name, self.buf);
        Ok(())
    }
}

impl Backend for MemoryBackend {
    fn create(&self, name: &str) -> Result<Box<dyn ObjectWriter + '_>> {
        check_name(name)?;
        Ok(Box::new(MemWriter {
            backend: self,
            name: name.to_owned(),
            buf: Vec::new(),
        }))
    }
    fn replace(&self, name: &str, bytes: &[u8]) -> Result<()> {
        check_name(name)?;
        self.lock()?.insert(name.to_owned(), bytes.to_vec());
        Ok(())
    }
    fn get(&self, name: &str) -> Result<Vec<u8>> {
        self.lock()?.get(name).cloned().ok_or(StoreError::NotFound)
    }
    fn reader(&self, name: &str) -> Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(std::io::Cursor::new(self.get(name)?)))
    }
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> Result<()> {
        let m = self.lock()?;
        let b = m.get(name).ok_or(StoreError::NotFound)?;
        let start = usize::try_from(offset).map_err(|_| StoreError::Integrity)?;
        let src = b
            .get(start..start + buf.len())
            .ok_or(StoreError::Integrity)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn size(&self, name: &str) -> Result<u64> {
        Ok(self.lock()?.get(name).ok_or(StoreError::NotFound)?.len() as u64)
    }
    fn delete(&self, name: &str) -> Result<()> {
        self.lock()?.remove(name);
        Ok(())
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        Ok(self
            .lock()?
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}
