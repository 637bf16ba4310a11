//! The data directory: where everything lives, and the two file primitives every part uses
//! (atomic durable writes, random ids).
//!
//! ```text
//! DIR/faxd.toml                 configuration (0600)
//! DIR/secrets/passphrase        the store passphrase (0600; outside the store root)
//! DIR/secrets/store.keys        the store's key file, sealed under the passphrase
//! DIR/store/                    phi-store root (encrypted objects only)
//! DIR/audit/                    phi-audit log (DIR/audit/keys/root.pub: give to auditors)
//! DIR/queue/<job>.json          outbound jobs: ids, states, counts; no PHI
//! DIR/inbox/<name>/<object>.json  index of received faxes: ids, pages, result; no PHI
//! DIR/receipts/<job>.json       delivery receipts
//! DIR/spool/audit/              audit events of faxctl commands while faxd runs
//! DIR/run/faxd.lock             held by the process that writes the audit log
//! DIR/run/status.json           faxd's status, rewritten about once a second
//! ```

use super::error::{FaxdError, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The paths of one data directory.
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `faxd.toml`.
    pub fn config(&self) -> PathBuf {
        self.root.join("faxd.toml")
    }

    /// `secrets/`.
    pub fn secrets(&self) -> PathBuf {
        self.root.join("secrets")
    }

    /// `audit/`.
    pub fn audit(&self) -> PathBuf {
        self.root.join("audit")
    }

    /// `queue/`.
    pub fn queue(&self) -> PathBuf {
        self.root.join("queue")
    }

    /// `inbox/<name>/`.
    pub fn inbox(&self, name: &str) -> PathBuf {
        self.root.join("inbox").join(name)
    }

    /// `receipts/`.
    pub fn receipts(&self) -> PathBuf {
        self.root.join("receipts")
    }

    /// `spool/audit/`.
    pub fn audit_spool(&self) -> PathBuf {
        self.root.join("spool").join("audit")
    }

    /// `run/`.
    pub fn run(&self) -> PathBuf {
        self.root.join("run")
    }

    /// `run/faxd.lock`.
    pub fn lock(&self) -> PathBuf {
        self.run().join("faxd.lock")
    }

    /// `run/status.json`.
    pub fn status(&self) -> PathBuf {
        self.run().join("status.json")
    }

    /// A path from the configuration: relative ones are under the data directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }

    /// Creates the directories faxd writes to (mode 0700).
    ///
    /// # Errors
    /// The first directory that cannot be created.
    pub fn create_dirs(&self) -> Result<()> {
        for d in [
            self.queue(),
            self.receipts(),
            self.audit_spool(),
            self.run(),
            self.root.join("inbox"),
        ] {
            make_private_dir(&d)?;
        }
        Ok(())
    }
}

/// Creates `dir` (and parents) with mode 0700.
///
/// # Errors
/// The I/O error, with the path.
pub fn make_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| FaxdError::io(dir.display(), &e))
}

/// Writes `bytes` to `path` so that a crash leaves either the old or the new file, never a
/// torn one: a temporary file beside it (mode 0600), `fsync`, rename, `fsync` of the
/// directory.
///
/// # Errors
/// The I/O error, with the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let err = |e: std::io::Error| FaxdError::io(path.display(), &e);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".tmp-{name}-{}", random_hex(6)));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// `n` random bytes as lowercase hex (ids of jobs, calls and spool files).
pub fn random_hex(n: usize) -> String {
    use ring::rand::SecureRandom as _;
    let mut b = vec![0u8; n];
    // The system RNG does not fail on Linux; a zero id would still be unique enough for a
    // temporary name, and ids that must be unique are checked with create_new.
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Lowercase hex of `b`.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `ms` since the Unix epoch as `YYYY-MM-DD HH:MM UTC` (the civil-from-days algorithm of
/// H. Hinnant's `chrono`-compatible date library).
pub fn utc_minute(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates_match_known_instants() {
        // `date -u -d @0`, `@951782400` (2000-02-29, a leap day) and `@1795421541`.
        assert_eq!(super::utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::utc_minute(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(super::utc_minute(1_795_421_541_479), "2026-11-23 08:12 UTC");
    }
}
