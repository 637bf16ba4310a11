//! Streaming body round trips at every size around segment boundaries, ranged reads against
//! slices of the plaintext, and truncation/extension/reordering of segments.
#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)] // test data and set-up

use phi_store::keys::DataKey;
use phi_store::stream::{
    body_geometry, ciphertext_len, decrypt, decrypt_range, encrypt, encrypt_in_place, BodyReader,
    BodyWriter, FIRST_PLAINTEXT_SEGMENT, PLAINTEXT_SEGMENT, SEGMENT_SIZE,
};
use phi_store::StoreError;
use proptest::prelude::*;
use std::io::{Read, Write};

fn key(b: u8) -> DataKey {
    DataKey::dangerous_from_bytes([b; 32])
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Sizes around the first and second segment boundaries and around 0.
fn boundary_sizes() -> Vec<usize> {
    let mut v = Vec::new();
    for base in [
        0,
        FIRST_PLAINTEXT_SEGMENT,
        FIRST_PLAINTEXT_SEGMENT + PLAINTEXT_SEGMENT,
        FIRST_PLAINTEXT_SEGMENT + 2 * PLAINTEXT_SEGMENT,
    ] {
        for d in -3i64..=3 {
            let s = base as i64 + d;
            if s >= 0 {
                v.push(s as usize);
            }
        }
    }
    v
}

#[test]
fn round_trip_every_size_at_boundaries() {
    for len in boundary_sizes() {
        let p = data(len, 7);
        let body = encrypt(&key(1), b"aad", &p).unwrap();
        assert_eq!(body.len() as u64, ciphertext_len(len as u64), "len {len}");
        assert_eq!(
            body_geometry(body.len() as u64).map(|g| g.1),
            Some(len as u64)
        );
        assert_eq!(decrypt(&key(1), b"aad", &body).unwrap(), p, "len {len}");
        assert!(matches!(
            decrypt(&key(1), b"aaD", &body),
            Err(StoreError::Integrity)
        ));
        assert!(matches!(
            decrypt(&key(2), b"aad", &body),
            Err(StoreError::Integrity)
        ));
        // The same plaintext encrypted in its own buffer.
        let mut in_place = p.clone();
        encrypt_in_place(&key(1), b"aad", &mut in_place).unwrap();
        assert_eq!(
            in_place.len() as u64,
            ciphertext_len(len as u64),
            "len {len}"
        );
        assert_ne!(in_place, body, "fresh salt and nonce prefix per body");
        assert_eq!(decrypt(&key(1), b"aad", &in_place).unwrap(), p, "len {len}");
    }
}

/// Records the length of every write.
struct WriteSizes(Vec<usize>, Vec<u8>);
impl Write for WriteSizes {
    fn write(&mut self, d: &[u8]) -> std::io::Result<usize> {
        self.0.push(d.len());
        self.1.extend_from_slice(d);
        Ok(d.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_writer_hands_out_whole_segments_header_included() {
    let len = FIRST_PLAINTEXT_SEGMENT + 2 * PLAINTEXT_SEGMENT + 5;
    let p = data(len, 1);
    let mut w = BodyWriter::new(&key(3), b"a", WriteSizes(Vec::new(), Vec::new())).unwrap();
    for c in p.chunks(1000) {
        w.update(c).unwrap();
    }
    let (sink, n) = w.finish().unwrap();
    assert_eq!(sink.0, [SEGMENT_SIZE, SEGMENT_SIZE, SEGMENT_SIZE, 5 + 16]);
    assert_eq!(n, sink.1.len() as u64);
    assert_eq!(decrypt(&key(3), b"a", &sink.1).unwrap(), p);
}

#[test]
fn truncating_or_extending_at_a_segment_boundary_fails() {
    let p = data(FIRST_PLAINTEXT_SEGMENT + PLAINTEXT_SEGMENT + 100, 3);
    let body = encrypt(&key(1), b"", &p).unwrap();
    // Drop the last segment: the new last segment was sealed as "not last".
    assert!(decrypt(&key(1), b"", &body[..2 * SEGMENT_SIZE]).is_err());
    assert!(decrypt(&key(1), b"", &body[..SEGMENT_SIZE]).is_err());
    // Append an extra segment.
    let mut longer = body.clone();
    longer.extend_from_slice(&body[SEGMENT_SIZE..2 * SEGMENT_SIZE]);
    assert!(decrypt(&key(1), b"", &longer).is_err());
}

#[test]
fn swapping_two_full_segments_fails() {
    let p = data(FIRST_PLAINTEXT_SEGMENT + 3 * PLAINTEXT_SEGMENT, 9);
    let mut body = encrypt(&key(1), b"", &p).unwrap();
    let (a, b) = body[SEGMENT_SIZE..3 * SEGMENT_SIZE].split_at_mut(SEGMENT_SIZE);
    a.swap_with_slice(b);
    assert!(matches!(
        decrypt(&key(1), b"", &body),
        Err(StoreError::Integrity)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn streaming_writes_in_any_chunks_round_trip(
        len in prop_oneof![0usize..300, (FIRST_PLAINTEXT_SEGMENT - 300)..(FIRST_PLAINTEXT_SEGMENT + 300),
                           (FIRST_PLAINTEXT_SEGMENT + PLAINTEXT_SEGMENT - 300)..(FIRST_PLAINTEXT_SEGMENT + PLAINTEXT_SEGMENT + 300)],
        chunk in 1usize..70_000,
        read_chunk in 1usize..70_000,
        aad in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let p = data(len, 5);
        let mut w = BodyWriter::new(&key(4), &aad, Vec::new()).unwrap();
        for c in p.chunks(chunk) {
            w.update(c).unwrap();
        }
        let (body, n) = w.finish().unwrap();
        prop_assert_eq!(n, body.len() as u64);
        prop_assert_eq!(body.len() as u64, ciphertext_len(len as u64));
        let mut r = BodyReader::new(&key(4), &aad, &body[..]).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0u8; read_chunk];
        loop {
            let k = r.read(&mut buf).unwrap();
            if k == 0 { break; }
            out.extend_from_slice(&buf[..k]);
        }
        prop_assert_eq!(out, p);
    }

    #[test]
    fn in_place_and_expected_length_writers_round_trip(
        len in prop_oneof![0usize..300, (FIRST_PLAINTEXT_SEGMENT - 40)..(FIRST_PLAINTEXT_SEGMENT + 40),
                           (FIRST_PLAINTEXT_SEGMENT + 2 * PLAINTEXT_SEGMENT - 40)..(FIRST_PLAINTEXT_SEGMENT + 2 * PLAINTEXT_SEGMENT + 40)],
        hint in prop_oneof![Just(None), (0u64..200_000).prop_map(Some)],
        spare in 0usize..100,
        aad in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let p = data(len, 13);
        let mut buf = Vec::with_capacity(len + spare);
        buf.extend_from_slice(&p);
        encrypt_in_place(&key(5), &aad, &mut buf).unwrap();
        prop_assert_eq!(buf.len() as u64, ciphertext_len(len as u64));
        prop_assert_eq!(decrypt(&key(5), &aad, &buf).unwrap(), p.clone());

        let mut w = match hint {
            None => BodyWriter::new(&key(5), &aad, Vec::new()).unwrap(),
            Some(h) => BodyWriter::with_expected_len(&key(5), &aad, Vec::new(), h).unwrap(),
        };
        w.update(&p).unwrap();
        let (body, n) = w.finish().unwrap();
        prop_assert_eq!(n, body.len() as u64);
        prop_assert_eq!(decrypt(&key(5), &aad, &body).unwrap(), p);
    }

    #[test]
    fn writes_and_reads_from_a_source_mix_and_round_trip(
        len in prop_oneof![0usize..300, (FIRST_PLAINTEXT_SEGMENT - 300)..(FIRST_PLAINTEXT_SEGMENT + 300),
                           (FIRST_PLAINTEXT_SEGMENT + PLAINTEXT_SEGMENT - 300)..(FIRST_PLAINTEXT_SEGMENT + PLAINTEXT_SEGMENT + 300)],
        cuts in proptest::collection::vec(any::<u32>(), 0..6),
        hint in prop_oneof![Just(None), (0u64..200_000).prop_map(Some)],
    ) {
        let p = data(len, 21);
        let mut at: Vec<usize> = cuts.iter().map(|c| *c as usize % (len + 1)).collect();
        at.push(0);
        at.push(len);
        at.sort_unstable();
        let mut w = match hint {
            None => BodyWriter::new(&key(7), b"m", Vec::new()).unwrap(),
            Some(h) => BodyWriter::with_expected_len(&key(7), b"m", Vec::new(), h).unwrap(),
        };
        // Alternate: slices copied in, then pieces read straight from a source.
        for (k, win) in at.windows(2).enumerate() {
            let piece = &p[win[0]..win[1]];
            if k % 2 == 0 {
                w.update(piece).unwrap();
            } else {
                let mut src = piece;
                w.update_from(&mut src, piece.len() as u64).unwrap();
            }
        }
        let (body, n) = w.finish().unwrap();
        prop_assert_eq!(n, body.len() as u64);
        prop_assert_eq!(decrypt(&key(7), b"m", &body).unwrap(), p.clone());
        // A source that ends early is refused.
        let mut w = BodyWriter::new(&key(7), b"m", Vec::new()).unwrap();
        let mut src = &p[..];
        prop_assert!(matches!(
            w.update_from(&mut src, len as u64 + 1),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn ranges_equal_slices_of_the_plaintext(
        len in 0usize..(FIRST_PLAINTEXT_SEGMENT + 2 * PLAINTEXT_SEGMENT + 500),
        a in any::<u64>(), b in any::<u64>(),
    ) {
        let p = data(len, 11);
        let body = encrypt(&key(6), b"x", &p).unwrap();
        let (off, l) = if len == 0 { (0, 0) } else {
            let off = a % len as u64;
            (off, b % (len as u64 - off + 1))
        };
        let got = decrypt_range(&key(6), b"x", body.len() as u64, &mut &body[..], off, l).unwrap();
        prop_assert_eq!(&got[..], &p[off as usize..(off + l) as usize]);
    }

    #[test]
    fn any_flipped_bit_fails(len in 0usize..(FIRST_PLAINTEXT_SEGMENT + 1000), pos in any::<usize>(), bit in 0u8..8) {
        let p = data(len, 2);
        let mut body = encrypt(&key(8), b"", &p).unwrap();
        let i = pos % body.len();
        body[i] ^= 1 << bit;
        prop_assert!(decrypt(&key(8), b"", &body).is_err());
    }
}

#[test]
fn absurd_expected_lengths_are_only_a_hint() {
    for hint in [u64::MAX, u64::MAX - 100, 1 << 40, 0] {
        let mut w = BodyWriter::with_expected_len(&key(2), b"h", Vec::new(), hint).unwrap();
        w.update(b"short").unwrap();
        let body = w.finish().unwrap().0;
        assert_eq!(decrypt(&key(2), b"h", &body).unwrap(), b"short");
        // A source shorter than a huge declared length is refused, not a panic.
        let mut w = BodyWriter::with_expected_len(&key(2), b"h", Vec::new(), hint).unwrap();
        let r = w.update_from(&mut &b"short"[..], hint);
        assert_eq!(r.is_ok(), hint == 0, "hint {hint}");
    }
}

#[test]
fn range_outside_the_object_is_refused() {
    let body = encrypt(&key(1), b"", b"hello").unwrap();
    let r = decrypt_range(&key(1), b"", body.len() as u64, &mut &body[..], 3, 3);
    assert!(matches!(r, Err(StoreError::Invalid(_))));
}
