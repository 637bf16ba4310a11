//! Reusable libtiff handles for benchmarks: set up once, then time only the codec call.

use crate::error::Error;
use crate::handle::{Handle, Mode};
use crate::scheme::LibtiffScheme;
use crate::strip::{image_bytes, new_file, raw_strips, wrap_raw_strip};

/// One coded strip in an in-memory TIFF, opened once for repeated decoding.
///
/// What [`decode_into`](Self::decode_into) times is one `TIFFReadEncodedStrip` call: libtiff
/// points at the strip in the (memory-mapped) file without copying it, sets up its fax
/// decoder, and decodes every row into the caller's buffer. Opening the file and parsing the
/// directory happen in [`new`](Self::new), outside the timed call.
#[derive(Debug)]
pub struct PreparedDecode {
    handle: Handle,
    len: usize,
}

impl PreparedDecode {
    /// Wraps `raw` (one strip of `rows` rows coded with `scheme`) in a TIFF and opens it.
    ///
    /// # Errors
    /// [`Error::Size`] for an empty image; [`Error::Libtiff`] if libtiff fails.
    pub fn new(
        scheme: LibtiffScheme,
        width: u32,
        rows: u32,
        raw: &[u8],
    ) -> Result<PreparedDecode, Error> {
        let file = wrap_raw_strip(scheme, width, rows, raw)?;
        Ok(PreparedDecode {
            handle: Handle::open(file, Mode::Read)?,
            len: image_bytes(width, rows)?,
        })
    }

    /// Decodes the strip into `out` (`rows x ceil(width / 8)` bytes, 1 = black).
    ///
    /// # Errors
    /// [`Error::Size`] if `out` has the wrong length; [`Error::Libtiff`] if libtiff fails.
    pub fn decode_into(&mut self, out: &mut [u8]) -> Result<(), Error> {
        if out.len() != self.len {
            return Err(Error::Size(
                "output buffer is not rows x ceil(width / 8) bytes",
            ));
        }
        self.handle.read_encoded_strip(0, out)
    }
}

/// An in-memory TIFF with fax compression set up once, for repeated encoding of one image.
///
/// What [`encode`](Self::encode) times is one `TIFFWriteEncodedStrip` call: libtiff's fax
/// encoder codes every row into its own buffer, then hands the bytes to our in-memory write
/// callback (one `memcpy` into a `Vec` that already has room, rewriting strip 0 in place).
/// libtiff cannot encode without that flush; it is a few percent of the work at most.
/// Creating the file and setting the tags happen in [`new`](Self::new).
#[derive(Debug)]
pub struct PreparedEncode {
    handle: Handle,
    /// libtiff's prototype takes a mutable buffer, so the handle owns a copy of the rows.
    rows: Vec<u8>,
}

impl PreparedEncode {
    /// Prepares libtiff to encode `packed` rows (1 = black) with `scheme`.
    ///
    /// # Errors
    /// [`Error::Size`] if `packed` is not `rows` rows of `width` pels; [`Error::Libtiff`] if
    /// libtiff fails.
    pub fn new(
        scheme: LibtiffScheme,
        width: u32,
        rows: u32,
        packed: &[u8],
    ) -> Result<PreparedEncode, Error> {
        if packed.len() != image_bytes(width, rows)? {
            return Err(Error::Size(
                "pixel buffer is not rows x ceil(width / 8) bytes",
            ));
        }
        Ok(PreparedEncode {
            handle: new_file(scheme, true, width, rows)?,
            rows: packed.to_vec(),
        })
    }

    /// Encodes the image once more (replacing the strip written before).
    ///
    /// # Errors
    /// [`Error::Libtiff`] if libtiff fails.
    pub fn encode(&mut self) -> Result<(), Error> {
        self.handle.write_encoded_strip(0, &mut self.rows)
    }

    /// Closes the file and returns the coded strip of the last [`encode`](Self::encode).
    ///
    /// # Errors
    /// [`Error::Libtiff`] if libtiff fails or nothing was encoded.
    pub fn finish(self) -> Result<Vec<u8>, Error> {
        let file = self.handle.close()?;
        raw_strips(&file)?
            .into_iter()
            .next()
            .ok_or(Error::Size("libtiff wrote no strip"))
    }
}
