//! SIGKILL crash tests on the filesystem backend: a child process (this test binary, run as
//! the ignored `crash_child` test) puts, rewraps or sweeps in a loop and reports each
//! acknowledged step on stdout; the parent kills it with SIGKILL at a pseudo-random moment,
//! then checks that every acknowledged object reads back intact, that nothing listed fails
//! verification (no half-written object is ever readable) and that rewrap resumes.
//!
//! `PHI_STORE_CRASH_KILLS` sets the number of kills per mode (default 70; 3 modes = 210).
#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)] // test data and set-up

mod common;
use common::*;
use phi_store::backend::FsBackend;
use phi_store::keys::LocalKeyring;
use phi_store::retention::{RetentionPolicy, RetentionRules};
use phi_store::{ObjectId, Store, StoreError};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const PASS: &[u8] = b"crash test passphrase";

fn retention() -> RetentionRules {
    RetentionRules::keep_all().with_class(
        class("outbound"),
        RetentionPolicy {
            content_after_creation: Some(Duration::ZERO),
            ..RetentionPolicy::default()
        },
    )
}

fn open_store(dir: &Path) -> Store<FsBackend, LocalKeyring> {
    let keys = LocalKeyring::open(&dir.join("keys"), PASS).unwrap();
    Store::new(FsBackend::open(&dir.join("data")).unwrap(), keys)
        .with_policy(admin_policy())
        .with_retention(retention())
}

fn content(seed: u64) -> Vec<u8> {
    // Mostly small objects (fax metadata, short pages), every 16th spanning 2-3 segments.
    let h = seed.wrapping_mul(2_654_435_761);
    let len = if seed % 16 == 0 {
        65_000 + (h % 100_000)
    } else {
        1 + h % 4_000
    } as usize;
    (0..len).map(|i| (i as u64 ^ seed) as u8).collect()
}

#[test]
#[ignore = "child process of sigkill_during_put_rewrap_and_sweep"]
fn crash_child() {
    let (Ok(dir), Ok(mode)) = (
        std::env::var("PHI_CRASH_DIR"),
        std::env::var("PHI_CRASH_MODE"),
    ) else {
        return;
    };
    let store = open_store(Path::new(&dir));
    let t = tenant_for(&mode);
    let mut out = std::io::stdout().lock();
    let start: u64 = std::env::var("PHI_CRASH_SEED").unwrap().parse().unwrap();
    for n in 0.. {
        let seed = start * 1000 + n;
        match mode.as_str() {
            "put" => {
                let id = store
                    .put_bytes(&admin(), &t, &class("inbound"), tiff(), &content(seed))
                    .unwrap();
                writeln!(out, "ack {id} {seed}").unwrap();
            }
            "rewrap" => {
                store.rotate(&admin(), &t).unwrap();
                store.rewrap(&admin(), &t).unwrap();
                writeln!(out, "rewrapped").unwrap();
            }
            _ => {
                let id = store
                    .put_bytes(&admin(), &t, &class("outbound"), tiff(), &content(seed))
                    .unwrap();
                writeln!(out, "ack {id} {seed}").unwrap();
                store.sweep(&admin(), &t).unwrap();
            }
        }
        out.flush().unwrap();
    }
}

/// Each mode works in its own tenant, so rewrap passes stay short.
fn tenant_for(mode: &str) -> phi_store::Tenant {
    tenant(match mode {
        "put" => "clinic-a",
        "rewrap" => "clinic-r",
        _ => "clinic-s",
    })
}

fn run_and_kill(dir: &Path, mode: &str, seed: u64, delay_ms: u64) -> String {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PHI_CRASH_DIR", dir)
        .env("PHI_CRASH_MODE", mode)
        .env("PHI_CRASH_SEED", seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(delay_ms));
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let mut s = String::new();
    child.stdout.take().unwrap().read_to_string(&mut s).unwrap();
    s
}

fn acknowledged(out: &str) -> Vec<(ObjectId, u64)> {
    out.lines()
        .filter_map(|l| {
            let mut w = l.strip_prefix("ack ")?.split(' ');
            Some((ObjectId::parse(w.next()?).ok()?, w.next()?.parse().ok()?))
        })
        .collect()
}

#[test]
fn sigkill_during_put_rewrap_and_sweep() {
    let kills: u64 = std::env::var("PHI_STORE_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(70);
    let dir = tempfile::tempdir().unwrap();
    LocalKeyring::create(&dir.path().join("keys"), PASS, 1000).unwrap();
    let mut acked: Vec<(ObjectId, u64)> = Vec::new();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next_delay = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        5 + rng % 60
    };
    // Objects that the rewrap children rewrap again and again.
    let mut rewrapped: Vec<(ObjectId, u64)> = Vec::new();
    {
        let store = open_store(dir.path());
        for s in 0..40 {
            let id = store
                .put_bytes(
                    &admin(),
                    &tenant_for("rewrap"),
                    &class("inbound"),
                    tiff(),
                    &content(s),
                )
                .unwrap();
            rewrapped.push((id, s));
        }
    }
    let mut total_kills = 0;
    for mode in ["put", "rewrap", "sweep"] {
        let t = tenant_for(mode);
        for k in 0..kills {
            let seed = total_kills + 1;
            let out = run_and_kill(dir.path(), mode, seed, next_delay());
            total_kills += 1;
            let new = acknowledged(&out);
            let store = open_store(dir.path());
            let old: &[(ObjectId, u64)] = match mode {
                "put" if k % 10 == 0 => &acked,
                "rewrap" => &rewrapped,
                _ => &[],
            };
            // Every acknowledged object reads back intact (or, for the swept class, was shredded).
            for (id, s) in new.iter().chain(old) {
                match store.get_bytes(&admin(), &t, *id) {
                    Ok(b) => assert_eq!(b, content(*s), "object {id} after kill {total_kills}"),
                    Err(StoreError::Shredded) if mode == "sweep" => {}
                    Err(e) => panic!(
                        "acknowledged {id} unreadable after kill {total_kills} ({mode}): {e:?}"
                    ),
                }
            }
            if mode == "put" {
                acked.extend(new);
            }
            if k % 10 == 9 || mode == "rewrap" {
                // Nothing listed is half-written: every object verifies (or is shredded).
                let v = store.verify(&admin(), &t).unwrap();
                assert!(
                    v.failed.is_empty(),
                    "after kill {total_kills} ({mode}): {:?}",
                    v.failed
                );
            }
            if mode == "rewrap" {
                // Resume: after one more rewrap everything is on the primary version.
                store.rewrap(&admin(), &t).unwrap();
                let rep = store.rewrap(&admin(), &t).unwrap();
                assert_eq!((rep.rewrapped, rep.current), (0, rewrapped.len()));
            }
        }
    }
    assert!(total_kills >= 3 * kills);
    let store = open_store(dir.path());
    let t = tenant_for("put");
    for (id, s) in &acked {
        assert_eq!(store.get_bytes(&admin(), &t, *id).unwrap(), content(*s));
    }
    let v = store.verify(&admin(), &t).unwrap();
    assert!(v.failed.is_empty());
    assert!(
        acked.len() as u64 >= kills / 7,
        "too few acknowledged puts to mean anything: {}",
        acked.len()
    );
    eprintln!(
        "crash test: {total_kills} SIGKILLs, {} acknowledged puts, {} objects verified",
        acked.len(),
        v.ok
    );
}
