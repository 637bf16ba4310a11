//! A backend wrapper that fails on command, to test that a failed write is never acknowledged
//! and never leaves a readable half-object.

use super::{Backend, ObjectWriter};
use crate::error::{Result, StoreError};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// What to break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Nothing: pass every call through.
    None,
    /// Fail the n-th (from 0) mutating call (create commit, replace, delete) from now on.
    FailMutation(u64),
    /// Fail writes once this many bytes were written into blobs being created.
    FailAfterBytes(u64),
    /// Fail every read.
    FailReads,
}

/// Wraps a backend and injects [`Fault`]s.
#[derive(Debug)]
pub struct FaultyBackend<B> {
    inner: B,
    fault: Mutex<Fault>,
    mutations: AtomicU64,
    bytes: AtomicU64,
}

impl<B: Backend> FaultyBackend<B> {
    /// Wraps `inner` with no fault armed.
    pub fn new(inner: B) -> FaultyBackend<B> {
        FaultyBackend {
            inner,
            fault: Mutex::new(Fault::None),
            mutations: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    /// Arms a fault and resets the counters.
    pub fn arm(&self, fault: Fault) {
        if let Ok(mut f) = self.fault.lock() {
            *f = fault;
        }
        self.mutations.store(0, Ordering::SeqCst);
        self.bytes.store(0, Ordering::SeqCst);
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    fn fault(&self) -> Fault {
        self.fault.lock().map(|f| *f).unwrap_or(Fault::None)
    }

    fn mutation(&self) -> Result<()> {
        let n = self.mutations.fetch_add(1, Ordering::SeqCst);
        match self.fault() {
            Fault::FailMutation(k) if n >= k => Err(StoreError::Injected),
            _ => Ok(()),
        }
    }

    fn read(&self) -> Result<()> {
        if self.fault() == Fault::FailReads {
            Err(StoreError::Injected)
        } else {
            Ok(())
        }
    }
}

struct FaultyWriter<'a, B> {
    owner: &'a FaultyBackend<B>,
    inner: Box<dyn ObjectWriter + 'a>,
}

impl<B: Backend> Write for FaultyWriter<'_, B> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let before = self
            .owner
            .bytes
            .fetch_add(data.len() as u64, Ordering::SeqCst);
        if let Fault::FailAfterBytes(limit) = self.owner.fault() {
            if before + data.len() as u64 > limit {
                return Err(std::io::Error::other("injected write fault"));
            }
        }
        self.inner.write(data)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<B: Backend> ObjectWriter for FaultyWriter<'_, B> {
    fn commit(self: Box<Self>) -> Result<()> {
        self.owner.mutation()?;
        self.inner.commit()
    }
}

impl<B: Backend> Backend for FaultyBackend<B> {
    fn create(&self, name: &str) -> Result<Box<dyn ObjectWriter + '_>> {
        let inner = self.inner.create(name)?;
        Ok(Box::new(FaultyWriter { owner: self, inner }))
    }
    fn replace(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.mutation()?;
        self.inner.replace(name, bytes)
    }
    fn get(&self, name: &str) -> Result<Vec<u8>> {
        self.read()?;
        self.inner.get(name)
    }
    fn reader(&self, name: &str) -> Result<Box<dyn Read + Send + '_>> {
        self.read()?;
        self.inner.reader(name)
    }
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.read()?;
        self.inner.read_at(name, offset, buf)
    }
    fn size(&self, name: &str) -> Result<u64> {
        self.read()?;
        self.inner.size(name)
    }
    fn delete(&self, name: &str) -> Result<()> {
        self.mutation()?;
        self.inner.delete(name)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.read()?;
        self.inner.list(prefix)
    }
}
