//! The codec end to end on a machine with nothing but Rust: makes a fax page, codes it in MH,
//! MR and MMR, decodes it back (whole and as T.38-sized fragments), transcodes between
//! codings without a bitmap, shows damage being concealed, and writes the results to a
//! directory for viewing.
//!
//! Run: `cargo run --release -p faxkit-examples --example codec_tour [OUT_DIR]`

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;
use t4_codec::container::write_pbm;
use t4_codec::{
    decode_image, encode, transcode, Coding, DecodeOptions, Decoder, Image, Limits, Params,
    Progress,
};

const COLUMNS: u32 = 1728;
const ROWS: u32 = 2200;

/// A synthetic A4 page at fine resolution: text-like blocks, rules, a frame and a dither.
fn page() -> Image {
    let row_bytes = COLUMNS.div_ceil(8) as usize;
    let mut data = vec![0u8; row_bytes * ROWS as usize];
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let set = |data: &mut [u8], x: u32, y: u32| {
        let i = y as usize * row_bytes + x as usize / 8;
        data[i] |= 0x80 >> (x % 8);
    };
    for y in 0..ROWS {
        for x in 0..COLUMNS {
            let frame = !(60..COLUMNS - 60).contains(&x) || !(40..ROWS - 40).contains(&y);
            let border = frame && (x % 60 < 3 || y % 40 < 3);
            let line = y % 48;
            let text = y > 200
                && y < 1700
                && line < 22
                && x > 150
                && x < 1550
                && (x / 9 + y / 48) % 7 != 0;
            let glyph = text && (x % 9 < 2 || line % 11 < 2 || (x + line).is_multiple_of(13));
            let rule = (y == 1800 || y == 1801) && x > 150 && x < 1550;
            let dither = y > 1850 && y < 2050 && x > 900 && x < 1500 && next().is_multiple_of(3);
            if border || glyph || rule || dither {
                set(&mut data, x, y);
            }
        }
    }
    Image {
        columns: COLUMNS,
        rows: ROWS,
        black_is_1: true,
        data,
        ..Image::default()
    }
}

fn params(coding: Coding) -> Params {
    let mut p = Params::new(coding, COLUMNS);
    p.black_is_1 = true;
    p.end_of_line = coding != Coding::Mmr;
    p.rows = ROWS;
    p
}

fn main() -> Result<(), Box<dyn Error>> {
    let out_dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("faxkit-codec-tour"));
    std::fs::create_dir_all(&out_dir)?;
    let page = page();
    let raw_size = page.data.len();
    println!("page: {COLUMNS} x {ROWS} pels, {raw_size} bytes packed");

    let codings = [
        ("mh", Coding::Mh),
        ("mr", Coding::Mr { k: 4 }),
        ("mmr", Coding::Mmr),
    ];
    let mut coded_pages = Vec::new();
    for (name, coding) in codings {
        let p = params(coding);
        let t = Instant::now();
        let coded = encode(&p, &page.data)?;
        let enc = t.elapsed();
        let t = Instant::now();
        let image = decode_image(&coded, &p, DecodeOptions::default())?;
        let dec = t.elapsed();
        if image.data != page.data {
            return Err(format!("{name}: decoded page differs").into());
        }
        println!(
            "{name:>3}: {:>7} bytes ({:5.1} : 1), encode {:>6.2} ms, decode {:>6.2} ms, identical",
            coded.len(),
            raw_size as f64 / coded.len() as f64,
            enc.as_secs_f64() * 1e3,
            dec.as_secs_f64() * 1e3
        );
        std::fs::write(out_dir.join(format!("page.{name}.raw")), &coded)?;
        coded_pages.push((name, coding, coded));
    }

    // Streaming: the MMR page arriving in 30-byte fragments, as T.38 packets would carry it.
    let (_, _, mmr) = &coded_pages[2];
    let mut dec = Decoder::new(params(Coding::Mmr))?;
    let mut rows = 0;
    let mut fragments = 0;
    for fragment in mmr.chunks(30) {
        fragments += 1;
        let mut input = fragment;
        loop {
            let (used, progress) = dec.update(input)?;
            input = &input[used..];
            match progress {
                Progress::Row(_) => rows += 1,
                Progress::NeedInput | Progress::End => break,
            }
        }
    }
    println!("streamed: {rows} rows from {fragments} fragments of 30 bytes");

    // Transcoding on change lists, no bitmap: MH -> MMR equals a fresh MMR encoding.
    let (_, _, mh) = &coded_pages[0];
    let (g4, bad) = transcode(
        mh,
        &params(Coding::Mh),
        &params(Coding::Mmr),
        Limits::default(),
    )?;
    println!(
        "transcoded MH -> MMR: {} bytes, equal to direct MMR: {}, bad rows {bad}",
        g4.len(),
        &g4 == mmr
    );

    // Damage: flip one byte in the middle of the MH page; the row is concealed and counted.
    let mut damaged = mh.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0xFF;
    let image = decode_image(&damaged, &params(Coding::Mh), DecodeOptions::default())?;
    let wrong = (0..ROWS).filter(|&y| image.row(y) != page.row(y)).count();
    println!(
        "one flipped byte in MH: {} rows concealed, {wrong} rows differ from the original",
        image.bad_rows
    );

    let mut pbm = Vec::new();
    write_pbm(&page, &mut pbm);
    std::fs::write(out_dir.join("page.pbm"), pbm)?;
    println!(
        "wrote page.pbm and page.{{mh,mr,mmr}}.raw to {}",
        out_dir.display()
    );
    Ok(())
}
