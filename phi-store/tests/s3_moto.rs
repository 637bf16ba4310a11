//! The S3 backend against a real S3-compatible server: `moto_server` (PyPI `moto[server]`),
//! started here on a free 127.0.0.1 port and killed afterwards. Create-only conflicts,
//! replace, ranges, listing, and the whole store on top.
//!
//! Skips with a note when `moto_server` is not installed, unless `FAXKIT_REQUIRE_PEERS=1`.
#![cfg(feature = "s3")]
#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)] // test set-up

mod common;
use common::*;
use phi_store::backend::{Backend, S3Backend, S3Config};
use phi_store::keys::LocalKeyring;
use phi_store::StoreError;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Moto {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http(port: u16, req: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    Some(out)
}

/// `moto_server` on PATH, else `python3 -m moto.server` (pip's user bin may not be on PATH).
fn moto_command() -> Option<Command> {
    let quiet = |c: &mut Command| {
        c.stdout(Stdio::null()).stderr(Stdio::null());
    };
    let mut probe = Command::new("moto_server");
    probe.arg("--help");
    quiet(&mut probe);
    if probe.status().is_ok_and(|s| s.success()) {
        return Some(Command::new("moto_server"));
    }
    let mut probe = Command::new("python3");
    probe.args(["-m", "moto.server", "--help"]);
    quiet(&mut probe);
    if probe.status().is_ok_and(|s| s.success()) {
        let mut c = Command::new("python3");
        c.args(["-m", "moto.server"]);
        return Some(c);
    }
    None
}

fn start_moto() -> Option<Moto> {
    let Some(mut cmd) = moto_command() else {
        assert!(
            std::env::var("FAXKIT_REQUIRE_PEERS").as_deref() != Ok("1"),
            "moto_server is required (FAXKIT_REQUIRE_PEERS=1): pip install 'moto[server]'"
        );
        eprintln!("note: skipping S3 tests: moto_server not installed");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let child = cmd
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let moto = Moto {
        child,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            // Create the bucket (moto accepts an unsigned request).
            let r = http(port, &format!(
                "PUT /faxkit HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            ))
            .unwrap_or_default();
            assert!(
                r.starts_with("HTTP/1.1 200") || r.starts_with("HTTP/1.0 200"),
                "bucket: {r}"
            );
            return Some(moto);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("moto_server did not start on port {port}");
}

fn backend(m: &Moto) -> S3Backend {
    let cfg = S3Config::new("faxkit", "us-east-1", "testing", "testing")
        .with_endpoint(&format!("http://127.0.0.1:{}", m.port), true);
    S3Backend::new(&cfg).unwrap()
}

#[test]
fn s3_backend_contract_and_store_on_moto() {
    let Some(moto) = start_moto() else {
        return;
    };
    let b = backend(&moto);
    // Create-only: a second put to the same name is a conflict and changes nothing.
    b.put_new("t/one.b", b"first").unwrap();
    assert!(matches!(
        b.put_new("t/one.b", b"second"),
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(b.get("t/one.b").unwrap(), b"first");
    // A concurrent racer through a second client loses the same way.
    let b2 = backend(&moto);
    let mut w = b2.create("t/two.b").unwrap();
    w.write_all(b"racer").unwrap();
    b.put_new("t/two.b", b"winner").unwrap();
    assert!(matches!(w.commit(), Err(StoreError::AlreadyExists)));
    assert_eq!(b.get("t/two.b").unwrap(), b"winner");
    // Replace, ranges, size, list, delete.
    b.replace("t/one.h", b"header v1").unwrap();
    b.replace("t/one.h", b"header v2").unwrap();
    assert_eq!(b.get("t/one.h").unwrap(), b"header v2");
    let mut buf = [0u8; 4];
    b.read_at("t/one.h", 2, &mut buf).unwrap();
    assert_eq!(&buf, b"ader");
    assert_eq!(b.size("t/two.b").unwrap(), 6);
    assert_eq!(b.list("t/").unwrap(), ["t/one.b", "t/one.h", "t/two.b"]);
    b.delete("t/two.b").unwrap();
    b.delete("t/two.b").unwrap();
    assert!(matches!(b.get("t/two.b"), Err(StoreError::NotFound)));

    // The whole store on S3.
    let env = env_with(backend(&moto), LocalKeyring::in_memory());
    let t = tenant("clinic-a");
    let doc = page(200_000, 3);
    let id = env
        .store
        .put_bytes(&admin(), &t, &class("inbound"), tiff(), &doc)
        .unwrap();
    assert_eq!(env.store.get_bytes(&admin(), &t, id).unwrap(), doc);
    assert_eq!(
        env.store.get_range(&admin(), &t, id, 150_000, 100).unwrap(),
        doc[150_000..150_100]
    );
    env.store.rotate(&admin(), &t).unwrap();
    assert_eq!(env.store.rewrap(&admin(), &t).unwrap().rewrapped, 1);
    assert_eq!(env.store.get_bytes(&admin(), &t, id).unwrap(), doc);
    let v = env.store.verify(&admin(), &t).unwrap();
    assert_eq!((v.ok, v.failed.len()), (1, 0));
    env.store.shred(&admin(), &t, id).unwrap();
    assert!(matches!(
        env.store.get_bytes(&admin(), &t, id),
        Err(StoreError::Shredded)
    ));
}
