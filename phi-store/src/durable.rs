//! Durable file writes: temp file in the same directory, `fdatasync`, then rename (replace) or
//! hard link (create-only), then `fsync` of the directory so the new name survives a crash.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A temp name beside `path` that no other writer in this or another process uses.
pub(crate) fn temp_path(dir: &Path) -> PathBuf {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!(".tmp-{}-{}", std::process::id(), n))
}

/// Fsyncs a directory so that entries created or renamed in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates the temp file, lets `fill` write it, and syncs its data.
pub(crate) fn write_temp(
    dir: &Path,
    fill: &mut dyn FnMut(&mut File) -> io::Result<()>,
) -> io::Result<PathBuf> {
    let tmp = temp_path(dir);
    let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    let r = fill(&mut f)
        .and_then(|()| f.flush())
        .and_then(|()| f.sync_data());
    if let Err(e) = r {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

/// Publishes a synced temp file under `path`, failing with `AlreadyExists` if the name is
/// taken (hard link is atomic and never overwrites).
pub(crate) fn publish_new(tmp: &Path, path: &Path) -> io::Result<()> {
    let r = fs::hard_link(tmp, path);
    let _ = fs::remove_file(tmp);
    r?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Publishes a synced temp file under `path`, atomically replacing what was there.
pub(crate) fn publish_replace(tmp: &Path, path: &Path) -> io::Result<()> {
    if let Err(e) = fs::rename(tmp, path) {
        let _ = fs::remove_file(tmp);
        return Err(e);
    }
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Atomically and durably replaces the file at `path` with `bytes`.
pub(crate) fn write_replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = write_temp(dir, &mut |f| f.write_all(bytes))?;
    publish_replace(&tmp, path)
}

/// Durably creates `path` with `bytes`; `AlreadyExists` if it exists.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = write_temp(dir, &mut |f| f.write_all(bytes))?;
    publish_new(&tmp, path)
}
