//! Hand-written declarations of the few libtiff 4.5 functions we call (see `tiffio.h`); the
//! library itself is linked by `build.rs`.
//!
//! Only what the tests and benches need is declared; everything is `pub(crate)` so that the
//! unsafe surface stays inside this crate. Types follow `tiffio.h` on LP64 and LLP64
//! platforms: `tmsize_t` is pointer-sized and signed, `toff_t` is `uint64_t`, `thandle_t` is
//! `void *`.

use std::ffi::{c_char, c_int, c_void};

/// The opaque `TIFF` handle.
#[repr(C)]
pub(crate) struct Tiff {
    _opaque: [u8; 0],
    _pinned: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

/// The opaque `TIFFOpenOptions`.
#[repr(C)]
pub(crate) struct TiffOpenOptions {
    _opaque: [u8; 0],
    _pinned: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

/// `tmsize_t`.
pub(crate) type TmSize = isize;
/// `toff_t`.
pub(crate) type TOff = u64;
/// `thandle_t`.
pub(crate) type THandle = *mut c_void;

/// A `va_list` parameter as received by a handler. We never read it: on x86-64 System V it
/// is an array type that decays to a pointer, on AArch64 a 32-byte struct passed by
/// reference, on Windows a `char *`: a pointer-sized argument in every case.
pub(crate) type VaListArg = *mut c_void;

pub(crate) type ReadWriteProc = unsafe extern "C" fn(THandle, *mut c_void, TmSize) -> TmSize;
pub(crate) type SeekProc = unsafe extern "C" fn(THandle, TOff, c_int) -> TOff;
pub(crate) type CloseProc = unsafe extern "C" fn(THandle) -> c_int;
pub(crate) type SizeProc = unsafe extern "C" fn(THandle) -> TOff;
pub(crate) type MapFileProc = unsafe extern "C" fn(THandle, *mut *mut c_void, *mut TOff) -> c_int;
pub(crate) type UnmapFileProc = unsafe extern "C" fn(THandle, *mut c_void, TOff);
/// `TIFFErrorHandler` (global); `None` is a NULL handler, which libtiff skips.
pub(crate) type ErrorHandler =
    Option<unsafe extern "C" fn(*const c_char, *const c_char, VaListArg)>;
/// `TIFFErrorHandlerExtR` (per handle): a non-zero return stops the global handlers.
pub(crate) type ErrorHandlerExtR =
    unsafe extern "C" fn(*mut Tiff, *mut c_void, *const c_char, *const c_char, VaListArg) -> c_int;

// Tags (tiff.h). The comment gives the C type TIFFSetField/TIFFGetField expect.
pub(crate) const TAG_IMAGEWIDTH: u32 = 256; // uint32
pub(crate) const TAG_IMAGELENGTH: u32 = 257; // uint32
pub(crate) const TAG_BITSPERSAMPLE: u32 = 258; // uint16
pub(crate) const TAG_COMPRESSION: u32 = 259; // uint16
pub(crate) const TAG_PHOTOMETRIC: u32 = 262; // uint16
pub(crate) const TAG_FILLORDER: u32 = 266; // uint16
pub(crate) const TAG_SAMPLESPERPIXEL: u32 = 277; // uint16
pub(crate) const TAG_ROWSPERSTRIP: u32 = 278; // uint32
pub(crate) const TAG_XRESOLUTION: u32 = 282; // float (double through varargs)
pub(crate) const TAG_YRESOLUTION: u32 = 283; // float (double through varargs)
pub(crate) const TAG_PLANARCONFIG: u32 = 284; // uint16
pub(crate) const TAG_GROUP3OPTIONS: u32 = 292; // uint32
pub(crate) const TAG_GROUP4OPTIONS: u32 = 293; // uint32
pub(crate) const TAG_RESOLUTIONUNIT: u32 = 296; // uint16

pub(crate) const COMPRESSION_NONE: u16 = 1;
pub(crate) const PHOTOMETRIC_MINISWHITE: u16 = 0;
pub(crate) const FILLORDER_MSB2LSB: u16 = 1;
pub(crate) const PLANARCONFIG_CONTIG: u16 = 1;
pub(crate) const RESUNIT_INCH: u16 = 2;

extern "C" {
    pub(crate) fn TIFFClientOpenExt(
        name: *const c_char,
        mode: *const c_char,
        handle: THandle,
        read: ReadWriteProc,
        write: ReadWriteProc,
        seek: SeekProc,
        close: CloseProc,
        size: SizeProc,
        map: MapFileProc,
        unmap: UnmapFileProc,
        opts: *mut TiffOpenOptions,
    ) -> *mut Tiff;
    pub(crate) fn TIFFClose(tif: *mut Tiff);

    pub(crate) fn TIFFOpenOptionsAlloc() -> *mut TiffOpenOptions;
    pub(crate) fn TIFFOpenOptionsFree(opts: *mut TiffOpenOptions);
    pub(crate) fn TIFFOpenOptionsSetErrorHandlerExtR(
        opts: *mut TiffOpenOptions,
        handler: ErrorHandlerExtR,
        user_data: *mut c_void,
    );
    pub(crate) fn TIFFOpenOptionsSetWarningHandlerExtR(
        opts: *mut TiffOpenOptions,
        handler: ErrorHandlerExtR,
        user_data: *mut c_void,
    );
    pub(crate) fn TIFFSetErrorHandler(handler: ErrorHandler) -> ErrorHandler;
    pub(crate) fn TIFFSetWarningHandler(handler: ErrorHandler) -> ErrorHandler;

    /// Variadic: uint16 values travel as `int`, uint32 as `uint32_t`, float as `double`.
    pub(crate) fn TIFFSetField(tif: *mut Tiff, tag: u32, ...) -> c_int;
    /// Variadic: one pointer per value, to the tag's own C type.
    pub(crate) fn TIFFGetFieldDefaulted(tif: *mut Tiff, tag: u32, ...) -> c_int;

    pub(crate) fn TIFFNumberOfStrips(tif: *mut Tiff) -> u32;
    pub(crate) fn TIFFRawStripSize(tif: *mut Tiff, strip: u32) -> TmSize;
    pub(crate) fn TIFFWriteEncodedStrip(
        tif: *mut Tiff,
        strip: u32,
        data: *mut c_void,
        cc: TmSize,
    ) -> TmSize;
    pub(crate) fn TIFFWriteRawStrip(
        tif: *mut Tiff,
        strip: u32,
        data: *mut c_void,
        cc: TmSize,
    ) -> TmSize;
    pub(crate) fn TIFFReadEncodedStrip(
        tif: *mut Tiff,
        strip: u32,
        buf: *mut c_void,
        size: TmSize,
    ) -> TmSize;
    pub(crate) fn TIFFReadRawStrip(
        tif: *mut Tiff,
        strip: u32,
        buf: *mut c_void,
        size: TmSize,
    ) -> TmSize;
}
