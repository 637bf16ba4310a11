//! `faxctl demo` (README's first command) end to end, as a user runs it: exit 0, the summary,
//! the received pages as PNG, and a receipt and logs that verify again from outside.

use std::path::Path;
use std::process::Command;

fn faxctl(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_faxctl"))
        .args(args)
        .output()
        .expect("faxctl runs")
}

#[test]
fn demo_sends_stores_verifies_and_shows_the_pages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("demo");
    let base_s = base.to_str().expect("UTF-8 temp dir");
    let o = faxctl(&["demo", "--dir", base_s, "--kdf-iterations", "1000"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(out.lines().last(), Some("ok"), "{out}");
    assert!(out.contains("4 pages sent and received"), "{out}");
    for n in 1..=4 {
        let png = base.join(format!("received/page-{n}.png"));
        let bytes = std::fs::read(&png).expect("the page PNG exists");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", png.display());
    }
    // The receipt and both logs verify again with the CLI an auditor uses.
    let receipts: Vec<_> = std::fs::read_dir(base.join("sender/receipts"))
        .expect("receipts")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert_eq!(receipts.len(), 1);
    let key = base.join("sender/audit/keys/root.pub");
    let v = faxctl(&[
        "audit",
        "verify-receipt",
        receipts[0].to_str().expect("UTF-8"),
        "--key",
        key.to_str().expect("UTF-8"),
    ]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    for side in ["sender", "receiver"] {
        let log = base.join(side).join("audit");
        let v = faxctl(&["audit", "verify", "--log", log.to_str().expect("UTF-8")]);
        assert!(
            v.status.success(),
            "{side}: {}",
            String::from_utf8_lossy(&v.stderr)
        );
    }
    // A second run into the same directory is refused: the demo never reuses data.
    let again = faxctl(&["demo", "--dir", base_s, "--kdf-iterations", "1000"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(Path::new(&base).join("receiver/faxd.toml").exists());
}
