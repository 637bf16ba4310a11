//! S3-compatible storage through `object_store` (feature `s3`; ring-only TLS, no aws-lc).
//!
//! Puts are create-only through S3 conditional writes (`If-None-Match: *`, which
//! `object_store`'s `PutMode::Create` sends): a name that exists gives
//! [`StoreError::AlreadyExists`], never an overwrite. A blob is buffered in memory and sent in
//! one PUT on commit, so S3's own atomicity covers it (fax images are a few MiB; multipart
//! upload for larger objects is not implemented). Header replacement is a plain overwrite,
//! which S3 makes atomic. The backend drives `object_store` on its own current-thread tokio
//! runtime, so callers stay synchronous.

use super::{check_name, Backend, ObjectWriter};
use crate::error::{Result, StoreError};
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use std::io::{Read, Write};
use std::sync::Arc;

/// Connection settings for [`S3Backend`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Region (any string for S3-compatible servers).
    pub region: String,
    /// Endpoint URL (`None`: AWS).
    pub endpoint: Option<String>,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key. Never logged.
    pub secret_access_key: String,
    /// Allow plain HTTP (local test servers only; PHI must travel over TLS).
    pub allow_http: bool,
}

impl S3Config {
    /// Settings for a bucket with credentials; HTTPS only, AWS endpoint.
    pub fn new(
        bucket: &str,
        region: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> S3Config {
        S3Config {
            bucket: bucket.to_owned(),
            region: region.to_owned(),
            endpoint: None,
            access_key_id: access_key_id.to_owned(),
            secret_access_key: secret_access_key.to_owned(),
            allow_http: false,
        }
    }

    /// Uses another S3-compatible endpoint.
    pub fn with_endpoint(mut self, url: &str, allow_http: bool) -> S3Config {
        self.endpoint = Some(url.to_owned());
        self.allow_http = allow_http;
        self
    }
}

/// Blobs as objects in an S3 bucket.
pub struct S3Backend {
    store: Arc<dyn ObjectStore>,
    rt: tokio::runtime::Runtime,
}

impl core::fmt::Debug for S3Backend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("S3Backend(..)")
    }
}

fn map_err(e: object_store::Error) -> StoreError {
    match e {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. } => {
            StoreError::AlreadyExists
        }
        other => StoreError::Backend(std::io::Error::other(other.to_string())),
    }
}

impl S3Backend {
    /// Connects (lazily: the first request opens the connection).
    ///
    /// # Errors
    /// [`StoreError::Backend`] for invalid settings or if the runtime cannot start.
    pub fn new(cfg: &S3Config) -> Result<S3Backend> {
        // ring as the process-wide rustls provider; fails harmlessly if one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&cfg.bucket)
            .with_region(&cfg.region)
            .with_access_key_id(&cfg.access_key_id)
            .with_secret_access_key(&cfg.secret_access_key)
            .with_allow_http(cfg.allow_http);
        if let Some(e) = &cfg.endpoint {
            b = b.with_endpoint(e);
        }
        let store = b.build().map_err(map_err)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(S3Backend {
            store: Arc::new(store),
            rt,
        })
    }

    fn path(name: &str) -> Result<Path> {
        check_name(name)?;
        Ok(Path::from(name))
    }
}

struct S3Writer<'a> {
    backend: &'a S3Backend,
    path: Path,
    buf: Vec<u8>,
}

impl Write for S3Writer<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ObjectWriter for S3Writer<'_> {
    fn commit(self: Box<Self>) -> Result<()> {
        let opts = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        let payload = PutPayload::from(self.buf);
        self.backend
            .rt
            .block_on(self.backend.store.put_opts(&self.path, payload, opts))
            .map(|_| ())
            .map_err(map_err)
    }
}

impl Backend for S3Backend {
    fn create(&self, name: &str) -> Result<Box<dyn ObjectWriter + '_>> {
        Ok(Box::new(S3Writer {
            backend: self,
            path: S3Backend::path(name)?,
            buf: Vec::new(),
        }))
    }
    fn replace(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let p = S3Backend::path(name)?;
        self.rt
            .block_on(self.store.put(&p, PutPayload::from(bytes.to_vec())))
            .map(|_| ())
            .map_err(map_err)
    }
    fn get(&self, name: &str) -> Result<Vec<u8>> {
        let p = S3Backend::path(name)?;
        self.rt.block_on(async {
            let r = self.store.get(&p).await.map_err(map_err)?;
            Ok(r.bytes().await.map_err(map_err)?.to_vec())
        })
    }
    fn reader(&self, name: &str) -> Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(std::io::Cursor::new(self.get(name)?)))
    }
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> Result<()> {
        let p = S3Backend::path(name)?;
        let end = offset + buf.len() as u64;
        let got = self
            .rt
            .block_on(self.store.get_range(&p, offset..end))
            .map_err(map_err)?;
        if got.len() != buf.len() {
            return Err(StoreError::Integrity);
        }
        buf.copy_from_slice(&got);
        Ok(())
    }
    fn size(&self, name: &str) -> Result<u64> {
        let p = S3Backend::path(name)?;
        Ok(self.rt.block_on(self.store.head(&p)).map_err(map_err)?.size)
    }
    fn delete(&self, name: &str) -> Result<()> {
        let p = S3Backend::path(name)?;
        match self.rt.block_on(self.store.delete(&p)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let p = if prefix.is_empty() {
            None
        } else {
            Some(Path::from(prefix.trim_end_matches('/')))
        };
        let metas: Vec<_> = self
            .rt
            .block_on(self.store.list(p.as_ref()).try_collect())
            .map_err(map_err)?;
        let mut out: Vec<String> = metas
            .into_iter()
            .map(|m| m.location.to_string())
            .filter(|n: &String| n.starts_with(prefix))
            .collect();
        out.sort();
        Ok(out)
    }
}
