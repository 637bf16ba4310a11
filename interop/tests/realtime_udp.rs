//! Real time over UDP on 127.0.0.1, two processes per call: `faxctl receive --once` answering
//! a spandsp terminal (`spandsp-t38-udp send`), and `faxctl send` calling a spandsp terminal
//! (`spandsp-t38-udp receive`). One page each way, run side by side (about 35 s of wall
//! time); both ends must report success and the pages must be pixel-identical.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use faxkit_interop::{read_tiff, write_tiff, LibtiffScheme};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `faxctl` from the same target directory, built on demand.
fn faxctl() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("faxctl");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(cargo)
        .args(["build", "-p", "faxkit-examples", "--bin", "faxctl"])
        .status()
        .unwrap();
    assert!(st.success(), "building faxctl failed");
    assert!(bin.exists(), "{} not found", bin.display());
    bin
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn page() -> (u32, u32, Vec<u8>) {
    let (w, rows) = (1728u32, 300u32);
    let mut packed = vec![0u8; (w / 8 * rows) as usize];
    for y in 0..rows {
        for x in 0..w / 8 {
            if (y / 7 + x / 5) % 4 == 0 {
                packed[(y * (w / 8) + x) as usize] = 0x3C ^ (y as u8);
            }
        }
    }
    (w, rows, packed)
}

fn show(what: &str, o: &Output) -> String {
    format!(
        "{what}: {:?}\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn only_tiff(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn faxctl_and_spandsp_in_separate_processes() {
    let faxctl = faxctl();
    let peer = env!("CARGO_BIN_EXE_spandsp-t38-udp");
    let dir = std::env::temp_dir().join(format!("t38-realtime-{}", std::process::id()));
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let (w, rows, packed) = page();
    let tx = dir.join("tx.tif");
    std::fs::write(
        &tx,
        write_tiff(LibtiffScheme::MH, w, rows, &packed).unwrap(),
    )
    .unwrap();

    // Call 1: spandsp sends to `faxctl receive --once`.
    let p1 = free_port();
    let listen = format!("127.0.0.1:{p1}");
    let rx_ours = Command::new(&faxctl)
        .args(["receive", "--listen", &listen, "--once", "--json", "--out"])
        .arg(&out)
        .spawn_output();
    // Call 2: `faxctl send` to a spandsp receiver.
    let p2 = free_port();
    let sp_file = dir.join("spandsp-rx.tif");
    let rx_sp = Command::new(peer)
        .arg("receive")
        .arg(&sp_file)
        .args(["--listen", &format!("127.0.0.1:{p2}")])
        .spawn_output();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let tx_sp = Command::new(peer)
        .arg("send")
        .arg(&tx)
        .args(["--to", &listen])
        .spawn_output();
    let tx_ours = Command::new(&faxctl)
        .arg("send")
        .arg(&tx)
        .args(["--to", &format!("127.0.0.1:{p2}"), "--json"])
        .spawn_output();

    let (a, b, c, d) = (wait(rx_ours), wait(rx_sp), wait(tx_sp), wait(tx_ours));
    let all = [
        show("faxctl receive", &a),
        show("spandsp receive", &b),
        show("spandsp send", &c),
        show("faxctl send", &d),
    ]
    .join("\n");
    for o in [&a, &b, &c, &d] {
        assert!(o.status.success(), "{all}");
    }
    // One result line each, JSON with status ok.
    for o in [&a, &d] {
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(text.lines().count(), 1, "{all}");
        assert!(text.contains("\"status\":\"ok\""), "{all}");
        assert!(text.contains("\"pages\":1"), "{all}");
    }
    // What we received, read back by libtiff.
    let ours = read_tiff(&std::fs::read(only_tiff(&out)).unwrap()).unwrap();
    assert_eq!((ours.width, ours.rows), (w, rows));
    assert!(ours.data == packed, "our received page differs");
    // What spandsp received, by libtiff and tiffcmp.
    let theirs = read_tiff(&std::fs::read(&sp_file).unwrap()).unwrap();
    assert!(theirs.data == packed, "spandsp's received page differs");
    match Command::new("tiffcmp").arg(&tx).arg(&sp_file).output() {
        Ok(o) => assert!(o.status.success(), "{}", show("tiffcmp", &o)),
        Err(_) => {
            assert!(
                std::env::var("FAXKIT_REQUIRE_PEERS").as_deref() != Ok("1"),
                "tiffcmp (libtiff-tools) is required"
            );
            eprintln!("note: tiffcmp not found; skipped");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs a command on a thread and collects its output.
trait SpawnOutput {
    fn spawn_output(&mut self) -> std::thread::JoinHandle<Output>;
}

impl SpawnOutput for Command {
    fn spawn_output(&mut self) -> std::thread::JoinHandle<Output> {
        let child = self
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::spawn(move || child.wait_with_output().unwrap())
    }
}

fn wait(h: std::thread::JoinHandle<Output>) -> Output {
    h.join().unwrap()
}
