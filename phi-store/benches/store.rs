//! phi-store against its floors, measured side by side in the same run:
//!
//! - body encryption and decryption (Tink streaming, 64 KiB segments, 1 MiB objects) against
//!   raw `ring` AES-256-GCM over the same 64 KiB chunks (encrypt: seal in place, repeated over
//!   one buffer; decrypt: copy + open in place, the least a repeatable raw decrypt can do).
//!   Encryption is measured three ways: [`encrypt_in_place`] (the plaintext buffer becomes the
//!   body, like the raw baseline); the streaming [`BodyWriter`] handing each sealed segment to
//!   a sink that only looks at it (what a sink does with the bytes, a file write or a socket
//!   send, is not encryption; the store's puts are this path into the backend's writer); and
//!   [`encrypt_into`] from a borrowed slice into a separate output, which is also compared
//!   with raw `ring` doing the same copy then seal, because `ring` cannot seal out of place
//!   and a second 1 MiB buffer does not fit in the L2 cache next to the first. Decryption:
//!   [`decrypt_into`] one pass into a `Vec`, and the streaming [`BodyReader`] into a sink that
//!   only looks at the plaintext;
//! - the per-object cost of a put and a get of an empty object (memory backend);
//! - a durable filesystem put of a 64 KiB object against the bare floor: temp file, write,
//!   `fdatasync`, rename, directory `fsync`.
//!
//! After criterion, interleaved rounds print `ratio <op> <peer> <x.xx>` (our throughput over
//! the peer's; above 1.00 we are faster) and `overhead <op> <microseconds>` lines.
#![allow(missing_docs, clippy::unwrap_used, clippy::cast_possible_truncation)]

use criterion::{black_box, Criterion, Throughput};
use phi_store::backend::{Backend, ObjectWriter};
use phi_store::backend::{FsBackend, MemoryBackend};
use phi_store::keys::{DataKey, LocalKeyring};
use phi_store::policy::{AccessContext, Action, Principal, Purpose, RolePolicy, Rule};
use phi_store::stream::{
    decrypt_into, encrypt, encrypt_in_place, encrypt_into, BodyReader, BodyWriter,
    FIRST_PLAINTEXT_SEGMENT, PLAINTEXT_SEGMENT, TAG_LEN,
};
use phi_store::StoreError;
use phi_store::{Class, ContentType, Store, Tenant};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use std::io::Write;
use std::time::{Duration, Instant};

const OBJECT: usize = 1 << 20;

fn raw_key() -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[9u8; 32]).unwrap())
}

fn nonce(i: u32) -> Nonce {
    let mut n = [0u8; 12];
    n[4..8].copy_from_slice(&i.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

/// Raw AES-256-GCM over 64 KiB ciphertext segments, sealed in place.
fn raw_seal(key: &LessSafeKey, buf: &mut [u8]) -> usize {
    let mut n = 0;
    for (i, chunk) in buf.chunks_mut(PLAINTEXT_SEGMENT).enumerate() {
        let tag = key
            .seal_in_place_separate_tag(nonce(i as u32), Aad::empty(), chunk)
            .unwrap();
        n += tag.as_ref()[0] as usize;
    }
    n
}

/// Raw `ring` given a borrowed plaintext: copy each segment into a separate output at the
/// body's offsets (2 KiB pieces, as ours), then seal it there.
fn raw_copy_seal(key: &LessSafeKey, plain: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    out.resize(40, 0);
    let (first, rest) = plain.split_at(FIRST_PLAINTEXT_SEGMENT.min(plain.len()));
    let segments = std::iter::once(first).chain(rest.chunks(PLAINTEXT_SEGMENT));
    for (i, chunk) in segments.enumerate() {
        let start = out.len();
        for piece in chunk.chunks(2048) {
            out.extend_from_slice(piece);
        }
        let tag = key
            .seal_in_place_separate_tag(nonce(i as u32), Aad::empty(), &mut out[start..])
            .unwrap();
        out.extend_from_slice(tag.as_ref());
    }
    out.len()
}

fn sealed_chunks(key: &LessSafeKey, plain: &[u8]) -> Vec<Vec<u8>> {
    plain
        .chunks(PLAINTEXT_SEGMENT)
        .enumerate()
        .map(|(i, c)| {
            let mut v = c.to_vec();
            let tag = key
                .seal_in_place_separate_tag(nonce(i as u32), Aad::empty(), &mut v)
                .unwrap();
            v.extend_from_slice(tag.as_ref());
            v
        })
        .collect()
}

/// Raw open: copy each sealed chunk into a work buffer and open it in place.
fn raw_open(key: &LessSafeKey, chunks: &[Vec<u8>], work: &mut Vec<u8>) -> usize {
    let mut n = 0;
    for (i, c) in chunks.iter().enumerate() {
        work.clear();
        work.extend_from_slice(c);
        n += key
            .open_in_place(nonce(i as u32), Aad::empty(), work)
            .unwrap()
            .len();
    }
    n
}

/// A backend that keeps nothing: isolates the store's own per-object work.
struct NullBackend;
struct NullWriter;
impl Write for NullWriter {
    fn write(&mut self, d: &[u8]) -> std::io::Result<usize> {
        Ok(black_box(d).len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl ObjectWriter for NullWriter {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(())
    }
}
impl Backend for NullBackend {
    fn create(&self, _: &str) -> Result<Box<dyn ObjectWriter + '_>, StoreError> {
        Ok(Box::new(NullWriter))
    }
    fn replace(&self, _: &str, _: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
    fn get(&self, _: &str) -> Result<Vec<u8>, StoreError> {
        Err(StoreError::NotFound)
    }
    fn reader(&self, _: &str) -> Result<Box<dyn std::io::Read + Send + '_>, StoreError> {
        Err(StoreError::NotFound)
    }
    fn read_at(&self, _: &str, _: u64, _: &mut [u8]) -> Result<(), StoreError> {
        Err(StoreError::NotFound)
    }
    fn size(&self, _: &str) -> Result<u64, StoreError> {
        Err(StoreError::NotFound)
    }
    fn delete(&self, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
    fn list(&self, _: &str) -> Result<Vec<String>, StoreError> {
        Ok(Vec::new())
    }
}

fn ours_encrypt(dek: &DataKey, plain: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    encrypt_into(dek, b"aad", plain, out).unwrap();
    out.len()
}

/// The plaintext buffer becomes the body; the next round encrypts the first `OBJECT` bytes
/// of that body again (like the raw baseline, which re-seals its own output).
fn ours_encrypt_in_place(dek: &DataKey, buf: &mut Vec<u8>) -> usize {
    buf.truncate(OBJECT);
    encrypt_in_place(dek, b"aad", buf).unwrap();
    buf.len()
}

fn ours_encrypt_streaming(dek: &DataKey, plain: &[u8]) -> usize {
    let mut w = BodyWriter::new(dek, b"aad", NullWriter).unwrap();
    w.update(plain).unwrap();
    w.finish().unwrap().1 as usize
}

fn ours_decrypt(dek: &DataKey, body: &[u8], out: &mut Vec<u8>) -> usize {
    out.clear();
    decrypt_into(dek, b"aad", body, out).unwrap();
    out.len()
}

/// The streaming reader handing each opened segment to a sink that only looks at it, like the
/// streaming writer above (what a sink does with plaintext is not decryption).
fn ours_decrypt_streaming(dek: &DataKey, body: &[u8]) -> usize {
    BodyReader::new(dek, b"aad", body)
        .unwrap()
        .copy_to(&mut NullWriter)
        .unwrap() as usize
}

fn policy() -> RolePolicy {
    RolePolicy::deny_all().allow(Rule {
        role: "svc".into(),
        actions: vec![Action::Put, Action::Get],
        purposes: vec![Purpose::Operations],
        tenants: None,
        classes: None,
    })
}

fn ctx() -> AccessContext {
    AccessContext::new(Principal::new("bench").unwrap(), "svc", Purpose::Operations)
}

/// The bare durable-write floor: temp, write, fdatasync, rename, directory fsync.
fn floor_put(dir: &std::path::Path, n: u64, data: &[u8]) {
    let tmp = dir.join(format!(".t{n}"));
    let fin = dir.join(format!("f{n}"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .unwrap();
    f.write_all(data).unwrap();
    f.sync_data().unwrap();
    std::fs::rename(&tmp, &fin).unwrap();
    std::fs::File::open(dir).unwrap().sync_all().unwrap();
}

/// A named workload for the interleaved rounds.
type Contender<'a> = (&'static str, Box<dyn FnMut() -> usize + 'a>);

fn interleaved(contenders: &mut [Contender<'_>], rounds: usize) -> Vec<f64> {
    let batch = Duration::from_millis(60);
    let calls: Vec<u32> = contenders
        .iter_mut()
        .map(|(_, f)| {
            black_box(f());
            let t = Instant::now();
            black_box(f());
            let one = t.elapsed().as_nanos().max(1);
            (batch.as_nanos() / one).clamp(1, 20_000) as u32
        })
        .collect();
    let mut samples = vec![Vec::new(); contenders.len()];
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let t = Instant::now();
            for _ in 0..calls[i] {
                black_box((contenders[i].1)());
            }
            samples[i].push(t.elapsed().as_secs_f64() / f64::from(calls[i]));
        }
    }
    samples
        .into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let dek = DataKey::dangerous_from_bytes([3u8; 32]);
    let key = raw_key();
    let plain: Vec<u8> = (0..OBJECT).map(|i| i as u8).collect();
    let body = encrypt(&dek, b"aad", &plain).unwrap();
    let chunks = sealed_chunks(&key, &plain);

    let mut g = c.benchmark_group("body_1MiB");
    g.throughput(Throughput::Bytes(OBJECT as u64));
    let mut out = Vec::with_capacity(OBJECT + 4096);
    let mut in_place = plain.clone();
    in_place.reserve(4096);
    g.bench_function("encrypt_in_place/phi-store", |b| {
        b.iter(|| ours_encrypt_in_place(&dek, &mut in_place))
    });
    g.bench_function("encrypt_streaming_writer/phi-store", |b| {
        b.iter(|| ours_encrypt_streaming(&dek, &plain))
    });
    g.bench_function("encrypt_into_vec/phi-store", |b| {
        b.iter(|| ours_encrypt(&dek, &plain, &mut out))
    });
    let mut work = plain.clone();
    g.bench_function("encrypt/raw-ring", |b| b.iter(|| raw_seal(&key, &mut work)));
    g.bench_function("decrypt/phi-store", |b| {
        b.iter(|| ours_decrypt(&dek, &body, &mut out))
    });
    let mut w2 = Vec::with_capacity(PLAINTEXT_SEGMENT + TAG_LEN);
    g.bench_function("decrypt/raw-ring", |b| {
        b.iter(|| raw_open(&key, &chunks, &mut w2))
    });
    g.finish();

    let mem = Store::new(MemoryBackend::new(), LocalKeyring::in_memory()).with_policy(policy());
    let null = Store::new(NullBackend, LocalKeyring::in_memory()).with_policy(policy());
    let t = Tenant::new("bench").unwrap();
    let cls = Class::new("inbound").unwrap();
    let ct = ContentType::new("image/tiff").unwrap();
    let empty_id = mem.put_bytes(&ctx(), &t, &cls, ct.clone(), b"").unwrap();
    c.bench_function("object/put_empty_null_backend", |b| {
        b.iter(|| null.put_bytes(&ctx(), &t, &cls, ct.clone(), b"").unwrap())
    });
    c.bench_function("object/get_empty_memory", |b| {
        b.iter(|| mem.get_bytes(&ctx(), &t, empty_id).unwrap())
    });

    let dir = tempfile::Builder::new()
        .prefix("phi-store-bench")
        .tempdir_in(
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(std::env::temp_dir, Into::into),
        )
        .unwrap();
    let fs_store = Store::new(
        FsBackend::open(&dir.path().join("store")).unwrap(),
        LocalKeyring::in_memory(),
    )
    .with_policy(policy());
    let floor_dir = dir.path().join("floor");
    std::fs::create_dir_all(&floor_dir).unwrap();
    let page: Vec<u8> = (0..65_536).map(|i| (i * 7) as u8).collect();
    let mut n = 0u64;
    let mut g = c.benchmark_group("durable_put_64KiB");
    g.sample_size(30);
    g.bench_function("phi-store/fs", |b| {
        b.iter(|| {
            fs_store
                .put_bytes(&ctx(), &t, &cls, ct.clone(), &page)
                .unwrap()
        })
    });
    g.bench_function("floor/tmp+fdatasync+rename+dirfsync", |b| {
        b.iter(|| {
            n += 1;
            floor_put(&floor_dir, n, &page)
        })
    });
    g.finish();

    // Interleaved rounds for the ratio lines.
    println!();
    let mut out2 = Vec::with_capacity(OBJECT + 4096);
    let mut out3 = Vec::with_capacity(OBJECT + 4096);
    let mut in_place2 = plain.clone();
    in_place2.reserve(4096);
    let mut work2 = plain.clone();
    let mut w3 = Vec::with_capacity(PLAINTEXT_SEGMENT + TAG_LEN);
    let s = interleaved(
        &mut [
            (
                "ours",
                Box::new(|| ours_encrypt_in_place(&dek, &mut in_place2)),
            ),
            ("raw", Box::new(|| raw_seal(&key, &mut work2))),
        ],
        15,
    );
    println!(
        "ratio encrypt_in_place_64KiB_segments raw-ring-aes-256-gcm {:.2}",
        s[1] / s[0]
    );
    let mut work3 = plain.clone();
    let s = interleaved(
        &mut [
            ("ours", Box::new(|| ours_encrypt_streaming(&dek, &plain))),
            ("raw", Box::new(|| raw_seal(&key, &mut work3))),
        ],
        15,
    );
    println!(
        "ratio encrypt_streaming_writer raw-ring-aes-256-gcm {:.2}",
        s[1] / s[0]
    );
    let mut work4 = plain.clone();
    let mut raw_out = Vec::with_capacity(OBJECT + 4096);
    let s = interleaved(
        &mut [
            ("ours", Box::new(|| ours_encrypt(&dek, &plain, &mut out2))),
            ("raw", Box::new(|| raw_seal(&key, &mut work4))),
            (
                "raw-copy",
                Box::new(|| raw_copy_seal(&key, &plain, &mut raw_out)),
            ),
        ],
        15,
    );
    println!(
        "ratio encrypt_into_vec raw-ring-aes-256-gcm {:.2}",
        s[1] / s[0]
    );
    println!(
        "ratio encrypt_into_vec raw-ring-copy-then-seal {:.2}",
        s[2] / s[0]
    );
    let s = interleaved(
        &mut [
            ("ours", Box::new(|| ours_decrypt(&dek, &body, &mut out3))),
            ("raw", Box::new(|| raw_open(&key, &chunks, &mut w3))),
        ],
        15,
    );
    println!(
        "ratio decrypt_64KiB_segments raw-ring-aes-256-gcm {:.2}",
        s[1] / s[0]
    );
    let mut w4 = Vec::with_capacity(PLAINTEXT_SEGMENT + TAG_LEN);
    let s = interleaved(
        &mut [
            ("ours", Box::new(|| ours_decrypt_streaming(&dek, &body))),
            ("raw", Box::new(|| raw_open(&key, &chunks, &mut w4))),
        ],
        15,
    );
    println!(
        "ratio decrypt_streaming_reader raw-ring-aes-256-gcm {:.2}",
        s[1] / s[0]
    );
    let s = interleaved(
        &mut [
            (
                "put",
                Box::new(|| {
                    null.put_bytes(&ctx(), &t, &cls, ct.clone(), b"").unwrap();
                    1
                }),
            ),
            (
                "get",
                Box::new(|| mem.get_bytes(&ctx(), &t, empty_id).unwrap().len()),
            ),
        ],
        15,
    );
    println!("overhead put_empty_object_us {:.2}", s[0] * 1e6);
    println!("overhead get_empty_object_us {:.2}", s[1] * 1e6);
    let mut m = 1_000_000u64;
    let s = interleaved(
        &mut [
            (
                "ours",
                Box::new(|| {
                    fs_store
                        .put_bytes(&ctx(), &t, &cls, ct.clone(), &page)
                        .unwrap();
                    1
                }),
            ),
            (
                "floor",
                Box::new(|| {
                    m += 1;
                    floor_put(&floor_dir, m, &page);
                    1
                }),
            ),
        ],
        15,
    );
    println!(
        "ratio durable_put_64KiB floor-tmp-fdatasync-rename-dirfsync {:.2}",
        s[1] / s[0]
    );
    println!(
        "overhead durable_put_64KiB_us {:.0} (floor {:.0})",
        s[0] * 1e6,
        s[1] * 1e6
    );
    c.final_summary();
}
