//! `faxd` as a real process: a fax submitted to one faxd is sent over UDP on 127.0.0.1 to a
//! second faxd that stores it encrypted and audits it; refusals; retention; crash recovery;
//! hostile datagrams; configuration permissions; no PHI in the logs.
//!
//! Every faxd runs unpaced (seconds per call) with a key file of few PBKDF2 iterations.

use std::io::Read as _;
use std::net::UdpSocket;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use t4_codec::container::{read_tiff, write_pbm, ReadOptions};
use t4_codec::Image;

// The PHI of the tests: none of it may appear in a log line.
const NUMBER_VERIFIED: &str = "+15557010199";
const NUMBER_UNVERIFIED: &str = "+15557010777";
const NUMBER_UNKNOWN: &str = "+15557010555";
const LINE_A: &str = "+15557010100";
const LINE_B: &str = "+15557010200";
const RECIPIENT_NAME: &str = "Dr Quentin Zebulon";
const SENDER_NAME: &str = "Nurse Ophelia Vantablack";
const PATIENT: &str = "MRN-90417733";
const SUBJECT: &str = "Referral zzyzx";
const CALLBACK: &str = "+15557010123";
const FILE_NAME: &str = "patient-xanadu-letter.pbm";

fn faxd_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faxd"))
}

fn faxctl(args: &[&str]) -> (i32, String, String) {
    faxctl_env(args, &[])
}

fn faxctl_env(args: &[&str], env: &[(String, String)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faxctl"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("run faxctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .port()
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("faxd-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A data directory made by `faxd init`, with a test configuration written over it.
struct Site {
    dir: PathBuf,
    port: u16,
    env: Vec<(String, String)>,
}

#[derive(Default)]
struct Options {
    line: &'static str,
    recipients: Vec<(String, u16, bool)>,
    retention_minutes: f64,
    attempts: u32,
    /// Extra configuration (tables) appended at the end.
    extra: String,
    /// Environment of faxd and faxctl.
    env: Vec<(String, String)>,
}

impl Site {
    fn new(root: &Path, name: &str, o: &Options) -> Site {
        let dir = root.join(name);
        let port = free_port();
        let st = faxd_bin()
            .args(["init", "--data"])
            .arg(&dir)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--number", o.line])
            .args(["--kdf-iterations", "1000"])
            .output()
            .expect("faxd init");
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        let mut cfg = format!(
            "pacing = \"unpaced\"\ngrace_period_secs = 5\nlog = \"info\"\n\
             [retries]\nattempts = {}\nbackoff_secs = 0.5\n\
             [retention]\noutbound_content_minutes = {}\n\
             [limits]\nby_class = {{ clinic = 4 }}\n\
             [[line]]\nnumber = \"{}\"\nlisten = \"127.0.0.1:{port}\"\n\
             [[inbox]]\nname = \"main\"\nline = \"{}\"\nroles = [\"clinician\"]\ntenant = \"clinic-a\"\n",
            o.attempts, o.retention_minutes, o.line, o.line
        );
        for (n, p, verified) in &o.recipients {
            cfg.push_str(&format!(
                "[[recipient]]\nnumber = \"{n}\"\naddress = \"127.0.0.1:{p}\"\nname = \"{RECIPIENT_NAME}\"\n\
                 verified = {verified}\nclass = \"clinic\"\n"
            ));
        }
        cfg.push_str(&o.extra);
        let path = dir.join("faxd.toml");
        std::fs::write(&path, cfg).expect("config");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        Site {
            dir,
            port,
            env: o.env.clone(),
        }
    }

    fn data(&self) -> &str {
        self.dir.to_str().expect("utf-8 path")
    }

    fn start(&self, level: &str) -> Faxd {
        let log = self
            .dir
            .join(format!("faxd-{}.log", Instant::now().elapsed().as_nanos()));
        let err = std::fs::File::create(&log).expect("log file");
        let out = err.try_clone().expect("log file");
        let child = faxd_bin()
            .arg("--config")
            .arg(self.dir.join("faxd.toml"))
            .env("FAXD_LOG", level)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("start faxd");
        let f = Faxd { child, log };
        // Ready once it wrote its first status.
        wait_for(
            Duration::from_secs(20),
            || self.status().is_some(),
            "faxd status",
        );
        f
    }

    fn status(&self) -> Option<serde_json::Value> {
        let b = std::fs::read(self.dir.join("run/status.json")).ok()?;
        serde_json::from_slice(&b).ok()
    }

    fn job(&self, id: &str) -> serde_json::Value {
        let b = std::fs::read(self.dir.join("queue").join(format!("{id}.json"))).expect("job file");
        serde_json::from_slice(&b).expect("job json")
    }

    fn audit_verify(&self) {
        let log = self.dir.join("audit");
        let (code, out, err) = faxctl(&["audit", "verify", "--log", log.to_str().expect("path")]);
        assert_eq!(code, 0, "audit verify: {out} {err}");
        assert!(out.starts_with("ok "), "{out}");
    }

    fn audit_export(&self) -> String {
        let log = self.dir.join("audit");
        let (code, out, err) = faxctl(&[
            "audit",
            "export",
            "--log",
            log.to_str().expect("path"),
            "--format",
            "jsonl",
        ]);
        assert_eq!(code, 0, "audit export: {err}");
        out
    }
}

struct Faxd {
    child: Child,
    log: PathBuf,
}

impl Faxd {
    /// SIGTERM, wait, and return the exit status and the whole log.
    fn stop(mut self) -> (i32, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        let code = loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                break st.code().unwrap_or(-1);
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "faxd did not stop"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        (code, self.read_log())
    }

    fn kill(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.read_log()
    }

    fn read_log(&self) -> String {
        let mut s = String::new();
        let _ = std::fs::File::open(&self.log).and_then(|mut f| f.read_to_string(&mut s));
        s
    }
}

impl Drop for Faxd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for(limit: Duration, mut f: impl FnMut() -> bool, what: &str) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Two pages of 1728 x 160 with a pattern, as PBM, under a name that is itself PHI.
fn document(dir: &Path) -> PathBuf {
    let (columns, rows) = (1728u32, 160u32);
    let rb = (columns / 8) as usize;
    let page = |seed: usize| {
        let mut data = vec![0u8; rb * rows as usize];
        for y in 0..rows as usize {
            for x in 0..rb {
                if (y / 9 + x / 7 + seed).is_multiple_of(3) {
                    data[y * rb + x] = 0xF0;
                }
            }
        }
        Image {
            columns,
            rows,
            black_is_1: true,
            data,
            bad_rows: 0,
            max_consecutive_bad_rows: 0,
        }
    };
    let path = dir.join(FILE_NAME);
    std::fs::write(&path, pbm(&[page(0), page(1)])).expect("pbm");
    path
}

fn pbm(images: &[Image]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in images {
        write_pbm(i, &mut out);
    }
    out
}

fn submit(site: &Site, to: &str, doc: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "submit",
        "--data",
        site.data(),
        "--to",
        to,
        doc.to_str().expect("path"),
    ];
    args.extend_from_slice(extra);
    faxctl_env(&args, &site.env)
}

const COVER: &[&str] = &[
    "--cover-to",
    RECIPIENT_NAME,
    "--cover-from",
    SENDER_NAME,
    "--patient",
    PATIENT,
    "--subject",
    SUBJECT,
    "--callback",
    CALLBACK,
    "--principal",
    "dr.who",
    "--role",
    "clinician",
];

fn assert_no_phi(what: &str, log: &str) {
    for phi in [
        NUMBER_VERIFIED,
        NUMBER_UNVERIFIED,
        NUMBER_UNKNOWN,
        LINE_A,
        LINE_B,
        RECIPIENT_NAME,
        SENDER_NAME,
        PATIENT,
        SUBJECT,
        CALLBACK,
        FILE_NAME,
        "5557010",
    ] {
        assert!(
            !log.contains(phi),
            "{what} log contains PHI {phi:?}:\n{log}"
        );
    }
}

#[test]
fn a_submitted_fax_is_delivered_stored_audited_and_readable_only_by_its_role() {
    let root = temp("e2e");
    let b = Site::new(
        &root,
        "b",
        &Options {
            line: LINE_B,
            recipients: vec![],
            retention_minutes: 30.0,
            attempts: 3,
            ..Options::default()
        },
    );
    let a = Site::new(
        &root,
        "a",
        &Options {
            line: LINE_A,
            recipients: vec![(NUMBER_VERIFIED.into(), b.port, true)],
            retention_minutes: 30.0,
            attempts: 3,
            ..Options::default()
        },
    );
    let fb = b.start("trace");
    let fa = a.start("trace");
    let doc = document(&root);
    let (code, out, err) = submit(&a, NUMBER_VERIFIED, &doc, COVER);
    assert_eq!(code, 0, "submit: {err}");
    let job = out.trim().to_string();
    assert!(
        job.starts_with('j') && job.len() == 25,
        "stdout is only the job id: {out:?}"
    );
    wait_for(
        Duration::from_secs(120),
        || a.job(&job)["state"] == "done",
        "delivery",
    );
    let j = a.job(&job);
    assert_eq!(j["attempts"], 1);
    assert_eq!(j["pages"], 3, "cover page + 2 pages");
    // The status file shows it.
    wait_for(
        Duration::from_secs(5),
        || {
            a.status().is_some_and(|s| {
                s["counters"]["calls_out_ok"] == 1 && s["counters"]["pages_out"] == 3
            })
        },
        "status counters",
    );
    // Inbound side: one complete 3-page fax in inbox main.
    wait_for(
        Duration::from_secs(10),
        || {
            b.status()
                .is_some_and(|s| s["counters"]["calls_in_ok"] == 1)
        },
        "inbound counters",
    );
    let (code, list, err) = faxctl(&[
        "inbox",
        "list",
        "--data",
        b.data(),
        "--inbox",
        "main",
        "--principal",
        "dr.jones",
        "--role",
        "clinician",
        "--json",
    ]);
    assert_eq!(code, 0, "inbox list: {err}");
    let entry: serde_json::Value =
        serde_json::from_str(list.lines().next().expect("one fax")).expect("json");
    assert_eq!(entry["pages"], 3);
    assert_eq!(entry["complete"], true);
    let object = entry["object"].as_str().expect("object id").to_string();
    let out_tif = root.join("got.tif");
    let (code, _, err) = faxctl(&[
        "inbox",
        "get",
        "--data",
        b.data(),
        "--inbox",
        "main",
        "--principal",
        "dr.jones",
        "--role",
        "clinician",
        &object,
        out_tif.to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "inbox get: {err}");
    let pages = read_tiff(
        &std::fs::read(&out_tif).expect("tif"),
        &ReadOptions::default(),
    )
    .expect("TIFF");
    assert_eq!(pages.len(), 3);
    // The two document pages arrive bit for bit (page 1 is the cover page).
    let sent =
        t4_codec::container::read_pbm(&std::fs::read(&doc).expect("pbm"), 1 << 22).expect("pbm");
    for (got, want) in pages[1..].iter().zip(&sent) {
        assert_eq!((got.width(), got.rows()), (want.columns, want.rows));
        assert!(got.data() == want.data, "page content differs");
    }
    // Another role is refused, and so is a role of another inbox.
    let (code, _, err) = faxctl(&[
        "inbox",
        "get",
        "--data",
        b.data(),
        "--inbox",
        "main",
        "--principal",
        "clerk.kim",
        "--role",
        "billing",
        &object,
        root.join("no.tif").to_str().expect("path"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("access denied"), "{err}");
    assert!(!root.join("no.tif").exists());
    let (code, _, _) = faxctl(&[
        "inbox",
        "list",
        "--data",
        b.data(),
        "--inbox",
        "main",
        "--principal",
        "x",
        "--role",
        "gateway",
    ]);
    assert_eq!(code, 2, "faxd's own role is not for people");
    // Graceful stop; both logs intact and free of PHI at trace level.
    let (code_a, log_a) = fa.stop();
    let (code_b, log_b) = fb.stop();
    assert_eq!((code_a, code_b), (0, 0), "{log_a}\n{log_b}");
    assert!(log_b.contains("inbound call ended"), "{log_b}");
    assert_no_phi("sender faxd", &log_a);
    assert_no_phi("receiver faxd", &log_b);
    a.audit_verify();
    b.audit_verify();
    let ea = a.audit_export();
    assert!(ea.contains("fax_send") && ea.contains(&job), "{ea}");
    let eb = b.audit_export();
    for kind in ["fax_receive", "phi_create", "phi_read", "policy_decision"] {
        assert!(eb.contains(kind), "no {kind} in the receiver's audit log");
    }
    assert!(eb.contains("minor_failure"), "the refused read is audited");
    // The receipt verifies offline with the log's public key (library and CLI), and says
    // what was delivered: 3 pages, the hash of exactly the pages sent.
    let receipt = a.dir.join("receipts").join(format!("{job}.json"));
    let r: faxkit_examples::receipt::Receipt =
        serde_json::from_slice(&std::fs::read(&receipt).expect("receipt file"))
            .expect("receipt json");
    let key =
        phi_audit::root_key(&phi_audit::storage::FsStorage::new(a.dir.join("audit"))).expect("key");
    faxkit_examples::receipt::verify(&r, &key).expect("receipt verifies");
    assert!(r.delivered);
    assert_eq!(r.pages, 3);
    assert_eq!(r.job, job);
    let (code, out, err) = faxctl(&[
        "audit",
        "verify-receipt",
        receipt.to_str().expect("path"),
        "--log",
        a.dir.join("audit").to_str().expect("path"),
    ]);
    assert_eq!(code, 0, "verify-receipt: {out} {err}");
    // The hash covers the cover page and the document as received at the other end.
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in &pages {
        ctx.update(p.data());
    }
    let hex: String = ctx
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        r.document_sha256, hex,
        "receipt hash = SHA-256 of the received bitmaps"
    );
    assert!(ea.contains("delivery_status"), "{ea}");
    // Nothing readable in the store directory: encrypted objects only.
    for e in walk(&a.dir.join("store"))
        .into_iter()
        .chain(walk(&b.dir.join("store")))
    {
        let bytes = std::fs::read(&e).expect("read");
        let hay = String::from_utf8_lossy(&bytes);
        assert!(
            !hay.contains(PATIENT) && !hay.contains(NUMBER_VERIFIED),
            "plaintext PHI in {}",
            e.display()
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

#[test]
fn unknown_and_unverified_numbers_and_page_limits_are_refused() {
    let root = temp("refuse");
    let a = Site::new(
        &root,
        "a",
        &Options {
            line: LINE_A,
            recipients: vec![
                (NUMBER_VERIFIED.into(), free_port(), true),
                (NUMBER_UNVERIFIED.into(), free_port(), false),
            ],
            retention_minutes: 30.0,
            attempts: 3,
            ..Options::default()
        },
    );
    let doc = document(&root);
    let (code, out, err) = submit(&a, NUMBER_UNKNOWN, &doc, &[]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("recipient directory"), "{err}");
    let (code, _, err) = submit(&a, NUMBER_UNVERIFIED, &doc, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--allow-unverified"), "{err}");
    let (code, out, err) = submit(
        &a,
        NUMBER_UNVERIFIED,
        &doc,
        &["--allow-unverified", "--reason", "patient asked by phone"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.trim().starts_with('j'));
    // The limit of class clinic is 4 pages: 2 + cover fit, 4 + cover do not.
    let big = root.join("big.pbm");
    let pages =
        t4_codec::container::read_pbm(&std::fs::read(&doc).expect("pbm"), 1 << 22).expect("pbm");
    let four: Vec<Image> = pages.iter().chain(pages.iter()).cloned().collect();
    std::fs::write(&big, pbm(&four)).expect("pbm");
    let (code, _, err) = submit(&a, NUMBER_VERIFIED, &big, &[]);
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = submit(&a, NUMBER_VERIFIED, &big, &["--no-cover"]);
    assert_eq!(code, 0, "{err}");
    // Without faxd running, the client wrote the audit log itself.
    a.audit_verify();
    let e = a.audit_export();
    assert!(e.contains("override: unverified recipient"), "{e}");
    assert_eq!(e.matches("submit refused").count(), 3, "{e}");
    assert!(
        !e.contains("patient asked by phone"),
        "the reason is sealed"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn outbound_content_is_shredded_after_its_retention_and_the_audit_log_still_verifies() {
    let root = temp("retention");
    let b = Site::new(
        &root,
        "b",
        &Options {
            line: LINE_B,
            recipients: vec![],
            retention_minutes: 30.0,
            attempts: 3,
            ..Options::default()
        },
    );
    let a = Site::new(
        &root,
        "a",
        &Options {
            line: LINE_A,
            recipients: vec![(NUMBER_VERIFIED.into(), b.port, true)],
            retention_minutes: 0.02,
            attempts: 3,
            ..Options::default()
        },
    );
    let fb = b.start("info");
    let fa = a.start("info");
    let (code, out, err) = submit(&a, NUMBER_VERIFIED, &document(&root), &["--no-cover"]);
    assert_eq!(code, 0, "{err}");
    let job = out.trim().to_string();
    wait_for(
        Duration::from_secs(120),
        || a.job(&job)["state"] == "done",
        "delivery",
    );
    wait_for(
        Duration::from_secs(30),
        || a.job(&job)["shredded"] == true,
        "shredding",
    );
    let (ca, _) = fa.stop();
    let (cb, _) = fb.stop();
    assert_eq!((ca, cb), (0, 0));
    a.audit_verify();
    let e = a.audit_export();
    assert!(
        e.contains("retention_expire") && e.contains("key_destroy"),
        "{e}"
    );
    // The job's metadata stays.
    assert_eq!(a.job(&job)["state"], "done");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn sigkill_mid_call_loses_no_job_and_no_audit_event() {
    let root = temp("crash");
    // The recipient swallows every datagram: the call waits for a DIS that never comes.
    let sink = UdpSocket::bind("127.0.0.1:0").expect("sink");
    let port = sink.local_addr().expect("addr").port();
    let a = Site::new(
        &root,
        "a",
        &Options {
            line: LINE_A,
            recipients: vec![(NUMBER_VERIFIED.into(), port, true)],
            retention_minutes: 30.0,
            attempts: 3,
            ..Options::default()
        },
    );
    let fa = a.start("info");
    let (code, out, err) = submit(&a, NUMBER_VERIFIED, &document(&root), &["--no-cover"]);
    assert_eq!(code, 0, "{err}");
    let job = out.trim().to_string();
    wait_for(
        Duration::from_secs(30),
        || a.job(&job)["state"] == "active",
        "the call",
    );
    sink.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = [0u8; 2048];
    assert!(
        sink.recv(&mut buf).is_ok(),
        "the call is under way (datagrams arrive)"
    );
    // faxctl status shows the job active and its call.
    wait_for(
        Duration::from_secs(5),
        || {
            a.status()
                .is_some_and(|s| s["calls"].as_array().is_some_and(|c| c.len() == 1))
        },
        "the call in the status file",
    );
    let (code, out, err) = faxctl(&["status", "--data", a.data(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let st: serde_json::Value = serde_json::from_str(&out).expect("status json");
    assert_eq!(st["queue"]["active"], 1, "{st}");
    assert_eq!(st["queue"]["jobs"][0]["id"], job.as_str());
    assert_eq!(st["faxd"]["calls"][0]["direction"], "out", "{st}");
    assert_eq!(st["faxd"]["calls"][0]["job"], job.as_str(), "{st}");
    let (code, text, _) = faxctl(&["status", "--data", a.data()]);
    assert_eq!(code, 0);
    assert!(
        text.contains("queue: 0 pending, 1 active, 0 done, 0 failed"),
        "{text}"
    );
    assert!(
        text.contains("calls: 1 active") && text.contains(&format!("{job} active attempts 1/3")),
        "{text}"
    );
    assert_no_phi("faxctl status", &text);
    let _ = fa.kill();
    assert_eq!(a.job(&job)["state"], "active", "killed mid-call");
    a.audit_verify();
    // Restart: the job is back in the queue with its attempt counted, the recovery audited.
    let fa = a.start("info");
    wait_for(
        Duration::from_secs(10),
        || a.job(&job)["attempts"].as_u64() >= Some(1) && a.job(&job)["last_result"] != "",
        "recovery",
    );
    let (code, log) = fa.stop();
    assert_eq!(code, 0, "{log}");
    // The restarted faxd tried again (the sink still swallows everything), and the graceful
    // stop parked the call's job as pending after the grace period.
    let j = a.job(&job);
    assert_eq!(j["state"], "pending", "{j}");
    assert!(j["attempts"].as_u64() >= Some(1), "{j}");
    a.audit_verify();
    let e = a.audit_export();
    assert!(e.contains("system_recover") && e.contains(&job), "{e}");
    // The submission event is still there.
    assert!(e.contains(&format!("submit {job}")), "{e}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn garbage_datagrams_are_counted_and_ignored_and_open_configs_are_refused() {
    let root = temp("hostile");
    let a = Site::new(
        &root,
        "a",
        &Options {
            line: LINE_A,
            recipients: vec![],
            retention_minutes: 30.0,
            attempts: 3,
            ..Options::default()
        },
    );
    let fa = a.start("info");
    let s = UdpSocket::bind("127.0.0.1:0").expect("socket");
    let garbage: [&[u8]; 4] = [b"", b"GET / HTTP/1.0\r\n\r\n", &[0xff; 1400], &[0u8; 3]];
    for _ in 0..25 {
        for g in garbage {
            s.send_to(g, ("127.0.0.1", a.port)).expect("send");
        }
    }
    wait_for(
        Duration::from_secs(10),
        || {
            a.status()
                .is_some_and(|st| st["counters"]["bad_datagrams"].as_u64() >= Some(100))
        },
        "bad datagram count",
    );
    let st = a.status().expect("status");
    assert_eq!(
        st["calls"].as_array().map(Vec::len),
        Some(0),
        "no call started"
    );
    assert_eq!(st["counters"]["calls_refused"], 0);
    let (code, out, _) = faxctl(&["status", "--data", a.data()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("bad 100 (unknown addresses)") || out.contains("bad 1"),
        "{out}"
    );
    let (code, log) = fa.stop();
    assert_eq!(code, 0, "{log}");
    // A configuration others can read is refused, and so is such a passphrase file.
    let cfg = a.dir.join("faxd.toml");
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = faxd_bin()
        .arg("--config")
        .arg(&cfg)
        .arg("--check")
        .output()
        .expect("faxd");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let pass = a.dir.join("secrets/passphrase");
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let out = faxd_bin()
        .arg("--config")
        .arg(&cfg)
        .arg("--check")
        .output()
        .expect("faxd");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = faxd_bin()
        .arg("--config")
        .arg(&cfg)
        .arg("--check")
        .output()
        .expect("faxd");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// One simulated calling terminal (our own `Terminal` through faxd's `Call`) on its own
/// socket: sends one page, with subaddress `sub` if given. Returns the T.30 outcome.
fn call_faxd(port: u16, sub: Option<&str>, page: t30::Page) -> Option<t30::Outcome> {
    call_faxd_pages(port, sub, vec![page], None)
}

/// As [`call_faxd`] with several pages; with `abort_after`, the terminal hangs up (DCN) once
/// that many pages were confirmed.
fn call_faxd_pages(
    port: u16,
    sub: Option<&str>,
    pages: Vec<t30::Page>,
    abort_after: Option<u32>,
) -> Option<t30::Outcome> {
    use faxkit_examples::faxd::call::{session_config, Call, Pages};
    let cfg = faxkit_examples::faxd::config::Config::parse(
        "pacing = \"unpaced\"\n[[line]]\nnumber = \"1\"\nlisten = \"127.0.0.1:0\"\n",
    )
    .expect("config");
    let sock = UdpSocket::bind("127.0.0.1:0").expect("socket");
    let peer: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    sock.connect(peer).expect("connect");
    let mut s = t30::Config::sender(true, Box::new(t30::MemorySource::new(pages)));
    s = session_config(&cfg, s);
    s.subaddress = sub.map(|x| t30::Identity::new(x).expect("sub"));
    s.identity = t30::Identity::new(NUMBER_VERIFIED).expect("tsi");
    let mut call = Call::new(
        &cfg,
        "t".into(),
        peer,
        0,
        s,
        Pages::default(),
        Instant::now(),
    )
    .expect("call");
    let mut out = Vec::new();
    let mut buf = [0u8; 2048];
    let start = Instant::now();
    let mut aborted = false;
    while !call.is_done() && start.elapsed() < Duration::from_secs(180) {
        if !aborted && abort_after.is_some_and(|n| call.progress >= n) {
            call.abort(Instant::now());
            aborted = true;
        }
        out.clear();
        call.drive(Instant::now(), &mut out);
        for (i, d) in out.iter().enumerate() {
            if i % 8 == 7 {
                std::thread::sleep(Duration::from_micros(300));
            }
            let _ = sock.send(d);
        }
        let wait = call
            .deadline()
            .map_or(Duration::from_millis(20), |d| {
                d.saturating_duration_since(Instant::now())
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        sock.set_read_timeout(Some(wait)).expect("timeout");
        if let Ok(n) = sock.recv(&mut buf) {
            call.receive(&buf[..n], Instant::now());
        }
    }
    call.outcome().cloned()
}

fn proc_stats(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is field 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|x| x.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|x| x.parse().ok()).unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm_kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    // USER_HZ is 100 on Linux.
    #[allow(clippy::cast_precision_loss)]
    let cpu = ticks as f64 / 100.0;
    (cpu, hwm_kb)
}

#[test]
fn fifty_concurrent_inbound_calls_are_routed_by_subaddress_and_all_complete() {
    const CALLS: usize = 50;
    let root = temp("load");
    let a = Site::new(
        &root,
        "a",
        &Options {
            line: LINE_A,
            recipients: vec![],
            retention_minutes: 30.0,
            attempts: 3,
            ..Options::default()
        },
    );
    // A second inbox on the same line, for subaddress 22, in its own tenant and role.
    let cfg_path = a.dir.join("faxd.toml");
    let mut cfg = std::fs::read_to_string(&cfg_path).expect("config");
    cfg = cfg.replace(
        "pacing = \"unpaced\"",
        "pacing = \"unpaced\"\nmax_calls = 64",
    );
    cfg.push_str(&format!(
        "[[inbox]]\nname = \"lab\"\nline = \"{LINE_A}\"\nsubaddress = \"22\"\nroles = [\"labtech\"]\ntenant = \"lab\"\n"
    ));
    std::fs::write(&cfg_path, cfg).expect("config");
    let fa = a.start("info");
    let pid = fa.child.id();
    let (cpu0, hwm0_kb) = proc_stats(pid);
    let mut page = t30::Page::blank(1728, 200, t30::Resolution::Fine);
    for (i, b) in page.data.iter_mut().enumerate() {
        if (i / 11).is_multiple_of(4) {
            *b = 0x3C;
        }
    }
    let start = Instant::now();
    let outcomes: Vec<Option<t30::Outcome>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CALLS)
            .map(|i| {
                let page = page.clone();
                let port = a.port;
                s.spawn(move || call_faxd(port, (i % 2 == 1).then_some("22"), page))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let wall = start.elapsed();
    let ok = outcomes
        .iter()
        .filter(|o| {
            o.as_ref()
                .is_some_and(|o| o.completion == t30::Completion::Ok && o.pages_sent == 1)
        })
        .count();
    assert_eq!(ok, CALLS, "every simulated terminal completed");
    wait_for(
        Duration::from_secs(30),
        || {
            a.status()
                .is_some_and(|s| s["counters"]["calls_in_ok"].as_u64() == Some(CALLS as u64))
        },
        "faxd counted every call",
    );
    let st = a.status().expect("status");
    assert_eq!(st["counters"]["calls_in_failed"], 0, "{st}");
    let (cpu1, hwm_kb) = proc_stats(pid);
    #[allow(clippy::cast_precision_loss)]
    let per_call = (cpu1 - cpu0) / CALLS as f64;
    println!(
        "load: {CALLS} concurrent inbound calls in {:.2} s wall; faxd CPU {:.3} s/call ({:.2} s total); \
         peak RSS {} KiB, {} KiB before the calls, ({} KiB per call above that)",
        wall.as_secs_f64(),
        per_call,
        cpu1 - cpu0,
        hwm_kb,
        hwm0_kb,
        hwm_kb.saturating_sub(hwm0_kb) / CALLS as u64
    );
    // Routing: odd calls gave SUB 22 and went to the lab inbox, the rest to main.
    let list = |inbox: &str, role: &str| {
        faxctl(&[
            "inbox",
            "list",
            "--data",
            a.data(),
            "--inbox",
            inbox,
            "--principal",
            "p",
            "--role",
            role,
        ])
    };
    let (code, main, err) = list("main", "clinician");
    assert_eq!(code, 0, "{err}");
    let (code, lab, err) = list("lab", "labtech");
    assert_eq!(code, 0, "{err}");
    // Every fax landed in the inbox its subaddress routes to, under load too: a SUB frame
    // lost beyond UDPTL redundancy makes t30 wait for the repeated command rather than take
    // a DCS without it.
    let (m, l) = (main.lines().count(), lab.lines().count());
    println!(
        "load: routing main {m}, lab {l} (of {} with SUB 22)",
        CALLS / 2
    );
    assert_eq!((m, l), (CALLS - CALLS / 2, CALLS / 2), "main {m}, lab {l}");
    assert!(
        main.lines()
            .chain(lab.lines())
            .all(|l| l.contains(" 1 pages complete")),
        "{main}{lab}"
    );
    let (code, _, _) = list("lab", "clinician");
    assert_eq!(code, 2, "tenants and inboxes are isolated by role");
    let (code, log) = fa.stop();
    assert_eq!(code, 0, "{log}");
    assert_no_phi("faxd", &log);
    a.audit_verify();
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_call_that_fails_mid_way_is_audited_and_never_listed_as_complete() {
    let root = temp("midway");
    let a = Site::new(
        &root,
        "a",
        &Options {
            line: LINE_A,
            recipients: vec![],
            retention_minutes: 30.0,
            attempts: 3,
            ..Options::default()
        },
    );
    let fa = a.start("info");
    let page = |seed: u8| {
        let mut p = t30::Page::blank(1728, 300, t30::Resolution::Fine);
        for (i, b) in p.data.iter_mut().enumerate() {
            if (i / 13 + usize::from(seed)).is_multiple_of(3) {
                *b = 0x66;
            }
        }
        p
    };
    let o =
        call_faxd_pages(a.port, None, vec![page(0), page(1), page(2)], Some(1)).expect("outcome");
    assert_ne!(o.completion, t30::Completion::Ok, "the caller hung up");
    wait_for(
        Duration::from_secs(60),
        || {
            a.status()
                .is_some_and(|s| s["counters"]["calls_in_failed"] == 1)
        },
        "the failed call",
    );
    let (code, list, err) = faxctl(&[
        "inbox",
        "list",
        "--data",
        a.data(),
        "--inbox",
        "main",
        "--principal",
        "p",
        "--role",
        "clinician",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        list.lines().count(),
        1,
        "the confirmed page is kept, marked incomplete"
    );
    for line in list.lines() {
        let e: serde_json::Value = serde_json::from_str(line).expect("json");
        assert_eq!(e["complete"], false, "{line}");
        assert_ne!(e["t30_result"], "Ok");
    }
    let (code, log) = fa.stop();
    assert_eq!(code, 0, "{log}");
    a.audit_verify();
    let e = a.audit_export();
    let receive = e
        .lines()
        .find(|l| l.contains("fax_receive"))
        .expect("fax_receive event");
    assert!(receive.contains("minor_failure"), "{receive}");
    assert!(!receive.contains("\"t30_result\":\"Ok\""), "{receive}");
    let _ = std::fs::remove_dir_all(&root);
}

/// `moto_server` (PyPI `moto[server]`) on a free port with bucket `faxkit`, or `None` (with a
/// note) when it is not installed, unless `FAXKIT_REQUIRE_PEERS=1`.
#[cfg(feature = "s3")]
struct Moto {
    child: Child,
    port: u16,
}

#[cfg(feature = "s3")]
impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "s3")]
fn http(port: u16, req: &str) -> String {
    use std::io::Write as _;
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.write_all(req.as_bytes());
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[cfg(feature = "s3")]
fn start_moto(dir: &Path) -> Option<Moto> {
    let quiet = |mut c: Command| {
        c.stdout(Stdio::null()).stderr(Stdio::null());
        c
    };
    let mut probe = Command::new("moto_server");
    probe.arg("--help");
    let mut cmd = if quiet(probe).status().is_ok_and(|s| s.success()) {
        Command::new("moto_server")
    } else {
        let mut probe = Command::new("python3");
        probe.args(["-m", "moto.server", "--help"]);
        if quiet(probe).status().is_ok_and(|s| s.success()) {
            let mut c = Command::new("python3");
            c.args(["-m", "moto.server"]);
            c
        } else {
            assert!(
                std::env::var("FAXKIT_REQUIRE_PEERS").as_deref() != Ok("1"),
                "moto_server is required (FAXKIT_REQUIRE_PEERS=1): pip install 'moto[server]'"
            );
            eprintln!("note: skipping the faxd S3 test: moto_server not installed");
            return None;
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let child = cmd
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server");
    let moto = Moto { child, port };
    wait_for(
        Duration::from_secs(30),
        || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "moto_server",
    );
    let r = http(port, &format!(
        "PUT /faxkit HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ));
    assert!(
        r.starts_with("HTTP/1.1 200") || r.starts_with("HTTP/1.0 200"),
        "bucket: {r}"
    );
    Some(moto)
}

#[cfg(feature = "s3")]
#[test]
fn with_s3_storage_the_document_lives_in_the_bucket_and_is_delivered() {
    let root = temp("s3");
    let Some(moto) = start_moto(&root) else {
        return;
    };
    let b = Site::new(
        &root,
        "b",
        &Options {
            line: LINE_B,
            recipients: vec![],
            retention_minutes: 30.0,
            attempts: 3,
            ..Options::default()
        },
    );
    let env = vec![
        ("AWS_ACCESS_KEY_ID".to_string(), "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), "testing".to_string()),
    ];
    let a = Site::new(
        &root,
        "a",
        &Options {
            line: LINE_A,
            recipients: vec![(NUMBER_VERIFIED.into(), b.port, true)],
            retention_minutes: 30.0,
            attempts: 3,
            extra: format!(
                "[storage]\nbackend = \"s3\"\nendpoint = \"http://127.0.0.1:{}\"\nbucket = \"faxkit\"\n\
                 region = \"us-east-1\"\nallow_http = true\n",
                moto.port
            ),
            env,
        },
    );
    let fb = b.start("info");
    let fa = a.start("info");
    let (code, out, err) = submit(&a, NUMBER_VERIFIED, &document(&root), COVER);
    assert_eq!(code, 0, "submit: {err}");
    let job = out.trim().to_string();
    wait_for(
        Duration::from_secs(120),
        || a.job(&job)["state"] == "done",
        "delivery",
    );
    let (ca, la) = fa.stop();
    let (cb, _) = fb.stop();
    assert_eq!((ca, cb), (0, 0), "{la}");
    // The document object is in the bucket (tenant outbound), not under the data directory.
    let object = a.job(&job)["object"].as_str().expect("object").to_string();
    let listing = http(
        moto.port,
        &format!(
            "GET /faxkit?list-type=2 HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            moto.port
        ),
    );
    assert!(listing.contains(&format!("outbound/{object}")), "{listing}");
    assert!(
        walk(&a.dir.join("store")).is_empty(),
        "nothing stored locally"
    );
    a.audit_verify();
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn inbound_faxes_are_routed_by_called_line_and_subaddress() {
    let root = temp("route");
    let a = Site::new(
        &root,
        "a",
        &Options {
            line: LINE_A,
            recipients: vec![],
            retention_minutes: 30.0,
            attempts: 3,
            ..Options::default()
        },
    );
    let cfg_path = a.dir.join("faxd.toml");
    let mut cfg = std::fs::read_to_string(&cfg_path).expect("config");
    cfg.push_str(&format!(
        "[[inbox]]\nname = \"lab\"\nline = \"{LINE_A}\"\nsubaddress = \"22\"\nroles = [\"labtech\"]\ntenant = \"lab\"\n"
    ));
    std::fs::write(&cfg_path, cfg).expect("config");
    let fa = a.start("info");
    let page = t30::Page::blank(1728, 100, t30::Resolution::Fine);
    for sub in [Some("22"), None, Some("23"), Some("22")] {
        let o = call_faxd(a.port, sub, page.clone()).expect("outcome");
        assert_eq!(o.completion, t30::Completion::Ok);
    }
    wait_for(
        Duration::from_secs(10),
        || {
            a.status()
                .is_some_and(|s| s["counters"]["calls_in_ok"] == 4)
        },
        "four calls",
    );
    let count = |inbox: &str, role: &str| {
        let (code, out, err) = faxctl(&[
            "inbox",
            "list",
            "--data",
            a.data(),
            "--inbox",
            inbox,
            "--principal",
            "p",
            "--role",
            role,
        ]);
        assert_eq!(code, 0, "{err}");
        out.lines().count()
    };
    // SUB 22 twice -> lab; no SUB and an unknown SUB -> the line's catch-all.
    assert_eq!(
        (count("lab", "labtech"), count("main", "clinician")),
        (2, 2)
    );
    let (code, log) = fa.stop();
    assert_eq!(code, 0, "{log}");
    assert!(
        !log.contains("22\"") && !log.contains("sub"),
        "no subaddress in the log"
    );
    let _ = std::fs::remove_dir_all(&root);
}
