//! The server: one thread runs one loop that owns every call, the queue, the store and the
//! audit log. Reader threads (one per line socket) only move datagrams into a bounded
//! channel; the loop wakes on a datagram or at the earliest deadline of all calls and its
//! periodic work (queue scan, audit spool, status file, retention sweep).

use super::audit::{self, event, job_ref, object};
use super::call::{self, session_config, Call, Pages};
use super::config::{Config, PacingMode};
use super::data::{now_ms, random_hex, write_atomic, DataDir};
use super::document;
use super::error::{FaxdError, Result};
use super::queue::{self, Job, JobState};
use super::status::{CallStatus, Counters, JobStatus, QueueStatus, Status};
use super::store::{self as fstore, Collected, FaxStore, GATEWAY, GATEWAY_ROLE, INBOUND};
use crate::receipt;
use phi_audit::event::{Direction, Fax, Purpose as AuditPurpose};
use phi_audit::{Event, Kind, Log, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver as ChanRx, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};
use t30::Completion;

/// Datagrams waiting between the reader threads and the loop (beyond it the kernel drops).
const CHANNEL_DEPTH: usize = 8192;
/// How often the queue directory and the audit spool are looked at.
const SCAN_EVERY: Duration = Duration::from_millis(200);
/// How often `run/status.json` is rewritten.
const STATUS_EVERY: Duration = Duration::from_secs(1);
/// Datagrams from a peer whose call just ended are ignored this long (late repeats must not
/// start a new call).
const LINGER: Duration = Duration::from_secs(5);
/// Unpaced: datagrams sent back to back before a short breather (keeps the peer's socket
/// buffer from overflowing on loopback).
const BURST: u64 = 8;
const BREATHER: Duration = Duration::from_micros(300);

/// One line of the index of an inbox (`DIR/inbox/<name>/<object>.json`): no PHI.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxEntry {
    /// The store object (TIFF Class F).
    pub object: String,
    /// The store tenant.
    pub tenant: String,
    /// When it was received (ms since the Unix epoch).
    pub received_ms: i64,
    /// Pages.
    pub pages: u32,
    /// False if the call failed before the document was complete: the pages it holds are
    /// what arrived, and readers must not treat it as the whole document.
    pub complete: bool,
    /// The T.30 result.
    pub t30_result: String,
    /// The call id.
    pub call_id: String,
    /// Seq of the `fax_receive` audit event.
    pub audit_seq: u64,
}

struct Datagram {
    line: usize,
    peer: SocketAddr,
    bytes: Vec<u8>,
}

/// An outbound attempt in progress.
struct Outbound {
    env: document::Envelope,
    sha256: String,
    pages: u32,
}

/// The running server.
pub struct Server {
    cfg: Config,
    data: DataDir,
    store: FaxStore,
    hook: Collected,
    log: Option<Log>,
    _lock: File,
    sockets: Vec<UdpSocket>,
    rx: ChanRx<Datagram>,
    stop_readers: Arc<AtomicBool>,
    calls: HashMap<(usize, SocketAddr), Call>,
    outbound: HashMap<String, Outbound>,
    lingering: HashMap<(usize, SocketAddr), Instant>,
    jobs: BTreeMap<String, Job>,
    counters: Counters,
    started_ms: i64,
    sent_since_breather: u64,
}

fn completion_name(c: &Completion) -> String {
    let s = format!("{c:?}");
    // Keep the variant and its reason; nothing in a Completion is PHI.
    s.chars().take(120).collect()
}

impl Server {
    /// Opens everything: takes the data directory's lock (waiting up to 10 s for a `faxctl`
    /// command that holds it), opens store and audit log, recovers jobs a crash left active,
    /// binds the lines.
    ///
    /// # Errors
    /// Another faxd runs on this data directory; the store, the log or a socket cannot be
    /// opened.
    pub fn open(cfg: Config) -> Result<Server> {
        let data = DataDir::new(cfg.data_dir());
        data.create_dirs()?;
        let lock = audit::lock_file(&data)?;
        let start = Instant::now();
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock)
                    if start.elapsed() < Duration::from_secs(10) =>
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(FaxdError::Invalid(format!(
                        "{}: another faxd (or a long faxctl command) holds this data directory",
                        data.lock().display()
                    )))
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(FaxdError::io(data.lock().display(), &e))
                }
            }
        }
        let hook = Collected::default();
        let store = fstore::open(&cfg, &data, hook.clone())?;
        fstore::ensure_keys(&store, &cfg)?;
        let log = audit::open_log(&data)?;
        let stop_readers = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel(CHANNEL_DEPTH);
        let mut sockets = Vec::new();
        for (i, l) in cfg.lines.iter().enumerate() {
            let s = UdpSocket::bind(l.listen)
                .map_err(|e| FaxdError::io(format!("line {} listen {}", i + 1, l.listen), &e))?;
            spawn_reader(i, &s, tx.clone(), stop_readers.clone())?;
            sockets.push(s);
        }
        let mut server = Server {
            cfg,
            data,
            store,
            hook,
            log: Some(log),
            _lock: lock,
            sockets,
            rx,
            stop_readers,
            calls: HashMap::new(),
            outbound: HashMap::new(),
            lingering: HashMap::new(),
            jobs: BTreeMap::new(),
            counters: Counters::default(),
            started_ms: now_ms(),
            sent_since_breather: 0,
        };
        server.startup()?;
        Ok(server)
    }

    /// The addresses the lines listen on (the ports, when the configuration said 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.sockets
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    fn log(&mut self) -> Result<&mut Log> {
        self.log
            .as_mut()
            .ok_or_else(|| FaxdError::Invalid("audit log closed".into()))
    }

    fn ingest(&mut self) -> Result<usize> {
        let data = self.data.clone();
        audit::ingest_spool(&data, self.log()?)
    }

    fn append(&mut self, events: Vec<Event>) -> Result<Vec<u64>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.log()?
            .append_batch(events)
            .map_err(|e| FaxdError::audit("append", &e))
    }

    /// Writes what the store reported to the audit log.
    fn flush_store_events(&mut self) -> Result<()> {
        let events = audit::from_store(self.hook.take(), GATEWAY_ROLE);
        self.append(events).map(|_| ())
    }

    fn startup(&mut self) -> Result<()> {
        let mut start = event(Kind::SystemStart, Outcome::Success, GATEWAY, GATEWAY_ROLE);
        start.correlation.request_id = format!("lines={}", self.cfg.lines.len());
        self.append(vec![start])?;
        let n = self.ingest()?;
        if n > 0 {
            tracing::info!(
                events = n,
                "recorded audit events spooled while faxd was down"
            );
        }
        let (jobs, damaged) = queue::list(&self.data);
        if damaged > 0 {
            tracing::warn!(
                files = damaged,
                "queue files that do not parse were skipped"
            );
        }
        for mut job in jobs {
            if job.state == JobState::Active {
                // The process died (or was killed) mid-call: the attempt counts, the job
                // goes back to the queue, and the recovery is audited.
                job.state = if job.attempts >= job.max_attempts {
                    JobState::Failed
                } else {
                    JobState::Pending
                };
                job.next_try_ms = now_ms();
                job.last_result = "Interrupted".into();
                let mut e = event(
                    Kind::SystemRecover,
                    Outcome::MinorFailure,
                    GATEWAY,
                    GATEWAY_ROLE,
                );
                e.objects.push(job_ref(&job.id));
                e.correlation.request_id = format!("job {} -> {}", job.id, job.state.as_str());
                self.append(vec![e])?;
                job.save(&self.data)?;
                tracing::warn!(job = %job.id, attempts = job.attempts, "job was active at the last stop; back in the queue");
                if job.state == JobState::Failed {
                    self.finalize(&mut job, None, None)?;
                }
            }
            self.jobs.insert(job.id.clone(), job);
        }
        tracing::info!(
            lines = self.sockets.len(),
            jobs = self.jobs.len(),
            "faxd started"
        );
        Ok(())
    }

    /// Runs until `stop` is set, then shuts down gracefully.
    ///
    /// # Errors
    /// A failure of the audit log or the store that makes going on unsafe.
    pub fn run(mut self, stop: &AtomicBool) -> Result<()> {
        let mut next_scan = Instant::now();
        let mut next_status = Instant::now();
        let mut next_sweep = Instant::now();
        let sweep_every = (self.cfg.retention.outbound() / 4)
            .clamp(Duration::from_millis(200), Duration::from_secs(60));
        let mut shutdown_at: Option<Instant> = None;
        let mut out = Vec::new();
        loop {
            let now = Instant::now();
            if shutdown_at.is_none() && stop.load(Ordering::Relaxed) {
                let grace = Duration::from_secs(self.cfg.grace_period_secs);
                shutdown_at = Some(now + grace);
                tracing::info!(
                    calls = self.calls.len(),
                    grace_secs = grace.as_secs(),
                    "shutting down: no new calls"
                );
            }
            let accepting = shutdown_at.is_none();
            // Wait for a datagram or the next deadline.
            let mut wake = next_scan.min(next_status);
            for c in self.calls.values() {
                if let Some(d) = c.deadline() {
                    wake = wake.min(d);
                }
            }
            let wait = wake
                .saturating_duration_since(now)
                .min(Duration::from_millis(100));
            match self.rx.recv_timeout(wait) {
                Ok(d) => {
                    self.datagram(d, accepting);
                    for _ in 0..1024 {
                        match self.rx.try_recv() {
                            Ok(d) => self.datagram(d, accepting),
                            Err(_) => break,
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(FaxdError::Invalid("every line's socket failed".into()))
                }
            }
            let now = Instant::now();
            self.drive_calls(now, &mut out);
            self.finish_calls()?;
            if now >= next_scan {
                next_scan = now + SCAN_EVERY;
                let n = self.ingest()?;
                if n > 0 {
                    tracing::debug!(events = n, "recorded spooled audit events");
                }
                if accepting {
                    self.scan_queue()?;
                }
            }
            if now >= next_sweep {
                next_sweep = now + sweep_every;
                self.sweep()?;
            }
            if now >= next_status {
                next_status = now + STATUS_EVERY;
                self.write_status(shutdown_at.is_some());
            }
            self.lingering.retain(|_, until| *until > now);
            if let Some(at) = shutdown_at {
                if self.calls.is_empty() {
                    break;
                }
                if now >= at {
                    tracing::warn!(
                        calls = self.calls.len(),
                        "grace period over: aborting the remaining calls"
                    );
                    for c in self.calls.values_mut() {
                        c.abort(now);
                    }
                    self.drive_calls(now, &mut out);
                    self.finish_calls_parked()?;
                    break;
                }
            }
        }
        self.shutdown()
    }

    fn shutdown(mut self) -> Result<()> {
        let n = self.ingest()?;
        if n > 0 {
            tracing::debug!(events = n, "recorded spooled audit events");
        }
        self.flush_store_events()?;
        self.append(vec![event(
            Kind::SystemStop,
            Outcome::Success,
            GATEWAY,
            GATEWAY_ROLE,
        )])?;
        if let Some(log) = self.log.take() {
            log.close().map_err(|e| FaxdError::audit("close", &e))?;
        }
        self.write_status(true);
        self.stop_readers.store(true, Ordering::Relaxed);
        tracing::info!("faxd stopped");
        Ok(())
    }

    fn datagram(&mut self, d: Datagram, accepting: bool) {
        self.counters.datagrams_in += 1;
        let key = (d.line, d.peer);
        let now = Instant::now();
        if let Some(c) = self.calls.get_mut(&key) {
            c.receive(&d.bytes, now);
            return;
        }
        if self.lingering.contains_key(&key) {
            self.counters.late_datagrams += 1;
            return;
        }
        if !call::starts_call(&d.bytes, self.cfg.t38.version) {
            // Never state per garbage datagram: one counter.
            self.counters.bad_datagrams += 1;
            return;
        }
        if !accepting || self.calls.len() >= self.cfg.max_calls {
            self.counters.calls_refused += 1;
            return;
        }
        let id = format!("c{}", random_hex(8));
        let pages = Pages::default();
        let mut s = t30::Config::receiver(false, Box::new(pages.clone()));
        s = session_config(&self.cfg, s);
        s.capabilities.subaddress = true;
        if let Some(line) = self.cfg.lines.get(d.line) {
            if let Ok(ident) = t30::Identity::new(&line.number) {
                s.identity = ident;
            }
        }
        match Call::new(&self.cfg, id, d.peer, d.line, s, pages, now) {
            Ok(mut c) => {
                tracing::info!(call = %c.id, line = d.line + 1, "inbound call");
                c.receive(&d.bytes, now);
                self.calls.insert(key, c);
            }
            Err(e) => tracing::error!(error = %e, "cannot set up an inbound call"),
        }
    }

    fn drive_calls(&mut self, now: Instant, out: &mut Vec<Vec<u8>>) {
        let unpaced = self.cfg.pacing == PacingMode::Unpaced;
        let max_pages = self.cfg.limits.max_inbound_pages;
        for c in self.calls.values_mut() {
            out.clear();
            c.drive(now, out);
            if c.job.is_none() && c.progress > max_pages && !c.is_done() {
                tracing::warn!(call = %c.id, pages = c.progress, "inbound page limit reached: call aborted");
                c.abort(now);
                c.drive(now, out);
            }
            let Some(sock) = self.sockets.get(c.line) else {
                continue;
            };
            for d in out.iter() {
                if unpaced {
                    self.sent_since_breather += 1;
                    if self.sent_since_breather.is_multiple_of(BURST) {
                        std::thread::sleep(BREATHER);
                    }
                }
                // A send error (ICMP unreachable from an earlier datagram) is like loss:
                // the session's timers decide.
                if sock.send_to(d, c.peer).is_ok() {
                    self.counters.datagrams_out += 1;
                }
            }
        }
    }

    fn finish_calls(&mut self) -> Result<()> {
        let done: Vec<_> = self
            .calls
            .iter()
            .filter(|(_, c)| c.is_done())
            .map(|(k, _)| *k)
            .collect();
        for k in done {
            if let Some(c) = self.calls.remove(&k) {
                self.lingering.insert(k, Instant::now() + LINGER);
                self.finish(c, false)?;
            }
        }
        Ok(())
    }

    /// After the grace period: every call was aborted; outbound jobs are parked as pending.
    fn finish_calls_parked(&mut self) -> Result<()> {
        let all: Vec<_> = self.calls.keys().copied().collect();
        for k in all {
            if let Some(c) = self.calls.remove(&k) {
                self.finish(c, true)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, c: Call, parked: bool) -> Result<()> {
        if c.job.is_some() {
            self.finish_outbound(c, parked)
        } else {
            self.finish_inbound(c)
        }
    }

    fn finish_inbound(&mut self, c: Call) -> Result<()> {
        let outcome = c.outcome().cloned();
        let result = outcome.as_ref().map_or_else(
            || "Unfinished".to_string(),
            |o| completion_name(&o.completion),
        );
        let ok = outcome
            .as_ref()
            .is_some_and(|o| o.completion == Completion::Ok);
        let got = c.pages.take();
        let line = self.cfg.lines.get(c.line).cloned();
        let line_number = line.as_ref().map(|l| l.number.clone()).unwrap_or_default();
        let sub = outcome
            .as_ref()
            .map(|o| o.subaddress.reveal().to_string())
            .unwrap_or_default();
        let (inbox, tenant) = match self.cfg.route(&line_number, &sub) {
            Some(i) => (i.name.clone(), i.tenant.clone()),
            None => (fstore::UNROUTED.to_string(), fstore::UNROUTED.to_string()),
        };
        let pages = u32::try_from(got.len()).unwrap_or(u32::MAX);
        let complete = ok && !got.is_empty();
        let mut object_id = None;
        if !got.is_empty() {
            let bitmaps: Vec<t30::Page> = got.iter().map(|p| p.page.clone()).collect();
            let bad: Vec<u32> = got.iter().map(|p| p.bad_rows).collect();
            let tiff = document::pages_to_tiff(&bitmaps, &bad)?;
            let ct = phi_store::ContentType::new("image/tiff")
                .map_err(|e| FaxdError::store("content type", &e))?;
            let id = self
                .store
                .put_bytes(
                    &fstore::gateway()?,
                    &fstore::tenant(&tenant)?,
                    &fstore::class(INBOUND)?,
                    ct,
                    &tiff,
                )
                .map_err(|e| FaxdError::store("put received fax", &e))?;
            object_id = Some(id.to_string());
        }
        self.flush_store_events()?;
        let mut e = event(
            Kind::FaxReceive,
            if complete {
                Outcome::Success
            } else {
                Outcome::MinorFailure
            },
            GATEWAY,
            GATEWAY_ROLE,
        );
        e.purpose = AuditPurpose::Operations;
        e.correlation.request_id = format!("inbox={inbox}");
        e.fax = Some(Fax {
            direction: Some(Direction::Receive),
            local_number: line_number,
            pages,
            t30_result: result.clone(),
            call_id: c.id.clone(),
            attempt: 1,
        });
        if let Some(o) = &outcome {
            if !o.remote.is_empty() {
                e.sensitive.remote_number = Some(o.remote.reveal().to_string());
            }
        }
        if let Some(id) = &object_id {
            e.objects.push(object(id, "document"));
        }
        let seq = self.append(vec![e])?.first().copied().unwrap_or_default();
        if let Some(id) = &object_id {
            let mut pc = event(Kind::PhiCreate, Outcome::Success, GATEWAY, GATEWAY_ROLE);
            pc.objects.push(object(id, "document"));
            pc.correlation.parent_seq = Some(seq);
            pc.purpose = AuditPurpose::Operations;
            self.append(vec![pc])?;
            let entry = InboxEntry {
                object: id.clone(),
                tenant,
                received_ms: now_ms(),
                pages,
                complete,
                t30_result: result.clone(),
                call_id: c.id.clone(),
                audit_seq: seq,
            };
            let dir = self.data.inbox(&inbox);
            super::data::make_private_dir(&dir)?;
            let json =
                serde_json::to_vec_pretty(&entry).map_err(|e| FaxdError::Invalid(e.to_string()))?;
            write_atomic(&dir.join(format!("{id}.json")), &json)?;
        }
        if complete {
            self.counters.calls_in_ok += 1;
        } else {
            self.counters.calls_in_failed += 1;
        }
        self.counters.pages_in += u64::from(pages);
        tracing::info!(call = %c.id, pages, complete, result = %result, object = object_id.as_deref().unwrap_or("-"), "inbound call ended");
        Ok(())
    }

    fn scan_queue(&mut self) -> Result<()> {
        let (jobs, _) = queue::list(&self.data);
        for j in jobs {
            // New jobs come from faxctl submit; known ones are ours to change.
            self.jobs.entry(j.id.clone()).or_insert(j);
        }
        let now = now_ms();
        let due: Vec<String> = self
            .jobs
            .values()
            .filter(|j| j.state == JobState::Pending && j.next_try_ms <= now)
            .map(|j| j.id.clone())
            .collect();
        for id in due {
            if self.calls.len() >= self.cfg.max_calls {
                break;
            }
            self.start_job(&id)?;
        }
        Ok(())
    }

    fn start_job(&mut self, id: &str) -> Result<()> {
        let Some(mut job) = self.jobs.get(id).cloned() else {
            return Ok(());
        };
        let oid = phi_store::ObjectId::parse(&job.object)
            .map_err(|e| FaxdError::store("job object id", &e))?;
        let tenant = fstore::tenant(&job.tenant)?;
        let mut blob = self.store.get_bytes(&fstore::gateway()?, &tenant, oid);
        if matches!(blob, Err(phi_store::StoreError::UnknownKey)) {
            // A key created by another process since we opened the key file (faxd creates
            // every key it expects at start-up; this covers one made by hand): reload, retry.
            self.store = fstore::open(&self.cfg, &self.data, self.hook.clone())?;
            blob = self.store.get_bytes(&fstore::gateway()?, &tenant, oid);
        }
        self.flush_store_events()?;
        let (env, pages) = match blob
            .map_err(|e| FaxdError::store("get", &e))
            .and_then(|b| document::decode(&b))
        {
            Ok(x) => x,
            Err(e) => {
                tracing::error!(job = %job.id, error = %e, "the job's document cannot be read; job failed");
                job.attempts += 1;
                job.last_result = "DocumentUnreadable".into();
                return self.finalize(&mut job, None, None);
            }
        };
        let Some(address) = self.cfg.recipient(&env.remote_number).map(|r| r.address) else {
            tracing::error!(job = %job.id, "the recipient is no longer in the directory; job failed");
            job.attempts += 1;
            job.last_result = "RecipientRemoved".into();
            return self.finalize(&mut job, None, None);
        };
        let line = self.cfg.outbound_line();
        if self.calls.contains_key(&(line, address))
            || self.lingering.contains_key(&(line, address))
        {
            // One call per peer at a time; the next scan tries again.
            return Ok(());
        }
        job.state = JobState::Active;
        job.attempts += 1;
        job.save(&self.data)?;
        let sha256 = document::sha256(&pages);
        let count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
        let mut s = t30::Config::sender(true, Box::new(t30::MemorySource::new(pages)));
        s = session_config(&self.cfg, s);
        if let Some(l) = self.cfg.lines.get(line) {
            if let Ok(ident) = t30::Identity::new(&l.number) {
                s.identity = ident;
            }
        }
        let call_id = format!("c{}", random_hex(8));
        let mut c = Call::new(
            &self.cfg,
            call_id,
            address,
            line,
            s,
            Pages::default(),
            Instant::now(),
        )
        .map_err(|e| FaxdError::Invalid(e.to_string()))?;
        c.job = Some(job.id.clone());
        tracing::info!(call = %c.id, job = %job.id, attempt = job.attempts, pages = count, "outbound call");
        self.outbound.insert(
            c.id.clone(),
            Outbound {
                env,
                sha256,
                pages: count,
            },
        );
        self.calls.insert((line, address), c);
        self.jobs.insert(job.id.clone(), job);
        Ok(())
    }

    fn finish_outbound(&mut self, c: Call, parked: bool) -> Result<()> {
        let Some(job_id) = c.job.clone() else {
            return Ok(());
        };
        let Some(mut job) = self.jobs.get(&job_id).cloned() else {
            return Ok(());
        };
        let ctx = self.outbound.remove(&c.id);
        let outcome = c.outcome().cloned();
        let result = if parked {
            "Parked".to_string()
        } else {
            outcome.as_ref().map_or_else(
                || "Unfinished".to_string(),
                |o| completion_name(&o.completion),
            )
        };
        let sent = outcome.as_ref().map_or(0, |o| o.pages_sent);
        let expected = ctx.as_ref().map_or(job.pages, |x| x.pages);
        let ok = !parked
            && outcome
                .as_ref()
                .is_some_and(|o| o.completion == Completion::Ok)
            && sent == expected;
        let line_number = self
            .cfg
            .lines
            .get(c.line)
            .map(|l| l.number.clone())
            .unwrap_or_default();
        let mut e = event(
            Kind::FaxSend,
            if ok {
                Outcome::Success
            } else {
                Outcome::MinorFailure
            },
            GATEWAY,
            GATEWAY_ROLE,
        );
        e.purpose = AuditPurpose::Disclosure;
        e.fax = Some(Fax {
            direction: Some(Direction::Send),
            local_number: line_number.clone(),
            pages: sent,
            t30_result: result.clone(),
            call_id: c.id.clone(),
            attempt: job.attempts,
        });
        e.objects.push(job_ref(&job.id));
        e.objects.push(object(&job.object, "document"));
        if let Some(x) = &ctx {
            e.sensitive.remote_number = Some(x.env.remote_number.clone());
            e.sensitive.names = x.env.names.clone();
            e.sensitive.patients = x.env.patient.iter().cloned().collect();
        }
        let send_seq = self.append(vec![e])?.first().copied();
        job.last_result = result.clone();
        if ok {
            self.counters.calls_out_ok += 1;
            self.counters.pages_out += u64::from(sent);
        } else {
            self.counters.calls_out_failed += 1;
        }
        tracing::info!(call = %c.id, job = %job.id, attempt = job.attempts, pages = sent, result = %result, "outbound call ended");
        if ok {
            job.state = JobState::Done;
            return self.finalize_with(
                &mut job,
                send_seq,
                ctx.as_ref(),
                sent,
                &result,
                &c.id,
                &line_number,
            );
        }
        if parked || job.attempts < job.max_attempts {
            job.state = JobState::Pending;
            job.next_try_ms = now_ms()
                + if parked {
                    0
                } else {
                    i64::try_from(self.cfg.retries.backoff(job.attempts).as_millis())
                        .unwrap_or(i64::MAX / 2)
                };
            job.save(&self.data)?;
            self.jobs.insert(job.id.clone(), job);
            return Ok(());
        }
        self.finalize_with(
            &mut job,
            send_seq,
            ctx.as_ref(),
            sent,
            &result,
            &c.id,
            &line_number,
        )
    }

    /// A final status without a call context (the document could not be read, the
    /// recipient vanished, or the last attempt was interrupted by a crash).
    fn finalize(
        &mut self,
        job: &mut Job,
        send_seq: Option<u64>,
        ctx: Option<&Outbound>,
    ) -> Result<()> {
        let result = job.last_result.clone();
        self.finalize_with(job, send_seq, ctx, 0, &result, "", "")
    }

    #[allow(clippy::too_many_arguments)]
    fn finalize_with(
        &mut self,
        job: &mut Job,
        send_seq: Option<u64>,
        ctx: Option<&Outbound>,
        sent: u32,
        result: &str,
        call_id: &str,
        local_number: &str,
    ) -> Result<()> {
        let delivered = job.state == JobState::Done;
        if !delivered {
            job.state = JobState::Failed;
        }
        job.finished_ms = Some(now_ms());
        // Starts the retention clock of the document.
        if let (Ok(oid), Ok(t)) = (
            phi_store::ObjectId::parse(&job.object),
            fstore::tenant(&job.tenant),
        ) {
            if let Err(e) = self.store.mark_final_delivery(&fstore::gateway()?, &t, oid) {
                tracing::error!(job = %job.id, error = %e, "cannot record the final delivery in the store");
            }
        }
        self.flush_store_events()?;
        let delivery = receipt::Delivery {
            job: job.id.clone(),
            remote_number: ctx.map(|x| x.env.remote_number.clone()).unwrap_or_default(),
            local_number: local_number.to_string(),
            pages: sent,
            t30_result: result.to_string(),
            delivered,
            document_sha256: ctx.map(|x| x.sha256.clone()).unwrap_or_default(),
            call_id: call_id.to_string(),
            attempt: job.attempts,
        };
        let issued = receipt::issue(self.log()?, &delivery);
        match issued {
            Ok(r) => {
                let json =
                    serde_json::to_vec_pretty(&r).map_err(|e| FaxdError::Invalid(e.to_string()))?;
                write_atomic(
                    &self.data.receipts().join(format!("{}.json", job.id)),
                    &json,
                )?;
                tracing::info!(job = %job.id, delivered, "receipt issued");
            }
            Err(e) => {
                // The delivery status is audited either way; only the receipt is missing.
                tracing::error!(job = %job.id, error = %e, "no receipt; delivery status audited without one");
                let mut ds = event(
                    Kind::DeliveryStatus,
                    if delivered {
                        Outcome::Success
                    } else {
                        Outcome::SeriousFailure
                    },
                    GATEWAY,
                    GATEWAY_ROLE,
                );
                ds.correlation.parent_seq = send_seq;
                ds.purpose = AuditPurpose::Disclosure;
                ds.objects.push(job_ref(&job.id));
                ds.fax = Some(Fax {
                    direction: Some(Direction::Send),
                    local_number: local_number.to_string(),
                    pages: sent,
                    t30_result: result.to_string(),
                    call_id: call_id.to_string(),
                    attempt: job.attempts,
                });
                if let Some(x) = ctx {
                    ds.sensitive.remote_number = Some(x.env.remote_number.clone());
                }
                self.append(vec![ds])?;
            }
        }
        job.save(&self.data)?;
        tracing::info!(job = %job.id, state = job.state.as_str(), attempts = job.attempts, "job final");
        self.jobs.insert(job.id.clone(), job.clone());
        Ok(())
    }

    fn sweep(&mut self) -> Result<()> {
        let tenants = match self.store.tenants() {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "retention sweep: cannot list tenants");
                return Ok(());
            }
        };
        let ctx = fstore::gateway()?;
        for t in tenants {
            if let Err(e) = self.store.sweep(&ctx, &t) {
                tracing::error!(error = %e, "retention sweep failed for a tenant");
            }
        }
        let events = self.hook.take();
        let expired = events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    phi_store::audit::AuditEvent::Retention {
                        op: phi_store::audit::RetentionOp::ExpireContent,
                        ..
                    }
                )
            })
            .count();
        // Only report the sweeps that did something (a decision per sweep would flood the
        // log); the retention actions themselves are always recorded.
        let audited: Vec<_> = audit::from_store(events, GATEWAY_ROLE)
            .into_iter()
            .filter(|e| e.kind != Kind::PolicyDecision || e.outcome != Outcome::Success)
            .collect();
        self.append(audited)?;
        if expired > 0 {
            tracing::info!(objects = expired, "retention: content shredded");
            let ids: Vec<String> = self
                .jobs
                .values()
                .filter(|j| j.state.is_final() && !j.shredded)
                .map(|j| j.id.clone())
                .collect();
            for id in ids {
                let Some(job) = self.jobs.get_mut(&id) else {
                    continue;
                };
                let (Ok(oid), Ok(t)) = (
                    phi_store::ObjectId::parse(&job.object),
                    fstore::tenant(&job.tenant),
                ) else {
                    continue;
                };
                if self.store.head(&ctx, &t, oid).is_ok_and(|i| i.shredded) {
                    job.shredded = true;
                    job.save(&self.data)?;
                }
            }
            // The head checks above are routine; keep only denials.
            let _ = self.hook.take();
        }
        Ok(())
    }

    fn write_status(&self, stopping: bool) {
        let mut q = QueueStatus::default();
        for j in self.jobs.values() {
            match j.state {
                JobState::Pending => q.pending += 1,
                JobState::Active => q.active += 1,
                JobState::Done => q.done += 1,
                JobState::Failed => q.failed += 1,
            }
            q.jobs.push(JobStatus::of(j));
        }
        let now = Instant::now();
        let calls = self
            .calls
            .values()
            .map(|c| CallStatus {
                id: c.id.clone(),
                direction: if c.job.is_some() { "out" } else { "in" }.into(),
                job: c.job.clone(),
                line: c.line + 1,
                pages: c.page_count(),
                seconds: now.saturating_duration_since(c.started).as_secs_f64(),
            })
            .collect();
        let st = Status {
            pid: std::process::id(),
            running: !stopping || !self.calls.is_empty(),
            stopping,
            started_ms: self.started_ms,
            updated_ms: now_ms(),
            lines: self.local_addrs().iter().map(ToString::to_string).collect(),
            queue: q,
            calls,
            counters: self.counters,
        };
        if let Ok(json) = serde_json::to_vec_pretty(&st) {
            if let Err(e) = write_atomic(&self.data.status(), &json) {
                tracing::warn!(error = %e, "cannot write the status file");
            }
        }
    }
}

fn spawn_reader(
    line: usize,
    socket: &UdpSocket,
    tx: SyncSender<Datagram>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let s = socket
        .try_clone()
        .map_err(|e| FaxdError::io("socket", &e))?;
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| FaxdError::io("socket", &e))?;
    std::thread::Builder::new()
        .name(format!("faxd-line-{}", line + 1))
        .spawn(move || {
            // Bigger than any valid datagram: an oversized one arrives whole and is refused
            // by the UDPTL limits instead of being silently cut.
            let mut buf = vec![0u8; 2048];
            while !stop.load(Ordering::Relaxed) {
                match s.recv_from(&mut buf) {
                    Ok((n, peer)) => {
                        let d = Datagram {
                            line,
                            peer,
                            bytes: buf[..n].to_vec(),
                        };
                        if tx.send(d).is_err() {
                            break;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock
                                | std::io::ErrorKind::TimedOut
                                | std::io::ErrorKind::Interrupted
                                | std::io::ErrorKind::ConnectionRefused
                                | std::io::ErrorKind::ConnectionReset
                        ) => {}
                    Err(e) => {
                        tracing::error!(line = line + 1, error = %e, "line socket failed");
                        break;
                    }
                }
            }
        })
        .map(|_| ())
        .map_err(|e| FaxdError::io("thread", &e))
}
