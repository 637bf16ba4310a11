//! Preallocated segments on the real file system: zeros written ahead of the data are a
//! torn tail to verification and recovery, segments left behind by rotation and a closed
//! log end exactly at their last frame, and no acknowledged event is lost.

use phi_audit::scan::{scan_log, Mode};
use phi_audit::storage::FsStorage;
use phi_audit::writer::Writer;
use phi_audit::{Config, Event, Kind, Log, Outcome};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn event(i: u64) -> Event {
    let mut e = Event::new(Kind::PhiRead, Outcome::Success, "prealloc.test");
    e.correlation.request_id = format!("req-{i}");
    e.sensitive.remote_number = Some(format!("+1555{i:07}"));
    e
}

fn segment_sizes(dir: &Path) -> Vec<u64> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join("segments"))
        .expect("segments")
        .flatten()
        .map(|e| (e.file_name(), e.metadata().expect("meta").len()))
        .collect();
    v.sort();
    v.into_iter().map(|(_, l)| l).collect()
}

fn verify(dir: &Path) -> phi_audit::scan::Scanned {
    let s = FsStorage::new(dir);
    let root = phi_audit::root_key(&s).expect("root");
    scan_log(&s, &root, Mode::Verify, false, None).expect("verifies")
}

#[test]
fn zeros_ahead_of_an_unclosed_log_are_cut_on_reopen() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("log");
    let s = Arc::new(FsStorage::new(&dir));
    phi_audit::init(s.as_ref(), "prealloc.example/audit").expect("init");
    let mut log = Log::open(s.clone(), Config::default()).expect("open");
    for i in 0..40 {
        log.append(event(i)).expect("append");
    }
    // Dropped without close, like a crash after the last acknowledgement.
    drop(log);
    let sizes = segment_sizes(&dir);
    assert!(
        *sizes.last().expect("one segment") >= 1 << 20,
        "the segment holds 1 MiB of preallocated zeros: {sizes:?}"
    );
    let sc = verify(&dir);
    assert_eq!(sc.tree.size(), 40);
    let last = sc.segments.last().expect("segment");
    assert!(last.committed_len < last.file_len);

    let log = Log::open(s.clone(), Config::default()).expect("reopen");
    // Every acknowledged event is there; recovery cut the zeros and said so.
    assert_eq!(log.recovery().size, 40);
    assert!(log.recovery().truncated_bytes > 0);
    assert_eq!(log.size(), 41, "a system_recover event follows");
    log.close().expect("close");
    let sc = verify(&dir);
    assert_eq!(sc.tree.size(), 41);
    for seg in &sc.segments {
        assert_eq!(seg.committed_len, seg.file_len, "closed: no zeros left");
    }
}

#[test]
fn rotated_segments_are_trimmed_and_the_writer_keeps_every_event() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("log");
    let s = Arc::new(FsStorage::new(&dir));
    phi_audit::init(s.as_ref(), "prealloc.example/audit").expect("init");
    let mut config = Config::default();
    config.max_segment_bytes = 24 << 10;
    config.preallocate_bytes = 16 << 10;
    let log = Log::open(s.clone(), config).expect("open");
    let w = Arc::new(Writer::spawn(log, 64, Duration::ZERO));
    let handles: Vec<_> = (0..4u64)
        .map(|p| {
            let w = w.clone();
            std::thread::spawn(move || {
                (0..150u64)
                    .map(|i| w.append(event(p * 1000 + i)).expect("append"))
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut seqs: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("join"))
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (0..600).collect::<Vec<_>>());
    // Before close: every segment but the last ends at its last frame.
    let sc = verify(&dir);
    assert!(sc.segments.len() > 3, "rotated: {}", sc.segments.len());
    for seg in &sc.segments[..sc.segments.len() - 1] {
        assert_eq!(seg.committed_len, seg.file_len, "{} trimmed", seg.name);
    }
    Arc::try_unwrap(w)
        .expect("one owner")
        .close()
        .expect("close");
    let sc = verify(&dir);
    assert_eq!(sc.tree.size(), 600);
    assert!(sc.segments.iter().all(|g| g.committed_len == g.file_len));
}
