//! `faxd`: the T.38 fax server. See `faxd --help` and the `faxkit_examples::faxd` docs.

use clap::{Parser, Subcommand};
use faxkit_examples::faxd::config::{log_level, Config};
use faxkit_examples::faxd::init::{init, InitOptions};
use faxkit_examples::faxd::server::Server;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The faxkit fax server: T.38 over UDP in, encrypted store and tamper-evident audit log
/// behind, a durable queue of outbound jobs.
///
/// `faxd --config DIR/faxd.toml` runs in the foreground until SIGTERM or SIGINT (graceful:
/// active calls get grace_period_secs to finish, then are aborted and their jobs parked as
/// pending; exit 0). `--check` only validates the configuration. `faxd init --data DIR`
/// creates a data directory with safe defaults.
///
/// Files under DIR: faxd.toml (0600), secrets/passphrase (0600), secrets/store.keys,
/// store/, audit/ (audit/keys/root.pub for auditors), queue/JOB.json,
/// inbox/NAME/OBJECT.json, receipts/JOB.json, run/status.json (rewritten about once
/// a second), run/faxd.lock.
///
/// Logs go to standard error; level from FAXD_LOG (error, warn, info, debug, trace) or the
/// configuration's `log`. No level logs fax numbers, names, subaddresses, patient
/// references or page content.
///
/// Exit status: 0 ok, 1 usage, 2 invalid configuration or data, 3 a failure while running.
#[derive(Debug, Parser)]
#[command(name = "faxd", version, args_conflicts_with_subcommands = true)]
struct Cli {
    /// The configuration file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Validate the configuration (and the passphrase file's permissions) and exit.
    #[arg(long)]
    check: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a data directory: faxd.toml (0600), a random store passphrase in
    /// secrets/passphrase (0600, outside the store root), the store's key file, and a new
    /// audit log (prints the path of its public key).
    Init {
        /// The data directory to create.
        #[arg(long)]
        data: PathBuf,
        /// The first line's UDP listen address.
        #[arg(long, default_value = "127.0.0.1:4000")]
        listen: SocketAddr,
        /// The first line's fax number.
        #[arg(long, default_value = "0000")]
        number: String,
        /// PBKDF2 iterations of the key file (tests use fewer).
        #[arg(long, hide = true, default_value_t = phi_store::keys::DEFAULT_PBKDF2_ITERATIONS)]
        kdf_iterations: u32,
    },
}

fn fail(code: u8, m: &str) -> ExitCode {
    eprintln!("faxd: error: {m}");
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let _ = e.print();
            return if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            };
        }
    };
    if let Some(Command::Init {
        data,
        listen,
        number,
        kdf_iterations,
    }) = cli.command
    {
        return match init(&InitOptions {
            data,
            listen,
            number,
            kdf_iterations,
        }) {
            Ok(c) => {
                println!("config {}", c.config.display());
                println!("audit key {}", c.audit_key.display());
                ExitCode::SUCCESS
            }
            Err(e) => fail(e.exit_code(), &e.to_string()),
        };
    }
    let Some(path) = cli.config else {
        return fail(
            1,
            "give --config FILE (or `faxd init --data DIR` first; see faxd --help)",
        );
    };
    let cfg = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => return fail(2, &e.to_string()),
    };
    let data = faxkit_examples::faxd::data::DataDir::new(cfg.data_dir());
    if let Err(e) = faxkit_examples::faxd::store::passphrase(&cfg, &data) {
        return fail(2, &e.to_string());
    }
    if cli.check {
        println!("ok");
        return ExitCode::SUCCESS;
    }
    let level = std::env::var("FAXD_LOG")
        .ok()
        .and_then(|l| log_level(&l))
        .or_else(|| log_level(&cfg.log))
        .unwrap_or(tracing::level_filters::LevelFilter::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .init();
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(e) = signal_hook::flag::register(sig, stop.clone()) {
            return fail(3, &format!("cannot install the signal handler: {e}"));
        }
    }
    let server = match Server::open(cfg) {
        Ok(s) => s,
        Err(e) => return fail(e.exit_code().max(2), &e.to_string()),
    };
    for a in server.local_addrs() {
        tracing::info!(listen = %a, "line ready");
    }
    match server.run(&stop) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(3, &e.to_string()),
    }
}
