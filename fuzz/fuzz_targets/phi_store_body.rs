//! Body decryption of arbitrary bytes: never panics, never accepts a forgery (the key is fixed
//! and unknown to the fuzzer, so success would be a bug), and ranged reads agree with it.
//! Every encryption path (whole slice, in place, the writer split anywhere between copied and
//! read input) gives a body that opens to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phi_store::keys::DataKey;
use phi_store::stream::{
    body_geometry, decrypt, decrypt_range, encrypt, encrypt_in_place, BodyWriter,
};

fuzz_target!(|data: &[u8]| {
    let key = DataKey::dangerous_from_bytes([7; 32]);
    let (sel, rest) = data.split_first().unwrap_or((&0, &[]));
    if sel % 2 == 0 {
        // Arbitrary bytes as a body: must be rejected without panicking.
        assert!(decrypt(&key, b"aad", rest).is_err());
        if let Some((_, plain)) = body_geometry(rest.len() as u64) {
            let r = decrypt_range(
                &key,
                b"aad",
                rest.len() as u64,
                &mut &rest[..],
                0,
                plain.min(10),
            );
            assert!(r.is_err() || plain == 0);
        }
    } else {
        // A real body with one byte changed (position and value from the input).
        let body = encrypt(&key, b"aad", rest).expect("encrypt");
        assert_eq!(decrypt(&key, b"aad", &body).expect("own body"), rest);
        let mut bad = body.clone();
        let at = usize::from(*sel) * 257 % bad.len();
        bad[at] ^= sel | 1;
        assert!(decrypt(&key, b"aad", &bad).is_err());
        let mut in_place = rest.to_vec();
        encrypt_in_place(&key, b"aad", &mut in_place).expect("encrypt in place");
        assert_eq!(decrypt(&key, b"aad", &in_place).expect("in place"), rest);
        let cut = usize::from(*sel) * 31 % (rest.len() + 1);
        let mut w = BodyWriter::new(&key, b"aad", Vec::new()).expect("writer");
        w.update(&rest[..cut]).expect("update");
        let mut src = &rest[cut..];
        w.update_from(&mut src, (rest.len() - cut) as u64)
            .expect("update_from");
        let (streamed, n) = w.finish().expect("finish");
        assert_eq!(n, streamed.len() as u64);
        assert_eq!(decrypt(&key, b"aad", &streamed).expect("streamed"), rest);
    }
});
