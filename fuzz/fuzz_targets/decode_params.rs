//! Decodes arbitrary bytes with arbitrary parameters, rows and K included.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use t4_codec::Coding;

fuzz_target!(|data: &[u8]| {
    if let [k, b0, b1, rows, rest @ ..] = data {
        let mut params = common::params_from(Coding::from_pdf_k(i32::from(*k as i8)), *b0, *b1);
        params.rows = u32::from(*rows);
        params.encoded_word_align = *k & 0x40 != 0 && !params.encoded_byte_align;
        params.damaged_rows_before_error = u32::from(*rows & 3);
        common::decode_checked(rest, &params, *rows & 0x80 != 0);
    }
});
