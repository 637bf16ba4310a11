//! The writer side: keys, opening with crash recovery, group-committed appends, segment
//! rotation, anchoring, retention by key destruction.

use crate::checkpoint::{Checkpoint, VerifierKey};
use crate::error::LogError;
use crate::event::{ClockQuality, Event, Kind, Outcome, Record, Sensitive};
use crate::keys::{public_of, KeyCert};
use crate::merkle::{LeafHasher, StorageLeaves, Tree};
use crate::scan::{scan_log_into, Mode, Scanned, CHECKPOINTS, SEGMENTS};
use crate::seal::{SealKey, TokenKey};
use crate::segment::{self, Header, TAG_CHECKPOINT, TAG_EVENT};
use crate::storage::{AppendFile, Storage};
use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The pinned root public key (C2SP verifier key string).
pub const ROOT_PUB: &str = "keys/root.pub";
const ROOT_KEY: &str = "keys/root.pk8";
const EPOCH_KEY: &str = "keys/epoch.pk8";
const TOKEN_KEY: &str = "keys/token.key";
const HOLD: &str = "keys/legal-hold";
/// The leaf hashes of the tree's complete tiles (derived from the segments, rewritten at
/// every open, never synced), so the writer keeps only the upper tree levels in memory.
pub const LEAVES: &str = "leaves.hash";

fn seal_key_name(segment: u64) -> String {
    format!("keys/seal/{segment:020}.key")
}

/// A source of wall-clock time, injected so tests are deterministic.
pub trait Clock: Send {
    /// Nanoseconds since the Unix epoch, UTC.
    fn now_ns(&self) -> i64;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ns(&self) -> i64 {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
    }
}

/// Settings of an open log.
#[non_exhaustive]
pub struct Config {
    /// Start a new segment when the current one is larger than this (default 64 MiB).
    pub max_segment_bytes: u64,
    /// Copy the newest checkpoint to `checkpoints.log` after this many events (default 4,096)
    pub anchor_every_events: u64,
    /// ... or after this much time (default 1 s), and always on [`Log::close`].
    pub anchor_every: Duration,
    /// The clock.
    pub clock: Box<dyn Clock>,
    /// Retention from event time (default six years and one day, 45 CFR 164.316(b)(2)(i)).
    pub retention: Duration,
    /// Zeros written ahead of the segment's data (default 1 MiB, 0 = off), renewed when
    /// half is used: commits then overwrite allocated blocks and `fdatasync` need not
    /// commit file-size metadata (see [`crate::storage::AppendFile::preallocate`]).
    pub preallocate_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_segment_bytes: 64 << 20,
            anchor_every_events: 4096,
            anchor_every: Duration::from_secs(1),
            clock: Box::new(SystemClock),
            retention: Duration::from_secs((6 * 365 + 2) * 86_400),
            preallocate_bytes: 1 << 20,
        }
    }
}

impl core::fmt::Debug for Config {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Config")
            .field("max_segment_bytes", &self.max_segment_bytes)
            .field("anchor_every_events", &self.anchor_every_events)
            .field("anchor_every", &self.anchor_every)
            .field("preallocate_bytes", &self.preallocate_bytes)
            .finish_non_exhaustive()
    }
}

/// Creates the keys of a new log: a root signing key (PKCS#8, certifies the first segment
/// key; keep a copy offline), its public key (`keys/root.pub`, the key auditors pin) and the
/// search-token key. Returns the verifier key string.
///
/// # Errors
/// [`LogError::Io`] on storage errors, [`LogError::Retention`] if keys already exist.
pub fn init(storage: &dyn Storage, origin: &str) -> Result<String, LogError> {
    if storage
        .read(ROOT_PUB)
        .map_err(LogError::io("read keys"))?
        .is_some()
    {
        return Err(LogError::Retention(
            "keys already exist; refusing to overwrite them",
        ));
    }
    if origin.is_empty() || origin.contains(char::is_whitespace) || origin.contains('+') {
        return Err(LogError::BadKey(
            "origin (must be non-empty, no spaces or '+')",
        ));
    }
    let rng = SystemRandom::new();
    let pk8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| LogError::BadKey("rng"))?;
    let kp = Ed25519KeyPair::from_pkcs8(pk8.as_ref()).map_err(|_| LogError::BadKey("root"))?;
    let token = SealKey::generate_bytes(&rng).map_err(|_| LogError::BadKey("rng"))?;
    let vk = VerifierKey {
        name: origin.to_owned(),
        public: public_of(&kp),
    }
    .to_vkey();
    storage
        .write_atomic(ROOT_KEY, pk8.as_ref())
        .map_err(LogError::io("write root key"))?;
    storage
        .write_atomic(TOKEN_KEY, &token)
        .map_err(LogError::io("write token key"))?;
    storage
        .write_atomic(ROOT_PUB, format!("{vk}\n").as_bytes())
        .map_err(LogError::io("write root public key"))?;
    Ok(vk)
}

/// Reads the pinned root key of a log directory.
///
/// # Errors
/// [`LogError::NotInitialised`] or [`LogError::BadKey`].
pub fn root_key(storage: &dyn Storage) -> Result<VerifierKey, LogError> {
    let b = storage
        .read(ROOT_PUB)
        .map_err(LogError::io("read root key"))?
        .ok_or(LogError::NotInitialised)?;
    let s = std::str::from_utf8(&b).map_err(|_| LogError::BadKey("keys/root.pub"))?;
    VerifierKey::from_vkey(s).map_err(|_| LogError::BadKey("keys/root.pub"))
}

/// Reads the search-token key of a log directory (investigators: keep it as secret as the
/// sealing keys; it reveals which events share a fax number or patient).
///
/// # Errors
/// [`LogError::NotInitialised`] or [`LogError::Io`].
pub fn token_key(storage: &dyn Storage) -> Result<TokenKey, LogError> {
    let b = storage
        .read(TOKEN_KEY)
        .map_err(LogError::io("read token key"))?
        .ok_or(LogError::NotInitialised)?;
    Ok(TokenKey::from_bytes(&b))
}

fn load_pair(
    storage: &dyn Storage,
    name: &'static str,
) -> Result<Option<Ed25519KeyPair>, LogError> {
    match storage.read(name).map_err(LogError::io("read key"))? {
        None => Ok(None),
        Some(b) => Ed25519KeyPair::from_pkcs8(&b)
            .map(Some)
            .map_err(|_| LogError::BadKey(name)),
    }
}

/// What recovery did when the log was opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recovery {
    /// Events found (all acknowledged ones).
    pub size: u64,
    /// Bytes cut from a torn tail.
    pub truncated_bytes: u64,
    /// Torn segment files removed (created but never used).
    pub removed_segments: u32,
}

/// An open audit log (the single writer).
pub struct Log {
    storage: Arc<dyn Storage>,
    origin: String,
    tree: Tree<StorageLeaves>,
    file: Box<dyn AppendFile>,
    checkpoints: Box<dyn AppendFile>,
    segment: u64,
    key: Ed25519KeyPair,
    seal: SealKey,
    tokens: TokenKey,
    certs: Vec<KeyCert>,
    poisoned: bool,
    last_time: i64,
    anchored_size: u64,
    last_anchor: Instant,
    last_note: Option<String>,
    config: Config,
    recovery: Recovery,
    /// Reused buffers of the commit path (frames of a batch, one record).
    frames: Vec<u8>,
    payload: Vec<u8>,
    hasher: LeafHasher,
    /// The caller runs `maintain` after each batch (see `defer_maintenance`).
    deferred: bool,
}

impl core::fmt::Debug for Log {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Log")
            .field("origin", &self.origin)
            .field("size", &self.tree.size())
            .field("segment", &self.segment)
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

fn corrupt(f: crate::scan::Failure) -> LogError {
    if f.missing {
        LogError::MissingAcknowledged {
            found: f.seq,
            checkpoint: f.covered,
        }
    } else {
        LogError::Corrupt {
            seq: f.seq,
            reason: f.reason,
        }
    }
}

impl Log {
    /// Opens (and recovers) the log in `storage`, then starts a new segment with fresh
    /// signing and sealing keys, so nothing keyed is reused across a crash.
    ///
    /// Recovery cuts a torn tail (anything after the last checkpoint frame, which was never
    /// acknowledged) and refuses to start if the log holds fewer events than an anchored
    /// checkpoint covers. If it cut anything, the first event of the new segment is a
    /// `system_recover` event.
    ///
    /// # Errors
    /// [`LogError::NotInitialised`], [`LogError::MissingAcknowledged`],
    /// [`LogError::Corrupt`], [`LogError::Io`].
    pub fn open(storage: Arc<dyn Storage>, config: Config) -> Result<Self, LogError> {
        let root = root_key(storage.as_ref())?;
        let mut recovery = Recovery::default();
        let leaves = StorageLeaves::create(storage.clone(), LEAVES)
            .map_err(LogError::io("create leaves.hash"))?;
        let scanned = scan_log_into(storage.as_ref(), &root, Mode::Recover, false, None, leaves)
            .map_err(corrupt)?;
        let Scanned {
            origin,
            mut segments,
            tree,
            mut certs,
            last_note,
            anchored_size,
            checkpoints_len,
            ..
        } = scanned;
        // Cut torn tails and drop a last segment that was created but never taken into use
        // (its key was never persisted as the current key, so nothing was written with it).
        let epoch = load_pair(storage.as_ref(), EPOCH_KEY)?;
        while let Some(last) = segments.last() {
            let name = format!("{SEGMENTS}/{}", last.name);
            let unused = match (&last.header, &epoch) {
                (None, _) => true,
                (Some(h), Some(k)) => h.cert.public != public_of(k),
                (Some(_), None) => true,
            };
            if unused {
                let first = last
                    .header
                    .as_ref()
                    .map_or(last.end_seq, |h| h.cert.first_seq);
                if last.end_seq != first {
                    return Err(LogError::Corrupt {
                        seq: first,
                        reason: "the last segment's key is not the current signing key".into(),
                    });
                }
                storage
                    .remove(&name)
                    .map_err(LogError::io("remove torn segment"))?;
                if last.header.is_some() {
                    certs.pop();
                }
                segments.pop();
                recovery.removed_segments += 1;
                continue;
            }
            if last.committed_len < last.file_len {
                let mut f = storage
                    .open_append(&name)
                    .map_err(LogError::io("open segment"))?;
                f.truncate(last.committed_len)
                    .map_err(LogError::io("truncate torn tail"))?;
                recovery.truncated_bytes = last.file_len - last.committed_len;
            }
            break;
        }
        let signer = match (segments.is_empty(), epoch) {
            (false, Some(k)) => k,
            _ => load_pair(storage.as_ref(), ROOT_KEY)?.ok_or(LogError::BadKey(
                "keys/root.pk8 (needed to certify the first segment)",
            ))?,
        };
        let tokens = TokenKey::from_bytes(
            &storage
                .read(TOKEN_KEY)
                .map_err(LogError::io("read token key"))?
                .ok_or(LogError::BadKey("keys/token.key"))?,
        );
        let mut checkpoints = storage
            .open_append(CHECKPOINTS)
            .map_err(LogError::io("open checkpoints.log"))?;
        if checkpoints.len() > checkpoints_len {
            checkpoints
                .truncate(checkpoints_len)
                .map_err(LogError::io("truncate checkpoints.log"))?;
        }
        recovery.size = tree.size();
        let segment = segments.len() as u64;
        let (file, key, seal, cert) =
            Self::new_segment(storage.as_ref(), &origin, segment, tree.size(), &signer)?;
        certs.push(cert);
        let mut log = Log {
            storage,
            origin,
            tree,
            file,
            checkpoints,
            segment,
            key,
            seal,
            tokens,
            certs,
            poisoned: false,
            last_time: i64::MIN,
            anchored_size,
            last_anchor: Instant::now(),
            last_note,
            config,
            recovery,
            frames: Vec::new(),
            payload: Vec::with_capacity(512),
            hasher: LeafHasher::default(),
            deferred: false,
        };
        log.prepare()?;
        if log.recovery.truncated_bytes > 0 || log.recovery.removed_segments > 0 {
            let mut e = Event::new(Kind::SystemRecover, Outcome::MinorFailure, "phi-audit");
            e.actor.role = "system".into();
            log.append_batch(vec![e])?;
        }
        Ok(log)
    }

    /// Creates segment `segment` starting at `first_seq`: sealing key, signing key certified
    /// by `signer`, header synced; then the new signing key becomes the current one.
    #[allow(clippy::type_complexity)]
    fn new_segment(
        storage: &dyn Storage,
        origin: &str,
        segment: u64,
        first_seq: u64,
        signer: &Ed25519KeyPair,
    ) -> Result<(Box<dyn AppendFile>, Ed25519KeyPair, SealKey, KeyCert), LogError> {
        let rng = SystemRandom::new();
        let seal_bytes = SealKey::generate_bytes(&rng).map_err(|_| LogError::BadKey("rng"))?;
        storage
            .write_atomic(&seal_key_name(segment), &seal_bytes)
            .map_err(LogError::io("write sealing key"))?;
        let seal = SealKey::from_bytes(&seal_bytes).map_err(|_| LogError::BadKey("seal"))?;
        let pk8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| LogError::BadKey("rng"))?;
        let key =
            Ed25519KeyPair::from_pkcs8(pk8.as_ref()).map_err(|_| LogError::BadKey("epoch"))?;
        let cert = KeyCert::issue(origin, segment, first_seq, public_of(&key), signer);
        let header = Header {
            origin: origin.to_owned(),
            cert: cert.clone(),
        };
        let mut buf = Vec::new();
        segment::frame(&header.encode(), &mut buf);
        let name = format!("{SEGMENTS}/{}", segment::file_name(segment, first_seq));
        let mut file = storage
            .open_append(&name)
            .map_err(LogError::io("create segment"))?;
        file.append(&buf)
            .map_err(LogError::io("write segment header"))?;
        file.sync().map_err(LogError::io("sync segment header"))?;
        storage
            .write_atomic(EPOCH_KEY, pk8.as_ref())
            .map_err(LogError::io("write signing key"))?;
        Ok((file, key, seal, cert))
    }

    /// Number of events (all durable).
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// What recovery did when the log was opened.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The Merkle tree over all durable events (leaf hashes in [`LEAVES`]).
    pub fn tree(&self) -> &Tree<StorageLeaves> {
        &self.tree
    }

    /// The newest signed checkpoint note.
    pub fn checkpoint(&self) -> Option<&str> {
        self.last_note.as_deref()
    }

    /// Certificates of every segment key so far (the auditor's chain from the root key).
    pub fn certs(&self) -> &[KeyCert] {
        &self.certs
    }

    /// The storage the log writes to, for readers of its files (a delivery receipt reads
    /// back the record it just appended to prove it). Only read through it: a write
    /// bypasses the log and breaks what recovery and verification rely on.
    pub fn storage(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    /// Appends one event and returns its seq once it is durable.
    ///
    /// # Errors
    /// As [`Log::append_batch`].
    pub fn append(&mut self, event: Event) -> Result<u64, LogError> {
        let seqs = self.append_batch(vec![event])?;
        seqs.first().copied().ok_or(LogError::Poisoned)
    }

    /// Appends a batch with one `write` and one `fdatasync` (group commit) and returns the
    /// seqs once they are durable. The batch is all or nothing: an invalid event rejects it
    /// before anything is written.
    ///
    /// Fail-closed: after any write or sync error the log refuses every further call with
    /// [`LogError::Poisoned`]; reopen it (which recovers) to continue.
    ///
    /// # Errors
    /// [`LogError::Event`] for an invalid event, [`LogError::Io`] on a storage error,
    /// [`LogError::Poisoned`] after an earlier error.
    pub fn append_batch(&mut self, events: Vec<Event>) -> Result<Vec<u64>, LogError> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        for e in &events {
            e.validate()?;
        }
        if self.deferred && self.file.len() >= self.config.max_segment_bytes {
            // The caller has not run `maintain` since the segment filled.
            self.rotate()?;
        }
        let start = self.tree.size();
        // One random nonce prefix per batch (see `seal`), drawn before anything changes.
        let mut prefix = [0u8; 4];
        ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut prefix)
            .map_err(|_| LogError::BadKey("random source failed while sealing"))?;
        let mut buf = std::mem::take(&mut self.frames);
        buf.clear();
        buf.reserve(events.len() * 320 + 256);
        let mut payload = std::mem::take(&mut self.payload);
        let mut seqs = Vec::with_capacity(events.len());
        for mut e in events {
            let seq = self.tree.size();
            let now = self.config.clock.now_ns();
            let (time_ns, clock) = match e.time_ns {
                Some(t) => (t, ClockQuality::CallerSupplied),
                None if now < self.last_time => (now, ClockQuality::WentBackwards),
                None => (now, ClockQuality::Monotonic),
            };
            if clock != ClockQuality::CallerSupplied {
                self.last_time = now;
            }
            let sensitive = std::mem::take(&mut e.sensitive);
            let (tokens, sealed) = if sensitive.is_empty() {
                (Vec::new(), None)
            } else {
                let sealed = self
                    .seal
                    .seal_with_prefix(prefix, seq, &sensitive)
                    .map_err(|_| {
                        self.poisoned = true;
                        let _ = self.tree.try_truncate(start);
                        LogError::BadKey("sealing failed")
                    })?;
                (self.tokens.tokens_for(&sensitive), Some(sealed))
            };
            e.time_ns = Some(time_ns);
            let rec = Record {
                seq,
                time_ns,
                clock,
                event: e,
                tokens,
                sealed,
            };
            payload.clear();
            payload.push(TAG_EVENT);
            rec.encode_into(&mut payload);
            if let Err(e) = self.tree.try_push(self.hasher.hash(&payload[1..])) {
                self.poisoned = true;
                let _ = self.tree.try_truncate(start);
                return Err(LogError::Io {
                    op: "append leaf hashes",
                    source: e,
                });
            }
            segment::frame(&payload, &mut buf);
            seqs.push(seq);
        }
        self.payload = payload;
        let note = Checkpoint {
            origin: self.origin.clone(),
            size: self.tree.size(),
            root: self.tree.root(),
        }
        .sign(&self.origin, &self.key);
        let mut cp = Vec::with_capacity(note.len() + 1);
        cp.push(TAG_CHECKPOINT);
        cp.extend_from_slice(note.as_bytes());
        segment::frame(&cp, &mut buf);
        let written = self.file.append(&buf).and_then(|()| self.file.sync());
        self.frames = buf;
        if let Err(e) = written {
            self.poisoned = true;
            let _ = self.tree.try_truncate(start);
            return Err(LogError::Io {
                op: "append batch",
                source: e,
            });
        }
        self.last_note = Some(note);
        if !self.deferred {
            self.maintain()?;
        }
        Ok(seqs)
    }

    /// The housekeeping after a commit: anchors the newest checkpoint when due
    /// ([`Config::anchor_every_events`], [`Config::anchor_every`]), starts a new segment
    /// when the current one is full, renews the preallocated zeros ([`Log::prepare`]).
    /// [`Log::append_batch`] runs it before returning; the group-commit
    /// [`crate::writer::Writer`] runs it after answering the batch instead, so that no
    /// acknowledgement waits for an anchor's or a new segment's syncs.
    ///
    /// # Errors
    /// [`LogError::Io`] (the log is then poisoned), [`LogError::Poisoned`].
    pub fn maintain(&mut self) -> Result<(), LogError> {
        self.maintain_busy()?;
        self.prepare()
    }

    /// [`Log::maintain`] without renewing the preallocated zeros: what the group-commit
    /// writer runs when events are already waiting (appends then grow the file, which
    /// costs each sync some metadata but writes every byte once).
    ///
    /// # Errors
    /// As [`Log::maintain`].
    pub fn maintain_busy(&mut self) -> Result<(), LogError> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        if self.tree.size() - self.anchored_size >= self.config.anchor_every_events
            || self.last_anchor.elapsed() >= self.config.anchor_every
        {
            self.anchor()?;
        }
        if self.file.len() >= self.config.max_segment_bytes {
            self.rotate()?;
        }
        Ok(())
    }

    /// Lets the caller run [`Log::maintain`] after each batch instead of
    /// [`Log::append_batch`] (the group-commit writer).
    pub(crate) fn defer_maintenance(&mut self) {
        self.deferred = true;
    }

    /// Renews the zeros preallocated ahead of the current segment's data when less than
    /// half of [`Config::preallocate_bytes`] is left (one write and one `fdatasync` per
    /// renewal), part of [`Log::maintain`].
    ///
    /// # Errors
    /// [`LogError::Io`] (the log is then poisoned), [`LogError::Poisoned`].
    pub fn prepare(&mut self) -> Result<(), LogError> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        let want = self.config.preallocate_bytes;
        let left = self.file.allocated().saturating_sub(self.file.len());
        if want == 0 || left >= want / 2 {
            return Ok(());
        }
        // Never past the size at which the segment rotates (and is trimmed).
        let upto = (self.file.len() + want).min(self.config.max_segment_bytes);
        if let Err(e) = self.file.preallocate(upto) {
            self.poisoned = true;
            return Err(LogError::Io {
                op: "preallocate segment",
                source: e,
            });
        }
        Ok(())
    }

    /// Copies the newest checkpoint to `checkpoints.log` (synced). Recovery refuses to start
    /// if the segments hold fewer events than this file covers.
    ///
    /// # Errors
    /// [`LogError::Io`] (the log is then poisoned).
    pub fn anchor(&mut self) -> Result<(), LogError> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        let Some(note) = &self.last_note else {
            return Ok(());
        };
        if self.anchored_size == self.tree.size() {
            return Ok(());
        }
        let mut buf = Vec::new();
        segment::frame(note.as_bytes(), &mut buf);
        if let Err(e) = self
            .checkpoints
            .append(&buf)
            .and_then(|()| self.checkpoints.sync())
        {
            self.poisoned = true;
            return Err(LogError::Io {
                op: "anchor checkpoint",
                source: e,
            });
        }
        self.anchored_size = self.tree.size();
        self.last_anchor = Instant::now();
        Ok(())
    }

    /// Starts a new segment (new signing key certified by the current one, new sealing key).
    ///
    /// # Errors
    /// [`LogError::Io`] (the log is then poisoned).
    pub fn rotate(&mut self) -> Result<(), LogError> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        let segment = self.segment + 1;
        // The segment left behind must end with its last frame (no zeros) before the next
        // one exists: verification allows a torn tail only in the last segment.
        if let Err(e) = self.file.trim() {
            self.poisoned = true;
            return Err(LogError::Io {
                op: "trim segment",
                source: e,
            });
        }
        match Self::new_segment(
            self.storage.as_ref(),
            &self.origin,
            segment,
            self.tree.size(),
            &self.key,
        ) {
            Ok((file, key, seal, cert)) => {
                self.file = file;
                self.key = key;
                self.seal = seal;
                self.certs.push(cert);
                self.segment = segment;
                self.prepare()
            }
            Err(e) => {
                self.poisoned = true;
                Err(e)
            }
        }
    }

    /// Anchors the newest checkpoint and closes the log.
    ///
    /// # Errors
    /// [`LogError::Io`].
    pub fn close(mut self) -> Result<(), LogError> {
        self.anchor()?;
        self.file.trim().map_err(LogError::io("trim segment"))
    }
}

/// Opens the sealed fields of `record` with the key of the segment that holds it.
///
/// # Errors
/// [`LogError::Retention`] if the key was destroyed, [`LogError::BadKey`] if it does not
/// open the fields.
pub fn open_sealed(
    storage: &dyn Storage,
    segment: u64,
    record: &Record,
) -> Result<Sensitive, LogError> {
    let Some(blob) = &record.sealed else {
        return Ok(Sensitive::default());
    };
    let key = storage
        .read(&seal_key_name(segment))
        .map_err(LogError::io("read sealing key"))?
        .ok_or(LogError::Retention(
            "the segment's sealing key was destroyed (expired)",
        ))?;
    let key = SealKey::from_bytes(&key).map_err(|_| LogError::BadKey("sealing key"))?;
    key.open(record.seq, blob)
        .map_err(|_| LogError::BadKey("sealing key does not open the fields"))
}

/// Places or releases a legal hold: while held, nothing expires.
///
/// # Errors
/// [`LogError::Io`].
pub fn set_legal_hold(storage: &dyn Storage, held: bool) -> Result<(), LogError> {
    if held {
        storage.write_atomic(HOLD, b"held\n")
    } else {
        storage.remove(HOLD)
    }
    .map_err(LogError::io("legal hold"))
}

/// True if a legal hold is in place.
///
/// # Errors
/// [`LogError::Io`].
pub fn legal_hold(storage: &dyn Storage) -> Result<bool, LogError> {
    Ok(storage
        .read(HOLD)
        .map_err(LogError::io("legal hold"))?
        .is_some())
}

/// Destroys the sealing key of `segment` (crypto-shredding at retention expiry): its sealed
/// fields become unreadable while every hash, checkpoint and proof stays valid. Refused
/// under legal hold. The caller records a `retention_expire` event (see
/// [`Log::expire_segment`], which does both).
///
/// # Errors
/// [`LogError::Retention`] under legal hold, [`LogError::Io`].
pub fn destroy_seal_key(storage: &dyn Storage, segment: u64) -> Result<(), LogError> {
    if legal_hold(storage)? {
        return Err(LogError::Retention(
            "a legal hold is in place; nothing expires",
        ));
    }
    storage
        .remove(&seal_key_name(segment))
        .map_err(LogError::io("destroy sealing key"))
}

impl Log {
    /// Expires an old segment: checks that its newest event is older than the retention
    /// period, destroys its sealing key and records a `retention_expire` event (audited).
    ///
    /// # Errors
    /// [`LogError::Retention`] if the segment is the current one, too young or under legal
    /// hold; [`LogError::Io`].
    pub fn expire_segment(&mut self, segment: u64, newest_event_ns: i64) -> Result<u64, LogError> {
        if segment >= self.segment {
            return Err(LogError::Retention("the current segment cannot expire"));
        }
        let age = self.config.clock.now_ns().saturating_sub(newest_event_ns);
        let limit = i64::try_from(self.config.retention.as_nanos()).unwrap_or(i64::MAX);
        if age < limit {
            return Err(LogError::Retention(
                "the segment is inside the retention period",
            ));
        }
        destroy_seal_key(self.storage.as_ref(), segment)?;
        let mut e = Event::new(Kind::RetentionExpire, Outcome::Success, "phi-audit");
        e.actor.role = "system".into();
        e.objects.push(crate::event::ObjectRef {
            kind: "audit_segment".into(),
            id: segment.to_string(),
            role: "expired".into(),
            header_sha256: None,
        });
        self.append(e)
    }
}

impl From<crate::seal::SealError> for LogError {
    fn from(_: crate::seal::SealError) -> Self {
        LogError::BadKey("sealing")
    }
}
