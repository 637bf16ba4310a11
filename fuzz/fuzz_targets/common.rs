//! Shared by the fuzz targets: parameters from fuzz input and a decoder that never panics.

#![allow(dead_code)]

use t4_codec::{decode_image, Coding, DecodeOptions, FillOrder, Params};

/// Parameters for `coding` from two bytes of fuzz input.
pub fn params_from(coding: Coding, b0: u8, b1: u8) -> Params {
    let mut p = Params::new(coding, 1 + u32::from(b0) * 13 + u32::from(b1 & 0x7));
    p.end_of_line = b1 & 0x08 != 0;
    p.encoded_byte_align = b1 & 0x10 != 0;
    p.end_of_block = b1 & 0x20 != 0;
    p.black_is_1 = b1 & 0x40 != 0;
    p.fill_order = if b1 & 0x80 != 0 {
        FillOrder::LsbFirst
    } else {
        FillOrder::MsbFirst
    };
    p
}

/// Decodes with small limits (so each run is fast) and checks the invariants of the result.
pub fn decode_checked(data: &[u8], params: &Params, strict: bool) {
    let mut options = DecodeOptions::default();
    options.limits.max_rows = 4096;
    options.limits.max_output_bytes = 8 << 20;
    options.strict = strict;
    let row_bytes = params.row_bytes();
    match decode_image(data, params, options) {
        Ok(image) => assert_eq!(image.data.len(), image.rows as usize * row_bytes),
        Err(e) => {
            assert_eq!(e.partial.data.len(), e.partial.rows as usize * row_bytes);
            assert!(e.error.rows >= e.partial.rows || e.error.rows == 0);
        }
    }
}
