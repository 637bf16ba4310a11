//! An in-memory file for `TIFFClientOpenExt`, and the callbacks libtiff calls on it.
//!
//! libtiff only ever sees a raw pointer to a boxed [`MemFile`]; each callback turns it into a
//! reference for the duration of the call. The owner ([`crate::handle::Handle`]) holds no
//! reference across libtiff calls, so these short-lived references never alias.

use crate::ffi::{THandle, TOff, Tiff, TmSize, VaListArg};
use std::ffi::{c_char, c_int, c_void, CStr};

/// The bytes of a TIFF file, a cursor, and the diagnostics libtiff reported while using it.
#[derive(Debug, Default)]
pub(crate) struct MemFile {
    pub(crate) data: Vec<u8>,
    pos: u64,
    /// Whether libtiff may map `data` instead of reading it (read-only handles only: the
    /// mapping must stay valid, so `data` must not change while it is open).
    pub(crate) mappable: bool,
    /// libtiff's error messages as `module: format` (the `printf` arguments are not expanded).
    pub(crate) errors: Vec<String>,
    /// Warnings, likewise.
    pub(crate) warnings: Vec<String>,
}

impl MemFile {
    pub(crate) fn new(data: Vec<u8>, mappable: bool) -> MemFile {
        MemFile {
            data,
            mappable,
            ..MemFile::default()
        }
    }
}

/// Turns the client handle back into the file.
///
/// # Safety
/// `h` must be the pointer to a live `MemFile` given to `TIFFClientOpenExt`, with no other
/// reference to it alive during the callback.
unsafe fn file<'a>(h: THandle) -> &'a mut MemFile {
    // SAFETY: guaranteed by the caller (see above).
    unsafe { &mut *h.cast::<MemFile>() }
}

pub(crate) unsafe extern "C" fn read(h: THandle, buf: *mut c_void, size: TmSize) -> TmSize {
    // SAFETY: libtiff passes back our handle; see `file`.
    let f = unsafe { file(h) };
    let Ok(want) = usize::try_from(size) else {
        return -1;
    };
    let start = usize::try_from(f.pos)
        .unwrap_or(usize::MAX)
        .min(f.data.len());
    let n = want.min(f.data.len() - start);
    if n > 0 {
        // SAFETY: libtiff gives a buffer of at least `size` >= n writable bytes, which cannot
        // overlap our Vec (libtiff does not know its address unless mapped, and mapped files
        // are read through the mapping, never into it).
        unsafe { std::ptr::copy_nonoverlapping(f.data.as_ptr().add(start), buf.cast::<u8>(), n) };
    }
    f.pos = (start + n) as u64;
    TmSize::try_from(n).unwrap_or(-1)
}

pub(crate) unsafe extern "C" fn write(h: THandle, buf: *mut c_void, size: TmSize) -> TmSize {
    // SAFETY: libtiff passes back our handle; see `file`.
    let f = unsafe { file(h) };
    let (Ok(n), Ok(start)) = (usize::try_from(size), usize::try_from(f.pos)) else {
        return -1;
    };
    let Some(end) = start.checked_add(n) else {
        return -1;
    };
    if f.data.len() < end {
        f.data.resize(end, 0);
    }
    if n > 0 {
        // SAFETY: libtiff's buffer holds `size` readable bytes and is its own allocation.
        let src = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), n) };
        f.data[start..end].copy_from_slice(src);
    }
    f.pos = end as u64;
    size
}

pub(crate) unsafe extern "C" fn seek(h: THandle, off: TOff, whence: c_int) -> TOff {
    // SAFETY: libtiff passes back our handle; see `file`.
    let f = unsafe { file(h) };
    // `off` is really a signed offset for SEEK_CUR / SEEK_END.
    let delta = off as i64;
    let base = match whence {
        0 => 0,
        1 => f.pos,
        2 => f.data.len() as u64,
        _ => return u64::MAX,
    };
    let target = if whence == 0 {
        Some(off)
    } else {
        base.checked_add_signed(delta)
    };
    match target {
        Some(t) => {
            f.pos = t;
            t
        }
        None => u64::MAX,
    }
}

pub(crate) unsafe extern "C" fn close(_h: THandle) -> c_int {
    // The owner frees the file after TIFFClose returns.
    0
}

pub(crate) unsafe extern "C" fn size(h: THandle) -> TOff {
    // SAFETY: libtiff passes back our handle; see `file`.
    let f = unsafe { file(h) };
    f.data.len() as u64
}

pub(crate) unsafe extern "C" fn map(h: THandle, base: *mut *mut c_void, len: *mut TOff) -> c_int {
    // SAFETY: libtiff passes back our handle; see `file`.
    let f = unsafe { file(h) };
    if !f.mappable || f.data.is_empty() {
        return 0;
    }
    // SAFETY: libtiff passes valid out-pointers. It only reads through the mapping (Fax3 sets
    // TIFF_NOBITREV, and FillOrder 2 data is copied before reversal), and `mappable` files are
    // never modified while open, so the pointer stays valid until unmap.
    unsafe {
        *base = f.data.as_mut_ptr().cast::<c_void>();
        *len = f.data.len() as u64;
    }
    1
}

pub(crate) unsafe extern "C" fn unmap(_h: THandle, _base: *mut c_void, _len: TOff) {}

/// Copies a C string libtiff gave us (NULL becomes "").
///
/// # Safety
/// `s` is NULL or a NUL-terminated string valid for the call.
unsafe fn text(s: *const c_char) -> String {
    if s.is_null() {
        return String::new();
    }
    // SAFETY: non-null and NUL-terminated by libtiff's contract.
    unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned()
}

/// Per-handle error handler: records `module: format` in the file's `errors`.
pub(crate) unsafe extern "C" fn on_error(
    _tif: *mut Tiff,
    user: *mut c_void,
    module: *const c_char,
    fmt: *const c_char,
    _ap: VaListArg,
) -> c_int {
    // SAFETY: `user` is the same live MemFile pointer as the client handle; libtiff calls
    // handlers synchronously from inside one of our calls, when we hold no reference to it.
    let f = unsafe { file(user) };
    // SAFETY: libtiff passes NUL-terminated strings (or NULL for the module).
    let line = unsafe { format!("{}: {}", text(module), text(fmt)) };
    f.errors.push(line);
    1
}

/// Per-handle warning handler: records `module: format` in the file's `warnings`.
pub(crate) unsafe extern "C" fn on_warning(
    _tif: *mut Tiff,
    user: *mut c_void,
    module: *const c_char,
    fmt: *const c_char,
    _ap: VaListArg,
) -> c_int {
    // SAFETY: as in `on_error`.
    let f = unsafe { file(user) };
    // SAFETY: as in `on_error`.
    let line = unsafe { format!("{}: {}", text(module), text(fmt)) };
    f.warnings.push(line);
    1
}
