//! The file layer, injected as a trait so the log's crash behaviour can be tested: the real
//! [`FsStorage`] (with `fdatasync` and directory syncs) and [`FaultyStorage`], an in-memory
//! file system with a simulated page cache that fails writes, tears them, fails syncs and
//! "crashes" (loses or partly keeps whatever was not synced).
//!
//! Names are relative paths with `/` separators inside the log directory.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// A file opened for appending.
pub trait AppendFile: Send {
    /// Current length in bytes.
    fn len(&self) -> u64;
    /// True if empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Appends all of `data` (one `write` call where possible).
    ///
    /// # Errors
    /// Any I/O error; part of `data` may have been written.
    fn append(&mut self, data: &[u8]) -> io::Result<()>;
    /// Makes everything appended so far durable (`fdatasync`).
    ///
    /// # Errors
    /// Any I/O error. The caller must treat the file's durable state as unknown.
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file to `len` bytes and syncs.
    ///
    /// # Errors
    /// Any I/O error.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// Bytes written to the disk for this file so far: [`AppendFile::len`] plus any
    /// preallocated zeros after it.
    fn allocated(&self) -> u64 {
        self.len()
    }
    /// Writes zeros after the data up to `upto` bytes and makes them durable, so that
    /// later appends overwrite allocated blocks inside the file's size and `fdatasync`
    /// has no metadata to commit (on ext4 about half the latency of a growing file). The
    /// zeros read as a torn tail, which recovery cuts. The default does nothing.
    ///
    /// # Errors
    /// Any I/O error.
    fn preallocate(&mut self, upto: u64) -> io::Result<()> {
        let _ = upto;
        Ok(())
    }
    /// Cuts preallocated zeros off (durably): called before a segment is left behind.
    ///
    /// # Errors
    /// Any I/O error.
    fn trim(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the log needs from a file system.
pub trait Storage: Send + Sync {
    /// The whole file, or `None` if it does not exist.
    ///
    /// # Errors
    /// Any I/O error other than "not found".
    fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>>;
    /// The file as a stream (for reading large segments through a small buffer), or
    /// `None` if it does not exist. The default reads the whole file with [`Storage::read`].
    ///
    /// # Errors
    /// Any I/O error other than "not found".
    fn open_read(&self, name: &str) -> io::Result<Option<Box<dyn io::Read + Send + '_>>> {
        Ok(self
            .read(name)?
            .map(|b| Box::new(io::Cursor::new(b)) as Box<dyn io::Read + Send>))
    }
    /// Fills `buf` from offset `offset` of file `name`. The default reads the whole file
    /// with [`Storage::read`].
    ///
    /// # Errors
    /// Any I/O error; [`io::ErrorKind::UnexpectedEof`] if the file is missing or shorter.
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let data = self.read(name)?.ok_or(io::ErrorKind::UnexpectedEof)?;
        let from = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let src = from
            .checked_add(buf.len())
            .and_then(|to| data.get(from..to))
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    /// File names (not paths) in directory `dir`, sorted; empty if it does not exist.
    ///
    /// # Errors
    /// Any I/O error other than "not found".
    fn list(&self, dir: &str) -> io::Result<Vec<String>>;
    /// Opens `name` for appending, creating it (and making the creation durable) if needed.
    ///
    /// # Errors
    /// Any I/O error.
    fn open_append(&self, name: &str) -> io::Result<Box<dyn AppendFile>>;
    /// Replaces `name` atomically and durably (temp file, sync, rename, directory sync).
    ///
    /// # Errors
    /// Any I/O error.
    fn write_atomic(&self, name: &str, data: &[u8]) -> io::Result<()>;
    /// Removes `name` durably; removing a missing file succeeds.
    ///
    /// # Errors
    /// Any I/O error.
    fn remove(&self, name: &str) -> io::Result<()>;
}

/// The real file system under a root directory.
#[derive(Clone, Debug)]
pub struct FsStorage {
    root: PathBuf,
}

impl FsStorage {
    /// Storage rooted at `dir` (created if missing when first written).
    pub fn new(dir: impl AsRef<Path>) -> Self {
        FsStorage {
            root: dir.as_ref().to_path_buf(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        let mut p = self.root.clone();
        for part in name.split('/') {
            p.push(part);
        }
        p
    }

    fn sync_dir(path: &Path) -> io::Result<()> {
        std::fs::File::open(path)?.sync_all()
    }

    fn ensure_parent(&self, p: &Path) -> io::Result<()> {
        if let Some(parent) = p.parent() {
            if !parent.exists() {
                std::fs::create_dir_all(parent)?;
                if let Some(gp) = parent.parent() {
                    Self::sync_dir(gp)?;
                }
            }
        }
        Ok(())
    }
}

struct FsFile {
    file: std::fs::File,
    /// Length of the data (where the next append goes).
    len: u64,
    /// File size on disk (`len` plus preallocated zeros).
    alloc: u64,
}

impl FsFile {
    /// Moves the file cursor to `len` when it is not already there.
    fn seek_to_len(&mut self) -> io::Result<()> {
        use std::io::Seek;
        self.file.seek(io::SeekFrom::Start(self.len)).map(|_| ())
    }
}

impl AppendFile for FsFile {
    fn len(&self) -> u64 {
        self.len
    }
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        use std::io::Write;
        // The cursor stays at `len` between calls (it is moved back after
        // preallocation and truncation), so this is one plain `write`.
        self.file.write_all(data)?;
        self.len += data.len() as u64;
        self.alloc = self.alloc.max(self.len);
        Ok(())
    }
    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.sync_all()?;
        self.len = len;
        self.alloc = len;
        self.seek_to_len()
    }
    fn allocated(&self) -> u64 {
        self.alloc
    }
    fn preallocate(&mut self, upto: u64) -> io::Result<()> {
        use std::io::{Seek, Write};
        if upto <= self.alloc {
            return Ok(());
        }
        let zeros = [0u8; 64 << 10];
        self.file.seek(io::SeekFrom::Start(self.alloc))?;
        let mut at = self.alloc;
        let result = (|| {
            while at < upto {
                let n = usize::try_from(upto - at).map_or(zeros.len(), |n| n.min(zeros.len()));
                self.file.write_all(&zeros[..n])?;
                at += n as u64;
            }
            self.file.sync_data()
        })();
        self.alloc = self.alloc.max(at);
        self.seek_to_len()?;
        result
    }
    fn trim(&mut self) -> io::Result<()> {
        if self.alloc > self.len {
            self.file.set_len(self.len)?;
            self.file.sync_all()?;
            self.alloc = self.len;
        }
        Ok(())
    }
}

#[cfg(unix)]
fn private_mode(o: &mut std::fs::OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    o.mode(0o600);
}
#[cfg(not(unix))]
fn private_mode(_: &mut std::fs::OpenOptions) {}

impl Storage for FsStorage {
    fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(name)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn open_read(&self, name: &str) -> io::Result<Option<Box<dyn io::Read + Send + '_>>> {
        match std::fs::File::open(self.path(name)) {
            Ok(f) => Ok(Some(Box::new(f))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    #[cfg(unix)]
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        std::fs::File::open(self.path(name))?.read_exact_at(buf, offset)
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let rd = match std::fs::read_dir(self.path(dir)) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for e in rd {
            let e = e?;
            if let Some(n) = e.file_name().to_str() {
                out.push(n.to_owned());
            }
        }
        out.sort();
        Ok(out)
    }

    fn open_append(&self, name: &str) -> io::Result<Box<dyn AppendFile>> {
        let p = self.path(name);
        self.ensure_parent(&p)?;
        let existed = p.exists();
        let mut o = std::fs::OpenOptions::new();
        // Not O_APPEND: preallocated zeros after the data are overwritten in place.
        o.write(true).create(true).read(true);
        private_mode(&mut o);
        let file = o.open(&p)?;
        if !existed {
            file.sync_all()?;
            if let Some(parent) = p.parent() {
                Self::sync_dir(parent)?;
            }
        }
        let len = file.metadata()?.len();
        let mut f = FsFile {
            file,
            len,
            alloc: len,
        };
        f.seek_to_len()?;
        Ok(Box::new(f))
    }

    fn write_atomic(&self, name: &str, data: &[u8]) -> io::Result<()> {
        use std::io::Write;
        let p = self.path(name);
        self.ensure_parent(&p)?;
        let tmp = p.with_extension("tmp");
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        private_mode(&mut o);
        let mut f = o.open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &p)?;
        if let Some(parent) = p.parent() {
            Self::sync_dir(parent)?;
        }
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        let p = self.path(name);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        if let Some(parent) = p.parent() {
            Self::sync_dir(parent)?;
        }
        Ok(())
    }
}

/// Faults that [`FaultyStorage`] injects.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Faults {
    /// Fail the append after this many more successful appends.
    pub fail_append_after: Option<u64>,
    /// When an append fails, write this many of its bytes first (a torn write).
    pub torn_bytes: usize,
    /// Fail the sync after this many more successful syncs.
    pub fail_sync_after: Option<u64>,
}

#[derive(Default)]
struct MemFile {
    /// Bytes as the page cache sees them.
    data: Vec<u8>,
    /// How many leading bytes are durable.
    synced: usize,
}

#[derive(Default)]
struct MemState {
    files: BTreeMap<String, MemFile>,
    faults: Faults,
}

/// An in-memory file system with a simulated page cache and injected faults.
#[derive(Clone, Default)]
pub struct FaultyStorage {
    state: Arc<Mutex<MemState>>,
}

impl core::fmt::Debug for FaultyStorage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FaultyStorage")
    }
}

fn injected(what: &str) -> io::Error {
    io::Error::other(format!("injected fault: {what}"))
}

impl FaultyStorage {
    /// An empty file system with no faults.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, MemState> {
        // A panic while holding the lock only happens in a failing test; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the faults to inject from now on.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// Simulates power loss: every file keeps its synced bytes plus `keep(name, unsynced)`
    /// bytes of what was written after the last sync (the page cache may have written back
    /// any prefix).
    pub fn crash(&self, mut keep: impl FnMut(&str, usize) -> usize) {
        let mut st = self.lock();
        for (name, f) in st.files.iter_mut() {
            let unsynced = f.data.len().saturating_sub(f.synced);
            let k = keep(name, unsynced).min(unsynced);
            f.data.truncate(f.synced + k);
            f.synced = f.data.len();
        }
        st.faults = Faults::default();
    }

    /// Direct access for tamper tests: replaces a file's bytes (durably).
    pub fn put(&self, name: &str, data: Vec<u8>) {
        let synced = data.len();
        self.lock()
            .files
            .insert(name.to_owned(), MemFile { data, synced });
    }
}

struct MemHandle {
    fs: FaultyStorage,
    name: String,
}

impl AppendFile for MemHandle {
    fn len(&self) -> u64 {
        self.fs
            .lock()
            .files
            .get(&self.name)
            .map_or(0, |f| f.data.len() as u64)
    }

    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        let mut st = self.fs.lock();
        let fail = match &mut st.faults.fail_append_after {
            Some(0) => true,
            Some(n) => {
                *n -= 1;
                false
            }
            None => false,
        };
        let torn = st.faults.torn_bytes.min(data.len());
        let f = st.files.entry(self.name.clone()).or_default();
        if fail {
            f.data.extend_from_slice(&data[..torn]);
            return Err(injected("append"));
        }
        f.data.extend_from_slice(data);
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        let mut st = self.fs.lock();
        match &mut st.faults.fail_sync_after {
            Some(0) => return Err(injected("fdatasync")),
            Some(n) => *n -= 1,
            None => {}
        }
        if let Some(f) = st.files.get_mut(&self.name) {
            f.synced = f.data.len();
        }
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        let mut st = self.fs.lock();
        if let Some(f) = st.files.get_mut(&self.name) {
            let len = usize::try_from(len).unwrap_or(usize::MAX).min(f.data.len());
            f.data.truncate(len);
            f.synced = len;
        }
        Ok(())
    }
}

impl Storage for FaultyStorage {
    fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.lock().files.get(name).map(|f| f.data.clone()))
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let prefix = format!("{dir}/");
        Ok(self
            .lock()
            .files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|k| !k.contains('/'))
            .map(str::to_owned)
            .collect())
    }

    fn open_append(&self, name: &str) -> io::Result<Box<dyn AppendFile>> {
        self.lock().files.entry(name.to_owned()).or_default();
        Ok(Box::new(MemHandle {
            fs: self.clone(),
            name: name.to_owned(),
        }))
    }

    fn write_atomic(&self, name: &str, data: &[u8]) -> io::Result<()> {
        self.put(name, data.to_vec());
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        self.lock().files.remove(name);
        Ok(())
    }
}
