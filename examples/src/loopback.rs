//! The loopback fax: the whole main job in one process, shared by the `loopback_fax` example
//! and its integration test (both include this file with `#[path]`).
//!
//! Two T.38 terminals (ours at both ends) talk over two real UDP sockets on 127.0.0.1, each
//! terminal on its own thread with its own UDPTL sender (redundancy 3) and receiver. Both use
//! [`Pacing::Unpaced`]: every IFP of a transmission leaves at once instead of at the modem's
//! line rate, so a 3-page call takes a few seconds of session timers and turnarounds instead
//! of the ~35 s per page a paced (real-time) call needs. The session still negotiates ECM
//! with MMR at 14 400 bit/s exactly as it would on a real line.
//!
//! The answering side keeps each received page; afterwards every page is written as a
//! single-page TIFF Class F (MH), stored encrypted in a `phi-store` (filesystem backend, local
//! keyring under a generated passphrase kept outside the store root), and recorded in a
//! `phi-audit` log (one `fax_receive` event naming every object, one `phi_create` per
//! object). The log is then verified from its bytes and the root key alone, an inclusion
//! proof for the receive event is built and checked, and every page is read back, decrypted,
//! decoded and compared with what was sent.

use phi_audit::event::{Direction, Fax, ObjectRef};
use phi_audit::scan::{scan_log, Mode};
use phi_audit::storage::FsStorage;
use phi_audit::{Event, Kind, Log, Outcome as AuditOutcome, Proof};
use phi_store::audit::NoAudit;
use phi_store::backend::FsBackend;
use phi_store::keys::LocalKeyring;
use phi_store::policy::{AccessContext, Action, Principal, Purpose, RolePolicy, Rule};
use phi_store::{Class, ContentType, ObjectId, Store, Tenant};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use t30::{Completion, MemorySource, PageSink, ReceivedPage};
use t38::terminal::{Config, Pacing, Terminal};
use t38::udptl::{Delivery, ErrorRecovery, Receiver, ReceiverConfig, Sender, SenderConfig};
use t38::Packing;
use t4_codec::container::{read_pbm, read_tiff, write_tiff, Page, ReadOptions, TiffWriteOptions};
use t4_codec::{Coding, Image};

/// Pels per row of every page (A4 at R8).
const COLUMNS: u32 = 1728;
/// Rows of a generated page (A4 at fine resolution).
const ROWS: u32 = 2200;
/// Largest PBM we read from the corpus (a fine A4 page is about 0.5 MB).
const MAX_PBM_BYTES: u64 = 4 << 20;
/// `T38FaxVersion` of both terminals.
const T38_VERSION: u8 = 3;
/// Largest datagram (the usual `T38FaxMaxDatagram`).
const MAX_DATAGRAM: usize = 1400;
/// Datagrams sent back to back before a [`BREATHER`].
const BURST: u64 = 8;
/// The pause after each [`BURST`] of datagrams.
const BREATHER: Duration = Duration::from_micros(400);
/// A call that has not finished by then has failed (a clean one takes seconds).
const CALL_LIMIT: Duration = Duration::from_secs(300);

/// What to run.
pub(crate) struct Options {
    /// Keep the data directory instead of removing it.
    pub(crate) keep: bool,
    /// PBKDF2 iterations for the key file (phi-store's default unless a test lowers it).
    pub(crate) kdf_iterations: u32,
    /// Where the CCITT corpus may be (`itu1.pbm` ...); generated pages if absent.
    pub(crate) corpus: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            keep: false,
            kdf_iterations: phi_store::keys::DEFAULT_PBKDF2_ITERATIONS,
            corpus: default_corpus(),
        }
    }
}

/// `../shared/corpus/ccitt` beside the workspace, if it holds the pages.
fn default_corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/ccitt");
    p.join("itu1.pbm").is_file().then_some(p)
}

/// What the run found; nothing in it is page content.
pub(crate) struct Summary {
    /// The data directory (already removed unless kept).
    pub(crate) dir: PathBuf,
    /// Whether the data directory was kept.
    pub(crate) kept: bool,
    /// Where the pages came from.
    pub(crate) source: &'static str,
    /// Pages sent and received.
    pub(crate) pages: usize,
    /// The negotiated mode, in words.
    pub(crate) mode: String,
    /// Wall time of the call.
    pub(crate) call_time: Duration,
    /// Datagrams both sides sent.
    pub(crate) datagrams: u64,
    /// ECM frames the receiver asked for again (0 on a clean loopback).
    pub(crate) ecm_retransmissions: u32,
    /// Stored objects, one per page.
    pub(crate) objects: Vec<String>,
    /// Seq of the `fax_receive` event.
    pub(crate) receive_seq: u64,
    /// Audit tree size after the run.
    pub(crate) tree_size: u64,
    /// Audit tree root (hex).
    pub(crate) tree_root: String,
    /// Total wall time.
    pub(crate) total_time: Duration,
}

impl Summary {
    /// The human summary, one fact per line.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut v = vec![
            format!("pages:        {} ({})", self.pages, self.source),
            format!("mode:         {}", self.mode),
            format!(
                "call:         {:.2} s over UDP 127.0.0.1, {} datagrams, {} ECM frames resent",
                self.call_time.as_secs_f64(),
                self.datagrams,
                self.ecm_retransmissions
            ),
        ];
        for (i, id) in self.objects.iter().enumerate() {
            v.push(format!(
                "page {}:       object {id} (TIFF, encrypted)",
                i + 1
            ));
        }
        v.push(format!(
            "audit:        tree size {}, root {}",
            self.tree_size, self.tree_root
        ));
        v.push(format!(
            "verified:     audit log intact, receive event seq {} proven included, {} pages pixel-identical after decrypt",
            self.receive_seq, self.pages
        ));
        v.push(format!(
            "data dir:     {} ({})",
            self.dir.display(),
            if self.kept { "kept" } else { "removed" }
        ));
        v.push(format!(
            "total:        {:.2} s",
            self.total_time.as_secs_f64()
        ));
        v
    }
}

/// A fresh directory under the system temp dir, removed on drop unless kept.
struct DataDir {
    path: PathBuf,
    keep: bool,
}

impl DataDir {
    fn create() -> Result<DataDir, String> {
        let base = std::env::temp_dir();
        let rng = ring::rand::SystemRandom::new();
        for _ in 0..16 {
            let tag: [u8; 8] = ring::rand::generate(&rng)
                .map_err(|_| "no system randomness".to_string())?
                .expose();
            let path = base.join(format!("faxkit-loopback-{}", hex(&tag)));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(DataDir { path, keep: false }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
        Err("could not create a fresh temporary directory".into())
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The three pages to send, and where they came from.
fn document(corpus: Option<&Path>) -> Result<(Vec<t30::Page>, &'static str), String> {
    if let Some(dir) = corpus {
        let mut pages = Vec::new();
        for n in 1..=3 {
            let path = dir.join(format!("itu{n}.pbm"));
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let image = read_pbm(&bytes, MAX_PBM_BYTES)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .into_iter()
                .next()
                .ok_or_else(|| format!("{}: no image", path.display()))?;
            pages.push(t30::Page {
                columns: image.columns,
                rows: image.rows,
                resolution: t30::Resolution::Fine,
                data: image.data,
            });
        }
        return Ok((pages, "CCITT test pages itu1-3"));
    }
    Ok(((0..3).map(text_page).collect(), "generated text-like pages"))
}

/// A fine A4 page of text-like blocks: lines of "glyphs" (short runs) in paragraphs, a
/// different layout per page.
fn text_page(n: u32) -> t30::Page {
    let mut p = t30::Page::blank(COLUMNS, ROWS, t30::Resolution::Fine);
    let rb = p.row_bytes();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(n + 1);
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for line in 0..(ROWS - 300) / 40 {
        // A blank line between paragraphs, a short last line now and then.
        if (line + n) % 9 == 8 {
            continue;
        }
        let width = if next().is_multiple_of(5) { 500 } else { 1400 };
        let top = 150 + line * 40;
        let mut x = 160u32;
        while x < 160 + width {
            let glyph = 8 + (next() % 10) as u32;
            let gap = if next().is_multiple_of(6) { 18 } else { 3 };
            let shape = next();
            for dy in 0..24u32 {
                for dx in 0..glyph {
                    let stroke = dx < 2 || dy % 11 < 2 || (shape >> ((dx + dy) % 64)) & 1 == 1;
                    if stroke && (shape >> (dy % 32)) & 3 != 0 {
                        let (xx, yy) = (x + dx, top + dy);
                        p.data[yy as usize * rb + xx as usize / 8] |= 0x80 >> (xx % 8);
                    }
                }
            }
            x += glyph + gap;
        }
    }
    p
}

/// The received pages, shared with the receiving session's sink.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<ReceivedPage>>>);

impl PageSink for Collect {
    fn page(&mut self, page: ReceivedPage) {
        if let Ok(mut v) = self.0.lock() {
            v.push(page);
        }
    }
}

/// What one side of the call ended with.
struct Side {
    outcome: Option<t30::Outcome>,
    datagrams: u64,
}

/// Runs one terminal on `socket` (connected to the other side) until it is done.
fn run_side(socket: &UdpSocket, mut term: Terminal) -> Result<Side, String> {
    let packing = Packing::for_version(T38_VERSION);
    let mut scfg = SenderConfig::new(ErrorRecovery::Redundancy { depth: 3 }, MAX_DATAGRAM);
    scfg.packing = packing;
    let mut tx = Sender::new(scfg).map_err(|e| format!("UDPTL: {e}"))?;
    let mut rx = Receiver::new(ReceiverConfig::new(packing));
    let io = |e: std::io::Error| format!("UDP: {e}");
    let start = Instant::now();
    let mut datagrams = 0u64;
    let mut buf = vec![0u8; 65_536];
    loop {
        let now = Instant::now();
        while let Some(d) = rx.poll(now) {
            match d {
                // A malformed IFP is counted by the terminal, like noise on a line.
                Delivery::Ifp { ifp, .. } => drop(term.handle_encoded(ifp, now)),
                Delivery::Lost { .. } => term.handle_lost(now),
            }
        }
        term.handle_timeout(now);
        while let Some(p) = term.poll_transmit(now) {
            let t = tx.send_encoded(&p.ifp).map_err(|e| format!("UDPTL: {e}"))?;
            for _ in 0..t.copies {
                // Unpaced, a whole ECM block (up to 256 frames) is due at once; sent in one
                // burst it overflows the peer's socket buffer and costs PPR rounds. A short
                // breather every few datagrams keeps loopback lossless at ~20 MB/s.
                if datagrams % BURST == BURST - 1 {
                    std::thread::sleep(BREATHER);
                }
                match socket.send(t.datagram) {
                    Ok(_) => datagrams += 1,
                    // The other side closed already (its last DCN was received): harmless.
                    Err(e) if refused(&e) => {}
                    Err(e) => return Err(io(e)),
                }
            }
        }
        while term.poll_event().is_some() {}
        if term.is_done() {
            break;
        }
        if now - start > CALL_LIMIT {
            term.abort(now);
        }
        let deadline = [term.poll_timeout(), rx.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now + Duration::from_millis(20));
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .clamp(Duration::from_millis(1), Duration::from_millis(100));
        socket.set_read_timeout(Some(wait)).map_err(io)?;
        match socket.recv(&mut buf) {
            // Malformed datagrams are counted by the receiver.
            Ok(n) => drop(rx.receive(&buf[..n], Instant::now())),
            Err(e)
                if refused(&e)
                    || matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok(Side {
        outcome: term.outcome().cloned(),
        datagrams,
    })
}

/// An ICMP "port unreachable" surfacing on a connected UDP socket.
fn refused(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
    )
}

/// ECM and MMR only, as the main job asks for.
fn session_caps(c: &mut t30::Config) {
    c.ecm = true;
    c.capabilities.ecm = true;
    c.capabilities.mr = true;
    c.capabilities.mmr = true;
}

fn terminal_config(calling: bool) -> Config {
    let mut c = Config::new(T38_VERSION, calling);
    c.pacing = Pacing::Unpaced;
    c
}

/// The call: the sender on one thread, the receiver on another, two sockets.
fn call(pages: &[t30::Page]) -> Result<(Vec<ReceivedPage>, t30::Outcome, u64, Duration), String> {
    let io = |e: std::io::Error| format!("UDP 127.0.0.1: {e}");
    let a = UdpSocket::bind("127.0.0.1:0").map_err(io)?;
    let b = UdpSocket::bind("127.0.0.1:0").map_err(io)?;
    a.connect(b.local_addr().map_err(io)?).map_err(io)?;
    b.connect(a.local_addr().map_err(io)?).map_err(io)?;
    let start = Instant::now();
    let mut sc = t30::Config::sender(true, Box::new(MemorySource::new(pages.to_vec())));
    session_caps(&mut sc);
    let got = Collect::default();
    let mut rc = t30::Config::receiver(false, Box::new(got.clone()));
    session_caps(&mut rc);
    let sender = Terminal::new(sc, terminal_config(true), start).map_err(|e| e.to_string())?;
    let receiver = Terminal::new(rc, terminal_config(false), start).map_err(|e| e.to_string())?;
    let (sent, received) = std::thread::scope(|s| {
        let rx_thread = s.spawn(|| run_side(&b, receiver));
        let sent = run_side(&a, sender);
        let received = rx_thread
            .join()
            .unwrap_or_else(|_| Err("the receiving terminal panicked".into()));
        (sent, received)
    });
    let (sent, received) = (sent?, received?);
    let elapsed = start.elapsed();
    let so = sent.outcome.ok_or("the sending session did not finish")?;
    let ro = received
        .outcome
        .ok_or("the receiving session did not finish")?;
    if so.completion != Completion::Ok || ro.completion != Completion::Ok {
        return Err(format!(
            "the call failed: sender {:?}, receiver {:?}",
            so.completion, ro.completion
        ));
    }
    if so.pages_sent as usize != pages.len() {
        return Err(format!(
            "{} of {} pages confirmed",
            so.pages_sent,
            pages.len()
        ));
    }
    let got = got
        .0
        .lock()
        .map(|v| v.clone())
        .map_err(|_| "page sink poisoned")?;
    Ok((got, ro, sent.datagrams + received.datagrams, elapsed))
}

/// The negotiated mode in words.
fn describe(mode: Option<&t30::caps::Mode>) -> String {
    let Some(m) = mode else {
        return "none".into();
    };
    let transfer = match m.transfer {
        t30::caps::Transfer::Ecm { coding, .. } => format!("ECM {coding:?}"),
        t30::caps::Transfer::NonEcm(c) => format!("non-ECM {c:?}"),
        #[allow(unreachable_patterns)]
        _ => "other".into(),
    };
    format!(
        "{} bit/s, {}, {:?}, T.38 v{T38_VERSION} UDPTL redundancy 3, unpaced",
        m.rate.bps(),
        transfer.to_uppercase(),
        m.resolution
    )
}

/// One page as a single-page TIFF Class F (MH).
fn tiff(p: &ReceivedPage) -> Result<Vec<u8>, String> {
    let (x, y) = p.page.resolution.dpi();
    let mut page = Page::from_image(Image {
        columns: p.page.columns,
        rows: p.page.rows,
        black_is_1: true,
        data: p.page.data.clone(),
        bad_rows: p.bad_rows,
        max_consecutive_bad_rows: 0,
    });
    page.resolution = Some(t4_codec::container::Resolution::dpi(
        f64::from(x),
        f64::from(y),
    ));
    write_tiff(&[page], &TiffWriteOptions::new(Coding::Mh))
        .map_err(|e| format!("page {}: TIFF: {e}", p.number))
}

type LocalStore = Store<FsBackend, LocalKeyring>;

/// The store's one principal: the fax gateway, for health care operations.
fn gateway() -> Result<AccessContext, String> {
    let p = Principal::new("loopback-gateway").map_err(|e| e.to_string())?;
    Ok(AccessContext::new(p, "gateway", Purpose::Operations))
}

fn open_store(dir: &Path, iterations: u32) -> Result<LocalStore, String> {
    // The passphrase lives beside the store, never inside its root; a real deployment keeps
    // it in a secret manager.
    let rng = ring::rand::SystemRandom::new();
    let secret: [u8; 32] = ring::rand::generate(&rng)
        .map_err(|_| "no system randomness".to_string())?
        .expose();
    let pass = zeroize::Zeroizing::new(hex(&secret).into_bytes());
    let pass_file = dir.join("passphrase");
    std::fs::write(&pass_file, &*pass).map_err(|e| format!("{}: {e}", pass_file.display()))?;
    let keys = LocalKeyring::create(&dir.join("store.keys"), &pass, iterations)
        .map_err(|e| format!("key file: {e}"))?;
    let backend = FsBackend::open(&dir.join("store")).map_err(|e| format!("store root: {e}"))?;
    let policy = RolePolicy::deny_all().allow(Rule {
        role: "gateway".into(),
        // ManageKeys for `Store::verify`, which checks every object's key and body.
        actions: vec![Action::Put, Action::Get, Action::Head, Action::ManageKeys],
        purposes: vec![Purpose::Operations],
        tenants: None,
        classes: None,
    });
    Ok(Store::new(backend, keys)
        .with_policy(policy)
        .with_audit(NoAudit))
}

/// The audit events of the call: `fax_receive` naming every object, then one `phi_create`
/// per object. Returns the seq of the receive event.
fn record(
    audit_dir: &Path,
    objects: &[(ObjectId, usize)],
    outcome: &t30::Outcome,
) -> Result<u64, String> {
    let err = |e: phi_audit::LogError| format!("audit log: {e}");
    let storage = Arc::new(FsStorage::new(audit_dir));
    phi_audit::init(storage.as_ref(), "faxkit.local/loopback").map_err(err)?;
    let mut log = Log::open(storage, phi_audit::Config::default()).map_err(err)?;
    let refs: Vec<ObjectRef> = objects
        .iter()
        .map(|(id, _)| ObjectRef {
            kind: "store_object".into(),
            id: id.to_string(),
            role: "document".into(),
            header_sha256: None,
        })
        .collect();
    let mut rx = Event::new(Kind::FaxReceive, AuditOutcome::Success, "loopback-gateway");
    rx.actor.role = "gateway".into();
    rx.source.software = concat!("faxkit loopback_fax ", env!("CARGO_PKG_VERSION")).into();
    rx.objects = refs.clone();
    rx.fax = Some(Fax {
        direction: Some(Direction::Receive),
        pages: u32::try_from(objects.len()).unwrap_or(u32::MAX),
        t30_result: format!("{:?}", outcome.completion),
        call_id: "loopback-1".into(),
        attempt: 1,
        ..Fax::default()
    });
    rx.purpose = phi_audit::event::Purpose::Operations;
    let receive_seq = log.append(rx).map_err(err)?;
    for r in refs {
        let mut e = Event::new(Kind::PhiCreate, AuditOutcome::Success, "loopback-gateway");
        e.actor.role = "gateway".into();
        e.objects.push(r);
        e.correlation.parent_seq = Some(receive_seq);
        e.purpose = phi_audit::event::Purpose::Operations;
        log.append(e).map_err(err)?;
    }
    log.close().map_err(err)?;
    Ok(receive_seq)
}

/// What `faxctl audit verify` and `prove` + `check-proof` do: the whole log from its bytes
/// and the pinned root key, then an inclusion proof for `seq` checked with the key alone.
fn verify_audit(audit_dir: &Path, seq: u64, expect: usize) -> Result<(u64, String), String> {
    let storage = FsStorage::new(audit_dir);
    let root = phi_audit::root_key(&storage).map_err(|e| format!("audit root key: {e}"))?;
    let s = scan_log(&storage, &root, Mode::Verify, true, None).map_err(|f| {
        format!(
            "the audit log does not verify: first bad seq {}: {}",
            f.seq, f.reason
        )
    })?;
    let size = s.tree.size();
    if size != expect as u64 {
        return Err(format!("audit log has {size} events, expected {expect}"));
    }
    let i = usize::try_from(seq).map_err(|_| "seq out of range")?;
    let (Some(bytes), Some(note)) = (s.record_bytes.get(i), s.last_note.as_deref()) else {
        return Err(format!("seq {seq} is not in the audit log"));
    };
    let path = s
        .tree
        .inclusion_proof(seq, size)
        .map_err(|e| format!("inclusion proof: {e}"))?;
    let proof = Proof::new(bytes, seq, size, &path, note, &s.certs);
    // Through JSON, as an auditor would receive it.
    let json = serde_json::to_string(&proof).map_err(|e| e.to_string())?;
    let proof: Proof = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    let (rec, cp) = proof
        .verify(&root)
        .map_err(|e| format!("the inclusion proof does not verify: {e}"))?;
    if rec.seq != seq || rec.event.kind != Kind::FaxReceive || cp.size != size {
        return Err("the proven record is not the receive event".into());
    }
    Ok((size, hex(&s.tree.root())))
}

/// Reads object `id` back, decrypts and decodes it, and compares it with `sent`.
fn check_page(
    store: &LocalStore,
    tenant: &Tenant,
    id: ObjectId,
    sent: &t30::Page,
) -> Result<(), String> {
    let bytes = store
        .get_bytes(&gateway()?, tenant, id)
        .map_err(|e| format!("object {id}: {e}"))?;
    let pages =
        read_tiff(&bytes, &ReadOptions::default()).map_err(|e| format!("object {id}: {e}"))?;
    let [page] = pages.as_slice() else {
        return Err(format!("object {id}: {} pages, expected 1", pages.len()));
    };
    if page.width() != sent.columns || page.rows() != sent.rows || page.data() != sent.data {
        return Err(format!("object {id}: differs from the page sent"));
    }
    Ok(())
}

/// The whole main job. The data directory is removed before this returns unless
/// `opts.keep`; on failure it is kept for inspection when `opts.keep` is set.
///
/// # Errors
/// A one-line reason (never page content) for the first step that failed.
pub(crate) fn run(opts: &Options, mut progress: impl FnMut(&str)) -> Result<Summary, String> {
    let total = Instant::now();
    let mut dir = DataDir::create()?;
    dir.keep = opts.keep;
    progress(&format!("data directory {}", dir.path.display()));

    let (pages, source) = document(opts.corpus.as_deref())?;
    progress(&format!("sending {} pages ({source})", pages.len()));

    let (got, outcome, datagrams, call_time) = call(&pages)?;
    if got.len() != pages.len() {
        return Err(format!(
            "{} pages received, {} sent",
            got.len(),
            pages.len()
        ));
    }
    if let Some(p) = got.iter().find(|p| p.bad_rows > 0) {
        return Err(format!("page {} has {} bad rows", p.number, p.bad_rows));
    }
    progress(&format!("call done in {:.2} s", call_time.as_secs_f64()));

    let store = open_store(&dir.path, opts.kdf_iterations)?;
    let tenant = Tenant::new("loopback").map_err(|e| e.to_string())?;
    let class = Class::new("inbound").map_err(|e| e.to_string())?;
    let mut objects = Vec::with_capacity(got.len());
    for p in &got {
        let ct = ContentType::new("image/tiff").map_err(|e| e.to_string())?;
        let id = store
            .put_bytes(&gateway()?, &tenant, &class, ct, &tiff(p)?)
            .map_err(|e| format!("page {}: store: {e}", p.number))?;
        objects.push((id, p.number as usize));
    }

    let audit_dir = dir.path.join("audit");
    let receive_seq = record(&audit_dir, &objects, &outcome)?;
    let (tree_size, tree_root) = verify_audit(&audit_dir, receive_seq, 1 + objects.len())?;

    for ((id, _), sent) in objects.iter().zip(&pages) {
        check_page(&store, &tenant, *id, sent)?;
    }
    let verified = store
        .verify(&gateway()?, &tenant)
        .map_err(|e| format!("store verify: {e}"))?;
    if verified.ok != objects.len() || !verified.failed.is_empty() {
        return Err(format!(
            "store verify: {} ok, {} failed",
            verified.ok,
            verified.failed.len()
        ));
    }

    Ok(Summary {
        dir: dir.path.clone(),
        kept: dir.keep,
        source,
        pages: got.len(),
        mode: describe(outcome.mode.as_ref()),
        call_time,
        datagrams,
        ecm_retransmissions: outcome.ecm_retransmissions,
        objects: objects.iter().map(|(id, _)| id.to_string()).collect(),
        receive_seq,
        tree_size,
        tree_root,
        total_time: total.elapsed(),
    })
}
