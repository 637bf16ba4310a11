//! Reading and writing image files by format, and the `convert` command.

use super::cli::{ConvertArgs, FillOrderArg};
use super::{choose_coding, note, warn, Failure};
use std::path::{Path, PathBuf};
use t4_codec::container::{
    read_pbm_pages, read_png, write_pbm_to, write_png, write_tiff, Page, ReadOptions, TiffReader,
    TiffWriteOptions,
};
use t4_codec::{Coding, FillOrder, Limits};

/// Largest input file read, in bytes (fax files are far smaller).
const MAX_INPUT_BYTES: u64 = 1 << 30;

/// An image file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Tiff,
    Pbm,
    Png,
}

impl Format {
    /// The format an extension names.
    pub(crate) fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "tif" | "tiff" => Some(Format::Tiff),
            "pbm" => Some(Format::Pbm),
            "png" => Some(Format::Png),
            _ => None,
        }
    }

    /// The format a file's first bytes show.
    fn sniff(data: &[u8]) -> Option<Format> {
        if data.starts_with(b"II*\0")
            || data.starts_with(b"MM\0*")
            || data.starts_with(b"II+\0")
            || data.starts_with(b"MM\0+")
        {
            Some(Format::Tiff)
        } else if data.starts_with(b"P4") {
            Some(Format::Pbm)
        } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else {
            None
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Tiff => "TIFF",
            Format::Pbm => "PBM",
            Format::Png => "PNG",
        }
    }
}

/// Reads a whole input file (at most [`MAX_INPUT_BYTES`]).
pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>, Failure> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| Failure::Invalid(format!("{shown}: {e}")))?;
    if meta.len() > MAX_INPUT_BYTES {
        return Err(Failure::Limit(format!(
            "{shown}: larger than {MAX_INPUT_BYTES} bytes"
        )));
    }
    std::fs::read(path).map_err(|e| Failure::Invalid(format!("{shown}: {e}")))
}

/// Writes an output file.
pub(crate) fn write_output(path: &Path, data: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, data).map_err(|e| Failure::Invalid(format!("{}: {e}", path.display())))
}

/// An input file: its format and data.
pub(crate) struct Input {
    pub(crate) path: PathBuf,
    pub(crate) format: Format,
    pub(crate) data: Vec<u8>,
}

impl Input {
    /// Reads a file; the format is taken from the extension, else from the content.
    pub(crate) fn open(path: &Path) -> Result<Input, Failure> {
        let data = read_input(path)?;
        let format = Format::from_path(path)
            .or_else(|| Format::sniff(&data))
            .ok_or_else(|| {
                Failure::Invalid(format!("{}: not a TIFF, PBM or PNG file", path.display()))
            })?;
        Ok(Input {
            path: path.to_owned(),
            format,
            data,
        })
    }

    fn what(&self) -> String {
        self.path.display().to_string()
    }

    /// Every page, or only page `only` (from 1). Problems worked around are printed as
    /// warnings if `report`.
    pub(crate) fn pages(&self, only: Option<u32>, report: bool) -> Result<Vec<Page>, Failure> {
        let limits = Limits::default();
        let fail = |e| Failure::container(&self.what(), &e);
        let mut pages = match self.format {
            Format::Tiff => {
                let reader = TiffReader::new(&self.data, ReadOptions::default()).map_err(fail)?;
                if report {
                    for w in reader.warnings() {
                        warn(&format!("{}: {w}", self.what()));
                    }
                }
                let count = reader.page_count();
                let wanted: Vec<usize> = match only {
                    Some(n) => {
                        let i = n as usize - 1;
                        if i >= count {
                            return Err(no_page(&self.what(), n, count));
                        }
                        vec![i]
                    }
                    None => (0..count).collect(),
                };
                let mut total = 0u64;
                let mut pages = Vec::with_capacity(wanted.len());
                for i in wanted {
                    if let Some((w, h)) = reader.dimensions(i) {
                        total += u64::from(w).div_ceil(8) * u64::from(h);
                        if total > limits.max_output_bytes {
                            return Err(Failure::Limit(format!(
                                "{}: the pages together exceed max_output_bytes",
                                self.what()
                            )));
                        }
                    }
                    let page = reader.read_page(i).map_err(|e| {
                        Failure::container(&format!("{}: page {}", self.what(), i + 1), &e)
                    })?;
                    pages.push((i, page));
                }
                pages
            }
            Format::Pbm => read_pbm_pages(&self.data, &limits)
                .map_err(fail)?
                .into_iter()
                .enumerate()
                .collect(),
            Format::Png => vec![(0, read_png(&self.data, &limits).map_err(fail)?)],
        };
        if self.format != Format::Tiff {
            if let Some(n) = only {
                let count = pages.len();
                let i = n as usize - 1;
                if i >= count {
                    return Err(no_page(&self.what(), n, count));
                }
                pages = vec![pages.swap_remove(i)];
            }
        }
        for (i, page) in pages.iter().filter(|_| report) {
            for w in &page.info.warnings {
                warn(&format!("{}: page {}: {w}", self.what(), i + 1));
            }
            if page.image.bad_rows > 0 {
                warn(&format!(
                    "{}: page {}: {} damaged rows concealed (longest run {})",
                    self.what(),
                    i + 1,
                    page.image.bad_rows,
                    page.image.max_consecutive_bad_rows
                ));
            }
        }
        Ok(pages.into_iter().map(|(_, p)| p).collect())
    }
}

fn no_page(what: &str, n: u32, count: usize) -> Failure {
    Failure::Invalid(format!(
        "{what}: there is no page {n} (the file has {count})"
    ))
}

/// Writes pages in a format (PNG: the first page only; the caller chooses it).
pub(crate) fn save(
    path: &Path,
    format: Format,
    pages: &[Page],
    tiff: &TiffWriteOptions,
) -> Result<(), Failure> {
    let what = path.display().to_string();
    let data = match format {
        Format::Tiff => write_tiff(pages, tiff).map_err(|e| Failure::container(&what, &e))?,
        Format::Pbm => {
            // Straight to the file: no second copy of every page in memory.
            let io = |e: std::io::Error| Failure::Invalid(format!("{what}: {e}"));
            let mut file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
            for p in pages {
                write_pbm_to(&p.image, &mut file).map_err(io)?;
            }
            return std::io::Write::flush(&mut file).map_err(io);
        }
        Format::Png => {
            let page = pages
                .first()
                .ok_or_else(|| Failure::Invalid(format!("{what}: no page to write")))?;
            write_png(page).map_err(|e| Failure::container(&what, &e))?
        }
    };
    write_output(path, &data)
}

/// The output format of a path, or a usage error.
pub(crate) fn output_format(path: &Path) -> Result<Format, Failure> {
    Format::from_path(path).ok_or_else(|| {
        Failure::Usage(format!(
            "cannot tell the output format of '{}': use .tif, .tiff, .pbm or .png",
            path.display()
        ))
    })
}

/// MR's K for the pages' vertical resolution (T.4: 2 at standard, 4 at fine, ...).
fn mr_k(pages: &[Page]) -> u32 {
    let dpi = pages
        .first()
        .and_then(|p| p.resolution)
        .and_then(|r| r.to_dpi());
    // A resolution in lines per inch fits an f32 with room to spare.
    #[allow(clippy::cast_possible_truncation)]
    let coding = dpi.map(|(_, y)| Coding::mr_for_resolution(y as f32));
    match coding {
        Some(Coding::Mr { k }) => k,
        _ => 4,
    }
}

/// `faxctl convert`.
pub(crate) fn convert(a: &ConvertArgs) -> Result<(), Failure> {
    let out_format = output_format(&a.output)?;
    let coding_flags =
        a.coding.is_some() || a.k.is_some() || a.fill_order.is_some() || a.byte_align;
    if coding_flags && out_format != Format::Tiff {
        return Err(Failure::Usage(format!(
            "--coding, --k, --fill-order and --byte-align apply to TIFF output, not {}",
            out_format.name()
        )));
    }
    // Check the coding flags before reading anything.
    let coding = choose_coding(a.coding, a.k, Coding::Mmr, 4)?;
    if a.byte_align && coding == Coding::Mmr {
        return Err(Failure::Usage(
            "--byte-align needs MH or MR: T.6 (MMR) has no EOLs to align".into(),
        ));
    }
    let input = Input::open(&a.input)?;
    let mut pages = input.pages(a.page, true)?;
    if out_format == Format::Png && pages.len() > 1 {
        note(&format!(
            "{} has {} pages; PNG holds one, so page 1 was written (choose another with --page N)",
            input.what(),
            pages.len()
        ));
        pages.truncate(1);
    }
    let coding = match coding {
        // MR without an explicit K: K from the resolution.
        Coding::Mr { .. } if a.k.is_none() => Coding::Mr { k: mr_k(&pages) },
        c => c,
    };
    let mut tiff = TiffWriteOptions::new(coding);
    tiff.params.eol_fill = a.byte_align;
    tiff.params.fill_order = match a.fill_order {
        Some(FillOrderArg::Lsb) => FillOrder::LsbFirst,
        _ => FillOrder::MsbFirst,
    };
    save(&a.output, out_format, &pages, &tiff)
}
