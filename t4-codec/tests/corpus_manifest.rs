//! Every coded image in `../shared/corpus` decodes exactly to its reference: the bitmap hashes
//! in `tests/data/corpus.manifest` come from the images shipped with each file or, where there
//! are none, from libtiff's tools (see `scripts/corpus-manifest.py`), never from this crate.
//! Skipped, with a note, when the corpus is absent.

#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)]

mod common;
use common::corpus;
use t4_codec::{decode_image, Coding, DecodeOptions, Image, Params};

struct Entry {
    path: String,
    spec: String,
    page: usize,
    columns: u32,
    rows: u32,
    hash: u64,
}

fn manifest() -> Vec<Entry> {
    let text = include_str!("data/corpus.manifest");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (c, r) = f[3].split_once('x').expect("COLUMNSxROWS");
            Entry {
                path: f[0].to_string(),
                spec: f[1].to_string(),
                page: f[2].parse().expect("page"),
                columns: c.parse().expect("columns"),
                rows: r.parse().expect("rows"),
                hash: u64::from_str_radix(f[4], 16).expect("hash"),
            }
        })
        .collect()
}

fn fnv1a64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// Decodes a `raw:K[:eol][:rows=N]` entry.
fn decode_raw(data: &[u8], spec: &str, columns: u32) -> Image {
    let mut parts = spec.split(':').skip(1);
    let k: i32 = parts.next().expect("K").parse().expect("K");
    let mut params = Params::new(Coding::from_pdf_k(k), columns);
    params.black_is_1 = true;
    for part in parts {
        match part.split_once('=') {
            None if part == "eol" => params.end_of_line = true,
            Some(("rows", n)) => params.rows = n.parse().expect("rows"),
            _ => panic!("unknown spec part {part}"),
        }
    }
    decode_image(data, &params, DecodeOptions::default()).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

fn check(entry: &Entry, image: &Image) -> Result<(), String> {
    let got = (image.columns, image.rows, fnv1a64(&image.data));
    let want = (entry.columns, entry.rows, entry.hash);
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{} page {}: got {got:x?}, want {want:x?}",
            entry.path, entry.page
        ))
    }
}

#[test]
fn raw_streams_match_the_manifest() {
    let Some(dir) = corpus() else { return };
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in manifest().iter().filter(|e| e.spec.starts_with("raw:")) {
        let data = std::fs::read(dir.join(&entry.path)).expect("read");
        if let Err(e) = check(entry, &decode_raw(&data, &entry.spec, entry.columns)) {
            failures.push(e);
        }
        checked += 1;
    }
    assert!(checked >= 90, "only {checked} raw entries");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every TIFF in the corpus, every page: multi-page, multi-strip, both fill orders, G3 with
/// and without EOLs, G4.
#[cfg(feature = "tiff")]
#[test]
fn tiff_files_match_the_manifest() {
    use t4_codec::container::{read_tiff, ReadOptions};
    let Some(dir) = corpus() else { return };
    let entries = manifest();
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in entries.iter().filter(|e| e.spec == "tiff") {
        let data = std::fs::read(dir.join(&entry.path)).expect("read");
        let pages = read_tiff(&data, &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", entry.path));
        let page = &pages[entry.page - 1];
        assert_eq!(page.info.warnings, Vec::<String>::new(), "{}", entry.path);
        if let Err(e) = check(entry, &page.image) {
            failures.push(e);
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} TIFF pages");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
