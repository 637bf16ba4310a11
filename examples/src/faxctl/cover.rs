//! `faxctl cover`: renders a fax cover page (the one `faxd` puts in front of an outbound fax)
//! to a file, for a look at what recipients get.
//!
//! ```text
//! faxctl cover --to NAME --from NAME [--patient REF] [--subject TEXT] [--pages N]
//!              [--callback NUMBER] [--date TEXT] [--notice TEXT] [--resolution standard|fine]
//!              OUT.png|OUT.tif|OUT.pbm
//! ```
//!
//! Exit status 2 if the text does not fit (the message names the field). The field values
//! are never printed: they may be PHI.

use super::cli::CoverArgs;
use super::files::{output_format, save};
use super::Failure;
use faxkit_examples::cover::{render, CoverError, CoverSheet};
use t4_codec::container::{Page, Resolution, TiffWriteOptions};
use t4_codec::{Coding, Image};

/// `faxctl cover`.
pub(crate) fn run(a: &CoverArgs) -> Result<(), Failure> {
    let format = output_format(&a.output)?;
    let sheet = CoverSheet {
        to: a.to.clone(),
        from: a.from.clone(),
        patient_reference: a.patient.clone().unwrap_or_default(),
        subject: a.subject.clone().unwrap_or_default(),
        pages: a.pages,
        callback: a.callback.clone().unwrap_or_default(),
        notice: a.notice.clone().unwrap_or_default(),
        date: a.date.clone().unwrap_or_default(),
    };
    let resolution = if a.resolution == super::cli::CoverResolution::Standard {
        t30::Resolution::Standard
    } else {
        t30::Resolution::Fine
    };
    let page = render(&sheet, resolution).map_err(|e| match e {
        CoverError::TooLong(_) => Failure::Invalid(e.to_string()),
    })?;
    let (x, y) = page.resolution.dpi();
    let mut out = Page::from_image(Image {
        columns: page.columns,
        rows: page.rows,
        black_is_1: true,
        data: page.data,
        bad_rows: 0,
        max_consecutive_bad_rows: 0,
    });
    out.resolution = Some(Resolution::dpi(f64::from(x), f64::from(y)));
    save(
        &a.output,
        format,
        &[out],
        &TiffWriteOptions::new(Coding::Mmr),
    )
}
