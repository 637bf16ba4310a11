//! The object_store mirror: push to an in-memory store and to a real S3-compatible peer
//! (`moto_server`, skipped unless installed, or a failure with FAXKIT_REQUIRE_PEERS=1), pull
//! back and verify with only the pinned root key; a change in the mirror is detected.
#![cfg(feature = "mirror")]

use object_store::aws::AmazonS3Builder;
use object_store::memory::InMemory;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use phi_audit::mirror::{pull, push};
use phi_audit::scan::{scan_log, Mode};
use phi_audit::storage::{FaultyStorage, Storage};
use phi_audit::{Config, Event, Log};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn log_with_two_segments() -> Arc<FaultyStorage> {
    let s = Arc::new(FaultyStorage::new());
    phi_audit::init(s.as_ref(), "test.example/audit").expect("init");
    for _ in 0..2 {
        let mut log = Log::open(s.clone(), Config::default()).expect("open");
        log.append_batch(vec![Event::example(), Event::example()])
            .expect("append");
        log.close().expect("close");
    }
    s
}

async fn round_trip(store: &dyn ObjectStore, prefix: &str) {
    let s = log_with_two_segments();
    let root = phi_audit::root_key(s.as_ref()).expect("root");
    let first = push(s.as_ref(), store, prefix).await.expect("push");
    assert_eq!(first.uploaded.len(), 4, "{first:?}");
    // Sealed segments are not uploaded again.
    let again = push(s.as_ref(), store, prefix).await.expect("push again");
    assert_eq!(again.skipped, 1);
    let mirrored = pull(store, prefix).await.expect("pull");
    let sc = scan_log(&mirrored, &root, Mode::Verify, false, None).expect("mirror verifies");
    assert_eq!(sc.tree.size(), 4);
    // No secret key material went to the mirror.
    assert!(mirrored.read("keys/root.pk8").expect("read").is_none());
    assert!(mirrored.list("keys/seal").expect("list").is_empty());
    // A changed byte in the mirror is detected.
    let seg = format!(
        "{}/segments/{}",
        prefix,
        s.list("segments").expect("list")[0]
    );
    let mut b = store
        .get(&ObjPath::from(seg.as_str()))
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes")
        .to_vec();
    let mid = b.len() / 2;
    b[mid] ^= 1;
    store
        .put(&ObjPath::from(seg.as_str()), PutPayload::from(b))
        .await
        .expect("put");
    let tampered = pull(store, prefix).await.expect("pull");
    assert!(scan_log(&tampered, &root, Mode::Verify, false, None).is_err());
}

#[tokio::test]
async fn mirror_to_memory() {
    round_trip(&InMemory::new(), "deployments/a").await;
}

fn require() -> bool {
    std::env::var("FAXKIT_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(port: u16, req: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    Some(out)
}

#[tokio::test]
async fn mirror_to_moto_s3() {
    let Some(moto) = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("moto_server"))
            .find(|p| p.exists())
    }) else {
        assert!(
            !require(),
            "FAXKIT_REQUIRE_PEERS=1 but moto_server is not installed (pip moto[server])"
        );
        eprintln!("note: moto S3 mirror test skipped: moto_server not installed");
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let child = Command::new(moto)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let _guard = Kill(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let req = format!("PUT /audit HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        if http(port, &req).is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
            break;
        }
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    phi_audit::mirror::install_ring_provider();
    let store = AmazonS3Builder::new()
        .with_endpoint(format!("http://127.0.0.1:{port}"))
        .with_allow_http(true)
        .with_bucket_name("audit")
        .with_region("us-east-1")
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .build()
        .expect("S3 client");
    round_trip(&store, "deployments/a").await;
}
