//! Round trips through the containers: pages written as TIFF Class F (every coding and
//! option), PNG and PBM read back identical, with their resolution and fax quality tags.
#![cfg(all(feature = "tiff", feature = "png"))]
#![allow(clippy::cast_possible_truncation)] // small test pages

use t4_codec::container::{
    read_pbm_pages, read_png, read_tiff, write_pbm, write_png, write_tiff, FileFormat, Page,
    ReadOptions, Resolution, ResolutionUnit, TiffReader, TiffWriteOptions,
};
use t4_codec::{Coding, FillOrder, Image, Limits};

/// A page with text-like blocks, a frame, a dithered patch and a width that is not a multiple
/// of 8.
fn sample_page(columns: u32, rows: u32, seed: u64) -> Page {
    let row_bytes = columns.div_ceil(8) as usize;
    let mut data = vec![0u8; row_bytes * rows as usize];
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut set = |x: u32, y: u32| data[y as usize * row_bytes + x as usize / 8] |= 0x80 >> (x % 8);
    for y in 0..rows {
        for x in 0..columns {
            let frame = x < 2 || y < 2 || x + 2 >= columns || y + 2 >= rows;
            let text = (y / 7) % 3 == 1 && (x / 5) % 4 != 0 && x > 20 && x < columns * 2 / 3;
            let dither = x > columns * 3 / 4 && y > rows / 2 && next() % 3 == 0;
            if frame || text || dither {
                set(x, y);
            }
        }
    }
    let image = Image {
        columns,
        rows,
        black_is_1: true,
        data,
        ..Image::default()
    };
    Page::from_image(image)
}

fn options(coding: Coding) -> TiffWriteOptions {
    TiffWriteOptions::new(coding)
}

#[test]
fn tiff_round_trips_every_coding() {
    let mut cases = Vec::new();
    for coding in [
        Coding::Mh,
        Coding::Mr { k: 2 },
        Coding::Mr { k: 4 },
        Coding::Mmr,
    ] {
        for fill_order in [FillOrder::MsbFirst, FillOrder::LsbFirst] {
            for uncompressed in [false, true] {
                let mut o = options(coding);
                o.params.fill_order = fill_order;
                o.params.uncompressed = uncompressed;
                cases.push(o.clone());
                if coding != Coding::Mmr {
                    o.params.eol_fill = true;
                    cases.push(o);
                }
            }
        }
    }
    // MH without EOLs, rows byte-aligned (compression 2) and word-aligned (32771).
    let mut rle = options(Coding::Mh);
    rle.params.end_of_line = false;
    rle.params.encoded_byte_align = true;
    cases.push(rle.clone());
    rle.params.encoded_byte_align = false;
    rle.params.encoded_word_align = true;
    cases.push(rle);

    let pages = [
        sample_page(203, 61, 1),
        sample_page(1728, 40, 2),
        sample_page(9, 3, 3),
    ];
    for o in &cases {
        let file = write_tiff(&pages, o).expect("write");
        let back = read_tiff(&file, &ReadOptions::default()).expect("read");
        assert_eq!(back.len(), pages.len());
        let tags = o.params.to_tiff(1).expect("tiff tags");
        for (i, (a, b)) in pages.iter().zip(&back).enumerate() {
            assert_eq!(
                (b.width(), b.rows()),
                (a.width(), a.rows()),
                "{o:?} page {i}"
            );
            assert!(a.data() == b.data(), "{o:?} page {i}: pels differ");
            assert_eq!(b.image.bad_rows, 0);
            assert!(b.info.warnings.is_empty(), "{:?}", b.info.warnings);
            assert_eq!(b.info.format, FileFormat::Tiff);
            assert_eq!(b.info.compression, Some(tags.compression));
            assert_eq!(b.info.fill_order, o.params.fill_order);
            assert_eq!(b.info.page_number, Some((i as u16, 3)));
            assert_eq!(b.info.subfile_type, Some(2));
            let p = b.info.params.as_ref().expect("coded");
            assert_eq!(p.coding() == Coding::Mmr, o.params.coding() == Coding::Mmr);
            assert_eq!(p.eol_fill, o.params.eol_fill);
            assert_eq!(p.uncompressed, o.params.uncompressed);
            // Pages read from PBM-like sources have unknown damage: no fax quality tags.
            assert_eq!(b.info.tag_bad_rows, None);
            assert_eq!(b.resolution, Some(Resolution::fax_fine()));
        }
    }
}

#[test]
fn tiff_default_is_mmr_and_keeps_resolution() {
    let mut page = sample_page(100, 20, 7);
    page.resolution = Some(Resolution {
        x: 78.74,
        y: 39.37,
        unit: ResolutionUnit::Centimeter,
    });
    let file = write_tiff(&[page.clone()], &TiffWriteOptions::default()).expect("write");
    let back = read_tiff(&file, &ReadOptions::default())
        .expect("read")
        .remove(0);
    assert_eq!(back.info.compression, Some(4));
    assert_eq!(
        back.info.params.as_ref().map(|p| p.coding()),
        Some(Coding::Mmr)
    );
    assert_eq!(back.resolution, page.resolution);
    assert_eq!(back.data(), page.data());
}

#[test]
fn fax_quality_tags_are_written_when_known() {
    // A page that came from coded data (damage known) with concealed rows.
    let mut page = sample_page(64, 10, 9);
    page.info.params = Some(t4_codec::Params::new(Coding::Mh, 64));
    page.image.bad_rows = 3;
    page.image.max_consecutive_bad_rows = 2;
    page.info.tag_bad_rows = Some(1);
    let file = write_tiff(&[page], &options(Coding::Mr { k: 4 })).expect("write");
    let back = read_tiff(&file, &ReadOptions::default())
        .expect("read")
        .remove(0);
    assert_eq!(back.info.tag_bad_rows, Some(4));
    assert_eq!(back.info.tag_consecutive_bad_rows, Some(2));
    assert_eq!(back.info.tag_clean_fax_data, Some(1));
    let q = back.fax_quality().expect("known");
    assert_eq!((q.bad_rows, q.consecutive_bad_rows, q.clean), (4, 2, 1));

    // Written again: the damage stays recorded (the page decoded cleanly this time).
    let again = write_tiff(std::slice::from_ref(&back), &options(Coding::Mmr)).expect("w");
    let again = read_tiff(&again, &ReadOptions::default())
        .expect("r")
        .remove(0);
    assert_eq!(again.info.tag_bad_rows, Some(4), "damage carried over");
}

/// The tags of the first IFD, read with the `tiff` crate directly.
fn tag_numbers(file: &[u8]) -> Vec<u16> {
    let mut dec = tiff::decoder::Decoder::new(std::io::Cursor::new(file)).expect("tiff");
    let tags: Vec<u16> = dec.tag_iter().map(|t| t.expect("tag").0.to_u16()).collect();
    tags
}

#[test]
fn no_identity_tags_unless_asked() {
    let page = sample_page(40, 8, 5);
    let file = write_tiff(std::slice::from_ref(&page), &options(Coding::Mmr)).expect("write");
    let tags = tag_numbers(&file);
    // Artist, HostComputer, ImageDescription, DocumentName, PageName, Make, Model, Software,
    // DateTime, Copyright.
    for t in [315, 316, 270, 269, 285, 271, 272, 305, 306, 33432] {
        assert!(!tags.contains(&t), "tag {t} written");
    }
    for t in [
        254, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 282, 283, 293, 296, 297,
    ] {
        assert!(tags.contains(&t), "tag {t} missing");
    }
    assert!(tags.windows(2).all(|w| w[0] < w[1]), "tags sorted");

    let mut o = options(Coding::Mh);
    o.image_description = Some("scanned form".into());
    let file = write_tiff(&[page], &o).expect("write");
    let tags = tag_numbers(&file);
    assert!(tags.contains(&270) && tags.contains(&292));
    let mut dec = tiff::decoder::Decoder::new(std::io::Cursor::new(&file[..])).expect("tiff");
    assert_eq!(
        dec.get_tag_ascii_string(tiff::tags::Tag::ImageDescription)
            .expect("desc"),
        "scanned form"
    );
    o.image_description = Some("a\0b".into());
    assert!(write_tiff(&[sample_page(8, 1, 1)], &o).is_err());
}

#[test]
fn tiff_reader_pages_one_at_a_time() {
    let pages = [sample_page(30, 5, 1), sample_page(50, 6, 2)];
    let file = write_tiff(&pages, &options(Coding::Mmr)).expect("write");
    let reader = TiffReader::new(&file, ReadOptions::default()).expect("open");
    assert_eq!(reader.page_count(), 2);
    assert_eq!(reader.dimensions(1), Some((50, 6)));
    assert_eq!(reader.page_info(0).and_then(|i| i.compression), Some(4));
    assert_eq!(reader.read_page(1).expect("page 2").data(), pages[1].data());
    assert!(reader.read_page(2).is_err());
}

#[test]
fn empty_and_unencodable_writes_fail() {
    assert!(write_tiff(&[], &TiffWriteOptions::default()).is_err());
    let mut o = options(Coding::Mh);
    o.params.end_of_line = false; // MH without EOLs or alignment has no TIFF compression
    assert!(write_tiff(&[sample_page(8, 1, 1)], &o).is_err());
}

#[test]
fn png_round_trips_with_resolution() {
    for (w, h) in [(1, 1), (7, 3), (203, 61), (1728, 12)] {
        let mut page = sample_page(w, h, u64::from(w));
        page.resolution = Some(Resolution::dpi(204.0, 196.0));
        let file = write_png(&page).expect("png");
        let back = read_png(&file, &Limits::default()).expect("read");
        assert_eq!((back.width(), back.rows()), (w, h));
        assert!(back.data() == page.data(), "{w}x{h}");
        assert_eq!(back.resolution, page.resolution);
        assert_eq!(back.info.format, FileFormat::Png);
    }
    let mut page = sample_page(16, 2, 1);
    page.resolution = Some(Resolution {
        x: 2.0,
        y: 1.0,
        unit: ResolutionUnit::None,
    });
    let back = read_png(&write_png(&page).expect("png"), &Limits::default()).expect("read");
    assert_eq!(back.resolution, page.resolution);
}

#[test]
fn png_reads_grayscale_by_threshold() {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 4, 2);
        enc.set_color(png::ColorType::GrayscaleAlpha);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("header");
        // (gray, alpha): black, dark gray, light gray, transparent black.
        let row = [0, 255, 100, 255, 200, 255, 0, 0];
        w.write_image_data(&[row, row].concat()).expect("data");
    }
    let page = read_png(&out, &Limits::default()).expect("read");
    assert_eq!(page.data(), [0b1100_0000, 0b1100_0000]);
    assert_eq!(page.resolution, None);
}

#[test]
fn png_limits_are_checked_before_decoding() {
    let page = sample_page(300, 10, 1);
    let file = write_png(&page).expect("png");
    let mut limits = Limits::default();
    limits.max_columns = 299;
    let err = read_png(&file, &limits).expect_err("too wide");
    assert!(err.is_limit(), "{err}");
    assert!(read_png(&file[..file.len() / 2], &Limits::default()).is_err());
    assert!(read_png(b"not a png", &Limits::default()).is_err());
}

#[test]
fn pbm_pages_round_trip() {
    let pages = [sample_page(13, 4, 1), sample_page(64, 2, 2)];
    let mut file = Vec::new();
    for p in &pages {
        write_pbm(&p.image, &mut file);
    }
    let back = read_pbm_pages(&file, &Limits::default()).expect("pbm");
    assert_eq!(back.len(), 2);
    for (a, b) in pages.iter().zip(&back) {
        assert_eq!(a.data(), b.data());
        assert_eq!(b.info.format, FileFormat::Pbm);
        assert_eq!(b.fax_quality(), None);
    }
    let mut limits = Limits::default();
    limits.max_rows = 3;
    assert!(read_pbm_pages(&file, &limits).expect_err("rows").is_limit());
}

#[test]
fn page_from_image_normalises_polarity() {
    let image = Image {
        columns: 4,
        rows: 1,
        black_is_1: false,
        data: vec![0b0011_1111],
        ..Image::default()
    };
    let page = Page::from_image(image);
    assert!(page.image.black_is_1);
    assert_eq!(page.data(), [0b1100_0000]);
}
