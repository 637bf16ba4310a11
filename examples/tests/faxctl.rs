//! The `faxctl` binary end to end: every subcommand, every exit status, one-line errors, and
//! round trips. Tests that need `../shared/corpus` skip (with a note) when it is absent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use t4_codec::container::{write_pbm, write_tiff, Page, TiffWriteOptions};
use t4_codec::{Coding, Image};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn faxctl(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_faxctl"))
        .args(args)
        .output()
        .expect("run faxctl");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Asserts a failure with `code` and exactly one line on standard error, `faxctl: error: ...`.
fn fails(args: &[&str], code: i32) -> String {
    let r = faxctl(args);
    assert_eq!(r.code, code, "{args:?}: {}", r.stderr);
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("faxctl: error: "))
        .collect();
    assert_eq!(lines.len(), 1, "{args:?}: stderr {:?}", r.stderr);
    assert!(
        !r.stderr.lines().any(|l| !l.starts_with("faxctl: ")),
        "{args:?}: stderr {:?}",
        r.stderr
    );
    lines[0].to_owned()
}

fn ok(args: &[&str]) -> Run {
    let r = faxctl(args);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    r
}

/// A fresh directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("faxctl-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("note: ../shared/corpus not found; corpus tests skipped");
        None
    }
}

/// A page with a frame, text-like bars and a dithered corner; `columns` need not be a
/// multiple of 8.
fn image(columns: u32, rows: u32, seed: u32) -> Image {
    let row_bytes = columns.div_ceil(8) as usize;
    let mut data = vec![0u8; row_bytes * rows as usize];
    for y in 0..rows {
        for x in 0..columns {
            let frame = x == 0 || y == 0 || x + 1 == columns || y + 1 == rows;
            let bars = (y / 5) % 3 == 1 && (x / 4) % 5 != 0 && x > 10 && x < columns / 2;
            let dither = x > columns * 3 / 4 && (x * 31 + y * 17 + seed) % 7 < 3;
            if frame || bars || dither {
                data[y as usize * row_bytes + x as usize / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    Image {
        columns,
        rows,
        black_is_1: true,
        data,
        ..Image::default()
    }
}

/// Writes a PBM with the given pages.
fn pbm(path: &Path, pages: &[Image]) {
    let mut out = Vec::new();
    for p in pages {
        write_pbm(p, &mut out);
    }
    std::fs::write(path, out).expect("write pbm");
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read")
}

#[test]
fn help_and_version_exit_0() {
    assert!(ok(&["--help"]).stdout.contains("decode-raw"));
    assert!(ok(&["decode-raw", "--help"])
        .stdout
        .contains("--black-is-1"));
    assert!(ok(&["--version"]).stdout.contains("faxctl"));
}

#[test]
fn usage_errors_exit_1() {
    let d = dir("usage");
    let input = d.join("in.pbm");
    pbm(&input, &[image(20, 5, 1)]);
    let i = s(&input);
    let out_tif = d.join("out.tif");
    let out_pbm = d.join("out.pbm");
    fails(&[], 1);
    fails(&["frobnicate"], 1);
    fails(&["info"], 1);
    fails(&["info", i, "--bogus"], 1);
    fails(&["convert", i], 1);
    fails(&["convert", i, s(&out_tif), "--coding", "g5"], 1);
    fails(
        &["convert", i, s(&out_tif), "--coding", "mh", "--k", "-1"],
        1,
    );
    fails(
        &["convert", i, s(&out_tif), "--coding", "mmr", "--byte-align"],
        1,
    );
    fails(&["convert", i, s(&out_tif), "--fill-order", "middle"], 1);
    fails(&["convert", i, s(&out_tif), "--page", "0"], 1);
    fails(&["convert", i, s(&out_pbm), "--coding", "mr"], 1);
    fails(&["convert", i, s(&d.join("out.jpg"))], 1);
    fails(&["decode-raw", i, s(&out_pbm)], 1);
    fails(&["decode-raw", i, s(&out_pbm), "--columns", "0"], 1);
    fails(&["decode-raw", i, s(&out_pbm), "--columns", "x"], 1);
    fails(
        &[
            "encode-raw",
            i,
            s(&d.join("o.raw")),
            "--coding",
            "mr",
            "--no-eol",
        ],
        1,
    );
    fails(
        &[
            "encode-raw",
            i,
            s(&d.join("o.raw")),
            "--coding",
            "mmr",
            "--k",
            "2",
        ],
        1,
    );
    assert!(
        !out_tif.exists() && !out_pbm.exists(),
        "nothing written on usage errors"
    );
}

#[test]
fn invalid_input_exits_2() {
    let d = dir("invalid");
    let pages = [Page::from_image(image(300, 40, 1))];
    let tif = write_tiff(&pages, &TiffWriteOptions::new(Coding::Mmr)).expect("tiff");
    let truncated = d.join("truncated.tif");
    std::fs::write(&truncated, &tif[..tif.len() / 2]).expect("write");
    let garbage = d.join("garbage.tif");
    std::fs::write(
        &garbage,
        (0..2000u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .expect("write");
    let out = d.join("out.pbm");
    for f in [&truncated, &garbage] {
        fails(&["info", s(f)], 2);
        fails(&["convert", s(f), s(&out)], 2);
        fails(&["encode-raw", s(f), s(&d.join("x.raw"))], 2);
    }
    fails(&["info", s(&d.join("missing.tif"))], 2);
    fails(&["info", s(&d.join("noext"))], 2);
    // A page that does not exist.
    let good = d.join("good.tif");
    std::fs::write(&good, &tif).expect("write");
    assert!(fails(&["convert", s(&good), s(&out), "--page", "2"], 2).contains("no page 2"));
    // Garbage as a strict MH stream, and a stream with no decodable row.
    let raw = d.join("garbage.raw");
    std::fs::write(
        &raw,
        [0x00, 0x01, 0x55, 0xAA, 0x12, 0x34, 0x00, 0x00, 0x0F, 0xF0].repeat(50),
    )
    .expect("write");
    fails(
        &[
            "decode-raw",
            s(&raw),
            s(&out),
            "--columns",
            "1728",
            "--strict",
        ],
        2,
    );
    let empty = d.join("empty.raw");
    std::fs::write(&empty, []).expect("write");
    fails(&["decode-raw", s(&empty), s(&out), "--columns", "1728"], 2);
    // A multi-page input for a one-page stream.
    let two = d.join("two.pbm");
    pbm(&two, &[image(16, 2, 1), image(16, 2, 2)]);
    fails(&["encode-raw", s(&two), s(&d.join("two.raw"))], 2);
    assert!(!out.exists(), "nothing written on errors");
}

#[test]
fn huge_declared_width_exits_3_quickly() {
    let d = dir("limit");
    let raw = d.join("ff.raw");
    std::fs::write(&raw, vec![0xFF; 4096]).expect("write");
    let started = Instant::now();
    let line = fails(
        &[
            "decode-raw",
            s(&raw),
            s(&d.join("out.pbm")),
            "--columns",
            "1000000",
            "--k",
            "-1",
        ],
        3,
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(line.contains("limit"), "{line}");
    assert!(!d.join("out.pbm").exists());

    // A TIFF declaring a page far over the limits, with 4 bytes of data.
    let mut tif = write_tiff(
        &[Page::from_image(image(8, 1, 1))],
        &TiffWriteOptions::new(Coding::Mmr),
    )
    .expect("tiff");
    for tag in [256, 257, 278] {
        patch_tag(&mut tif, tag, 60_000);
    }
    let big = d.join("big.tif");
    std::fs::write(&big, tif).expect("write");
    let started = Instant::now();
    fails(&["convert", s(&big), s(&d.join("big.pbm"))], 3);
    fails(&["info", s(&big)], 3);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn convert_round_trips_every_coding() {
    let d = dir("convert");
    let pages = [image(203, 50, 1), image(1728, 30, 2), image(9, 4, 3)];
    let input = d.join("in.pbm");
    pbm(&input, &pages);
    let original = read(&input);
    let variants: &[&[&str]] = &[
        &[],
        &["--coding", "mh"],
        &["--coding", "mr"],
        &["--coding", "mmr"],
        &["--k", "0"],
        &["--k", "2"],
        &["--k", "-1"],
        &["--coding", "mr", "--k", "3"],
        &["--coding", "mh", "--byte-align"],
        &["--coding", "mr", "--byte-align", "--fill-order", "lsb"],
        &["--fill-order", "lsb"],
    ];
    for (i, v) in variants.iter().enumerate() {
        let tif = d.join(format!("v{i}.tiff"));
        let back = d.join(format!("v{i}.pbm"));
        let mut args = vec!["convert", s(&input), s(&tif)];
        args.extend_from_slice(v);
        ok(&args);
        ok(&["convert", s(&tif), s(&back)]);
        assert!(read(&back) == original, "{v:?}: pages differ");
        let info = ok(&["info", s(&tif), "--json"]);
        let json: serde_json::Value = serde_json::from_str(&info.stdout).expect("json");
        assert_eq!(json["pages"].as_array().map(Vec::len), Some(3), "{v:?}");
        let coding = json["pages"][0]["coding"].as_str().expect("coding");
        let want = match *v {
            [] | ["--k", "-1"] | ["--coding", "mmr"] | ["--fill-order", "lsb"] => "mmr",
            ["--coding", "mh", ..] | ["--k", "0"] => "mh",
            _ => "mr",
        };
        assert_eq!(coding, want, "{v:?}");
        if v.contains(&"lsb") {
            assert_eq!(json["pages"][0]["fill_order"], "lsb");
        }
        if v.contains(&"--byte-align") {
            assert!(json["pages"][0]["options"]
                .as_array()
                .expect("options")
                .iter()
                .any(|o| o == "fill-bits"));
        }
    }
    // TIFF to TIFF, one page of it.
    let tif = d.join("v0.tiff");
    let one = d.join("one.tif");
    ok(&["convert", s(&tif), s(&one), "--page", "2", "--coding", "mh"]);
    let one_pbm = d.join("one.pbm");
    ok(&["convert", s(&one), s(&one_pbm)]);
    let mut expected = Vec::new();
    write_pbm(&pages[1], &mut expected);
    assert!(read(&one_pbm) == expected);
}

#[test]
fn png_output_is_one_page() {
    let d = dir("png");
    let pages = [image(100, 20, 1), image(60, 10, 2)];
    let input = d.join("in.pbm");
    pbm(&input, &pages);
    let png = d.join("p1.png");
    let r = ok(&["convert", s(&input), s(&png)]);
    assert!(
        r.stderr.contains("page 1"),
        "a note says which page: {}",
        r.stderr
    );
    let back = d.join("p1.pbm");
    ok(&["convert", s(&png), s(&back)]);
    let mut expected = Vec::new();
    write_pbm(&pages[0], &mut expected);
    assert!(read(&back) == expected);

    let png2 = d.join("p2.png");
    let r = ok(&["convert", s(&input), s(&png2), "--page", "2"]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    ok(&["convert", s(&png2), s(&back)]);
    let mut expected = Vec::new();
    write_pbm(&pages[1], &mut expected);
    assert!(read(&back) == expected);
    let info = ok(&["info", s(&png2)]);
    assert!(
        info.stdout.contains("format: png, 1 page"),
        "{}",
        info.stdout
    );
}

#[test]
fn info_text_and_json() {
    let d = dir("info");
    let mut page = Page::from_image(image(64, 16, 1));
    page.resolution = Some(t4_codec::container::Resolution::dpi(204.0, 98.0));
    let mut o = TiffWriteOptions::new(Coding::Mr { k: 2 });
    o.image_description = Some("PATIENT NAME 1234".into());
    let tif = d.join("a.tif");
    std::fs::write(&tif, write_tiff(&[page.clone(), page], &o).expect("tiff")).expect("write");
    let text = ok(&["info", s(&tif)]).stdout;
    for want in [
        "format: tiff, 2 pages",
        "page 2: 64 x 16",
        "MR (T.4 2-D), TIFF compression 3",
        "204 x 98 dpi",
        "fill order:  msb",
        "bad rows:    0",
    ] {
        assert!(text.contains(want), "{want:?} in {text}");
    }
    assert!(!text.contains("PATIENT"), "identity text printed: {text}");
    let json = ok(&["info", s(&tif), "--json"]).stdout;
    assert!(!json.contains("PATIENT"));
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["format"], "tiff");
    let p = &v["pages"][1];
    assert_eq!(
        (p["page"].as_u64(), p["width"].as_u64(), p["rows"].as_u64()),
        (Some(2), Some(64), Some(16))
    );
    assert_eq!(p["coding"], "mr");
    assert_eq!(p["compression"], 3);
    assert_eq!(p["fill_order"], "msb");
    assert_eq!(p["resolution"]["y"], 98.0);
    assert_eq!(p["resolution"]["unit"], "inch");
    assert_eq!(p["bad_rows"], 0);
    assert!(p["tags"]["bad_fax_lines"].is_null());

    let pbm_file = d.join("a.pbm");
    pbm(&pbm_file, &[image(10, 3, 1)]);
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["info", s(&pbm_file), "--json"]).stdout).expect("json");
    assert_eq!(
        (v["format"].as_str(), v["pages"][0]["coding"].as_str()),
        (Some("pbm"), Some("none"))
    );
}

/// Sets every entry of `tag` in the first IFD of a little-endian TIFF to `value`.
fn patch_tag(tif: &mut [u8], tag: u16, value: u32) {
    let ifd = u32::from_le_bytes(tif[4..8].try_into().expect("4")) as usize;
    let n = u16::from_le_bytes([tif[ifd], tif[ifd + 1]]) as usize;
    for e in 0..n {
        let at = ifd + 2 + e * 12;
        if u16::from_le_bytes([tif[at], tif[at + 1]]) == tag {
            let ty = u16::from_le_bytes([tif[at + 2], tif[at + 3]]);
            if ty == 3 {
                let short = u16::try_from(value).expect("a SHORT value");
                tif[at + 8..at + 10].copy_from_slice(&short.to_le_bytes());
            } else {
                tif[at + 8..at + 12].copy_from_slice(&value.to_le_bytes());
            }
        }
    }
}

#[test]
fn info_describes_pages_it_cannot_decode() {
    let d = dir("info-undecodable");
    let pages = [
        Page::from_image(image(40, 8, 1)),
        Page::from_image(image(40, 8, 2)),
    ];
    let mut tif = write_tiff(&pages, &TiffWriteOptions::new(Coding::Mmr)).expect("tiff");
    patch_tag(&mut tif, 259, 5); // page 1 claims LZW
    let f = d.join("lzw.tif");
    std::fs::write(&f, tif).expect("write");
    let r = faxctl(&["info", s(&f), "--json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("faxctl: error: ") && r.stderr.contains("page 1"),
        "{}",
        r.stderr
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["pages"][0]["compression"], 5);
    assert_eq!(v["pages"][0]["coding"], "unknown");
    assert!(v["pages"][0]["bad_rows"].is_null());
    assert!(v["pages"][0]["error"]
        .as_str()
        .expect("error")
        .contains("compression 5"));
    assert_eq!(v["pages"][1]["coding"], "mmr");
    assert_eq!(v["pages"][1]["bad_rows"], 0);
    fails(&["convert", s(&f), s(&d.join("out.pbm"))], 2);
    // Page 2 alone converts.
    ok(&["convert", s(&f), s(&d.join("out.pbm")), "--page", "2"]);
}

#[test]
fn info_never_shows_identity_tags_of_corpus_files() {
    let Some(c) = corpus() else { return };
    // pport_g4.tif has DocumentName, Model, HostComputer; testfax4.tiff has Artist.
    let out = ok(&["info", s(&c.join("pillow/pport_g4.tif")), "--json"]).stdout;
    for secret in ["pport_instructions", "Photosmart", "Apple", "ImageMagick"] {
        assert!(!out.contains(secret), "{secret}");
    }
    let out = ok(&["info", s(&c.join("libtiff/testfax4.tiff"))]).stdout;
    assert!(!out.contains("AccuSoft") && !out.contains("ImageGear"));
    let out = ok(&["info", s(&c.join("pillow/g4-multi.tiff"))]).stdout;
    assert!(
        out.contains("format: tiff, 3 pages")
            && out.contains("strips:      2 (2532 rows per strip)"),
        "{out}"
    );
}

#[test]
fn encode_raw_then_decode_raw_round_trips() {
    let d = dir("raw");
    let page = image(1728, 40, 5);
    let input = d.join("in.pbm");
    pbm(&input, std::slice::from_ref(&page));
    let original = read(&input);
    let cases: &[(&[&str], &str)] = &[
        (&[], "0"),
        (&["--coding", "mh"], "0"),
        (&["--coding", "mh", "--no-eol"], "0"),
        (&["--coding", "mh", "--byte-align"], "0"),
        (&["--coding", "mh", "--rtc"], "0"),
        (&["--coding", "mr"], "4"),
        (&["--k", "2"], "2"),
        (&["--coding", "mr", "--byte-align", "--rtc"], "4"),
        (&["--coding", "mmr"], "-1"),
        (&["--k", "-1", "--rtc"], "-1"),
        (&["--coding", "mmr", "--byte-align"], "-1"),
    ];
    for (i, (flags, k)) in cases.iter().enumerate() {
        let raw = d.join(format!("c{i}.raw"));
        let back = d.join(format!("c{i}.pbm"));
        let mut args = vec!["encode-raw", s(&input), s(&raw)];
        args.extend_from_slice(flags);
        ok(&args);
        let mut args = vec![
            "decode-raw",
            s(&raw),
            s(&back),
            "--columns",
            "1728",
            "--k",
            k,
        ];
        if flags.contains(&"--byte-align") {
            args.push("--byte-align");
        }
        let r = ok(&args);
        assert!(r.stderr.is_empty(), "{flags:?}: {}", r.stderr);
        assert!(read(&back) == original, "{flags:?}: pages differ");
        if flags.contains(&"--rtc") {
            // After RTC / EOFB the rest of the data is not image data.
            let mut data = read(&raw);
            data.extend_from_slice(&[0x55; 64]);
            std::fs::write(&raw, data).expect("write");
            let r = ok(&args);
            assert!(r.stderr.is_empty(), "{flags:?}: {}", r.stderr);
            assert!(read(&back) == original, "{flags:?}: pages differ after RTC");
        }
    }
    // Default MH rows carry EOLs (TIFF Class F style): the first 12 bits are an EOL.
    let raw = read(&d.join("c0.raw"));
    assert_eq!((raw[0], raw[1] & 0xF0), (0x00, 0x10));
    let no_eol = read(&d.join("c2.raw"));
    assert!(no_eol.len() < raw.len());
}

#[test]
fn decode_raw_options() {
    let d = dir("decode-options");
    let page = image(100, 12, 3);
    let input = d.join("in.pbm");
    pbm(&input, std::slice::from_ref(&page));
    let raw = d.join("in.raw");
    ok(&["encode-raw", s(&input), s(&raw), "--coding", "mmr"]);

    // --black-is-1 inverts the image (PDF BlackIs1 true as a viewer shows it).
    let inverted = d.join("inv.pbm");
    ok(&[
        "decode-raw",
        s(&raw),
        s(&inverted),
        "--columns",
        "100",
        "--k",
        "-1",
        "--black-is-1",
    ]);
    let mut want = page.clone();
    want.black_is_1 = false; // write_pbm inverts it back to 1 = black: i.e. the inverted look
    let mut expected = Vec::new();
    write_pbm(&want, &mut expected);
    assert!(read(&inverted) == expected);

    // LSB-first data.
    let lsb: Vec<u8> = read(&raw).iter().map(|b| b.reverse_bits()).collect();
    let lsb_raw = d.join("lsb.raw");
    std::fs::write(&lsb_raw, lsb).expect("write");
    let back = d.join("lsb.pbm");
    ok(&[
        "decode-raw",
        s(&lsb_raw),
        s(&back),
        "--columns",
        "100",
        "--k",
        "-1",
        "--fill-order",
        "lsb",
    ]);
    assert!(read(&back) == read(&input));

    // --rows: missing rows are concealed as white, with a warning.
    let r = ok(&[
        "decode-raw",
        s(&raw),
        s(&back),
        "--columns",
        "100",
        "--k",
        "-1",
        "--rows",
        "15",
    ]);
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("3 damaged rows"),
        "{}",
        r.stderr
    );
    assert!(read(&back).starts_with(b"P4\n100 15\n"));
    fails(
        &[
            "decode-raw",
            s(&raw),
            s(&back),
            "--columns",
            "100",
            "--k",
            "-1",
            "--rows",
            "15",
            "--strict",
        ],
        2,
    );

    // Output format by extension.
    let tif = d.join("out.tif");
    ok(&[
        "decode-raw",
        s(&raw),
        s(&tif),
        "--columns",
        "100",
        "--k",
        "-1",
    ]);
    ok(&["convert", s(&tif), s(&back)]);
    assert!(read(&back) == read(&input));
}

#[test]
fn decode_raw_matches_corpus() {
    let Some(c) = corpus() else { return };
    let d = dir("decode-corpus");
    let out = d.join("itu1.pbm");
    ok(&[
        "decode-raw",
        s(&c.join("ccitt-encoded/itu1.g4.raw")),
        s(&out),
        "--columns",
        "1728",
        "--k",
        "-1",
    ]);
    assert!(read(&out) == read(&c.join("ccitt/itu1.pbm")));
    for (suffix, k) in [
        ("g3-1d", "0"),
        ("g3-1d-fill", "0"),
        ("g3-2d", "4"),
        ("g3-2d-k2", "2"),
    ] {
        let raw = c.join(format!("ccitt-encoded/itu2.{suffix}.raw"));
        ok(&[
            "decode-raw",
            s(&raw),
            s(&out),
            "--columns",
            "1728",
            "--k",
            k,
        ]);
        assert!(read(&out) == read(&c.join("ccitt/itu2.pbm")), "{suffix}");
    }
}

#[test]
fn convert_corpus_tiffs() {
    let Some(c) = corpus() else { return };
    let d = dir("convert-corpus");
    let out = d.join("fax4.pbm");
    ok(&["convert", s(&c.join("pdf-rs-fax/files/fax4.tiff")), s(&out)]);
    assert!(read(&out) == read(&c.join("pdf-rs-fax/files/fax4.pbm")));
    // FillOrder 2 G4 to MH TIFF and back to PNG, compared with Pillow's rendering through PBM.
    let mh = d.join("fill.tif");
    ok(&[
        "convert",
        s(&c.join("pillow/g4-fillorder-test.tif")),
        s(&mh),
        "--coding",
        "mh",
    ]);
    let a = d.join("a.pbm");
    let b = d.join("b.pbm");
    ok(&["convert", s(&mh), s(&a)]);
    ok(&["convert", s(&c.join("pillow/g4-fillorder-test.png")), s(&b)]);
    assert!(read(&a) == read(&b));
}
