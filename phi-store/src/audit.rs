//! The audit hook: every access decision, key operation and retention action is reported.
//! Events carry ids (principal, tenant, class, object id, KEK id and version), never content,
//! key material or patient data. `phi-audit` (or any log) plugs in by implementing
//! [`AuditHook`].

use crate::keys::KekId;
use crate::names::{Class, ObjectId, Tenant};
use crate::policy::{Action, Decision, Principal, Purpose};
use std::sync::Mutex;

/// Key operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyOp {
    /// A data key was generated and wrapped for a new object.
    GenerateAndWrap,
    /// A data key was unwrapped to read or verify an object.
    Unwrap,
    /// A data key was rewrapped under the primary KEK version.
    Rewrap,
    /// KEKs were rotated.
    Rotate,
    /// Old KEK versions were retired.
    Retire,
    /// An object's data key was destroyed (crypto-shred).
    ShredObject,
    /// A whole KEK (a class) was destroyed.
    DestroyKek,
}

/// Retention operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetentionOp {
    /// Legal hold placed.
    Hold,
    /// Legal hold released.
    Release,
    /// Final delivery status recorded (starts "delete after delivery" clocks).
    FinalDelivery,
    /// Content expired and was shredded by the sweeper; metadata kept.
    ExpireContent,
    /// Metadata expired and was deleted by the sweeper.
    ExpireMetadata,
    /// An object was deleted on request.
    Delete,
}

/// One audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditEvent {
    /// A policy decision.
    Access {
        /// Who.
        principal: Principal,
        /// Why.
        purpose: Purpose,
        /// What.
        action: Action,
        /// Tenant.
        tenant: Tenant,
        /// Class, when known.
        class: Option<Class>,
        /// Object, when one.
        object: Option<ObjectId>,
        /// Allow or deny.
        decision: Decision,
    },
    /// A key operation.
    Key {
        /// Which.
        op: KeyOp,
        /// KEK involved, if one.
        kek: Option<KekId>,
        /// KEK version involved, if one.
        version: Option<u32>,
        /// Object involved, if one.
        object: Option<ObjectId>,
    },
    /// A retention action.
    Retention {
        /// Which.
        op: RetentionOp,
        /// Tenant.
        tenant: Tenant,
        /// Object.
        object: ObjectId,
    },
}

/// Receives audit events. Must not fail the operation; a hook that needs durability should
/// buffer and make its own log durable (phi-audit does group commit).
pub trait AuditHook: Send + Sync {
    /// Records one event.
    fn record(&self, event: &AuditEvent);
}

/// Discards events (for tools that audit elsewhere).
#[derive(Debug, Default)]
pub struct NoAudit;

impl AuditHook for NoAudit {
    fn record(&self, _: &AuditEvent) {}
}

/// Keeps events in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryAudit {
    events: Mutex<Vec<AuditEvent>>,
}

impl MemoryAudit {
    /// A copy of all events so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl AuditHook for MemoryAudit {
    fn record(&self, event: &AuditEvent) {
        if let Ok(mut e) = self.events.lock() {
            e.push(event.clone());
        }
    }
}

impl<T: AuditHook + ?Sized> AuditHook for std::sync::Arc<T> {
    fn record(&self, event: &AuditEvent) {
        (**self).record(event);
    }
}
