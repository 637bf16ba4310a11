//! The store: envelope encryption, access policy and audit around a [`Backend`].
//!
//! Each object is one blob in its tenant's namespace, `<tenant>/<id>.o` = header || body
//! (format v1), written create-only and durably in one go: the id is returned only once it is
//! durable, and a crash leaves either the whole object or nothing (one `fdatasync`, one
//! directory `fsync`, the same floor as any atomic file write). The `.o` blob is never
//! rewritten. Rewrap and shred write a replacement header `<tenant>/<id>.h` (a few hundred
//! bytes, replaced atomically) that takes precedence over the header inside `.o`; its identity
//! must hash to the same value, or the body does not authenticate. Shred writes a tombstone
//! `.h` (no key) and then deletes `.o`. Retention state (legal hold, final delivery) lives in
//! `<tenant>/<id>.r`.

use crate::audit::{AuditEvent, AuditHook, KeyOp, NoAudit, RetentionOp};
use crate::backend::Backend;
use crate::error::{Result, StoreError};
use crate::format::{self, Derivation, Header, KeySlot};
use crate::keys::{DataKey, KekId, KeyProvider};
use crate::names::{Class, ContentType, ObjectId, Tenant};
use crate::policy::{AccessContext, AccessRequest, Action, Decision, Policy, RolePolicy};
use crate::retention::{ms, Clock, RetentionRules, RetentionState, SystemClock};
use crate::stream::{self, BodyReader, BodyWriter, ReadAt};
use ring::rand::SystemRandom;
use std::io::{Read, Write};

mod key_ops;
mod retention_ops;
mod verify;

pub use verify::open_sealed;

/// What a caller may learn about an object without reading its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Object id.
    pub id: ObjectId,
    /// Tenant.
    pub tenant: Tenant,
    /// Class.
    pub class: Class,
    /// Content type.
    pub content_type: ContentType,
    /// Plaintext length.
    pub length: u64,
    /// Creation time (ms since the Unix epoch).
    pub created_ms: i64,
    /// Set for derived artifacts (never an original).
    pub derived: Option<Derivation>,
    /// True once the content was shredded (metadata only).
    pub shredded: bool,
}

impl ObjectInfo {
    fn from_header(h: &Header) -> ObjectInfo {
        ObjectInfo {
            id: h.id,
            tenant: h.tenant.clone(),
            class: h.class.clone(),
            content_type: h.content_type.clone(),
            length: h.length,
            created_ms: h.created_ms,
            derived: h.derived.clone(),
            shredded: h.slot == KeySlot::Shredded,
        }
    }
}

/// Outcome of [`Store::rewrap`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RewrapReport {
    /// Headers rewritten under the primary KEK version.
    pub rewrapped: usize,
    /// Objects already on the primary version.
    pub current: usize,
    /// Shredded objects skipped.
    pub shredded: usize,
}

/// Outcome of [`Store::verify`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Objects whose header, key and every body segment authenticated.
    pub ok: usize,
    /// Shredded objects (metadata only).
    pub shredded: usize,
    /// Objects that failed, with the (detail-free) error text.
    pub failed: Vec<(String, String)>,
}

/// Outcome of [`Store::sweep`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Contents shredded because they expired.
    pub content_expired: usize,
    /// Objects whose metadata expired and was deleted.
    pub metadata_expired: usize,
    /// Objects kept because of a legal hold although due.
    pub held: usize,
    /// Leftovers of interrupted deletes removed.
    pub orphans: usize,
}

/// The encrypted object store. See the crate docs for an example.
pub struct Store<B, K> {
    backend: B,
    keys: K,
    policy: Box<dyn Policy>,
    audit: Box<dyn AuditHook>,
    clock: Box<dyn Clock>,
    retention: RetentionRules,
    rng: SystemRandom,
}

/// `<tenant>/<id>.<ext>`, without the formatting machinery (this is on every put and get).
fn blob_name(t: &Tenant, id: &ObjectId, ext: &str) -> String {
    let t = t.as_str();
    let hex = id.hex();
    let id = std::str::from_utf8(&hex).unwrap_or_default();
    let mut name = String::with_capacity(t.len() + 1 + id.len() + 1 + ext.len());
    name.push_str(t);
    name.push('/');
    name.push_str(id);
    name.push('.');
    name.push_str(ext);
    name
}
fn header_name(t: &Tenant, id: &ObjectId) -> String {
    blob_name(t, id, "h")
}
fn object_name(t: &Tenant, id: &ObjectId) -> String {
    blob_name(t, id, "o")
}
fn state_name(t: &Tenant, id: &ObjectId) -> String {
    blob_name(t, id, "r")
}

/// Where a put's plaintext comes from.
enum Source<'a> {
    /// A whole slice.
    Slice(&'a [u8]),
    /// A reader of a declared length: streamed segment by segment.
    Reader(&'a mut dyn Read),
}

/// The body inside an object blob: `len` bytes from `offset`.
struct BackendRange<'a, B> {
    backend: &'a B,
    name: String,
    offset: u64,
}

impl<B: Backend> ReadAt for BackendRange<'_, B> {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.backend.read_at(&self.name, self.offset + offset, buf)
    }
}

/// Where an object's body is: blob name, offset and length.
struct BodyAt {
    name: String,
    offset: u64,
    len: u64,
}

impl<B: Backend, K: KeyProvider> Store<B, K> {
    /// A store with a deny-all policy, no audit, the system clock and keep-all retention;
    /// configure it with the `with_*` methods.
    pub fn new(backend: B, keys: K) -> Store<B, K> {
        Store {
            backend,
            keys,
            policy: Box::new(RolePolicy::deny_all()),
            audit: Box::new(NoAudit),
            clock: Box::new(SystemClock),
            retention: RetentionRules::keep_all(),
            rng: SystemRandom::new(),
        }
    }

    /// Sets the access policy.
    pub fn with_policy(mut self, p: impl Policy + 'static) -> Self {
        self.policy = Box::new(p);
        self
    }

    /// Sets the audit hook.
    pub fn with_audit(mut self, a: impl AuditHook + 'static) -> Self {
        self.audit = Box::new(a);
        self
    }

    /// Sets the clock (creation times, retention).
    pub fn with_clock(mut self, c: impl Clock + 'static) -> Self {
        self.clock = Box::new(c);
        self
    }

    /// Sets the retention rules.
    pub fn with_retention(mut self, r: RetentionRules) -> Self {
        self.retention = r;
        self
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The key provider.
    pub fn keys(&self) -> &K {
        &self.keys
    }

    fn check(
        &self,
        ctx: &AccessContext,
        action: Action,
        tenant: &Tenant,
        class: Option<&Class>,
        object: Option<ObjectId>,
    ) -> Result<()> {
        let req = AccessRequest {
            ctx,
            action,
            tenant,
            class,
            object,
        };
        let decision = self.policy.decide(&req);
        self.audit.record(&AuditEvent::Access {
            principal: ctx.principal.clone(),
            purpose: ctx.purpose,
            action,
            tenant: tenant.clone(),
            class: class.cloned(),
            object,
            decision,
        });
        match decision {
            Decision::Allow => Ok(()),
            Decision::Deny => Err(StoreError::Denied),
        }
    }

    fn key_event(
        &self,
        op: KeyOp,
        kek: Option<&KekId>,
        version: Option<u32>,
        object: Option<ObjectId>,
    ) {
        self.audit.record(&AuditEvent::Key {
            op,
            kek: kek.cloned(),
            version,
            object,
        });
    }

    /// Reads and parses the current header (the replacement `.h` if there is one, else the
    /// one inside `.o`), checking that it sits in its own tenant's namespace.
    fn load_header(&self, tenant: &Tenant, id: &ObjectId) -> Result<Header> {
        let h = match self.backend.get(&header_name(tenant, id)) {
            Ok(bytes) => {
                let (h, len) = Header::parse(&bytes)?;
                if len != bytes.len() {
                    return Err(StoreError::Malformed);
                }
                h
            }
            Err(StoreError::NotFound) => self.embedded_header(tenant, id)?.0,
            Err(e) => return Err(e),
        };
        if &h.tenant != tenant {
            return Err(StoreError::WrongTenant);
        }
        if &h.id != id {
            return Err(StoreError::Integrity);
        }
        Ok(h)
    }

    /// The header inside `.o`, with its encoded length (checked against the blob size).
    fn embedded_header(&self, tenant: &Tenant, id: &ObjectId) -> Result<(Header, usize)> {
        let name = object_name(tenant, id);
        let size = self.backend.size(&name)?;
        let n = usize::try_from(size.min(format::MAX_HEADER_LEN as u64))
            .map_err(|_| StoreError::Malformed)?;
        let mut buf = vec![0u8; n];
        self.backend.read_at(&name, 0, &mut buf)?;
        let (h, len) = Header::parse(&buf)?;
        if len as u64 + stream::ciphertext_len(h.length) != size {
            return Err(StoreError::Integrity);
        }
        Ok((h, len))
    }

    /// Locates the body of a live object: the last `ciphertext_len(length)` bytes of `.o`.
    fn body_at(&self, h: &Header) -> Result<BodyAt> {
        let name = object_name(&h.tenant, &h.id);
        let size = self.backend.size(&name)?;
        let len = stream::ciphertext_len(h.length);
        let offset = size.checked_sub(len).ok_or(StoreError::Integrity)?;
        if offset < 8 {
            return Err(StoreError::Integrity);
        }
        Ok(BodyAt { name, offset, len })
    }

    /// Streams and authenticates a body into `out`.
    fn read_body(
        &self,
        h: &Header,
        dek: &DataKey,
        hash: &[u8; 32],
        out: &mut dyn Write,
    ) -> Result<()> {
        let at = self.body_at(h)?;
        let mut r = self.backend.reader(&at.name)?;
        let skipped = std::io::copy(&mut (&mut r).take(at.offset), &mut std::io::sink())?;
        if skipped != at.offset {
            return Err(StoreError::Integrity);
        }
        let n = BodyReader::new(dek, hash, r.take(at.len))?.copy_to(out)?;
        if n != h.length {
            return Err(StoreError::Integrity);
        }
        Ok(())
    }

    /// Unwraps and checks the data key of a live header.
    fn open_key(&self, h: &Header, hash: &[u8; 32]) -> Result<DataKey> {
        let wrapped = h.wrapped_key()?;
        let dek = self.keys.unwrap(&wrapped, hash)?;
        if !format::same_commitment(&format::commitment(&dek, &h.id), &h.commitment) {
            return Err(StoreError::Integrity);
        }
        self.key_event(
            KeyOp::Unwrap,
            Some(&h.kek),
            Some(wrapped.version),
            Some(h.id),
        );
        Ok(dek)
    }

    fn put_inner(
        &self,
        tenant: &Tenant,
        class: &Class,
        content_type: ContentType,
        length: u64,
        derived: Option<Derivation>,
        data: Source<'_>,
    ) -> Result<ObjectId> {
        // Object id, data key and body salt/nonce prefix from one system call.
        let mut random = zeroize::Zeroizing::new([0u8; 16 + 32 + stream::BODY_HEADER_LEN - 1]);
        ring::rand::SecureRandom::fill(&self.rng, &mut random[..])
            .map_err(|_| StoreError::Backend(std::io::Error::other("system random failed")))?;
        let mut id_bytes = [0u8; 16];
        id_bytes.copy_from_slice(&random[..16]);
        let id = ObjectId(id_bytes);
        let mut key_bytes = [0u8; 32];
        key_bytes.copy_from_slice(&random[16..48]);
        let dek = DataKey::dangerous_from_bytes(key_bytes);
        zeroize::Zeroize::zeroize(&mut key_bytes);
        let mut body_random = [0u8; stream::BODY_HEADER_LEN - 1];
        body_random.copy_from_slice(&random[48..]);
        let kek = KekId::for_class(tenant, class);
        let mut h = Header {
            id,
            tenant: tenant.clone(),
            class: class.clone(),
            created_ms: self.clock.now_ms(),
            content_type,
            length,
            kek: kek.clone(),
            derived,
            commitment: format::commitment(&dek, &id),
            slot: KeySlot::Shredded,
        };
        let hash = h.hash();
        let w = self.keys.wrap(&kek, &dek, &hash)?;
        self.key_event(
            KeyOp::GenerateAndWrap,
            Some(&kek),
            Some(w.version),
            Some(id),
        );
        h.slot = KeySlot::Wrapped {
            version: w.version,
            nonce: w.nonce,
            ciphertext: w.ciphertext,
        };
        // Header, then the body one sealed segment per write; nothing is visible before
        // commit.
        let mut out = self.backend.create(&object_name(tenant, &id))?;
        out.write_all(&h.encode())?;
        let mut bw = BodyWriter::with_random(&dek, &hash, &body_random, out, Some(length))?;
        match data {
            Source::Slice(bytes) => bw.update(bytes)?,
            Source::Reader(data) => {
                bw.update_from(data, length)?;
                // One more byte would be more than was declared.
                let mut probe = [0u8; 1];
                loop {
                    match data.read(&mut probe) {
                        Ok(0) => break,
                        Ok(_) => return Err(StoreError::Invalid("content longer than declared")),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        let out = bw.finish()?.0;
        out.commit()?;
        Ok(id)
    }

    /// Stores `length` bytes read from `data` as a new object; returns its id once the object
    /// is durable.
    ///
    /// # Errors
    /// [`StoreError::Denied`]; [`StoreError::Invalid`] if `data` is not exactly `length`
    /// bytes; [`StoreError::Shredded`] if the class KEK was destroyed; backend errors (then
    /// nothing readable was created).
    pub fn put(
        &self,
        ctx: &AccessContext,
        tenant: &Tenant,
        class: &Class,
        content_type: ContentType,
        length: u64,
        data: &mut dyn Read,
    ) -> Result<ObjectId> {
        self.check(ctx, Action::Put, tenant, Some(class), None)?;
        self.put_inner(
            tenant,
            class,
            content_type,
            length,
            None,
            Source::Reader(data),
        )
    }

    /// Stores a byte slice as a new object.
    ///
    /// # Errors
    /// As [`Store::put`].
    pub fn put_bytes(
        &self,
        ctx: &AccessContext,
        tenant: &Tenant,
        class: &Class,
        content_type: ContentType,
        data: &[u8],
    ) -> Result<ObjectId> {
        self.check(ctx, Action::Put, tenant, Some(class), None)?;
        self.put_inner(
            tenant,
            class,
            content_type,
            data.len() as u64,
            None,
            Source::Slice(data),
        )
    }

    /// Stores a derived artifact (OCR text, a summary) linked to `original`, with its
    /// provenance. It gets its own id and is marked derived; the original is untouched and
    /// can never be replaced (objects are create-only).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if the original does not exist; [`StoreError::Invalid`] for
    /// provenance over 1024 bytes; otherwise as [`Store::put`].
    #[allow(clippy::too_many_arguments)] // each argument is a distinct, required fact
    pub fn put_derived(
        &self,
        ctx: &AccessContext,
        tenant: &Tenant,
        original: ObjectId,
        class: &Class,
        provenance: &str,
        content_type: ContentType,
        data: &[u8],
    ) -> Result<ObjectId> {
        self.check(ctx, Action::Put, tenant, Some(class), Some(original))?;
        if provenance.len() > format::MAX_PROVENANCE_LEN {
            return Err(StoreError::Invalid("provenance over 1024 bytes"));
        }
        self.load_header(tenant, &original)?;
        let d = Derivation {
            original,
            provenance: provenance.to_owned(),
        };
        self.put_inner(
            tenant,
            class,
            content_type,
            data.len() as u64,
            Some(d),
            Source::Slice(data),
        )
    }

    /// Metadata of an object (no key is unwrapped).
    ///
    /// # Errors
    /// [`StoreError::Denied`], [`StoreError::NotFound`], [`StoreError::WrongTenant`],
    /// [`StoreError::Malformed`].
    pub fn head(&self, ctx: &AccessContext, tenant: &Tenant, id: ObjectId) -> Result<ObjectInfo> {
        let h = self.load_header(tenant, &id)?;
        self.check(ctx, Action::Head, tenant, Some(&h.class), Some(id))?;
        Ok(ObjectInfo::from_header(&h))
    }

    /// Streams the plaintext of an object to `out`. Each segment is authenticated before it
    /// is written; if an error is returned, whatever was written must be discarded (use
    /// [`Store::get_bytes`] to get all-or-nothing).
    ///
    /// # Errors
    /// [`StoreError::Denied`], [`StoreError::NotFound`], [`StoreError::WrongTenant`],
    /// [`StoreError::Shredded`], [`StoreError::RetiredKeyVersion`],
    /// [`StoreError::UnknownKey`], [`StoreError::Integrity`], backend errors.
    pub fn get(
        &self,
        ctx: &AccessContext,
        tenant: &Tenant,
        id: ObjectId,
        out: &mut dyn Write,
    ) -> Result<ObjectInfo> {
        let h = self.load_header(tenant, &id)?;
        self.check(ctx, Action::Get, tenant, Some(&h.class), Some(id))?;
        let hash = h.hash();
        let dek = self.open_key(&h, &hash)?;
        self.read_body(&h, &dek, &hash, out)?;
        Ok(ObjectInfo::from_header(&h))
    }

    /// The whole plaintext, or an error and no plaintext at all.
    ///
    /// # Errors
    /// As [`Store::get`].
    pub fn get_bytes(&self, ctx: &AccessContext, tenant: &Tenant, id: ObjectId) -> Result<Vec<u8>> {
        let h = self.load_header(tenant, &id)?;
        self.check(ctx, Action::Get, tenant, Some(&h.class), Some(id))?;
        let hash = h.hash();
        let dek = self.open_key(&h, &hash)?;
        let at = self.body_at(&h)?;
        let mut body = vec![
            0u8;
            usize::try_from(at.len)
                .map_err(|_| StoreError::Limit("object larger than memory"))?
        ];
        self.backend.read_at(&at.name, at.offset, &mut body)?;
        let mut out = Vec::new();
        stream::decrypt_into(&dek, &hash, &body, &mut out)?;
        Ok(out)
    }

    /// Plaintext bytes `offset..offset + len`, decrypting only the segments that cover them.
    ///
    /// # Errors
    /// As [`Store::get`]; [`StoreError::Invalid`] if the range leaves the object.
    pub fn get_range(
        &self,
        ctx: &AccessContext,
        tenant: &Tenant,
        id: ObjectId,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>> {
        let h = self.load_header(tenant, &id)?;
        self.check(ctx, Action::Get, tenant, Some(&h.class), Some(id))?;
        let hash = h.hash();
        let dek = self.open_key(&h, &hash)?;
        let at = self.body_at(&h)?;
        let body_len = at.len;
        let mut src = BackendRange {
            backend: &self.backend,
            name: at.name,
            offset: at.offset,
        };
        stream::decrypt_range(&dek, &hash, body_len, &mut src, offset, len)
    }

    /// Ids of every object (live or shredded) of a tenant.
    ///
    /// # Errors
    /// Backend errors.
    pub fn list(&self, tenant: &Tenant) -> Result<Vec<ObjectId>> {
        let prefix = format!("{tenant}/");
        let mut ids: Vec<ObjectId> = self
            .backend
            .list(&prefix)?
            .iter()
            .filter_map(|n| {
                let stem = n.strip_prefix(&prefix)?;
                stem.strip_suffix(".o").or_else(|| stem.strip_suffix(".h"))
            })
            .filter_map(|s| ObjectId::parse(s).ok())
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Every tenant that has objects.
    ///
    /// # Errors
    /// Backend errors.
    pub fn tenants(&self) -> Result<Vec<Tenant>> {
        let mut out: Vec<Tenant> = self
            .backend
            .list("")?
            .iter()
            .filter_map(|n| Tenant::new(n.split('/').next()?).ok())
            .collect();
        out.dedup();
        Ok(out)
    }
}
