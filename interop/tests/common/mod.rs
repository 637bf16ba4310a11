//! Shared by the libtiff peer tests: page generators and the two-way check.

#![allow(dead_code)] // each test file uses a different part

use faxkit_interop::{decode_strip, encode_strip, LibtiffScheme};
use t4_codec::{decode_image, encode, DecodeOptions};

/// Widths that sit on and around byte, word and code-table boundaries (64, 1728 and 2560
/// are where make-up codes change; 10,000 is beyond every real fax).
pub(crate) const WIDTHS: &[u32] = &[
    1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 63, 64, 65, 127, 128, 129, 1727, 1728, 1729, 2559, 2560,
    2561, 2623, 2624, 2625, 5000, 9999, 10000,
];

/// A packed bi-level page (1 = black, first pel in the most significant bit, zero padding).
#[derive(Clone, Debug)]
pub(crate) struct Page {
    pub(crate) width: u32,
    pub(crate) rows: u32,
    pub(crate) data: Vec<u8>,
}

impl Page {
    pub(crate) fn white(width: u32, rows: u32) -> Page {
        let data = vec![0; width.div_ceil(8) as usize * rows as usize];
        Page { width, rows, data }
    }

    pub(crate) fn row_bytes(&self) -> usize {
        self.width.div_ceil(8) as usize
    }

    pub(crate) fn set(&mut self, x: u32, y: u32, black: bool) {
        let i = y as usize * self.row_bytes() + x as usize / 8;
        let bit = 0x80u8 >> (x % 8);
        if black {
            self.data[i] |= bit;
        } else {
            self.data[i] &= !bit;
        }
    }

    pub(crate) fn get(&self, x: u32, y: u32) -> bool {
        self.data[y as usize * self.row_bytes() + x as usize / 8] & (0x80 >> (x % 8)) != 0
    }

    /// A page whose pel (x, y) is `f(x, y)`.
    pub(crate) fn from_fn(width: u32, rows: u32, f: impl Fn(u32, u32) -> bool) -> Page {
        let mut p = Page::white(width, rows);
        for y in 0..rows {
            for x in 0..width {
                if f(x, y) {
                    p.set(x, y, true);
                }
            }
        }
        p
    }

    /// Row `y` as packed bytes.
    pub(crate) fn row(&self, y: u32) -> &[u8] {
        let rb = self.row_bytes();
        &self.data[y as usize * rb..(y as usize + 1) * rb]
    }

    /// The first `rows` rows.
    pub(crate) fn prefix(&self, rows: u32) -> Page {
        Page {
            width: self.width,
            rows,
            data: self.data[..self.row_bytes() * rows as usize].to_vec(),
        }
    }
}

/// A small, deterministic random number generator (splitmix64), so pages can be rebuilt from
/// a seed printed in a failure message.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        u32::try_from(self.next() % u64::from(n)).expect("below n")
    }
}

/// Kinds of random page.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// Every pel black with probability `permille / 1000`.
    Noise { permille: u32 },
    /// Alternating runs of random length up to `2 * mean`.
    Runs { mean: u32 },
    /// Runs on the first row, then each row is the previous one with its edges moved by up to
    /// three pels and runs now and then born or dying: the vertical and pass modes of 2-D
    /// coding, like text.
    Drift { mean: u32 },
}

/// A random page of the given kind.
pub(crate) fn random_page(width: u32, rows: u32, kind: Kind, seed: u64) -> Page {
    let mut rng = Rng(seed);
    let mut page = Page::white(width, rows);
    match kind {
        Kind::Noise { permille } => {
            for y in 0..rows {
                for x in 0..width {
                    page.set(x, y, rng.below(1000) < permille);
                }
            }
        }
        Kind::Runs { mean } => {
            for y in 0..rows {
                paint_runs(&mut page, y, &random_runs(&mut rng, width, mean));
            }
        }
        Kind::Drift { mean } => {
            let mut edges = random_runs(&mut rng, width, mean);
            for y in 0..rows {
                paint_runs(&mut page, y, &edges);
                edges = drift(&mut rng, &edges, width, mean);
            }
        }
    }
    page
}

/// Colour-change positions (starting white) of random alternating runs.
fn random_runs(rng: &mut Rng, width: u32, mean: u32) -> Vec<u32> {
    let mut edges = Vec::new();
    let mut x = 0;
    loop {
        x += 1 + rng.below(2 * mean.max(1));
        if x >= width {
            return edges;
        }
        edges.push(x);
    }
}

/// Moves every edge by -3..=3, sometimes adds or drops a pair, keeps the list valid.
fn drift(rng: &mut Rng, edges: &[u32], width: u32, mean: u32) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(edges.len() + 2);
    for &e in edges {
        let moved = (e + rng.below(7)).saturating_sub(3).min(width - 1);
        out.push(moved);
    }
    if rng.below(4) == 0 {
        let at = rng.below(width);
        out.push(at);
        out.push((at + 1 + rng.below(mean.max(1))).min(width - 1));
    }
    if rng.below(4) == 0 && out.len() >= 2 {
        let pairs = u32::try_from(out.len() - 1).expect("short list");
        let i = rng.below(pairs) as usize;
        out.drain(i..i + 2);
    }
    out.sort_unstable();
    // Equal neighbours cancel out (an empty run); keep a strictly increasing list.
    let mut clean: Vec<u32> = Vec::with_capacity(out.len());
    for e in out {
        if clean.last() == Some(&e) {
            clean.pop();
        } else {
            clean.push(e);
        }
    }
    clean
}

/// Paints row `y` from a change list.
fn paint_runs(page: &mut Page, y: u32, edges: &[u32]) {
    let mut black = false;
    let mut x = 0;
    let width = page.width;
    for &e in edges.iter().chain(std::iter::once(&width)) {
        for xx in x..e.min(page.width) {
            page.set(xx, y, black);
        }
        x = e;
        black = !black;
    }
}

/// How a two-way check ended when nothing was wrong with t4-codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// All three checks passed.
    Identical,
    /// Our bytes equal libtiff's and we decode them, but libtiff cannot decode them either
    /// (its 1-D decoder has room for only `roundup(width, 32)` runs: a row with `width + 1`
    /// runs, such as black-first single-pel alternation, overflows it when `width` is a
    /// multiple of 32).
    LibtiffCannotDecodeItsOwn,
}

/// The acid test for one page in one scheme: our bytes == libtiff's bytes, libtiff decodes
/// ours to the page, and we decode libtiff's to the page.
pub(crate) fn check(scheme: LibtiffScheme, page: &Page) -> Result<Outcome, String> {
    let name = scheme.name();
    let what = format!("{name} {}x{}", page.width, page.rows);
    let params = scheme.t4_params(page.width, page.rows);
    let ours = encode(&params, &page.data).map_err(|e| format!("{what}: t4-codec encode: {e}"))?;
    let theirs = encode_strip(scheme, page.width, page.rows, &page.data)
        .map_err(|e| format!("{what}: libtiff encode: {e}"))?;
    // Direction 2: libtiff's coding, our decoder (strict: no concealment allowed).
    let mut strict = DecodeOptions::default();
    strict.strict = true;
    match decode_image(&theirs, &params, strict) {
        Ok(img) if img.rows == page.rows && img.data == page.data => {}
        Ok(img) => {
            return Err(format!(
                "{what}: t4-codec decodes libtiff's bytes wrongly ({} rows){}",
                img.rows,
                first_diff(page, &img.data)
            ))
        }
        Err(e) => return Err(format!("{what}: t4-codec rejects libtiff's bytes: {e}")),
    }
    // Same bytes.
    if ours != theirs {
        let at = ours
            .iter()
            .zip(&theirs)
            .position(|(a, b)| a != b)
            .unwrap_or(ours.len().min(theirs.len()));
        return Err(format!(
            "{what}: bytes differ from libtiff at byte {at} ({} vs {} bytes)",
            ours.len(),
            theirs.len()
        ));
    }
    // Direction 1: our coding, libtiff's decoder.
    match decode_strip(scheme, page.width, page.rows, &ours) {
        Ok(pels) if pels == page.data => Ok(Outcome::Identical),
        Ok(pels) => Err(format!(
            "{what}: libtiff decodes our bytes wrongly{}",
            first_diff(page, &pels)
        )),
        // Our bytes are libtiff's own here: a failure is libtiff's, and shows in its message.
        Err(e) if e.to_string().contains("Buffer overflow") => {
            Ok(Outcome::LibtiffCannotDecodeItsOwn)
        }
        Err(e) => Err(format!(
            "{what}: libtiff rejects our (and its own) bytes: {e}"
        )),
    }
}

/// Where a decoded page first differs from the original.
fn first_diff(page: &Page, got: &[u8]) -> String {
    if got.len() != page.data.len() {
        return format!(": {} bytes instead of {}", got.len(), page.data.len());
    }
    let rb = page.row_bytes();
    match got.iter().zip(&page.data).position(|(a, b)| a != b) {
        Some(i) => format!(": first difference in row {} byte {}", i / rb, i % rb),
        None => String::new(),
    }
}

/// Runs [`check`]; on failure, shrinks to the fewest leading rows that still fail and
/// returns a reproducer (the pels in hex when small enough).
pub(crate) fn check_and_shrink(scheme: LibtiffScheme, page: &Page) -> Result<Outcome, String> {
    let first = match check(scheme, page) {
        Ok(outcome) => return Ok(outcome),
        Err(e) => e,
    };
    let mut rows = page.rows;
    let mut last = first.clone();
    while rows > 1 {
        match check(scheme, &page.prefix(rows - 1)) {
            Err(e) => {
                rows -= 1;
                last = e;
            }
            Ok(_) => break,
        }
    }
    let small = page.prefix(rows);
    let hex = if small.data.len() <= 256 {
        small
            .data
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    } else {
        format!("({} bytes)", small.data.len())
    };
    Err(format!(
        "{first}\n  smallest failing prefix: {rows} rows: {last}\n  pels: {hex}"
    ))
}
