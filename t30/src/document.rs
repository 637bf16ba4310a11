//! Pages in and out of a session: the [`DocumentSource`] a sender reads and the
//! [`PageSink`] a receiver fills, and the page conversions a sender applies so that a page
//! fits the negotiated mode.

use crate::caps::{Mode, Resolution};
use crate::ident::Identity;
use std::collections::VecDeque;

/// A bi-level page: packed rows, first pel in the most significant bit, 1 = black.
#[derive(Clone, PartialEq, Eq)]
pub struct Page {
    /// Pels per row.
    pub columns: u32,
    /// Rows.
    pub rows: u32,
    /// The resolution the pels are at.
    pub resolution: Resolution,
    /// `rows x ceil(columns / 8)` bytes.
    pub data: Vec<u8>,
}

impl core::fmt::Debug for Page {
    /// Geometry only: page content is PHI.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Page {}x{} at {:?}",
            self.columns, self.rows, self.resolution
        )
    }
}

impl Page {
    /// An all-white page.
    pub fn blank(columns: u32, rows: u32, resolution: Resolution) -> Page {
        Page {
            columns,
            rows,
            resolution,
            data: vec![0; row_bytes(columns) * rows as usize],
        }
    }

    /// Bytes per packed row.
    pub fn row_bytes(&self) -> usize {
        row_bytes(self.columns)
    }

    /// Row `y`, if the data holds it.
    pub fn row(&self, y: u32) -> Option<&[u8]> {
        let rb = self.row_bytes();
        let start = (y as usize).checked_mul(rb)?;
        self.data.get(start..start.checked_add(rb)?)
    }

    fn pel(&self, x: u32, y: u32) -> bool {
        self.row(y)
            .and_then(|r| r.get((x / 8) as usize))
            .is_some_and(|b| b & (0x80 >> (x % 8)) != 0)
    }

    /// The page as the negotiated mode needs it.
    ///
    /// 1. **Resolution**: if the mode's resolution differs from the page's, the page is
    ///    resampled to it, each new pel black if any source pel it covers is black (so thin
    ///    lines survive reduction).
    /// 2. **Width**: a page narrower than the mode's row is padded with white on the right;
    ///    a wider one is reduced (scaled down in both directions, keeping the aspect ratio)
    ///    to fit.
    ///
    /// Rows missing from short `data` read as white.
    pub fn fit_to(&self, mode: &Mode) -> Page {
        let columns = mode.columns();
        let (sx, sy) = self.resolution.dpi();
        let (tx, ty) = mode.resolution.dpi();
        let mut w = scale(self.columns, tx, sx);
        let mut h = scale(self.rows, ty, sy);
        if w > columns {
            h = scale(h, columns, w);
            w = columns;
        }
        let same = w == self.columns && h == self.rows;
        let mut out = Page::blank(columns, h, mode.resolution);
        let rb = out.row_bytes();
        for y in 0..h {
            let (y0, y1) = span(y, h, self.rows);
            let dst = &mut out.data[y as usize * rb..(y as usize + 1) * rb];
            if same {
                if let Some(src) = self.row(y) {
                    dst[..src.len()].copy_from_slice(src);
                    // Clear pad bits past the source width in its last byte.
                    if self.columns % 8 != 0 {
                        let last = src.len() - 1;
                        dst[last] &= 0xFF << (8 - self.columns % 8);
                    }
                }
                continue;
            }
            for x in 0..w {
                let (x0, x1) = span(x, w, self.columns);
                let black = (y0..y1).any(|sy| (x0..x1).any(|sx| self.pel(sx, sy)));
                if black {
                    dst[(x / 8) as usize] |= 0x80 >> (x % 8);
                }
            }
        }
        out
    }
}

fn row_bytes(columns: u32) -> usize {
    (columns as usize).div_ceil(8)
}

/// `n * num / den`, rounded, at least 1 when `n` is.
fn scale(n: u32, num: u32, den: u32) -> u32 {
    if num == den || den == 0 {
        return n;
    }
    let v = (u64::from(n) * u64::from(num) + u64::from(den) / 2) / u64::from(den);
    u32::try_from(v.max(u64::from(n.min(1)))).unwrap_or(u32::MAX)
}

/// The source range `[a, b)` that destination index `i` of `dst` covers in `src`.
fn span(i: u32, dst: u32, src: u32) -> (u32, u32) {
    let a = u64::from(i) * u64::from(src) / u64::from(dst.max(1));
    let b = (u64::from(i) + 1) * u64::from(src) / u64::from(dst.max(1));
    let a = u32::try_from(a).unwrap_or(u32::MAX);
    let b = u32::try_from(b)
        .unwrap_or(u32::MAX)
        .max(a + 1)
        .min(src.max(a + 1));
    (a, b)
}

/// Where a sending session gets its pages.
pub trait DocumentSource {
    /// The next page, or `None` when the document is done.
    fn next_page(&mut self) -> Option<Page>;
    /// True if another page follows the one last returned (decides MPS or EOP).
    fn has_more(&self) -> bool;
}

/// Pages held in memory.
#[derive(Debug, Default)]
pub struct MemorySource {
    pages: VecDeque<Page>,
}

impl MemorySource {
    /// A source of these pages, in order.
    pub fn new(pages: Vec<Page>) -> MemorySource {
        MemorySource {
            pages: pages.into(),
        }
    }
}

impl DocumentSource for MemorySource {
    fn next_page(&mut self) -> Option<Page> {
        self.pages.pop_front()
    }
    fn has_more(&self) -> bool {
        !self.pages.is_empty()
    }
}

/// A page as received.
#[derive(Debug, Clone)]
pub struct ReceivedPage {
    /// 1-based page number in this call.
    pub number: u32,
    /// The decoded page.
    pub page: Page,
    /// Rows that were damaged and concealed (non-ECM), or missing in ECM after EOR.
    pub bad_rows: u32,
    /// The mode it came in.
    pub mode: Mode,
    /// The sender's identity (TSI, or CSI when we polled), redacted in `Debug`.
    pub remote: Identity,
    /// The subaddress (SUB) the sender gave, empty if none; redacted in `Debug`.
    pub subaddress: Identity,
}

/// Where a receiving session puts pages.
pub trait PageSink {
    /// A page was received and confirmed (MCF or RTP sent, or ERR in ECM).
    fn page(&mut self, page: ReceivedPage);
    /// False while the application cannot take more data; an ECM receiver then answers
    /// RNR (bounded by T5 on the sender's side).
    fn ready(&mut self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caps::{Length, NonEcmCoding, Rate, ScanTime, Transfer, Width};

    fn mode(resolution: Resolution, width: Width) -> Mode {
        Mode {
            rate: Rate::V29_9600,
            resolution,
            width,
            length: Length::Unlimited,
            scan_time: ScanTime(0),
            transfer: Transfer::NonEcm(NonEcmCoding::Mh),
            t38: false,
        }
    }

    #[test]
    fn narrow_page_is_padded_white() {
        let mut p = Page::blank(16, 2, Resolution::Fine);
        p.data = vec![0xFF, 0xFF, 0x00, 0x01];
        let out = p.fit_to(&mode(Resolution::Fine, Width::A4));
        assert_eq!((out.columns, out.rows), (1728, 2));
        assert_eq!(&out.data[..3], [0xFF, 0xFF, 0x00]);
        assert!(out.data[3..216].iter().all(|&b| b == 0));
        assert_eq!(out.row(1).map(|r| r[1]), Some(0x01));
    }

    #[test]
    fn fine_to_standard_halves_rows_keeping_black() {
        let mut p = Page::blank(1728, 4, Resolution::Fine);
        // A one-row black line on row 1 only.
        let rb = p.row_bytes();
        p.data[rb..2 * rb].fill(0xFF);
        let out = p.fit_to(&mode(Resolution::Standard, Width::A4));
        assert_eq!(out.rows, 2);
        assert!(out.row(0).expect("row").iter().all(|&b| b == 0xFF));
        assert!(out.row(1).expect("row").iter().all(|&b| b == 0));
    }

    #[test]
    fn wide_page_is_reduced_to_fit() {
        let mut p = Page::blank(2432, 100, Resolution::Fine);
        let rb = p.row_bytes();
        // Black right edge pel on every row.
        for y in 0..100 {
            p.data[y * rb + rb - 1] = 0x01;
        }
        let out = p.fit_to(&mode(Resolution::Fine, Width::A4));
        assert_eq!(out.columns, 1728);
        assert_eq!(out.rows, 71);
        assert!((0..71).all(|y| out.row(y).expect("row")[215] & 0x01 != 0));
    }
}
