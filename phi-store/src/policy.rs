//! Access policy: who may do what, to which tenant and class, for which purpose. Every store
//! operation asks the [`Policy`] before any key is unwrapped; every decision, allow or deny,
//! goes to the audit hook. The built-in [`RolePolicy`] denies by default and denies model
//! training even when a rule lists it, unless explicitly switched on.

use crate::error::{Result, StoreError};
use crate::names::{Class, ObjectId, Tenant};

/// An authenticated principal (person or service account): a non-empty opaque id that the
/// application sets after authenticating it. There is no anonymous principal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Principal(String);

impl Principal {
    /// A principal id: 1 to 128 printable ASCII characters.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] otherwise.
    pub fn new(id: &str) -> Result<Principal> {
        if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(StoreError::Invalid("principal: 1-128 printable ASCII"));
        }
        Ok(Principal(id.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A role name (`clinician`, `billing`, `admin`, ...), defined by the application.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Role(pub String);

/// Purpose of use (after the HL7 PurposeOfUse codes that HIPAA permissions follow).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// Treatment (TREAT).
    Treatment,
    /// Payment (HPAYMT).
    Payment,
    /// Health care operations (HOPERAT), including store maintenance.
    Operations,
    /// The patient's own request (PATRQT).
    PatientRequest,
    /// A disclosure the patient authorized or the law requires.
    AuthorizedDisclosure,
    /// Emergency ("break-glass") access.
    Emergency,
    /// Training machine-learning models: denied unless explicitly enabled.
    ModelTraining,
}

/// What a request wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Read content.
    Get,
    /// Store new content.
    Put,
    /// Read metadata only (class, size, type, dates).
    Head,
    /// Delete an object.
    Delete,
    /// Export content out of the store.
    Export,
    /// Key maintenance: rotate, rewrap, retire, shred.
    ManageKeys,
    /// Retention: legal hold, final delivery, sweep.
    ManageRetention,
}

/// Who is asking and why.
#[derive(Clone, Debug)]
pub struct AccessContext {
    /// The authenticated principal.
    pub principal: Principal,
    /// Its roles.
    pub roles: Vec<Role>,
    /// Purpose of use.
    pub purpose: Purpose,
}

impl AccessContext {
    /// A context with one role.
    pub fn new(principal: Principal, role: &str, purpose: Purpose) -> AccessContext {
        AccessContext {
            principal,
            roles: vec![Role(role.to_owned())],
            purpose,
        }
    }
}

/// One request as the policy sees it.
#[derive(Clone, Debug)]
pub struct AccessRequest<'a> {
    /// Who and why.
    pub ctx: &'a AccessContext,
    /// What.
    pub action: Action,
    /// Which tenant.
    pub tenant: &'a Tenant,
    /// Which class, once known.
    pub class: Option<&'a Class>,
    /// Which object, if one.
    pub object: Option<ObjectId>,
}

/// The answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused.
    Deny,
}

/// Decides requests. Must be deterministic and side-effect free (the store audits).
pub trait Policy: Send + Sync {
    /// Decides one request.
    fn decide(&self, req: &AccessRequest<'_>) -> Decision;
}

/// One allow rule: a role may take these actions for these purposes, optionally limited to
/// some tenants and classes.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Role the rule applies to.
    pub role: String,
    /// Allowed actions.
    pub actions: Vec<Action>,
    /// Allowed purposes.
    pub purposes: Vec<Purpose>,
    /// Tenants (`None`: all).
    pub tenants: Option<Vec<Tenant>>,
    /// Classes (`None`: all).
    pub classes: Option<Vec<Class>>,
}

/// Deny-by-default role policy: a request is allowed if some rule for one of its roles lists
/// its action, purpose, tenant and class. Model training is denied unless
/// [`RolePolicy::allow_model_training`] was called, whatever the rules say.
#[derive(Clone, Debug, Default)]
pub struct RolePolicy {
    rules: Vec<Rule>,
    model_training: bool,
}

impl RolePolicy {
    /// A policy that denies everything.
    pub fn deny_all() -> RolePolicy {
        RolePolicy::default()
    }

    /// Adds a rule.
    pub fn allow(mut self, rule: Rule) -> RolePolicy {
        self.rules.push(rule);
        self
    }

    /// Lets rules that list [`Purpose::ModelTraining`] take effect.
    pub fn allow_model_training(mut self) -> RolePolicy {
        self.model_training = true;
        self
    }
}

impl Policy for RolePolicy {
    fn decide(&self, req: &AccessRequest<'_>) -> Decision {
        if req.ctx.purpose == Purpose::ModelTraining && !self.model_training {
            return Decision::Deny;
        }
        let ok = self.rules.iter().any(|r| {
            req.ctx.roles.iter().any(|role| role.0 == r.role)
                && r.actions.contains(&req.action)
                && r.purposes.contains(&req.ctx.purpose)
                && r.tenants.as_ref().is_none_or(|t| t.contains(req.tenant))
                && match (&r.classes, req.class) {
                    (None, _) => true,
                    (Some(cs), Some(c)) => cs.contains(c),
                    (Some(_), None) => false,
                }
        });
        if ok {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }
}
