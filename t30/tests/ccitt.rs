//! The eight CCITT test documents (`../shared/corpus/ccitt`, skipped with a note when absent)
//! go through a fax unchanged: ECM over a lossy line, and non-ECM on a clean one.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Pair, Rng, SharedSink};
use std::path::Path;
use t30::{Completion, Config, MemorySource, Page, Resolution};

fn ccitt_pages() -> Option<Vec<Page>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/ccitt");
    if !dir.is_dir() {
        eprintln!("note: ../shared/corpus/ccitt not found; CCITT page tests skipped");
        return None;
    }
    let mut pages = Vec::new();
    for i in 1..=8 {
        let data = std::fs::read(dir.join(format!("itu{i}.pbm"))).unwrap();
        let image = t4_codec::container::read_pbm(&data, 64 << 20)
            .unwrap()
            .remove(0);
        assert_eq!((image.columns, image.rows), (1728, 2376));
        pages.push(Page {
            columns: image.columns,
            rows: image.rows,
            // 200 dpi scans: R8 x 7.7 lines/mm.
            resolution: Resolution::Fine,
            data: image.data,
        });
    }
    Some(pages)
}

fn send(pages: &[Page], ecm: bool, mr: bool, loss: f64) -> (Pair, SharedSink) {
    let sink = SharedSink::default();
    let mut tx = Config::sender(true, Box::new(MemorySource::new(pages.to_vec())));
    tx.ecm = ecm;
    tx.capabilities.mr = mr;
    let rx = Config::receiver(false, Box::new(sink.clone()));
    let mut pair = Pair::new(tx, rx);
    pair.rng = Rng::new(7);
    pair.loss = loss;
    pair.drive();
    (pair, sink)
}

#[test]
fn ccitt_documents_survive_ecm_over_a_lossy_line() {
    let Some(pages) = ccitt_pages() else { return };
    let (pair, sink) = send(&pages, true, true, 0.02);
    let a = pair.a.outcome().unwrap();
    assert_eq!((a.completion, a.pages_sent), (Completion::Ok, 8));
    assert!(
        a.ecm_retransmissions > 0,
        "the lossy line cost no retransmission"
    );
    let got = sink.pages.lock().unwrap();
    for (i, (s, r)) in pages.iter().zip(got.iter()).enumerate() {
        assert_eq!(r.page.data, s.data, "itu{}", i + 1);
    }
    eprintln!(
        "8 CCITT pages, ECM MMR, 2 % loss: {:.0} s simulated, {} frames resent",
        pair.elapsed().as_secs_f64(),
        a.ecm_retransmissions
    );
}

#[test]
fn ccitt_documents_non_ecm_mh_and_mr() {
    let Some(pages) = ccitt_pages() else { return };
    for mr in [false, true] {
        let (pair, sink) = send(&pages[..3], false, mr, 0.0);
        let a = pair.a.outcome().unwrap();
        assert_eq!((a.completion, a.pages_sent), (Completion::Ok, 3));
        let got = sink.pages.lock().unwrap();
        for (s, r) in pages.iter().zip(got.iter()) {
            assert_eq!(r.page.data, s.data);
            assert_eq!(r.bad_rows, 0);
        }
    }
}
