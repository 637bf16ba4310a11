//! The main job end to end on a machine with nothing but Rust: a 3-page fax from one T.38
//! terminal to another over real UDP on 127.0.0.1 (UDPTL redundancy, ECM, MMR), each received
//! page stored as an encrypted TIFF in `phi-store`, the receive and every stored object
//! recorded in a `phi-audit` log, the log and an inclusion proof verified, and the pages read
//! back, decrypted and compared pixel for pixel with what was sent.
//!
//! Run: `cargo run --release -p faxkit-examples --example loopback_fax [-- --keep]`
//!
//! A kept directory `DIR` is readable with faxctl: `faxctl audit verify --log DIR/audit`,
//! `faxctl store verify --root DIR/store --key-file DIR/store.keys --passphrase-file
//! DIR/passphrase --tenant loopback`, and `faxctl store get ... ID page.tif`.
//!
//! Both terminals run unpaced ([`t38::terminal::Pacing::Unpaced`]): each transmission leaves
//! at once instead of at the 14 400 bit/s line rate, so the call takes seconds (session
//! turnarounds) instead of about 35 s per page. Everything lives in a fresh temporary
//! directory, printed at the start and removed at the end unless `--keep` is given. Pages
//! come from `../shared/corpus/ccitt/itu1..3.pbm` when present, otherwise they are generated.
//! The output names object ids, the mode and the audit root, never page content. Exit status
//! 0 on success, 1 on any failure (with a one-line reason on standard error).

#[path = "../src/loopback.rs"]
mod loopback;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut opts = loopback::Options::default();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--keep" => opts.keep = true,
            "-h" | "--help" => {
                println!("usage: loopback_fax [--keep]   (see the doc comment in examples/examples/loopback_fax.rs)");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("loopback_fax: error: unknown argument {other:?} (only --keep)");
                return ExitCode::from(1);
            }
        }
    }
    match loopback::run(&opts, |m| println!("loopback_fax: {m}")) {
        Ok(summary) => {
            for line in summary.lines() {
                println!("{line}");
            }
            println!("verified");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loopback_fax: error: {}", e.replace('\n', " "));
            ExitCode::from(1)
        }
    }
}
