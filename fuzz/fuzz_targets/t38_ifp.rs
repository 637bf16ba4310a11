//! IFP decoding in both packings: never panics; whatever decodes re-encodes (canonically, so
//! never longer: a two-octet length below 128 becomes one octet) to something that decodes
//! the same; `decode_prefix` agrees with `decode` on its prefix.
#![no_main]

use libfuzzer_sys::fuzz_target;
use t38::{Ifp, Packing};

fuzz_target!(|data: &[u8]| {
    for p in [Packing::V1998, Packing::V2002] {
        if let Ok(ifp) = Ifp::decode(data, p) {
            let mut out = Vec::new();
            ifp.encode(p, &mut out).expect("a decoded IFP encodes");
            assert!(out.len() <= data.len());
            assert_eq!(Ifp::decode(&out, p), Ok(ifp));
        }
        if let Ok((ifp, n)) = Ifp::decode_prefix(data, p) {
            assert_eq!(Ifp::decode(&data[..n], p), Ok(ifp));
        }
    }
});
