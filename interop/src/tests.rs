//! Unit tests: libtiff through our FFI against the golden corpus and against itself.

use super::*;
use t4_codec::container::read_pbm;

/// (file suffix, scheme) of the golden libtiff encodings.
const GOLDEN: &[(&str, LibtiffScheme)] = &[
    ("g3-1d", LibtiffScheme::MH),
    ("g3-1d-fill", LibtiffScheme::MH_FILL),
    ("g3-2d", LibtiffScheme::MR_K4),
    ("g3-2d-fill", LibtiffScheme::MR_K4_FILL),
    ("g3-2d-k2", LibtiffScheme::MR_K2),
    ("g4", LibtiffScheme::MMR),
];

#[test]
fn libtiff_decodes_and_encodes_itu1_like_the_golden_files() {
    let Some(dir) = shared_corpus() else { return };
    let pbm = std::fs::read(dir.join("ccitt/itu1.pbm")).expect("read pbm");
    let page = read_pbm(&pbm, 1 << 24).expect("pbm").remove(0);
    for &(suffix, scheme) in GOLDEN {
        let golden =
            std::fs::read(dir.join(format!("ccitt-encoded/itu1.{suffix}.raw"))).expect("read raw");
        let pels = decode_strip(scheme, page.columns, page.rows, &golden).expect("libtiff decodes");
        assert!(
            pels == page.data,
            "{suffix}: libtiff's decode differs from itu1.pbm"
        );
        let coded =
            encode_strip(scheme, page.columns, page.rows, &page.data).expect("libtiff encodes");
        assert!(
            coded == golden,
            "{suffix}: libtiff's encoding differs from the golden file"
        );
    }
}

/// A small page with runs of every length class, built without the corpus.
fn sample(width: u32, rows: u32) -> Vec<u8> {
    let rb = (width as usize).div_ceil(8);
    let mut data = vec![0u8; rb * rows as usize];
    for y in 0..rows as usize {
        for x in (0..width as usize).filter(|x| (x * 7 + y * 13) % (y % 5 + 3) == 0) {
            data[y * rb + x / 8] |= 0x80 >> (x % 8);
        }
    }
    data
}

#[test]
fn round_trips_through_libtiff_in_every_scheme() {
    let (width, rows) = (301, 23);
    let pels = sample(width, rows);
    for scheme in LibtiffScheme::ALL {
        let coded = encode_strip(scheme, width, rows, &pels).expect("encode");
        let back = decode_strip(scheme, width, rows, &coded).expect("decode");
        assert!(back == pels, "{}", scheme.name());
    }
}

#[test]
fn prepared_handles_repeat_the_same_work() {
    let (width, rows) = (1728, 40);
    let pels = sample(width, rows);
    for scheme in LibtiffScheme::ALL {
        let coded = encode_strip(scheme, width, rows, &pels).expect("encode");
        let mut enc = PreparedEncode::new(scheme, width, rows, &pels).expect("prepare encode");
        for _ in 0..3 {
            enc.encode().expect("encode again");
        }
        assert_eq!(enc.finish().expect("finish"), coded, "{}", scheme.name());
        let mut dec = PreparedDecode::new(scheme, width, rows, &coded).expect("prepare decode");
        for _ in 0..3 {
            let mut out = vec![0u8; pels.len()];
            dec.decode_into(&mut out).expect("decode again");
            assert!(out == pels, "{}", scheme.name());
        }
    }
}

#[test]
fn uncompressed_files_round_trip() {
    let pels = sample(9, 4);
    let file = write_uncompressed(LibtiffScheme::MMR, 9, 4, &pels).expect("write");
    let bitmap = read_tiff(&file).expect("read");
    assert_eq!((bitmap.width, bitmap.rows, bitmap.photometric), (9, 4, 0));
    assert_eq!(bitmap.data, pels);
}

#[test]
fn damage_and_bad_sizes_are_errors_with_messages() {
    assert_eq!(
        encode_strip(LibtiffScheme::MH, 0, 1, &[]),
        Err(Error::Size("width and rows must be at least 1"))
    );
    assert!(matches!(
        encode_strip(LibtiffScheme::MH, 8, 2, &[0]),
        Err(Error::Size(_))
    ));
    // MMR: a horizontal-mode code followed by no valid run code.
    let err = decode_strip(LibtiffScheme::MMR, 16, 4, &[0x20, 0, 0, 0, 1]).expect_err("damaged");
    let Error::Libtiff { messages, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        messages.iter().any(|m| m.contains("Bad code word")),
        "{err}"
    );
    // MH: rows of the wrong length are warnings to libtiff, errors to a strict decode.
    let err = decode_strip(LibtiffScheme::MH, 16, 4, &[0x00, 0x1F, 0xFF, 0xFF]).expect_err("short");
    assert!(err.to_string().contains("warning: Fax3Decode1D"), "{err}");
    assert!(read_tiff(b"not a tiff").is_err());
}

#[test]
fn scheme_names_and_params_agree() {
    use t4_codec::Coding;
    assert_eq!(LibtiffScheme::MR_K2.coding(), Coding::Mr { k: 2 });
    assert_eq!(LibtiffScheme::MR_K4_FILL.coding(), Coding::Mr { k: 4 });
    assert_eq!(LibtiffScheme::MMR.tiffcp_arg(), "g4");
    let p = LibtiffScheme::MH_FILL.t4_params(1728, 10);
    assert!(p.end_of_line && p.eol_fill && p.black_is_1 && !p.end_of_block);
}
