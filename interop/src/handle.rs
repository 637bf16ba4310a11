//! A safe owner of one libtiff handle over an in-memory file.

use crate::error::Error;
use crate::ffi::{self, Tiff, TmSize};
use crate::memio::{self, MemFile};
use std::ffi::{c_int, c_void};
use std::sync::Once;

/// Whether libtiff reads an existing file or writes a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Read,
    Write,
}

/// An open `TIFF *` and the boxed in-memory file it works on.
///
/// Invariant: `tif` is a live handle from `TIFFClientOpenExt` whose client data and handler
/// user data are `file`, a pointer from `Box::into_raw` that we free only after `TIFFClose`.
/// No Rust reference to `*file` is held across a libtiff call.
#[derive(Debug)]
pub(crate) struct Handle {
    tif: *mut Tiff,
    file: *mut MemFile,
}

/// libtiff's process-wide handlers print to stderr; every handle we open reports through its
/// own handlers instead, so the global ones are cleared once (a NULL handler is skipped).
fn silence_global_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: plain setters of libtiff globals; NULL is documented as "no handler".
        unsafe {
            ffi::TIFFSetErrorHandler(None);
            ffi::TIFFSetWarningHandler(None);
        }
    });
}

impl Handle {
    /// Opens `data` for reading, or an empty file for writing (`data` is then the initial,
    /// normally empty, content).
    pub(crate) fn open(data: Vec<u8>, mode: Mode) -> Result<Handle, Error> {
        silence_global_handlers();
        let file = Box::into_raw(Box::new(MemFile::new(data, mode == Mode::Read)));
        let mode_str = match mode {
            Mode::Read => c"r",
            Mode::Write => c"w",
        };
        // SAFETY: the options object is used only here and freed right after the open call
        // (libtiff copies what it needs into the handle). `file` is a valid, exclusively owned
        // pointer; the callbacks match libtiff's typedefs; the strings are NUL-terminated.
        let tif = unsafe {
            let opts = ffi::TIFFOpenOptionsAlloc();
            if !opts.is_null() {
                ffi::TIFFOpenOptionsSetErrorHandlerExtR(opts, memio::on_error, file.cast());
                ffi::TIFFOpenOptionsSetWarningHandlerExtR(opts, memio::on_warning, file.cast());
            }
            let tif = ffi::TIFFClientOpenExt(
                c"memory".as_ptr(),
                mode_str.as_ptr(),
                file.cast(),
                memio::read,
                memio::write,
                memio::seek,
                memio::close,
                memio::size,
                memio::map,
                memio::unmap,
                opts,
            );
            if !opts.is_null() {
                ffi::TIFFOpenOptionsFree(opts);
            }
            tif
        };
        if tif.is_null() {
            // SAFETY: libtiff failed to open, so nothing else refers to `file`; reclaim it.
            let file = unsafe { Box::from_raw(file) };
            return Err(Error::libtiff("TIFFClientOpenExt", file.errors));
        }
        Ok(Handle { tif, file })
    }

    /// The file between libtiff calls.
    pub(crate) fn file(&self) -> &MemFile {
        // SAFETY: `file` is live (type invariant) and libtiff is not running: any callback
        // reference ended when the last libtiff call returned.
        unsafe { &*self.file }
    }

    /// A failure of `call`, with the errors and then the warnings libtiff reported since the
    /// last failure.
    fn fail(&mut self, call: &'static str) -> Error {
        // SAFETY: as in `file`, and `&mut self` makes this the only reference.
        let file = unsafe { &mut *self.file };
        let mut messages = std::mem::take(&mut file.errors);
        messages.extend(file.warnings.drain(..).map(|w| format!("warning: {w}")));
        Error::libtiff(call, messages)
    }

    /// `TIFFSetField` for a uint16 tag (passed as `int`, as C promotes it through `...`).
    pub(crate) fn set_u16(&mut self, tag: u32, value: u16) -> Result<(), Error> {
        // SAFETY: live handle; a uint16 tag reads one `int` vararg.
        let ok = unsafe { ffi::TIFFSetField(self.tif, tag, c_int::from(value)) };
        if ok == 1 {
            Ok(())
        } else {
            Err(self.fail("TIFFSetField"))
        }
    }

    /// `TIFFSetField` for a uint32 tag.
    pub(crate) fn set_u32(&mut self, tag: u32, value: u32) -> Result<(), Error> {
        // SAFETY: live handle; a uint32 tag reads one `uint32_t` vararg.
        let ok = unsafe { ffi::TIFFSetField(self.tif, tag, value) };
        if ok == 1 {
            Ok(())
        } else {
            Err(self.fail("TIFFSetField"))
        }
    }

    /// `TIFFSetField` for a float tag (passed as `double`, as C promotes it).
    pub(crate) fn set_float(&mut self, tag: u32, value: f32) -> Result<(), Error> {
        // SAFETY: live handle; a float tag reads one `double` vararg.
        let ok = unsafe { ffi::TIFFSetField(self.tif, tag, f64::from(value)) };
        if ok == 1 {
            Ok(())
        } else {
            Err(self.fail("TIFFSetField"))
        }
    }

    /// `TIFFGetFieldDefaulted` for a uint32 tag.
    pub(crate) fn get_u32(&mut self, tag: u32) -> Result<u32, Error> {
        let mut v: u32 = 0;
        // SAFETY: live handle; a uint32 tag writes through one `uint32_t *`.
        let ok = unsafe { ffi::TIFFGetFieldDefaulted(self.tif, tag, &mut v as *mut u32) };
        if ok == 1 {
            Ok(v)
        } else {
            Err(self.fail("TIFFGetFieldDefaulted"))
        }
    }

    /// `TIFFGetFieldDefaulted` for a uint16 tag.
    pub(crate) fn get_u16(&mut self, tag: u32) -> Result<u16, Error> {
        let mut v: u16 = 0;
        // SAFETY: live handle; a uint16 tag writes through one `uint16_t *`.
        let ok = unsafe { ffi::TIFFGetFieldDefaulted(self.tif, tag, &mut v as *mut u16) };
        if ok == 1 {
            Ok(v)
        } else {
            Err(self.fail("TIFFGetFieldDefaulted"))
        }
    }

    /// `TIFFNumberOfStrips`.
    pub(crate) fn strips(&mut self) -> u32 {
        // SAFETY: live handle.
        unsafe { ffi::TIFFNumberOfStrips(self.tif) }
    }

    /// `TIFFWriteEncodedStrip`: libtiff compresses `rows` (replacing any earlier data of the
    /// strip). libtiff's prototype takes a mutable buffer, hence `&mut`.
    pub(crate) fn write_encoded_strip(&mut self, strip: u32, rows: &mut [u8]) -> Result<(), Error> {
        let len = size(rows.len())?;
        // SAFETY: live handle; `rows` is valid for `len` bytes for the whole call.
        let n =
            unsafe { ffi::TIFFWriteEncodedStrip(self.tif, strip, rows.as_mut_ptr().cast(), len) };
        if n == len {
            Ok(())
        } else {
            Err(self.fail("TIFFWriteEncodedStrip"))
        }
    }

    /// `TIFFWriteRawStrip`: appends already coded bytes to a strip.
    pub(crate) fn write_raw_strip(&mut self, strip: u32, raw: &[u8]) -> Result<(), Error> {
        // libtiff's prototype is not const-correct; give it a copy it may treat as mutable.
        let mut copy = raw.to_vec();
        let len = size(copy.len())?;
        // SAFETY: live handle; `copy` is valid for `len` bytes for the whole call.
        let n = unsafe { ffi::TIFFWriteRawStrip(self.tif, strip, copy.as_mut_ptr().cast(), len) };
        if n == len {
            Ok(())
        } else {
            Err(self.fail("TIFFWriteRawStrip"))
        }
    }

    /// `TIFFReadEncodedStrip`: decodes a strip into exactly `out.len()` bytes.
    pub(crate) fn read_encoded_strip(&mut self, strip: u32, out: &mut [u8]) -> Result<(), Error> {
        let len = size(out.len())?;
        let buf: *mut c_void = out.as_mut_ptr().cast();
        // SAFETY: live handle; `out` is valid and writable for `len` bytes for the whole call
        // and libtiff writes at most `len` bytes.
        let n = unsafe { ffi::TIFFReadEncodedStrip(self.tif, strip, buf, len) };
        if n == len {
            Ok(())
        } else {
            Err(self.fail("TIFFReadEncodedStrip"))
        }
    }

    /// `TIFFReadRawStrip`: the coded bytes of a strip.
    pub(crate) fn read_raw_strip(&mut self, strip: u32) -> Result<Vec<u8>, Error> {
        // SAFETY: live handle.
        let n = unsafe { ffi::TIFFRawStripSize(self.tif, strip) };
        let Ok(len) = usize::try_from(n) else {
            return Err(self.fail("TIFFRawStripSize"));
        };
        let mut out = vec![0u8; len];
        // SAFETY: live handle; `out` is valid and writable for `n` bytes for the whole call.
        let got = unsafe { ffi::TIFFReadRawStrip(self.tif, strip, out.as_mut_ptr().cast(), n) };
        if got == n {
            Ok(out)
        } else {
            Err(self.fail("TIFFReadRawStrip"))
        }
    }

    /// `TIFFClose` (which writes the directory of a new file), then the file's bytes.
    pub(crate) fn close(mut self) -> Result<Vec<u8>, Error> {
        let tif = std::mem::replace(&mut self.tif, std::ptr::null_mut());
        // SAFETY: live handle, closed exactly once (`Drop` skips a null handle).
        unsafe { ffi::TIFFClose(tif) };
        // SAFETY: libtiff is done with the file; `Drop` frees the box afterwards.
        let file = unsafe { &mut *self.file };
        if file.errors.is_empty() {
            Ok(std::mem::take(&mut file.data))
        } else {
            Err(Error::libtiff(
                "TIFFClose",
                std::mem::take(&mut file.errors),
            ))
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if !self.tif.is_null() {
            // SAFETY: live handle, closed exactly once.
            unsafe { ffi::TIFFClose(self.tif) };
        }
        // SAFETY: `file` came from Box::into_raw and libtiff no longer uses it.
        drop(unsafe { Box::from_raw(self.file) });
    }
}

/// A buffer length as `tmsize_t`.
fn size(len: usize) -> Result<TmSize, Error> {
    TmSize::try_from(len).map_err(|_| Error::Size("buffer larger than tmsize_t"))
}
