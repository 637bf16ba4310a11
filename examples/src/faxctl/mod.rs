//! The `faxctl` command: argument handling, exit codes and one-line errors.

mod audit;
mod cli;
mod cover;
mod demo;
mod files;
mod info;
mod raw;
mod receive;
mod send;
mod server;
mod store;

use clap::error::ErrorKind;
use clap::Parser;
use cli::{Cli, CodingArg, Command};
use std::process::ExitCode;
use t4_codec::container::ContainerError;
use t4_codec::{Coding, DecodeError};

/// Why a command failed; decides the exit status.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad arguments (exit 1).
    Usage(String),
    /// Input that cannot be used, or a file that cannot be read or written (exit 2).
    Invalid(String),
    /// A limit was exceeded (exit 3).
    Limit(String),
}

impl Failure {
    fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 1,
            Failure::Invalid(_) => 2,
            Failure::Limit(_) => 3,
        }
    }

    fn message(&self) -> &str {
        match self {
            Failure::Usage(m) | Failure::Invalid(m) | Failure::Limit(m) => m,
        }
    }

    /// A container error about `what` (usually a file name).
    pub(crate) fn container(what: &str, e: &ContainerError) -> Failure {
        let m = format!("{what}: {e}");
        if e.is_limit() {
            Failure::Limit(m)
        } else {
            Failure::Invalid(m)
        }
    }

    /// A decoding error about `what`.
    pub(crate) fn decode(what: &str, e: &DecodeError) -> Failure {
        let m = format!("{what}: {e}");
        if e.is_limit() {
            Failure::Limit(m)
        } else {
            Failure::Invalid(m)
        }
    }
}

/// A warning on standard error (the command goes on).
pub(crate) fn warn(message: &str) {
    eprintln!("faxctl: warning: {message}");
}

/// A note on standard error.
pub(crate) fn note(message: &str) {
    eprintln!("faxctl: note: {message}");
}

/// The coding chosen by `--coding` and `--k` (PDF K: <0 MMR, 0 MH, >0 MR), which must agree.
pub(crate) fn choose_coding(
    coding: Option<CodingArg>,
    k: Option<i32>,
    default: Coding,
    mr_k: u32,
) -> Result<Coding, Failure> {
    let from_k = k.map(Coding::from_pdf_k);
    match (coding, from_k) {
        (None, None) => Ok(default),
        (None, Some(c)) => Ok(c),
        (Some(CodingArg::Mh), None | Some(Coding::Mh)) => Ok(Coding::Mh),
        (Some(CodingArg::Mr), None) => Ok(Coding::Mr { k: mr_k }),
        (Some(CodingArg::Mr), Some(c @ Coding::Mr { .. })) => Ok(c),
        (Some(CodingArg::Mmr), None | Some(Coding::Mmr)) => Ok(Coding::Mmr),
        (Some(c), Some(_)) => Err(Failure::Usage(format!(
            "--coding {} and --k {} disagree (K < 0 is MMR, 0 MH, > 0 MR)",
            match c {
                CodingArg::Mh => "mh",
                CodingArg::Mr => "mr",
                CodingArg::Mmr => "mmr",
            },
            k.unwrap_or_default()
        ))),
    }
}

/// One line from a clap error: its message without the usage and tips.
fn clap_line(e: &clap::Error) -> String {
    let text = e.to_string();
    let mut parts = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if line.is_empty() || line.starts_with("tip:") {
            continue;
        }
        parts.push(line.strip_prefix("error: ").unwrap_or(line));
    }
    let mut line = parts.join(" ");
    if line.is_empty() {
        line = "invalid arguments".into();
    }
    format!("{line} (see faxctl --help)")
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Info { file, json } => info::run(&file, json),
        Command::Convert(args) => files::convert(&args),
        Command::DecodeRaw(args) => raw::decode(&args),
        Command::EncodeRaw(args) => raw::encode_raw(&args),
        Command::Store(args) => store::run(&args),
        Command::Audit(args) => audit::run(args),
        Command::Send(args) => send::run(&args),
        Command::Receive(args) => receive::run(&args),
        Command::Submit(args) => server::submit(&args),
        Command::Status(args) => server::status(&args),
        Command::Inbox(args) => server::inbox(&args),
        Command::Cover(args) => cover::run(&args),
    }
}

/// Writes `text` to standard output. A closed pipe (`faxctl info FILE | head`) is not an
/// error worth a message: the reader has what it wanted.
pub(crate) fn print_stdout(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Parses the arguments, runs the command, and turns failures into one line on standard
/// error and the exit status.
pub(crate) fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            // Help and version go to standard output; a failed print still exits 0.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!(
                "faxctl: error: no command given (info, convert, decode-raw or encode-raw; see faxctl --help)"
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("faxctl: error: {}", clap_line(&e));
            return ExitCode::from(1);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let message = f.message().replace('\n', " ");
            eprintln!("faxctl: error: {message}");
            ExitCode::from(f.code())
        }
    }
}
