//! `faxd init`: a new data directory with safe defaults: a private configuration, a random
//! store passphrase in a private file outside the store root, the store's key file, and a
//! new audit log.

use super::config::DEFAULT_TOML;
use super::data::{make_private_dir, random_hex, write_atomic, DataDir};
use super::error::{FaxdError, Result};
use phi_store::backend::FsBackend;
use phi_store::keys::LocalKeyring;
use std::net::SocketAddr;
use std::path::PathBuf;

/// What `faxd init` creates.
#[derive(Clone, Debug)]
pub struct InitOptions {
    /// The data directory (created; must not hold a `faxd.toml` yet).
    pub data: PathBuf,
    /// The first line's listen address (default `127.0.0.1:4000`).
    pub listen: SocketAddr,
    /// The first line's number.
    pub number: String,
    /// PBKDF2 iterations of the key file (phi-store's default; tests use fewer).
    pub kdf_iterations: u32,
}

/// What was created.
#[derive(Clone, Debug)]
pub struct Created {
    /// The configuration file.
    pub config: PathBuf,
    /// The audit log's public key (give it to auditors).
    pub audit_key: PathBuf,
}

/// Creates the data directory.
///
/// # Errors
/// An existing configuration, an invalid number, or an I/O error.
pub fn init(o: &InitOptions) -> Result<Created> {
    let data = DataDir::new(&o.data);
    if data.config().exists() {
        return Err(FaxdError::Invalid(format!(
            "{}: exists already; faxd init never overwrites a data directory",
            data.config().display()
        )));
    }
    if t30::Identity::new(&o.number).is_err() || o.number.trim().is_empty() {
        return Err(FaxdError::Usage(
            "--number: 1-20 printable characters (digits, +, space)".into(),
        ));
    }
    make_private_dir(data.root())?;
    make_private_dir(&data.secrets())?;
    data.create_dirs()?;
    let pass = zeroize::Zeroizing::new(random_hex(32).into_bytes());
    let pass_file = data.secrets().join("passphrase");
    write_atomic(&pass_file, &pass)?;
    let key_file = data.secrets().join("store.keys");
    LocalKeyring::create(&key_file, &pass, o.kdf_iterations)
        .map_err(|e| FaxdError::store(&key_file.display().to_string(), &e))?;
    let root = data.root().join("store");
    FsBackend::open(&root).map_err(|e| FaxdError::store(&root.display().to_string(), &e))?;
    let storage = phi_audit::storage::FsStorage::new(data.audit());
    phi_audit::init(&storage, "faxd.local/audit").map_err(|e| FaxdError::audit("init", &e))?;
    let number = toml_string(&o.number);
    let text = format!(
        "{DEFAULT_TOML}\n[[line]]\nnumber = {number}\nlisten = \"{}\"\n\n\
         [[inbox]]\nname = \"main\"\nline = {number}\nroles = [\"clinician\"]\ntenant = \"default\"\n",
        o.listen
    );
    // The text must be what faxd accepts.
    let mut cfg = super::config::Config::parse(&text)?;
    write_atomic(&data.config(), text.as_bytes())?;
    cfg.data_dir = Some(data.root().to_path_buf());
    let store = super::store::open(&cfg, &data, super::store::Collected::default())?;
    super::store::ensure_keys(&store, &cfg)?;
    Ok(Created {
        config: data.config(),
        audit_key: data.audit().join(phi_audit::ROOT_PUB),
    })
}

/// A TOML basic string.
pub fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
