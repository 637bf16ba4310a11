//! decode(encode(pels)) == pels for arbitrary pels, codings and options, and transcoding to
//! MMR equals encoding to MMR.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use t4_codec::{decode_image, encode, transcode, Coding, DecodeOptions, Limits};

fuzz_target!(|input: &[u8]| {
    if let [k, b0, b1, b2, rest @ ..] = input {
        let coding = Coding::from_pdf_k(i32::from(*k as i8 % 6));
        let mut params = common::params_from(coding, *b0 % 40, *b1);
        params.uncompressed = *b2 & 1 != 0;
        params.eol_fill = *b2 & 2 != 0 && params.end_of_line;
        params.min_row_bits = if *b2 & 4 != 0 { u32::from(*b2) * 3 } else { 0 };
        let row_bytes = params.row_bytes();
        let rows = rest.len() / row_bytes;
        if rows == 0 {
            return;
        }
        let mut pels = rest[..rows * row_bytes].to_vec();
        let tail = params.columns % 8;
        if tail != 0 {
            for row in pels.chunks_mut(row_bytes) {
                row[row_bytes - 1] &= 0xFFu8 << (8 - tail);
            }
        }
        let coded = encode(&params, &pels).expect("valid parameters encode");
        params.rows = rows as u32;
        let image = decode_image(&coded, &params, DecodeOptions::default()).expect("decodes");
        assert_eq!(image.data, pels);
        assert_eq!(image.bad_rows, 0);
        let mut to = params.clone();
        to.set_coding(Coding::Mmr);
        to.end_of_line = false;
        to.encoded_byte_align = false;
        to.min_row_bits = 0;
        let (g4, bad) = transcode(&coded, &params, &to, Limits::default()).expect("transcodes");
        assert_eq!(bad, 0);
        assert_eq!(g4, encode(&to, &pels).expect("encodes"));
    }
});
