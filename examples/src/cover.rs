//! Cover pages: the first page of an outbound fax (to, from, patient reference, subject, page
//! count, callback number, confidentiality notice), rendered as a bi-level page with a bitmap
//! font.
//!
//! PLACEHOLDER API (the implementation replaces the body of [`render`]; the signatures are
//! the contract `faxd` builds against).

use t30::{Page, Resolution};

/// The notice printed at the foot of every cover page unless the sheet gives its own.
pub const DEFAULT_NOTICE: &str = "CONFIDENTIAL: This facsimile may contain protected health \
information. If you are not the intended recipient, notify the sender at the callback number \
and destroy all copies. Any review, use or disclosure by others is prohibited.";

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

/// Renders `sheet` as one A4/Letter-width page (1728 pels) at `resolution`.
///
/// # Errors
/// [`CoverError::TooLong`] when the text does not fit.
pub fn render(sheet: &CoverSheet, resolution: Resolution) -> Result<Page, CoverError> {
    let _ = sheet;
    let rows = match resolution {
        Resolution::Standard => 1100,
        _ => 2200,
    };
    Ok(Page::blank(1728, rows, resolution))
}
