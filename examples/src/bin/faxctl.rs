//! `faxctl`: inspect, convert and code fax images (TIFF, PBM, PNG and headerless T.4 / T.6
//! streams) with `t4-codec`.
//!
//! ```text
//! faxctl info FILE [--json]
//! faxctl convert IN OUT [--coding mh|mr|mmr] [--k N] [--fill-order msb|lsb] [--byte-align] [--page N]
//! faxctl decode-raw IN OUT.pbm --columns N [--rows N] [--k K] [--byte-align] [--black-is-1]
//!                   [--fill-order msb|lsb] [--strict]
//! faxctl encode-raw IN.pbm OUT [--coding mh|mr|mmr] [--k N] [--byte-align] [--no-eol] [--rtc]
//! faxctl cover --to NAME --from NAME [--patient REF] [--subject TEXT] [--pages N]
//!              [--callback NUMBER] [--date TEXT] [--resolution standard|fine] OUT.png|OUT.tif
//! ```
//!
//! Exit status: 0 success, 1 usage error, 2 invalid input (or a file that cannot be read or
//! written), 3 a limit exceeded. Errors are one line on standard error, `faxctl: error: ...`.
//! See `faxctl --help` and `faxctl COMMAND --help` for the details of each command.

#[path = "../faxctl/mod.rs"]
mod faxctl;

fn main() -> std::process::ExitCode {
    faxctl::main()
}
