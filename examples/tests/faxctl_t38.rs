//! `faxctl send` and `faxctl receive` end to end: argument errors, and one real-time fax over
//! UDP on 127.0.0.1 between the two commands in separate processes (about 35 s of wall time).

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use t4_codec::container::{read_tiff, write_pbm, ReadOptions};
use t4_codec::Image;

fn faxctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_faxctl"))
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("faxctl-t38-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .port()
}

/// A 1728 x 240 page with blocks, 1 = black.
fn image() -> Image {
    let (columns, rows) = (1728u32, 240u32);
    let rb = (columns / 8) as usize;
    let mut data = vec![0u8; rb * rows as usize];
    for y in 0..rows as usize {
        for x in 0..rb {
            if (y / 9 + x / 7).is_multiple_of(3) {
                data[y * rb + x] = 0xF0 ^ u8::try_from(x % 16).unwrap_or(0);
            }
        }
    }
    Image {
        columns,
        rows,
        black_is_1: true,
        data,
        bad_rows: 0,
        max_consecutive_bad_rows: 0,
    }
}

fn code_and_stderr(args: &[&str]) -> (i32, String) {
    let out = faxctl().args(args).output().expect("run faxctl");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn argument_errors_are_one_line_with_the_usage_or_input_status() {
    let d = dir("args");
    let page = d.join("p.pbm");
    let mut pbm = Vec::new();
    write_pbm(&image(), &mut pbm);
    std::fs::write(&page, pbm).expect("write");
    let p = page.to_str().expect("utf-8");
    for (args, code) in [
        (
            vec!["send", p, "--to", "127.0.0.1:9", "--t38-version", "9"],
            1,
        ),
        (vec!["send", p, "--to", "no-port-here"], 1),
        (vec!["send", p, "--to", "127.0.0.1:9", "--ecm", "maybe"], 1),
        (vec!["send", "/nonexistent/x.pbm", "--to", "127.0.0.1:9"], 2),
        (
            vec![
                "receive",
                "--listen",
                "127.0.0.1:0",
                "--out",
                "/nonexistent/dir",
            ],
            2,
        ),
    ] {
        let (c, err) = code_and_stderr(&args);
        assert_eq!(c, code, "{args:?}: {err}");
        assert_eq!(
            err.lines()
                .filter(|l| l.starts_with("faxctl: error: "))
                .count(),
            1,
            "{args:?}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_fax_over_udp_in_real_time() {
    let d = dir("call");
    let out = d.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let page = d.join("page.pbm");
    let img = image();
    let mut pbm = Vec::new();
    write_pbm(&img, &mut pbm);
    std::fs::write(&page, pbm).expect("write");
    let listen = format!("127.0.0.1:{}", free_port());
    let rx = faxctl()
        .args([
            "receive", "--listen", &listen, "--once", "--json", "--ec", "fec",
        ])
        .args(["--t38-version", "2", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start receive");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let tx = faxctl()
        .arg("send")
        .arg(&page)
        .args([
            "--to",
            &listen,
            "--json",
            "--ec",
            "fec",
            "--t38-version",
            "2",
        ])
        .args(["--ecm", "off", "--coding", "mr", "--ident", "+1 555 0100"])
        .output()
        .expect("run send");
    let rx = rx.wait_with_output().expect("receive ends");
    let (tx_out, rx_out) = (
        String::from_utf8_lossy(&tx.stdout).into_owned(),
        String::from_utf8_lossy(&rx.stdout).into_owned(),
    );
    let all = format!(
        "send: {tx_out}{}\nreceive: {rx_out}{}",
        String::from_utf8_lossy(&tx.stderr),
        String::from_utf8_lossy(&rx.stderr)
    );
    assert!(tx.status.success() && rx.status.success(), "{all}");
    for text in [&tx_out, &rx_out] {
        assert_eq!(text.lines().count(), 1, "{all}");
        let v: serde_json::Value = serde_json::from_str(text).expect("JSON");
        assert_eq!(v["status"], "ok", "{all}");
        assert_eq!(v["pages"], 1, "{all}");
        assert_eq!(v["ecm"], false, "{all}");
        assert_eq!(v["coding"], "mr", "{all}");
        assert_eq!(v["bad_rows"], 0, "{all}");
    }
    // The identity is never printed.
    assert!(!all.contains("555 0100"), "{all}");
    let files: Vec<PathBuf> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let got = read_tiff(
        &std::fs::read(&files[0]).expect("tiff"),
        &ReadOptions::default(),
    )
    .expect("a TIFF we can read");
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].width(), got[0].rows()), (img.columns, img.rows));
    assert!(
        got[0].data() == img.data.as_slice(),
        "received page differs"
    );
    let _ = std::fs::remove_dir_all(&d);
}
