//! Retention on the store: legal hold, final delivery, deletion and the sweeper.

use super::*;

impl<B: Backend, K: KeyProvider> Store<B, K> {
    pub(super) fn state(&self, tenant: &Tenant, id: &ObjectId) -> Result<RetentionState> {
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

    pub(super) fn retention_allows_removal(&self, h: &Header) -> Result<()> {
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
}
