//! Fax documents as faxd stores them: pages as TIFF Class F, and the outbound envelope (the
//! destination and the cover page's PHI beside the pages, all inside one encrypted store
//! object, so nothing of it is ever plaintext on disk).
//!
//! Envelope layout: `FXDOC1\n`, a 4-byte big-endian length, that many bytes of JSON
//! ([`Envelope`]), then the TIFF.

use super::error::{FaxdError, Result};
use serde::{Deserialize, Serialize};
use t4_codec::container::{read_tiff, write_tiff, Page, ReadOptions, Resolution, TiffWriteOptions};
use t4_codec::{Coding, Image};

const MAGIC: &[u8] = b"FXDOC1\n";
/// Largest envelope JSON accepted.
const MAX_ENVELOPE: usize = 64 * 1024;

/// The PHI of an outbound job (stored encrypted with its pages).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The destination number.
    pub remote_number: String,
    /// Names on the cover page (recipient, sender).
    #[serde(default)]
    pub names: Vec<String>,
    /// The patient reference, if any.
    #[serde(default)]
    pub patient: Option<String>,
}

impl core::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Envelope(<redacted>)")
    }
}

/// The pages as one TIFF Class F (MMR, one IFD per page).
///
/// # Errors
/// [`FaxdError::Invalid`] if a page cannot be coded.
pub fn pages_to_tiff(pages: &[t30::Page], bad_rows: &[u32]) -> Result<Vec<u8>> {
    let tiff: Vec<Page> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = p.resolution.dpi();
            let mut page = Page::from_image(Image {
                columns: p.columns,
                rows: p.rows,
                black_is_1: true,
                data: p.data.clone(),
                bad_rows: bad_rows.get(i).copied().unwrap_or(0),
                max_consecutive_bad_rows: 0,
            });
            page.resolution = Some(Resolution::dpi(f64::from(x), f64::from(y)));
            page
        })
        .collect();
    write_tiff(&tiff, &TiffWriteOptions::new(Coding::Mmr))
        .map_err(|e| FaxdError::Invalid(format!("document: TIFF: {e}")))
}

/// The pages of a TIFF.
///
/// # Errors
/// [`FaxdError::Invalid`] for a TIFF that does not decode.
pub fn tiff_to_pages(bytes: &[u8]) -> Result<Vec<t30::Page>> {
    let pages = read_tiff(bytes, &ReadOptions::default())
        .map_err(|e| FaxdError::Invalid(format!("document: TIFF: {e}")))?;
    Ok(pages
        .into_iter()
        .map(|p| {
            let y = p.resolution.and_then(|r| r.to_dpi()).map_or(196.0, |d| d.1);
            let resolution = if y < 150.0 {
                t30::Resolution::Standard
            } else if y < 300.0 {
                t30::Resolution::Fine
            } else {
                t30::Resolution::Superfine
            };
            t30::Page {
                columns: p.width(),
                rows: p.rows(),
                resolution,
                data: p.image.data,
            }
        })
        .collect())
}

/// Envelope and pages as one blob.
///
/// # Errors
/// [`FaxdError::Invalid`] if a page cannot be coded.
pub fn encode(env: &Envelope, pages: &[t30::Page]) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(env).map_err(|e| FaxdError::Invalid(e.to_string()))?;
    let len =
        u32::try_from(json.len()).map_err(|_| FaxdError::Limit("envelope too long".into()))?;
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&pages_to_tiff(pages, &[])?);
    Ok(out)
}

/// Splits a blob made by [`encode`].
///
/// # Errors
/// [`FaxdError::Invalid`] for anything else.
pub fn decode(blob: &[u8]) -> Result<(Envelope, Vec<t30::Page>)> {
    let bad = || FaxdError::Invalid("stored document: not a faxd envelope".into());
    let rest = blob.strip_prefix(MAGIC).ok_or_else(bad)?;
    let (len, rest) = rest.split_first_chunk::<4>().ok_or_else(bad)?;
    let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| bad())?;
    if len > MAX_ENVELOPE || len > rest.len() {
        return Err(bad());
    }
    let (json, tiff) = rest.split_at(len);
    let env: Envelope = serde_json::from_slice(json).map_err(|_| bad())?;
    Ok((env, tiff_to_pages(tiff)?))
}

/// SHA-256 over every page's bitmap in order, lowercase hex (the receipt's document hash).
pub fn sha256(pages: &[t30::Page]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in pages {
        ctx.update(&p.data);
    }
    super::data::hex(ctx.finish().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn page(seed: u8, rows: u32) -> t30::Page {
        let mut p = t30::Page::blank(1728, rows, t30::Resolution::Fine);
        for (i, b) in p.data.iter_mut().enumerate() {
            // Runs of black and white, different per seed.
            if (i / 7 + usize::from(seed)).is_multiple_of(5) {
                *b = 0xF0;
            }
        }
        p
    }

    proptest! {
        #[test]
        fn envelope_round_trips(seed in any::<u8>(), rows in 1u32..40, n in 1usize..3,
                                number in "[0-9+]{1,20}", name in "[ -~]{0,30}") {
            let pages: Vec<_> = (0..n).map(|i| page(seed.wrapping_add(u8::try_from(i).unwrap_or(0)), rows)).collect();
            let env = Envelope { remote_number: number, names: vec![name], patient: None };
            let blob = encode(&env, &pages).expect("encode");
            let (e2, p2) = decode(&blob).expect("decode");
            prop_assert_eq!(e2, env);
            prop_assert_eq!(p2, pages);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut blob = MAGIC.to_vec();
            blob.extend_from_slice(&bytes);
            let _ = decode(&blob);
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn the_hash_is_sha256_of_the_bitmaps_in_order() {
        // SHA-256 of the empty string (FIPS 180-2 test vector).
        assert_eq!(
            sha256(&[]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // SHA-256("abc") split over two "pages".
        let a = t30::Page {
            columns: 8,
            rows: 1,
            resolution: t30::Resolution::Fine,
            data: b"a".to_vec(),
        };
        let bc = t30::Page {
            columns: 16,
            rows: 1,
            resolution: t30::Resolution::Fine,
            data: b"bc".to_vec(),
        };
        assert_eq!(
            sha256(&[a, bc]),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
