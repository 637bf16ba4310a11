//! The encrypted store as faxd configures it: backend (filesystem or S3), the key file
//! sealed under the passphrase, the access policy derived from the inboxes, the retention
//! rules, and an audit hook that collects the store's decisions for the audit log.

use super::config::{Backend as BackendKind, Config, PassphraseSource};
use super::data::DataDir;
use super::error::{FaxdError, Result};
use phi_store::audit::{AuditEvent, AuditHook};
use phi_store::backend::{Backend, FsBackend};
use phi_store::keys::LocalKeyring;
use phi_store::policy::{AccessContext, Action, Principal, Purpose, RolePolicy, Rule};
use phi_store::retention::{RetentionPolicy, RetentionRules};
use phi_store::{Class, Store, Tenant};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The store type faxd uses.
pub type FaxStore = Store<Arc<dyn Backend>, LocalKeyring>;

/// The principal faxd itself acts as.
pub const GATEWAY: &str = "faxd";
/// faxd's role in the policy.
pub const GATEWAY_ROLE: &str = "gateway";
/// Class of received faxes.
pub const INBOUND: &str = "inbound";
/// Class of documents to send.
pub const OUTBOUND: &str = "outbound";

/// Store events waiting to be written to the audit log.
#[derive(Clone, Default)]
pub struct Collected(Arc<Mutex<Vec<AuditEvent>>>);

impl Collected {
    /// Takes every event collected so far.
    pub fn take(&self) -> Vec<AuditEvent> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl AuditHook for Collected {
    fn record(&self, event: &AuditEvent) {
        if let Ok(mut v) = self.0.lock() {
            v.push(event.clone());
        }
    }
}

/// faxd's own access context: the gateway, for health care operations.
///
/// # Errors
/// Never in practice (the principal name is valid).
pub fn gateway() -> Result<AccessContext> {
    let p = Principal::new(GATEWAY).map_err(|e| FaxdError::store("principal", &e))?;
    Ok(AccessContext::new(p, GATEWAY_ROLE, Purpose::Operations))
}

/// A tenant or class name from the configuration.
///
/// # Errors
/// [`FaxdError::Invalid`] for a name phi-store refuses.
pub fn tenant(name: &str) -> Result<Tenant> {
    Tenant::new(name).map_err(|e| FaxdError::store("tenant", &e))
}

/// A class name.
///
/// # Errors
/// [`FaxdError::Invalid`] for a name phi-store refuses.
pub fn class(name: &str) -> Result<Class> {
    Class::new(name).map_err(|e| FaxdError::store("class", &e))
}

/// The access policy: the gateway may do everything it needs; each inbox's roles may list
/// (`Head`) and read (`Get`) inbound objects of the inbox's tenant for treatment, payment or
/// operations. Everything else is denied.
///
/// # Errors
/// An invalid tenant name.
pub fn policy(cfg: &Config) -> Result<RolePolicy> {
    let mut p = RolePolicy::deny_all().allow(Rule {
        role: GATEWAY_ROLE.into(),
        actions: vec![
            Action::Put,
            Action::Get,
            Action::Head,
            Action::ManageKeys,
            Action::ManageRetention,
        ],
        purposes: vec![Purpose::Operations],
        tenants: None,
        classes: None,
    });
    for inbox in &cfg.inboxes {
        for role in &inbox.roles {
            if role == GATEWAY_ROLE {
                continue;
            }
            p = p.allow(Rule {
                role: role.clone(),
                actions: vec![Action::Get, Action::Head],
                purposes: vec![Purpose::Treatment, Purpose::Payment, Purpose::Operations],
                tenants: Some(vec![tenant(&inbox.tenant)?]),
                classes: Some(vec![class(INBOUND)?]),
            });
        }
    }
    Ok(p)
}

/// Retention: outbound content after final delivery, inbound content after creation (if
/// configured), metadata after creation.
///
/// # Errors
/// Never in practice (the class names are valid).
pub fn retention(cfg: &Config) -> Result<RetentionRules> {
    let r = &cfg.retention;
    let days = |d: f64| super::config::secs(d * 86_400.0, Duration::from_secs(u64::MAX / 4));
    let metadata = Some(days(r.metadata_days));
    Ok(RetentionRules::keep_all()
        .with_class(
            class(OUTBOUND)?,
            RetentionPolicy {
                content_after_final_delivery: Some(r.outbound()),
                metadata_after_creation: metadata,
                ..RetentionPolicy::default()
            },
        )
        .with_class(
            class(INBOUND)?,
            RetentionPolicy {
                content_after_creation: r.inbound_content_days.map(days),
                metadata_after_creation: metadata,
                ..RetentionPolicy::default()
            },
        ))
}

/// Reads the passphrase from the configured source (a file must be private).
///
/// # Errors
/// A missing, empty or group/world-readable source.
pub fn passphrase(cfg: &Config, data: &DataDir) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let mut p = match cfg.secrets.passphrase {
        PassphraseSource::File => {
            let f = passphrase_file(cfg, data);
            super::config::check_private(&f)?;
            zeroize::Zeroizing::new(std::fs::read(&f).map_err(|e| {
                FaxdError::Invalid(format!("{}: cannot read the passphrase: {e}", f.display()))
            })?)
        }
        PassphraseSource::Env => match std::env::var_os("FAXKIT_PASSPHRASE") {
            Some(v) => zeroize::Zeroizing::new(v.into_encoded_bytes()),
            None => {
                return Err(FaxdError::Usage(
                    "secrets.passphrase = \"env\" but FAXKIT_PASSPHRASE is not set".into(),
                ))
            }
        },
    };
    if let Some(end) = p.iter().position(|&b| b == b'\n' || b == b'\r') {
        p.truncate(end);
    }
    if p.is_empty() {
        return Err(FaxdError::Invalid("the store passphrase is empty".into()));
    }
    Ok(p)
}

/// The passphrase file.
pub fn passphrase_file(cfg: &Config, data: &DataDir) -> PathBuf {
    cfg.secrets
        .passphrase_file
        .as_deref()
        .map_or_else(|| data.secrets().join("passphrase"), |p| data.resolve(p))
}

/// The key file.
pub fn key_file(cfg: &Config, data: &DataDir) -> PathBuf {
    cfg.secrets
        .key_file
        .as_deref()
        .map_or_else(|| data.secrets().join("store.keys"), |p| data.resolve(p))
}

/// The filesystem store root.
pub fn fs_root(cfg: &Config, data: &DataDir) -> PathBuf {
    cfg.storage
        .root
        .as_deref()
        .map_or_else(|| data.root().join("store"), |p| data.resolve(p))
}

fn backend(cfg: &Config, data: &DataDir) -> Result<Arc<dyn Backend>> {
    match cfg.storage.backend {
        BackendKind::Fs => {
            let root = fs_root(cfg, data);
            let b = FsBackend::open(&root)
                .map_err(|e| FaxdError::store(&root.display().to_string(), &e))?;
            Ok(Arc::new(b))
        }
        BackendKind::S3 => s3_backend(cfg),
    }
}

#[cfg(feature = "s3")]
fn s3_backend(cfg: &Config) -> Result<Arc<dyn Backend>> {
    use phi_store::backend::{S3Backend, S3Config};
    let env = |k: &str| {
        std::env::var(k).map_err(|_| {
            FaxdError::Usage(format!(
                "storage.backend = \"s3\" needs {k} in the environment"
            ))
        })
    };
    let (id, secret) = (env("AWS_ACCESS_KEY_ID")?, env("AWS_SECRET_ACCESS_KEY")?);
    let s = &cfg.storage;
    let mut c = S3Config::new(
        s.bucket.as_deref().unwrap_or_default(),
        s.region.as_deref().unwrap_or("us-east-1"),
        &id,
        &secret,
    );
    if let Some(url) = &s.endpoint {
        c = c.with_endpoint(url, s.allow_http);
    }
    let b = S3Backend::new(&c).map_err(|e| FaxdError::store("s3", &e))?;
    Ok(Arc::new(b))
}

#[cfg(not(feature = "s3"))]
fn s3_backend(_: &Config) -> Result<Arc<dyn Backend>> {
    Err(FaxdError::Usage(
        "storage.backend = \"s3\": this build has no S3 support; rebuild with \
         `--features faxkit-examples/s3`"
            .into(),
    ))
}

/// Opens the store with faxd's policy, retention and the collecting audit hook.
///
/// # Errors
/// A missing key file, a wrong passphrase, an unusable backend.
pub fn open(cfg: &Config, data: &DataDir, hook: Collected) -> Result<FaxStore> {
    let pass = passphrase(cfg, data)?;
    let kf = key_file(cfg, data);
    let keys = LocalKeyring::open(&kf, &pass)
        .map_err(|e| FaxdError::store(&kf.display().to_string(), &e))?;
    Ok(Store::new(backend(cfg, data)?, keys)
        .with_policy(policy(cfg)?)
        .with_audit(hook)
        .with_retention(retention(cfg)?))
}

/// Creates the key-encryption keys faxd and `faxctl` will use (outbound documents; every
/// inbox's tenant; unrouted faxes) if they do not exist yet. The key file then only changes
/// when faxd (its one writer while running) meets a tenant added to the configuration later;
/// `faxctl` commands only read it.
///
/// # Errors
/// A key file that cannot be written.
pub fn ensure_keys(store: &FaxStore, cfg: &Config) -> Result<()> {
    use phi_store::keys::{DataKey, KekId, KeyProvider as _};
    let mut wanted = vec![(cfg.outbound.tenant.clone(), OUTBOUND)];
    for i in &cfg.inboxes {
        wanted.push((i.tenant.clone(), INBOUND));
    }
    wanted.push((UNROUTED.to_string(), INBOUND));
    let rng = ring::rand::SystemRandom::new();
    for (t, c) in wanted {
        let kek = KekId::for_class(&tenant(&t)?, &class(c)?);
        let exists = store
            .keys()
            .primary_version(&kek)
            .map_err(|e| FaxdError::store("key file", &e))?
            .is_some();
        if !exists {
            let dek = DataKey::generate(&rng).map_err(|e| FaxdError::store("key file", &e))?;
            // Wrapping creates the KEK and persists the key file; the wrapped key is dropped.
            store
                .keys()
                .wrap(&kek, &dek, b"faxd: create key-encryption key")
                .map_err(|e| FaxdError::store("key file", &e))?;
        }
    }
    Ok(())
}

/// The tenant (and inbox name) of faxes no inbox takes.
pub const UNROUTED: &str = "unrouted";
