//! Acid tests against libtiff, in every coding libtiff writes (MH, MH with fill bits, MR with
//! K = 2 and 4, with and without fill bits, MMR):
//!
//! 1. t4-codec encodes, libtiff decodes: the original pels come back;
//! 2. libtiff encodes, t4-codec decodes (strictly): the original pels come back;
//! 3. our bytes are libtiff's bytes (t4-codec set up like libtiff: `LibtiffScheme::t4_params`).
//!
//! The pages: fixed patterns in widths 1..10,000, random pages (proptest), and the CCITT
//! pages of `../shared/corpus` when present. `libtiff_peer/tools.rs` drives libtiff's own
//! command-line tools, `libtiff_peer/damaged.rs` compares damage handling with `fax2tiff`.

mod common;
#[path = "libtiff_peer/damaged.rs"]
mod damaged;
#[path = "libtiff_peer/tools.rs"]
mod tools;

use common::{check_and_shrink, random_page, Kind, Outcome, Page, WIDTHS};
use faxkit_interop::{decode_strip, LibtiffScheme};
use proptest::prelude::*;
use t4_codec::{container::read_pbm, encode};

/// Patterns that stress the edges of a row and of the code tables.
fn patterns(width: u32) -> Vec<(&'static str, Page)> {
    let rows = 6;
    let last = width - 1;
    vec![
        ("white", Page::white(width, rows)),
        ("black", Page::from_fn(width, rows, |_, _| true)),
        (
            "checkerboard",
            Page::from_fn(width, rows, |x, y| (x + y) % 2 == 1),
        ),
        (
            "checker-8",
            Page::from_fn(width, rows, |x, y| (x / 8 + y) % 2 == 0),
        ),
        ("stripes-3", Page::from_fn(width, rows, |x, _| x % 3 == 0)),
        ("left-pel", Page::from_fn(width, rows, |x, _| x == 0)),
        ("right-pel", Page::from_fn(width, rows, |x, _| x == last)),
        (
            "both-edge-pels",
            Page::from_fn(width, rows, |x, _| x == 0 || x == last),
        ),
        (
            "edges-alternating",
            Page::from_fn(
                width,
                rows,
                |x, y| if y % 2 == 0 { x == 0 } else { x == last },
            ),
        ),
        (
            "white-edges-on-black",
            Page::from_fn(width, rows, |x, y| x != 0 && x != last || y % 3 == 2),
        ),
        (
            "next-to-last-pel",
            Page::from_fn(width, rows, |x, _| x + 2 == width),
        ),
        (
            "rows-alternate",
            Page::from_fn(width, rows, |_, y| y % 2 == 1),
        ),
        (
            "diagonal",
            Page::from_fn(width, rows, |x, y| x == (y * 7) % width),
        ),
        (
            "runs-64",
            Page::from_fn(width, rows, |x, y| (x / (63 + y)) % 2 == 1),
        ),
        (
            "runs-2560",
            Page::from_fn(width, rows, |x, y| (x / (2559 + y)) % 2 == 1),
        ),
        (
            "runs-1728",
            Page::from_fn(width, rows, |x, _| (x / 1728) % 2 == 0),
        ),
        (
            "staircase",
            Page::from_fn(width, rows, |x, y| x >= width * y / rows),
        ),
    ]
}

#[test]
fn fixed_patterns_in_many_widths_match_libtiff_both_ways() {
    let mut failures = Vec::new();
    let mut libtiff_limited = Vec::new();
    let mut checked = 0;
    for &width in WIDTHS {
        for (name, page) in patterns(width) {
            for scheme in LibtiffScheme::ALL {
                checked += 1;
                match check_and_shrink(scheme, &page) {
                    Ok(Outcome::Identical) => {}
                    Ok(Outcome::LibtiffCannotDecodeItsOwn) => {
                        libtiff_limited.push(format!("{name} {} {width}", scheme.name()));
                    }
                    Err(e) => failures.push(format!("{name}: {e}")),
                }
            }
        }
    }
    eprintln!(
        "fixed patterns: {checked} page/scheme pairs, {} failures; {} where libtiff cannot decode its own \
         (and our identical) bytes: {}",
        failures.len(),
        libtiff_limited.len(),
        libtiff_limited.join(", ")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Only the 1-D run-buffer limit of libtiff 4.5 is tolerated, and only where it applies.
    assert!(
        libtiff_limited
            .iter()
            .all(|c| c.starts_with("checkerboard g3:1d")),
        "{libtiff_limited:?}"
    );
}

/// Random pages from a few shapes: any width up to 10,000 (the interesting ones often).
fn page_strategy() -> impl Strategy<Value = (u32, u32, Kind, u64)> {
    let width = prop_oneof![prop::sample::select(WIDTHS.to_vec()), 1u32..=10_000];
    let kind = prop_oneof![
        prop::sample::select(vec![1u32, 20, 200, 500, 800, 980, 999])
            .prop_map(|permille| Kind::Noise { permille }),
        (1u32..3000).prop_map(|mean| Kind::Runs { mean }),
        (2u32..200).prop_map(|mean| Kind::Drift { mean }),
    ];
    (width, 1u32..=16, kind, any::<u64>())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct("tests/libtiff_peer.proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_pages_match_libtiff_both_ways((width, rows, kind, seed) in page_strategy()) {
        let page = random_page(width, rows, kind, seed);
        for scheme in LibtiffScheme::ALL {
            if let Err(e) = check_and_shrink(scheme, &page) {
                prop_assert!(false, "{:?} seed {:#x}: {}", kind, seed, e);
            }
        }
    }
}

#[test]
fn tall_text_like_pages_match_libtiff_both_ways() {
    // Many rows of slowly changing runs: long chains of 2-D rows between 1-D ones.
    for (i, &width) in [1728u32, 2561, 5000].iter().enumerate() {
        let page = random_page(width, 300, Kind::Drift { mean: 40 }, 0x5EED + i as u64);
        for scheme in LibtiffScheme::ALL {
            let outcome = check_and_shrink(scheme, &page).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(outcome, Outcome::Identical);
        }
    }
}

#[test]
fn padding_bits_are_ignored_by_both_encoders() {
    let clean = random_page(13, 5, Kind::Noise { permille: 500 }, 7);
    let mut dirty = clean.clone();
    for y in 0..dirty.rows {
        let i = (y as usize + 1) * dirty.row_bytes() - 1;
        dirty.data[i] |= 0x07; // pels 13..16 do not exist
    }
    for scheme in LibtiffScheme::ALL {
        let ours = encode(&scheme.t4_params(13, 5), &dirty.data).expect("encode");
        let theirs = faxkit_interop::encode_strip(scheme, 13, 5, &dirty.data).expect("libtiff");
        let reference = encode(&scheme.t4_params(13, 5), &clean.data).expect("encode");
        assert_eq!(ours, reference, "{}", scheme.name());
        assert_eq!(theirs, reference, "{}", scheme.name());
    }
}

#[test]
fn libtiff_reads_our_end_of_block_markers() {
    // With RTC after MH/MR rows (not what TIFF Class F writes, but T.4 as sent by fax
    // machines), and MMR without EOFB, libtiff still decodes the rows it was told about.
    let page = random_page(1729, 20, Kind::Drift { mean: 30 }, 99);
    for scheme in LibtiffScheme::ALL {
        let mut params = scheme.t4_params(page.width, page.rows);
        params.end_of_block = !params.end_of_block;
        let ours = encode(&params, &page.data).expect("encode");
        let pels = decode_strip(scheme, page.width, page.rows, &ours)
            .unwrap_or_else(|e| panic!("{}: {e}", scheme.name()));
        assert!(pels == page.data, "{}", scheme.name());
    }
}

#[test]
fn corpus_pages_match_libtiff_both_ways() {
    let Some(dir) = faxkit_interop::shared_corpus() else {
        return;
    };
    let names = (1..=8)
        .map(|n| format!("itu{n}"))
        .chain((1..=4).map(|n| format!("test{n}")));
    let mut checked = 0;
    for name in names {
        let Ok(pbm) = std::fs::read(dir.join(format!("ccitt/{name}.pbm"))) else {
            continue;
        };
        let img = read_pbm(&pbm, 1 << 26).expect("pbm").remove(0);
        let page = Page {
            width: img.columns,
            rows: img.rows,
            data: img.data,
        };
        for scheme in LibtiffScheme::ALL {
            let outcome = common::check(scheme, &page).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(outcome, Outcome::Identical, "{name}");
            checked += 1;
        }
    }
    eprintln!("corpus: {checked} page/scheme pairs identical to libtiff both ways");
}
