//! `faxd` as a real process, driven by spandsp's T.38 terminal (`spandsp-t38-udp`) over UDP
//! on 127.0.0.1, in real time: the end-to-end acceptance test of the fax server.
//!
//! One faxd, one scenario in order (the calls are real-time, about 20-40 s each, so they
//! run side by side where they can):
//! 1. spandsp sends a page with a subaddress while faxd sends a queued job (cover page +
//!    page) to a second spandsp terminal: two concurrent calls. The inbound fax lands in the
//!    inbox the subaddress routes to, readable by the inbox's role only; the outbound one is
//!    delivered and its receipt verifies offline with only the audit log's public key.
//! 2. A job to an unverified number is refused; the override is accepted and audited.
//! 3. Datagrams of garbage from an unknown address are ignored and counted.
//! 4. The delivered job's content is shredded after its retention time (seconds here) and
//!    the audit trail still verifies.
//! 5. faxd is killed with SIGKILL in the middle of an outbound call; after a restart the job
//!    is delivered and no audit event is lost.
//! 6. Nothing faxd logged (at trace level) contains a number, name, subaddress or patient
//!    reference used in the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use faxkit_interop::{read_tiff, write_tiff, LibtiffScheme};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use t4_codec::container::{read_tiff as read_tiff_pages, ReadOptions};

/// Our line's number and the subaddress that routes to the cardiology inbox.
const LINE: &str = "+15557010101";
const SUB: &str = "7351";
/// The spandsp caller's identity (TSI), the verified and the unverified recipient.
const CALLER_ID: &str = "+15557020202";
const RECIPIENT: &str = "+15557030303";
const UNVERIFIED: &str = "+15557040404";
/// Cover page fields (PHI in a real deployment: must never reach a log).
const PATIENT: &str = "MRN-88412397";
const COVER_TO: &str = "Dr Rosalind Quartermaine";
const COVER_FROM: &str = "Nurse Bartholomew Finch";

/// The binaries of `faxkit-examples` from the same target directory, built on demand.
fn examples_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(cargo)
        .args(["build", "-p", "faxkit-examples", "--bin", name])
        .status()
        .unwrap();
    assert!(st.success(), "building {name} failed");
    let bin = dir.join(name);
    assert!(bin.exists(), "{} not found", bin.display());
    bin
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn show(what: &str, o: &Output) -> String {
    format!(
        "{what}: {:?}\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A page with a pattern that depends on `seed`, 1728 pels wide.
fn page(seed: u32) -> (u32, u32, Vec<u8>) {
    let (w, rows) = (1728u32, 400u32);
    let mut packed = vec![0u8; (w / 8 * rows) as usize];
    for y in 0..rows {
        for x in 0..w / 8 {
            if (y / 9 + x / 6 + seed) % 5 == 0 {
                packed[(y * (w / 8) + x) as usize] = 0x5A ^ (y as u8) ^ (seed as u8);
            }
        }
    }
    (w, rows, packed)
}

/// A running faxd with its standard error collected in a file.
struct Faxd {
    child: Child,
    log: PathBuf,
}

impl Faxd {
    fn start(faxd: &Path, data: &Path, run: u32) -> Faxd {
        let log = data.join(format!("faxd-{run}.log"));
        let child = Command::new(faxd)
            .arg("--config")
            .arg(data.join("faxd.toml"))
            .env("FAXD_LOG", "trace")
            .stdout(Stdio::from(
                std::fs::File::create(data.join(format!("faxd-{run}.out"))).unwrap(),
            ))
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .unwrap();
        Faxd { child, log }
    }

    /// SIGTERM, then wait for a clean exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                assert!(st.success(), "faxd exited {st:?} on SIGTERM");
                return;
            }
            assert!(Instant::now() < deadline, "faxd did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        let _ = self.child.wait();
    }
}

impl Drop for Faxd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// faxd's status file, once it is readable.
fn status(data: &Path) -> serde_json::Value {
    let p = data.join("run/status.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(t) = std::fs::read_to_string(&p) {
            if let Ok(v) = serde_json::from_str(&t) {
                return v;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no status file at {}",
            p.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn job_state(data: &Path, job: &str) -> Option<serde_json::Value> {
    let s = status(data);
    s["queue"]["jobs"]
        .as_array()?
        .iter()
        .find(|j| j["id"] == job)
        .cloned()
}

/// Waits until `f` holds, or fails with `what`.
fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn faxctl_ok(faxctl: &Path, args: &[&str]) -> String {
    let o = Command::new(faxctl).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{}",
        show(&format!("faxctl {args:?}"), &o)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn spandsp_receive(out: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_spandsp-t38-udp"))
        .arg("receive")
        .arg(out)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn audit_events(faxctl: &Path, data: &Path) -> usize {
    let log = data.join("audit");
    faxctl_ok(
        faxctl,
        &[
            "audit",
            "export",
            "--log",
            log.to_str().unwrap(),
            "--format",
            "jsonl",
        ],
    )
    .lines()
    .count()
}

fn audit_verify(faxctl: &Path, data: &Path) {
    let log = data.join("audit");
    faxctl_ok(faxctl, &["audit", "verify", "--log", log.to_str().unwrap()]);
}

fn submit(faxctl: &Path, data: &Path, to: &str, doc: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "submit",
        "--data",
        data.to_str().unwrap(),
        "--to",
        to,
        "--cover-to",
        COVER_TO,
        "--cover-from",
        COVER_FROM,
        "--patient",
        PATIENT,
        "--subject",
        "Referral",
        "--callback",
        CALLER_ID,
        "--principal",
        "user-17",
        "--role",
        "clinician",
    ];
    args.extend_from_slice(extra);
    args.push(doc.to_str().unwrap());
    Command::new(faxctl).args(&args).output().unwrap()
}

#[test]
fn faxd_end_to_end_with_spandsp() {
    let faxd = examples_bin("faxd");
    let faxctl = examples_bin("faxctl");
    let dir = std::env::temp_dir().join(format!("faxd-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("data");
    let line_port = free_port();
    let line = format!("127.0.0.1:{line_port}");
    let recipient_port = free_port();

    // A fresh data directory, then the test's lines, inboxes and directory.
    faxctl_ok(
        &faxd,
        &[
            "init",
            "--data",
            data.to_str().unwrap(),
            "--listen",
            &line,
            "--number",
            LINE,
            "--kdf-iterations",
            "1000",
        ],
    );
    let cfg_path = data.join("faxd.toml");
    let mut cfg = std::fs::read_to_string(&cfg_path).unwrap();
    for (key, value) in [
        ("backoff_secs", "1"),
        ("outbound_content_minutes", "0.05"),
        ("grace_period_secs", "5"),
    ] {
        cfg = set_key(&cfg, key, value);
    }
    cfg.push_str(&format!(
        "\n[[inbox]]\nname = \"cardiology\"\nline = \"{LINE}\"\nsubaddress = \"{SUB}\"\n\
         roles = [\"clinician\"]\ntenant = \"default\"\n\
         \n[[recipient]]\nnumber = \"{RECIPIENT}\"\naddress = \"127.0.0.1:{recipient_port}\"\n\
         name = \"{COVER_TO}\"\nverified = true\nclass = \"default\"\n\
         \n[[recipient]]\nnumber = \"{UNVERIFIED}\"\naddress = \"127.0.0.1:{}\"\n\
         name = \"Unknown Office\"\nverified = false\nclass = \"default\"\n",
        free_port()
    ));
    std::fs::write(&cfg_path, cfg).unwrap();
    faxctl_ok(&faxd, &["--config", cfg_path.to_str().unwrap(), "--check"]);

    // Documents: one page in, one page out.
    let (w, rows, inbound_page) = page(1);
    let inbound_tif = dir.join("inbound.tif");
    std::fs::write(
        &inbound_tif,
        write_tiff(LibtiffScheme::MH, w, rows, &inbound_page).unwrap(),
    )
    .unwrap();
    let (_, _, outbound_page) = page(2);
    let outbound_tif = dir.join("outbound.tif");
    std::fs::write(
        &outbound_tif,
        write_tiff(LibtiffScheme::MH, w, rows, &outbound_page).unwrap(),
    )
    .unwrap();

    let server = Faxd::start(&faxd, &data, 1);
    wait_for("faxd to start", Duration::from_secs(30), || {
        status(&data)["running"] == true
    });

    // 1. Two concurrent calls: spandsp sends to faxd, faxd sends to spandsp.
    let received = dir.join("spandsp-received.tif");
    let sp_rx = spandsp_receive(&received, recipient_port);
    std::thread::sleep(Duration::from_millis(300));
    let sub = submit(&faxctl, &data, RECIPIENT, &outbound_tif, &[]);
    assert!(sub.status.success(), "{}", show("submit", &sub));
    let job = String::from_utf8(sub.stdout).unwrap().trim().to_string();
    assert!(!job.is_empty() && !job.contains(' '), "job id {job:?}");
    let sp_tx = Command::new(env!("CARGO_BIN_EXE_spandsp-t38-udp"))
        .arg("send")
        .arg(&inbound_tif)
        .args(["--to", &line, "--ident", CALLER_ID, "--sub", SUB])
        .output()
        .unwrap();
    assert!(sp_tx.status.success(), "{}", show("spandsp send", &sp_tx));
    let sp_rx = sp_rx.wait_with_output().unwrap();
    assert!(
        sp_rx.status.success(),
        "{}",
        show("spandsp receive", &sp_rx)
    );

    // The inbound fax: in the cardiology inbox (routed by SUB), pixel-identical, readable by
    // a clinician, refused to a clerk.
    let list = faxctl_ok(
        &faxctl,
        &[
            "inbox",
            "list",
            "--data",
            data.to_str().unwrap(),
            "--inbox",
            "cardiology",
            "--principal",
            "dr-3",
            "--role",
            "clinician",
        ],
    );
    let object = list
        .split_whitespace()
        .next()
        .expect("one object in the cardiology inbox")
        .to_string();
    let got = dir.join("got.tif");
    faxctl_ok(
        &faxctl,
        &[
            "inbox",
            "get",
            "--data",
            data.to_str().unwrap(),
            "--inbox",
            "cardiology",
            "--principal",
            "dr-3",
            "--role",
            "clinician",
            &object,
            got.to_str().unwrap(),
        ],
    );
    let img = read_tiff(&std::fs::read(&got).unwrap()).unwrap();
    assert_eq!((img.width, img.rows), (w, rows));
    assert!(img.data == inbound_page, "the stored inbound page differs");
    let denied = Command::new(&faxctl)
        .args([
            "inbox",
            "get",
            "--data",
            data.to_str().unwrap(),
            "--inbox",
            "cardiology",
            "--principal",
            "clerk-9",
            "--role",
            "clerk",
            &object,
        ])
        .arg(dir.join("denied.tif"))
        .output()
        .unwrap();
    assert!(
        !denied.status.success(),
        "a clerk read the cardiology inbox"
    );
    assert!(!dir.join("denied.tif").exists());

    // The outbound fax: spandsp got the cover page and our page; the receipt verifies.
    let receipt = data.join("receipts").join(format!("{job}.json"));
    wait_for("the receipt", Duration::from_secs(60), || receipt.exists());
    let theirs =
        read_tiff_pages(&std::fs::read(&received).unwrap(), &ReadOptions::default()).unwrap();
    assert_eq!(
        theirs.len(),
        2,
        "spandsp should have the cover page and our page"
    );
    assert_eq!(theirs[1].width(), w);
    assert!(
        theirs[1].image.data == outbound_page,
        "spandsp's received page differs"
    );
    let key = data.join("audit/keys/root.pub");
    faxctl_ok(
        &faxctl,
        &[
            "audit",
            "verify-receipt",
            receipt.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    let mut tampered: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&receipt).unwrap()).unwrap();
    tampered["pages"] = serde_json::json!(7);
    let bad = dir.join("bad-receipt.json");
    std::fs::write(&bad, tampered.to_string()).unwrap();
    let o = Command::new(&faxctl)
        .args(["audit", "verify-receipt"])
        .arg(&bad)
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(!o.status.success(), "an edited receipt verified");

    // 2. An unverified number: refused, then accepted with an audited override.
    let refused = submit(&faxctl, &data, UNVERIFIED, &outbound_tif, &[]);
    assert!(
        !refused.status.success(),
        "an unverified number was accepted"
    );
    let before = audit_events(&faxctl, &data);
    let over = submit(
        &faxctl,
        &data,
        UNVERIFIED,
        &outbound_tif,
        &["--allow-unverified", "--reason", "patient asked by phone"],
    );
    assert!(over.status.success(), "{}", show("submit override", &over));
    assert!(
        audit_events(&faxctl, &data) > before,
        "the override was not audited"
    );

    // 3. Garbage from an unknown address: ignored and counted.
    let before = status(&data)["counters"]["bad_datagrams"].as_u64().unwrap();
    let noise = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..20u8 {
        noise.send_to(&[0xFF, i, 0x00, 0x13, 0x37], &line).unwrap();
    }
    wait_for("bad datagrams counted", Duration::from_secs(10), || {
        status(&data)["counters"]["bad_datagrams"].as_u64().unwrap() >= before + 20
    });

    // 4. Retention: the delivered job's content is shredded within seconds; the audit
    // trail stays intact.
    wait_for(
        "the outbound content to be shredded",
        Duration::from_secs(30),
        || job_state(&data, &job).is_some_and(|j| j["shredded"] == true),
    );
    audit_verify(&faxctl, &data);

    // 5. SIGKILL in the middle of an outbound call, then a restart: the job is delivered.
    let received2 = dir.join("spandsp-received-2.tif");
    let sp_rx = spandsp_receive(&received2, recipient_port);
    std::thread::sleep(Duration::from_millis(300));
    let sub = submit(&faxctl, &data, RECIPIENT, &outbound_tif, &[]);
    assert!(sub.status.success(), "{}", show("submit", &sub));
    let job2 = String::from_utf8(sub.stdout).unwrap().trim().to_string();
    wait_for("the call to start", Duration::from_secs(30), || {
        status(&data)["calls"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["job"] == job2.as_str()))
    });
    std::thread::sleep(Duration::from_secs(3));
    let events_before_kill = audit_events(&faxctl, &data);
    let log1 = server.log.clone();
    server.kill();
    let mut sp_rx = sp_rx;
    let _ = sp_rx.kill();
    let _ = sp_rx.wait();
    let received3 = dir.join("spandsp-received-3.tif");
    let sp_rx = spandsp_receive(&received3, recipient_port);
    let server = Faxd::start(&faxd, &data, 2);
    let receipt2 = data.join("receipts").join(format!("{job2}.json"));
    wait_for(
        "the parked job to be delivered",
        Duration::from_secs(120),
        || receipt2.exists(),
    );
    let sp_rx = sp_rx.wait_with_output().unwrap();
    assert!(
        sp_rx.status.success(),
        "{}",
        show("spandsp receive after restart", &sp_rx)
    );
    assert!(job_state(&data, &job2)
        .is_some_and(|j| j["state"] == "done" && j["attempts"].as_u64() >= Some(2)));
    faxctl_ok(
        &faxctl,
        &[
            "audit",
            "verify-receipt",
            receipt2.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        audit_events(&faxctl, &data) > events_before_kill,
        "audit events were lost"
    );
    let log2 = server.log.clone();
    server.stop();
    audit_verify(&faxctl, &data);

    // 6. No PHI in any log line, at trace level.
    for log in [log1, log2, data.join("faxd-1.out"), data.join("faxd-2.out")] {
        let text = std::fs::read_to_string(&log).unwrap();
        for secret in [
            LINE,
            SUB,
            CALLER_ID,
            RECIPIENT,
            UNVERIFIED,
            PATIENT,
            COVER_TO,
            COVER_FROM,
            "5557010101",
            "5557020202",
            "5557030303",
            "5557040404",
            "88412397",
            "Rosalind",
            "Bartholomew",
            "patient asked by phone",
        ] {
            assert!(
                !text.contains(secret),
                "{} logged {secret:?}",
                log.display()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `text` with the value of the first `key = ...` line replaced (the key uncommented).
fn set_key(text: &str, key: &str, value: &str) -> String {
    let mut done = false;
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start_matches(['#', ' ']);
        if !done && t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
            out.push_str(&format!("{key} = {value}\n"));
            done = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(done, "no {key} in faxd.toml");
    out
}
