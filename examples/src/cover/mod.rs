//! Cover pages: the first page of an outbound fax (to, from, patient reference, subject, page
//! count, callback number, confidentiality notice), rendered as a bi-level page with a bitmap
//! font.
//!
//! The page is 1728 pels wide (T.4's A4 / Letter row) with as many rows as the resolution
//! needs for a Letter-height page (1100 at standard, 2200 at fine). [`layout`] decides where
//! every line of text goes; [`render`] draws it with the font in [`font`] (8 x 16 cells,
//! doubled for the body text, larger for the title). Characters are scaled vertically by the
//! resolution's aspect, so the text has the same shape at every resolution.
//!
//! Text rules, so that any input gives a page or a clear error and never a panic:
//! - Tabs and line breaks become spaces; runs of spaces collapse to one; leading and trailing
//!   spaces go. Every other character the font lacks (non-ASCII, control characters) is
//!   drawn as [`font::REPLACEMENT`] (`?`).
//! - Each field is word-wrapped to its column; a word longer than a whole line is cut at the
//!   line's end and continues on the next line.
//! - Each field has a line budget ([`MAX_LINES`]); a field that needs more lines is
//!   [`CoverError::TooLong`] naming it. The notice goes at the foot of the page and may use
//!   what the fields leave free, up to [`MAX_NOTICE_LINES`].
//! - An empty patient reference or date leaves that line out; the other fields are always
//!   printed (an empty value prints as nothing after its label).
//!
//! ```
//! use faxkit_examples::cover::{render, CoverSheet};
//! use t30::Resolution;
//!
//! let sheet = CoverSheet {
//!     to: "Cardiology, St. Elsewhere".into(),
//!     from: "Dr. Jones, Clinic A".into(),
//!     patient_reference: "MRN 000123".into(),
//!     subject: "Referral letter".into(),
//!     pages: 3,
//!     callback: "+1 555 0100".into(),
//!     ..CoverSheet::default()
//! };
//! let page = render(&sheet, Resolution::Fine)?;
//! assert_eq!((page.columns, page.rows), (1728, 2200));
//! assert!(page.data.iter().any(|b| *b != 0));
//! # Ok::<(), faxkit_examples::cover::CoverError>(())
//! ```

pub mod font;

use t30::{Page, Resolution};

/// The notice printed at the foot of every cover page unless the sheet gives its own.
pub const DEFAULT_NOTICE: &str = "CONFIDENTIAL: This facsimile may contain protected health \
information. If you are not the intended recipient, notify the sender at the callback number \
and destroy all copies. Any review, use or disclosure by others is prohibited.";

/// Pels per row of every cover page.
pub const COLUMNS: u32 = 1728;

/// Left and right margin, pels (12 mm at 8 pels/mm).
pub const MARGIN: u32 = 96;

/// Horizontal scale of the body text (16-pel characters, 96 per line).
pub const BODY_SCALE: u32 = 2;

/// Characters per body line between the margins.
pub const LINE_CHARS: usize = ((COLUMNS - 2 * MARGIN) / (font::CELL_WIDTH * BODY_SCALE)) as usize;

/// Width of the label column, in body characters ("Patient ref:" and a gap).
pub const LABEL_CHARS: usize = 14;

/// Characters per line of a field's value.
pub const VALUE_CHARS: usize = LINE_CHARS - LABEL_CHARS;

/// Line budget of each field, by field name: more is [`CoverError::TooLong`].
pub const MAX_LINES: [(&str, usize); 6] = [
    ("date", 1),
    ("to", 2),
    ("from", 2),
    ("patient_reference", 1),
    ("subject", 4),
    ("callback", 1),
];

/// Most lines the confidentiality notice may take.
pub const MAX_NOTICE_LINES: usize = 16;

/// What a cover page says. Every field but `pages` may be PHI: `Debug` prints none of them.
#[derive(Clone, Default)]
pub struct CoverSheet {
    /// The recipient's name or organisation.
    pub to: String,
    /// The sender's name or organisation.
    pub from: String,
    /// The patient reference (e.g. an MRN), empty if none.
    pub patient_reference: String,
    /// The subject line.
    pub subject: String,
    /// Pages that follow the cover page.
    pub pages: u32,
    /// The number to call back.
    pub callback: String,
    /// The confidentiality notice; empty means [`DEFAULT_NOTICE`].
    pub notice: String,
    /// The date line (free text, e.g. `2026-11-23 09:30 UTC`); empty leaves it out.
    pub date: String,
}

impl core::fmt::Debug for CoverSheet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CoverSheet")
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

/// Why a cover page could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CoverError {
    /// The text does not fit on one page even in the smallest layout.
    #[error("cover page text is too long: shorten the {0} field")]
    TooLong(&'static str),
}

/// One line of text on the page.
#[derive(Clone, PartialEq, Eq)]
pub struct TextLine {
    /// Which field it shows: a [`CoverSheet`] field name, `pages`, `title`, `heading` or
    /// `label`.
    pub field: &'static str,
    /// Left edge of the first cell, pels.
    pub x: u32,
    /// Top edge of the cells, rows.
    pub y: u32,
    /// Horizontal scale of the font (cell width = 8 x this).
    pub scale_x: u32,
    /// Vertical scale of the font (cell height = 16 x this).
    pub scale_y: u32,
    /// The text, printable ASCII only.
    pub text: String,
}

impl core::fmt::Debug for TextLine {
    /// Position and length only: the text may be PHI.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TextLine")
            .field("field", &self.field)
            .field("x", &self.x)
            .field("y", &self.y)
            .field("chars", &self.text.len())
            .finish_non_exhaustive()
    }
}

/// A filled rectangle (the rules above and below the fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Left edge, pels.
    pub x: u32,
    /// Top edge, rows.
    pub y: u32,
    /// Width, pels.
    pub width: u32,
    /// Height, rows.
    pub height: u32,
}

/// Where everything on a cover page goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Pels per row ([`COLUMNS`]).
    pub columns: u32,
    /// Rows.
    pub rows: u32,
    /// The resolution.
    pub resolution: Resolution,
    /// Every line of text, top to bottom.
    pub lines: Vec<TextLine>,
    /// Horizontal rules.
    pub rules: Vec<Rule>,
}

/// Rows of a Letter-height page: 1100 at standard (3.85 lines/mm), 2200 at fine, and in the
/// same proportion to the row width at every other resolution.
pub fn page_rows(resolution: Resolution) -> u32 {
    let (x, y) = resolution.dpi();
    let rows = 1100 * u64::from(y) * 203 / (u64::from(x.max(1)) * 98);
    u32::try_from(rows).unwrap_or(u32::MAX)
}

/// The vertical font scale that keeps a glyph's shape for horizontal scale `sx`.
fn vscale(resolution: Resolution, sx: u32) -> u32 {
    let (x, y) = resolution.dpi();
    let x = u64::from(x.max(1));
    let v = (u64::from(sx) * u64::from(y) * 2 + x) / (2 * x);
    u32::try_from(v.max(1)).unwrap_or(1)
}

/// Rows in `tenths` tenths of a millimetre at `resolution`.
fn mm10(resolution: Resolution, tenths: u32) -> u32 {
    let y = u64::from(resolution.dpi().1);
    u32::try_from((u64::from(tenths) * y + 127) / 254).unwrap_or(u32::MAX)
}

/// Printable text by the rules in the module docs; `None` once it is longer than `max` (so
/// huge input costs no more than `max` characters of work).
fn clean(s: &str, max: usize) -> Option<String> {
    let mut out = String::new();
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(if font::has(c) { c } else { font::REPLACEMENT });
        if out.len() > max {
            return None;
        }
    }
    Some(out)
}

/// Word-wraps clean text to lines of at most `width` characters (long words are cut);
/// `None` if it needs more than `max_lines` lines.
fn wrap(text: &str, width: usize, max_lines: usize) -> Option<Vec<String>> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !cur.is_empty() && cur.len() + 1 + word.len() <= width {
            cur.push(' ');
            cur.push_str(word);
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        // The text is ASCII, so byte offsets are character offsets.
        let mut rest = word;
        while rest.len() > width {
            let (head, tail) = rest.split_at(width);
            lines.push(head.to_owned());
            rest = tail;
        }
        cur.push_str(rest);
        if lines.len() > max_lines {
            return None;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    (lines.len() <= max_lines).then_some(lines)
}

fn budget(field: &str) -> usize {
    MAX_LINES
        .iter()
        .find(|(f, _)| *f == field)
        .map_or(1, |(_, n)| *n)
}

/// The lines of one field's value, or `TooLong(field)`.
fn field_lines(field: &'static str, value: &str) -> Result<Vec<String>, CoverError> {
    let max = budget(field);
    clean(value, max * (VALUE_CHARS + 1))
        .and_then(|t| wrap(&t, VALUE_CHARS, max))
        .ok_or(CoverError::TooLong(field))
}

/// Decides where every line of `sheet` goes at `resolution`.
///
/// # Errors
/// [`CoverError::TooLong`] naming the first field that does not fit its budget, or `notice`
/// when the notice does not fit the space left at the foot.
pub fn layout(sheet: &CoverSheet, resolution: Resolution) -> Result<Layout, CoverError> {
    let rows = page_rows(resolution);
    let sy = vscale(resolution, BODY_SCALE);
    let line_h = font::CELL_HEIGHT * sy;
    let gap = line_h / 2;
    let margin_y = mm10(resolution, 100);
    let rule_h = mm10(resolution, 6).max(2);
    let text_w = COLUMNS - 2 * MARGIN;
    let cell_w = font::CELL_WIDTH * BODY_SCALE;
    let mut lines = Vec::new();
    let mut rules = Vec::new();
    let centred = |text: &str, scale: u32| {
        let w = u32::try_from(text.len()).unwrap_or(0) * font::CELL_WIDTH * scale;
        (COLUMNS.saturating_sub(w)) / 2
    };

    // Title block.
    let mut y = margin_y;
    for (field, text, scale) in [("title", "FAX", 8), ("heading", "FACSIMILE COVER SHEET", 3)] {
        let sy_t = vscale(resolution, scale);
        lines.push(TextLine {
            field,
            x: centred(text, scale),
            y,
            scale_x: scale,
            scale_y: sy_t,
            text: text.to_owned(),
        });
        y += font::CELL_HEIGHT * sy_t + gap;
    }
    rules.push(Rule {
        x: MARGIN,
        y,
        width: text_w,
        height: rule_h,
    });
    y += rule_h + line_h;

    // Fields: label column, then the wrapped value.
    let pages = format!("{} (following this cover sheet)", sheet.pages);
    let fields: [(&'static str, &str, &str, bool); 7] = [
        ("date", "Date:", &sheet.date, false),
        ("to", "To:", &sheet.to, true),
        ("from", "From:", &sheet.from, true),
        (
            "patient_reference",
            "Patient ref:",
            &sheet.patient_reference,
            false,
        ),
        ("subject", "Subject:", &sheet.subject, true),
        ("pages", "Pages:", &pages, true),
        ("callback", "Callback:", &sheet.callback, true),
    ];
    for (field, label, value, always) in fields {
        let value_lines = if field == "pages" {
            vec![pages.clone()]
        } else {
            field_lines(field, value)?
        };
        if value_lines.is_empty() && !always {
            continue;
        }
        lines.push(TextLine {
            field: "label",
            x: MARGIN,
            y,
            scale_x: BODY_SCALE,
            scale_y: sy,
            text: label.to_owned(),
        });
        let n = u32::try_from(value_lines.len().max(1)).unwrap_or(1);
        for (i, text) in (0u32..).zip(value_lines) {
            lines.push(TextLine {
                field,
                x: MARGIN + u32::try_from(LABEL_CHARS).unwrap_or(0) * cell_w,
                y: y + i * line_h,
                scale_x: BODY_SCALE,
                scale_y: sy,
                text,
            });
        }
        y += n * line_h + gap;
    }
    let fields_end = y;

    // The notice at the foot: its last line ends at the bottom margin.
    let notice = if sheet.notice.trim().is_empty() {
        DEFAULT_NOTICE
    } else {
        sheet.notice.as_str()
    };
    let notice_lines = clean(notice, MAX_NOTICE_LINES * (LINE_CHARS + 1))
        .and_then(|t| wrap(&t, LINE_CHARS, MAX_NOTICE_LINES))
        .ok_or(CoverError::TooLong("notice"))?;
    let n = u32::try_from(notice_lines.len()).unwrap_or(u32::MAX);
    let notice_top = rows
        .checked_sub(margin_y)
        .and_then(|b| b.checked_sub(n.saturating_mul(line_h)))
        .ok_or(CoverError::TooLong("notice"))?;
    let rule_y = notice_top
        .checked_sub(line_h / 2 + rule_h)
        .ok_or(CoverError::TooLong("notice"))?;
    if rule_y < fields_end {
        return Err(CoverError::TooLong("notice"));
    }
    rules.push(Rule {
        x: MARGIN,
        y: rule_y,
        width: text_w,
        height: rule_h,
    });
    for (i, text) in (0u32..).zip(notice_lines) {
        lines.push(TextLine {
            field: "notice",
            x: MARGIN,
            y: notice_top + i * line_h,
            scale_x: BODY_SCALE,
            scale_y: sy,
            text,
        });
    }
    Ok(Layout {
        columns: COLUMNS,
        rows,
        resolution,
        lines,
        rules,
    })
}

impl Layout {
    /// Draws the page.
    pub fn draw(&self) -> Page {
        let mut page = Page::blank(self.columns, self.rows, self.resolution);
        for r in &self.rules {
            fill(&mut page, r.x, r.y, r.width, r.height);
        }
        for line in &self.lines {
            let mut x = line.x;
            for c in line.text.chars() {
                let g = font::glyph(c)
                    .or_else(|| font::glyph(font::REPLACEMENT))
                    .copied()
                    .unwrap_or([0; 16]);
                for (row, bits) in (0u32..).zip(g) {
                    for col in 0..font::CELL_WIDTH {
                        if bits & (0x80 >> col) != 0 {
                            fill(
                                &mut page,
                                x + col * line.scale_x,
                                line.y + row * line.scale_y,
                                line.scale_x,
                                line.scale_y,
                            );
                        }
                    }
                }
                x += font::CELL_WIDTH * line.scale_x;
            }
        }
        page
    }
}

/// Blackens a rectangle, clipped to the page.
fn fill(page: &mut Page, x: u32, y: u32, w: u32, h: u32) {
    let rb = page.row_bytes();
    let x_end = x.saturating_add(w).min(page.columns);
    let y_end = y.saturating_add(h).min(page.rows);
    for yy in y..y_end {
        let start = yy as usize * rb;
        let Some(row) = page.data.get_mut(start..start + rb) else {
            return;
        };
        for xx in x..x_end {
            if let Some(b) = row.get_mut((xx / 8) as usize) {
                *b |= 0x80 >> (xx % 8);
            }
        }
    }
}

/// Renders `sheet` as one A4/Letter-width page (1728 pels) at `resolution`.
///
/// # Errors
/// [`CoverError::TooLong`] when the text does not fit.
pub fn render(sheet: &CoverSheet, resolution: Resolution) -> Result<Page, CoverError> {
    Ok(layout(sheet, resolution)?.draw())
}
