//! Golden tests against `../shared/corpus` (skipped, with a note, when it is absent).

#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)]

mod common;
use common::corpus;
use t4_codec::container::read_pbm;
use t4_codec::{decode_image, encode, Coding, DecodeOptions, Params};

/// The golden libtiff encodings: (suffix, coding, fill).
const GOLDEN: &[(&str, Coding, bool)] = &[
    ("g3-1d", Coding::Mh, false),
    ("g3-1d-fill", Coding::Mh, true),
    ("g3-2d", Coding::Mr { k: 4 }, false),
    ("g3-2d-fill", Coding::Mr { k: 4 }, true),
    ("g3-2d-k2", Coding::Mr { k: 2 }, false),
    ("g4", Coding::Mmr, false),
];

fn libtiff_like(coding: Coding, fill: bool) -> Params {
    let mut p = Params::new(coding, 1728);
    p.black_is_1 = true;
    p.end_of_line = coding != Coding::Mmr;
    p.end_of_block = coding == Coding::Mmr;
    p.eol_fill = fill;
    p
}

#[test]
fn ccitt_pages_decode_and_encode_like_libtiff() {
    let Some(dir) = corpus() else { return };
    for n in 1..=8 {
        let pbm = std::fs::read(dir.join(format!("ccitt/itu{n}.pbm"))).expect("read pbm");
        let page = read_pbm(&pbm, 1 << 24).expect("pbm").remove(0);
        for &(suffix, coding, fill) in GOLDEN {
            let golden = std::fs::read(dir.join(format!("ccitt-encoded/itu{n}.{suffix}.raw")))
                .expect("read raw");
            let mut params = libtiff_like(coding, fill);
            params.rows = page.rows;
            let image = decode_image(&golden, &params, DecodeOptions::default())
                .unwrap_or_else(|e| panic!("itu{n} {suffix}: {e}"));
            assert_eq!(image.rows, page.rows, "itu{n} {suffix}");
            assert!(
                image.data == page.data,
                "itu{n} {suffix}: decoded pels differ"
            );
            assert_eq!(image.bad_rows, 0);
            let ours = encode(&params, &page.data).expect("encode");
            assert!(
                ours == golden,
                "itu{n} {suffix}: encoding differs from libtiff ({} vs {} bytes)",
                ours.len(),
                golden.len()
            );
        }
    }
}

/// The six real-world G4 streams from PDFs that the `fax` crate lists as known failures.
#[test]
fn pdf_g4_streams_decode_exactly() {
    let Some(dir) = corpus() else { return };
    for n in [4, 6, 33, 44, 65, 71] {
        let files = dir.join("pdf-rs-fax/files");
        let pbm = std::fs::read(files.join(format!("{n}.pbm"))).expect("read pbm");
        let page = read_pbm(&pbm, 1 << 26).expect("pbm").remove(0);
        let coded = std::fs::read(files.join(format!("{n}.fax"))).expect("read fax");
        let mut params = Params::new(Coding::Mmr, page.columns);
        params.black_is_1 = true;
        params.rows = page.rows;
        let image = decode_image(&coded, &params, DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{n}.fax: {e}"));
        // Some streams end with EOFB before the PDF's /Height; viewers show white rows there,
        // and the decoder counts them as concealed.
        let missing = image.bad_rows;
        assert!(missing <= 2, "{n}.fax: {missing} rows missing");
        assert_eq!(image.rows, page.rows, "{n}.fax");
        assert!(image.data == page.data, "{n}.fax: pels differ");
    }
}
