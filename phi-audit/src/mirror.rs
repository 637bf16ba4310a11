//! Mirroring to S3-compatible object storage through `object_store` (feature `mirror`), so
//! that verification and proofs scale beyond the writing host: [`push`] copies the segments,
//! `checkpoints.log` and the pinned public key; [`pull`] fetches them into memory, where
//! [`crate::scan::scan_log`] verifies them like a local directory.
//!
//! Never mirrored: private keys, sealing keys, the token key (keys stay apart from data).
//! Segments other than the newest never change and are uploaded once; the newest segment
//! and `checkpoints.log` are uploaded on every push. The functions are async and
//! executor-agnostic; `object_store`'s S3 client needs a tokio runtime. The HTTP client uses
//! rustls with the ring provider (no aws-lc): call [`install_ring_provider`] once at start.

use crate::error::LogError;
use crate::scan::{CHECKPOINTS, SEGMENTS};
use crate::storage::{FaultyStorage, Storage};
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

/// Installs rustls's ring provider as the process default (needed once before the S3
/// client's first HTTPS request; harmless if a provider is already installed).
pub fn install_ring_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// What a push did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MirrorReport {
    /// Names uploaded.
    pub uploaded: Vec<String>,
    /// Immutable segments already present with the same size.
    pub skipped: usize,
}

fn err(e: object_store::Error) -> LogError {
    LogError::Mirror(e.to_string())
}

fn key(prefix: &str, name: &str) -> ObjPath {
    let p = prefix.trim_matches('/');
    if p.is_empty() {
        ObjPath::from(name)
    } else {
        ObjPath::from(format!("{p}/{name}"))
    }
}

/// Copies the log's public files from `storage` to `store` under `prefix`.
///
/// # Errors
/// [`LogError::Io`] reading the log, [`LogError::Mirror`] from the object store.
pub async fn push(
    storage: &dyn Storage,
    store: &dyn ObjectStore,
    prefix: &str,
) -> Result<MirrorReport, LogError> {
    let mut report = MirrorReport::default();
    let names = storage
        .list(SEGMENTS)
        .map_err(LogError::io("list segments"))?;
    let count = names.len();
    for (i, n) in names.iter().enumerate() {
        let name = format!("{SEGMENTS}/{n}");
        let Some(data) = storage.read(&name).map_err(LogError::io("read segment"))? else {
            continue;
        };
        let path = key(prefix, &name);
        let immutable = i + 1 < count;
        if immutable {
            if let Ok(meta) = store.head(&path).await {
                if meta.size == data.len() as u64 {
                    report.skipped += 1;
                    continue;
                }
            }
        }
        store
            .put(&path, PutPayload::from(data))
            .await
            .map_err(err)?;
        report.uploaded.push(name);
    }
    for name in [CHECKPOINTS, crate::log::ROOT_PUB] {
        if let Some(data) = storage.read(name).map_err(LogError::io("read"))? {
            store
                .put(&key(prefix, name), PutPayload::from(data))
                .await
                .map_err(err)?;
            report.uploaded.push(name.to_owned());
        }
    }
    Ok(report)
}

/// Fetches a mirrored log into memory for verification (pin the root key yourself rather
/// than trusting the mirrored `keys/root.pub`).
///
/// # Errors
/// [`LogError::Mirror`] from the object store.
pub async fn pull(store: &dyn ObjectStore, prefix: &str) -> Result<FaultyStorage, LogError> {
    let mem = FaultyStorage::new();
    let listing = store
        .list_with_delimiter(Some(&key(prefix, SEGMENTS)))
        .await
        .map_err(err)?;
    for meta in listing.objects {
        let Some(file) = meta.location.filename() else {
            continue;
        };
        let name = format!("{SEGMENTS}/{file}");
        let bytes = store
            .get(&meta.location)
            .await
            .map_err(err)?
            .bytes()
            .await
            .map_err(err)?;
        mem.put(&name, bytes.to_vec());
    }
    for name in [CHECKPOINTS, crate::log::ROOT_PUB] {
        match store.get(&key(prefix, name)).await {
            Ok(g) => mem.put(name, g.bytes().await.map_err(err)?.to_vec()),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(err(e)),
        }
    }
    Ok(mem)
}
