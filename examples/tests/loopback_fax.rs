//! The `loopback_fax` example's logic, run as a test: a 3-page fax over UDP on 127.0.0.1
//! between two of our T.38 terminals, stored encrypted, audited, verified and compared pixel
//! for pixel (the comparisons are inside `loopback::run`, which fails on any difference).
#![allow(clippy::unwrap_used)]

#[path = "../src/loopback.rs"]
#[allow(dead_code)]
mod loopback;

use loopback::{run, Options};

/// Fewer PBKDF2 rounds than the default: the test builds without optimisation.
const TEST_KDF_ITERATIONS: u32 = 10_000;

fn check(opts: &Options, source: &str) {
    let mut notes = Vec::new();
    let s = run(opts, |m| notes.push(m.to_owned())).unwrap_or_else(|e| panic!("{source}: {e}"));
    assert_eq!(s.pages, 3);
    assert_eq!(s.source, source);
    assert!(s.mode.contains("ECM MMR"), "{}", s.mode);
    assert!(s.mode.starts_with("14400 bit/s"), "{}", s.mode);
    // One object per page, all different; one receive event and one PHI create per object.
    assert_eq!(s.objects.len(), 3);
    assert!(s.objects[0] != s.objects[1] && s.objects[1] != s.objects[2]);
    assert!(s.objects.iter().all(|o| o.len() == 32));
    assert_eq!(s.tree_size, 4);
    assert_eq!(s.receive_seq, 0);
    assert_eq!(s.tree_root.len(), 64);
    // The temporary directory is gone unless kept.
    assert!(!s.kept);
    assert!(!s.dir.exists(), "{} left behind", s.dir.display());
    let text = s.lines().join("\n");
    assert!(text.contains("verified"));
    assert!(notes[0].starts_with("data directory "));
}

#[test]
fn generated_pages_go_through_store_and_audit() {
    let opts = Options {
        keep: false,
        kdf_iterations: TEST_KDF_ITERATIONS,
        corpus: None,
    };
    check(&opts, "generated text-like pages");
}

#[test]
fn ccitt_pages_go_through_store_and_audit_when_present() {
    let opts = Options {
        kdf_iterations: TEST_KDF_ITERATIONS,
        ..Options::default()
    };
    if opts.corpus.is_none() {
        eprintln!(
            "note: ../shared/corpus/ccitt not found: the generated-pages test covers the run"
        );
        return;
    }
    check(&opts, "CCITT test pages itu1-3");
}
