//! Event records, segment frames and headers from arbitrary bytes: never a panic, and a
//! record that decodes re-encodes to exactly the same bytes (one value, one encoding).
#![no_main]

use libfuzzer_sys::fuzz_target;
use phi_audit::segment::{self, Header};
use phi_audit::Record;

fuzz_target!(|data: &[u8]| {
    let decoded = Record::decode(data);
    // The allocation-free check used by verification agrees with the decoder.
    assert_eq!(
        Record::check(data).ok(),
        decoded.as_ref().ok().map(|r| r.seq)
    );
    if let Ok(r) = decoded {
        assert_eq!(r.encode(), data, "non-canonical record accepted");
    }
    let (frames, _) = segment::scan(data);
    for f in frames {
        let _ = Header::decode(f.payload);
        if let Some((_, body)) = f.payload.split_first() {
            if let Ok(r) = Record::decode(body) {
                assert_eq!(r.encode(), body);
            }
        }
    }
});
