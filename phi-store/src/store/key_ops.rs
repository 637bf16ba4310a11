//! Key operations on the store: crypto-shredding, rotation, rewrap and retirement.

use super::*;

impl<B: Backend, K: KeyProvider> Store<B, K> {
    /// Destroys the content's data key (tombstone header) and then the body.
    pub(super) fn shred_object(&self, h: &Header) -> Result<()> {
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
}
