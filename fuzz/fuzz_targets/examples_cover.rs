//! Cover pages: any field text (any bytes, read as lossy UTF-8) renders to a full-size page or
//! is refused with `TooLong`; never a panic, and never a page of the wrong size.
#![no_main]

use faxkit_examples::cover::{page_rows, render, CoverError, CoverSheet};
use libfuzzer_sys::fuzz_target;
use t30::Resolution;

const RESOLUTIONS: [Resolution; 6] = [
    Resolution::Standard,
    Resolution::Fine,
    Resolution::Superfine,
    Resolution::Inch200x100,
    Resolution::Inch300x300,
    Resolution::Inch400x800,
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 5 {
        return;
    }
    let res = RESOLUTIONS[usize::from(data[0]) % RESOLUTIONS.len()];
    let pages = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
    // Fields are separated by 0xFF (never part of UTF-8).
    let mut f = data[5..]
        .split(|b| *b == 0xFF)
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let mut next = || f.next().unwrap_or_default();
    let sheet = CoverSheet {
        to: next(),
        from: next(),
        patient_reference: next(),
        subject: next(),
        pages,
        callback: next(),
        notice: next(),
        date: next(),
    };
    match render(&sheet, res) {
        Ok(page) => {
            assert_eq!((page.columns, page.rows), (1728, page_rows(res)));
            assert_eq!(page.data.len(), 216 * page.rows as usize);
        }
        Err(CoverError::TooLong(_)) => {}
    }
});
