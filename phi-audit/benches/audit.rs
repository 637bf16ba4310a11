//! phi-audit benchmarks, each against a raw baseline measured in the same run:
//!
//! - durable appends with group commit (256 events per `fdatasync`) vs raw `write` +
//!   `fdatasync` of the same number of records of the same size; and through the
//!   group-commit writer with 100,000 events in flight (batches grow with the load);
//! - commit latency (p50, p99) at an offered 10,000 events/s through the group-commit
//!   writer, vs the raw `fdatasync` of one 4 KiB block;
//! - full verification (re-derive every leaf, root and signature from the files) vs raw
//!   SHA-256 over the same bytes, as events per second of on-CPU time of the verifying
//!   thread (per core: other jobs on a shared machine do not count) and of wall time;
//! - inclusion-proof generation (p50, p99) in a tree of 2^24 leaves whose leaf hashes live
//!   in a file ([`LeafFile`]), with the tree's memory beside it.
//!
//! Results print as `ratio <op> <peer> <x.xx>` lines plus absolute rates for the record.

#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

use criterion::{criterion_group, criterion_main, Criterion};
use phi_audit::merkle::{leaf_hash, node_hash, LeafFile, Tree};
use phi_audit::scan::{scan_log, Mode};
use phi_audit::storage::FsStorage;
use phi_audit::writer::Writer;
use phi_audit::{Config, Event, Kind, Log, Outcome};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn event(i: u64) -> Event {
    let mut e = Event::new(Kind::PhiRead, Outcome::Success, "bench.user");
    e.actor.role = "nurse".into();
    e.correlation.request_id = format!("req-{i}");
    e.objects.push(phi_audit::event::ObjectRef {
        kind: "store_object".into(),
        id: format!("obj-{i:012}"),
        role: "document".into(),
        header_sha256: Some([7; 32]),
    });
    // Sealed fields and tokens as in a real fax event: the stored record is about 300 bytes.
    e.sensitive.remote_number = Some(format!("+1555{:07}", i % 10_000_000));
    e.sensitive.patients = vec![format!("MRN-{:06}", i % 1_000_000)];
    e
}

fn new_log(dir: &std::path::Path) -> Log {
    let s = Arc::new(FsStorage::new(dir));
    phi_audit::init(s.as_ref(), "bench.example/audit").expect("init");
    Log::open(s, Config::default()).expect("open")
}

/// On-CPU time of the calling thread (Linux `schedstat`, nanoseconds), or `None`.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Resident memory of the process (`VmRSS`, bytes), or 0.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

/// True unless `PHI_AUDIT_BENCH` is set and does not name `part` (e.g.
/// `PHI_AUDIT_BENCH=verify,proofs`): runs one part alone on a busy machine.
fn wanted(part: &str) -> bool {
    std::env::var("PHI_AUDIT_BENCH").map_or(true, |v| v.split(',').any(|p| p == part))
}

/// The `per_mille`-th quantile (500 = median, 990 = p99).
fn percentile(v: &mut [Duration], per_mille: usize) -> Duration {
    v.sort_unstable();
    let last = v.len() - 1;
    let i = last * per_mille / 1000;
    v[i.min(last)]
}

fn appends(c: &mut Criterion) {
    if !wanted("appends") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let batch: Vec<Event> = (0..256).map(event).collect();
    // The stored size of one event (sealed fields, tokens, framing), measured on disk in a
    // log without preallocated zeros.
    let rec_len = {
        let dir = tmp.path().join("sizes");
        let s = Arc::new(FsStorage::new(&dir));
        phi_audit::init(s.as_ref(), "bench.example/audit").expect("init");
        let mut config = Config::default();
        config.preallocate_bytes = 0;
        let mut log = Log::open(s, config).expect("open");
        let seg_len = || -> u64 {
            std::fs::read_dir(dir.join("segments"))
                .expect("dir")
                .flatten()
                .map(|e| e.metadata().expect("meta").len())
                .sum()
        };
        let before = seg_len();
        log.append_batch(batch.clone()).expect("append");
        usize::try_from((seg_len() - before) / 256).expect("small")
    };
    let mut log = new_log(&tmp.path().join("log"));
    let raw_path = tmp.path().join("raw");
    let mut raw = std::fs::File::create(&raw_path).expect("raw");
    let rec = vec![0x5au8; rec_len];
    let mut g = c.benchmark_group("append_256");
    g.sample_size(30);
    g.bench_function("phi_audit", |b| {
        b.iter_batched(
            || batch.clone(),
            |events| log.append_batch(events).expect("append"),
            criterion::BatchSize::SmallInput,
        )
    });
    g.bench_function("raw_write_fdatasync", |b| {
        b.iter(|| {
            let mut buf = Vec::with_capacity(rec.len() * 256);
            for _ in 0..256 {
                buf.extend_from_slice(&rec);
            }
            raw.write_all(&buf).expect("w");
            raw.sync_data().expect("sync");
        })
    });
    g.finish();
    // Side-by-side totals for the ratio line (same run, alternating).
    let (mut ours, mut base) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..200 {
        // Building the caller's events is not the log's work: cloned before the clock.
        let events = batch.clone();
        let t = Instant::now();
        log.append_batch(events).expect("append");
        ours += t.elapsed();
        let t = Instant::now();
        let mut buf = Vec::with_capacity(rec.len() * 256);
        for _ in 0..256 {
            buf.extend_from_slice(&rec);
        }
        raw.write_all(&buf).expect("w");
        raw.sync_data().expect("sync");
        base += t.elapsed();
    }
    let rate = 200.0 * 256.0 / ours.as_secs_f64();
    println!("rate append_256 phi_audit {rate:.0} events/s ({rec_len} B per event on disk, checkpoint included)");
    println!(
        "ratio append_256 raw_write_fdatasync {:.2}",
        ours.as_secs_f64() / base.as_secs_f64()
    );

    // Adaptive group commit: one producer submits 100,000 events without waiting, through
    // the writer with batches of up to 4,096 (a batch is whatever queued during the
    // previous commit), then waits for every acknowledgement. Baseline: raw write +
    // fdatasync of the same bytes in the same number of batches, right after.
    let n = 100_000u64;
    let events: Vec<Event> = (0..n).map(event).collect();
    let w = Writer::spawn(new_log(&tmp.path().join("flood")), 4096, Duration::ZERO);
    let t = Instant::now();
    let pending: Vec<_> = events
        .into_iter()
        .map(|e| w.submit(e).expect("submit"))
        .collect();
    for p in pending {
        p.wait().expect("durable");
    }
    let ours = t.elapsed();
    let batches = w.batches().max(1);
    w.close().expect("close");
    let per = usize::try_from(n / batches).unwrap_or(1).max(1);
    let chunk = vec![0x5au8; rec_len * per];
    let t = Instant::now();
    for _ in 0..batches {
        raw.write_all(&chunk).expect("w");
        raw.sync_data().expect("sync");
    }
    let base = t.elapsed();
    println!(
        "rate append_adaptive phi_audit {:.0} events/s ({n} events in {batches} batches, {per} per fdatasync on average)",
        n as f64 / ours.as_secs_f64()
    );
    println!(
        "ratio append_adaptive raw_write_fdatasync {:.2}",
        ours.as_secs_f64() / base.as_secs_f64()
    );
}

fn latency(_c: &mut Criterion) {
    if !wanted("latency") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    // Baselines, measured before and between the rounds (the disk's speed drifts):
    // one 4 KiB write + fdatasync at the end of a growing file, and one 4 KiB overwrite +
    // fdatasync inside a file whose blocks are already written (what preallocation gives
    // the log).
    let mut grow = std::fs::File::create(tmp.path().join("raw")).expect("raw");
    let mut pre = std::fs::File::create(tmp.path().join("raw-pre")).expect("raw");
    pre.write_all(&vec![0u8; 4 << 20]).expect("zeros");
    pre.sync_all().expect("sync");
    let block = vec![1u8; 4096];
    let mut off = 0u64;
    let (mut gb, mut pb) = (Vec::new(), Vec::new());
    let mut sample = |gb: &mut Vec<Duration>, pb: &mut Vec<Duration>| {
        use std::io::{Seek, SeekFrom};
        for _ in 0..60 {
            let t = Instant::now();
            grow.write_all(&block).expect("w");
            grow.sync_data().expect("sync");
            gb.push(t.elapsed());
            pre.seek(SeekFrom::Start(off % (4 << 20))).expect("seek");
            off += 4096;
            let t = Instant::now();
            pre.write_all(&block).expect("w");
            pre.sync_data().expect("sync");
            pb.push(t.elapsed());
        }
    };
    // Four rounds of 0.5 s at 10,000 events/s offered by 10 producers (1,000/s each),
    // each round between baseline samples, so both see the same disk.
    sample(&mut gb, &mut pb);
    let log = new_log(&tmp.path().join("log"));
    let w = Arc::new(Writer::spawn(log, 256, Duration::ZERO));
    let per = 1_000u64;
    let mut all: Vec<Duration> = Vec::with_capacity(20_000);
    for _round in 0..4 {
        let handles: Vec<_> = (0..10u64)
            .map(|p| {
                let w = w.clone();
                std::thread::spawn(move || {
                    let mut lat = Vec::with_capacity(500);
                    let start = Instant::now();
                    for i in 0..per / 2 {
                        let due = start + Duration::from_micros(i * 1_000_000 / per + p * 97);
                        if let Some(d) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(d);
                        }
                        let e = event(i);
                        let t = Instant::now();
                        w.append(e).expect("append");
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        all.extend(handles.into_iter().flat_map(|h| h.join().expect("join")));
        sample(&mut gb, &mut pb);
    }
    let p50 = percentile(&mut all, 500);
    let p99 = percentile(&mut all, 990);
    let (b50, b99) = (percentile(&mut gb, 500), percentile(&mut gb, 990));
    let (c50, c99) = (percentile(&mut pb, 500), percentile(&mut pb, 990));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "latency commit_at_10k_per_s p50 {:.3} ms p99 {:.3} ms ({} events; raw fdatasync of a growing file p50 {:.3} ms p99 {:.3} ms, of a preallocated file p50 {:.3} ms p99 {:.3} ms)",
        ms(p50),
        ms(p99),
        all.len(),
        ms(b50),
        ms(b99),
        ms(c50),
        ms(c99)
    );
    println!(
        "ratio commit_p50 raw_fdatasync_p50 {:.2} (preallocated {:.2})",
        p50.as_secs_f64() / b50.as_secs_f64(),
        p50.as_secs_f64() / c50.as_secs_f64()
    );
    println!(
        "ratio commit_p99 raw_fdatasync_p99 {:.2} (preallocated {:.2})",
        p99.as_secs_f64() / b99.as_secs_f64(),
        p99.as_secs_f64() / c99.as_secs_f64()
    );
}

fn verification(c: &mut Criterion) {
    if !wanted("verify") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("log");
    let n = 200_000u64;
    {
        let mut log = new_log(&dir);
        let mut i = 0;
        while i < n {
            log.append_batch((i..i + 256).map(event).collect())
                .expect("append");
            i += 256;
        }
        log.close().expect("close");
    }
    let storage = FsStorage::new(&dir);
    let root = phi_audit::root_key(&storage).expect("root");
    let bytes: Vec<u8> = std::fs::read_dir(dir.join("segments"))
        .expect("dir")
        .flatten()
        .flat_map(|e| std::fs::read(e.path()).expect("read"))
        .collect();
    let size = scan_log(&storage, &root, Mode::Verify, false, None)
        .expect("verifies")
        .tree
        .size();
    let mut g = c.benchmark_group("verify_200k");
    g.sample_size(10);
    g.bench_function("phi_audit", |b| {
        b.iter(|| scan_log(&storage, &root, Mode::Verify, false, None).expect("ok"))
    });
    g.bench_function("raw_sha256", |b| {
        b.iter(|| ring::digest::digest(&ring::digest::SHA256, &bytes))
    });
    g.finish();
    let reps = 8;
    let (mut ours, mut base) = (Duration::ZERO, Duration::ZERO);
    let (mut ours_cpu, mut base_cpu) = (Duration::ZERO, Duration::ZERO);
    let cpu = || thread_cpu().unwrap_or_default();
    for _ in 0..reps {
        let (t, c) = (Instant::now(), cpu());
        scan_log(&storage, &root, Mode::Verify, false, None).expect("ok");
        ours += t.elapsed();
        ours_cpu += cpu().saturating_sub(c);
        let (t, c) = (Instant::now(), cpu());
        std::hint::black_box(ring::digest::digest(&ring::digest::SHA256, &bytes));
        base += t.elapsed();
        base_cpu += cpu().saturating_sub(c);
    }
    let events = (size * reps) as f64;
    println!(
        "rate verify phi_audit {:.0} events/s per core (on-CPU time), {:.0} events/s wall ({size} events of {} B in {} MB of segments, checkpoint every 256)",
        events / ours_cpu.as_secs_f64().max(1e-9),
        events / ours.as_secs_f64(),
        bytes.len() as u64 / size,
        bytes.len() / 1_000_000
    );
    println!(
        "ratio verify raw_sha256 {:.2} (cpu {:.2})",
        ours.as_secs_f64() / base.as_secs_f64(),
        ours_cpu.as_secs_f64() / base_cpu.as_secs_f64().max(1e-9)
    );
}

fn proofs(_c: &mut Criterion) {
    if !wanted("proofs") {
        return;
    }
    // 2^24 leaf hashes generated directly (no events), their tiles in a file: the tree
    // keeps only the levels from 6 up in memory.
    let n: u64 = 1 << 24;
    let tmp = tempfile::tempdir().expect("tmp");
    let rss0 = rss();
    let t = Instant::now();
    let mut tree = Tree::with_store(LeafFile::create(tmp.path().join("leaves")).expect("file"));
    for i in 0..n {
        tree.try_push(leaf_hash(&i.to_le_bytes())).expect("push");
    }
    let built = t.elapsed();
    let grown = rss().saturating_sub(rss0);
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Each proof is timed three times in a row: `lat` keeps the first (cold) time, `best`
    // the least of the three, which drops the samples where the scheduler ran another
    // job in the middle (the machine is shared; a proof takes tens of microseconds).
    let mut run = |any_size: bool| {
        let mut lat = Vec::with_capacity(20_000);
        let mut best = Vec::with_capacity(20_000);
        for _ in 0..20_000 {
            let r = rnd();
            let size = if any_size { 1 + r % n } else { n };
            let idx = (r >> 20) % size;
            let mut times = [Duration::ZERO; 3];
            for t in &mut times {
                let t0 = Instant::now();
                std::hint::black_box(tree.inclusion_proof(idx, size).expect("proof"));
                *t = t0.elapsed();
            }
            lat.push(times[0]);
            best.push(times.into_iter().min().unwrap_or_default());
        }
        (
            percentile(&mut lat, 500),
            percentile(&mut lat, 990),
            percentile(&mut best, 990),
        )
    };
    let (p50, p99, b99) = run(false);
    let (q50, q99, c99) = run(true);
    // Baseline: hashing the 24 nodes a proof holds once (what a proof would cost if every
    // node had to be hashed; a stored node costs a look-up instead).
    let t = Instant::now();
    for i in 0..20_000u64 {
        let mut h = leaf_hash(&i.to_le_bytes());
        for _ in 0..24 {
            h = node_hash(&h, &h);
        }
        std::hint::black_box(h);
    }
    let base = t.elapsed() / 20_000;
    println!(
        "latency inclusion_proof_2^24 p50 {:.1} us p99 {:.1} us at size 2^24; p50 {:.1} us p99 {:.1} us at random sizes <= 2^24 (leaf file {} MiB, in page cache)",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        q50.as_secs_f64() * 1e6,
        q99.as_secs_f64() * 1e6,
        (n * 32) >> 20
    );
    println!(
        "latency inclusion_proof_2^24 best-of-3 p99 {:.1} us at size 2^24, {:.1} us at random sizes",
        b99.as_secs_f64() * 1e6,
        c99.as_secs_f64() * 1e6
    );
    println!(
        "memory tree_2^24 {:.1} MiB of nodes in memory, RSS grew {:.1} MiB while building (built in {:.1} s)",
        tree.memory_bytes() as f64 / f64::from(1 << 20),
        grown as f64 / f64::from(1 << 20),
        built.as_secs_f64()
    );
    println!(
        "ratio proof_p99 hash_24_nodes {:.2}",
        p99.as_secs_f64() / base.as_secs_f64()
    );
}
criterion_group!(benches, appends, latency, verification, proofs);
criterion_main!(benches);
