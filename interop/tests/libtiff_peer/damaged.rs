//! Damaged and misread input: libtiff's `fax2tiff` against our lenient decoder on
//! `corpus/libtiff/miniswhite-1c-1b.g3`, a raw 1728-pel MH file with EOLs.
//!
//! Read MSB first (`fax2tiff -M`, as libtiff's own test does) the file is a clean 1728-row
//! page ending in RTC, with one oddity: the last row is followed by a zero-length white run
//! code before the next EOL, which libtiff skips. Read LSB first (`fax2tiff`'s default, `-L`)
//! nearly every row is damaged: a hard test of resynchronisation, where both decoders conceal
//! bad rows their own way.
//!
//! In both cases every row libtiff decoded before its first reported damage must come out of
//! our decoder too, at the same index. `fax2tiff` does not know RTC and decodes its EOLs as
//! empty rows: white rows at the very end of its output are not counted as page content.

use super::tools::{have_tool, run, Scratch};
use faxkit_interop::read_tiff;
use std::path::Path;
use t4_codec::{decode_image, Coding, DecodeOptions, FillOrder, Params};

/// The first line number in fax2tiff's "Bad code word at line N" messages.
fn first_reported_damage(stderr: &str) -> Option<u32> {
    stderr
        .lines()
        .filter_map(|l| l.split(" at line ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .min()
}

#[test]
fn lenient_decode_keeps_every_row_libtiff_keeps() {
    let Some(corpus) = faxkit_interop::shared_corpus() else {
        return;
    };
    if !have_tool("fax2tiff") || !have_tool("tiffcp") {
        return;
    }
    let input = corpus.join("libtiff/miniswhite-1c-1b.g3");
    let data = std::fs::read(&input).expect("read g3");
    let dir = Scratch::new("damaged");
    for (flag, fill_order) in [("-M", FillOrder::MsbFirst), ("-L", FillOrder::LsbFirst)] {
        let fax = dir.path(&format!("fax{flag}.tif"));
        let plain = dir.path(&format!("plain{flag}.tif"));
        let out = run(
            "fax2tiff",
            &[Path::new(flag), Path::new("-o"), &fax, &input],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        run(
            "tiffcp",
            &[Path::new("-c"), Path::new("none"), &fax, &plain],
        );
        let theirs = read_tiff(&std::fs::read(&plain).expect("read"))
            .expect("libtiff reads fax2tiff's output");
        assert_eq!((theirs.width, theirs.photometric), (1728, 0));

        let mut params = Params::new(Coding::Mh, 1728);
        params.end_of_line = true;
        params.black_is_1 = true;
        params.fill_order = fill_order;
        params.rows = 0;
        let (ours, error) = match decode_image(&data, &params, DecodeOptions::default()) {
            Ok(img) => (img, None),
            Err(e) => (*e.partial.clone(), Some(e.error)),
        };

        let rb = 1728 / 8;
        let same =
            |y: usize| ours.data.get(y * rb..(y + 1) * rb) == theirs.data.get(y * rb..(y + 1) * rb);
        let n = theirs.rows.max(ours.rows) as usize;
        let identical = (0..n).filter(|&y| same(y)).count();
        let prefix = (0..n).take_while(|&y| same(y)).count();
        let content = (0..theirs.rows as usize)
            .rev()
            .find(|&y| theirs.data[y * rb..(y + 1) * rb].iter().any(|&b| b != 0));
        let content_rows = content.map_or(0, |y| y + 1);
        let first_damage = first_reported_damage(&stderr).map(|r| r as usize);
        let libtiff_clean = first_damage.unwrap_or(content_rows).min(content_rows);
        let messages = stderr.lines().count();
        println!(
            "fax2tiff {flag}: libtiff {} rows ({content_rows} up to the last non-white one), {messages} damage \
             messages, first damaged row {first_damage:?}, so {libtiff_clean} clean rows; t4-codec {} rows ({} \
             concealed{}); identical rows at the same index: {identical} (leading: {prefix})",
            theirs.rows,
            ours.rows,
            ours.bad_rows,
            error.map_or(String::new(), |e| format!(", stopped: {e}")),
        );
        assert!(
            prefix >= libtiff_clean,
            "{flag}: libtiff decodes {libtiff_clean} rows before the damage, we match only {prefix}"
        );
        if flag == "-M" {
            // Intact: libtiff reports nothing, and the whole page matches.
            assert_eq!((first_damage, prefix), (None, 1728));
        }
    }
}

/// The oddity at the end of the file above, as small as it gets: MH with EOLs, 8 pels, row 0
/// is "white 7, black 1" followed by a zero-length white run code, row 1 is all white.
/// libtiff stops reading a row once it is complete and skips to the next EOL; t4-codec reads
/// the extra code as the start of an EOL-less row, conceals it, and with `Rows = 2` loses the
/// real row 1 (it delivers rows [0x01, 0x01]).
#[test]
fn bits_between_a_complete_row_and_the_next_eol_are_skipped_like_libtiff() {
    // EOL 1111(w7) 010(b1) 00110101(w0) | EOL 10011(w8)
    let data = [0x00, 0x1f, 0x46, 0xa0, 0x03, 0x30];
    let libtiff = faxkit_interop::decode_strip(faxkit_interop::LibtiffScheme::MH, 8, 2, &data)
        .expect("libtiff");
    assert_eq!(libtiff, [0x01, 0x00]);
    let params = faxkit_interop::LibtiffScheme::MH.t4_params(8, 2);
    let ours = decode_image(&data, &params, DecodeOptions::default()).expect("decodes");
    assert_eq!((ours.data.as_slice(), ours.bad_rows), (&libtiff[..], 0));
}

/// Why the LSB-first reading above gives no rows at all: damage before the first EOL. MH with
/// EOLs, 8 pels: a junk byte, then EOL and "white 7, black 1". libtiff scans to the first
/// EOL and decodes the row; t4-codec resynchronises only after it has seen an EOL, even with
/// `Params::end_of_line` set, so it conceals the row (`Rows = 1`) or fails (`Rows = 0`).
#[test]
fn junk_before_the_first_eol_is_skipped_like_libtiff() {
    let data = [0xff, 0x00, 0x1f, 0x40];
    let libtiff = faxkit_interop::decode_strip(faxkit_interop::LibtiffScheme::MH, 8, 1, &data)
        .expect("libtiff");
    assert_eq!(libtiff, [0x01]);
    let params = faxkit_interop::LibtiffScheme::MH.t4_params(8, 1);
    let ours = decode_image(&data, &params, DecodeOptions::default()).expect("decodes");
    assert_eq!((ours.data.as_slice(), ours.bad_rows), (&libtiff[..], 0));
}
