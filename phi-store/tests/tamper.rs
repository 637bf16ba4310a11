//! Tampering: every header byte, every way of moving, swapping, truncating, extending and
//! reordering; wrong key, wrong tenant, retired KEK version and shredded objects. Each gives a
//! typed, detail-free error and returns no plaintext.
#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)] // test data and set-up

mod common;
use common::*;
use phi_store::backend::Backend;
use phi_store::format::Header;
use phi_store::stream::{FIRST_PLAINTEXT_SEGMENT, PLAINTEXT_SEGMENT, SEGMENT_SIZE};
use phi_store::{open_sealed, StoreError};

fn detail_free(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Integrity
            | StoreError::Malformed
            | StoreError::WrongTenant
            | StoreError::UnknownKey
            | StoreError::RetiredKeyVersion
            | StoreError::Shredded
    )
}

#[test]
fn every_header_byte_and_bit_pattern_is_detected() {
    let env = memory_env();
    let t = tenant("clinic-a");
    let doc = page(FIRST_PLAINTEXT_SEGMENT + 10, 4);
    let id = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), &doc)
        .unwrap();
    let sealed = env.store.export_sealed(&admin(), &t, id).unwrap();
    assert_eq!(open_sealed(env.store.keys(), &t, &sealed).unwrap().1, doc);
    let (_, header_len) = Header::parse(&sealed).unwrap();
    for i in 0..header_len {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = sealed.clone();
            bad[i] ^= flip;
            match open_sealed(env.store.keys(), &t, &bad) {
                Ok(_) => panic!("header byte {i} ^ {flip:#x} accepted"),
                Err(e) => assert!(detail_free(&e), "byte {i}: {e:?}"),
            }
            // The same through the store: as a replacement header, and inside the object.
            let be = env.store.backend();
            let (h_name, o_name) = (format!("clinic-a/{id}.h"), format!("clinic-a/{id}.o"));
            be.insert_raw(&h_name, bad[..header_len].to_vec()).unwrap();
            let r = env.store.get_bytes(&admin(), &t, id);
            assert!(
                r.as_ref().is_err_and(detail_free),
                "store .h, byte {i}: {r:?}"
            );
            be.delete(&h_name).unwrap();
            be.insert_raw(&o_name, bad.clone()).unwrap();
            let r = env.store.get_bytes(&admin(), &t, id);
            assert!(
                r.as_ref().is_err_and(detail_free),
                "store .o, byte {i}: {r:?}"
            );
            let r = env.store.get_range(&admin(), &t, id, 0, 1);
            assert!(
                r.as_ref().is_err_and(detail_free),
                "store .o range, byte {i}: {r:?}"
            );
            be.insert_raw(&o_name, sealed.clone()).unwrap();
        }
    }
    // Body bytes: a sample of positions in each segment, and the body header.
    for i in (header_len..sealed.len()).step_by(997).chain([
        header_len,
        header_len + 39,
        sealed.len() - 1,
    ]) {
        let mut bad = sealed.clone();
        bad[i] ^= 0x20;
        assert!(
            matches!(
                open_sealed(env.store.keys(), &t, &bad),
                Err(StoreError::Integrity)
            ),
            "body byte {i}"
        );
    }
    // Trailing garbage and truncation anywhere.
    let mut longer = sealed.clone();
    longer.push(0);
    assert!(matches!(
        open_sealed(env.store.keys(), &t, &longer),
        Err(StoreError::Integrity)
    ));
    for cut in [1, 16, 17, 1000, sealed.len() - header_len] {
        let r = open_sealed(env.store.keys(), &t, &sealed[..sealed.len() - cut]);
        assert!(r.as_ref().is_err_and(detail_free), "cut {cut}");
    }
    assert!(matches!(
        open_sealed(env.store.keys(), &tenant("clinic-b"), &sealed),
        Err(StoreError::WrongTenant)
    ));
}

#[test]
fn bodies_and_headers_cannot_be_moved_swapped_truncated_or_reordered() {
    let env = memory_env();
    let t = tenant("clinic-a");
    let len = FIRST_PLAINTEXT_SEGMENT + 2 * PLAINTEXT_SEGMENT + 5;
    let a = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), &page(len, 1))
        .unwrap();
    let b = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), &page(len, 2))
        .unwrap();
    let be = env.store.backend();
    let (ao, bo) = (format!("clinic-a/{a}.o"), format!("clinic-a/{b}.o"));
    let ah = format!("clinic-a/{a}.h");
    let (ao0, bo0) = (be.get(&ao).unwrap(), be.get(&bo).unwrap());
    let (ha, la) = Header::parse(&ao0).unwrap();
    let (hb, lb) = Header::parse(&bo0).unwrap();
    let (ah0, ab0) = ao0.split_at(la);
    let (bh0, bb0) = bo0.split_at(lb);
    let restore = || {
        be.insert_raw(&ao, ao0.clone()).unwrap();
        be.delete(&ah).unwrap();
    };
    let set_a = |header: &[u8], body: &[u8]| be.insert_raw(&ao, [header, body].concat()).unwrap();
    let expect_integrity = |what: &str| {
        let r = env.store.get_bytes(&admin(), &t, a);
        assert!(matches!(r, Err(StoreError::Integrity)), "{what}: {r:?}");
        let r = env.store.get_range(&admin(), &t, a, 0, 10);
        assert!(
            matches!(r, Err(StoreError::Integrity)),
            "{what} (range): {r:?}"
        );
    };
    // Move b's body under a's header (same length).
    set_a(ah0, bb0);
    expect_integrity("body moved");
    restore();
    // Swap headers: b's header inside a's object, and b's header as a's replacement header.
    set_a(bh0, ab0);
    expect_integrity("header swapped");
    restore();
    be.insert_raw(&ah, bh0.to_vec()).unwrap();
    expect_integrity("replacement header from another object");
    restore();
    // b's key slot in a's header: the wrapped key belongs to another header.
    let mut mixed = ha.clone();
    mixed.slot = hb.slot.clone();
    set_a(&mixed.encode(), ab0);
    expect_integrity("key slot moved");
    restore();
    be.insert_raw(&ah, mixed.encode()).unwrap();
    expect_integrity("key slot moved (replacement header)");
    restore();
    // Truncate to a segment boundary, drop the last segment, extend, reorder.
    be.edit(&ao, |v| v.truncate(la + 2 * SEGMENT_SIZE)).unwrap();
    expect_integrity("truncated at boundary");
    restore();
    be.edit(&ao, |v| v.truncate(v.len() - 1)).unwrap();
    expect_integrity("truncated by one");
    restore();
    be.edit(&ao, |v| v.extend_from_slice(&[0; 16])).unwrap();
    expect_integrity("extended");
    restore();
    be.edit(&ao, |v| {
        let (x, y) = v[la + SEGMENT_SIZE..la + 3 * SEGMENT_SIZE].split_at_mut(SEGMENT_SIZE);
        x.swap_with_slice(y);
    })
    .unwrap();
    // Same length, so the size check passes; segment 1 fails its tag.
    assert!(matches!(
        env.store.get_bytes(&admin(), &t, a),
        Err(StoreError::Integrity)
    ));
    assert!(matches!(
        env.store
            .get_range(&admin(), &t, a, FIRST_PLAINTEXT_SEGMENT as u64, 1),
        Err(StoreError::Integrity)
    ));
    // Segment 0 is untouched, so a range inside it still reads: ranges open only what they need.
    assert_eq!(
        env.store.get_range(&admin(), &t, a, 0, 10).unwrap(),
        page(len, 1)[..10]
    );
    restore();
    assert_eq!(env.store.get_bytes(&admin(), &t, a).unwrap(), page(len, 1));
    let v = env.store.verify(&admin(), &t).unwrap();
    assert_eq!((v.ok, v.failed.len()), (2, 0));
    // verify reports a damaged object without returning plaintext.
    be.edit(&bo, |v| v[lb + 100] ^= 1).unwrap();
    let v = env.store.verify(&admin(), &t).unwrap();
    assert_eq!((v.ok, v.failed.len()), (1, 1));
    assert_eq!(v.failed[0].0, b.to_string());
    // After a rewrap the header inside `.o` is no longer used to read, but verify still checks
    // that it describes the same object.
    env.store.rotate(&admin(), &t).unwrap();
    // Rewrap reads only headers, so the damaged body of b does not stop it.
    assert_eq!(env.store.rewrap(&admin(), &t).unwrap().rewrapped, 2);
    be.edit(&ao, |v| v[20] ^= 1).unwrap();
    assert_eq!(env.store.get_bytes(&admin(), &t, a).unwrap(), page(len, 1));
    let v = env.store.verify(&admin(), &t).unwrap();
    assert_eq!((v.ok, v.failed.len()), (0, 2));
}

#[test]
fn wrong_key_retired_version_unknown_version_and_shredded_are_typed() {
    let env = memory_env();
    let t = tenant("clinic-a");
    let id = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), b"fax")
        .unwrap();
    let sealed = env.store.export_sealed(&admin(), &t, id).unwrap();
    // Another provider that never saw this KEK.
    let other = phi_store::keys::LocalKeyring::in_memory();
    assert!(matches!(
        open_sealed(&other, &t, &sealed),
        Err(StoreError::UnknownKey)
    ));
    // A KEK version that does not exist yet.
    let (mut h, len) = Header::parse(&sealed).unwrap();
    if let phi_store::format::KeySlot::Wrapped { version, .. } = &mut h.slot {
        *version = 7;
    }
    let mut bumped = h.encode();
    bumped.extend_from_slice(&sealed[len..]);
    assert!(matches!(
        open_sealed(env.store.keys(), &t, &bumped),
        Err(StoreError::UnknownKey)
    ));
    // Retire version 1 after rotating (without rewrap).
    env.store.rotate(&admin(), &t).unwrap();
    env.store.retire_old_versions(&admin(), &t).unwrap();
    assert!(matches!(
        env.store.get_bytes(&admin(), &t, id),
        Err(StoreError::RetiredKeyVersion)
    ));
    assert!(matches!(
        open_sealed(env.store.keys(), &t, &sealed),
        Err(StoreError::RetiredKeyVersion)
    ));
    // Shredded.
    let id2 = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), b"fax 2")
        .unwrap();
    let sealed2 = env.store.export_sealed(&admin(), &t, id2).unwrap();
    env.store.shred(&admin(), &t, id2).unwrap();
    assert!(matches!(
        env.store.get_bytes(&admin(), &t, id2),
        Err(StoreError::Shredded)
    ));
    assert!(matches!(
        env.store.get_range(&admin(), &t, id2, 0, 1),
        Err(StoreError::Shredded)
    ));
    // A backup copy of a class-shredded object is dead too.
    env.store
        .shred_class(&admin(), &t, &class("inbound"))
        .unwrap();
    assert!(matches!(
        open_sealed(env.store.keys(), &t, &sealed2),
        Err(StoreError::Shredded)
    ));
}
