//! Retention: per-class policies, legal hold, and the clock the sweeper runs on.
//!
//! Medical-record retention is set by state law and contracts, so nothing is hard-coded: each
//! class gets a [`RetentionPolicy`]. Content expiry crypto-shreds the object and keeps its
//! metadata (id, class, type, size, dates) until metadata expiry. A legal hold stops both.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::names::Class;

/// Time source, injected so tests and the sweeper are deterministic.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch (UTC).
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that tests move by hand.
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    /// Starts at `ms`.
    pub fn new(ms: i64) -> ManualClock {
        ManualClock(std::sync::atomic::AtomicI64::new(ms))
    }
    /// Moves forward.
    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl<T: Clock + ?Sized> Clock for std::sync::Arc<T> {
    fn now_ms(&self) -> i64 {
        (**self).now_ms()
    }
}

/// How long one class keeps content and metadata. `None` means "no limit from this rule".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Content expires this long after creation (e.g. inbound images: N years).
    pub content_after_creation: Option<Duration>,
    /// Content expires this long after the final delivery status was recorded (e.g. 30
    /// minutes for outbound documents).
    pub content_after_final_delivery: Option<Duration>,
    /// Metadata is deleted this long after creation.
    pub metadata_after_creation: Option<Duration>,
    /// Nothing may be deleted or shredded on request before this age (retention lock).
    pub minimum: Option<Duration>,
}

/// Retention policies by class, with a default (keep everything).
#[derive(Clone, Debug, Default)]
pub struct RetentionRules {
    by_class: BTreeMap<Class, RetentionPolicy>,
    default: RetentionPolicy,
}

impl RetentionRules {
    /// No expiry for any class.
    pub fn keep_all() -> RetentionRules {
        RetentionRules::default()
    }

    /// Sets the policy of one class.
    pub fn with_class(mut self, class: Class, policy: RetentionPolicy) -> RetentionRules {
        self.by_class.insert(class, policy);
        self
    }

    /// The policy of a class.
    pub fn policy(&self, class: &Class) -> RetentionPolicy {
        self.by_class.get(class).copied().unwrap_or(self.default)
    }
}

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Mutable retention state of one object, stored beside it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetentionState {
    /// Legal hold in force.
    pub legal_hold: bool,
    /// When the final delivery status was recorded.
    pub final_delivery_ms: Option<i64>,
}

impl RetentionState {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = b"FXPR".to_vec();
        v.push(u8::from(self.legal_hold));
        match self.final_delivery_ms {
            Some(t) => {
                v.push(1);
                v.extend_from_slice(&t.to_be_bytes());
            }
            None => v.push(0),
        }
        v
    }

    /// Parses a state record; a damaged record reads as "on hold" so nothing is deleted by
    /// mistake.
    pub(crate) fn decode(b: &[u8]) -> RetentionState {
        let hold = RetentionState {
            legal_hold: true,
            final_delivery_ms: None,
        };
        if b.len() < 6 || &b[..4] != b"FXPR" || b[4] > 1 {
            return hold;
        }
        let legal_hold = b[4] == 1;
        match (b[5], b.get(6..14)) {
            (0, _) if b.len() == 6 => RetentionState {
                legal_hold,
                final_delivery_ms: None,
            },
            (1, Some(t)) if b.len() == 14 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(t);
                RetentionState {
                    legal_hold,
                    final_delivery_ms: Some(i64::from_be_bytes(a)),
                }
            }
            _ => hold,
        }
    }
}
