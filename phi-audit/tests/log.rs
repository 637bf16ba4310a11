//! The writer end to end on the in-memory fault-injecting storage: round trips, sealing and
//! tokens, retention, recovery after failed / torn writes and failed syncs, random crashes.

use phi_audit::scan::{scan_log, Mode, Scanned};
use phi_audit::seal::TokenKind;
use phi_audit::storage::{Faults, FaultyStorage, Storage};
use phi_audit::{Clock, Config, Event, Kind, Log, LogError, Outcome};
use proptest::prelude::*;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

struct TestClock(Arc<AtomicI64>);
impl Clock for TestClock {
    fn now_ns(&self) -> i64 {
        self.0.fetch_add(1_000, Ordering::Relaxed)
    }
}

fn config(t: &Arc<AtomicI64>) -> Config {
    let mut c = Config::default();
    c.clock = Box::new(TestClock(t.clone()));
    c
}

fn event(i: u64) -> Event {
    let mut e = Event::example();
    e.actor.principal = format!("user-{i}");
    e.sensitive.remote_number = Some(format!("+1555{i:07}"));
    e.sensitive.patients = vec![format!("MRN-{}", i % 3)];
    e
}

fn new_log() -> (Arc<FaultyStorage>, Arc<AtomicI64>) {
    let s = Arc::new(FaultyStorage::new());
    phi_audit::init(s.as_ref(), "test.example/audit").expect("init");
    (s, Arc::new(AtomicI64::new(1_700_000_000_000_000_000)))
}

fn scan(s: &FaultyStorage, keep: bool) -> Result<Scanned, phi_audit::scan::Failure> {
    let root = phi_audit::root_key(s).expect("root");
    scan_log(s, &root, Mode::Verify, keep, None)
}

#[test]
fn round_trip_across_reopen_with_sealed_fields_and_tokens() {
    let (s, t) = new_log();
    let mut log = Log::open(s.clone(), config(&t)).expect("open");
    assert_eq!(
        log.append_batch((0..5).map(event).collect())
            .expect("batch"),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(log.append(event(5)).expect("one"), 5);
    log.close().expect("close");
    let mut log = Log::open(s.clone(), config(&t)).expect("reopen");
    assert_eq!(log.size(), 6);
    assert_eq!(log.append(event(6)).expect("after reopen"), 6);
    log.close().expect("close");

    let sc = scan(&s, true).expect("verifies");
    assert_eq!(sc.tree.size(), 7);
    assert_eq!(sc.segments.len(), 2);
    assert_eq!(sc.anchored_size, 7);
    for (i, r) in sc.records.iter().enumerate() {
        assert_eq!(r.seq, i as u64);
        assert_eq!(r.event.actor.principal, format!("user-{i}"));
        // Sensitive fields are not in the clear in the record.
        assert!(r.event.sensitive.is_empty());
        let seg = u64::from(i >= 6);
        let open = phi_audit::open_sealed(s.as_ref(), seg, r).expect("open sealed");
        assert_eq!(open.remote_number, Some(format!("+1555{i:07}")));
    }
    // No plaintext number anywhere in the stored bytes.
    for name in s.list("segments").expect("list") {
        let b = s
            .read(&format!("segments/{name}"))
            .expect("read")
            .expect("file");
        assert!(
            !b.windows(11).any(|w| w == b"+1555000000"),
            "plaintext in {name}"
        );
        assert!(!b.windows(10).any(|w| w == b"MRN-000123"));
    }
    // Tokens: events of one patient are found without decrypting anything.
    let tk = phi_audit::token_key(s.as_ref()).expect("token key");
    let t1 = tk.token(TokenKind::Patient, "MRN-1");
    let hits: Vec<u64> = sc
        .records
        .iter()
        .filter(|r| r.tokens.contains(&t1))
        .map(|r| r.seq)
        .collect();
    assert_eq!(hits, vec![1, 4]);
    let n3 = tk.token(TokenKind::FaxNumber, "+1 555 000 0003");
    let hits: Vec<u64> = sc
        .records
        .iter()
        .filter(|r| r.tokens.contains(&n3))
        .map(|r| r.seq)
        .collect();
    assert_eq!(hits, vec![3]);
}

#[test]
fn invalid_events_are_refused_before_anything_is_written() {
    let (s, t) = new_log();
    let mut log = Log::open(s.clone(), config(&t)).expect("open");
    let mut bad = event(1);
    bad.actor.principal = " ".into();
    assert!(matches!(
        log.append_batch(vec![event(0), bad]),
        Err(LogError::Event(_))
    ));
    assert_eq!(log.size(), 0);
    assert_eq!(log.append(event(0)).expect("still usable"), 0);
}

#[test]
fn retention_destroys_sealed_fields_but_keeps_proofs_and_respects_legal_hold() {
    let (s, t) = new_log();
    let mut log = Log::open(s.clone(), config(&t)).expect("open");
    log.append(event(0)).expect("append");
    log.rotate().expect("rotate");
    log.append(event(1)).expect("append");
    // Young data does not expire.
    assert!(matches!(
        log.expire_segment(0, 1_700_000_000_000_000_000),
        Err(LogError::Retention(_))
    ));
    phi_audit::set_legal_hold(s.as_ref(), true).expect("hold");
    assert!(matches!(
        log.expire_segment(0, 0),
        Err(LogError::Retention(_))
    ));
    phi_audit::set_legal_hold(s.as_ref(), false).expect("release");
    let seq = log.expire_segment(0, 0).expect("expire");
    log.close().expect("close");
    let sc = scan(&s, true).expect("still verifies after expiry");
    assert_eq!(
        sc.records[usize::try_from(seq).expect("seq")].event.kind,
        Kind::RetentionExpire
    );
    assert!(matches!(
        phi_audit::open_sealed(s.as_ref(), 0, &sc.records[0]),
        Err(LogError::Retention(_))
    ));
    assert!(phi_audit::open_sealed(s.as_ref(), 1, &sc.records[1]).is_ok());
    // An inclusion proof for the expired event still verifies with only the root key.
    let path = sc.tree.inclusion_proof(0, sc.tree.size()).expect("path");
    let p = phi_audit::Proof::new(
        &sc.record_bytes[0],
        0,
        sc.tree.size(),
        &path,
        sc.last_note.as_deref().expect("note"),
        &sc.certs,
    );
    p.verify(&phi_audit::root_key(s.as_ref()).expect("root"))
        .expect("proof verifies");
}

#[test]
fn failed_append_poisons_and_reopen_recovers() {
    let (s, t) = new_log();
    let mut log = Log::open(s.clone(), config(&t)).expect("open");
    log.append(event(0)).expect("ok");
    let mut f = Faults::default();
    f.fail_append_after = Some(0);
    f.torn_bytes = 37;
    s.set_faults(f);
    assert!(matches!(log.append(event(1)), Err(LogError::Io { .. })));
    assert!(matches!(log.append(event(1)), Err(LogError::Poisoned)));
    drop(log);
    s.set_faults(Faults::default());
    let log = Log::open(s.clone(), config(&t)).expect("recovers");
    assert_eq!(log.recovery().size, 1);
    assert_eq!(log.recovery().truncated_bytes, 37);
    // The first event after recovery says so.
    assert_eq!(log.size(), 2);
    log.close().expect("close");
    let sc = scan(&s, true).expect("verifies");
    assert_eq!(sc.records[1].event.kind, Kind::SystemRecover);
}

#[test]
fn failed_sync_is_fail_closed() {
    let (s, t) = new_log();
    let mut log = Log::open(s.clone(), config(&t)).expect("open");
    log.append(event(0)).expect("ok");
    let mut f = Faults::default();
    f.fail_sync_after = Some(0);
    s.set_faults(f);
    assert!(matches!(log.append(event(1)), Err(LogError::Io { .. })));
    // Never retry-and-continue: the next call fails too, even though sync would work now.
    s.set_faults(Faults::default());
    assert!(matches!(log.append(event(2)), Err(LogError::Poisoned)));
    drop(log);
    // Power loss: the unsynced batch may be lost entirely.
    s.crash(|_, _| 0);
    let log = Log::open(s.clone(), config(&t)).expect("recovers");
    assert_eq!(log.recovery().size, 1);
    log.close().expect("close");
    scan(&s, false).expect("verifies");
}

#[test]
fn missing_acknowledged_events_refuse_to_start() {
    let (s, t) = new_log();
    let mut log = Log::open(s.clone(), config(&t)).expect("open");
    log.append(event(0)).expect("ok");
    let before = s
        .read("segments/0000000000-00000000000000000000.seg")
        .expect("read")
        .expect("seg");
    log.append(event(1)).expect("ok");
    log.close().expect("close (anchors size 2)");
    // Roll the segment back to the copy holding one event.
    s.put("segments/0000000000-00000000000000000000.seg", before);
    match Log::open(s.clone(), config(&t)) {
        Err(LogError::MissingAcknowledged { found, checkpoint }) => {
            assert_eq!((found, checkpoint), (1, 2));
        }
        other => panic!("expected refusal, got {other:?}"),
    }
}

/// Random faults and crashes: every acknowledged event survives and the log verifies.
#[test]
fn random_crashes_never_lose_acknowledged_events() {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for _round in 0..40 {
        let (s, t) = new_log();
        let mut acked: Vec<String> = Vec::new();
        let mut counter = 0u64;
        for _open in 0..4 {
            let mut log = match Log::open(s.clone(), config(&t)) {
                Ok(l) => l,
                Err(e) => panic!("recovery failed: {e}"),
            };
            let mut f = Faults::default();
            match next() % 4 {
                0 => f.fail_append_after = Some(next() % 6),
                1 => {
                    f.fail_append_after = Some(next() % 6);
                    f.torn_bytes = usize::try_from(next() % 400).expect("small");
                }
                2 => f.fail_sync_after = Some(next() % 6),
                _ => {}
            }
            s.set_faults(f);
            for _ in 0..(next() % 8) {
                let n = 1 + next() % 5;
                let batch: Vec<Event> = (0..n)
                    .map(|_| {
                        counter += 1;
                        event(counter)
                    })
                    .collect();
                let names: Vec<String> = batch.iter().map(|e| e.actor.principal.clone()).collect();
                match log.append_batch(batch) {
                    Ok(_) => acked.extend(names),
                    Err(_) => break,
                }
            }
            drop(log);
            let cut = next();
            s.crash(|_, unsynced| usize::try_from(cut % (unsynced as u64 + 1)).expect("small"));
        }
        let log = Log::open(s.clone(), config(&t)).expect("final recovery");
        log.close().expect("close");
        let sc = scan(&s, true).expect("verifies");
        let present: Vec<&str> = sc
            .records
            .iter()
            .map(|r| r.event.actor.principal.as_str())
            .collect();
        for a in &acked {
            assert!(present.contains(&a.as_str()), "acknowledged {a} lost");
        }
    }
}

fn arb_event() -> impl Strategy<Value = Event> {
    (
        proptest::sample::select(Kind::ALL),
        proptest::sample::select(Outcome::ALL),
        "[a-z.]{1,12}",
        ".{0,20}",
        proptest::option::of(any::<u64>()),
        proptest::collection::vec(
            (
                "[a-z_]{0,8}",
                ".{0,12}",
                proptest::option::of(any::<[u8; 32]>()),
            ),
            0..3,
        ),
        proptest::option::of((any::<u32>(), ".{0,10}")),
    )
        .prop_map(|(kind, outcome, principal, role, parent, objects, fax)| {
            let mut e = Event::new(kind, outcome, &principal);
            e.actor.role = role;
            e.correlation.parent_seq = parent;
            e.objects = objects
                .into_iter()
                .map(|(k, id, h)| phi_audit::event::ObjectRef {
                    kind: k,
                    id,
                    role: String::new(),
                    header_sha256: h,
                })
                .collect();
            e.fax = fax.map(|(pages, call_id)| phi_audit::event::Fax {
                pages,
                call_id,
                ..Default::default()
            });
            e
        })
}

proptest! {
    #[test]
    fn record_encoding_round_trips(e in arb_event(), seq in any::<u64>(), t in any::<i64>(), tokens in proptest::collection::vec(any::<[u8; 16]>(), 0..4)) {
        let mut e = e;
        e.time_ns = Some(t);
        let r = phi_audit::Record { seq, time_ns: t, clock: phi_audit::event::ClockQuality::Monotonic, event: e, tokens, sealed: None };
        let b = r.encode();
        prop_assert_eq!(phi_audit::Record::decode(&b), Ok(r));
        // Any strict prefix fails; one extra byte fails.
        prop_assert!(phi_audit::Record::decode(&b[..b.len() - 1]).is_err());
        let mut longer = b.clone();
        longer.push(0);
        prop_assert!(phi_audit::Record::decode(&longer).is_err());
    }

    #[test]
    fn record_decoding_never_panics(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = phi_audit::Record::decode(&b);
    }

    #[test]
    fn event_json_round_trips(e in arb_event()) {
        let j = serde_json::to_string(&e).expect("json");
        prop_assert_eq!(serde_json::from_str::<Event>(&j).expect("parse"), e);
    }
}

#[test]
fn every_checkpoint_is_provably_consistent_with_the_previous_one() {
    let (s, t) = new_log();
    let mut log = Log::open(s.clone(), config(&t)).expect("open");
    let mut notes = Vec::new();
    for n in 1..=6u64 {
        log.append_batch((0..n).map(event).collect())
            .expect("batch");
        notes.push(log.checkpoint().expect("note").to_owned());
        if n == 3 {
            log.rotate()
                .expect("rotate: later notes are signed by the next segment key");
        }
    }
    let root = phi_audit::root_key(s.as_ref()).expect("root");
    let keys = phi_audit::keys::verify_chain(&root.name, &root.public, log.certs()).expect("chain");
    for pair in notes.windows(2) {
        let old = phi_audit::checkpoint::verify_note(&pair[0], &keys).expect("old");
        let new = phi_audit::checkpoint::verify_note(&pair[1], &keys).expect("new");
        let proof = log
            .tree()
            .consistency_proof(old.size, new.size)
            .expect("proof");
        phi_audit::proof::verify_checkpoints_consistent(&pair[0], &pair[1], &proof, &keys)
            .expect("consistent");
        // Swapped, the same proof fails.
        assert!(
            phi_audit::proof::verify_checkpoints_consistent(&pair[1], &pair[0], &proof, &keys)
                .is_err()
        );
    }
    // A forked history (same size, other events) is not consistent with the real one.
    let fork = {
        let mut t2 = phi_audit::merkle::Tree::new();
        for i in 0..21u64 {
            t2.push(phi_audit::merkle::leaf_hash(&i.to_be_bytes()));
        }
        t2
    };
    let last =
        phi_audit::checkpoint::verify_note(notes.last().expect("last"), &keys).expect("last");
    let proof = fork.consistency_proof(6, last.size).expect("fork proof");
    let first6 = log.tree().root_at(6).expect("root at 6");
    assert!(
        phi_audit::merkle::verify_consistency(6, last.size, &first6, &last.root, &proof).is_err()
    );
}

#[test]
fn sensitive_fields_never_reach_debug_output() {
    let (s, t) = new_log();
    let mut log = Log::open(s.clone(), config(&t)).expect("open");
    let e = Event::example();
    let shown = format!("{e:?} {:?} {log:?}", e.sensitive);
    for secret in [
        "+15550199",
        "MRN-000123",
        "Cardiology Dept",
        "referral letter",
    ] {
        assert!(!shown.contains(secret), "{secret} in Debug output");
    }
    log.append(e).expect("append");
    let sc = scan(&s, true).expect("verifies");
    let shown = format!("{:?}", sc.records[0]);
    assert!(!shown.contains("15550199") && !shown.contains("MRN-000123"));
}

proptest! {
    #[test]
    fn check_accepts_exactly_what_decode_accepts(e in arb_event(), cut in any::<usize>(), flip in any::<(usize, u8)>()) {
        let r = phi_audit::Record { seq: 7, time_ns: 1, clock: phi_audit::event::ClockQuality::Monotonic, event: { let mut e = e; e.time_ns = Some(1); e }, tokens: vec![[1; 16]], sealed: Some(phi_audit::event::SealedBlob { nonce: [2; 12], ciphertext: vec![3; 40] }) };
        let b = r.encode();
        prop_assert_eq!(phi_audit::Record::check(&b), Ok(7));
        let short = &b[..cut % b.len()];
        prop_assert_eq!(phi_audit::Record::check(short).is_ok(), phi_audit::Record::decode(short).is_ok());
        let mut m = b.clone();
        let i = flip.0 % m.len();
        m[i] ^= flip.1;
        prop_assert_eq!(phi_audit::Record::check(&m).is_ok(), phi_audit::Record::decode(&m).is_ok());
    }
}

#[test]
fn the_writer_keeps_leaf_hashes_in_a_file_and_rebuilds_it_at_open() {
    let (s, t) = new_log();
    let mut log = Log::open(s.clone(), config(&t)).expect("open");
    for b in 0..10u64 {
        log.append_batch((b * 100..b * 100 + 100).map(event).collect())
            .expect("batch");
    }
    // 1000 events: the complete tiles' leaf hashes in the file, the rest in memory.
    let file = s
        .read(phi_audit::LEAVES)
        .expect("read")
        .expect("leaves file");
    let tile = phi_audit::merkle::TILE;
    assert_eq!(file.len() as u64, 1000 / tile * tile * 32);
    let sc = scan(&s, false).expect("verifies");
    for (idx, size) in [
        (0u64, 1000u64),
        (255, 256),
        (256, 1000),
        (700, 769),
        (999, 1000),
    ] {
        assert_eq!(
            log.tree().inclusion_proof(idx, size).expect("writer proof"),
            sc.tree.inclusion_proof(idx, size).expect("scan proof"),
            "proof of {idx} in {size}"
        );
    }
    assert_eq!(
        log.tree().consistency_proof(300, 1000),
        sc.tree.consistency_proof(300, 1000)
    );
    assert!(log.tree().memory_bytes() < 64 * 1024);
    log.close().expect("close");
    // A damaged leaf file is derived data: the next open rewrites it from the segments.
    s.put(phi_audit::LEAVES, vec![0xff; 5000]);
    let log = Log::open(s.clone(), config(&t)).expect("reopen");
    assert_eq!(
        s.read(phi_audit::LEAVES).expect("read").expect("file"),
        file
    );
    assert_eq!(
        log.tree().inclusion_proof(100, 1000).expect("proof"),
        sc.tree.inclusion_proof(100, 1000).expect("proof")
    );
}

#[test]
fn a_failed_leaf_file_append_poisons_before_anything_is_written() {
    let (s, t) = new_log();
    let mut log = Log::open(s.clone(), config(&t)).expect("open");
    let tile = phi_audit::merkle::TILE;
    log.append_batch((0..tile - 1).map(event).collect())
        .expect("one short of a tile");
    let segments_before: Vec<_> = s.list("segments").expect("list");
    let seg = format!("segments/{}", segments_before.last().expect("segment"));
    let len_before = s.read(&seg).expect("read").expect("segment").len();
    // The next event completes a tile: its leaf hashes are appended to leaves.hash before
    // the batch's frames are written, and that append fails.
    let mut f = Faults::default();
    f.fail_append_after = Some(0);
    s.set_faults(f);
    assert!(matches!(log.append(event(tile)), Err(LogError::Io { .. })));
    assert!(matches!(log.append(event(tile)), Err(LogError::Poisoned)));
    assert_eq!(
        s.read(&seg).expect("read").expect("segment").len(),
        len_before,
        "nothing of the failed batch reached the segment"
    );
    drop(log);
    s.set_faults(Faults::default());
    let log = Log::open(s.clone(), config(&t)).expect("reopens");
    assert_eq!(log.recovery().size, tile - 1);
    assert_eq!(
        log.size(),
        tile - 1,
        "nothing was cut, so no recovery event"
    );
    log.close().expect("close");
    assert_eq!(scan(&s, false).expect("verifies").tree.size(), tile - 1);
}

#[test]
fn submitted_events_commit_in_order_in_batches() {
    let (s, t) = new_log();
    let log = Log::open(s.clone(), config(&t)).expect("open");
    let w = phi_audit::writer::Writer::spawn(log, 300, std::time::Duration::ZERO);
    let pending: Vec<_> = (0..1000)
        .map(|i| w.submit(event(i)).expect("submit"))
        .collect();
    let seqs: Vec<u64> = pending
        .into_iter()
        .map(|p| p.wait().expect("durable"))
        .collect();
    // One producer: the channel keeps its order, so seqs follow submission.
    assert_eq!(seqs, (0..1000).collect::<Vec<_>>());
    // At most 300 per batch, so at least four commits.
    let batches = w.batches();
    assert!((4..=1000).contains(&batches), "{batches} batches");
    w.close().expect("close");
    let sc = scan(&s, false).expect("verifies");
    assert_eq!(sc.tree.size(), 1000);
}
