//! Hostile and unusual TIFF files: multi-strip layouts built by hand, both fill orders and
//! photometric interpretations, damaged and missing strips (lenient and strict), declared sizes
//! over the limits, loops in the IFD chain, and random corruption (never a panic).
#![cfg(feature = "tiff")]
#![allow(clippy::cast_possible_truncation)] // small test files

use proptest::prelude::*;
use t4_codec::container::{
    read_tiff, write_tiff, ContainerError, Page, ReadOptions, TiffReader, TiffWriteOptions,
};
use t4_codec::{encode, Coding, FillOrder, Image, Limit, Params, TiffFaxTags};

/// A TIFF with one IFD holding `tags` (tag, type, values) and the strips placed after the
/// header; StripOffsets and StripByteCounts are added from `strips` unless given as tags.
/// Little-endian classic TIFF unless `big_endian` / `bigtiff` are set.
struct Builder {
    tags: Vec<(u16, u16, Vec<u32>)>,
    strips: Vec<Vec<u8>>,
    big_endian: bool,
    bigtiff: bool,
}

impl Builder {
    fn new(width: u32, height: u32, compression: u16) -> Builder {
        Builder {
            tags: vec![
                (256, 4, vec![width]),
                (257, 4, vec![height]),
                (258, 3, vec![1]),
                (259, 3, vec![u32::from(compression)]),
                (262, 3, vec![0]),
            ],
            strips: Vec::new(),
            big_endian: false,
            bigtiff: false,
        }
    }

    fn tag(mut self, tag: u16, ty: u16, values: &[u32]) -> Builder {
        self.tags.retain(|t| t.0 != tag);
        self.tags.push((tag, ty, values.to_vec()));
        self
    }

    fn without(mut self, tag: u16) -> Builder {
        self.tags.retain(|t| t.0 != tag);
        self
    }

    fn build(self) -> Vec<u8> {
        self.build_with(|_, _| {})
    }

    /// `v` as `n` bytes (2, 4 or 8) in the file's byte order.
    fn put(&self, out: &mut Vec<u8>, v: u64, n: usize) {
        if self.big_endian {
            out.extend_from_slice(&v.to_be_bytes()[8 - n..]);
        } else {
            out.extend_from_slice(&v.to_le_bytes()[..n]);
        }
    }

    /// Builds; `patch` may change the strip offsets and counts.
    fn build_with(self, patch: impl FnOnce(&mut Vec<u32>, &mut Vec<u32>)) -> Vec<u8> {
        let (offset_size, header_size) = if self.bigtiff { (8, 16) } else { (4, 8) };
        let mut out = Vec::new();
        out.extend_from_slice(if self.big_endian { b"MM" } else { b"II" });
        self.put(&mut out, if self.bigtiff { 43 } else { 42 }, 2);
        if self.bigtiff {
            self.put(&mut out, 8, 2);
            self.put(&mut out, 0, 2);
        }
        out.resize(header_size, 0);
        let mut offsets = Vec::new();
        let mut counts = Vec::new();
        for s in &self.strips {
            offsets.push(out.len() as u32);
            counts.push(s.len() as u32);
            out.extend_from_slice(s);
        }
        patch(&mut offsets, &mut counts);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let mut tags = self.tags.clone();
        if !offsets.is_empty() && !tags.iter().any(|t| t.0 == 273) {
            tags.push((273, 4, offsets));
        }
        if !counts.is_empty() && !tags.iter().any(|t| t.0 == 279) {
            tags.push((279, 4, counts));
        }
        tags.sort_by_key(|t| t.0);
        let ifd = out.len();
        let mut pointer = Vec::new();
        self.put(&mut pointer, ifd as u64, offset_size);
        out[header_size - offset_size..header_size].copy_from_slice(&pointer);
        let entry_size = 4 + 2 * offset_size;
        let count_size = if self.bigtiff { 8 } else { 2 };
        let mut extra_at = ifd + count_size + tags.len() * entry_size + offset_size;
        let mut extra = Vec::new();
        self.put(
            &mut out,
            tags.len() as u64,
            if self.bigtiff { 8 } else { 2 },
        );
        for (tag, ty, values) in &tags {
            self.put(&mut out, u64::from(*tag), 2);
            self.put(&mut out, u64::from(*ty), 2);
            let mut bytes = Vec::new();
            for v in values {
                self.put(&mut bytes, u64::from(*v), if *ty == 3 { 2 } else { 4 });
            }
            let count = if *ty == 5 {
                values.len() / 2
            } else {
                values.len()
            };
            self.put(&mut out, count as u64, offset_size);
            if bytes.len() <= offset_size {
                bytes.resize(offset_size, 0);
                out.extend_from_slice(&bytes);
            } else {
                self.put(&mut out, extra_at as u64, offset_size);
                extra_at += bytes.len();
                extra.extend_from_slice(&bytes);
            }
        }
        self.put(&mut out, 0, offset_size);
        out.extend_from_slice(&extra);
        out
    }
}

fn pattern(columns: u32, rows: u32) -> Vec<u8> {
    let row_bytes = columns.div_ceil(8) as usize;
    let mut data = vec![0u8; row_bytes * rows as usize];
    for y in 0..rows as usize {
        for x in 0..columns as usize {
            if (x * 7 + y * 3) % 11 < 4 || x == y {
                data[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    data
}

/// Codes `rows` of `data` as one TIFF strip with the given tags.
fn strip(tags: &TiffFaxTags, data: &[u8]) -> Vec<u8> {
    let p = Params::from_tiff(tags).expect("params");
    encode(&p, data).expect("encode")
}

fn read(file: &[u8]) -> Vec<Page> {
    read_tiff(file, &ReadOptions::default()).expect("read")
}

fn strict() -> ReadOptions {
    let mut o = ReadOptions::default();
    o.strict = true;
    o
}

#[test]
fn multi_strip_every_compression_and_fill_order() {
    let (w, h, rps) = (77u32, 23u32, 5u32);
    let pels = pattern(w, h);
    let row_bytes = w.div_ceil(8) as usize;
    for (compression, t4) in [
        (2u16, 0u32),
        (32771, 0),
        (3, 0),
        (3, 1),
        (3, 4),
        (3, 5),
        (4, 0),
    ] {
        for fill in [1u16, 2] {
            let mut b = Builder::new(w, h, compression)
                .tag(266, 3, &[u32::from(fill)])
                .tag(278, 4, &[rps]);
            if compression == 3 {
                b = b.tag(292, 4, &[t4]);
            }
            for first in (0..h).step_by(rps as usize) {
                let rows = rps.min(h - first);
                let mut tags = TiffFaxTags::new(compression, w, rows);
                tags.t4_options = t4;
                tags.fill_order = fill;
                let part = &pels[first as usize * row_bytes..(first + rows) as usize * row_bytes];
                b.strips.push(strip(&tags, part));
            }
            let page = read(&b.build()).remove(0);
            assert_eq!(page.info.strips, 5);
            assert_eq!(
                page.image.bad_rows, 0,
                "{compression}/{t4}/{fill}: {:?}",
                page.info.warnings
            );
            assert!(
                page.data() == pels,
                "{compression}/{t4}/{fill}: pels differ"
            );
        }
    }
}

#[test]
fn big_endian_and_bigtiff() {
    let (w, h, rps) = (45u32, 9u32, 4u32);
    let pels = pattern(w, h);
    let row_bytes = w.div_ceil(8) as usize;
    for (big_endian, bigtiff) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut b = Builder::new(w, h, 3)
            .tag(278, 3, &[rps])
            .tag(292, 4, &[5])
            .tag(282, 5, &[204, 1])
            .tag(283, 5, &[392, 2]);
        b.big_endian = big_endian;
        b.bigtiff = bigtiff;
        for first in (0..h).step_by(rps as usize) {
            let rows = rps.min(h - first);
            let mut tags = TiffFaxTags::new(3, w, rows);
            tags.t4_options = 5;
            b.strips.push(strip(
                &tags,
                &pels[first as usize * row_bytes..(first + rows) as usize * row_bytes],
            ));
        }
        let page = read(&b.build()).remove(0);
        assert!(
            page.data() == pels,
            "big endian {big_endian}, BigTIFF {bigtiff}"
        );
        assert_eq!(page.info.strips, 3);
        assert_eq!(page.resolution.map(|r| (r.x, r.y)), Some((204.0, 196.0)));
    }
}

#[test]
fn uncompressed_strips_fill_order_and_photometric() {
    let (w, h) = (21u32, 6u32);
    let pels = pattern(w, h);
    for fill in [1u16, 2] {
        for photometric in [0u16, 1] {
            let mut stored = pels.clone();
            if photometric == 1 {
                stored.iter_mut().for_each(|b| *b = !*b);
            }
            if fill == 2 {
                stored.iter_mut().for_each(|b| *b = b.reverse_bits());
            }
            let mut b = Builder::new(w, h, 1)
                .tag(266, 3, &[u32::from(fill)])
                .tag(262, 3, &[u32::from(photometric)])
                .tag(278, 4, &[4]);
            b.strips.push(stored[..12].to_vec());
            b.strips.push(stored[12..].to_vec());
            let page = read(&b.build()).remove(0);
            assert!(page.data() == pels, "fill {fill} photometric {photometric}");
        }
    }
}

/// libtiff decodes coded black runs as 1 bits whatever the photometric interpretation, so a
/// min-is-black coded page shows inverted.
#[test]
fn min_is_black_coded_page_shows_inverted() {
    let (w, h) = (16u32, 2u32);
    let pels = vec![0xF0, 0x00, 0x00, 0x0F];
    let mut tags = TiffFaxTags::new(4, w, h);
    tags.photometric = 0;
    let mut b = Builder::new(w, h, 4).tag(262, 3, &[1]);
    b.strips.push(strip(&tags, &pels)); // coded black runs where `pels` has 1 bits
    let page = read(&b.build()).remove(0);
    let inverted: Vec<u8> = pels.iter().map(|b| !b).collect();
    assert_eq!(page.data(), inverted);
}

#[test]
fn damaged_and_missing_strips_are_concealed_or_refused() {
    let (w, h) = (40u32, 12u32);
    let pels = pattern(w, h);
    let row_bytes = w.div_ceil(8) as usize;
    let tags = |rows| {
        let mut t = TiffFaxTags::new(3, w, rows);
        t.t4_options = 0;
        t
    };
    let mut b = Builder::new(w, h, 3).tag(278, 4, &[4]).tag(292, 4, &[0]);
    b.strips.push(strip(&tags(4), &pels[..4 * row_bytes]));
    let mut damaged = strip(&tags(4), &pels[4 * row_bytes..8 * row_bytes]);
    let cut = damaged.len() / 2;
    damaged.truncate(cut);
    b.strips.push(damaged);
    // The third strip is missing (only two offsets for three strips).
    let file = b.build();
    let page = read(&file).remove(0);
    assert_eq!((page.width(), page.rows()), (w, h));
    // The missing strip (4 rows) and at least one row of the cut strip.
    assert!(page.image.bad_rows > 4, "{}", page.image.bad_rows);
    assert!(!page.info.warnings.is_empty());
    assert!(
        page.data()[..4 * row_bytes] == pels[..4 * row_bytes],
        "first strip intact"
    );
    assert!(
        page.data()[8 * row_bytes..].iter().all(|&b| b == 0),
        "missing strip white"
    );
    assert!(read_tiff(&file, &strict()).is_err());
}

#[test]
fn strips_past_the_end_are_clipped() {
    let (w, h) = (16u32, 4u32);
    let pels = pattern(w, h);
    let mut b = Builder::new(w, h, 4);
    b.strips.push(strip(&TiffFaxTags::new(4, w, h), &pels));
    let file = b.build_with(|_, counts| counts[0] += 1_000_000);
    let page = read(&file).remove(0);
    assert_eq!(page.data(), pels);
    assert!(page
        .info
        .warnings
        .iter()
        .any(|w| w.contains("past the end")));
    assert!(read_tiff(&file, &strict()).is_err());

    let mut b = Builder::new(w, h, 4);
    b.strips.push(strip(&TiffFaxTags::new(4, w, h), &pels));
    let file = b.build_with(|offsets, _| offsets[0] = u32::MAX);
    let page = read(&file).remove(0);
    assert_eq!(page.image.bad_rows, h);
}

#[test]
fn declared_sizes_over_the_limits_fail_before_allocating() {
    // 4 bytes of "coded data" declaring a 60,000 x 200,000 page (1.5 GB of pels).
    let mut b = Builder::new(60_000, 200_000, 4);
    b.strips.push(vec![0xFF; 4]);
    let err = read_tiff(&b.build(), &ReadOptions::default()).expect_err("too big");
    assert_eq!(err, ContainerError::Limit(Limit::OutputBytes));
    assert!(err.is_limit());

    let mut b = Builder::new(100_000, 10, 4);
    b.strips.push(vec![0; 4]);
    assert_eq!(
        read_tiff(&b.build(), &ReadOptions::default()),
        Err(ContainerError::Limit(Limit::Columns))
    );

    let mut b = Builder::new(10, 2_000_000, 4);
    b.strips.push(vec![0; 4]);
    assert_eq!(
        read_tiff(&b.build(), &ReadOptions::default()),
        Err(ContainerError::Limit(Limit::Rows))
    );
}

#[test]
fn unsupported_images_are_typed_errors() {
    let mut b = Builder::new(8, 8, 1).tag(258, 3, &[8]);
    b.strips.push(vec![0; 64]);
    assert!(matches!(
        read_tiff(&b.build(), &ReadOptions::default()),
        Err(ContainerError::Unsupported { .. })
    ));
    let mut b = Builder::new(8, 8, 7);
    b.strips.push(vec![0; 64]);
    assert!(matches!(
        read_tiff(&b.build(), &ReadOptions::default()),
        Err(ContainerError::Unsupported { .. })
    ));
    let mut b = Builder::new(8, 8, 3).tag(292, 4, &[8]);
    b.strips.push(vec![0; 8]);
    assert!(matches!(
        read_tiff(&b.build(), &ReadOptions::default()),
        Err(ContainerError::Unsupported { .. })
    ));
}

#[test]
fn missing_optional_tags_take_defaults() {
    // No RowsPerStrip, FillOrder, resolution.
    let pels = pattern(12, 3);
    let mut b = Builder::new(12, 3, 4);
    b.strips.push(strip(&TiffFaxTags::new(4, 12, 3), &pels));
    let page = read(&b.without(278).build()).remove(0);
    assert_eq!(page.data(), pels);
    assert_eq!(page.resolution, None);
    assert_eq!(page.info.fill_order, FillOrder::MsbFirst);
    assert!(page.info.warnings.is_empty());
}

/// The first directory gets the same leniency as the others (the `tiff` crate alone refuses
/// a first image without PhotometricInterpretation or StripByteCounts).
#[test]
fn first_page_without_photometric_or_byte_counts() {
    let pels = pattern(12, 3);
    let mut b = Builder::new(12, 3, 4).without(262).tag(279, 4, &[]);
    b.tags.retain(|t| t.0 != 279);
    b.strips.push(strip(&TiffFaxTags::new(4, 12, 3), &pels));
    let file = b.build_with(|_, counts| counts.clear());
    let page = read(&file).remove(0);
    assert_eq!(page.data(), pels);
    assert_eq!(page.info.photometric, Some(0));
    assert_eq!(page.info.warnings.len(), 2, "{:?}", page.info.warnings);
    assert!(read_tiff(&file, &strict()).is_err());
}

#[test]
fn ifd_loops_end_the_page_list() {
    let page = Page::from_image(Image {
        columns: 8,
        rows: 1,
        black_is_1: true,
        data: vec![0x81],
        ..Image::default()
    });
    let mut file =
        write_tiff(&[page.clone(), page], &TiffWriteOptions::new(Coding::Mmr)).expect("write");
    // Point the second IFD's "next" field back at the first IFD.
    let first = u32::from_le_bytes(file[4..8].try_into().expect("4 bytes"));
    let reader = TiffReader::new(&file, ReadOptions::default()).expect("open");
    assert_eq!(reader.page_count(), 2);
    let second = {
        let n = u16::from_le_bytes([file[first as usize], file[first as usize + 1]]) as usize;
        let field = first as usize + 2 + n * 12;
        u32::from_le_bytes(file[field..field + 4].try_into().expect("4 bytes"))
    };
    let n = u16::from_le_bytes([file[second as usize], file[second as usize + 1]]) as usize;
    let field = second as usize + 2 + n * 12;
    file[field..field + 4].copy_from_slice(&first.to_le_bytes());
    let reader = TiffReader::new(&file, ReadOptions::default()).expect("open");
    assert_eq!(reader.page_count(), 2);
    assert!(!reader.warnings().is_empty());
    assert!(TiffReader::new(&file, strict()).is_err());
    let mut few = ReadOptions::default();
    few.max_pages = 1;
    assert_eq!(
        TiffReader::new(&file, few).map(|_| ()),
        Err(ContainerError::TooManyPages(1))
    );
}

#[test]
fn garbage_is_an_error() {
    for data in [
        &b""[..],
        b"II",
        b"II*\0",
        b"MM\0*\0\0\0\x08",
        b"GIF89a",
        &[0xFF; 64],
    ] {
        assert!(
            read_tiff(data, &ReadOptions::default()).is_err(),
            "{data:?}"
        );
    }
}

fn small_file() -> Vec<u8> {
    let page = Page::from_image(Image {
        columns: 50,
        rows: 9,
        black_is_1: true,
        data: pattern(50, 9),
        ..Image::default()
    });
    let mut o = TiffWriteOptions::new(Coding::Mr { k: 2 });
    o.params.fill_order = FillOrder::LsbFirst;
    write_tiff(&[page.clone(), page], &o).expect("write")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Random byte changes and truncation: an error or pages of the declared size, never a
    /// panic.
    #[test]
    fn corrupted_files_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>()) {
        let mut file = small_file();
        for (at, value) in edits {
            let i = at % file.len();
            file[i] = value;
        }
        let keep = file.len() - cut % (file.len() / 4);
        file.truncate(keep);
        let mut options = ReadOptions::default();
        options.limits.max_output_bytes = 1 << 20;
        if let Ok(pages) = read_tiff(&file, &options) {
            for p in pages {
                prop_assert_eq!(p.data().len(), p.width().div_ceil(8) as usize * p.rows() as usize);
            }
        }
        options.strict = true;
        let _ = read_tiff(&file, &options);
    }
}
