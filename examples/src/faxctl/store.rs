//! `faxctl store`: the encrypted object store (phi-store) on a local directory. Other tools
//! call it as a contract: `put` prints only the object id, once the object is durable.
//!
//! The KEKs live in a key file outside the data root (default: `ROOT.keys` beside the root
//! directory), sealed under a passphrase taken from `FAXKIT_PASSPHRASE` or from the file
//! named by `--passphrase-file`, never from an argument.

use super::Failure;
use clap::{Args, Subcommand};
use phi_store::audit::NoAudit;
use phi_store::backend::FsBackend;
use phi_store::keys::{LocalKeyring, DEFAULT_PBKDF2_ITERATIONS};
use phi_store::policy::{AccessContext, Action, Principal, Purpose, RolePolicy, Rule};
use phi_store::retention::{RetentionPolicy, RetentionRules};
use phi_store::{Class, ContentType, ObjectId, Store, StoreError, Tenant};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Arguments of `faxctl store`.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    #[command(subcommand)]
    command: StoreCommand,
}

/// Where the store is and how to open its key file.
#[derive(Debug, Args)]
struct Location {
    /// The data root directory (holds only encrypted objects).
    #[arg(long)]
    root: PathBuf,
    /// The key file (default: ROOT.keys, beside the root; keep it outside the root).
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Read the passphrase from this file (first line) instead of FAXKIT_PASSPHRASE.
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
    /// Tenant namespace.
    #[arg(long, default_value = "default")]
    tenant: String,
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Create an empty store: the root directory and a new key file.
    Init {
        #[command(flatten)]
        at: Location,
        /// PBKDF2 iterations for the key file (tests use fewer).
        #[arg(long, hide = true, default_value_t = DEFAULT_PBKDF2_ITERATIONS)]
        kdf_iterations: u32,
    },
    /// Store FILE encrypted; print only its object id, once it is durable.
    Put {
        #[command(flatten)]
        at: Location,
        /// The file to store.
        file: PathBuf,
        /// Object class (decides the KEK and the retention policy).
        #[arg(long, default_value = "inbound")]
        class: String,
        /// Content type recorded in the header.
        #[arg(long, default_value = "application/octet-stream")]
        content_type: String,
    },
    /// Decrypt object ID into OUT (written only if every byte authenticates).
    Get {
        #[command(flatten)]
        at: Location,
        /// Object id (32 hex digits).
        id: String,
        /// Output file.
        out: PathBuf,
    },
    /// Make a new version of every tenant's KEKs primary (then run rewrap).
    Rotate {
        #[command(flatten)]
        at: Location,
    },
    /// Rewrap every data key under its KEK's primary version (headers only; resumable).
    Rewrap {
        #[command(flatten)]
        at: Location,
    },
    /// Crypto-shred object ID: destroy its data key and body, keep its metadata.
    Shred {
        #[command(flatten)]
        at: Location,
        /// Object id (32 hex digits).
        id: String,
    },
    /// Check every object of every tenant (key, commitment, every segment); exit 2 on any
    /// failure.
    Verify {
        #[command(flatten)]
        at: Location,
    },
    /// Apply retention (class `outbound`: content 30 minutes after final delivery) and remove
    /// leftovers of interrupted writes. Run when no put is in progress.
    Sweep {
        #[command(flatten)]
        at: Location,
    },
}

type CliStore = Store<FsBackend, LocalKeyring>;

fn store_error(what: &str, e: &StoreError) -> Failure {
    Failure::Invalid(format!("{what}: {e}"))
}

fn key_file(at: &Location) -> PathBuf {
    at.key_file.clone().unwrap_or_else(|| {
        let mut name = at.root.file_name().unwrap_or_default().to_os_string();
        name.push(".keys");
        at.root.with_file_name(name)
    })
}

fn passphrase(at: &Location) -> Result<zeroize::Zeroizing<Vec<u8>>, Failure> {
    let mut p = match &at.passphrase_file {
        Some(f) => zeroize::Zeroizing::new(std::fs::read(f).map_err(|e| {
            Failure::Invalid(format!("{}: cannot read passphrase file: {e}", f.display()))
        })?),
        None => match std::env::var_os("FAXKIT_PASSPHRASE") {
            Some(v) => zeroize::Zeroizing::new(v.into_encoded_bytes()),
            None => {
                return Err(Failure::Usage(
                    "no passphrase: set FAXKIT_PASSPHRASE or give --passphrase-file".into(),
                ))
            }
        },
    };
    if let Some(end) = p.iter().position(|&b| b == b'\n') {
        p.truncate(end);
    }
    if p.last() == Some(&b'\r') {
        p.pop();
    }
    if p.is_empty() {
        return Err(Failure::Usage("empty passphrase".into()));
    }
    Ok(p)
}

/// The operator: every action, for health care operations.
fn operator() -> Result<AccessContext, Failure> {
    let p = Principal::new("faxctl").map_err(|e| store_error("principal", &e))?;
    Ok(AccessContext::new(p, "operator", Purpose::Operations))
}

fn policy() -> RolePolicy {
    RolePolicy::deny_all().allow(Rule {
        role: "operator".into(),
        actions: vec![
            Action::Get,
            Action::Put,
            Action::Head,
            Action::Delete,
            Action::Export,
            Action::ManageKeys,
            Action::ManageRetention,
        ],
        purposes: vec![Purpose::Operations],
        tenants: None,
        classes: None,
    })
}

fn retention() -> Result<RetentionRules, Failure> {
    let outbound = Class::new("outbound").map_err(|e| store_error("class", &e))?;
    Ok(RetentionRules::keep_all().with_class(
        outbound,
        RetentionPolicy {
            content_after_final_delivery: Some(Duration::from_secs(30 * 60)),
            metadata_after_creation: Some(Duration::from_secs(6 * 366 * 86_400)),
            ..RetentionPolicy::default()
        },
    ))
}

fn open(at: &Location) -> Result<(CliStore, Tenant), Failure> {
    let tenant = Tenant::new(&at.tenant).map_err(|e| store_error("--tenant", &e))?;
    if !at.root.is_dir() {
        return Err(Failure::Invalid(format!(
            "{}: no store here (run faxctl store init)",
            at.root.display()
        )));
    }
    let keys_path = key_file(at);
    let keys = LocalKeyring::open(&keys_path, &passphrase(at)?)
        .map_err(|e| store_error(&keys_path.display().to_string(), &e))?;
    let backend = FsBackend::open(&at.root).map_err(|e| store_error("root", &e))?;
    let store = Store::new(backend, keys)
        .with_policy(policy())
        .with_audit(NoAudit)
        .with_retention(retention()?);
    Ok((store, tenant))
}

fn object_id(s: &str) -> Result<ObjectId, Failure> {
    ObjectId::parse(s).map_err(|e| Failure::Usage(format!("{s:?}: {e}")))
}

/// Runs `faxctl store ...`.
pub(crate) fn run(args: &StoreArgs) -> Result<(), Failure> {
    match &args.command {
        StoreCommand::Init { at, kdf_iterations } => init(at, *kdf_iterations),
        StoreCommand::Put {
            at,
            file,
            class,
            content_type,
        } => put(at, file, class, content_type),
        StoreCommand::Get { at, id, out } => get(at, id, out),
        StoreCommand::Rotate { at } => {
            let (s, _) = open(at)?;
            let mut n = 0;
            for t in s.tenants().map_err(|e| store_error("list", &e))? {
                n += s
                    .rotate(&operator()?, &t)
                    .map_err(|e| store_error("rotate", &e))?;
            }
            super::note(&format!(
                "rotated {n} key(s); run `faxctl store rewrap` next"
            ));
            Ok(())
        }
        StoreCommand::Rewrap { at } => {
            let (s, _) = open(at)?;
            for t in s.tenants().map_err(|e| store_error("list", &e))? {
                let r = s
                    .rewrap(&operator()?, &t)
                    .map_err(|e| store_error("rewrap", &e))?;
                super::note(&format!(
                    "tenant {t}: {} rewrapped, {} current, {} shredded",
                    r.rewrapped, r.current, r.shredded
                ));
            }
            Ok(())
        }
        StoreCommand::Shred { at, id } => {
            let (s, t) = open(at)?;
            s.shred(&operator()?, &t, object_id(id)?)
                .map_err(|e| store_error(id, &e))
        }
        StoreCommand::Verify { at } => verify(at),
        StoreCommand::Sweep { at } => {
            let (s, _) = open(at)?;
            let temps = s
                .backend()
                .remove_stale_temps()
                .map_err(|e| store_error("sweep", &e))?;
            for t in s.tenants().map_err(|e| store_error("list", &e))? {
                let r = s
                    .sweep(&operator()?, &t)
                    .map_err(|e| store_error("sweep", &e))?;
                super::note(&format!(
                    "tenant {t}: {} contents expired, {} metadata expired, {} held, {} orphans",
                    r.content_expired, r.metadata_expired, r.held, r.orphans
                ));
            }
            if temps > 0 {
                super::note(&format!(
                    "removed {temps} temporary file(s) of interrupted writes"
                ));
            }
            Ok(())
        }
    }
}

fn init(at: &Location, iterations: u32) -> Result<(), Failure> {
    let keys_path = key_file(at);
    if keys_path.starts_with(&at.root) {
        return Err(Failure::Usage(
            "the key file must be outside the data root".into(),
        ));
    }
    if at.root.exists()
        && std::fs::read_dir(&at.root)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Failure::Invalid(format!(
            "{}: exists and is not empty",
            at.root.display()
        )));
    }
    let pass = passphrase(at)?;
    FsBackend::open(&at.root).map_err(|e| store_error("root", &e))?;
    LocalKeyring::create(&keys_path, &pass, iterations)
        .map_err(|e| store_error(&keys_path.display().to_string(), &e))?;
    super::note(&format!(
        "key file {}: keep it apart from the data and its backups",
        keys_path.display()
    ));
    Ok(())
}

fn put(at: &Location, file: &Path, class: &str, content_type: &str) -> Result<(), Failure> {
    let (s, t) = open(at)?;
    let class = Class::new(class).map_err(|e| store_error("--class", &e))?;
    let ct = ContentType::new(content_type).map_err(|e| store_error("--content-type", &e))?;
    let what = file.display().to_string();
    let mut f = std::fs::File::open(file).map_err(|e| Failure::Invalid(format!("{what}: {e}")))?;
    let len = f
        .metadata()
        .map_err(|e| Failure::Invalid(format!("{what}: {e}")))?
        .len();
    let id = s
        .put(&operator()?, &t, &class, ct, len, &mut f)
        .map_err(|e| store_error(&what, &e))?;
    super::print_stdout(&format!("{id}\n"));
    Ok(())
}

fn get(at: &Location, id: &str, out: &Path) -> Result<(), Failure> {
    let (s, t) = open(at)?;
    let oid = object_id(id)?;
    // Write beside OUT and rename only after the last segment authenticated.
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".faxctl-get-{}", std::process::id()));
    let what = out.display().to_string();
    let result = (|| {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(&tmp).map_err(|e| Failure::Invalid(format!("{what}: {e}")))?,
        );
        s.get(&operator()?, &t, oid, &mut f)
            .map_err(|e| store_error(id, &e))?;
        let f = f
            .into_inner()
            .map_err(|e| Failure::Invalid(format!("{what}: {}", e.error())))?;
        f.sync_all()
            .map_err(|e| Failure::Invalid(format!("{what}: {e}")))?;
        std::fs::rename(&tmp, out).map_err(|e| Failure::Invalid(format!("{what}: {e}")))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn verify(at: &Location) -> Result<(), Failure> {
    let (s, _) = open(at)?;
    let (mut ok, mut shredded, mut failed) = (0, 0, 0);
    for t in s.tenants().map_err(|e| store_error("list", &e))? {
        let r = s
            .verify(&operator()?, &t)
            .map_err(|e| store_error("verify", &e))?;
        ok += r.ok;
        shredded += r.shredded;
        for (id, e) in &r.failed {
            super::warn(&format!("tenant {t}, object {id}: {e}"));
        }
        failed += r.failed.len();
    }
    super::note(&format!(
        "{ok} objects verified, {shredded} shredded, {failed} failed"
    ));
    if failed > 0 {
        return Err(Failure::Invalid(format!(
            "{failed} object(s) failed verification"
        )));
    }
    Ok(())
}
