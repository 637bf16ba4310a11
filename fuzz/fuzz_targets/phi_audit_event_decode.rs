//! Event records, segment frames and headers from arbitrary bytes: never a panic, a
//! record that decodes re-encodes to exactly the same bytes (one value, one encoding), and
//! the streaming frame reader used by verification stops where the slice scanner stops.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phi_audit::segment::{self, FrameReader, Header};
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
    let (frames, stop) = segment::scan(data);
    let mut reader = FrameReader::new(data);
    let mut streamed = Vec::new();
    while let Ok(Some(f)) = reader.next_frame() {
        streamed.push((f.offset, f.end, f.payload.to_vec()));
    }
    assert_eq!(reader.stop(), Some(stop));
    let sliced: Vec<_> = frames
        .iter()
        .map(|f| (f.offset, f.end, f.payload.to_vec()))
        .collect();
    assert_eq!(streamed, sliced);
    for f in frames {
        let _ = Header::decode(f.payload);
        if let Some((_, body)) = f.payload.split_first() {
            if let Ok(r) = Record::decode(body) {
                assert_eq!(r.encode(), body);
            }
        }
    }
});
