//! Wall time of whole faxes between two sessions in simulated time (both ends, T.4 coding
//! and decoding, and the line emulation of the test harness).
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::{text_page, Pair, SharedSink};
use criterion::{criterion_group, criterion_main, Criterion};
use t30::{Completion, Config, MemorySource, Page, Resolution};

fn fax(pages: &[Page], ecm: bool) {
    let sink = SharedSink::default();
    let mut tx = Config::sender(true, Box::new(MemorySource::new(pages.to_vec())));
    tx.ecm = ecm;
    let rx = Config::receiver(false, Box::new(sink.clone()));
    let mut pair = Pair::new(tx, rx);
    pair.drive();
    assert_eq!(pair.a.outcome().map(|o| o.completion), Some(Completion::Ok));
}

fn bench(c: &mut Criterion) {
    let pages: Vec<Page> = (0..30)
        .map(|i| text_page(i + 1, 1728, 2200, Resolution::Fine))
        .collect();
    let mut g = c.benchmark_group("fax");
    g.sample_size(10);
    g.bench_function("30 pages ECM MMR", |b| b.iter(|| fax(&pages, true)));
    g.bench_function("30 pages non-ECM MR", |b| b.iter(|| fax(&pages, false)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
