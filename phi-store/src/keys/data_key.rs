//! The per-object data key (DEK). It cannot be cloned, prints as `DataKey(..)`, and is zeroized
//! when dropped; raw bytes go in or out only through methods named for their danger.

use crate::error::{Result, StoreError};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroize;

/// Length of a data key (AES-256 / Tink `AesGcmHkdfStreaming` key value).
pub const DATA_KEY_LEN: usize = 32;

/// A 256-bit data key: the input key material of one object's Tink streaming body.
pub struct DataKey([u8; DATA_KEY_LEN]);

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl DataKey {
    /// A fresh random key from the operating system's generator.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the system generator fails.
    pub fn generate(rng: &SystemRandom) -> Result<DataKey> {
        let mut k = [0u8; DATA_KEY_LEN];
        rng.fill(&mut k)
            .map_err(|_| StoreError::Backend(std::io::Error::other("system random failed")))?;
        Ok(DataKey(k))
    }

    /// A key from raw bytes. Only for interoperability tests, fuzzing and key providers that
    /// unwrap keys themselves: a key that exists outside this type is not zeroized by us.
    pub fn dangerous_from_bytes(bytes: [u8; DATA_KEY_LEN]) -> DataKey {
        DataKey(bytes)
    }

    /// The raw key bytes, for wrapping under a KEK or for interop tests. Never log them.
    pub fn dangerous_as_bytes(&self) -> &[u8; DATA_KEY_LEN] {
        &self.0
    }
}

impl core::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DataKey(..)")
    }
}
