//! Keys: per-object data keys wrapped by versioned key-encryption keys (KEKs).
//!
//! A KEK is named by a [`KekId`] (one per tenant and class, so a whole class can be shredded
//! by destroying one KEK) and has numbered versions. Rotation adds a version and makes it
//! primary; new objects and `rewrap` use the primary; retiring drops every version below a
//! minimum, after which objects still wrapped under those versions fail with
//! [`crate::StoreError::RetiredKeyVersion`].

mod data_key;
mod local;

pub use data_key::{DataKey, DATA_KEY_LEN};
pub use local::{LocalKeyring, DEFAULT_PBKDF2_ITERATIONS};

use crate::error::{Result, StoreError};

/// Length of a wrapped data key: AES-256-GCM ciphertext of 32 bytes plus the tag.
pub const WRAPPED_LEN: usize = DATA_KEY_LEN + 16;

/// Name of a key-encryption key: `tenant/class`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KekId(String);

impl KekId {
    /// The KEK of one tenant's class.
    pub fn for_class(tenant: &crate::Tenant, class: &crate::Class) -> KekId {
        KekId(format!("{}/{}", tenant.as_str(), class.as_str()))
    }

    /// Parses a stored KEK id (`tenant/class`, each a valid name).
    ///
    /// # Errors
    /// [`StoreError::Malformed`] if it is not two valid names joined by `/`.
    pub fn parse(s: &str) -> Result<KekId> {
        let (t, c) = s.split_once('/').ok_or(StoreError::Malformed)?;
        crate::Tenant::new(t).map_err(|_| StoreError::Malformed)?;
        crate::Class::new(c).map_err(|_| StoreError::Malformed)?;
        Ok(KekId(s.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A data key wrapped under one KEK version: what the object header stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    /// The KEK that wrapped it.
    pub kek: KekId,
    /// The KEK version.
    pub version: u32,
    /// AES-GCM nonce of the wrap.
    pub nonce: [u8; 12],
    /// Wrapped data key and tag.
    pub ciphertext: [u8; WRAPPED_LEN],
}

/// Where KEKs live: the local key file, or an adapter to a KMS/HSM. Implementations must
/// keep key material out of logs and `Debug` output and zeroize it when done.
///
/// `aad` binds the wrapped key to one object header (its identity hash): a wrapped key
/// copied into another header does not unwrap.
pub trait KeyProvider: Send + Sync {
    /// Wraps `dek` under the primary version of `kek`, creating the KEK on first use.
    ///
    /// # Errors
    /// [`StoreError::Shredded`] if the KEK was destroyed; backend errors of the provider.
    fn wrap(&self, kek: &KekId, dek: &DataKey, aad: &[u8]) -> Result<WrappedKey>;

    /// Unwraps a data key.
    ///
    /// # Errors
    /// [`StoreError::UnknownKey`], [`StoreError::RetiredKeyVersion`],
    /// [`StoreError::Shredded`] (KEK destroyed) or [`StoreError::Integrity`] (wrong KEK, or
    /// the wrap does not belong to `aad`).
    fn unwrap(&self, wrapped: &WrappedKey, aad: &[u8]) -> Result<DataKey>;

    /// The primary (newest) version of `kek`, `None` if the KEK does not exist yet.
    ///
    /// # Errors
    /// [`StoreError::Shredded`] if the KEK was destroyed.
    fn primary_version(&self, kek: &KekId) -> Result<Option<u32>>;

    /// Adds a new version of every KEK (or only `kek`) and makes it primary; returns the
    /// number of KEKs rotated.
    ///
    /// # Errors
    /// Provider storage errors.
    fn rotate(&self, kek: Option<&KekId>) -> Result<usize>;

    /// Destroys every version of versions below `min_version` of `kek`.
    ///
    /// # Errors
    /// [`StoreError::UnknownKey`]; [`StoreError::Invalid`] if `min_version` is above the
    /// primary (that would retire every version).
    fn retire_below(&self, kek: &KekId, min_version: u32) -> Result<()>;

    /// Destroys a KEK with all its versions: every object wrapped under it is shredded.
    ///
    /// # Errors
    /// Provider storage errors.
    fn destroy(&self, kek: &KekId) -> Result<()>;

    /// Every KEK id the provider knows (live ones only).
    fn kek_ids(&self) -> Vec<KekId>;
}

impl<T: KeyProvider + ?Sized> KeyProvider for std::sync::Arc<T> {
    fn wrap(&self, kek: &KekId, dek: &DataKey, aad: &[u8]) -> Result<WrappedKey> {
        (**self).wrap(kek, dek, aad)
    }
    fn unwrap(&self, wrapped: &WrappedKey, aad: &[u8]) -> Result<DataKey> {
        (**self).unwrap(wrapped, aad)
    }
    fn primary_version(&self, kek: &KekId) -> Result<Option<u32>> {
        (**self).primary_version(kek)
    }
    fn rotate(&self, kek: Option<&KekId>) -> Result<usize> {
        (**self).rotate(kek)
    }
    fn retire_below(&self, kek: &KekId, min_version: u32) -> Result<()> {
        (**self).retire_below(kek, min_version)
    }
    fn destroy(&self, kek: &KekId) -> Result<()> {
        (**self).destroy(kek)
    }
    fn kek_ids(&self) -> Vec<KekId> {
        (**self).kek_ids()
    }
}
