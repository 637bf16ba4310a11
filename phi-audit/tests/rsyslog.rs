//! Real peer: Debian `rsyslog` with `rsyslog-openssl` receives our RFC 5425 stream over TLS
//! on 127.0.0.1; the test asserts on the file rsyslog wrote. Skips (with a note) when
//! rsyslogd, its OpenSSL driver or openssl is missing, unless FAXKIT_REQUIRE_PEERS=1.
#![cfg(feature = "forward")]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use phi_audit::checkpoint::{verify_note, VerifierKey};
use phi_audit::forward::{forward_once, tls, Format};
use phi_audit::scan::{scan_log, Mode};
use phi_audit::storage::FsStorage;
use phi_audit::{Config, Event, Kind, Log, Outcome};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn require() -> bool {
    std::env::var("FAXKIT_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

fn skip(why: &str) {
    assert!(!require(), "FAXKIT_REQUIRE_PEERS=1 but {why}");
    eprintln!("note: rsyslog test skipped: {why}");
}

fn find(prog: &str, dirs: &[&str]) -> Option<PathBuf> {
    dirs.iter()
        .map(|d| Path::new(d).join(prog))
        .find(|p| p.exists())
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sh(cmd: &mut Command) {
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_certs(dir: &Path, openssl: &Path) {
    let p = |n: &str| dir.join(n).to_str().expect("utf-8").to_owned();
    sh(Command::new(openssl).args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=phi-audit test CA",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
    ]));
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n").expect("ext");
    sh(Command::new(openssl).args([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &p("server.key"),
        "-out",
        &p("server.csr"),
    ]));
    sh(Command::new(openssl).args([
        "x509",
        "-req",
        "-in",
        &p("server.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &p("san.ext"),
        "-out",
        &p("server.pem"),
    ]));
}

fn wait_for(mut ok: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn rsyslog_receives_events_and_checkpoints_over_tls() {
    let dirs = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];
    let Some(rsyslogd) = find("rsyslogd", &dirs) else {
        return skip("rsyslogd not installed (apt rsyslog)");
    };
    let Some(openssl) = find("openssl", &dirs) else {
        return skip("openssl not installed");
    };
    let has_ossl = [
        "/usr/lib/x86_64-linux-gnu/rsyslog",
        "/usr/lib/aarch64-linux-gnu/rsyslog",
        "/usr/lib/rsyslog",
    ]
    .iter()
    .any(|d| Path::new(d).join("lmnsd_ossl.so").exists());
    if !has_ossl {
        return skip("rsyslog's OpenSSL driver is missing (apt rsyslog-openssl)");
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let t = tmp.path();
    make_certs(t, &openssl);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let p = |n: &str| t.join(n).to_str().expect("utf-8").to_owned();
    let conf = format!(
        r#"global(workDirectory="{w}" DefaultNetstreamDriver="ossl" DefaultNetstreamDriverCAFile="{ca}" DefaultNetstreamDriverCertFile="{cert}" DefaultNetstreamDriverKeyFile="{key}")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" port="{port}" address="127.0.0.1")
template(name="t" type="string" string="%msgid%|%app-name%|%structured-data%|%msg%\n")
action(type="omfile" file="{out}" template="t")
"#,
        w = p(""),
        ca = p("ca.pem"),
        cert = p("server.pem"),
        key = p("server.key"),
        out = p("out.log"),
    );
    std::fs::write(t.join("rsyslog.conf"), conf).expect("conf");
    let child = Command::new(&rsyslogd)
        .args(["-n", "-f", &p("rsyslog.conf"), "-i", &p("rsyslog.pid")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rsyslogd");
    let _guard = Kill(child);
    wait_for(
        || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "rsyslogd to listen",
    );

    // A log with three events, one of them break-glass and one with characters that need
    // escaping in structured data.
    let dir = t.join("log");
    let storage = Arc::new(FsStorage::new(&dir));
    phi_audit::init(storage.as_ref(), "test.example/audit").expect("init");
    let mut log = Log::open(storage.clone(), Config::default()).expect("open");
    log.append(Event::example()).expect("a");
    log.append(Event::new(Kind::AuthBreakGlass, Outcome::Success, "er.doc"))
        .expect("a");
    log.append(Event::new(
        Kind::PhiRead,
        Outcome::SeriousFailure,
        "we\"ird]user",
    ))
    .expect("a");
    log.close().expect("close");

    let ca = std::fs::read(t.join("ca.pem")).expect("ca");
    let mut stream =
        tls::connect(&format!("127.0.0.1:{port}"), "127.0.0.1", &ca).expect("TLS to rsyslog");
    let mut fmt = Format::default();
    fmt.hostname = "fax-gw-1".into();
    let n = forward_once(
        storage.as_ref(),
        &fmt,
        &mut stream,
        1_700_000_000_000_000_000,
    )
    .expect("forward");
    assert_eq!(n, 3);
    // Nothing new: the durable cursor says so.
    assert_eq!(
        forward_once(storage.as_ref(), &fmt, &mut stream, 0).expect("again"),
        0
    );
    stream.conn.send_close_notify();
    let _ = stream.flush();

    let out = t.join("out.log");
    wait_for(
        || std::fs::read_to_string(&out).is_ok_and(|s| s.lines().count() >= 4),
        "rsyslog to write 4 lines",
    );
    let text = std::fs::read_to_string(&out).expect("out");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("fax_send|phi-audit|[phi@32473 seq=\"0\" leaf=\""),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].ends_with("fax_send by dr.jones (physician): success"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("auth_break_glass|phi-audit|[phi@32473 seq=\"1\""),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("user=\"we\\\"ird\\]user\""),
        "{}",
        lines[2]
    );
    // No sealed field reached the SIEM.
    assert!(!text.contains("15550199") && !text.contains("MRN-000123"));
    // The checkpoint arrives exactly and verifies against the segment key chain.
    assert!(
        lines[3].starts_with("checkpoint|phi-audit|[phi@32473 size=\"3\" note=\""),
        "{}",
        lines[3]
    );
    let b64 = lines[3]
        .split("note=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("note");
    let note = String::from_utf8(B64.decode(b64).expect("b64")).expect("utf-8");
    let root = phi_audit::root_key(storage.as_ref()).expect("root");
    let sc = scan_log(storage.as_ref(), &root, Mode::Verify, false, Some(&note))
        .expect("anchor matches the log");
    let keys: Vec<VerifierKey> = sc
        .certs
        .iter()
        .map(|c| VerifierKey {
            name: root.name.clone(),
            public: c.public,
        })
        .collect();
    let cp = verify_note(&note, &keys).expect("signed");
    assert_eq!((cp.size, cp.root), (3, sc.tree.root()));
}
