//! Shared set-up for the store tests.
#![allow(
    clippy::cast_possible_truncation,
    clippy::unwrap_used,
    dead_code,
    unreachable_pub,
    missing_docs
)] // test set-up

use phi_store::audit::MemoryAudit;
use phi_store::backend::{Backend, MemoryBackend};
use phi_store::keys::{KeyProvider, LocalKeyring};
use phi_store::policy::{AccessContext, Action, Principal, Purpose, RolePolicy, Rule};
use phi_store::retention::ManualClock;
use phi_store::{Class, ContentType, Store, Tenant};
use std::sync::Arc;

pub const T0: i64 = 1_790_000_000_000;

pub fn admin_policy() -> RolePolicy {
    RolePolicy::deny_all().allow(Rule {
        role: "admin".into(),
        actions: vec![
            Action::Get,
            Action::Put,
            Action::Head,
            Action::Delete,
            Action::Export,
            Action::ManageKeys,
            Action::ManageRetention,
        ],
        purposes: vec![
            Purpose::Operations,
            Purpose::Treatment,
            Purpose::ModelTraining,
        ],
        tenants: None,
        classes: None,
    })
}

pub fn admin() -> AccessContext {
    AccessContext::new(
        Principal::new("admin-1").unwrap(),
        "admin",
        Purpose::Operations,
    )
}

pub fn tenant(s: &str) -> Tenant {
    Tenant::new(s).unwrap()
}

pub fn class(s: &str) -> Class {
    Class::new(s).unwrap()
}

pub fn tiff() -> ContentType {
    ContentType::new("image/tiff").unwrap()
}

pub struct Env<B: Backend, K: KeyProvider> {
    pub store: Store<B, K>,
    pub audit: Arc<MemoryAudit>,
    pub clock: Arc<ManualClock>,
}

pub fn memory_env() -> Env<MemoryBackend, Arc<LocalKeyring>> {
    env_with(MemoryBackend::new(), Arc::new(LocalKeyring::in_memory()))
}

pub fn env_with<B: Backend, K: KeyProvider>(backend: B, keys: K) -> Env<B, K> {
    let audit = Arc::new(MemoryAudit::default());
    let clock = Arc::new(ManualClock::new(T0));
    let store = Store::new(backend, keys)
        .with_policy(admin_policy())
        .with_audit(audit.clone())
        .with_clock(clock.clone());
    Env {
        store,
        audit,
        clock,
    }
}

pub fn page(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed))
        .collect()
}
