//! Arbitrary bytes with arbitrary parameters never panic, and errors are typed.

#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)]

use proptest::prelude::*;
use t4_codec::{decode_image, Coding, DecodeOptions, FillOrder, Params};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn garbage_never_panics(
        data in prop::collection::vec(any::<u8>(), 0..600),
        k in -2i32..4,
        columns in 0u32..3000,
        rows in 0u32..50,
        flags in any::<[bool; 6]>(),
    ) {
        let mut p = Params::new(Coding::from_pdf_k(k), columns);
        p.rows = rows;
        p.end_of_line = flags[0];
        p.encoded_byte_align = flags[1];
        p.end_of_block = flags[2];
        p.black_is_1 = flags[3];
        p.fill_order = if flags[4] { FillOrder::LsbFirst } else { FillOrder::MsbFirst };
        let mut options = DecodeOptions::default();
        options.limits.max_rows = 5000;
        options.strict = flags[5];
        match decode_image(&data, &p, options) {
            Ok(image) => prop_assert_eq!(image.data.len(), image.rows as usize * p.row_bytes()),
            Err(e) => prop_assert_eq!(e.partial.data.len(), e.partial.rows as usize * p.row_bytes()),
        }
    }
}
