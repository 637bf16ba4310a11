//! `faxctl cover` (exit codes, formats, no field values printed) and a peer check: libtiff
//! (`tiffcp`, from libtiff-tools) decodes our MH, MR and MMR TIFFs of a cover page to exactly
//! the rendered pels. Skipped with a note when `tiffcp` is missing, unless
//! `FAXKIT_REQUIRE_PEERS=1`.

use faxkit_examples::cover::{render, CoverSheet};
use std::path::Path;
use std::process::Command;
use t30::Resolution;
use t4_codec::container::{read_tiff, write_tiff, Page, ReadOptions, TiffWriteOptions};
use t4_codec::{Coding, Image};

fn faxctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faxctl"))
        .args(args)
        .output()
        .expect("run faxctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sheet() -> CoverSheet {
    CoverSheet {
        to: "Oncology, Mercy General".into(),
        from: "Dr. Who, Clinic B".into(),
        patient_reference: "MRN-77812".into(),
        subject: "Pathology report".into(),
        pages: 5,
        callback: "+1 555 0142".into(),
        ..CoverSheet::default()
    }
}

fn read_one(path: &Path) -> Page {
    let data = std::fs::read(path).expect("read");
    let mut pages = read_tiff(&data, &ReadOptions::default()).expect("tiff");
    assert_eq!(pages.len(), 1);
    pages.remove(0)
}

#[test]
fn cover_command_writes_the_rendered_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = sheet();
    for (res, arg) in [
        (Resolution::Fine, "fine"),
        (Resolution::Standard, "standard"),
    ] {
        let out = dir.path().join(format!("cover-{arg}.tif"));
        let pages = s.pages.to_string();
        let (code, stdout, stderr) = faxctl(&[
            "cover",
            "--to",
            &s.to,
            "--from",
            &s.from,
            "--patient",
            &s.patient_reference,
            "--subject",
            &s.subject,
            "--pages",
            &pages,
            "--callback",
            &s.callback,
            "--resolution",
            arg,
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.is_empty() && stderr.is_empty());
        let page = read_one(&out);
        let want = render(&s, res).expect("render");
        assert_eq!((page.image.columns, page.image.rows), (1728, want.rows));
        assert!(page.image.data == want.data, "{arg}: pels differ");
        let (x, y) = res.dpi();
        let r = page
            .resolution
            .and_then(|r| r.to_dpi())
            .expect("resolution");
        assert_eq!((r.0.round(), r.1.round()), (f64::from(x), f64::from(y)));
    }
    // PNG too.
    let png = dir.path().join("cover.png");
    let (code, _, err) = faxctl(&[
        "cover",
        "--to",
        "A",
        "--from",
        "B",
        png.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read(&png).expect("png").starts_with(b"\x89PNG"));
}

#[test]
fn cover_command_refuses_what_does_not_fit_without_echoing_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("c.tif");
    let long = "Patient Jane Q. Public ".repeat(20);
    let (code, stdout, stderr) = faxctl(&[
        "cover",
        "--to",
        "A",
        "--from",
        "B",
        "--patient",
        &long,
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("patient_reference"), "{stderr}");
    assert!(!stderr.contains("Jane"), "{stderr}");
    assert!(!out.exists());
    // An output format we cannot tell: a usage error.
    let (code, _, _) = faxctl(&["cover", "--to", "A", "--from", "B", "c.gif"]);
    assert_eq!(code, 1);
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("-h").output().is_ok()
}

#[test]
fn libtiff_decodes_our_cover_page_tiffs_to_the_same_pels() {
    if !have("tiffcp") {
        assert!(
            std::env::var("FAXKIT_REQUIRE_PEERS").as_deref() != Ok("1"),
            "tiffcp (libtiff-tools) is required (FAXKIT_REQUIRE_PEERS=1)"
        );
        eprintln!("note: tiffcp not found; libtiff check of the cover page skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for res in [Resolution::Standard, Resolution::Fine] {
        let want = render(&sheet(), res).expect("render");
        let (x, y) = res.dpi();
        let mut page = Page::from_image(Image {
            columns: want.columns,
            rows: want.rows,
            black_is_1: true,
            data: want.data.clone(),
            bad_rows: 0,
            max_consecutive_bad_rows: 0,
        });
        page.resolution = Some(t4_codec::container::Resolution::dpi(
            f64::from(x),
            f64::from(y),
        ));
        for coding in [Coding::Mh, Coding::Mr { k: 4 }, Coding::Mmr] {
            let ours = dir.path().join("ours.tif");
            let plain = dir.path().join("plain.tif");
            let tiff = write_tiff(std::slice::from_ref(&page), &TiffWriteOptions::new(coding))
                .expect("write tiff");
            std::fs::write(&ours, tiff).expect("write");
            let st = Command::new("tiffcp")
                .args(["-c", "none"])
                .arg(&ours)
                .arg(&plain)
                .output()
                .expect("tiffcp");
            assert!(
                st.status.success(),
                "{coding:?}: tiffcp: {}",
                String::from_utf8_lossy(&st.stderr)
            );
            // Uncompressed: libtiff's decoding, read back as plain bytes.
            let back = read_one(&plain);
            assert_eq!(back.info.compression, Some(1), "{coding:?}");
            assert_eq!((back.image.columns, back.image.rows), (1728, want.rows));
            assert!(
                back.image.data == want.data,
                "{coding:?} at {res:?}: libtiff's pels differ"
            );
        }
    }
}
