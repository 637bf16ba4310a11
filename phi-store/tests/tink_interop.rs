//! Interop with Google's Tink (Python `tink` from PyPI) as an independent implementation of
//! the body format: Tink decrypts our bodies and we decrypt Tink's, given the same raw data key
//! and associated data, at sizes around the segment boundaries.
//!
//! Skips with a note when `python3 -c "import tink"` fails, unless `FAXKIT_REQUIRE_PEERS=1`.
#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)] // test data and set-up

use phi_store::keys::DataKey;
use phi_store::stream::{
    decrypt, encrypt, encrypt_in_place, BodyWriter, FIRST_PLAINTEXT_SEGMENT, PLAINTEXT_SEGMENT,
};
use std::path::PathBuf;
use std::process::Command;

fn peer_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import tink, tink.streaming_aead"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var("FAXKIT_REQUIRE_PEERS").as_deref() != Ok("1"),
            "Python tink is required (FAXKIT_REQUIRE_PEERS=1): pip install tink"
        );
        eprintln!("note: skipping Tink interop: python3 module `tink` not installed");
    }
    ok
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tink_peer.py")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn tink(mode: &str, key: &[u8; 32], aad: &[u8], input: &[u8]) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let (i, o) = (dir.path().join("in"), dir.path().join("out"));
    std::fs::write(&i, input).unwrap();
    let st = Command::new("python3")
        .arg(script())
        .args([mode, &hex(key), &hex(aad)])
        .arg(&i)
        .arg(&o)
        .status()
        .unwrap();
    match st.code() {
        Some(0) => Some(std::fs::read(&o).unwrap()),
        Some(3) => None,
        other => panic!("tink peer failed: {other:?}"),
    }
}

fn sizes() -> Vec<usize> {
    let f = FIRST_PLAINTEXT_SEGMENT;
    let p = PLAINTEXT_SEGMENT;
    vec![0, 1, f - 1, f, f + 1, f + p - 1, f + p, f + p + 1, 200_004]
}

fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn tink_decrypts_our_bodies() {
    if !peer_available() {
        return;
    }
    let raw = [0x42u8; 32];
    let aad = b"phi-store/v1 header hash stand-in";
    for len in sizes() {
        let p = plaintext(len);
        let body = encrypt(&DataKey::dangerous_from_bytes(raw), aad, &p).unwrap();
        assert_eq!(
            tink("decrypt", &raw, aad, &body).as_deref(),
            Some(&p[..]),
            "len {len}"
        );
        // The streaming writer (used by `Store::put` with a reader), fed in odd pieces.
        let mut w = BodyWriter::new(&DataKey::dangerous_from_bytes(raw), aad, Vec::new()).unwrap();
        for piece in p.chunks(4099) {
            w.update(piece).unwrap();
        }
        let streamed = w.finish().unwrap().0;
        assert_eq!(
            tink("decrypt", &raw, aad, &streamed).as_deref(),
            Some(&p[..]),
            "streamed {len}"
        );
        // In place: the plaintext buffer becomes the body.
        let mut in_place = p.clone();
        encrypt_in_place(&DataKey::dangerous_from_bytes(raw), aad, &mut in_place).unwrap();
        assert_eq!(
            tink("decrypt", &raw, aad, &in_place).as_deref(),
            Some(&p[..]),
            "in place {len}"
        );
    }
    // Tink must reject our body under other associated data (binding is real).
    let body = encrypt(&DataKey::dangerous_from_bytes(raw), aad, b"x").unwrap();
    assert_eq!(tink("decrypt", &raw, b"other", &body), None);
}

#[test]
fn we_decrypt_tink_bodies() {
    if !peer_available() {
        return;
    }
    let raw = [0x17u8; 32];
    let aad = [0xa5u8; 32];
    for len in sizes() {
        let p = plaintext(len);
        let body = tink("encrypt", &raw, &aad, &p).unwrap();
        assert_eq!(
            decrypt(&DataKey::dangerous_from_bytes(raw), &aad, &body).unwrap(),
            p,
            "len {len}"
        );
        assert!(decrypt(&DataKey::dangerous_from_bytes([0x18; 32]), &aad, &body).is_err());
    }
}

#[test]
fn tink_decrypts_the_golden_object_body() {
    if !peer_available() {
        return;
    }
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/object_v1.vector"),
    )
    .unwrap();
    let field = |k: &str| -> Vec<u8> {
        let v = text
            .lines()
            .find_map(|l| l.strip_prefix(k)?.trim().strip_prefix('='))
            .unwrap()
            .trim();
        (0..v.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&v[i..i + 2], 16).unwrap())
            .collect()
    };
    let object = field("object");
    let (_, len) = phi_store::format::Header::parse(&object).unwrap();
    let mut raw = [0u8; 32];
    raw.copy_from_slice(&field("dek"));
    let got = tink("decrypt", &raw, &field("header_hash"), &object[len..]);
    assert_eq!(got, Some(field("plaintext")));
}
