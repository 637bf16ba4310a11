//! Cover pages: the text is read back out of the bitmap by matching every cell against the
//! font table (an OCR of our own font), whole text rows at a time from the left margin, and
//! must equal the input fields; nothing else is drawn; the page survives MH, MR and MMR
//! coding pixel for pixel; any input string gives a page or `TooLong`, never a panic.

use faxkit_examples::cover::{
    font, layout, page_rows, render, CoverError, CoverSheet, BODY_SCALE, COLUMNS, DEFAULT_NOTICE,
    MARGIN, VALUE_CHARS,
};
use proptest::prelude::*;
use t30::{Page, Resolution};
use t4_codec::{decode_image, encode, Coding, DecodeOptions, Params};

fn pel(page: &Page, x: u32, y: u32) -> bool {
    page.row(y)
        .and_then(|r| r.get((x / 8) as usize))
        .is_some_and(|b| b & (0x80 >> (x % 8)) != 0)
}

/// Reads the cell at (x, y): the glyph whose every pel (a `sx` x `sy` block, which must be
/// uniform) matches; `None` if no glyph does.
fn read_cell(page: &Page, x: u32, y: u32, sx: u32, sy: u32) -> Option<char> {
    let mut cell = [0u8; 16];
    for (row, bits) in (0u32..).zip(cell.iter_mut()) {
        for col in 0..8u32 {
            let (x0, y0) = (x + col * sx, y + row * sy);
            let v = pel(page, x0, y0);
            for dy in 0..sy {
                for dx in 0..sx {
                    if pel(page, x0 + dx, y0 + dy) != v {
                        return None;
                    }
                }
            }
            if v {
                *bits |= 0x80 >> col;
            }
        }
    }
    (0x20u8..0x7f)
        .map(char::from)
        .find(|c| font::glyph(*c) == Some(&cell))
}

/// Reads a whole text row from `x` to the right margin; trailing spaces dropped.
fn read_row(page: &Page, x: u32, y: u32, sx: u32, sy: u32) -> String {
    let w = 8 * sx;
    let mut s = String::new();
    let mut cx = x;
    while cx + w <= COLUMNS - MARGIN {
        s.push(read_cell(page, cx, y, sx, sy).unwrap_or('\u{fffd}'));
        cx += w;
    }
    s.trim_end().to_owned()
}

/// The field rows of a page: (label, value lines), read by OCR at the rows the layout gives.
fn read_fields(page: &Page, sheet: &CoverSheet, res: Resolution) -> Vec<(String, Vec<String>)> {
    let l = layout(sheet, res).expect("layout");
    let mut ys: Vec<(u32, u32)> = l
        .lines
        .iter()
        .filter(|t| t.field != "title" && t.field != "heading" && t.field != "notice")
        .map(|t| (t.y, t.scale_y))
        .collect();
    ys.dedup();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (y, sy) in ys {
        let row = read_row(page, MARGIN, y, BODY_SCALE, sy);
        let (label, value) = row.split_at(row.len().min(14));
        let value = value.to_owned();
        if label.trim().is_empty() {
            out.last_mut().expect("a label first").1.push(value);
        } else {
            out.push((label.trim().to_owned(), vec![value]));
        }
    }
    out
}

fn sheet() -> CoverSheet {
    CoverSheet {
        to: "Cardiology Dept, St. Elsewhere Hospital (attn: Dr. A. Smith)".into(),
        from: "Dr. Jones, Clinic A / Internal Medicine".into(),
        patient_reference: "MRN-000123".into(),
        subject: "Referral letter and lab results: CBC, BMP & lipid panel; please review \
                  before the consult on 2026-12-01 [urgent] {re: #4471} ~ 50% done?"
            .into(),
        pages: 3,
        callback: "+1 (555) 0100 ext. 22".into(),
        notice: String::new(),
        date: "2026-11-23 09:30 UTC".into(),
    }
}

const RESOLUTIONS: [Resolution; 14] = [
    Resolution::Standard,
    Resolution::Fine,
    Resolution::Superfine,
    Resolution::R16x15_4,
    Resolution::Inch200x100,
    Resolution::Inch200x200,
    Resolution::Inch200x400,
    Resolution::Inch300x300,
    Resolution::Inch400x400,
    Resolution::Inch600x600,
    Resolution::Inch1200x1200,
    Resolution::Inch300x600,
    Resolution::Inch400x800,
    Resolution::Inch600x1200,
];

/// Clears every text cell and rule of the layout; what remains must be white.
fn assert_nothing_else(page: &Page, sheet: &CoverSheet, res: Resolution) {
    let l = layout(sheet, res).expect("layout");
    let mut p = page.clone();
    let mut clear = |x: u32, y: u32, w: u32, h: u32| {
        for yy in y..y + h {
            for xx in x..(x + w).min(p.columns) {
                let rb = p.row_bytes();
                p.data[yy as usize * rb + (xx / 8) as usize] &= !(0x80 >> (xx % 8));
            }
        }
    };
    for r in &l.rules {
        clear(r.x, r.y, r.width, r.height);
    }
    for t in &l.lines {
        let n = u32::try_from(t.text.len()).expect("short");
        clear(t.x, t.y, n * 8 * t.scale_x, 16 * t.scale_y);
    }
    assert!(
        p.data.iter().all(|b| *b == 0),
        "pels outside text and rules"
    );
}

#[test]
fn ocr_reads_back_every_field_at_every_resolution() {
    let s = sheet();
    for res in RESOLUTIONS {
        let page = render(&s, res).expect("render");
        assert_eq!((page.columns, page.rows), (1728, page_rows(res)));
        assert_eq!(page.data.len(), 216 * page.rows as usize);
        assert_eq!(page.resolution, res);
        let fields = read_fields(&page, &s, res);
        let join = |label: &str| {
            let (_, v) = fields
                .iter()
                .find(|(l, _)| l == label)
                .unwrap_or_else(|| panic!("no {label} at {res:?}"));
            assert!(v.iter().all(|l| l.len() <= VALUE_CHARS));
            v.join(" ")
        };
        assert_eq!(join("Date:"), s.date);
        assert_eq!(join("To:"), s.to);
        assert_eq!(join("From:"), s.from);
        assert_eq!(join("Patient ref:"), s.patient_reference);
        assert_eq!(
            join("Subject:"),
            s.subject.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        assert_eq!(join("Pages:"), "3 (following this cover sheet)");
        assert_eq!(join("Callback:"), s.callback);
        let labels: Vec<&str> = fields.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Date:",
                "To:",
                "From:",
                "Patient ref:",
                "Subject:",
                "Pages:",
                "Callback:"
            ]
        );
        // The subject needed two lines; the words were not split.
        assert_eq!(fields[4].1.len(), 2);
        // Title, heading and notice.
        let l = layout(&s, res).expect("layout");
        let text_of = |field: &str| -> Vec<String> {
            l.lines
                .iter()
                .filter(|t| t.field == field)
                .map(|t| {
                    read_row(&page, MARGIN, t.y, t.scale_x, t.scale_y)
                        .trim()
                        .to_owned()
                })
                .collect()
        };
        // Title rows are centred: read them from their own cell grid.
        for t in l
            .lines
            .iter()
            .filter(|t| t.field == "title" || t.field == "heading")
        {
            let n = u32::try_from(t.text.len()).expect("short");
            let read: String = (0..n)
                .map(|i| read_cell(&page, t.x + i * 8 * t.scale_x, t.y, t.scale_x, t.scale_y))
                .map(|c| c.unwrap_or('\u{fffd}'))
                .collect();
            assert_eq!(
                read,
                if t.field == "title" {
                    "FAX"
                } else {
                    "FACSIMILE COVER SHEET"
                }
            );
            assert!(t.scale_x > BODY_SCALE);
        }
        let notice = text_of("notice");
        assert!(notice.len() >= 2);
        assert_eq!(notice.join(" "), DEFAULT_NOTICE);
        // The notice ends inside the bottom margin, the title starts inside the top one.
        let last = l.lines.last().expect("lines");
        assert!(last.y + 16 * last.scale_y < page.rows);
        assert!(l.lines[0].y > 0);
        assert_nothing_else(&page, &s, res);
    }
}

#[test]
fn standard_and_fine_sizes_and_aspect() {
    assert_eq!(page_rows(Resolution::Standard), 1100);
    assert_eq!(page_rows(Resolution::Fine), 2200);
    let s = sheet();
    let std = layout(&s, Resolution::Standard).expect("layout");
    let fine = layout(&s, Resolution::Fine).expect("layout");
    // Fine has twice the rows per millimetre: the same text is twice as tall in rows.
    let body = |l: &faxkit_examples::cover::Layout| {
        l.lines
            .iter()
            .find(|t| t.field == "to")
            .expect("to")
            .scale_y
    };
    assert_eq!((body(&std), body(&fine)), (1, 2));
    assert_eq!(std.lines.len(), fine.lines.len());
}

#[test]
fn optional_lines_are_left_out_and_empty_fields_kept() {
    let s = CoverSheet {
        to: "Lab".into(),
        pages: 0,
        ..CoverSheet::default()
    };
    let page = render(&s, Resolution::Fine).expect("render");
    let fields = read_fields(&page, &s, Resolution::Fine);
    let labels: Vec<&str> = fields.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["To:", "From:", "Subject:", "Pages:", "Callback:"]);
    assert_eq!(fields[0].1, ["Lab"]);
    assert_eq!(fields[1].1, [""]);
    assert_eq!(fields[3].1, ["0 (following this cover sheet)"]);
}

#[test]
fn unprintable_characters_are_replaced_and_whitespace_collapsed() {
    let s = CoverSheet {
        to: "  Dr.\tM\u{fc}ller \n\r Smith\u{7}  ".into(),
        from: "\u{202e}evil\u{0}".into(),
        subject: "caf\u{e9} \u{1F4E0} fax".into(),
        callback: "+1\u{a0}555".into(),
        notice: "Only\u{2028}this.".into(),
        ..CoverSheet::default()
    };
    let page = render(&s, Resolution::Standard).expect("render");
    let fields = read_fields(&page, &s, Resolution::Standard);
    assert_eq!(fields[0], ("To:".into(), vec!["Dr. M?ller Smith?".into()]));
    assert_eq!(fields[1].1, ["?evil?"]);
    assert_eq!(fields[2].1, ["caf? ? fax"]);
    // A no-break space is whitespace: it separates words like a space.
    assert_eq!(fields[4].1, ["+1 555"]);
    let l = layout(&s, Resolution::Standard).expect("layout");
    let notice: Vec<&str> = l
        .lines
        .iter()
        .filter(|t| t.field == "notice")
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(notice, ["Only this."]);
}

#[test]
fn long_words_are_cut_at_the_line_end() {
    let word: String = (b'a'..=b'z').cycle().take(200).map(char::from).collect();
    let s = CoverSheet {
        subject: format!("see {word} now"),
        ..CoverSheet::default()
    };
    let page = render(&s, Resolution::Fine).expect("render");
    let fields = read_fields(&page, &s, Resolution::Fine);
    let subject = &fields
        .iter()
        .find(|(l, _)| l == "Subject:")
        .expect("subject")
        .1;
    assert_eq!(
        subject,
        &[
            "see".to_owned(),
            word[..VALUE_CHARS].to_owned(),
            word[VALUE_CHARS..2 * VALUE_CHARS].to_owned(),
            format!("{} now", &word[2 * VALUE_CHARS..]),
        ]
    );
}

fn too_long(s: &CoverSheet) -> &'static str {
    match layout(s, Resolution::Standard) {
        Err(CoverError::TooLong(f)) => f,
        Ok(_) => panic!("expected TooLong"),
    }
}

#[test]
fn text_that_cannot_fit_names_its_field() {
    let words = |n: usize| vec!["word"; n].join(" ");
    // 82 characters a line: 16 five-character words ("word ") fill one line.
    type Set = fn(&mut CoverSheet, String);
    let cases: [(&str, Set); 7] = [
        ("to", |s, v| s.to = v),
        ("from", |s, v| s.from = v),
        ("patient_reference", |s, v| s.patient_reference = v),
        ("subject", |s, v| s.subject = v),
        ("callback", |s, v| s.callback = v),
        ("date", |s, v| s.date = v),
        ("notice", |s, v| s.notice = v),
    ];
    for (field, set) in cases {
        let budget = match field {
            "to" | "from" => 2,
            "subject" => 4,
            "notice" => 16,
            _ => 1,
        };
        let width = if field == "notice" { 96 } else { VALUE_CHARS };
        // Exactly the budget fits...
        let mut s = CoverSheet::default();
        let per_line = (width + 1) / 5;
        set(&mut s, words(per_line * budget));
        layout(&s, Resolution::Standard).unwrap_or_else(|e| panic!("{field} at its budget: {e}"));
        // ... one more word does not.
        let mut s = CoverSheet::default();
        set(&mut s, words(per_line * budget + 1));
        assert_eq!(too_long(&s), field);
        // Nor does a megabyte of it (refused without wrapping it all).
        let mut s = CoverSheet::default();
        set(&mut s, "x".repeat(1 << 20));
        assert_eq!(too_long(&s), field);
    }
    // Every field at its budget together with the default notice fits at every resolution.
    let full = CoverSheet {
        to: words(32),
        from: words(32),
        patient_reference: words(16),
        subject: words(64),
        pages: u32::MAX,
        callback: words(16),
        notice: String::new(),
        date: words(16),
    };
    for res in RESOLUTIONS {
        let page = render(&full, res).unwrap_or_else(|e| panic!("{res:?}: {e}"));
        assert_nothing_else(&page, &full, res);
    }
    // Even with a notice at its own budget (16 lines).
    let mut s = full.clone();
    s.notice = words(19 * 16);
    for res in RESOLUTIONS {
        render(&s, res).unwrap_or_else(|e| panic!("{res:?}: {e}"));
    }
}

#[test]
fn the_page_survives_mh_mr_and_mmr_pixel_for_pixel() {
    for res in [Resolution::Standard, Resolution::Fine] {
        let page = render(&sheet(), res).expect("render");
        for coding in [Coding::Mh, Coding::Mr { k: 4 }, Coding::Mmr] {
            let mut params = Params::new(coding, page.columns);
            params.black_is_1 = true;
            let coded = encode(&params, &page.data).expect("encode");
            // A cover page is mostly white: it codes far smaller than its bitmap.
            assert!(
                coded.len() * 10 < page.data.len(),
                "{coding:?}: {}",
                coded.len()
            );
            let image = decode_image(&coded, &params, DecodeOptions::default()).expect("decode");
            assert_eq!((image.rows, image.bad_rows), (page.rows, 0), "{coding:?}");
            assert!(image.data == page.data, "{coding:?} at {res:?} differs");
        }
    }
}

#[test]
fn debug_prints_no_field() {
    let s = sheet();
    let d = format!("{s:?}");
    assert!(
        !d.contains("Cardiology") && !d.contains("MRN") && !d.contains("555"),
        "{d}"
    );
    let l = layout(&s, Resolution::Fine).expect("layout");
    let d = format!("{l:?}");
    assert!(
        !d.contains("Cardiology") && !d.contains("MRN") && !d.contains("555"),
        "{d}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any strings at all: a page of the right size or `TooLong`, never a panic.
    #[test]
    fn any_input_renders_or_is_too_long(
        to in any::<String>(),
        from in "\\PC{0,200}",
        patient in any::<String>(),
        subject in "(\\PC|\\s){0,500}",
        pages in any::<u32>(),
        callback in any::<String>(),
        notice in "(\\PC|\\s|[\\x00-\\x1f]){0,2000}",
        date in any::<String>(),
        res in proptest::sample::select(RESOLUTIONS.to_vec()),
    ) {
        let s = CoverSheet { to, from, patient_reference: patient, subject, pages, callback, notice, date };
        match render(&s, res) {
            Ok(page) => {
                prop_assert_eq!((page.columns, page.rows), (1728, page_rows(res)));
                prop_assert_eq!(page.data.len(), 216 * page.rows as usize);
            }
            Err(CoverError::TooLong(f)) => prop_assert!(
                ["to", "from", "patient_reference", "subject", "callback", "date", "notice"].contains(&f)
            ),
        }
    }

    /// Printable words come back by OCR exactly (joined by single spaces).
    #[test]
    fn printable_words_read_back(
        to in proptest::collection::vec("[!-~]{1,12}", 0..10),
        subject in proptest::collection::vec("[!-~]{1,20}", 0..12),
        callback in "[0-9+() -]{0,40}",
    ) {
        let s = CoverSheet {
            to: to.join(" "),
            subject: subject.join("  "),
            callback: callback.clone(),
            ..CoverSheet::default()
        };
        let page = render(&s, Resolution::Standard).expect("fits its budget");
        let fields = read_fields(&page, &s, Resolution::Standard);
        let get = |label: &str| fields.iter().find(|(l, _)| l == label).map(|(_, v)| v.join(" "));
        prop_assert_eq!(get("To:"), Some(to.join(" ")));
        prop_assert_eq!(get("Subject:"), Some(subject.join(" ")));
        prop_assert_eq!(
            get("Callback:"),
            Some(callback.split_whitespace().collect::<Vec<_>>().join(" "))
        );
    }
}
