//! `decode-raw` and `encode-raw`: headerless T.4 / T.6 streams.

use super::cli::{DecodeArgs, EncodeArgs, FillOrderArg};
use super::files::{read_input, save, write_output, Format, Input};
use super::{choose_coding, warn, Failure};
use t4_codec::container::{FileFormat, Page, PageInfo, TiffWriteOptions};
use t4_codec::{decode_image, encode, Coding, DecodeOptions, FillOrder, Image, Params};

fn fill_order(arg: Option<FillOrderArg>) -> FillOrder {
    match arg {
        Some(FillOrderArg::Lsb) => FillOrder::LsbFirst,
        _ => FillOrder::MsbFirst,
    }
}

/// `faxctl decode-raw`.
pub(crate) fn decode(a: &DecodeArgs) -> Result<(), Failure> {
    let data = read_input(&a.input)?;
    let what = a.input.display().to_string();
    let mut params = Params::new(Coding::from_pdf_k(a.k), a.columns);
    params.rows = a.rows.unwrap_or(0);
    params.encoded_byte_align = a.byte_align;
    params.fill_order = fill_order(a.fill_order);
    // The output is 1 = black as shown. PDF's default (BlackIs1 false) turns coded black runs
    // into 0 samples, which DeviceGray shows black: decode black as 1. With BlackIs1 true,
    // coded black runs are 1 samples, shown white: decode black as 0, so the image is inverted
    // the way a PDF viewer shows it.
    params.black_is_1 = !a.black_is_1;
    let mut options = DecodeOptions::default();
    options.strict = a.strict;
    let image = match decode_image(&data, &params, options) {
        Ok(image) => image,
        Err(e) if a.strict || e.error.is_limit() || e.partial.rows == 0 => {
            return Err(Failure::decode(&what, &e.error));
        }
        Err(e) => {
            warn(&format!(
                "{what}: {}; the image ends after {} rows",
                e.error, e.partial.rows
            ));
            *e.partial
        }
    };
    if image.rows == 0 {
        return Err(Failure::Invalid(format!("{what}: no rows decoded")));
    }
    if image.bad_rows > 0 {
        warn(&format!(
            "{what}: {} damaged rows concealed (longest run {})",
            image.bad_rows, image.max_consecutive_bad_rows
        ));
    }
    // The bits are already "1 = black as shown".
    let image = Image {
        black_is_1: true,
        ..image
    };
    let mut page = Page::from_image(image);
    page.info = PageInfo::default();
    page.info.format = FileFormat::Raw;
    page.info.params = Some(params);
    let format = Format::from_path(&a.output).unwrap_or(Format::Pbm);
    save(
        &a.output,
        format,
        &[page],
        &TiffWriteOptions::new(Coding::Mmr),
    )
}

/// `faxctl encode-raw`.
pub(crate) fn encode_raw(a: &EncodeArgs) -> Result<(), Failure> {
    let coding = choose_coding(a.coding, a.k, Coding::Mh, 4)?;
    if a.no_eol && matches!(coding, Coding::Mr { .. }) {
        return Err(Failure::Usage(
            "--no-eol: MR coding needs an EOL and tag bit before every row".into(),
        ));
    }
    let input = Input::open(&a.input)?;
    let pages = input.pages(None, true)?;
    let [page] = &pages[..] else {
        return Err(Failure::Invalid(format!(
            "{}: has {} pages; a headerless stream holds one",
            a.input.display(),
            pages.len()
        )));
    };
    let mut params = Params::new(coding, page.width());
    params.black_is_1 = true;
    params.end_of_line = coding != Coding::Mmr && !a.no_eol;
    params.encoded_byte_align = a.byte_align;
    params.end_of_block = a.rtc;
    let data = encode(&params, page.data())
        .map_err(|e| Failure::Invalid(format!("{}: {e}", a.input.display())))?;
    write_output(&a.output, &data)
}
