//! Delivery receipts: issued on a real log directory, verified offline with only the public
//! key; every field edit, proof edit and wrong key fails; receipts survive later appends,
//! segment rotation and the destruction of their segment's sealing key; the
//! `faxctl audit verify-receipt` contract (exit codes, one-line summary, no PHI).

use base64::Engine;
use faxkit_examples::receipt::{issue, verify, Delivery, Receipt, ReceiptError};
use phi_audit::checkpoint::VerifierKey;
use phi_audit::seal::TokenKind;
use phi_audit::storage::FsStorage;
use phi_audit::{Config, Log};
use proptest::prelude::*;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const REMOTE: &str = "+1 (555) 0199";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn delivery() -> Delivery {
    Delivery {
        job: "job-0042".into(),
        remote_number: REMOTE.into(),
        local_number: "+15550100".into(),
        pages: 4,
        t30_result: "Ok".into(),
        delivered: true,
        document_sha256: "0123456789abcdef".repeat(4),
        call_id: "call-9".into(),
        attempt: 2,
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    root: VerifierKey,
    log: Log,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Arc::new(FsStorage::new(dir.path()));
        phi_audit::init(storage.as_ref(), "test.example/audit").expect("init");
        let root = phi_audit::root_key(storage.as_ref()).expect("root key");
        let log = Log::open(storage, Config::default()).expect("open");
        Fixture { dir, root, log }
    }

    fn storage(&self) -> FsStorage {
        FsStorage::new(self.dir.path())
    }

    /// Some unrelated events, so the receipt's event is not alone in the tree.
    fn noise(&mut self, n: usize) {
        for _ in 0..n {
            self.log
                .append(phi_audit::Event::example())
                .expect("append");
        }
    }
}

#[test]
fn issued_receipt_states_the_delivery_and_verifies() {
    let mut f = Fixture::new();
    f.noise(3);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis();
    let r = issue(&mut f.log, &delivery()).expect("issue");
    verify(&r, &f.root).expect("verify");
    assert_eq!(r.version, 1);
    assert_eq!(r.job, "job-0042");
    assert_eq!(r.pages, 4);
    assert_eq!(r.t30_result, "Ok");
    assert!(r.delivered);
    assert_eq!(r.document_sha256, "0123456789abcdef".repeat(4));
    assert_eq!(r.proof.seq, 3);
    assert_eq!(r.proof.tree_size, 4);
    // The token is the log's keyed token of the number, in any spelling of it.
    let tokens = phi_audit::token_key(&f.storage()).expect("token key");
    let want = tokens.token(TokenKind::FaxNumber, "+15550199");
    let want: String = want.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(r.destination_token, want);
    // The time is the record's: now, to the millisecond, in RFC 3339 UTC.
    let t = phi_audit::time::parse(&r.time).expect("rfc 3339 time");
    let t_ms = u128::try_from(t / 1_000_000).expect("after 1970");
    assert!(r.time.ends_with('Z'));
    assert!(t_ms + 1 >= before && t_ms < before + 60_000, "{}", r.time);
    // The event is durable and in the log as a delivery status with the sealed number.
    let storage = f.storage();
    f.log.close().expect("close");
    let s = phi_audit::scan::scan_log(&storage, &f.root, phi_audit::scan::Mode::Verify, true, None)
        .expect("log verifies");
    let rec = &s.records[3];
    assert_eq!(rec.event.kind, phi_audit::Kind::DeliveryStatus);
    assert_eq!(rec.event.outcome, phi_audit::Outcome::Success);
    let fax = rec.event.fax.as_ref().expect("fax fields");
    assert_eq!(fax.direction, Some(phi_audit::event::Direction::Send));
    assert_eq!(
        (fax.local_number.as_str(), fax.call_id.as_str(), fax.attempt),
        ("+15550100", "call-9", 2)
    );
    assert_eq!(rec.event.correlation.request_id, "job-0042");
    let sealed = phi_audit::open_sealed(&storage, 0, rec).expect("open sealed");
    assert_eq!(sealed.remote_number.as_deref(), Some(REMOTE));
}

#[test]
fn document_hash_golden() {
    use faxkit_examples::receipt::document_sha256;
    use t30::{Page, Resolution};
    // Vectors computed with Python's hashlib over the documented byte layout.
    assert_eq!(
        document_sha256(&[]),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let mut a = Page::blank(16, 2, Resolution::Fine);
    a.data = vec![0x0F, 0xF0, 0x00, 0x01];
    let mut b = Page::blank(8, 1, Resolution::Standard);
    b.data = vec![0x80];
    assert_eq!(
        document_sha256(&[a.clone(), b.clone()]),
        "c77001605647181930bfc7ade45c70e339794d3a9fce302b83061fcd085ee2b5"
    );
    // Order and geometry matter.
    assert_ne!(
        document_sha256(&[b.clone(), a.clone()]),
        document_sha256(&[a.clone(), b])
    );
    let mut c = a.clone();
    (c.columns, c.rows) = (32, 1);
    assert_ne!(document_sha256(&[c]), document_sha256(&[a]));
}

#[test]
fn a_segment_rotation_right_after_the_append_is_handled() {
    // A tiny segment limit: every append rotates, so the record is in the segment before
    // the current one when the receipt reads it back.
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = Arc::new(FsStorage::new(dir.path()));
    phi_audit::init(storage.as_ref(), "test.example/audit").expect("init");
    let root = phi_audit::root_key(storage.as_ref()).expect("root key");
    let mut config = Config::default();
    config.max_segment_bytes = 1;
    let mut log = Log::open(storage, config).expect("open");
    for i in 0..3u32 {
        log.append(phi_audit::Event::example()).expect("append");
        let mut d = delivery();
        d.attempt = i + 1;
        let r = issue(&mut log, &d).expect("issue");
        verify(&r, &root).expect("verify");
        assert_eq!(r.proof.seq, u64::from(2 * i + 1));
    }
    let segments = std::fs::read_dir(dir.path().join("segments"))
        .expect("segments")
        .count();
    assert!(segments >= 6, "{segments} segments");
}

#[test]
fn failed_delivery_gives_an_undelivered_receipt() {
    let mut f = Fixture::new();
    let mut d = delivery();
    d.delivered = false;
    d.t30_result = "NoAnswer".into();
    d.pages = 0;
    let r = issue(&mut f.log, &d).expect("issue");
    verify(&r, &f.root).expect("verify");
    assert!(!r.delivered);
    assert_eq!((r.pages, r.t30_result.as_str()), (0, "NoAnswer"));
    let rec = r.proof.verify(&f.root).expect("proof").0;
    assert_eq!(rec.event.outcome, phi_audit::Outcome::SeriousFailure);
}

fn mismatch(r: &Receipt, root: &VerifierKey) -> &'static str {
    match verify(r, root) {
        Err(ReceiptError::Mismatch(field)) => field,
        other => panic!("expected a field mismatch, got {other:?}"),
    }
}

#[test]
fn every_edited_field_is_a_mismatch() {
    let mut f = Fixture::new();
    let r = issue(&mut f.log, &delivery()).expect("issue");
    type Edit = Box<dyn Fn(&mut Receipt)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("version", Box::new(|r| r.version = 2)),
        ("job", Box::new(|r| r.job = "job-0043".into())),
        (
            "time",
            Box::new(|r| r.time = "2020-01-01T00:00:00.000Z".into()),
        ),
        (
            "destination_token",
            Box::new(|r| r.destination_token = "00".repeat(16)),
        ),
        ("pages", Box::new(|r| r.pages += 1)),
        ("t30_result", Box::new(|r| r.t30_result = "Fail".into())),
        ("delivered", Box::new(|r| r.delivered = false)),
        (
            "document_sha256",
            Box::new(|r| r.document_sha256 = "ff".repeat(32)),
        ),
    ];
    for (field, edit) in edits {
        let mut bad = r.clone();
        edit(&mut bad);
        assert_eq!(mismatch(&bad, &f.root), field);
    }
}

fn proof_error(r: &Receipt, root: &VerifierKey) {
    match verify(r, root) {
        Err(ReceiptError::Proof(_)) => {}
        other => panic!("expected a proof error, got {other:?}"),
    }
}

/// Flips one bit of a base64 value.
fn flip_b64(s: &str, byte: usize) -> String {
    let mut b = B64.decode(s).expect("base64");
    let i = byte % b.len();
    b[i] ^= 0x01;
    B64.encode(b)
}

#[test]
fn an_edited_proof_fails() {
    let mut f = Fixture::new();
    f.noise(5);
    let r = issue(&mut f.log, &delivery()).expect("issue");
    f.noise(1);
    assert!(!r.proof.path.is_empty());
    // Every hash of the Merkle path.
    for i in 0..r.proof.path.len() {
        let mut bad = r.clone();
        bad.proof.path[i] = flip_b64(&bad.proof.path[i], 7);
        proof_error(&bad, &f.root);
    }
    // A path one hash short, or one hash long.
    let mut bad = r.clone();
    bad.proof.path.pop();
    proof_error(&bad, &f.root);
    let mut bad = r.clone();
    bad.proof.path.push(r.proof.path[0].clone());
    proof_error(&bad, &f.root);
    // The record's bytes, at several places (the sealed part and the clear fields).
    let len = B64.decode(&r.proof.record).expect("b64").len();
    for at in [0, 9, len / 2, len - 1] {
        let mut bad = r.clone();
        bad.proof.record = flip_b64(&bad.proof.record, at);
        proof_error(&bad, &f.root);
    }
    // The index and the tree size.
    let mut bad = r.clone();
    bad.proof.seq -= 1;
    proof_error(&bad, &f.root);
    let mut bad = r.clone();
    bad.proof.tree_size += 1;
    proof_error(&bad, &f.root);
    // The checkpoint: its root hash, its size line, its signature.
    let lines: Vec<&str> = r.proof.checkpoint.split('\n').collect();
    let mut bad = r.clone();
    bad.proof.checkpoint = r
        .proof
        .checkpoint
        .replacen(lines[2], &flip_b64(lines[2], 3), 1);
    proof_error(&bad, &f.root);
    let mut bad = r.clone();
    bad.proof.checkpoint = r.proof.checkpoint.replacen(
        &format!("\n{}\n", r.proof.tree_size),
        &format!("\n{}\n", r.proof.tree_size + 1),
        1,
    );
    assert_ne!(bad.proof.checkpoint, r.proof.checkpoint);
    proof_error(&bad, &f.root);
    let mut bad = r.clone();
    let sig_line = lines
        .iter()
        .rev()
        .find(|l| l.starts_with('—'))
        .expect("sig");
    let (head, sig) = sig_line.rsplit_once(' ').expect("sig line");
    bad.proof.checkpoint =
        r.proof
            .checkpoint
            .replacen(sig_line, &format!("{head} {}", flip_b64(sig, 20)), 1);
    proof_error(&bad, &f.root);
    // The segment-key certificate.
    let mut bad = r.clone();
    let c = &mut bad.proof.certs[0];
    let last = if c.ends_with('0') { "1" } else { "0" };
    c.replace_range(c.len() - 1.., last);
    proof_error(&bad, &f.root);
}

#[test]
fn another_logs_key_does_not_verify() {
    let mut f = Fixture::new();
    let other = Fixture::new();
    let r = issue(&mut f.log, &delivery()).expect("issue");
    proof_error(&r, &other.root);
    // Same origin name, other key.
    let same_name = VerifierKey {
        name: f.root.name.clone(),
        public: other.root.public,
    };
    proof_error(&r, &same_name);
}

#[test]
fn json_round_trip_keeps_it_valid_and_holds_no_number() {
    let mut f = Fixture::new();
    let r = issue(&mut f.log, &delivery()).expect("issue");
    let json = serde_json::to_string_pretty(&r).expect("json");
    for phi in [REMOTE, "+15550199", "5550199"] {
        assert!(!json.contains(phi), "receipt JSON holds the number");
    }
    let back: Receipt = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, r);
    verify(&back, &f.root).expect("verify");
    // The field names are the contract auditors' tools read.
    let v: serde_json::Value = serde_json::from_str(&json).expect("value");
    for k in [
        "version",
        "job",
        "time",
        "destination_token",
        "pages",
        "t30_result",
        "delivered",
        "document_sha256",
        "proof",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
}

#[test]
fn receipts_stay_valid_after_appends_rotation_and_shredding() {
    let mut f = Fixture::new();
    f.noise(2);
    let first = issue(&mut f.log, &delivery()).expect("issue");
    f.noise(40);
    f.log.rotate().expect("rotate");
    let mut d = delivery();
    d.job = "job-0043".into();
    let second = issue(&mut f.log, &d).expect("issue in segment 1");
    assert_eq!(second.proof.seq, 43);
    assert_eq!(second.proof.certs.len(), 2);
    f.noise(10);
    let storage = Arc::new(f.storage());
    f.log.close().expect("close");
    // Reopening starts another segment; more events go there.
    let mut log = Log::open(storage.clone(), Config::default()).expect("reopen");
    log.append(phi_audit::Event::example()).expect("append");
    // Crypto-shredding of segment 0: the sealed number is gone, the receipt stays valid.
    phi_audit::destroy_seal_key(storage.as_ref(), 0).expect("destroy seal key");
    let rec = first.proof.verify(&f.root).expect("proof").0;
    assert!(matches!(
        phi_audit::open_sealed(storage.as_ref(), 0, &rec),
        Err(phi_audit::LogError::Retention(_))
    ));
    verify(&first, &f.root).expect("first receipt after shredding");
    verify(&second, &f.root).expect("second receipt");
    // And the log that holds them still verifies as a whole.
    log.close().expect("close");
    phi_audit::scan::scan_log(
        storage.as_ref(),
        &f.root,
        phi_audit::scan::Mode::Verify,
        false,
        None,
    )
    .expect("log verifies");
}

#[test]
fn over_long_fields_are_a_log_error_not_a_receipt() {
    let mut f = Fixture::new();
    let mut d = delivery();
    d.t30_result = "x".repeat(phi_audit::event::limits::MAX_TEXT + 1);
    assert!(matches!(
        issue(&mut f.log, &d),
        Err(ReceiptError::Log(phi_audit::LogError::Event(_)))
    ));
    assert_eq!(f.log.size(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any delivery the log accepts gives a receipt that survives JSON and verifies, and
    /// whose fields are the delivery's.
    #[test]
    fn any_delivery_round_trips(
        job in "\\PC{0,40}",
        remote in "[+0-9 ()-]{0,24}",
        pages in any::<u32>(),
        t30 in "\\PC{0,30}",
        delivered in any::<bool>(),
        doc in "[0-9a-f]{64}",
        attempt in any::<u32>(),
    ) {
        let mut f = Fixture::new();
        let d = Delivery {
            job: job.clone(),
            remote_number: remote,
            local_number: "+15550100".into(),
            pages,
            t30_result: t30.clone(),
            delivered,
            document_sha256: doc.clone(),
            call_id: "c".into(),
            attempt,
        };
        let r = issue(&mut f.log, &d).expect("issue");
        let back: Receipt =
            serde_json::from_str(&serde_json::to_string(&r).expect("json")).expect("parse");
        prop_assert_eq!(&back, &r);
        prop_assert!(verify(&back, &f.root).is_ok());
        prop_assert_eq!((back.job, back.pages, back.t30_result, back.delivered, back.document_sha256),
            (job, pages, t30, delivered, doc));
    }
}

fn faxctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faxctl"))
        .args(args)
        .output()
        .expect("run faxctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_receipt(path: &Path, r: &Receipt) {
    std::fs::write(path, serde_json::to_string_pretty(r).expect("json")).expect("write");
}

#[test]
fn cli_verify_receipt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_dir = dir.path().join("audit");
    let log_s = log_dir.to_str().expect("utf-8 path");
    let (code, out, err) = faxctl(&["audit", "init", "--log", log_s]);
    assert_eq!(code, 0, "{err}");
    let pub_key = out.trim().to_owned();
    let mut log = Log::open(Arc::new(FsStorage::new(&log_dir)), Config::default()).expect("open");
    log.append(phi_audit::Event::example()).expect("append");
    let r = issue(&mut log, &delivery()).expect("issue");
    log.close().expect("close");
    let file = dir.path().join("receipt.json");
    write_receipt(&file, &r);
    let file_s = file.to_str().expect("utf-8 path");

    let (code, out, err) = faxctl(&["audit", "verify-receipt", file_s, "--key", &pub_key]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "ok receipt job job-0042 pages 4 result Ok delivered yes checkpoint 2\n"
    );
    let (code, out2, err) = faxctl(&["audit", "verify-receipt", file_s, "--log", log_s]);
    assert_eq!((code, out2.as_str()), (0, out.as_str()), "{err}");
    let (code, js, err) = faxctl(&["audit", "verify-receipt", file_s, "--log", log_s, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&js).expect("json");
    assert_eq!(v["ok"], true);
    assert_eq!(v["job"], "job-0042");
    assert_eq!(v["seq"], 1);
    assert_eq!(v["checkpoint_size"], 2);
    assert_eq!(v["destination_token"], r.destination_token.as_str());

    // An edited field: exit 2, the field named, no PHI.
    let mut bad = r.clone();
    bad.pages = 3;
    write_receipt(&file, &bad);
    let (code, out, err) = faxctl(&["audit", "verify-receipt", file_s, "--key", &pub_key]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("field pages"), "{err}");
    // An edited proof.
    let mut bad = r.clone();
    bad.proof.path.clear();
    write_receipt(&file, &bad);
    let (code, _, err) = faxctl(&["audit", "verify-receipt", file_s, "--key", &pub_key]);
    assert_eq!(code, 2);
    assert!(err.contains("does not verify"), "{err}");
    // Another log's key.
    let other = dir.path().join("other");
    let (code, other_pub, _) = faxctl(&["audit", "init", "--log", other.to_str().expect("utf-8")]);
    assert_eq!(code, 0);
    write_receipt(&file, &r);
    let (code, _, err) = faxctl(&["audit", "verify-receipt", file_s, "--key", other_pub.trim()]);
    assert_eq!(code, 2, "{err}");
    // Not a receipt at all.
    std::fs::write(&file, "{\"job\": \"+15550199\"}").expect("write");
    let (code, _, err) = faxctl(&["audit", "verify-receipt", file_s, "--key", &pub_key]);
    assert_eq!(code, 2);
    assert!(!err.contains("5550199"), "{err}");
    // Neither --key nor --log: a usage error.
    let (code, _, _) = faxctl(&["audit", "verify-receipt", file_s]);
    assert_eq!(code, 1);
}
