//! The default backend: one file per blob under a root directory.
//!
//! Create: write a temp file in the target directory, `fdatasync`, hard-link it to the final
//! name (atomic, fails if the name exists: create-only), unlink the temp, `fsync` the
//! directory. Replace: temp, `fdatasync`, rename, directory `fsync`. A crash at any point
//! leaves either no object or the complete one, plus at most a `.tmp-*` file that is never
//! listed or read (removed by [`FsBackend::remove_stale_temps`]).

use super::{check_name, Backend, ObjectWriter};
use crate::durable;
use crate::error::{Result, StoreError};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Blobs as files under `root`.
#[derive(Debug, Clone)]
pub struct FsBackend {
    root: PathBuf,
}

fn map_io(e: io::Error) -> StoreError {
    match e.kind() {
        io::ErrorKind::NotFound => StoreError::NotFound,
        io::ErrorKind::AlreadyExists => StoreError::AlreadyExists,
        _ => StoreError::Backend(e),
    }
}

impl FsBackend {
    /// Opens (creating if needed) a backend rooted at `root`.
    ///
    /// # Errors
    /// I/O errors creating the directory.
    pub fn open(root: &Path) -> Result<FsBackend> {
        fs::create_dir_all(root)?;
        Ok(FsBackend {
            root: root.to_owned(),
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, name: &str) -> Result<PathBuf> {
        check_name(name)?;
        Ok(self.root.join(name))
    }

    /// Creates the parent directory of `path` durably.
    fn ensure_parent(&self, path: &Path) -> Result<PathBuf> {
        let parent = path.parent().unwrap_or(&self.root).to_owned();
        if !parent.is_dir() {
            let mut missing = Vec::new();
            let mut p = parent.as_path();
            while !p.is_dir() {
                missing.push(p.to_owned());
                p = p.parent().unwrap_or(&self.root);
            }
            fs::create_dir_all(&parent)?;
            for dir in missing.iter().rev() {
                durable::sync_dir(dir.parent().unwrap_or(&self.root))?;
            }
        }
        Ok(parent)
    }

    /// Deletes `.tmp-*` files left by a crash. Call only when no other writer is active.
    ///
    /// # Errors
    /// I/O errors.
    pub fn remove_stale_temps(&self) -> Result<usize> {
        let mut n = 0;
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for e in fs::read_dir(&dir)? {
                let e = e?;
                let name = e.file_name();
                if e.file_type()?.is_dir() {
                    stack.push(e.path());
                } else if name.to_string_lossy().starts_with(".tmp-") {
                    fs::remove_file(e.path())?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }
}

struct FsWriter {
    file: File,
    tmp: PathBuf,
    path: PathBuf,
    done: bool,
}

impl Write for FsWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.file.write(data)
    }
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all(data)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl ObjectWriter for FsWriter {
    fn commit(mut self: Box<Self>) -> Result<()> {
        self.file.sync_data()?;
        self.done = true;
        durable::publish_new(&self.tmp, &self.path).map_err(map_io)
    }
}

impl Drop for FsWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

impl Backend for FsBackend {
    fn create(&self, name: &str) -> Result<Box<dyn ObjectWriter + '_>> {
        let path = self.path(name)?;
        let dir = self.ensure_parent(&path)?;
        let tmp = durable::temp_path(&dir);
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        Ok(Box::new(FsWriter {
            file,
            tmp,
            path,
            done: false,
        }))
    }
    fn replace(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(name)?;
        self.ensure_parent(&path)?;
        durable::write_replace(&path, bytes).map_err(map_io)
    }
    fn get(&self, name: &str) -> Result<Vec<u8>> {
        fs::read(self.path(name)?).map_err(map_io)
    }
    fn reader(&self, name: &str) -> Result<Box<dyn Read + Send + '_>> {
        let f = File::open(self.path(name)?).map_err(map_io)?;
        Ok(Box::new(io::BufReader::with_capacity(1 << 16, f)))
    }
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> Result<()> {
        let mut f = File::open(self.path(name)?).map_err(map_io)?;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                StoreError::Integrity
            } else {
                StoreError::Backend(e)
            }
        })
    }
    fn size(&self, name: &str) -> Result<u64> {
        Ok(fs::metadata(self.path(name)?).map_err(map_io)?.len())
    }
    fn delete(&self, name: &str) -> Result<()> {
        let path = self.path(name)?;
        match fs::remove_file(&path) {
            Ok(()) => durable::sync_dir(path.parent().unwrap_or(&self.root)).map_err(Into::into),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let start = if prefix.is_empty() {
            self.root.clone()
        } else {
            self.root.join(prefix.trim_end_matches('/'))
        };
        if !start.is_dir() {
            return Ok(out);
        }
        let mut stack = vec![start];
        while let Some(dir) = stack.pop() {
            for e in fs::read_dir(&dir)? {
                let e = e?;
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') {
                    continue;
                }
                if e.file_type()?.is_dir() {
                    stack.push(e.path());
                } else if let Ok(rel) = e.path().strip_prefix(&self.root) {
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    if rel.starts_with(prefix) {
                        out.push(rel);
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }
}
