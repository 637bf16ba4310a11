//! The benchmark pages: the eight CCITT test documents from the shared corpus, or, when the
//! corpus is absent, eight synthetic text-like pages of the same size.

use std::path::{Path, PathBuf};

/// A packed bi-level page: 1 = black, first pel in the most significant bit.
#[derive(Clone, Debug)]
pub struct Page {
    /// A short name (`itu1` ... or `synthetic1` ...).
    pub name: String,
    /// Pels per row.
    pub width: u32,
    /// Rows.
    pub rows: u32,
    /// `rows x ceil(width / 8)` bytes.
    pub data: Vec<u8>,
}

impl Page {
    /// Bytes per packed row.
    pub fn row_bytes(&self) -> usize {
        (self.width as usize).div_ceil(8)
    }
}

/// Where the pages came from.
#[derive(Clone, Debug)]
pub enum Source {
    /// `ccitt/itu1..8.pbm` of this corpus directory.
    Corpus(PathBuf),
    /// Generated: the corpus was not found.
    Synthetic,
}

/// The corpus directory: `$FAXKIT_CORPUS`, else `../shared/corpus` next to the workspace.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FAXKIT_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    dir.join("ccitt/itu1.pbm").is_file().then_some(dir)
}

/// The eight benchmark pages.
pub fn load() -> (Vec<Page>, Source) {
    if let Some(dir) = corpus_dir() {
        let pages: Option<Vec<Page>> = (1..=8)
            .map(|n| {
                let bytes = std::fs::read(dir.join(format!("ccitt/itu{n}.pbm"))).ok()?;
                parse_p4(&bytes, format!("itu{n}"))
            })
            .collect();
        if let Some(pages) = pages {
            return (pages, Source::Corpus(dir));
        }
    }
    ((1..=8).map(synthetic).collect(), Source::Synthetic)
}

/// Parses a single-image binary PBM (P4). Comments are not supported (the corpus has none).
fn parse_p4(bytes: &[u8], name: String) -> Option<Page> {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 3 {
        while bytes.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !bytes.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        fields.push(std::str::from_utf8(&bytes[start..i]).ok()?);
    }
    let (width, rows): (u32, u32) = (fields[1].parse().ok()?, fields[2].parse().ok()?);
    let len = (width as usize).div_ceil(8) * rows as usize;
    let data = bytes.get(i + 1..i + 1 + len)?.to_vec();
    (fields[0] == "P4").then_some(Page {
        name,
        width,
        rows,
        data,
    })
}

/// A deterministic text-like page, 1728 x 2376: lines of glyphs made of strokes, with
/// density growing with `n`, plus a ruled box.
fn synthetic(n: u32) -> Page {
    let (width, rows) = (1728u32, 2376u32);
    let rb = (width as usize).div_ceil(8);
    let mut data = vec![0u8; rb * rows as usize];
    let mut set = |x: u32, y: u32| data[y as usize * rb + x as usize / 8] |= 0x80 >> (x % 8);
    let mut seed = 0x9E37_79B9_u64 * u64::from(n);
    let mut rand = |m: u32| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        u32::try_from(seed % u64::from(m)).unwrap_or(0)
    };
    let line_pitch = 60 - 4 * n;
    let mut top = 150;
    while top + 40 < rows - 150 {
        let mut x = 100;
        while x + 30 < width - 100 {
            let glyph_w = 10 + rand(12);
            if rand(6) != 0 {
                for _ in 0..2 + rand(3) {
                    let (gx, gy) = (x + rand(glyph_w), top + rand(28));
                    let (len, vertical) = (3 + rand(20), rand(2) == 0);
                    for t in 0..len {
                        let (px, py) = if vertical { (gx, gy + t) } else { (gx + t, gy) };
                        for d in 0..2 {
                            set((px + d).min(width - 1), py.min(rows - 1));
                        }
                    }
                }
            }
            x += glyph_w + 4;
        }
        top += line_pitch;
    }
    for x in 80..width - 80 {
        set(x, 100);
        set(x, rows - 100);
    }
    Page {
        name: format!("synthetic{n}"),
        width,
        rows,
        data,
    }
}
