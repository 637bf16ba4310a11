//! What `faxctl` does against a data directory, with or without a running faxd: submit a
//! job, read the status, list and read an inbox. Every decision is audited (through the
//! running faxd's spool, or directly when it is not running; see [`super::audit`]).

use super::audit::{self, event, job_ref, object};
use super::config::Config;
use super::data::{now_ms, random_hex, write_atomic, DataDir};
use super::document::{self, Envelope};
use super::error::{FaxdError, Result};
use super::queue::{self, Job, JobState};
use super::server::InboxEntry;
use super::status::Status;
use super::store::{self as fstore, Collected, GATEWAY_ROLE, OUTBOUND};
use crate::cover::{self, CoverSheet};
use phi_audit::event::Purpose as AuditPurpose;
use phi_audit::{Event, Kind, Outcome};
use phi_store::policy::{AccessContext, Principal, Purpose};
use std::path::Path;

/// A job to submit.
#[derive(Clone)]
pub struct SubmitRequest {
    /// The destination number (must be in the recipient directory).
    pub to: String,
    /// The pages (1728 pels wide).
    pub pages: Vec<t30::Page>,
    /// The cover page, or `None` for `--no-cover`.
    pub cover: Option<CoverSheet>,
    /// Send to an unverified recipient, with this reason (audited).
    pub allow_unverified: Option<String>,
    /// Who submits.
    pub principal: String,
    /// In which role.
    pub role: String,
}

impl core::fmt::Debug for SubmitRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SubmitRequest")
            .field("pages", &self.pages.len())
            .finish_non_exhaustive()
    }
}

/// Loads the configuration of a data directory.
///
/// # Errors
/// As [`Config::load`].
pub fn load(data: &DataDir) -> Result<Config> {
    let mut cfg = Config::load(&data.config())?;
    // The directory given on the command line wins over a relative data_dir.
    if cfg.data_dir.as_deref().is_some_and(|d| !d.is_absolute()) {
        cfg.data_dir = Some(data.root().to_path_buf());
    }
    Ok(cfg)
}

fn refusal(req: &SubmitRequest, why: &str) -> Event {
    let mut e = event(
        Kind::PolicyDecision,
        Outcome::MinorFailure,
        &req.principal,
        &req.role,
    );
    e.purpose = AuditPurpose::Disclosure;
    e.correlation.request_id = format!("submit refused: {why}");
    e.sensitive.remote_number = Some(req.to.clone());
    e
}

/// Queues a job durably; returns its id.
///
/// # Errors
/// [`FaxdError::Invalid`] for an unknown or unverified recipient (without the override) or
/// a bad document; [`FaxdError::Limit`] for more pages than the destination class allows.
pub fn submit(data: &DataDir, req: &SubmitRequest) -> Result<String> {
    let cfg = load(data)?;
    let data = &DataDir::new(cfg.data_dir());
    if req.principal.trim().is_empty() {
        return Err(FaxdError::Usage("--principal: who submits the fax".into()));
    }
    if req.pages.is_empty() {
        return Err(FaxdError::Invalid("the document has no page".into()));
    }
    let Some(r) = cfg.recipient(&req.to).cloned() else {
        audit::record(data, vec![refusal(req, "unknown recipient")])?;
        return Err(FaxdError::Invalid(
            "the destination is not in the recipient directory: add a [[recipient]] with its \
             address to faxd.toml (and verify it)"
                .into(),
        ));
    };
    let mut events = Vec::new();
    if !r.verified {
        match &req.allow_unverified {
            None => {
                audit::record(data, vec![refusal(req, "unverified recipient")])?;
                return Err(FaxdError::Invalid(
                    "the destination is not verified: verify it in the recipient directory, or \
                     override with --allow-unverified --reason TEXT (audited)"
                        .into(),
                ));
            }
            Some(reason) if reason.trim().is_empty() => {
                return Err(FaxdError::Usage(
                    "--allow-unverified needs --reason TEXT".into(),
                ))
            }
            Some(reason) => {
                let mut e = event(
                    Kind::PolicyDecision,
                    Outcome::Success,
                    &req.principal,
                    &req.role,
                );
                e.purpose = AuditPurpose::Disclosure;
                e.correlation.request_id = "override: unverified recipient".into();
                e.sensitive.remote_number = Some(req.to.clone());
                e.sensitive.purpose_text = Some(reason.clone());
                events.push(e);
            }
        }
    }
    let total = req.pages.len() + usize::from(req.cover.is_some());
    let limit = cfg.limits.max_pages(&r.class);
    if total > limit as usize {
        audit::record(data, vec![refusal(req, "page limit")])?;
        return Err(FaxdError::Limit(format!(
            "{total} pages (cover included) exceed the limit of {limit} for destination class {}",
            r.class
        )));
    }
    let mut pages = Vec::with_capacity(total);
    let mut names = Vec::new();
    let mut patient = None;
    if let Some(sheet) = &req.cover {
        let mut sheet = sheet.clone();
        if sheet.to.is_empty() {
            sheet.to = r.name.clone();
        }
        sheet.pages = u32::try_from(req.pages.len()).unwrap_or(u32::MAX);
        if sheet.date.is_empty() {
            sheet.date = super::data::utc_minute(now_ms());
        }
        let first = req
            .pages
            .first()
            .map_or(t30::Resolution::Fine, |p| p.resolution);
        pages.push(
            cover::render(&sheet, first)
                .map_err(|e| FaxdError::Invalid(format!("cover page: {e}")))?,
        );
        names = [sheet.to.clone(), sheet.from.clone()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        patient = Some(sheet.patient_reference.clone()).filter(|s| !s.is_empty());
    }
    pages.extend(req.pages.iter().cloned());
    let env = Envelope {
        remote_number: req.to.clone(),
        names: names.clone(),
        patient: patient.clone(),
    };
    let blob = document::encode(&env, &pages)?;
    let hook = Collected::default();
    let store = fstore::open(&cfg, data, hook.clone())?;
    let tenant = fstore::tenant(&cfg.outbound.tenant)?;
    let ct = phi_store::ContentType::new("application/x-faxd-document")
        .map_err(|e| FaxdError::store("content type", &e))?;
    let put = store.put_bytes(
        &fstore::gateway()?,
        &tenant,
        &fstore::class(OUTBOUND)?,
        ct,
        &blob,
    );
    events.extend(audit::from_store(hook.take(), GATEWAY_ROLE));
    let oid = match put {
        Ok(id) => id.to_string(),
        Err(e) => {
            audit::record(data, events)?;
            return Err(FaxdError::store("put", &e));
        }
    };
    let id = format!("j{}", random_hex(12));
    let mut e = event(Kind::PhiCreate, Outcome::Success, &req.principal, &req.role);
    e.actor.requestor = true;
    e.purpose = AuditPurpose::Disclosure;
    e.objects.push(job_ref(&id));
    e.objects.push(object(&oid, "document"));
    e.correlation.request_id = format!("submit {id}");
    e.sensitive.remote_number = Some(req.to.clone());
    e.sensitive.names = names;
    e.sensitive.patients = patient.into_iter().collect();
    events.push(e);
    let seqs = audit::record(data, events)?;
    let now = now_ms();
    let job = Job {
        id: id.clone(),
        state: JobState::Pending,
        object: oid,
        tenant: cfg.outbound.tenant.clone(),
        class: r.class.clone(),
        pages: u32::try_from(total).unwrap_or(u32::MAX),
        attempts: 0,
        max_attempts: cfg.retries.attempts,
        next_try_ms: now,
        created_ms: now,
        finished_ms: None,
        last_result: String::new(),
        shredded: false,
        submit_seq: seqs.last().copied(),
    };
    job.save(data)?;
    Ok(id)
}

/// The jobs (from the queue directory) and faxd's last status file, if any.
///
/// # Errors
/// An unreadable configuration.
pub fn status(data: &DataDir) -> Result<(Vec<Job>, Option<Status>)> {
    let cfg = load(data)?;
    let data = DataDir::new(cfg.data_dir());
    let (jobs, _) = queue::list(&data);
    let st = std::fs::read(data.status())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    Ok((jobs, st))
}

/// Who reads an inbox.
#[derive(Clone, Debug)]
pub struct Reader {
    /// The authenticated principal.
    pub principal: String,
    /// The role.
    pub role: String,
    /// Purpose of use.
    pub purpose: Purpose,
}

/// Parses a purpose name: `treatment`, `payment` or `operations`.
///
/// # Errors
/// [`FaxdError::Usage`] for anything else.
pub fn purpose(s: &str) -> Result<Purpose> {
    match s {
        "treatment" => Ok(Purpose::Treatment),
        "payment" => Ok(Purpose::Payment),
        "operations" => Ok(Purpose::Operations),
        _ => Err(FaxdError::Usage(
            "--purpose: treatment, payment or operations".into(),
        )),
    }
}

fn audit_purpose(p: Purpose) -> AuditPurpose {
    match p {
        Purpose::Treatment => AuditPurpose::Treatment,
        Purpose::Payment => AuditPurpose::Payment,
        _ => AuditPurpose::Operations,
    }
}

/// Checks the inbox-level rule (the role is one of the inbox's roles); audits a refusal.
fn admit(
    data: &DataDir,
    cfg: &Config,
    inbox: &str,
    who: &Reader,
    what: &str,
) -> Result<(String, AccessContext)> {
    let Some(i) = cfg.inbox(inbox) else {
        return Err(FaxdError::Usage(format!(
            "no inbox named {inbox:?} in faxd.toml"
        )));
    };
    let allowed = who.role != GATEWAY_ROLE && i.roles.iter().any(|r| r == &who.role);
    if !allowed {
        let mut e = event(
            Kind::PolicyDecision,
            Outcome::MinorFailure,
            &who.principal,
            &who.role,
        );
        e.purpose = audit_purpose(who.purpose);
        e.correlation.request_id = format!("inbox {what} {inbox}: role not allowed");
        audit::record(data, vec![e])?;
        return Err(FaxdError::Invalid(format!(
            "access denied: role {:?} may not read inbox {inbox}",
            who.role
        )));
    }
    let p = Principal::new(&who.principal)
        .map_err(|_| FaxdError::Usage("--principal: 1-128 printable ASCII characters".into()))?;
    Ok((
        i.tenant.clone(),
        AccessContext::new(p, &who.role, who.purpose),
    ))
}

fn entries(data: &DataDir, inbox: &str) -> Vec<InboxEntry> {
    let mut v: Vec<InboxEntry> = std::fs::read_dir(data.inbox(inbox))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    v.sort_by_key(|e| e.received_ms);
    v
}

/// An inbox entry with whether its content is still there.
#[derive(Clone, Debug)]
pub struct Listed {
    /// The index entry.
    pub entry: InboxEntry,
    /// True if the content was shredded (retention).
    pub shredded: bool,
}

/// Lists an inbox (metadata only); every decision audited.
///
/// # Errors
/// Access denied, an unknown inbox, store or audit failures.
pub fn inbox_list(data: &DataDir, inbox: &str, who: &Reader) -> Result<Vec<Listed>> {
    let cfg = load(data)?;
    let data = &DataDir::new(cfg.data_dir());
    let (tenant, ctx) = admit(data, &cfg, inbox, who, "list")?;
    let hook = Collected::default();
    let store = fstore::open(&cfg, data, hook.clone())?;
    let t = fstore::tenant(&tenant)?;
    let mut out = Vec::new();
    let mut denied = None;
    for entry in entries(data, inbox) {
        let Ok(oid) = phi_store::ObjectId::parse(&entry.object) else {
            continue;
        };
        match store.head(&ctx, &t, oid) {
            Ok(info) => out.push(Listed {
                entry,
                shredded: info.shredded,
            }),
            Err(e) => {
                denied = Some(e);
                break;
            }
        }
    }
    let mut events = audit::from_store(hook.take(), &who.role);
    let mut e = event(
        Kind::PolicyDecision,
        if denied.is_some() {
            Outcome::MinorFailure
        } else {
            Outcome::Success
        },
        &who.principal,
        &who.role,
    );
    e.purpose = audit_purpose(who.purpose);
    e.correlation.request_id = format!("inbox list {inbox}");
    events.push(e);
    audit::record(data, events)?;
    if let Some(e) = denied {
        return Err(FaxdError::Invalid(format!("access denied: {e}")));
    }
    Ok(out)
}

/// Decrypts one fax of an inbox into `out` (written only after the read was audited and
/// every byte authenticated).
///
/// # Errors
/// Access denied, an object not in that inbox, store or audit failures.
pub fn inbox_get(
    data: &DataDir,
    inbox: &str,
    who: &Reader,
    object_id: &str,
    out: &Path,
) -> Result<InboxEntry> {
    let cfg = load(data)?;
    let data = &DataDir::new(cfg.data_dir());
    let (tenant, ctx) = admit(data, &cfg, inbox, who, "get")?;
    let Some(entry) = entries(data, inbox)
        .into_iter()
        .find(|e| e.object == object_id)
    else {
        return Err(FaxdError::Invalid(format!(
            "object {object_id} is not in inbox {inbox}"
        )));
    };
    let oid = phi_store::ObjectId::parse(object_id)
        .map_err(|_| FaxdError::Usage("OBJECT_ID: 32 hex digits".into()))?;
    let hook = Collected::default();
    let store = fstore::open(&cfg, data, hook.clone())?;
    let got = store.get_bytes(&ctx, &fstore::tenant(&tenant)?, oid);
    let mut events = audit::from_store(hook.take(), &who.role);
    let mut e = event(
        Kind::PhiRead,
        if got.is_ok() {
            Outcome::Success
        } else {
            Outcome::MinorFailure
        },
        &who.principal,
        &who.role,
    );
    e.actor.requestor = true;
    e.purpose = audit_purpose(who.purpose);
    e.objects.push(object(object_id, "document"));
    e.correlation.request_id = format!("inbox get {inbox}");
    events.push(e);
    audit::record(data, events)?;
    let bytes = got.map_err(|e| FaxdError::Invalid(format!("object {object_id}: {e}")))?;
    write_atomic(out, &bytes)?;
    Ok(entry)
}

/// Seconds until `ms` (negative: past).
pub fn secs_until(ms: i64) -> f64 {
    // Millisecond counts fit an f64 exactly for the next 285 000 years.
    #[allow(clippy::cast_precision_loss)]
    let d = (ms - now_ms()) as f64 / 1000.0;
    d
}
