//! Signed notes and verifier keys from arbitrary text: never a panic; a note accepted under
//! a key is one that key signed (the fuzzer cannot forge Ed25519, so acceptance means the
//! input contains our own signed body unchanged).
#![no_main]

use libfuzzer_sys::fuzz_target;
use phi_audit::checkpoint::{open_note, verify_note, Checkpoint, VerifierKey};

const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(key) = VerifierKey::from_vkey(VKEY) else {
        return;
    };
    let _ = verify_note(s, &[key.clone()]);
    let _ = open_note(s, &[key]);
    if let Ok(cp) = Checkpoint::parse_body(s) {
        // A parsed body's own rendering parses back to the same checkpoint.
        assert_eq!(Checkpoint::parse_body(&cp.body()), Ok(cp));
    }
    if let Ok(k) = VerifierKey::from_vkey(s) {
        assert_eq!(VerifierKey::from_vkey(&k.to_vkey()), Ok(k));
    }
});
