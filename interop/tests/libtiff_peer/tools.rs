//! Through libtiff's own command-line tools (Debian `libtiff-tools`): `tiffcp` decodes and
//! re-encodes our coding, `tiffcmp` compares the pels. Skipped, with a note, if `tiffcp` is
//! not installed.

use super::common::{random_page, Kind, Page};
use faxkit_interop::{raw_strips, wrap_raw_strip, write_uncompressed, LibtiffScheme};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use t4_codec::{container::read_pbm, encode};

/// A scratch directory removed when dropped.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("faxkit-interop-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether a libtiff tool can be started at all.
pub(crate) fn have_tool(name: &str) -> bool {
    match Command::new(name).output() {
        Ok(_) => true,
        Err(e) => {
            eprintln!("note: cannot run `{name}` ({e}); install libtiff-tools. Test skipped.");
            false
        }
    }
}

/// Runs a tool and returns its output, failing the test if it fails.
pub(crate) fn run(tool: &str, args: &[&Path]) -> Output {
    let out = Command::new(tool).args(args).output().expect("start tool");
    assert!(
        out.status.success(),
        "{tool} {args:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Pages for the tool round trips: synthetic, plus one CCITT page if the corpus is there.
fn pages() -> Vec<(String, Page)> {
    let mut pages = vec![
        (
            "drift-1728x120".to_string(),
            random_page(1728, 120, Kind::Drift { mean: 25 }, 1),
        ),
        (
            "noise-2561x37".to_string(),
            random_page(2561, 37, Kind::Noise { permille: 300 }, 2),
        ),
        (
            "runs-9x50".to_string(),
            random_page(9, 50, Kind::Runs { mean: 3 }, 3),
        ),
    ];
    if let Some(dir) = faxkit_interop::shared_corpus() {
        let pbm = std::fs::read(dir.join("ccitt/itu4.pbm")).expect("read itu4.pbm");
        let img = read_pbm(&pbm, 1 << 26).expect("pbm").remove(0);
        pages.push((
            "itu4".to_string(),
            Page {
                width: img.columns,
                rows: img.rows,
                data: img.data,
            },
        ));
    }
    pages
}

#[test]
fn tiffcp_decodes_and_recodes_our_coding_exactly() {
    if !have_tool("tiffcp") || !have_tool("tiffcmp") {
        return;
    }
    let dir = Scratch::new("tools");
    let mut checked = 0;
    for (name, page) in pages() {
        for scheme in LibtiffScheme::ALL {
            let tag = format!(
                "{name}.{}",
                scheme.name().replace([':', '(', ')', '='], "-")
            );
            // The original, uncompressed, tagged like the coded file (same resolution); through
            // tiffcp too, which adds tags (Orientation) that tiffcmp would report.
            let written = dir.path(&format!("{tag}.written.tif"));
            let plain =
                write_uncompressed(scheme, page.width, page.rows, &page.data).expect("write");
            std::fs::write(&written, plain).expect("save");
            let original = dir.path(&format!("{tag}.none.tif"));
            run(
                "tiffcp",
                &[Path::new("-c"), Path::new("none"), &written, &original],
            );
            let ours =
                encode(&scheme.t4_params(page.width, page.rows), &page.data).expect("encode");
            let coded = dir.path(&format!("{tag}.ours.tif"));
            std::fs::write(
                &coded,
                wrap_raw_strip(scheme, page.width, page.rows, &ours).expect("wrap"),
            )
            .expect("save");

            // tiffcp decodes our strip; tiffcmp finds the same pels as the original.
            let decoded = dir.path(&format!("{tag}.decoded.tif"));
            run(
                "tiffcp",
                &[Path::new("-c"), Path::new("none"), &coded, &decoded],
            );
            let cmp = run("tiffcmp", &[&decoded, &original]);
            assert!(
                cmp.stdout.is_empty(),
                "{tag}: tiffcmp: {}",
                String::from_utf8_lossy(&cmp.stdout)
            );

            // tiffcp decodes our strip and codes it again (K follows the copied YResolution):
            // libtiff's strip is our strip.
            let rows = page.rows.to_string();
            let recoded = dir.path(&format!("{tag}.recoded.tif"));
            let args = [
                Path::new("-c"),
                Path::new(scheme.tiffcp_arg()),
                Path::new("-r"),
                Path::new(&rows),
            ];
            run(
                "tiffcp",
                &[&args[..], &[coded.as_path(), recoded.as_path()]].concat(),
            );
            let strips =
                raw_strips(&std::fs::read(&recoded).expect("read")).expect("libtiff reads");
            assert_eq!(strips.len(), 1, "{tag}");
            assert!(
                strips[0] == ours,
                "{tag}: tiffcp's coding differs from ours"
            );
            checked += 1;
        }
    }
    eprintln!("tools: {checked} page/scheme pairs through tiffcp + tiffcmp");
}
