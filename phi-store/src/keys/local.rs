//! The local key file: KEKs sealed with AES-256-GCM under a key derived from a passphrase
//! (PBKDF2-HMAC-SHA256). Keep the file outside the data root (and out of the same backups),
//! so a copy of the objects alone is useless: HHS's safe harbor asks for keys stored apart.
//!
//! File layout v1 (integers big-endian):
//!
//! ```text
//! "FXPSKEY1" | iterations u32 | salt[16] | nonce[12] | AES-256-GCM(payload) || tag[16]
//! payload = count u32, then per KEK:
//!           id_len u8 | id | destroyed u8 | nversions u32 | (version u32 | key[32])*
//! ```
//! The first 40 bytes are the associated data of the seal. Every change rewrites the file
//! durably (temp, fsync, rename, directory fsync).

use super::{DataKey, KekId, KeyProvider, WrappedKey, DATA_KEY_LEN, WRAPPED_LEN};
use crate::error::{Result, StoreError};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::pbkdf2;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// PBKDF2-HMAC-SHA256 iterations for new key files (OWASP's 2023 figure).
pub const DEFAULT_PBKDF2_ITERATIONS: u32 = 600_000;
const MAGIC: &[u8; 8] = b"FXPSKEY1";
const PREFIX_LEN: usize = 8 + 4 + 16 + 12;
/// Upper bound on iterations accepted from a file (a hostile file must not stall us).
const MAX_ITERATIONS: u32 = 10_000_000;

struct Kek {
    destroyed: bool,
    versions: BTreeMap<u32, Zeroizing<[u8; 32]>>,
}

struct State {
    keks: BTreeMap<KekId, Kek>,
}

/// Path, passphrase-derived key, PBKDF2 iterations and salt of a key file.
type KeyFile = (PathBuf, Zeroizing<[u8; 32]>, u32, [u8; 16]);

/// KEKs held in memory and, when opened from a path, persisted to the key file on every
/// change. Without a path (see [`LocalKeyring::in_memory`]) it is a test provider.
pub struct LocalKeyring {
    state: Mutex<State>,
    file: Option<KeyFile>,
    rng: SystemRandom,
}

impl core::fmt::Debug for LocalKeyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("LocalKeyring(..)")
    }
}

fn random<const N: usize>(rng: &SystemRandom) -> Result<[u8; N]> {
    let mut b = [0u8; N];
    rng.fill(&mut b)
        .map_err(|_| StoreError::Backend(std::io::Error::other("system random failed")))?;
    Ok(b)
}

fn derive(passphrase: &[u8], salt: &[u8; 16], iterations: u32) -> Result<Zeroizing<[u8; 32]>> {
    let it = NonZeroU32::new(iterations).ok_or(StoreError::KeyFile)?;
    let mut k = Zeroizing::new([0u8; 32]);
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, it, salt, passphrase, &mut k[..]);
    Ok(k)
}

fn aead_key(raw: &[u8; 32]) -> Result<LessSafeKey> {
    Ok(LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, raw).map_err(|_| StoreError::KeyFile)?,
    ))
}

fn wrap_aad(kek: &KekId, version: u32, aad: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(32 + kek.as_str().len() + aad.len());
    v.extend_from_slice(b"phi-store/v1 wrap\0");
    v.push(u8::try_from(kek.as_str().len()).unwrap_or(u8::MAX));
    v.extend_from_slice(kek.as_str().as_bytes());
    v.extend_from_slice(&version.to_be_bytes());
    v.extend_from_slice(aad);
    v
}

impl LocalKeyring {
    /// A keyring that lives only in memory (tests, examples).
    pub fn in_memory() -> LocalKeyring {
        LocalKeyring {
            state: Mutex::new(State {
                keks: BTreeMap::new(),
            }),
            file: None,
            rng: SystemRandom::new(),
        }
    }

    /// Creates a new, empty key file at `path` (which must not exist).
    ///
    /// # Errors
    /// [`StoreError::AlreadyExists`] if the file exists; I/O errors.
    pub fn create(path: &Path, passphrase: &[u8], iterations: u32) -> Result<LocalKeyring> {
        if iterations == 0 || iterations > MAX_ITERATIONS {
            return Err(StoreError::Invalid("PBKDF2 iterations"));
        }
        let rng = SystemRandom::new();
        let salt = random::<16>(&rng)?;
        let key = derive(passphrase, &salt, iterations)?;
        let ring = LocalKeyring {
            state: Mutex::new(State {
                keks: BTreeMap::new(),
            }),
            file: Some((path.to_owned(), key, iterations, salt)),
            rng,
        };
        let bytes = ring.serialize(&*ring.lock()?)?;
        crate::durable::write_new(path, &bytes).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                StoreError::AlreadyExists
            } else {
                StoreError::Backend(e)
            }
        })?;
        Ok(ring)
    }

    /// Opens an existing key file.
    ///
    /// # Errors
    /// [`StoreError::KeyFile`] for a wrong passphrase or an altered file; I/O errors.
    pub fn open(path: &Path, passphrase: &[u8]) -> Result<LocalKeyring> {
        let bytes = Zeroizing::new(std::fs::read(path)?);
        if bytes.len() < PREFIX_LEN + 16 || &bytes[..8] != MAGIC {
            return Err(StoreError::KeyFile);
        }
        let iterations =
            u32::from_be_bytes(bytes[8..12].try_into().map_err(|_| StoreError::KeyFile)?);
        if iterations == 0 || iterations > MAX_ITERATIONS {
            return Err(StoreError::KeyFile);
        }
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&bytes[12..28]);
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&bytes[28..40]);
        let key = derive(passphrase, &salt, iterations)?;
        let mut sealed = Zeroizing::new(bytes[PREFIX_LEN..].to_vec());
        let payload = aead_key(&key)?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&bytes[..PREFIX_LEN]),
                &mut sealed[..],
            )
            .map_err(|_| StoreError::KeyFile)?;
        let keks = parse_payload(payload).ok_or(StoreError::KeyFile)?;
        Ok(LocalKeyring {
            state: Mutex::new(State { keks }),
            file: Some((path.to_owned(), key, iterations, salt)),
            rng: SystemRandom::new(),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>> {
        self.state
            .lock()
            .map_err(|_| StoreError::Backend(std::io::Error::other("keyring lock poisoned")))
    }

    fn serialize(&self, st: &State) -> Result<Vec<u8>> {
        let Some((_, key, iterations, salt)) = &self.file else {
            return Ok(Vec::new());
        };
        let mut payload = Zeroizing::new(Vec::new());
        payload.extend_from_slice(
            &u32::try_from(st.keks.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        for (id, k) in &st.keks {
            payload.push(u8::try_from(id.as_str().len()).unwrap_or(u8::MAX));
            payload.extend_from_slice(id.as_str().as_bytes());
            payload.push(u8::from(k.destroyed));
            payload.extend_from_slice(
                &u32::try_from(k.versions.len())
                    .unwrap_or(u32::MAX)
                    .to_be_bytes(),
            );
            for (v, bytes) in &k.versions {
                payload.extend_from_slice(&v.to_be_bytes());
                payload.extend_from_slice(&bytes[..]);
            }
        }
        let nonce = random::<12>(&self.rng)?;
        let mut out = Vec::with_capacity(PREFIX_LEN + payload.len() + 16);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&iterations.to_be_bytes());
        out.extend_from_slice(salt);
        out.extend_from_slice(&nonce);
        let mut body = payload.to_vec();
        let tag = aead_key(key)?
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&out[..PREFIX_LEN]),
                &mut body,
            )
            .map_err(|_| StoreError::KeyFile)?;
        out.extend_from_slice(&body);
        out.extend_from_slice(tag.as_ref());
        zeroize::Zeroize::zeroize(&mut body);
        Ok(out)
    }

    /// Writes the current state to the key file (no-op in memory).
    fn persist(&self, st: &State) -> Result<()> {
        if let Some((path, ..)) = &self.file {
            let bytes = self.serialize(st)?;
            crate::durable::write_replace(path, &bytes)?;
        }
        Ok(())
    }

    fn new_version(&self, k: &mut Kek) -> Result<u32> {
        let v = k.versions.keys().next_back().map_or(1, |v| v + 1);
        k.versions
            .insert(v, Zeroizing::new(random::<32>(&self.rng)?));
        Ok(v)
    }
}

fn parse_payload(p: &[u8]) -> Option<BTreeMap<KekId, Kek>> {
    let mut r = p;
    let mut take = |n: usize| -> Option<&[u8]> {
        let (a, b) = r.split_at_checked(n)?;
        r = b;
        Some(a)
    };
    let count = u32::from_be_bytes(take(4)?.try_into().ok()?);
    let mut keks = BTreeMap::new();
    for _ in 0..count {
        let id_len = usize::from(take(1)?[0]);
        let id = KekId::parse(std::str::from_utf8(take(id_len)?).ok()?).ok()?;
        let destroyed = match take(1)?[0] {
            0 => false,
            1 => true,
            _ => return None,
        };
        let n = u32::from_be_bytes(take(4)?.try_into().ok()?);
        let mut versions = BTreeMap::new();
        for _ in 0..n {
            let v = u32::from_be_bytes(take(4)?.try_into().ok()?);
            let mut k = Zeroizing::new([0u8; 32]);
            k.copy_from_slice(take(32)?);
            versions.insert(v, k);
        }
        keks.insert(
            id,
            Kek {
                destroyed,
                versions,
            },
        );
    }
    if !take(0)?.is_empty() || !r.is_empty() {
        return None;
    }
    Some(keks)
}

impl KeyProvider for LocalKeyring {
    fn wrap(&self, kek: &KekId, dek: &DataKey, aad: &[u8]) -> Result<WrappedKey> {
        let mut st = self.lock()?;
        let created = !st.keks.contains_key(kek);
        let entry = st.keks.entry(kek.clone()).or_insert_with(|| Kek {
            destroyed: false,
            versions: BTreeMap::new(),
        });
        if entry.destroyed {
            return Err(StoreError::Shredded);
        }
        if entry.versions.is_empty() {
            self.new_version(entry)?;
        }
        let (&version, key) = entry
            .versions
            .iter()
            .next_back()
            .ok_or(StoreError::UnknownKey)?;
        let key = aead_key(key)?;
        if created {
            self.persist(&st)?;
        }
        let nonce = random::<12>(&self.rng)?;
        let mut buf = dek.dangerous_as_bytes().to_vec();
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(wrap_aad(kek, version, aad)),
                &mut buf,
            )
            .map_err(|_| StoreError::Integrity)?;
        let mut ciphertext = [0u8; WRAPPED_LEN];
        ciphertext[..DATA_KEY_LEN].copy_from_slice(&buf);
        ciphertext[DATA_KEY_LEN..].copy_from_slice(tag.as_ref());
        Ok(WrappedKey {
            kek: kek.clone(),
            version,
            nonce,
            ciphertext,
        })
    }

    fn unwrap(&self, wrapped: &WrappedKey, aad: &[u8]) -> Result<DataKey> {
        let st = self.lock()?;
        let k = st.keks.get(&wrapped.kek).ok_or(StoreError::UnknownKey)?;
        if k.destroyed {
            return Err(StoreError::Shredded);
        }
        let Some(raw) = k.versions.get(&wrapped.version) else {
            let oldest = k.versions.keys().next().copied().unwrap_or(0);
            return Err(if wrapped.version < oldest {
                StoreError::RetiredKeyVersion
            } else {
                StoreError::UnknownKey
            });
        };
        let key = aead_key(raw)?;
        let mut buf = Zeroizing::new(wrapped.ciphertext);
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(wrapped.nonce),
                Aad::from(wrap_aad(&wrapped.kek, wrapped.version, aad)),
                &mut buf[..],
            )
            .map_err(|_| StoreError::Integrity)?;
        let mut out = [0u8; DATA_KEY_LEN];
        out.copy_from_slice(plain);
        Ok(DataKey::dangerous_from_bytes(out))
    }

    fn primary_version(&self, kek: &KekId) -> Result<Option<u32>> {
        let st = self.lock()?;
        match st.keks.get(kek) {
            None => Ok(None),
            Some(k) if k.destroyed => Err(StoreError::Shredded),
            Some(k) => Ok(k.versions.keys().next_back().copied()),
        }
    }

    fn rotate(&self, kek: Option<&KekId>) -> Result<usize> {
        let mut st = self.lock()?;
        let mut n = 0;
        let ids: Vec<KekId> = match kek {
            Some(k) => vec![k.clone()],
            None => st.keks.keys().cloned().collect(),
        };
        for id in ids {
            let k = st.keks.get_mut(&id).ok_or(StoreError::UnknownKey)?;
            if k.destroyed {
                continue;
            }
            self.new_version(k)?;
            n += 1;
        }
        self.persist(&st)?;
        Ok(n)
    }

    fn retire_below(&self, kek: &KekId, min_version: u32) -> Result<()> {
        let mut st = self.lock()?;
        let k = st.keks.get_mut(kek).ok_or(StoreError::UnknownKey)?;
        let primary = k.versions.keys().next_back().copied().unwrap_or(0);
        if min_version > primary {
            return Err(StoreError::Invalid("cannot retire the primary version"));
        }
        k.versions.retain(|&v, _| v >= min_version);
        self.persist(&st)
    }

    fn destroy(&self, kek: &KekId) -> Result<()> {
        let mut st = self.lock()?;
        let k = st.keks.entry(kek.clone()).or_insert_with(|| Kek {
            destroyed: true,
            versions: BTreeMap::new(),
        });
        k.destroyed = true;
        k.versions.clear();
        self.persist(&st)
    }

    fn kek_ids(&self) -> Vec<KekId> {
        self.lock()
            .map(|st| {
                st.keks
                    .iter()
                    .filter(|(_, k)| !k.destroyed)
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}
