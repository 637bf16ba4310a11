//! The configuration file (`faxd.toml`): one TOML file with safe defaults for every field.
//! Unknown fields are an error (a typo must not silently fall back to a default), and a file
//! that group or others can read is refused: it names the passphrase source and the routing
//! of PHI.
//!
//! Relative paths are relative to the data directory.

use super::error::{FaxdError, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole configuration. See [`DEFAULT_TOML`] for an annotated example.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The data directory (queue, store, audit log, receipts). Default: the directory that
    /// holds the configuration file.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Log level (`error`, `warn`, `info`, `debug`, `trace`; default `info`). The `FAXD_LOG`
    /// environment variable overrides it. No level ever logs PHI.
    #[serde(default = "default_log")]
    pub log: String,
    /// `paced` (default: real fax timing, ~35 s per page at 14 400 bit/s) or `unpaced`
    /// (every packet at once: seconds per call, for tests and demos on loopback).
    #[serde(default)]
    pub pacing: PacingMode,
    /// Most calls at the same time, inbound and outbound together (default 16). A caller
    /// beyond it is ignored (its datagrams counted as dropped).
    #[serde(default = "default_max_calls")]
    pub max_calls: usize,
    /// Seconds active calls may take to finish after SIGTERM/SIGINT before they are aborted
    /// and their jobs parked as pending (default 60).
    #[serde(default = "default_grace")]
    pub grace_period_secs: u64,
    /// T.38 options.
    #[serde(default)]
    pub t38: T38,
    /// Retries of outbound jobs.
    #[serde(default)]
    pub retries: Retries,
    /// Retention of content.
    #[serde(default)]
    pub retention: Retention,
    /// Where encrypted content is stored.
    #[serde(default)]
    pub storage: Storage,
    /// Where the store's passphrase comes from.
    #[serde(default)]
    pub secrets: Secrets,
    /// Minimum necessary: most pages (cover page included) per destination class.
    #[serde(default)]
    pub limits: Limits,
    /// Outbound defaults.
    #[serde(default)]
    pub outbound: Outbound,
    /// Our lines: a number and the UDP address its T.38 arrives at. At least one.
    #[serde(default, rename = "line")]
    pub lines: Vec<Line>,
    /// Inboxes: where inbound faxes go, by line and subaddress.
    #[serde(default, rename = "inbox")]
    pub inboxes: Vec<Inbox>,
    /// The recipient directory: the only destinations outbound jobs may go to.
    #[serde(default, rename = "recipient")]
    pub recipients: Vec<Recipient>,
}

fn default_log() -> String {
    "info".into()
}
fn default_max_calls() -> usize {
    16
}
fn default_grace() -> u64 {
    60
}
fn default_true() -> bool {
    true
}

/// How the terminal spreads transmissions over time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PacingMode {
    /// Real fax timing (default).
    #[default]
    Paced,
    /// Everything at once (loopback tests and demos).
    Unpaced,
}

/// UDPTL error recovery.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Recovery {
    /// No error recovery.
    None,
    /// Redundancy, depth 3 (default).
    #[default]
    Redundancy,
    /// Parity FEC, 3 entries over 3 packets.
    Fec,
}

/// `[t38]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct T38 {
    /// `T38FaxVersion` (0-4, default 0): 0 uses the 1998 IFP packing, 1-4 the 2002 one.
    #[serde(default)]
    pub version: u8,
    /// Error correction mode (default true).
    #[serde(default = "default_true")]
    pub ecm: bool,
    /// UDPTL error recovery (default `redundancy`).
    #[serde(default)]
    pub error_recovery: Recovery,
}

impl Default for T38 {
    fn default() -> Self {
        T38 {
            version: 0,
            ecm: true,
            error_recovery: Recovery::Redundancy,
        }
    }
}

/// `[retries]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retries {
    /// Attempts per job, the first included (default 3).
    #[serde(default = "default_attempts")]
    pub attempts: u32,
    /// Seconds before the second attempt (default 60); doubled for each further one.
    #[serde(default = "default_backoff")]
    pub backoff_secs: f64,
    /// Longest wait between attempts in seconds (default 900).
    #[serde(default = "default_backoff_max")]
    pub backoff_max_secs: f64,
}

fn default_attempts() -> u32 {
    3
}
fn default_backoff() -> f64 {
    60.0
}
fn default_backoff_max() -> f64 {
    900.0
}

impl Default for Retries {
    fn default() -> Self {
        Retries {
            attempts: default_attempts(),
            backoff_secs: default_backoff(),
            backoff_max_secs: default_backoff_max(),
        }
    }
}

impl Retries {
    /// The wait after failed attempt number `attempt` (1 = first).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2f64.powi(
            i32::try_from(attempt.saturating_sub(1))
                .unwrap_or(30)
                .min(30),
        );
        secs(
            (self.backoff_secs * factor).min(self.backoff_max_secs),
            Duration::from_secs(900),
        )
    }
}

/// `[retention]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Outbound document content is crypto-shredded this many minutes after the job's final
    /// delivery status (default 30; fractions allowed). Metadata and audit stay.
    #[serde(default = "default_outbound_minutes")]
    pub outbound_content_minutes: f64,
    /// Inbound content is shredded this many days after it was received (default: kept
    /// until an operator removes it).
    #[serde(default)]
    pub inbound_content_days: Option<f64>,
    /// Object metadata (ids, sizes, dates) is deleted this many days after creation
    /// (default 2192, six years, HIPAA's documentation retention).
    #[serde(default = "default_metadata_days")]
    pub metadata_days: f64,
}

fn default_outbound_minutes() -> f64 {
    30.0
}
fn default_metadata_days() -> f64 {
    2192.0
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            outbound_content_minutes: default_outbound_minutes(),
            inbound_content_days: None,
            metadata_days: default_metadata_days(),
        }
    }
}

impl Retention {
    /// The outbound content retention.
    pub fn outbound(&self) -> Duration {
        secs(
            self.outbound_content_minutes * 60.0,
            Duration::from_secs(1800),
        )
    }
}

/// Seconds as a duration; `fallback` for values that are not finite or negative (validation
/// refuses those first).
pub(crate) fn secs(s: f64, fallback: Duration) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(fallback)
}

/// Storage backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The filesystem under the data directory (default).
    #[default]
    Fs,
    /// An S3-compatible bucket (needs the `s3` feature of faxkit-examples; credentials from
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`).
    S3,
}

/// `[storage]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// `fs` (default) or `s3`.
    #[serde(default)]
    pub backend: Backend,
    /// The store root for `fs` (default `store`).
    #[serde(default)]
    pub root: Option<PathBuf>,
    /// S3 endpoint URL (default: AWS).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// S3 bucket (required for `s3`).
    #[serde(default)]
    pub bucket: Option<String>,
    /// S3 region (default `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// Allow plain HTTP to the endpoint (local test servers only; default false).
    #[serde(default)]
    pub allow_http: bool,
}

/// Where the passphrase comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PassphraseSource {
    /// A file (default `secrets/passphrase`, mode 0600).
    #[default]
    File,
    /// The `FAXKIT_PASSPHRASE` environment variable.
    Env,
}

/// `[secrets]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    /// `file` (default) or `env`.
    #[serde(default)]
    pub passphrase: PassphraseSource,
    /// The passphrase file (default `secrets/passphrase`); must not be group- or
    /// world-readable.
    #[serde(default)]
    pub passphrase_file: Option<PathBuf>,
    /// The store's key file, sealed under the passphrase (default `secrets/store.keys`,
    /// outside the store root).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
}

/// `[limits]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Most pages of a job whose destination class has no entry in `by_class` (default 25).
    #[serde(default = "default_max_pages")]
    pub default_max_pages: u32,
    /// Most pages per destination class, e.g. `{ pharmacy = 5, payer = 40 }`.
    #[serde(default)]
    pub by_class: BTreeMap<String, u32>,
    /// Most pages one inbound call may deliver (default 200): received pages are held in
    /// memory until the call ends, so a caller that never stops is cut off here.
    #[serde(default = "default_inbound_pages")]
    pub max_inbound_pages: u32,
}

fn default_inbound_pages() -> u32 {
    200
}

fn default_max_pages() -> u32 {
    25
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            default_max_pages: default_max_pages(),
            by_class: BTreeMap::new(),
            max_inbound_pages: default_inbound_pages(),
        }
    }
}

impl Limits {
    /// The page limit of destination class `class`.
    pub fn max_pages(&self, class: &str) -> u32 {
        self.by_class
            .get(class)
            .copied()
            .unwrap_or(self.default_max_pages)
    }
}

/// `[outbound]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbound {
    /// The store tenant of outbound documents (default `outbound`).
    #[serde(default = "default_outbound_tenant")]
    pub tenant: String,
    /// The line (number) outbound calls leave from (default: the first line).
    #[serde(default)]
    pub line: Option<String>,
}

fn default_outbound_tenant() -> String {
    "outbound".into()
}

impl Default for Outbound {
    fn default() -> Self {
        Outbound {
            tenant: default_outbound_tenant(),
            line: None,
        }
    }
}

/// `[[line]]`: one of our numbers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    /// Our fax number on this line (also our CSI/TSI).
    pub number: String,
    /// UDP address to listen on, HOST:PORT.
    pub listen: SocketAddr,
}

/// `[[inbox]]`: a destination for inbound faxes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inbox {
    /// Name (a-z, 0-9, `-`, `_`).
    pub name: String,
    /// The line number whose calls it takes.
    pub line: String,
    /// Only faxes whose sender gave this T.30 subaddress (SUB); none: the line's catch-all.
    #[serde(default)]
    pub subaddress: Option<String>,
    /// Roles allowed to list and read it.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The store tenant its faxes belong to (default `default`).
    #[serde(default = "default_tenant")]
    pub tenant: String,
}

fn default_tenant() -> String {
    "default".into()
}

/// `[[recipient]]`: a destination outbound jobs may go to.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The fax number `faxctl submit --to` names.
    pub number: String,
    /// The T.38 endpoint, HOST:PORT (we have no SIP: the address is configured).
    pub address: SocketAddr,
    /// Name (printed on the cover page when `--cover-to` is not given).
    #[serde(default)]
    pub name: String,
    /// Verified (default false): unverified numbers need `--allow-unverified --reason`.
    #[serde(default)]
    pub verified: bool,
    /// Destination class for the page limits (default `default`).
    #[serde(default = "default_tenant")]
    pub class: String,
}

/// An annotated configuration with every default spelled out; `faxd init` writes it with
/// the line filled in.
pub const DEFAULT_TOML: &str = include_str!("faxd.default.toml");

/// Refuses `path` if group or others may read or write it (it holds or names secrets).
///
/// # Errors
/// [`FaxdError::Invalid`] telling the user to `chmod 600` it.
pub fn check_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(|e| FaxdError::io(path.display(), &e))?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(FaxdError::Invalid(format!(
            "{}: readable or writable by group or others (mode {:o}); run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        )));
    }
    Ok(())
}

impl Config {
    /// Reads, permission-checks and validates the file at `path`.
    ///
    /// # Errors
    /// [`FaxdError::Invalid`] for an unreadable, group/world-readable or invalid file.
    pub fn load(path: &Path) -> Result<Config> {
        check_private(path)?;
        let text = std::fs::read_to_string(path).map_err(|e| FaxdError::io(path.display(), &e))?;
        let mut c = Config::parse(&text).map_err(|e| {
            FaxdError::Invalid(format!("{}: {}", path.display(), e.to_string().trim()))
        })?;
        if c.data_dir.is_none() {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            c.data_dir = Some(dir.to_path_buf());
        }
        Ok(c)
    }

    /// Parses and validates configuration text.
    ///
    /// # Errors
    /// [`FaxdError::Invalid`] naming the first problem.
    pub fn parse(text: &str) -> Result<Config> {
        let c: Config = toml::from_str(text).map_err(|e| FaxdError::Invalid(e.to_string()))?;
        c.validate()?;
        Ok(c)
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| PathBuf::from("."))
    }

    /// Checks what serde cannot.
    ///
    /// # Errors
    /// [`FaxdError::Invalid`] naming the first problem.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(FaxdError::Invalid(m));
        if self.lines.is_empty() {
            return bad("no [[line]]: add one with number and listen address".into());
        }
        if self.t38.version > 4 {
            return bad(format!(
                "t38.version {}: versions are 0 to 4",
                self.t38.version
            ));
        }
        if self.max_calls == 0 || self.max_calls > 4096 {
            return bad("max_calls: 1 to 4096".into());
        }
        if log_level(&self.log).is_none() {
            return bad(format!(
                "log = {:?}: use error, warn, info, debug or trace",
                self.log
            ));
        }
        if self.retries.attempts == 0 || self.retries.attempts > 100 {
            return bad("retries.attempts: 1 to 100".into());
        }
        let durations = [
            ("retries.backoff_secs", self.retries.backoff_secs),
            ("retries.backoff_max_secs", self.retries.backoff_max_secs),
            (
                "retention.outbound_content_minutes",
                self.retention.outbound_content_minutes,
            ),
            ("retention.metadata_days", self.retention.metadata_days),
            (
                "retention.inbound_content_days",
                self.retention.inbound_content_days.unwrap_or(0.0),
            ),
        ];
        for (name, v) in durations {
            if !v.is_finite() || !(0.0..=1e9).contains(&v) {
                return bad(format!("{name}: a non-negative number"));
            }
        }
        let mut numbers = std::collections::HashSet::new();
        for l in &self.lines {
            if l.number.trim().is_empty() || t30::Identity::new(&l.number).is_err() {
                return bad("a [[line]] number must be 1-20 printable characters".into());
            }
            if !numbers.insert(l.number.as_str()) {
                return bad("two [[line]] entries have the same number".into());
            }
        }
        let mut names = std::collections::HashSet::new();
        for i in &self.inboxes {
            phi_store::Tenant::new(&i.name).map_err(|_| {
                FaxdError::Invalid(format!("inbox name {:?}: use a-z, 0-9, - and _", i.name))
            })?;
            phi_store::Tenant::new(&i.tenant).map_err(|_| {
                FaxdError::Invalid(format!(
                    "inbox {}: tenant {:?}: use a-z, 0-9, - and _",
                    i.name, i.tenant
                ))
            })?;
            if !names.insert(i.name.as_str()) {
                return bad(format!("inbox {}: defined twice", i.name));
            }
            if !numbers.contains(i.line.as_str()) {
                return bad(format!(
                    "inbox {}: its line is not a [[line]] number",
                    i.name
                ));
            }
            if let Some(s) = &i.subaddress {
                if t30::Identity::new(s).is_err() {
                    return bad(format!(
                        "inbox {}: subaddress: 1-20 printable characters",
                        i.name
                    ));
                }
            }
        }
        phi_store::Tenant::new(&self.outbound.tenant)
            .map_err(|_| FaxdError::Invalid("outbound.tenant: use a-z, 0-9, - and _".into()))?;
        if let Some(l) = &self.outbound.line {
            if !numbers.contains(l.as_str()) {
                return bad("outbound.line is not a [[line]] number".into());
            }
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.recipients {
            if r.number.trim().is_empty() {
                return bad("a [[recipient]] has an empty number".into());
            }
            if !seen.insert(r.number.as_str()) {
                return bad("two [[recipient]] entries have the same number".into());
            }
        }
        if self.storage.backend == Backend::S3 && self.storage.bucket.is_none() {
            return bad("storage.backend = \"s3\" needs storage.bucket".into());
        }
        Ok(())
    }

    /// The line outbound calls leave from (index into `lines`).
    pub fn outbound_line(&self) -> usize {
        self.outbound
            .line
            .as_ref()
            .and_then(|n| self.lines.iter().position(|l| &l.number == n))
            .unwrap_or(0)
    }

    /// The recipient with this number, if any.
    pub fn recipient(&self, number: &str) -> Option<&Recipient> {
        let n = number.trim();
        self.recipients.iter().find(|r| r.number.trim() == n)
    }

    /// The inbox a fax on line `line` with subaddress `sub` (empty: none) goes to: the
    /// inbox for that subaddress, else the line's catch-all (no subaddress).
    pub fn route(&self, line: &str, sub: &str) -> Option<&Inbox> {
        let sub = sub.trim();
        let on_line = || self.inboxes.iter().filter(move |i| i.line == line);
        if !sub.is_empty() {
            if let Some(i) = on_line().find(|i| i.subaddress.as_deref().map(str::trim) == Some(sub))
            {
                return Some(i);
            }
        }
        on_line().find(|i| i.subaddress.is_none())
    }

    /// The inbox called `name`.
    pub fn inbox(&self, name: &str) -> Option<&Inbox> {
        self.inboxes.iter().find(|i| i.name == name)
    }
}

/// The tracing level named `s`.
pub fn log_level(s: &str) -> Option<tracing::level_filters::LevelFilter> {
    use tracing::level_filters::LevelFilter;
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "off" => LevelFilter::OFF,
        "error" => LevelFilter::ERROR,
        "warn" => LevelFilter::WARN,
        "info" => LevelFilter::INFO,
        "debug" => LevelFilter::DEBUG,
        "trace" => LevelFilter::TRACE,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_file_parses_with_the_documented_defaults() {
        let text =
            format!("{DEFAULT_TOML}\n[[line]]\nnumber = \"100\"\nlisten = \"127.0.0.1:0\"\n");
        let c = Config::parse(&text).expect("default config");
        assert_eq!(c.pacing, PacingMode::Paced);
        assert_eq!(c.max_calls, 16);
        assert_eq!(c.grace_period_secs, 60);
        assert_eq!(c.retention.outbound(), Duration::from_secs(1800));
        assert_eq!(c.retries.attempts, 3);
        assert_eq!(c.storage.backend, Backend::Fs);
        assert_eq!(c.secrets.passphrase, PassphraseSource::File);
        assert!(c.t38.ecm);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = format!("max_cals = 3\n{DEFAULT_TOML}");
        let e = Config::parse(&text).expect_err("typo accepted");
        assert!(e.to_string().contains("max_cals"), "{e}");
    }

    #[test]
    fn routing_prefers_the_subaddress_then_the_catch_all() {
        let c = Config::parse(
            r#"
            [[line]]
            number = "100"
            listen = "127.0.0.1:0"
            [[inbox]]
            name = "main"
            line = "100"
            [[inbox]]
            name = "lab"
            line = "100"
            subaddress = "22"
            tenant = "lab"
            "#,
        )
        .expect("config");
        assert_eq!(c.route("100", "22").map(|i| i.name.as_str()), Some("lab"));
        assert_eq!(c.route("100", "23").map(|i| i.name.as_str()), Some("main"));
        assert_eq!(c.route("100", "").map(|i| i.name.as_str()), Some("main"));
        assert!(c.route("200", "").is_none());
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let r = Retries {
            attempts: 5,
            backoff_secs: 10.0,
            backoff_max_secs: 35.0,
        };
        assert_eq!(r.backoff(1), Duration::from_secs(10));
        assert_eq!(r.backoff(2), Duration::from_secs(20));
        assert_eq!(r.backoff(3), Duration::from_secs(35));
    }
}
