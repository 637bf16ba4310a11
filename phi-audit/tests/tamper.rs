//! Tamper tests: flipping, inserting, deleting or reordering bytes, records and segments,
//! forging records with valid CRCs, and rolling back to older copies are each detected by
//! the verifier, which names the first bad seq.

use phi_audit::scan::{scan_log, Failure, Mode};
use phi_audit::segment::{self, TAG_EVENT};
use phi_audit::storage::{FaultyStorage, Storage};
use phi_audit::{Config, Event, Log, Record};
use std::sync::Arc;

const SEG0: &str = "segments/0000000000-00000000000000000000.seg";
const SEG1: &str = "segments/0000000001-00000000000000000006.seg";

fn event(i: u64) -> Event {
    let mut e = Event::example();
    e.actor.principal = format!("user-{i}");
    e
}

struct Fixture {
    s: Arc<FaultyStorage>,
    /// Whole-directory copy after the first open (6 events).
    old_dir: Vec<(String, Vec<u8>)>,
    /// SEG1 after its first batch.
    old_seg1: Vec<u8>,
}

fn files(s: &FaultyStorage) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["segments", "keys", "keys/seal"] {
        for n in s.list(dir).expect("list") {
            let name = format!("{dir}/{n}");
            if let Some(b) = s.read(&name).expect("read") {
                out.push((name, b));
            }
        }
    }
    if let Some(b) = s.read("checkpoints.log").expect("read") {
        out.push(("checkpoints.log".into(), b));
    }
    out
}

/// Two segments: batches [0] [1] [2 3 4] [5] | [6] [7 8].
fn fixture() -> Fixture {
    let s = Arc::new(FaultyStorage::new());
    phi_audit::init(s.as_ref(), "test.example/audit").expect("init");
    let mut log = Log::open(s.clone(), Config::default()).expect("open");
    log.append(event(0)).expect("a");
    log.append(event(1)).expect("a");
    log.append_batch(vec![event(2), event(3), event(4)])
        .expect("a");
    log.append(event(5)).expect("a");
    log.close().expect("close");
    let old_dir = files(&s);
    let mut log = Log::open(s.clone(), Config::default()).expect("open");
    log.append(event(6)).expect("a");
    let old_seg1 = s.read(SEG1).expect("read").expect("seg1");
    log.append_batch(vec![event(7), event(8)]).expect("a");
    log.close().expect("close");
    verify(&s, None).expect("the fixture verifies");
    Fixture {
        s,
        old_dir,
        old_seg1,
    }
}

fn verify(s: &FaultyStorage, anchor: Option<&str>) -> Result<u64, Failure> {
    let root = phi_audit::root_key(s).expect("root");
    scan_log(s, &root, Mode::Verify, false, anchor).map(|sc| sc.tree.size())
}

fn bad_seq(s: &FaultyStorage) -> u64 {
    match verify(s, None) {
        Ok(n) => panic!("tampering not detected (verified {n} events)"),
        Err(f) => f.seq,
    }
}

/// For each byte of a segment, the seq a damage there must be reported at: the header at
/// the segment's first seq, an event frame at its seq, a checkpoint frame at the number of
/// events before it.
fn expected_seqs(data: &[u8], first: u64) -> Vec<u64> {
    let (frames, _) = segment::scan(data);
    let mut out = vec![0; data.len()];
    let mut events = first;
    for (i, f) in frames.iter().enumerate() {
        let seq = if i == 0 {
            first
        } else if f.payload[0] == TAG_EVENT {
            let r = Record::decode(&f.payload[1..]).expect("record");
            events += 1;
            r.seq
        } else {
            events
        };
        out[f.offset..f.end].iter_mut().for_each(|x| *x = seq);
    }
    out
}

#[test]
fn every_flipped_byte_in_a_segment_is_detected_at_its_seq() {
    let fx = fixture();
    for (name, first) in [(SEG0, 0u64), (SEG1, 6)] {
        let orig = fx.s.read(name).expect("read").expect("seg");
        let want = expected_seqs(&orig, first);
        // Every byte of segment 1; every byte near frame edges and every 5th byte of
        // segment 0 (the same code paths, a third of the run time).
        for pos in 0..orig.len() {
            let near_edge = want
                .get(pos.wrapping_sub(9))
                .is_some_and(|w| *w != want[pos])
                || want.get(pos + 9).is_some_and(|w| *w != want[pos]);
            if name == SEG0 && pos % 5 != 0 && !near_edge {
                continue;
            }
            for bit in [0x01u8, 0x80] {
                let mut b = orig.clone();
                b[pos] ^= bit;
                fx.s.put(name, b);
                assert_eq!(bad_seq(&fx.s), want[pos], "{name} byte {pos} bit {bit:#x}");
            }
        }
        fx.s.put(name, orig);
    }
    verify(&fx.s, None).expect("restored");
}

#[test]
fn flipped_bytes_in_the_anchored_checkpoints_are_detected() {
    let fx = fixture();
    let orig = fx.s.read("checkpoints.log").expect("read").expect("cps");
    let (frames, _) = segment::scan(&orig);
    assert_eq!(frames.len(), 2, "anchors at 6 and 9");
    for pos in 0..orig.len() {
        let mut b = orig.clone();
        b[pos] ^= 0x04;
        fx.s.put("checkpoints.log", b);
        let want = if pos < frames[0].end { 0 } else { 6 };
        assert_eq!(bad_seq(&fx.s), want, "checkpoints.log byte {pos}");
    }
}

fn frames_of(data: &[u8]) -> Vec<Vec<u8>> {
    segment::scan(data)
        .0
        .iter()
        .map(|f| data[f.offset..f.end].to_vec())
        .collect()
}

#[test]
fn deleted_inserted_and_reordered_records_are_detected() {
    let fx = fixture();
    let orig = fx.s.read(SEG0).expect("read").expect("seg0");
    let frames = frames_of(&orig);
    // Layout: header, e0, cp, e1, cp, e2, e3, e4, cp, e5, cp.
    let join = |f: &[Vec<u8>]| f.concat();

    let mut del = frames.clone();
    del.remove(6); // e3
    fx.s.put(SEG0, join(&del));
    assert_eq!(bad_seq(&fx.s), 3, "deleted record");

    let mut ins = frames.clone();
    ins.insert(6, frames[5].clone()); // e2 again before e3
    fx.s.put(SEG0, join(&ins));
    assert_eq!(bad_seq(&fx.s), 3, "inserted record");

    let mut swp = frames.clone();
    swp.swap(5, 6); // e3 before e2
    fx.s.put(SEG0, join(&swp));
    assert_eq!(bad_seq(&fx.s), 2, "reordered records");

    let mut cps = frames.clone();
    cps.swap(2, 4); // two checkpoints exchanged
    fx.s.put(SEG0, join(&cps));
    assert_eq!(bad_seq(&fx.s), 0, "reordered checkpoints");

    // A whole batch (e1 and its checkpoint) removed.
    let mut gone = frames.clone();
    gone.drain(3..5);
    fx.s.put(SEG0, join(&gone));
    assert_eq!(bad_seq(&fx.s), 1, "deleted batch");

    fx.s.put(SEG0, orig);
    verify(&fx.s, None).expect("restored");
}

#[test]
fn forged_records_with_valid_crcs_are_detected_by_the_signed_roots() {
    let fx = fixture();
    let orig = fx.s.read(SEG0).expect("read").expect("seg0");
    let mut frames = frames_of(&orig);
    for (idx, seq) in [(1usize, 0u64), (6, 2)] {
        // Change who did it, keep the framing valid.
        let (_, payload) = frames[idx].split_at(8);
        let mut r = Record::decode(&payload[1..]).expect("record");
        assert_eq!(r.seq, if idx == 1 { 0 } else { 3 });
        r.event.actor.principal = "someone-else".into();
        let mut p = vec![TAG_EVENT];
        p.extend_from_slice(&r.encode());
        let mut f = Vec::new();
        segment::frame(&p, &mut f);
        let saved = std::mem::replace(&mut frames[idx], f);
        fx.s.put(SEG0, frames.concat());
        // Reported at the first seq of the batch whose signed root no longer matches.
        assert_eq!(bad_seq(&fx.s), seq, "forged frame {idx}");
        frames[idx] = saved;
    }
}

#[test]
fn deleted_reordered_and_rolled_back_segments_are_detected() {
    let fx = fixture();
    let seg0 = fx.s.read(SEG0).expect("read").expect("seg0");
    let seg1 = fx.s.read(SEG1).expect("read").expect("seg1");

    fx.s.remove(SEG1).expect("rm");
    assert_eq!(bad_seq(&fx.s), 6, "last segment deleted");
    fx.s.put(SEG1, seg1.clone());

    fx.s.remove(SEG0).expect("rm");
    assert_eq!(bad_seq(&fx.s), 0, "first segment deleted");
    fx.s.put(SEG0, seg0.clone());

    fx.s.put(SEG0, seg1.clone());
    fx.s.put(SEG1, seg0.clone());
    assert_eq!(bad_seq(&fx.s), 0, "segments swapped");
    fx.s.put(SEG0, seg0.clone());
    fx.s.put(SEG1, seg1.clone());

    // One segment rolled back to an older copy.
    fx.s.put(SEG1, fx.old_seg1.clone());
    assert_eq!(bad_seq(&fx.s), 7, "segment rolled back");
    fx.s.put(SEG1, seg1.clone());

    // The whole directory rolled back is self-consistent: only a checkpoint seen earlier
    // (an anchor from syslog, a previous verify) shows it.
    let new_note = {
        let root = phi_audit::root_key(fx.s.as_ref()).expect("root");
        scan_log(fx.s.as_ref(), &root, Mode::Verify, false, None)
            .expect("ok")
            .last_note
            .expect("note")
    };
    let now = files(&fx.s);
    for (n, _) in &now {
        fx.s.remove(n).expect("rm");
    }
    for (n, b) in &fx.old_dir {
        fx.s.put(n, b.clone());
    }
    assert_eq!(verify(&fx.s, None), Ok(6));
    match verify(&fx.s, Some(&new_note)) {
        Err(f) => assert_eq!((f.seq, f.missing), (6, true)),
        Ok(_) => panic!("rollback not detected with the anchor"),
    }
}

#[test]
fn a_substituted_segment_key_is_detected() {
    let fx = fixture();
    let orig = fx.s.read(SEG1).expect("read").expect("seg1");
    let mut frames = frames_of(&orig);
    let mut h = segment::Header::decode(&frames[0][8..]).expect("header");
    h.cert.public[0] ^= 1;
    let mut f = Vec::new();
    segment::frame(&h.encode(), &mut f);
    frames[0] = f;
    fx.s.put(SEG1, frames.concat());
    assert_eq!(bad_seq(&fx.s), 6);
}
