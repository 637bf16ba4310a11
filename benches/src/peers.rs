//! Every implementation behind the same two shapes: decode coded bytes into a caller's
//! buffer of packed rows (1 = black), and encode packed rows into coded bytes.

use crate::fill::fill_row;
use t4_codec::{DecodeError, Decoder, EncodeError, Params, Progress};

/// t4-codec: the push decoder, each row written straight into `out`.
///
/// # Errors
/// Whatever the decoder reports.
///
/// # Panics
/// If `out` is shorter than the rows decoded.
pub fn t4_decode_into(params: &Params, data: &[u8], out: &mut [u8]) -> Result<usize, DecodeError> {
    let rb = params.row_bytes();
    let mut dec = Decoder::new(params.clone())?;
    let mut input = data;
    let mut rows = 0;
    loop {
        let (used, progress) = dec.update(input)?;
        input = &input[used..];
        match progress {
            Progress::Row(_) => {
                dec.write_row(&mut out[rows * rb..(rows + 1) * rb]);
                rows += 1;
            }
            Progress::NeedInput => dec.end_input(),
            Progress::End => return Ok(rows),
        }
    }
}

/// t4-codec: the one-call encoder.
///
/// # Errors
/// Whatever the encoder reports.
pub fn t4_encode(params: &Params, rows: &[u8]) -> Result<Vec<u8>, EncodeError> {
    t4_codec::encode(params, rows)
}

/// Fills `out` row by row from change lists, ignoring rows past its end.
struct Rows<'a> {
    out: &'a mut [u8],
    width: u32,
    row_bytes: usize,
    next: usize,
}

impl Rows<'_> {
    fn push(&mut self, changes: &[u32]) {
        let start = self.next * self.row_bytes;
        if let Some(row) = self.out.get_mut(start..start + self.row_bytes) {
            fill_row(changes, self.width, row);
            self.next += 1;
        }
    }
}

/// `fax` 0.3: T.4 MH decoding. Its decoder needs an EOL after the last row too, so `data`
/// must end in RTC (see [`with_rtc`]). Returns the rows filled.
pub fn fax_decode_mh_into(data: &[u8], width: u32, out: &mut [u8]) -> usize {
    let mut rows = Rows {
        out,
        width,
        row_bytes: (width as usize).div_ceil(8),
        next: 0,
    };
    let _ = fax::decoder::decode_g3(data.iter().copied(), |changes| rows.push(changes));
    rows.next
}

/// `fax` 0.3: T.6 MMR decoding of `height` rows. Returns the rows filled.
pub fn fax_decode_mmr_into(data: &[u8], width: u32, height: u32, out: &mut [u8]) -> usize {
    let mut rows = Rows {
        out,
        width,
        row_bytes: (width as usize).div_ceil(8),
        next: 0,
    };
    let _ = fax::decoder::decode_g4(data.iter().copied(), width, Some(height), |changes| {
        rows.push(changes)
    });
    rows.next
}

/// `fax` 0.3: T.6 MMR encoding (with EOFB). Its encoder takes each row as a per-pel colour
/// iterator, which is made here from the packed row.
pub fn fax_encode_mmr(rows: &[u8], width: u32) -> Vec<u8> {
    use fax::{encoder::Encoder, Color, VecWriter};
    let rb = (width as usize).div_ceil(8);
    let mut enc = Encoder::new(VecWriter::with_capacity(rows.len()));
    for row in rows.chunks_exact(rb) {
        let pels = (0..width as usize).map(|x| {
            if row[x / 8] & (0x80 >> (x % 8)) != 0 {
                Color::Black
            } else {
                Color::White
            }
        });
        // VecWriter cannot fail (its error type is Infallible).
        let _ = enc.encode_line(pels, width);
    }
    match enc.finish() {
        Ok(writer) => writer.finish(),
        Err(never) => match never {},
    }
}

/// The coded data followed by RTC (six EOLs), for decoders that need an EOL after the
/// last row.
pub fn with_rtc(data: &[u8]) -> Vec<u8> {
    // Six 12-bit EOLs (000000000001) are 72 bits: nine bytes on a byte boundary.
    let mut v = data.to_vec();
    v.extend_from_slice(&[0x00, 0x10, 0x01, 0x00, 0x10, 0x01, 0x00, 0x10, 0x01]);
    v
}

/// `hayro-ccitt` 0.5: settings for the libtiff-style data of each coding.
pub fn hayro_settings(params: &Params) -> hayro_ccitt::DecodeSettings {
    use hayro_ccitt::EncodingMode;
    let encoding = match params.coding() {
        t4_codec::Coding::Mh => EncodingMode::Group3_1D,
        t4_codec::Coding::Mr { .. } => EncodingMode::Group3_2D,
        t4_codec::Coding::Mmr => EncodingMode::Group4,
    };
    hayro_ccitt::DecodeSettings {
        columns: params.columns,
        rows: params.rows,
        end_of_block: params.end_of_block,
        end_of_line: params.end_of_line,
        rows_are_byte_aligned: false,
        encoding,
        strict: false,
    }
}

impl hayro_ccitt::Decoder for Rows<'_> {
    fn push_row(&mut self, changes: &[u32]) {
        self.push(changes);
    }
}

/// `hayro-ccitt` 0.5: decoding with a reusable context. Returns the rows filled.
///
/// # Errors
/// Whatever hayro-ccitt reports.
pub fn hayro_decode_into(
    ctx: &mut hayro_ccitt::DecoderContext,
    data: &[u8],
    width: u32,
    out: &mut [u8],
) -> Result<usize, hayro_ccitt::DecodeError> {
    let mut rows = Rows {
        out,
        width,
        row_bytes: (width as usize).div_ceil(8),
        next: 0,
    };
    hayro_ccitt::decode(data, &mut rows, ctx)?;
    Ok(rows.next)
}
