//! A golden object in format v1 (`tests/data/object_v1.vector`), so that a format change shows
//! in review: the header fields, the key commitment, the header hash used as associated data,
//! and the body must keep decoding to the recorded plaintext. The body of the same vector is
//! decrypted by Google Tink in `tink_interop`. The key slot holds fixed filler bytes (KEK
//! wrapping is covered by the store tests); everything else is real.
//!
//! Regenerate (only on a deliberate format change): `PHI_STORE_WRITE_VECTORS=1 cargo test -p
//! phi-store --test golden`.
#![allow(clippy::unwrap_used)] // test set-up

use phi_store::format::{commitment, Header, KeySlot};
use phi_store::keys::{DataKey, KekId};
use phi_store::stream::{decrypt, encrypt};
use phi_store::{Class, ContentType, ObjectId, Tenant};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/object_v1.vector")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Reads `key = value` lines (comments start with `#`).
pub fn read_vector() -> BTreeMap<String, String> {
    std::fs::read_to_string(path())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect()
}

fn write_vector() {
    let dek_bytes = [0x5au8; 32];
    let dek = DataKey::dangerous_from_bytes(dek_bytes);
    let id = ObjectId([0x11; 16]);
    let plaintext: Vec<u8> = b"II*\0 phi-store golden page; ".repeat(3);
    let mut h = Header {
        id,
        tenant: Tenant::new("clinic-a").unwrap(),
        class: Class::new("inbound").unwrap(),
        created_ms: 1_790_000_000_000,
        content_type: ContentType::new("image/tiff").unwrap(),
        length: plaintext.len() as u64,
        kek: KekId::parse("clinic-a/inbound").unwrap(),
        derived: None,
        commitment: commitment(&dek, &id),
        slot: KeySlot::Shredded,
    };
    h.slot = KeySlot::Wrapped {
        version: 1,
        nonce: [0xee; 12],
        ciphertext: [0xdd; 48],
    };
    let hash = h.hash();
    let mut object = h.encode();
    object.extend_from_slice(&encrypt(&dek, &hash, &plaintext).unwrap());
    let text = format!(
        "# phi-store object format v1: a golden object (see tests/golden.rs).\n\
         dek = {}\nplaintext = {}\nheader_hash = {}\nobject = {}\n",
        hex(&dek_bytes),
        hex(&plaintext),
        hex(&hash),
        hex(&object)
    );
    std::fs::write(path(), text).unwrap();
}

#[test]
fn golden_object_v1_still_decodes() {
    if std::env::var("PHI_STORE_WRITE_VECTORS").as_deref() == Ok("1") {
        write_vector();
    }
    let v = read_vector();
    let object = unhex(&v["object"]);
    let plaintext = unhex(&v["plaintext"]);
    let mut dek_bytes = [0u8; 32];
    dek_bytes.copy_from_slice(&unhex(&v["dek"]));
    let dek = DataKey::dangerous_from_bytes(dek_bytes);
    let (h, len) = Header::parse(&object).unwrap();
    assert_eq!(h.id, ObjectId([0x11; 16]));
    assert_eq!(h.tenant.as_str(), "clinic-a");
    assert_eq!(h.class.as_str(), "inbound");
    assert_eq!(h.created_ms, 1_790_000_000_000);
    assert_eq!(h.content_type.as_str(), "image/tiff");
    assert_eq!(h.length, plaintext.len() as u64);
    assert_eq!(h.kek.as_str(), "clinic-a/inbound");
    assert!(h.derived.is_none());
    assert_eq!(h.encode(), &object[..len]);
    assert_eq!(hex(&h.hash()), v["header_hash"]);
    assert_eq!(h.commitment, commitment(&dek, &h.id));
    assert_eq!(decrypt(&dek, &h.hash(), &object[len..]).unwrap(), plaintext);
}
