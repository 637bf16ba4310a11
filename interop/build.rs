//! Links the system libtiff (Debian `libtiff-dev` provides `libtiff.so`) and spandsp (Debian
//! `libspandsp-dev`, `libspandsp.so`). Set `FAXKIT_LIBTIFF_DIR` / `FAXKIT_SPANDSP_DIR` to a
//! directory holding another build of either.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=FAXKIT_LIBTIFF_DIR");
    if let Ok(dir) = std::env::var("FAXKIT_LIBTIFF_DIR") {
        println!("cargo:rustc-link-search=native={dir}");
    }
    println!("cargo:rustc-link-lib=tiff");
    println!("cargo:rerun-if-env-changed=FAXKIT_SPANDSP_DIR");
    if let Ok(dir) = std::env::var("FAXKIT_SPANDSP_DIR") {
        println!("cargo:rustc-link-search=native={dir}");
    }
    println!("cargo:rustc-link-lib=spandsp");
}
