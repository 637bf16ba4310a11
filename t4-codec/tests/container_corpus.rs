//! Every TIFF of `../shared/corpus` reads through `container::read_tiff`, and matches its
//! reference image pel for pel where one exists. Skipped, with a note, when the corpus is
//! absent.
#![cfg(all(feature = "tiff", feature = "png"))]

mod common;
use common::corpus;
use std::path::Path;
use t4_codec::container::{read_pbm_pages, read_png, read_tiff, Page, ReadOptions, ResolutionUnit};
use t4_codec::{encode, FillOrder, Limits};

fn tiff(path: &Path) -> Vec<Page> {
    let data = std::fs::read(path).expect("read tiff");
    read_tiff(&data, &ReadOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pbm(path: &Path) -> Page {
    let data = std::fs::read(path).expect("read pbm");
    read_pbm_pages(&data, &Limits::default())
        .expect("pbm")
        .remove(0)
}

fn png(path: &Path) -> Page {
    let data = std::fs::read(path).expect("read png");
    read_png(&data, &Limits::default()).expect("png")
}

/// Decodes an (LZW or otherwise) bi-level TIFF with the `tiff` crate's own decoder, as 1 =
/// black packed rows (the reference images are min-is-white; the `tiff` crate turns them into
/// min-is-black samples, so they are inverted back).
fn tiff_crate_reference(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).expect("open");
    let mut dec = tiff::decoder::Decoder::new(std::io::BufReader::new(file)).expect("tiff");
    let (w, h) = dec.dimensions().expect("dims");
    let photometric = dec
        .get_tag_u32(tiff::tags::Tag::PhotometricInterpretation)
        .expect("photometric");
    assert_eq!(photometric, 0, "reference is min-is-white");
    let tiff::decoder::DecodingResult::U8(data) = dec.read_image().expect("decode") else {
        panic!("not 8-bit container")
    };
    let mut data: Vec<u8> = data.iter().map(|b| !b).collect();
    let tail = w % 8;
    if tail != 0 {
        for row in data.chunks_mut(w.div_ceil(8) as usize) {
            *row.last_mut().expect("row") &= 0xFF << (8 - tail);
        }
    }
    (w, h, data)
}

fn assert_same(page: &Page, reference: &Page, what: &str) {
    assert_eq!(
        (page.width(), page.rows()),
        (reference.width(), reference.rows()),
        "{what}: size"
    );
    let row_bytes = page.width().div_ceil(8) as usize;
    for y in 0..page.rows() as usize {
        let a = &page.data()[y * row_bytes..(y + 1) * row_bytes];
        let b = &reference.data()[y * row_bytes..(y + 1) * row_bytes];
        assert!(a == b, "{what}: row {y} differs");
    }
}

#[test]
fn every_corpus_tiff_reads() {
    let Some(dir) = corpus() else { return };
    let mut n = 0;
    for sub in ["pillow", "libtiff"] {
        for entry in std::fs::read_dir(dir.join(sub)).expect("dir") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if !(name.ends_with(".tif") || name.ends_with(".tiff")) {
                continue;
            }
            if name == "o-testfax4.tiff" {
                // LZW: not bi-level fax data; read with the `tiff` crate in `testfax4_matches`.
                let data = std::fs::read(&path).expect("read");
                let err = read_tiff(&data, &ReadOptions::default()).expect_err("LZW is not ours");
                assert!(err.to_string().contains("compression 5"), "{err}");
                continue;
            }
            let pages = tiff(&path);
            assert!(!pages.is_empty(), "{name}");
            if name == "testfax4.tiff" {
                // Needs the codec core to keep zero-length runs in the reference line; see
                // `testfax4_matches_lzw_reference`.
                continue;
            }
            for p in &pages {
                assert_eq!(
                    p.data().len(),
                    p.width().div_ceil(8) as usize * p.rows() as usize,
                    "{name}"
                );
                assert_eq!(p.image.bad_rows, 0, "{name}: {:?}", p.info.warnings);
                assert!(p.info.warnings.is_empty(), "{name}: {:?}", p.info.warnings);
            }
            n += 1;
        }
    }
    tiff(&dir.join("pdf-rs-fax/files/fax4.tiff"));
    assert!(n >= 17, "only {n} TIFF files found");
}

/// `hopper_1bit.pbm` is not a rendering of `hopper_g4.tif` (a different dither: libtiff's
/// own decoding of the TIFF differs from it in row 0), so the check is that re-encoding the
/// decoded page reproduces the file's G4 strip (written by libtiff) byte for byte.
#[test]
fn hopper_g4_reencodes_to_the_same_strip() {
    let Some(dir) = corpus() else { return };
    let path = dir.join("pillow/hopper_g4.tif");
    let pages = tiff(&path);
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert_eq!(
        (page.width(), page.rows(), page.image.bad_rows),
        (128, 128, 0)
    );
    let r = page.resolution.expect("resolution");
    assert_eq!(r.unit, ResolutionUnit::Centimeter);
    assert!((r.x - 37.79).abs() < 0.01);
    let mut params = page.info.params.clone().expect("coded");
    params.end_of_block = true; // libtiff ends G4 strips with EOFB
    let ours = encode(&params, page.data()).expect("encode");
    let file = std::fs::read(&path).expect("read");
    assert!(file[8..8 + 1968] == ours[..], "strip differs");
}

#[test]
fn hopper_g4_500_matches_png() {
    let Some(dir) = corpus() else { return };
    let pages = tiff(&dir.join("pillow/hopper_g4_500.tif"));
    assert_same(
        &pages[0],
        &png(&dir.join("pillow/hopper_bw_500.png")),
        "hopper_g4_500",
    );
}

#[test]
fn fax4_matches_pbm() {
    let Some(dir) = corpus() else { return };
    let pages = tiff(&dir.join("pdf-rs-fax/files/fax4.tiff"));
    assert_same(
        &pages[0],
        &pbm(&dir.join("pdf-rs-fax/files/fax4.pbm")),
        "fax4",
    );
}

#[test]
fn fill_order_2_matches_png() {
    let Some(dir) = corpus() else { return };
    let pages = tiff(&dir.join("pillow/g4-fillorder-test.tif"));
    assert_eq!(pages[0].info.fill_order, FillOrder::LsbFirst);
    assert_same(
        &pages[0],
        &png(&dir.join("pillow/g4-fillorder-test.png")),
        "g4-fillorder-test",
    );
}

#[test]
fn g3_without_eols_in_strips_matches_reference() {
    let Some(dir) = corpus() else { return };
    let pages = tiff(&dir.join("libtiff/testfax3_bug54_1dnoEOL.tif"));
    assert!(pages[0].info.strips > 1, "multi-strip file");
    let reference = tiff(&dir.join("libtiff/o-testfax3_bug54_1dnoEOL.tiff"));
    assert_same(&pages[0], &reference[0], "testfax3_bug54_1dnoEOL");
}

#[test]
fn g3_bug_513_matches_reference() {
    let Some(dir) = corpus() else { return };
    let pages = tiff(&dir.join("libtiff/testfax3_bug_513.tiff"));
    let reference = tiff(&dir.join("libtiff/o-testfax3_bug_513.tiff"));
    assert_same(&pages[0], &reference[0], "testfax3_bug_513");
}

/// Row 234 of `testfax4.tiff` starts with a degenerate `H(0,0)`; libtiff keeps those two
/// zero-length runs in the reference line, so row 235's first pass code is relative to
/// b1 = b2 = 0. The codec core canonicalises change lists and diverges there.
#[test]
fn testfax4_matches_lzw_reference() {
    let Some(dir) = corpus() else { return };
    let pages = tiff(&dir.join("libtiff/testfax4.tiff"));
    let (w, h, data) = tiff_crate_reference(&dir.join("libtiff/o-testfax4.tiff"));
    let mut reference = Page::default();
    reference.image.columns = w;
    reference.image.rows = h;
    reference.image.data = data;
    assert_same(&pages[0], &reference, "testfax4");
}

#[test]
fn uncompressed_tiff_matches_pbm() {
    let Some(dir) = corpus() else { return };
    let pages = tiff(&dir.join("libtiff/miniswhite-1c-1b.tiff"));
    assert_eq!(pages[0].info.compression, Some(1));
    assert_same(
        &pages[0],
        &pbm(&dir.join("libtiff/miniswhite-1c-1b.pbm")),
        "miniswhite-1c-1b",
    );
}

#[test]
fn multi_page_multi_strip() {
    let Some(dir) = corpus() else { return };
    let pages = tiff(&dir.join("pillow/g4-multi.tiff"));
    assert_eq!(pages.len(), 3);
    for p in &pages {
        assert_eq!((p.width(), p.rows(), p.info.strips), (3307, 4677, 2));
        assert_eq!(p.info.rows_per_strip, Some(2532));
    }
}
