//! Store behaviour: round trips, ranges, rotation and rewrap, shredding, retention, derived
//! artifacts, access policy and audit, fault injection.
#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)] // test data and set-up

mod common;
use common::*;
use phi_store::audit::{AuditEvent, KeyOp, RetentionOp};
use phi_store::backend::{Backend, Fault, FaultyBackend, FsBackend, MemoryBackend};
use phi_store::keys::{KeyProvider, LocalKeyring};
use phi_store::policy::{AccessContext, Action, Decision, Principal, Purpose, RolePolicy, Rule};
use phi_store::retention::{RetentionPolicy, RetentionRules};
use phi_store::stream::{FIRST_PLAINTEXT_SEGMENT, PLAINTEXT_SEGMENT};
use phi_store::{Store, StoreError};
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn filesystem_round_trip_and_page_range() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_with(
        FsBackend::open(&dir.path().join("data")).unwrap(),
        Arc::new(LocalKeyring::in_memory()),
    );
    let t = tenant("clinic-a");
    let doc = page(FIRST_PLAINTEXT_SEGMENT + 3 * PLAINTEXT_SEGMENT + 1234, 1);
    let id = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), &doc)
        .unwrap();
    assert_eq!(env.store.get_bytes(&admin(), &t, id).unwrap(), doc);
    // "Page 3": a range inside the fourth segment.
    let off = (FIRST_PLAINTEXT_SEGMENT + 2 * PLAINTEXT_SEGMENT + 10) as u64;
    let got = env.store.get_range(&admin(), &t, id, off, 5000).unwrap();
    assert_eq!(got, doc[off as usize..off as usize + 5000]);
    let info = env.store.head(&admin(), &t, id).unwrap();
    assert_eq!(info.length, doc.len() as u64);
    assert_eq!(info.created_ms, T0);
    assert!(!info.shredded && info.derived.is_none());
    // Nothing in the data root contains the plaintext or key material in clear.
    for name in env.store.backend().list("").unwrap() {
        let b = env.store.backend().get(&name).unwrap();
        assert!(
            !b.windows(64).any(|w| w == &doc[1000..1064]),
            "{name} holds plaintext"
        );
    }
    let verify = env.store.verify(&admin(), &t).unwrap();
    assert_eq!((verify.ok, verify.failed.len()), (1, 0));
}

#[test]
fn create_only_put_never_overwrites() {
    let b = MemoryBackend::new();
    b.put_new("x/a.b", b"one").unwrap();
    assert!(matches!(
        b.put_new("x/a.b", b"two"),
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(b.get("x/a.b").unwrap(), b"one");
    let dir = tempfile::tempdir().unwrap();
    let fs = FsBackend::open(dir.path()).unwrap();
    fs.put_new("x/a.b", b"one").unwrap();
    assert!(matches!(
        fs.put_new("x/a.b", b"two"),
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(fs.get("x/a.b").unwrap(), b"one");
    assert!(matches!(
        fs.put_new("../escape", b""),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn rotate_rewrap_touches_only_headers_then_retire() {
    let env = memory_env();
    let t = tenant("clinic-a");
    let ids: Vec<_> = (0..3)
        .map(|i| {
            env.store
                .put_bytes(&admin(), &t, &class("inbound"), tiff(), &page(70_000, i))
                .unwrap()
        })
        .collect();
    let objects: Vec<_> = ids
        .iter()
        .map(|id| {
            env.store
                .backend()
                .get(&format!("clinic-a/{id}.o"))
                .unwrap()
        })
        .collect();
    assert_eq!(env.store.rotate(&admin(), &t).unwrap(), 1);
    let rep = env.store.rewrap(&admin(), &t).unwrap();
    assert_eq!((rep.rewrapped, rep.current), (3, 0));
    for (i, id) in ids.iter().enumerate() {
        // The object blob (embedded header and body) is untouched; a new header was written.
        let be = env.store.backend();
        assert_eq!(be.get(&format!("clinic-a/{id}.o")).unwrap(), objects[i]);
        let h = be.get(&format!("clinic-a/{id}.h")).unwrap();
        assert_ne!(h, objects[i][..h.len()]);
        assert_eq!(
            env.store.get_bytes(&admin(), &t, *id).unwrap(),
            page(70_000, i as u8)
        );
    }
    // Running it again finds nothing to do (resumable, idempotent).
    assert_eq!(env.store.rewrap(&admin(), &t).unwrap().current, 3);
    // An object left on version 2 when version 3 arrives, then retire: RetiredKeyVersion.
    env.store.rotate(&admin(), &t).unwrap();
    let kept_old = ids[0];
    env.store.retire_old_versions(&admin(), &t).unwrap();
    assert!(matches!(
        env.store.get_bytes(&admin(), &t, kept_old),
        Err(StoreError::RetiredKeyVersion)
    ));
    let events = env.audit.events();
    assert!(events.iter().any(|e| matches!(
        e,
        AuditEvent::Key {
            op: KeyOp::Rewrap,
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        AuditEvent::Key {
            op: KeyOp::Retire,
            ..
        }
    )));
}

#[test]
fn shred_object_and_class() {
    let env = memory_env();
    let t = tenant("clinic-a");
    let a = env
        .store
        .put_bytes(&admin(), &t, &class("outbound"), tiff(), b"page a")
        .unwrap();
    let b = env
        .store
        .put_bytes(&admin(), &t, &class("outbound"), tiff(), b"page b")
        .unwrap();
    let c = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), b"page c")
        .unwrap();
    env.store.shred(&admin(), &t, a).unwrap();
    assert!(matches!(
        env.store.get_bytes(&admin(), &t, a),
        Err(StoreError::Shredded)
    ));
    assert!(env.store.head(&admin(), &t, a).unwrap().shredded);
    assert!(matches!(
        env.store.backend().get(&format!("clinic-a/{a}.o")),
        Err(StoreError::NotFound)
    ));
    env.store
        .shred_class(&admin(), &t, &class("outbound"))
        .unwrap();
    assert!(matches!(
        env.store.get_bytes(&admin(), &t, b),
        Err(StoreError::Shredded)
    ));
    assert_eq!(env.store.get_bytes(&admin(), &t, c).unwrap(), b"page c");
    // New puts into a destroyed class fail rather than silently re-creating the KEK.
    assert!(matches!(
        env.store
            .put_bytes(&admin(), &t, &class("outbound"), tiff(), b"x"),
        Err(StoreError::Shredded)
    ));
    assert!(env.audit.events().iter().any(|e| matches!(
        e,
        AuditEvent::Key {
            op: KeyOp::DestroyKek,
            ..
        }
    )));
}

fn fax_retention() -> RetentionRules {
    RetentionRules::keep_all()
        .with_class(
            class("outbound"),
            RetentionPolicy {
                content_after_final_delivery: Some(Duration::from_secs(30 * 60)),
                metadata_after_creation: Some(Duration::from_secs(6 * 366 * 86400)),
                ..RetentionPolicy::default()
            },
        )
        .with_class(
            class("inbound"),
            RetentionPolicy {
                content_after_creation: Some(Duration::from_secs(7 * 366 * 86400)),
                minimum: Some(Duration::from_secs(86400)),
                ..RetentionPolicy::default()
            },
        )
}

#[test]
fn sweeper_deletes_content_30_minutes_after_final_delivery_keeps_metadata() {
    let mut env = memory_env();
    env.store = env.store.with_retention(fax_retention());
    let t = tenant("clinic-a");
    let out = env
        .store
        .put_bytes(&admin(), &t, &class("outbound"), tiff(), b"referral")
        .unwrap();
    let held = env
        .store
        .put_bytes(&admin(), &t, &class("outbound"), tiff(), b"held")
        .unwrap();
    let inb = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), b"lab result")
        .unwrap();
    env.clock.advance(Duration::from_secs(3600));
    // Not delivered yet: nothing expires, however long it waits.
    assert_eq!(env.store.sweep(&admin(), &t).unwrap().content_expired, 0);
    env.store.mark_final_delivery(&admin(), &t, out).unwrap();
    env.store.mark_final_delivery(&admin(), &t, held).unwrap();
    env.store.set_legal_hold(&admin(), &t, held, true).unwrap();
    env.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(env.store.sweep(&admin(), &t).unwrap().content_expired, 0);
    assert_eq!(env.store.get_bytes(&admin(), &t, out).unwrap(), b"referral");
    env.clock.advance(Duration::from_secs(60));
    let rep = env.store.sweep(&admin(), &t).unwrap();
    assert_eq!((rep.content_expired, rep.held), (1, 1));
    assert!(matches!(
        env.store.get_bytes(&admin(), &t, out),
        Err(StoreError::Shredded)
    ));
    let meta = env.store.head(&admin(), &t, out).unwrap();
    assert!(meta.shredded && meta.length == 8);
    assert_eq!(env.store.get_bytes(&admin(), &t, held).unwrap(), b"held");
    assert_eq!(
        env.store.get_bytes(&admin(), &t, inb).unwrap(),
        b"lab result"
    );
    // Releasing the hold lets the next sweep expire it.
    env.store.set_legal_hold(&admin(), &t, held, false).unwrap();
    assert_eq!(env.store.sweep(&admin(), &t).unwrap().content_expired, 1);
    // Seven years later the inbound image expires, and the outbound metadata is gone.
    env.clock.advance(Duration::from_secs(7 * 366 * 86400));
    let rep = env.store.sweep(&admin(), &t).unwrap();
    assert_eq!(rep.metadata_expired, 2);
    assert_eq!(rep.content_expired, 1);
    assert!(matches!(
        env.store.head(&admin(), &t, out),
        Err(StoreError::NotFound)
    ));
    assert!(env.audit.events().iter().any(|e| matches!(
        e,
        AuditEvent::Retention {
            op: RetentionOp::ExpireContent,
            ..
        }
    )));
}

#[test]
fn minimum_retention_and_hold_block_delete_and_shred() {
    let mut env = memory_env();
    env.store = env.store.with_retention(fax_retention());
    let t = tenant("clinic-a");
    let id = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), b"x")
        .unwrap();
    assert!(matches!(
        env.store.delete(&admin(), &t, id),
        Err(StoreError::Retained)
    ));
    assert!(matches!(
        env.store.shred(&admin(), &t, id),
        Err(StoreError::Retained)
    ));
    env.clock.advance(Duration::from_secs(2 * 86400));
    env.store.set_legal_hold(&admin(), &t, id, true).unwrap();
    assert!(matches!(
        env.store.delete(&admin(), &t, id),
        Err(StoreError::Retained)
    ));
    assert!(matches!(
        env.store.shred_class(&admin(), &t, &class("inbound")),
        Err(StoreError::Retained)
    ));
    env.store.set_legal_hold(&admin(), &t, id, false).unwrap();
    env.store.delete(&admin(), &t, id).unwrap();
    assert!(matches!(
        env.store.get_bytes(&admin(), &t, id),
        Err(StoreError::NotFound)
    ));
}

#[test]
fn derived_artifacts_link_to_the_original_and_never_replace_it() {
    let env = memory_env();
    let t = tenant("clinic-a");
    let orig = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), b"scan")
        .unwrap();
    let text = phi_store::ContentType::new("text/plain").unwrap();
    let d = env
        .store
        .put_derived(
            &admin(),
            &t,
            orig,
            &class("ocr"),
            "ocr-tool 1.2, lang=en",
            text.clone(),
            b"OCR text",
        )
        .unwrap();
    assert_ne!(d, orig);
    let info = env.store.head(&admin(), &t, d).unwrap();
    let der = info.derived.unwrap();
    assert_eq!(der.original, orig);
    assert_eq!(der.provenance, "ocr-tool 1.2, lang=en");
    assert!(env
        .store
        .head(&admin(), &t, orig)
        .unwrap()
        .derived
        .is_none());
    assert_eq!(env.store.get_bytes(&admin(), &t, orig).unwrap(), b"scan");
    let missing = phi_store::ObjectId([9; 16]);
    assert!(matches!(
        env.store
            .put_derived(&admin(), &t, missing, &class("ocr"), "x", text, b"y"),
        Err(StoreError::NotFound)
    ));
}

#[test]
fn policy_decides_every_operation_and_every_decision_is_audited() {
    let audit = Arc::new(phi_store::audit::MemoryAudit::default());
    let policy = RolePolicy::deny_all().allow(Rule {
        role: "clinician".into(),
        actions: vec![Action::Get, Action::Put, Action::Head],
        purposes: vec![Purpose::Treatment, Purpose::ModelTraining],
        tenants: Some(vec![tenant("clinic-a")]),
        classes: Some(vec![class("inbound")]),
    });
    let store = Store::new(MemoryBackend::new(), LocalKeyring::in_memory())
        .with_policy(policy)
        .with_audit(audit.clone());
    let t = tenant("clinic-a");
    let doc = AccessContext::new(
        Principal::new("dr-a").unwrap(),
        "clinician",
        Purpose::Treatment,
    );
    let id = store
        .put_bytes(&doc, &t, &class("inbound"), tiff(), b"x")
        .unwrap();
    assert_eq!(store.get_bytes(&doc, &t, id).unwrap(), b"x");
    let denied = [
        AccessContext::new(
            Principal::new("dr-a").unwrap(),
            "clinician",
            Purpose::ModelTraining,
        ),
        AccessContext::new(
            Principal::new("dr-a").unwrap(),
            "clinician",
            Purpose::Payment,
        ),
        AccessContext::new(
            Principal::new("bill").unwrap(),
            "billing",
            Purpose::Treatment,
        ),
    ];
    for ctx in &denied {
        assert!(matches!(
            store.get_bytes(ctx, &t, id),
            Err(StoreError::Denied)
        ));
    }
    assert!(matches!(
        store.delete(&doc, &t, id),
        Err(StoreError::Denied)
    ));
    assert!(matches!(
        store.export_sealed(&doc, &t, id),
        Err(StoreError::Denied)
    ));
    assert!(matches!(
        store.put_bytes(&doc, &t, &class("outbound"), tiff(), b"x"),
        Err(StoreError::Denied)
    ));
    assert!(matches!(
        store.put_bytes(&doc, &tenant("clinic-b"), &class("inbound"), tiff(), b"x"),
        Err(StoreError::Denied)
    ));
    let decisions: Vec<Decision> = audit
        .events()
        .iter()
        .filter_map(|e| match e {
            AuditEvent::Access { decision, .. } => Some(*decision),
            _ => None,
        })
        .collect();
    assert_eq!(
        decisions.iter().filter(|d| **d == Decision::Allow).count(),
        2
    );
    assert_eq!(
        decisions.iter().filter(|d| **d == Decision::Deny).count(),
        7
    );
    // A denied get never unwraps a key.
    let unwraps = audit
        .events()
        .iter()
        .filter(|e| {
            matches!(
                e,
                AuditEvent::Key {
                    op: KeyOp::Unwrap,
                    ..
                }
            )
        })
        .count();
    assert_eq!(unwraps, 1);
    // Model training only when switched on.
    let p = RolePolicy::deny_all().allow_model_training().allow(Rule {
        role: "ml".into(),
        actions: vec![Action::Get],
        purposes: vec![Purpose::ModelTraining],
        tenants: None,
        classes: None,
    });
    let req_ctx = AccessContext::new(
        Principal::new("trainer").unwrap(),
        "ml",
        Purpose::ModelTraining,
    );
    let req = phi_store::policy::AccessRequest {
        ctx: &req_ctx,
        action: Action::Get,
        tenant: &t,
        class: None,
        object: None,
    };
    assert_eq!(phi_store::policy::Policy::decide(&p, &req), Decision::Allow);
    assert!(Principal::new("").is_err());
}

#[test]
fn tenants_are_isolated_by_namespace_and_key() {
    let env = memory_env();
    let a = tenant("clinic-a");
    let b = tenant("clinic-b");
    let id = env
        .store
        .put_bytes(&admin(), &a, &class("inbound"), tiff(), b"a's fax")
        .unwrap();
    assert!(matches!(
        env.store.get_bytes(&admin(), &b, id),
        Err(StoreError::NotFound)
    ));
    // Plant a's object in b's namespace: its header says clinic-a.
    let be = env.store.backend();
    be.insert_raw(
        &format!("clinic-b/{id}.o"),
        be.get(&format!("clinic-a/{id}.o")).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        env.store.get_bytes(&admin(), &b, id),
        Err(StoreError::WrongTenant)
    ));
    assert_eq!(env.store.keys().kek_ids().len(), 1);
    // Rotation is per tenant: rotating clinic-b leaves clinic-a's KEK alone.
    assert_eq!(env.store.rotate(&admin(), &b).unwrap(), 0);
    assert_eq!(env.store.rotate(&admin(), &a).unwrap(), 1);
}

#[test]
fn failed_writes_are_never_acknowledged_or_readable() {
    let keys = Arc::new(LocalKeyring::in_memory());
    let faulty = Arc::new(FaultyBackend::new(MemoryBackend::new()));
    let env = env_with(faulty.clone(), keys);
    let t = tenant("clinic-a");
    for fault in [
        Fault::FailMutation(0),
        Fault::FailAfterBytes(100),
        Fault::FailAfterBytes(100_000),
    ] {
        faulty.arm(fault);
        let r = env
            .store
            .put_bytes(&admin(), &t, &class("inbound"), tiff(), &page(200_000, 1));
        assert!(r.is_err(), "{fault:?}");
        faulty.arm(Fault::None);
        assert!(env.store.list(&t).unwrap().is_empty(), "{fault:?}");
    }
    // Nothing at all was left behind (one blob per object, published only on commit).
    assert!(faulty.inner().list("").unwrap().is_empty());
    // Rewrap interrupted by a failing header replace resumes.
    let ids: Vec<_> = (0..4)
        .map(|i| {
            env.store
                .put_bytes(&admin(), &t, &class("inbound"), tiff(), &page(10, i))
                .unwrap()
        })
        .collect();
    env.store.rotate(&admin(), &t).unwrap();
    faulty.arm(Fault::FailMutation(2));
    assert!(env.store.rewrap(&admin(), &t).is_err());
    faulty.arm(Fault::None);
    let rep = env.store.rewrap(&admin(), &t).unwrap();
    assert_eq!((rep.rewrapped, rep.current), (2, 2));
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(
            env.store.get_bytes(&admin(), &t, *id).unwrap(),
            page(10, i as u8)
        );
    }
    faulty.arm(Fault::FailReads);
    assert!(matches!(
        env.store.get_bytes(&admin(), &t, ids[0]),
        Err(StoreError::Injected)
    ));
}

#[test]
fn key_file_round_trip_wrong_passphrase_and_tamper() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys");
    let t = tenant("clinic-a");
    let data = tempfile::tempdir().unwrap();
    let id = {
        let kr = LocalKeyring::create(&path, b"correct horse", 1000).unwrap();
        let env = env_with(FsBackend::open(data.path()).unwrap(), kr);
        let id = env
            .store
            .put_bytes(&admin(), &t, &class("inbound"), tiff(), b"persisted")
            .unwrap();
        env.store.rotate(&admin(), &t).unwrap();
        id
    };
    assert!(matches!(
        LocalKeyring::create(&path, b"x", 1000),
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        LocalKeyring::open(&path, b"wrong"),
        Err(StoreError::KeyFile)
    ));
    let kr = LocalKeyring::open(&path, b"correct horse").unwrap();
    let kek = kr.kek_ids()[0].clone();
    assert_eq!(kr.primary_version(&kek).unwrap(), Some(2));
    let env = env_with(FsBackend::open(data.path()).unwrap(), kr);
    assert_eq!(env.store.get_bytes(&admin(), &t, id).unwrap(), b"persisted");
    // Any flipped byte of the key file is refused.
    let bytes = std::fs::read(&path).unwrap();
    for i in [0, 9, 20, 35, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        std::fs::write(&path, &b).unwrap();
        assert!(
            matches!(
                LocalKeyring::open(&path, b"correct horse"),
                Err(StoreError::KeyFile)
            ),
            "byte {i}"
        );
    }
    // A different key file (other KEK material, same KEK id): nothing decrypts.
    std::fs::remove_file(&path).unwrap();
    let other = LocalKeyring::create(&path, b"p", 1000).unwrap();
    let env2 = env_with(FsBackend::open(data.path()).unwrap(), other);
    assert!(matches!(
        env2.store.get_bytes(&admin(), &t, id),
        Err(StoreError::UnknownKey)
    ));
    env2.store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), b"new kek v1")
        .unwrap();
    env2.store.rotate(&admin(), &t).unwrap();
    assert!(matches!(
        env2.store.get_bytes(&admin(), &t, id),
        Err(StoreError::Integrity)
    ));
}

#[test]
fn keys_and_errors_never_print_key_material_or_content() {
    let dek = phi_store::keys::DataKey::dangerous_from_bytes([0xab; 32]);
    assert_eq!(format!("{dek:?}"), "DataKey(..)");
    let dir = tempfile::tempdir().unwrap();
    let kr = LocalKeyring::create(&dir.path().join("k"), b"secret passphrase", 1000).unwrap();
    let env = env_with(MemoryBackend::new(), kr);
    let t = tenant("clinic-a");
    let secret = b"patient John Q. Public, fax +1 555 0100";
    let id = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), secret)
        .unwrap();
    assert_eq!(format!("{:?}", env.store.keys()), "LocalKeyring(..)");
    // Error texts and audit events carry no content, passphrase or key bytes.
    env.store
        .backend()
        .edit(&format!("clinic-a/{id}.o"), |v| {
            let n = v.len();
            v[n - 1] ^= 1;
        })
        .unwrap();
    let e = env.store.get_bytes(&admin(), &t, id).unwrap_err();
    let texts = [
        format!("{e}"),
        format!("{e:?}"),
        format!("{:?}", env.audit.events()),
    ];
    for text in texts {
        assert!(!text.contains("John"), "{text}");
        // Whole phrases only: short digit or hex runs also occur in random object ids.
        assert!(!text.contains("555 0100"), "{text}");
        assert!(!text.contains("secret passphrase"), "{text}");
        assert!(!text.to_lowercase().contains("abababababababab"), "{text}");
    }
}

/// A reader that hands out at most `step` bytes per call (files and pipes return short reads).
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn put_from_a_reader_round_trips_and_refuses_a_wrong_length() {
    let env = memory_env();
    let t = tenant("clinic-r");
    let c = class("inbound");
    let f = FIRST_PLAINTEXT_SEGMENT;
    let p = PLAINTEXT_SEGMENT;
    for (len, step) in [
        (0, 1),
        (1, 1),
        (f, 4096),
        (f + 1, 70_000),
        (f + p, 999),
        (f + 2 * p + 3, 65_536),
    ] {
        let doc = page(len, 4);
        let mut src = Trickle { data: &doc, step };
        let id = env
            .store
            .put(&admin(), &t, &c, tiff(), len as u64, &mut src)
            .unwrap();
        assert_eq!(
            env.store.get_bytes(&admin(), &t, id).unwrap(),
            doc,
            "len {len}"
        );
        assert_eq!(env.store.head(&admin(), &t, id).unwrap().length, len as u64);
    }
    let stored = env.store.backend().list("").unwrap().len();
    // Shorter and longer than declared, at and away from segment boundaries: refused, and
    // nothing new is stored.
    for (declared, actual) in [
        (f as u64 + 1, f),
        (f as u64, f + 1),
        (10, 9),
        (0, 1),
        (f as u64 + p as u64, f + p - 1),
    ] {
        let doc = page(actual, 5);
        let mut src = Trickle {
            data: &doc,
            step: 3000,
        };
        let r = env.store.put(&admin(), &t, &c, tiff(), declared, &mut src);
        assert!(
            matches!(r, Err(StoreError::Invalid(_))),
            "{declared} vs {actual}: {r:?}"
        );
    }
    // An absurd declared length is refused when the content ends, not a panic.
    let mut src = Trickle {
        data: b"tiny",
        step: 4,
    };
    let r = env.store.put(&admin(), &t, &c, tiff(), u64::MAX, &mut src);
    assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
    assert_eq!(env.store.backend().list("").unwrap().len(), stored);
}
