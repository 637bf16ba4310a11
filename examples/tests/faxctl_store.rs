//! `faxctl store` end to end: the contract other tools call (put prints only the id), round
//! trips, rotation and rewrap, shredding, verification of a damaged store, passphrase rules.

#![allow(clippy::unwrap_used)] // test set-up

use std::path::Path;
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn store(args: &[&str], root: &Path, pass: Option<&str>) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_faxctl"));
    c.arg("store").args(args).arg("--root").arg(root);
    c.env_remove("FAXKIT_PASSPHRASE");
    if let Some(p) = pass {
        c.env("FAXKIT_PASSPHRASE", p);
    }
    let out = c.output().expect("run faxctl");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const PASS: Option<&str> = Some("tr0ub4dor&3");

#[test]
fn init_put_get_rotate_rewrap_shred_verify_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let r = store(&["init", "--kdf-iterations", "2000"], &root, PASS);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        dir.path().join("store.keys").is_file(),
        "key file beside the root"
    );
    // init refuses to run twice.
    assert_ne!(
        store(&["init", "--kdf-iterations", "2000"], &root, PASS).code,
        0
    );

    let doc: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let input = dir.path().join("fax.tif");
    std::fs::write(&input, &doc).unwrap();
    let r = store(
        &["put", input.to_str().unwrap(), "--class", "inbound"],
        &root,
        PASS,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = r.stdout.trim().to_owned();
    assert_eq!(r.stdout, format!("{id}\n"), "put prints only the id");
    assert_eq!(id.len(), 32);

    let out = dir.path().join("out.tif");
    let r = store(&["get", &id, out.to_str().unwrap()], &root, PASS);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), doc);

    assert_eq!(store(&["rotate"], &root, PASS).code, 0);
    let r = store(&["rewrap"], &root, PASS);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("1 rewrapped"), "{}", r.stderr);
    let r = store(&["verify"], &root, PASS);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("1 objects verified"), "{}", r.stderr);
    assert_eq!(store(&["sweep"], &root, PASS).code, 0);

    // A second object, then damage one body byte: verify fails, get writes nothing.
    let r = store(&["put", input.to_str().unwrap()], &root, PASS);
    let id2 = r.stdout.trim().to_owned();
    let body = root.join("default").join(format!("{id2}.o"));
    let mut b = std::fs::read(&body).unwrap();
    b[70_000] ^= 1;
    std::fs::write(&body, &b).unwrap();
    let r = store(&["verify"], &root, PASS);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(&id2));
    let out2 = dir.path().join("out2.tif");
    assert_eq!(
        store(&["get", &id2, out2.to_str().unwrap()], &root, PASS).code,
        2
    );
    assert!(!out2.exists(), "no partial plaintext on failure");

    // Shred the first: get fails, verify counts it as shredded.
    assert_eq!(store(&["shred", &id], &root, PASS).code, 0);
    let r = store(&["get", &id, out2.to_str().unwrap()], &root, PASS);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("shredded"), "{}", r.stderr);
}

#[test]
fn passphrase_only_from_environment_or_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    let r = store(&["init", "--kdf-iterations", "2000"], &root, None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("FAXKIT_PASSPHRASE"));
    let pf = dir.path().join("pass.txt");
    std::fs::write(&pf, "from a file\n").unwrap();
    let pfs = pf.to_str().unwrap();
    assert_eq!(
        store(
            &["init", "--kdf-iterations", "2000", "--passphrase-file", pfs],
            &root,
            None
        )
        .code,
        0
    );
    // The file's passphrase (without its newline) opens it; a wrong one does not.
    assert_eq!(store(&["verify"], &root, Some("from a file")).code, 0);
    let r = store(&["verify"], &root, Some("wrong"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("wrong passphrase"), "{}", r.stderr);
    // There is no --passphrase argument.
    assert_eq!(store(&["verify", "--passphrase", "x"], &root, None).code, 1);
}
