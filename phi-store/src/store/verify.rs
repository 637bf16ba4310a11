//! Checking objects without returning plaintext, and sealed export.

use super::*;

impl<B: Backend, K: KeyProvider> Store<B, K> {
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
