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

fn header_name(t: &Tenant, id: &ObjectId) -> String {
    format!("{t}/{id}.h")
}
fn object_name(t: &Tenant, id: &ObjectId) -> String {
    format!("{t}/{id}.o")
}
fn state_name(t: &Tenant, id: &ObjectId) -> String {
    format!("{t}/{id}.r")
}

/// Where a put's plaintext comes from.
enum Source<'a> {
    /// A whole slice: encrypted in one pass into the blob.
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
        // One blob, header then body; nothing is visible before commit.
        let mut out = self.backend.create(&object_name(tenant, &id))?;
        match data {
            Source::Slice(bytes) => {
                let mut blob = h.encode();
                stream::encrypt_into_with(&dek, &hash, &body_random, bytes, &mut blob)?;
                out.write_all(&blob)?;
            }
            Source::Reader(data) => {
                out.write_all(&h.encode())?;
                let mut bw = BodyWriter::new(&dek, &hash, out)?;
                let cap = usize::try_from(length.min(stream::PLAINTEXT_SEGMENT as u64))
                    .unwrap_or(stream::PLAINTEXT_SEGMENT);
                let mut buf = vec![0u8; cap.max(1)];
                let mut total = 0u64;
                loop {
                    let n = match data.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e.into()),
                    };
                    total += n as u64;
                    if total > length {
                        return Err(StoreError::Invalid("content longer than declared"));
                    }
                    bw.update(&buf[..n])?;
                }
                if total != length {
                    return Err(StoreError::Invalid("content shorter than declared"));
                }
                out = bw.finish()?.0;
            }
        }
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

    fn state(&self, tenant: &Tenant, id: &ObjectId) -> Result<RetentionState> {
        match self.backend.get(&state_name(tenant, id)) {
            Ok(b) => Ok(RetentionState::decode(&b)),
            Err(StoreError::NotFound) => Ok(RetentionState::default()),
            Err(e) => Err(e),
        }
    }

    /// Retention state of an object.
    ///
    /// # Errors
    /// Backend errors.
    pub fn retention_state(&self, tenant: &Tenant, id: ObjectId) -> Result<RetentionState> {
        self.state(tenant, &id)
    }

    /// Places or releases a legal hold (blocks deletion, shredding and expiry).
    ///
    /// # Errors
    /// [`StoreError::Denied`], [`StoreError::NotFound`], backend errors.
    pub fn set_legal_hold(
        &self,
        ctx: &AccessContext,
        tenant: &Tenant,
        id: ObjectId,
        hold: bool,
    ) -> Result<()> {
        let h = self.load_header(tenant, &id)?;
        self.check(
            ctx,
            Action::ManageRetention,
            tenant,
            Some(&h.class),
            Some(id),
        )?;
        let mut st = self.state(tenant, &id)?;
        st.legal_hold = hold;
        self.backend
            .replace(&state_name(tenant, &id), &st.encode())?;
        self.audit.record(&AuditEvent::Retention {
            op: if hold {
                RetentionOp::Hold
            } else {
                RetentionOp::Release
            },
            tenant: tenant.clone(),
            object: id,
        });
        Ok(())
    }

    /// Records the final delivery status of an object now (starts the class's
    /// "content after final delivery" clock).
    ///
    /// # Errors
    /// [`StoreError::Denied`], [`StoreError::NotFound`], backend errors.
    pub fn mark_final_delivery(
        &self,
        ctx: &AccessContext,
        tenant: &Tenant,
        id: ObjectId,
    ) -> Result<()> {
        let h = self.load_header(tenant, &id)?;
        self.check(
            ctx,
            Action::ManageRetention,
            tenant,
            Some(&h.class),
            Some(id),
        )?;
        let mut st = self.state(tenant, &id)?;
        st.final_delivery_ms = Some(self.clock.now_ms());
        self.backend
            .replace(&state_name(tenant, &id), &st.encode())?;
        self.audit.record(&AuditEvent::Retention {
            op: RetentionOp::FinalDelivery,
            tenant: tenant.clone(),
            object: id,
        });
        Ok(())
    }

    fn retention_allows_removal(&self, h: &Header) -> Result<()> {
        if self.state(&h.tenant, &h.id)?.legal_hold {
            return Err(StoreError::Retained);
        }
        if let Some(min) = self.retention.policy(&h.class).minimum {
            if self.clock.now_ms() < h.created_ms.saturating_add(ms(min)) {
                return Err(StoreError::Retained);
            }
        }
        Ok(())
    }

    /// Destroys the content's data key (tombstone header) and then the body.
    fn shred_object(&self, h: &Header) -> Result<()> {
        let mut t = h.clone();
        t.slot = KeySlot::Shredded;
        self.backend
            .replace(&header_name(&h.tenant, &h.id), &t.encode())?;
        self.backend.delete(&object_name(&h.tenant, &h.id))?;
        self.key_event(KeyOp::ShredObject, Some(&h.kek), None, Some(h.id));
        Ok(())
    }

    /// Crypto-shreds one object: its wrapped data key is destroyed, its body deleted, its
    /// metadata kept (reads then fail with [`StoreError::Shredded`]).
    ///
    /// # Errors
    /// [`StoreError::Denied`], [`StoreError::NotFound`], [`StoreError::Retained`] (legal hold
    /// or minimum retention), backend errors.
    pub fn shred(&self, ctx: &AccessContext, tenant: &Tenant, id: ObjectId) -> Result<()> {
        let h = self.load_header(tenant, &id)?;
        self.check(ctx, Action::ManageKeys, tenant, Some(&h.class), Some(id))?;
        self.retention_allows_removal(&h)?;
        self.shred_object(&h)
    }

    /// Crypto-shreds a whole class of a tenant at once by destroying its KEK.
    ///
    /// # Errors
    /// [`StoreError::Denied`]; [`StoreError::Retained`] if any object of the class is on
    /// legal hold; provider errors.
    pub fn shred_class(&self, ctx: &AccessContext, tenant: &Tenant, class: &Class) -> Result<()> {
        self.check(ctx, Action::ManageKeys, tenant, Some(class), None)?;
        for id in self.list(tenant)? {
            if let Ok(h) = self.load_header(tenant, &id) {
                if &h.class == class && self.state(tenant, &id)?.legal_hold {
                    return Err(StoreError::Retained);
                }
            }
        }
        let kek = KekId::for_class(tenant, class);
        self.keys.destroy(&kek)?;
        self.key_event(KeyOp::DestroyKek, Some(&kek), None, None);
        Ok(())
    }

    /// Deletes an object (header, body, state) if retention allows.
    ///
    /// # Errors
    /// [`StoreError::Denied`], [`StoreError::NotFound`], [`StoreError::Retained`], backend
    /// errors.
    pub fn delete(&self, ctx: &AccessContext, tenant: &Tenant, id: ObjectId) -> Result<()> {
        let h = self.load_header(tenant, &id)?;
        self.check(ctx, Action::Delete, tenant, Some(&h.class), Some(id))?;
        self.retention_allows_removal(&h)?;
        self.remove_all(tenant, &id)?;
        self.audit.record(&AuditEvent::Retention {
            op: RetentionOp::Delete,
            tenant: tenant.clone(),
            object: id,
        });
        Ok(())
    }

    fn remove_all(&self, tenant: &Tenant, id: &ObjectId) -> Result<()> {
        // Content first; a header left by a crash is removed by the sweeper.
        self.backend.delete(&object_name(tenant, id))?;
        self.backend.delete(&header_name(tenant, id))?;
        self.backend.delete(&state_name(tenant, id))
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

    /// Makes a new KEK version primary for every KEK of `tenant`; returns how many were
    /// rotated. Nothing else is touched: run [`Store::rewrap`] next.
    ///
    /// # Errors
    /// [`StoreError::Denied`], provider errors.
    pub fn rotate(&self, ctx: &AccessContext, tenant: &Tenant) -> Result<usize> {
        self.check(ctx, Action::ManageKeys, tenant, None, None)?;
        let prefix = format!("{tenant}/");
        let mut n = 0;
        for kek in self.keys.kek_ids() {
            if kek.as_str().starts_with(&prefix) {
                n += self.keys.rotate(Some(&kek))?;
                self.key_event(
                    KeyOp::Rotate,
                    Some(&kek),
                    self.keys.primary_version(&kek)?,
                    None,
                );
            }
        }
        Ok(n)
    }

    /// Rewraps every object of `tenant` whose data key is not under its KEK's primary
    /// version. Only headers are rewritten (atomically, one by one), never bodies, so an
    /// interrupted rewrap is resumed by running it again.
    ///
    /// # Errors
    /// [`StoreError::Denied`]; the first failing object's error (objects before it stay
    /// rewrapped).
    pub fn rewrap(&self, ctx: &AccessContext, tenant: &Tenant) -> Result<RewrapReport> {
        self.check(ctx, Action::ManageKeys, tenant, None, None)?;
        let mut rep = RewrapReport::default();
        for id in self.list(tenant)? {
            let h = self.load_header(tenant, &id)?;
            let KeySlot::Wrapped { version, .. } = h.slot else {
                rep.shredded += 1;
                continue;
            };
            let primary = match self.keys.primary_version(&h.kek) {
                Ok(p) => p,
                Err(StoreError::Shredded) => {
                    rep.shredded += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if primary == Some(version) {
                rep.current += 1;
                continue;
            }
            let hash = h.hash();
            let dek = self.open_key(&h, &hash)?;
            let w = self.keys.wrap(&h.kek, &dek, &hash)?;
            let mut n = h.clone();
            n.slot = KeySlot::Wrapped {
                version: w.version,
                nonce: w.nonce,
                ciphertext: w.ciphertext,
            };
            self.backend
                .replace(&header_name(tenant, &id), &n.encode())?;
            self.key_event(KeyOp::Rewrap, Some(&h.kek), Some(w.version), Some(id));
            rep.rewrapped += 1;
        }
        Ok(rep)
    }

    /// Retires KEK versions below each KEK's primary for `tenant`'s KEKs. Run
    /// [`Store::rewrap`] first: objects still under retired versions become unreadable.
    ///
    /// # Errors
    /// [`StoreError::Denied`], provider errors.
    pub fn retire_old_versions(&self, ctx: &AccessContext, tenant: &Tenant) -> Result<()> {
        self.check(ctx, Action::ManageKeys, tenant, None, None)?;
        let prefix = format!("{tenant}/");
        for kek in self.keys.kek_ids() {
            if !kek.as_str().starts_with(&prefix) {
                continue;
            }
            if let Some(p) = self.keys.primary_version(&kek)? {
                self.keys.retire_below(&kek, p)?;
                self.key_event(KeyOp::Retire, Some(&kek), Some(p), None);
            }
        }
        Ok(())
    }

    /// Checks every object of `tenant` without returning plaintext: header structure, key
    /// unwrap, commitment, body length and every segment's tag.
    ///
    /// # Errors
    /// [`StoreError::Denied`]; listing errors. Per-object failures are in the report.
    pub fn verify(&self, ctx: &AccessContext, tenant: &Tenant) -> Result<VerifyReport> {
        self.check(ctx, Action::ManageKeys, tenant, None, None)?;
        let mut rep = VerifyReport::default();
        for id in self.list(tenant)? {
            match self.verify_one(tenant, &id) {
                Ok(true) => rep.ok += 1,
                Ok(false) => rep.shredded += 1,
                Err(e) => rep.failed.push((id.to_string(), e.to_string())),
            }
        }
        Ok(rep)
    }

    fn verify_one(&self, tenant: &Tenant, id: &ObjectId) -> Result<bool> {
        let h = self.load_header(tenant, id)?;
        if h.slot == KeySlot::Shredded {
            return Ok(false);
        }
        let hash = h.hash();
        // The header inside `.o` must describe the same object as a replacement header.
        let (embedded, _) = self.embedded_header(tenant, id)?;
        if embedded.hash() != hash {
            return Err(StoreError::Integrity);
        }
        let dek = self.open_key(&h, &hash)?;
        self.read_body(&h, &dek, &hash, &mut std::io::sink())?;
        Ok(true)
    }

    /// Applies retention to every object of `tenant` at the clock's current time: expired
    /// content is shredded (metadata kept), expired metadata deleted, legal holds respected,
    /// bodies left by interrupted puts removed. Run it when no put is in progress for the
    /// tenant (an in-flight body looks like an orphan).
    ///
    /// # Errors
    /// [`StoreError::Denied`]; the first backend error (work done before it stays done).
    pub fn sweep(&self, ctx: &AccessContext, tenant: &Tenant) -> Result<SweepReport> {
        self.check(ctx, Action::ManageRetention, tenant, None, None)?;
        let now = self.clock.now_ms();
        let mut rep = SweepReport::default();
        let prefix = format!("{tenant}/");
        let names = self.backend.list(&prefix)?;
        let present: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
        for name in &names {
            // A live replacement header without its object: left by a crashed delete.
            if let Some(stem) = name.strip_suffix(".h") {
                if !present.contains(format!("{stem}.o").as_str()) {
                    let live = self
                        .backend
                        .get(name)
                        .ok()
                        .and_then(|b| Header::parse(&b).ok())
                        .is_some_and(|(h, _)| h.slot != KeySlot::Shredded);
                    if live {
                        self.backend.delete(name)?;
                        rep.orphans += 1;
                    }
                }
            }
        }
        for id in self.list(tenant)? {
            let Ok(h) = self.load_header(tenant, &id) else {
                continue;
            };
            if h.slot == KeySlot::Shredded {
                // Finishes a shred interrupted between the tombstone and the object delete.
                self.backend.delete(&object_name(tenant, &id))?;
            }
            let p = self.retention.policy(&h.class);
            let st = self.state(tenant, &id)?;
            let due = |d: Option<std::time::Duration>, from: Option<i64>| match (d, from) {
                (Some(d), Some(t)) => now >= t.saturating_add(ms(d)),
                _ => false,
            };
            let meta_due = due(p.metadata_after_creation, Some(h.created_ms));
            let content_due = h.slot != KeySlot::Shredded
                && (due(p.content_after_creation, Some(h.created_ms))
                    || due(p.content_after_final_delivery, st.final_delivery_ms));
            if (meta_due || content_due) && st.legal_hold {
                rep.held += 1;
                continue;
            }
            if meta_due {
                self.remove_all(tenant, &id)?;
                self.audit.record(&AuditEvent::Retention {
                    op: RetentionOp::ExpireMetadata,
                    tenant: tenant.clone(),
                    object: id,
                });
                rep.metadata_expired += 1;
            } else if content_due {
                self.shred_object(&h)?;
                self.audit.record(&AuditEvent::Retention {
                    op: RetentionOp::ExpireContent,
                    tenant: tenant.clone(),
                    object: id,
                });
                rep.content_expired += 1;
            }
        }
        Ok(rep)
    }

    /// The whole object in format v1 (header || body) for export or backup; access is
    /// checked as [`Action::Export`]. The result is still encrypted.
    ///
    /// # Errors
    /// [`StoreError::Denied`], [`StoreError::NotFound`], [`StoreError::Shredded`], backend
    /// errors.
    pub fn export_sealed(
        &self,
        ctx: &AccessContext,
        tenant: &Tenant,
        id: ObjectId,
    ) -> Result<Vec<u8>> {
        let h = self.load_header(tenant, &id)?;
        self.check(ctx, Action::Export, tenant, Some(&h.class), Some(id))?;
        if h.slot == KeySlot::Shredded {
            return Err(StoreError::Shredded);
        }
        let at = self.body_at(&h)?;
        let mut out = h.encode();
        let start = out.len();
        out.resize(
            start
                + usize::try_from(at.len)
                    .map_err(|_| StoreError::Limit("object larger than memory"))?,
            0,
        );
        self.backend
            .read_at(&at.name, at.offset, &mut out[start..])?;
        Ok(out)
    }
}

/// Opens a sealed object (header || body, as made by [`Store::export_sealed`]) with a key
/// provider, checking that it belongs to `tenant`. Used by `verify` tools and tamper tests.
///
/// # Errors
/// [`StoreError::Malformed`], [`StoreError::WrongTenant`], [`StoreError::Shredded`],
/// [`StoreError::RetiredKeyVersion`], [`StoreError::UnknownKey`], [`StoreError::Integrity`].
pub fn open_sealed(
    keys: &dyn KeyProvider,
    tenant: &Tenant,
    object: &[u8],
) -> Result<(ObjectInfo, Vec<u8>)> {
    let (h, len) = Header::parse(object)?;
    if &h.tenant != tenant {
        return Err(StoreError::WrongTenant);
    }
    let hash = h.hash();
    let dek = keys.unwrap(&h.wrapped_key()?, &hash)?;
    if !format::same_commitment(&format::commitment(&dek, &h.id), &h.commitment) {
        return Err(StoreError::Integrity);
    }
    let body = &object[len..];
    if body.len() as u64 != stream::ciphertext_len(h.length) {
        return Err(StoreError::Integrity);
    }
    let plain = stream::decrypt(&dek, &hash, body)?;
    Ok((ObjectInfo::from_header(&h), plain))
}
