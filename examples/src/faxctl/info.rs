//! `faxctl info`: how every page is stored, as text or JSON. Never pixel data or identity tags.

use super::files::{Format, Input};
use super::Failure;
use serde::Serialize;
use std::path::Path;
use t4_codec::container::{Page, PageInfo, ReadOptions, Resolution, ResolutionUnit, TiffReader};
use t4_codec::{Coding, FillOrder};

#[derive(Serialize)]
struct FileReport {
    format: &'static str,
    pages: Vec<PageReport>,
    /// Problems with the file structure that were worked around.
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct PageReport {
    page: usize,
    width: u32,
    rows: u32,
    /// "mh", "mr", "mmr", "none" (uncompressed) or "unknown".
    coding: &'static str,
    /// TIFF Compression.
    compression: Option<u16>,
    options: Vec<&'static str>,
    fill_order: &'static str,
    photometric: Option<&'static str>,
    strips: u32,
    rows_per_strip: Option<u32>,
    resolution: Option<ResolutionReport>,
    /// Rows concealed while decoding (null if the page could not be decoded).
    bad_rows: Option<u32>,
    consecutive_bad_rows: Option<u32>,
    /// The file's fax quality tags, as stored.
    tags: TagReport,
    orientation: Option<u16>,
    warnings: Vec<String>,
    /// Why the page could not be decoded.
    error: Option<String>,
}

#[derive(Serialize)]
struct ResolutionReport {
    x: f64,
    y: f64,
    unit: &'static str,
}

#[derive(Serialize)]
struct TagReport {
    bad_fax_lines: Option<u32>,
    clean_fax_data: Option<u16>,
    consecutive_bad_fax_lines: Option<u32>,
}

fn coding(info: &PageInfo) -> &'static str {
    match info.params.as_ref().map(|p| p.coding()) {
        Some(Coding::Mh) => "mh",
        Some(Coding::Mr { .. }) => "mr",
        Some(Coding::Mmr) => "mmr",
        None => match info.compression {
            None | Some(1) => "none",
            Some(_) => "unknown",
        },
    }
}

fn options(info: &PageInfo) -> Vec<&'static str> {
    let mut o = Vec::new();
    if let Some(p) = &info.params {
        if p.end_of_line {
            o.push("eol");
        }
        if matches!(p.coding(), Coding::Mr { .. }) {
            o.push("2d");
        }
        if p.eol_fill {
            o.push("fill-bits");
        }
        if p.encoded_byte_align {
            o.push("byte-aligned");
        }
        if p.encoded_word_align {
            o.push("word-aligned");
        }
        if p.uncompressed {
            o.push("uncompressed-mode");
        }
    }
    o
}

/// What is known of one page: its storage, and the outcome of decoding it.
struct PageFacts<'p> {
    index: usize,
    width: u32,
    rows: u32,
    info: &'p PageInfo,
    resolution: Option<Resolution>,
    /// (bad rows, longest run), if the page was decoded.
    decoded: Option<(u32, u32)>,
    error: Option<String>,
}

impl<'p> PageFacts<'p> {
    fn decoded(index: usize, page: &'p Page) -> PageFacts<'p> {
        PageFacts {
            index,
            width: page.width(),
            rows: page.rows(),
            info: &page.info,
            resolution: page.resolution,
            decoded: Some((page.image.bad_rows, page.image.max_consecutive_bad_rows)),
            error: None,
        }
    }
}

fn report(f: &PageFacts<'_>) -> PageReport {
    let i = f.info;
    PageReport {
        page: f.index + 1,
        width: f.width,
        rows: f.rows,
        coding: coding(i),
        compression: i.compression,
        options: options(i),
        fill_order: match i.fill_order {
            FillOrder::MsbFirst => "msb",
            FillOrder::LsbFirst => "lsb",
        },
        photometric: i.photometric.map(|p| match p {
            0 => "min-is-white",
            1 => "min-is-black",
            _ => "other",
        }),
        strips: i.strips,
        rows_per_strip: i.rows_per_strip,
        resolution: f.resolution.map(|r| ResolutionReport {
            x: r.x,
            y: r.y,
            unit: match r.unit {
                ResolutionUnit::None => "none",
                ResolutionUnit::Inch => "inch",
                ResolutionUnit::Centimeter => "centimeter",
            },
        }),
        bad_rows: f.decoded.map(|d| d.0),
        consecutive_bad_rows: f.decoded.map(|d| d.1),
        tags: TagReport {
            bad_fax_lines: i.tag_bad_rows,
            clean_fax_data: i.tag_clean_fax_data,
            consecutive_bad_fax_lines: i.tag_consecutive_bad_rows,
        },
        orientation: i.orientation,
        warnings: i.warnings.clone(),
        error: f.error.clone(),
    }
}

fn coding_text(p: &PageReport) -> String {
    let name = match p.coding {
        "mh" => "MH (T.4 1-D)",
        "mr" => "MR (T.4 2-D)",
        "mmr" => "MMR (T.6)",
        "none" => "uncompressed",
        _ => "unknown",
    };
    match p.compression {
        Some(c) => format!("{name}, TIFF compression {c}"),
        None => name.to_string(),
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn text_report(r: &FileReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let n = r.pages.len();
    let _ = writeln!(
        out,
        "format: {}, {} page{}",
        r.format,
        n,
        if n == 1 { "" } else { "s" }
    );
    for p in &r.pages {
        let _ = writeln!(out, "page {}: {} x {}", p.page, p.width, p.rows);
        let _ = writeln!(out, "  coding:      {}", coding_text(p));
        let options = if p.options.is_empty() {
            "none".to_string()
        } else {
            p.options.join(", ")
        };
        let _ = writeln!(out, "  options:     {options}");
        let _ = writeln!(out, "  fill order:  {}", p.fill_order);
        if let Some(ph) = p.photometric {
            let _ = writeln!(out, "  photometric: {ph}");
        }
        match &p.resolution {
            Some(r) => {
                let unit = match r.unit {
                    "inch" => " dpi",
                    "centimeter" => " per cm",
                    _ => " (aspect ratio only)",
                };
                let _ = writeln!(
                    out,
                    "  resolution:  {} x {}{unit}",
                    number(r.x),
                    number(r.y)
                );
            }
            None => {
                let _ = writeln!(out, "  resolution:  unknown");
            }
        }
        match (p.bad_rows, p.consecutive_bad_rows) {
            (Some(bad), Some(run)) => {
                let _ = writeln!(out, "  bad rows:    {bad} (longest run {run})");
            }
            _ => {
                let _ = writeln!(out, "  bad rows:    unknown (not decoded)");
            }
        }
        let t = &p.tags;
        if t.bad_fax_lines.is_some()
            || t.clean_fax_data.is_some()
            || t.consecutive_bad_fax_lines.is_some()
        {
            let show = |v: Option<String>| v.unwrap_or_else(|| "-".into());
            let _ = writeln!(
                out,
                "  fax tags:    BadFaxLines {}, CleanFaxData {}, ConsecutiveBadFaxLines {}",
                show(t.bad_fax_lines.map(|v| v.to_string())),
                show(t.clean_fax_data.map(|v| v.to_string())),
                show(t.consecutive_bad_fax_lines.map(|v| v.to_string())),
            );
        }
        match p.rows_per_strip {
            Some(rps) => {
                let _ = writeln!(out, "  strips:      {} ({} rows per strip)", p.strips, rps);
            }
            None => {
                let _ = writeln!(out, "  strips:      {}", p.strips);
            }
        }
        if let Some(o) = p.orientation.filter(|&o| o != 1) {
            let _ = writeln!(out, "  orientation: {o} (not applied)");
        }
        for w in &p.warnings {
            let _ = writeln!(out, "  warning:     {w}");
        }
        if let Some(e) = &p.error {
            let _ = writeln!(out, "  error:       {e}");
        }
    }
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// Reports every page of a TIFF file, decoding one page at a time; a page that cannot be
/// decoded is described from its tags. Also returns the first page's failure, if any.
fn tiff_report(input: &Input) -> Result<(FileReport, Option<Failure>), Failure> {
    let what = input.path.display().to_string();
    let reader = TiffReader::new(&input.data, ReadOptions::default())
        .map_err(|e| Failure::container(&what, &e))?;
    let mut pages = Vec::with_capacity(reader.page_count());
    let mut failure = None;
    let fallback = PageInfo::default();
    for index in 0..reader.page_count() {
        match reader.read_page(index) {
            Ok(page) => pages.push(report(&PageFacts::decoded(index, &page))),
            Err(e) => {
                let (width, rows) = reader.dimensions(index).unwrap_or((0, 0));
                pages.push(report(&PageFacts {
                    index,
                    width,
                    rows,
                    info: reader.page_info(index).unwrap_or(&fallback),
                    resolution: reader.resolution(index),
                    decoded: None,
                    error: Some(e.to_string()),
                }));
                if failure.is_none() {
                    failure = Some(Failure::container(
                        &format!("{what}: page {}", index + 1),
                        &e,
                    ));
                }
            }
        }
    }
    let warnings = reader.warnings().to_vec();
    Ok((
        FileReport {
            format: "tiff",
            pages,
            warnings,
        },
        failure,
    ))
}

/// `faxctl info`. A page that cannot be decoded is still described; the command then fails,
/// after printing the report, with that page's error.
pub(crate) fn run(path: &Path, json: bool) -> Result<(), Failure> {
    let input = Input::open(path)?;
    let (report, failure) = match input.format {
        Format::Tiff => tiff_report(&input)?,
        format => {
            let pages = input.pages(None, false)?;
            let pages = pages
                .iter()
                .enumerate()
                .map(|(i, p)| report(&PageFacts::decoded(i, p)))
                .collect();
            let name = if format == Format::Pbm { "pbm" } else { "png" };
            (
                FileReport {
                    format: name,
                    pages,
                    warnings: Vec::new(),
                },
                None,
            )
        }
    };
    if json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::Invalid(format!("cannot write JSON: {e}")))?;
        super::print_stdout(&format!("{text}\n"));
    } else {
        super::print_stdout(&text_report(&report));
    }
    failure.map_or(Ok(()), Err)
}
