//! Arbitrary bytes as a TIFF file: every page is read (and decoded) without a panic, within
//! the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use t4_codec::container::{read_tiff, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let mut options = ReadOptions::default();
    options.limits.max_rows = 4096;
    options.limits.max_output_bytes = 8 << 20;
    options.max_pages = 64;
    if let Ok(pages) = read_tiff(data, &options) {
        for page in pages {
            assert_eq!(
                page.image.data.len(),
                page.image.rows as usize * page.image.row_bytes()
            );
        }
    }
});
