//! `faxctl audit` end to end: the command contract (init, example-event, append, verify,
//! prove, check-proof, export) and the crash test: a child `faxctl audit append` under load
//! killed with SIGKILL at random points (200 times by default; set
//! `FAXKIT_AUDIT_CRASH_ROUNDS` for longer runs); afterwards every acknowledged event is
//! present at its seq and the log verifies.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn faxctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faxctl"))
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], stdin: &str) -> Out {
    let mut child = faxctl()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn faxctl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn event_line(principal: &str) -> String {
    let ex = run(&["audit", "example-event"], "");
    assert_eq!(ex.code, 0);
    let mut v: serde_json::Value = serde_json::from_str(ex.stdout.trim()).expect("example is JSON");
    v["actor"]["principal"] = serde_json::json!(principal);
    v.to_string()
}

fn init(dir: &Path) {
    let log = dir.to_str().expect("utf-8 path");
    let r = run(&["audit", "init", "--log", log], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        dir.join("keys/root.pub").display().to_string()
    );
    assert!(dir.join("keys/root.pub").exists());
}

#[test]
fn contract_init_append_verify_prove_export() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("log");
    let log = dir.to_str().expect("utf-8");
    init(&dir);
    // init refuses to overwrite keys.
    assert_ne!(run(&["audit", "init", "--log", log], "").code, 0);

    let lines: String = (0..5)
        .map(|i| event_line(&format!("u{i}")) + "\n")
        .collect();
    let r = run(&["audit", "append", "--log", log], &lines);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "ack 0\nack 1\nack 2\nack 3\nack 4\n");

    // An invalid line is reported by number without its content; the others are recorded.
    let mixed = format!(
        "{}\n{{\"kind\":\"nope\",\"secret\":\"+15550199\"}}\n{}\n",
        event_line("a"),
        event_line("b")
    );
    let r = run(&["audit", "append", "--log", log], &mixed);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "ack 5\nack 6\n");
    assert!(r.stderr.contains("stdin line 2"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("15550199"),
        "PHI in an error message: {}",
        r.stderr
    );

    let r = run(&["audit", "verify", "--log", log], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("ok 7 events"), "{}", r.stdout);
    let key = dir.join("keys/root.pub");
    let r = run(
        &[
            "audit",
            "verify",
            "--log",
            log,
            "--key",
            key.to_str().expect("utf-8"),
        ],
        "",
    );
    assert_eq!(r.code, 0);

    // A proof checked with only the public key; a changed proof fails.
    let p = run(&["audit", "prove", "--log", log, "--seq", "3"], "");
    assert_eq!(p.code, 0, "{}", p.stderr);
    let r = run(
        &[
            "audit",
            "check-proof",
            "--key",
            key.to_str().expect("utf-8"),
        ],
        &p.stdout,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "ok seq 3 included in tree of size 7\n");
    let mut v: serde_json::Value = serde_json::from_str(&p.stdout).expect("json");
    v["seq"] = serde_json::json!(4);
    let r = run(
        &[
            "audit",
            "check-proof",
            "--key",
            key.to_str().expect("utf-8"),
        ],
        &v.to_string(),
    );
    assert_eq!(r.code, 2);

    // Consistency: keep the checkpoint now, append, prove the new one extends it.
    let objs: Vec<serde_json::Value> = run(
        &[
            "audit", "export", "--log", log, "--format", "jsonl", "--from", "9",
        ],
        "",
    )
    .stdout
    .lines()
    .map(|l| serde_json::from_str(l).expect("line"))
    .collect();
    let old_note = objs.last().expect("closing")["checkpoint"]
        .as_str()
        .expect("note")
        .to_owned();
    let old_path = tmp.path().join("old.note");
    std::fs::write(&old_path, &old_note).expect("write note");
    let r = run(
        &["audit", "append", "--log", log],
        &(event_line("later") + "\n"),
    );
    assert_eq!(r.stdout, "ack 7\n");
    let c = run(
        &[
            "audit",
            "prove",
            "--log",
            log,
            "--since",
            old_path.to_str().expect("utf-8"),
        ],
        "",
    );
    assert_eq!(c.code, 0, "{}", c.stderr);
    let r = run(
        &[
            "audit",
            "check-proof",
            "--key",
            key.to_str().expect("utf-8"),
            "--old",
            old_path.to_str().expect("utf-8"),
        ],
        &c.stdout,
    );
    assert_eq!(
        r.stdout, "ok tree of size 8 extends size 7\n",
        "{}",
        r.stderr
    );

    // JSON Lines: one object per event with its seq, then the checkpoint.
    let r = run(
        &[
            "audit", "export", "--log", log, "--format", "jsonl", "--from", "2", "--to", "4",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let objs: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    assert_eq!(objs.len(), 4);
    let seqs: Vec<u64> = objs[..3]
        .iter()
        .map(|o| o["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, vec![2, 3, 4]);
    assert!(objs[3]["checkpoint"]
        .as_str()
        .expect("note")
        .contains("\n8\n"));
    assert!(
        !r.stdout.contains("15550199"),
        "sealed number leaked without --reveal"
    );

    // CSV: the fax-audit columns, a sealed number stays sealed.
    let r = run(&["audit", "export", "--log", log, "--format", "csv"], "");
    assert_eq!(r.code, 0);
    let mut rows = r.stdout.lines();
    assert!(rows
        .next()
        .expect("header")
        .starts_with("date,time,fax_number,user_id,delivery_status"));
    assert_eq!(rows.clone().count(), 8);
    assert!(rows
        .next()
        .expect("row")
        .contains(",sealed,u0,success (MCF),0,fax_send,"));

    // With --reveal the number appears, formula-escaped, and the export itself is audited.
    let r = run(
        &[
            "audit", "export", "--log", log, "--format", "csv", "--reveal", "--to", "0",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(",'+15550199,u0,"), "{}", r.stdout);
    let r = run(
        &[
            "audit", "export", "--log", log, "--format", "jsonl", "--from", "8",
        ],
        "",
    );
    assert!(r
        .stdout
        .lines()
        .next()
        .expect("export event")
        .contains("\"kind\":\"phi_export\""));

    // One fax number's events, found by token (written differently than stored).
    let r = run(
        &[
            "audit",
            "export",
            "--log",
            log,
            "--format",
            "jsonl",
            "--fax-number",
            "+1 (555) 0199",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.lines().count(),
        9,
        "8 fax sends and the checkpoint"
    );
    let r = run(
        &[
            "audit",
            "export",
            "--log",
            log,
            "--format",
            "jsonl",
            "--fax-number",
            "+15550100",
        ],
        "",
    );
    assert_eq!(r.stdout.lines().count(), 1, "no events for another number");

    // Accounting of disclosures for the example patient: 8 fax sends, each with a proof.
    let r = run(
        &[
            "audit",
            "export",
            "--log",
            log,
            "--format",
            "disclosures",
            "--patient",
            "MRN-000123",
        ],
        "",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    assert_eq!(lines.last().expect("closing")["disclosures"], 8);
    assert_eq!(lines[0]["recipient"], "Cardiology Dept");
    let r = run(
        &[
            "audit",
            "check-proof",
            "--key",
            key.to_str().expect("utf-8"),
        ],
        &lines[0]["proof"].to_string(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Forwarding to a receiver that is not there fails cleanly (the rsyslog peer test in
    // phi-audit covers a real receiver).
    let ca = tmp.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate").expect("write");
    let r = run(
        &[
            "audit",
            "forward",
            "--log",
            log,
            "--to",
            "127.0.0.1:1",
            "--ca",
            ca.to_str().expect("utf-8"),
        ],
        "",
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("syslog receiver"), "{}", r.stderr);

    // Tampering: verify names the first bad seq and fails.
    let seg = std::fs::read_dir(dir.join("segments"))
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .min()
        .expect("segment");
    let mut b = std::fs::read(&seg).expect("read");
    let pos = b.len() / 2;
    b[pos] ^= 0x20;
    std::fs::write(&seg, &b).expect("write");
    let r = run(&["audit", "verify", "--log", log], "");
    assert_eq!(r.code, 2);
    assert!(r.stdout.starts_with("bad "), "{}", r.stdout);
    assert!(r.stderr.contains("first bad seq"), "{}", r.stderr);
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn sigkill_under_load_never_loses_an_acknowledged_event() {
    let rounds: u64 = std::env::var("FAXKIT_AUDIT_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("log");
    let log = dir.to_str().expect("utf-8").to_owned();
    init(&dir);
    let template = event_line("TEMPLATE");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut acked: Vec<(u64, String)> = Vec::new();
    let started = Instant::now();
    for round in 0..rounds {
        let mut child = faxctl()
            .args(["audit", "append", "--log", &log])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let tpl = template.clone();
        // Producer: events as fast as the pipe takes them, until the child dies.
        let producer = std::thread::spawn(move || {
            let mut n = 0u64;
            loop {
                let line = tpl.replace("TEMPLATE", &format!("r{round}-e{n}")) + "\n";
                if stdin.write_all(line.as_bytes()).is_err() {
                    return;
                }
                n += 1;
            }
        });
        let seen = Arc::new(AtomicU64::new(0));
        let seen2 = seen.clone();
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let seq: u64 = line
                    .strip_prefix("ack ")
                    .expect("ack line")
                    .parse()
                    .expect("seq");
                acks.push(seq);
                seen2.fetch_add(1, Ordering::Relaxed);
            }
            acks
        });
        // Kill points: a quarter of the rounds after a random delay from the start (often
        // during recovery or segment creation), the rest after a random number of acks
        // plus a random delay (mid-batch, mid-write, mid-sync).
        if rng.next().is_multiple_of(4) {
            std::thread::sleep(Duration::from_micros(rng.next() % 40_000));
        } else {
            let want = rng.next() % 60;
            let deadline = Instant::now() + Duration::from_secs(5);
            while seen.load(Ordering::Relaxed) < want && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(Duration::from_micros(rng.next() % 2_000));
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        let acks = reader.join().expect("reader");
        let _ = producer.join();
        // The k-th ack of this process is the k-th line it read.
        for (k, seq) in acks.into_iter().enumerate() {
            acked.push((seq, format!("r{round}-e{k}")));
        }
    }
    let elapsed = started.elapsed();
    // Restart once more (recovers the last crash), then verify and compare.
    let r = run(&["audit", "append", "--log", &log], "");
    assert_eq!(r.code, 0, "recovery after the last kill: {}", r.stderr);
    let r = run(&["audit", "verify", "--log", &log], "");
    assert_eq!(
        r.code, 0,
        "verify after {rounds} kills: {} {}",
        r.stdout, r.stderr
    );
    let r = run(&["audit", "export", "--log", &log, "--format", "jsonl"], "");
    assert_eq!(r.code, 0);
    let mut by_seq = std::collections::HashMap::new();
    for l in r.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(l).expect("line");
        if let Some(seq) = v["seq"].as_u64() {
            by_seq.insert(
                seq,
                v["actor"]["principal"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
    }
    assert!(!acked.is_empty(), "no event was ever acknowledged");
    for (seq, who) in &acked {
        assert_eq!(
            by_seq.get(seq),
            Some(who),
            "acknowledged seq {seq} lost or changed"
        );
    }
    eprintln!(
        "crash test: {rounds} SIGKILLs in {:.1} s, {} acknowledged events all present, log of {} events verifies",
        elapsed.as_secs_f64(),
        acked.len(),
        by_seq.len()
    );
}
