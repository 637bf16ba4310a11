//! Arbitrary input scripts never panic, stay within memory bounds and always end.
#![allow(clippy::unwrap_used)]

mod script;

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn arbitrary_scripts_end(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        script::run(&data);
    }
}

/// A script that walks the answering receiver through DCS and TCF into phase C, then
/// stops: T2 must end it.
#[test]
fn stalled_in_phase_c_ends() {
    // role 3: answering receiver. Frame op 0 with length 7: DCS (X set) with FIF
    // 00 46 1e 22 (V.17 14400, fine, unlimited, ECM, MMR), then TCF op 4 with a long run.
    let mut s = vec![3u8, 7 * 8 + 1, 0xC1, 0x00, 0x46, 0x1e, 0x22, 0x00, 0x00];
    s.push(4 + 8 * 20);
    script::run(&s);
}
