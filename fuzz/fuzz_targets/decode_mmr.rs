//! Decodes arbitrary bytes as MMR; the first two bytes choose width and options.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use t4_codec::Coding;

fuzz_target!(|data: &[u8]| {
    if let [b0, b1, rest @ ..] = data {
        let params = common::params_from(Coding::Mmr, *b0, *b1);
        common::decode_checked(rest, &params, *b1 & 1 != 0);
    }
});
