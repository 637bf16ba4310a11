//! Cover page and delivery receipt costs, each beside a baseline measured in the same run:
//!
//! - rendering a fine cover page vs MMR-encoding that same page (t4-codec);
//! - issuing a receipt (append + anchor + read the record back + proof) vs a plain durable
//!   append of the same event, on a log whose current segment already holds 20,000 events
//!   (the read-back reads that segment);
//! - verifying a receipt vs verifying its bare inclusion proof (`Proof::verify`).
//!
//! Results print as `ratio <op> <baseline> <x.xx>` lines (time of op / time of baseline,
//! interleaved so machine noise hits both alike), then criterion's absolute times.

#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

use criterion::{criterion_group, criterion_main, Criterion};
use faxkit_examples::cover::{render, CoverSheet};
use faxkit_examples::receipt::{issue, verify, Delivery};
use phi_audit::storage::FsStorage;
use phi_audit::{Config, Event, Log};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use t30::Resolution;
use t4_codec::{encode, Coding, Params};

fn sheet() -> CoverSheet {
    CoverSheet {
        to: "Cardiology Dept, St. Elsewhere Hospital".into(),
        from: "Dr. Jones, Clinic A".into(),
        patient_reference: "MRN-000123".into(),
        subject: "Referral letter and lab results; please review before the consult".into(),
        pages: 3,
        callback: "+1 555 0100".into(),
        date: "2026-11-23".into(),
        ..CoverSheet::default()
    }
}

fn delivery(i: u32) -> Delivery {
    Delivery {
        job: format!("job-{i:06}"),
        remote_number: "+15550199".into(),
        local_number: "+15550100".into(),
        pages: 4,
        t30_result: "Ok".into(),
        delivered: true,
        document_sha256: "ab".repeat(32),
        call_id: format!("call-{i}"),
        attempt: 1,
    }
}

/// Runs `a` and `b` alternately `n` times; total time of each.
fn interleave(n: u32, mut a: impl FnMut(), mut b: impl FnMut()) -> (Duration, Duration) {
    let (mut ta, mut tb) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..n {
        let t = Instant::now();
        a();
        ta += t.elapsed();
        let t = Instant::now();
        b();
        tb += t.elapsed();
    }
    (ta, tb)
}

fn ratio(op: &str, base: &str, (a, b): (Duration, Duration), n: u32) {
    println!(
        "ratio {op} {base} {:.2}   ({:.1} us vs {:.1} us each)",
        a.as_secs_f64() / b.as_secs_f64().max(1e-12),
        a.as_secs_f64() * 1e6 / f64::from(n),
        b.as_secs_f64() * 1e6 / f64::from(n)
    );
}

fn new_log(dir: &std::path::Path, prefill: u32) -> (Log, phi_audit::checkpoint::VerifierKey) {
    let s = Arc::new(FsStorage::new(dir));
    phi_audit::init(s.as_ref(), "bench.example/audit").expect("init");
    let root = phi_audit::root_key(s.as_ref()).expect("root");
    let mut log = Log::open(s, Config::default()).expect("open");
    let batch: Vec<Event> = (0..prefill).map(|_| Event::example()).collect();
    for chunk in batch.chunks(256) {
        log.append_batch(chunk.to_vec()).expect("prefill");
    }
    (log, root)
}

fn benches(c: &mut Criterion) {
    // Cover page.
    let s = sheet();
    let page = render(&s, Resolution::Fine).expect("render");
    let mut params = Params::new(Coding::Mmr, page.columns);
    params.black_is_1 = true;
    let n = 50;
    let t = interleave(
        n,
        || {
            black_box(render(black_box(&s), Resolution::Fine).expect("render"));
        },
        || {
            black_box(encode(&params, black_box(&page.data)).expect("encode"));
        },
    );
    ratio("cover_render_fine", "mmr_encode_same_page", t, n);

    // Receipts.
    let tmp = tempfile::tempdir().expect("tmp");
    let (log, root) = new_log(&tmp.path().join("log"), 20_000);
    let log = std::cell::RefCell::new(log);
    let mut i = 0;
    let n = 40;
    let t = interleave(
        n,
        || {
            i += 1;
            black_box(issue(&mut log.borrow_mut(), &delivery(i)).expect("issue"));
        },
        || {
            let mut e = Event::example();
            e.kind = phi_audit::Kind::DeliveryStatus;
            black_box(log.borrow_mut().append(e).expect("append"));
        },
    );
    let mut log = log.into_inner();
    ratio("receipt_issue", "durable_append", t, n);
    let r = issue(&mut log, &delivery(0)).expect("issue");
    let n = 2000;
    let t = interleave(
        n,
        || verify(black_box(&r), &root).expect("verify"),
        || {
            black_box(r.proof.verify(&root).expect("proof"));
        },
    );
    ratio("receipt_verify", "proof_verify", t, n);

    let mut g = c.benchmark_group("parts");
    g.sample_size(20);
    g.bench_function("cover_render_fine", |b| {
        b.iter(|| render(black_box(&s), Resolution::Fine))
    });
    g.bench_function("cover_render_standard", |b| {
        b.iter(|| render(black_box(&s), Resolution::Standard))
    });
    g.bench_function("receipt_verify", |b| {
        b.iter(|| verify(black_box(&r), &root))
    });
    g.finish();
}

criterion_group!(parts, benches);
criterion_main!(parts);
