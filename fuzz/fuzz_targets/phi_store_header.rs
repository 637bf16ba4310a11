//! Object header parsing: never panics on any input, and whatever parses re-encodes to the
//! exact bytes it was parsed from (no two encodings of one header).
#![no_main]

use libfuzzer_sys::fuzz_target;
use phi_store::format::Header;

fuzz_target!(|data: &[u8]| {
    if let Ok((h, len)) = Header::parse(data) {
        assert!(len <= data.len());
        assert_eq!(h.encode(), &data[..len]);
        let _ = h.hash();
    }
});
