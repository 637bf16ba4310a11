//! Signed-note golden vector from the Go `golang.org/x/mod/sumdb/note` documentation (the
//! "PeterNeumann" example, used as data), plus checkpoint round trips and rejections.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use phi_audit::checkpoint::{open_note, verify_note, Checkpoint, VerifierKey};
use phi_audit::VerifyError;
use proptest::prelude::*;
use ring::signature::Ed25519KeyPair;

const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const SKEY_B64: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIG: &str =
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";

fn go_note() -> String {
    format!("{TEXT}\n\u{2014} PeterNeumann {SIG}\n")
}

fn go_pair() -> Ed25519KeyPair {
    let raw = B64.decode(SKEY_B64).expect("b64");
    assert_eq!(raw[0], 1);
    let vk = VerifierKey::from_vkey(VKEY).expect("vkey");
    Ed25519KeyPair::from_seed_and_public_key(&raw[1..], &vk.public).expect("pair")
}

#[test]
fn go_verifier_key_parses_and_round_trips() {
    let vk = VerifierKey::from_vkey(VKEY).expect("vkey");
    assert_eq!(vk.name, "PeterNeumann");
    assert_eq!(vk.key_hash(), [0xc7, 0x4f, 0x20, 0xa3]);
    assert_eq!(vk.to_vkey(), VKEY);
}

#[test]
fn go_note_verifies_and_tampering_is_refused() {
    let vk = VerifierKey::from_vkey(VKEY).expect("vkey");
    assert_eq!(open_note(&go_note(), std::slice::from_ref(&vk)), Ok(TEXT));
    let bad = go_note().replace("cryptography", "cryptographY");
    assert_eq!(
        open_note(&bad, std::slice::from_ref(&vk)),
        Err(VerifyError::Signature)
    );
    // Unknown key only: refused.
    let other = VerifierKey {
        name: "Other".into(),
        public: vk.public,
    };
    assert_eq!(open_note(&go_note(), &[other]), Err(VerifyError::Signature));
}

#[test]
fn our_signer_reproduces_the_go_signature() {
    // Ed25519 is deterministic: same key, same text, same signature line as Go's.
    let pair = go_pair();
    let sig = ring::signature::KeyPair::public_key(&pair);
    assert_eq!(
        sig.as_ref(),
        &VerifierKey::from_vkey(VKEY).expect("vkey").public
    );
    let line = pair.sign(TEXT.as_bytes());
    let mut blob = vec![0xc7, 0x4f, 0x20, 0xa3];
    blob.extend_from_slice(line.as_ref());
    assert_eq!(B64.encode(blob), SIG);
}

#[test]
fn checkpoint_round_trip_and_rejections() {
    let pair = go_pair();
    let vk = VerifierKey {
        name: "example.com/log".into(),
        public: VerifierKey::from_vkey(VKEY).expect("vkey").public,
    };
    let cp = Checkpoint {
        origin: "example.com/log".into(),
        size: 42,
        root: [9u8; 32],
    };
    let note = cp.sign("example.com/log", &pair);
    assert!(note.starts_with("example.com/log\n42\nCQkJ"));
    assert_eq!(
        verify_note(&note, std::slice::from_ref(&vk)),
        Ok(cp.clone())
    );
    for bad in [
        note.replacen("42", "042", 1),
        note.replacen("42", "43", 1),
        note.replacen("\n\n", "\n", 1),
        note.replacen("\u{2014} ", "- ", 1),
        note.trim_end().to_owned(),
        format!("x{note}"),
    ] {
        assert!(
            verify_note(&bad, std::slice::from_ref(&vk)).is_err(),
            "{bad:?}"
        );
    }
}

proptest! {
    #[test]
    fn parser_never_panics(s in ".{0,300}") {
        let vk = VerifierKey::from_vkey(VKEY).expect("vkey");
        let _ = verify_note(&s, &[vk]);
        let _ = VerifierKey::from_vkey(&s);
    }

    #[test]
    fn any_checkpoint_round_trips(size in any::<u64>(), root in any::<[u8; 32]>()) {
        let pair = go_pair();
        let vk = VerifierKey { name: "o".into(), public: VerifierKey::from_vkey(VKEY).expect("vkey").public };
        let cp = Checkpoint { origin: "o".into(), size, root };
        prop_assert_eq!(verify_note(&cp.sign("o", &pair), &[vk]), Ok(cp));
    }
}
