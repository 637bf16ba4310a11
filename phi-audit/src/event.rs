//! Audit event schema v1 and its canonical binary encoding.
//!
//! An [`Event`] is what a caller records (with its sensitive fields in the clear). The log
//! turns it into a [`Record`]: it assigns `seq` and the time, moves the [`Sensitive`] fields
//! into an AES-256-GCM blob ([`crate::seal`]) and adds keyed search tokens. The record's
//! canonical bytes (fixed field order, big-endian integers, `u32` length prefixes, `u16` list
//! counts) are the Merkle leaf, so a leaf hash never depends on a JSON serializer. serde is
//! used only for input and export.

use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, EventError};
use serde::{Deserialize, Serialize};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u16 = 1;

/// Limits on event fields, checked when an event is recorded and when a record is decoded.
pub mod limits {
    /// Longest text field, in bytes.
    pub const MAX_TEXT: usize = 1024;
    /// Most entries in a list (objects, patients, names, tokens).
    pub const MAX_LIST: usize = 64;
    /// Largest encoded record, in bytes.
    pub const MAX_RECORD: usize = 256 * 1024;
}

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident : $repr:ty { $($(#[$vm:meta])* $v:ident = $c:expr, $s:literal;)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v,)*
        }
        impl $name {
            /// The stable wire code.
            pub fn code(self) -> $repr {
                match self { $($name::$v => $c,)* }
            }
            /// The value for a wire code, if the code is known to schema v1.
            pub fn from_code(c: $repr) -> Option<Self> {
                match c { $($c => Some($name::$v),)* _ => None }
            }
            /// The name used in JSON, CSV and syslog.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }
            /// Every value, in code order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
        }
    };
}

code_enum! {
    /// What happened.
    Kind: u16 {
        /// PHI was read.
        PhiRead = 1, "phi_read";
        /// PHI was created.
        PhiCreate = 2, "phi_create";
        /// PHI was changed.
        PhiUpdate = 3, "phi_update";
        /// PHI was deleted.
        PhiDelete = 4, "phi_delete";
        /// PHI was exported.
        PhiExport = 5, "phi_export";
        /// A fax was sent (a disclosure in the sense of 164.528).
        FaxSend = 10, "fax_send";
        /// A fax was received.
        FaxReceive = 11, "fax_receive";
        /// Delivery status of an earlier `fax_send` (see `correlation.parent_seq`).
        DeliveryStatus = 12, "delivery_status";
        /// An access policy decision (allow or deny; the outcome says which).
        PolicyDecision = 20, "policy_decision";
        /// A key was generated.
        KeyGenerate = 30, "key_generate";
        /// A key was wrapped.
        KeyWrap = 31, "key_wrap";
        /// A key was rewrapped under a new key-encryption key.
        KeyRewrap = 32, "key_rewrap";
        /// A key was destroyed (crypto-shredding).
        KeyDestroy = 33, "key_destroy";
        /// A legal hold was placed.
        RetentionHold = 40, "retention_hold";
        /// A legal hold was released.
        RetentionRelease = 41, "retention_release";
        /// Data expired under the retention policy.
        RetentionExpire = 42, "retention_expire";
        /// A user logged in.
        AuthLogin = 50, "auth_login";
        /// A user logged out.
        AuthLogout = 51, "auth_logout";
        /// An authentication attempt failed.
        AuthFailure = 52, "auth_failure";
        /// Emergency access (break-glass), 164.312(a)(2)(ii).
        AuthBreakGlass = 53, "auth_break_glass";
        /// The audit system started.
        SystemStart = 60, "system_start";
        /// The audit system stopped.
        SystemStop = 61, "system_stop";
        /// The audit system recovered after a crash.
        SystemRecover = 62, "system_recover";
        /// A checkpoint was anchored externally.
        SystemCheckpointAnchored = 63, "system_checkpoint_anchored";
    }
}

code_enum! {
    /// The result, with the DICOM / ATNA outcome codes.
    Outcome: u8 {
        /// Success (0).
        Success = 0, "success";
        /// Minor failure (4).
        MinorFailure = 4, "minor_failure";
        /// Serious failure (8).
        SeriousFailure = 8, "serious_failure";
        /// Major failure (12).
        MajorFailure = 12, "major_failure";
    }
}

code_enum! {
    /// Purpose of use (the free text, if any, is sealed).
    Purpose: u8 {
        /// Not stated.
        None = 0, "none";
        /// Treatment.
        Treatment = 1, "treatment";
        /// Payment.
        Payment = 2, "payment";
        /// Health care operations.
        Operations = 3, "operations";
        /// A disclosure that 164.528 requires to be accounted for.
        Disclosure = 4, "disclosure";
        /// Anything else.
        Other = 5, "other";
    }
}

code_enum! {
    /// Direction of a fax.
    Direction: u8 {
        /// Outgoing.
        Send = 1, "send";
        /// Incoming.
        Receive = 2, "receive";
    }
}

code_enum! {
    /// How trustworthy the record's time is.
    ClockQuality: u8 {
        /// The clock moved forward (or stayed) since the previous record.
        Monotonic = 0, "monotonic";
        /// The wall clock went backwards; `seq` still orders the records.
        WentBackwards = 1, "went_backwards";
        /// The caller supplied the time.
        CallerSupplied = 2, "caller_supplied";
    }
}

// The enums come from a macro that cannot place `#[default]` on one variant.
#[allow(clippy::derivable_impls)]
impl Default for Purpose {
    fn default() -> Self {
        Purpose::None
    }
}

/// Who acted (ATNA `ActiveParticipant`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// Unique user id (required, non-empty).
    pub principal: String,
    /// Role.
    #[serde(default)]
    pub role: String,
    /// Authentication method.
    #[serde(default)]
    pub auth_method: String,
    /// Network address.
    #[serde(default)]
    pub network: String,
    /// The actor requested the action (ATNA `UserIsRequestor`).
    #[serde(default)]
    pub requestor: bool,
}

/// Where the event was recorded (ATNA `AuditSourceIdentification`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Deployment id.
    #[serde(default)]
    pub deployment: String,
    /// Host name.
    #[serde(default)]
    pub host: String,
    /// Software and version.
    #[serde(default)]
    pub software: String,
}

/// An object the event is about (fax job, stored object, document).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectRef {
    /// Type, e.g. `fax_job`, `store_object`.
    pub kind: String,
    /// Identifier.
    pub id: String,
    /// Role, e.g. `document`.
    #[serde(default)]
    pub role: String,
    /// SHA-256 of the stored object's header (binds a store object version), lowercase hex.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex32")]
    pub header_sha256: Option<[u8; 32]>,
}

/// Fax fields (the remote number is sensitive and lives in [`Sensitive`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fax {
    /// Send or receive.
    pub direction: Option<Direction>,
    /// Our number.
    #[serde(default)]
    pub local_number: String,
    /// Pages transferred.
    #[serde(default)]
    pub pages: u32,
    /// T.30 completion code or text.
    #[serde(default)]
    pub t30_result: String,
    /// Call id.
    #[serde(default)]
    pub call_id: String,
    /// Attempt number.
    #[serde(default)]
    pub attempt: u32,
}

/// Correlation with requests and earlier events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correlation {
    /// Request id.
    #[serde(default)]
    pub request_id: String,
    /// An earlier event this one refers to (a delivery status names its fax send).
    #[serde(default)]
    pub parent_seq: Option<u64>,
}

/// The sensitive fields, sealed with AES-256-GCM under the segment key in the stored record.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensitive {
    /// The remote fax number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_number: Option<String>,
    /// Patient references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patients: Vec<String>,
    /// Names (recipient, sender).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Purpose of use in words; a document description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose_text: Option<String>,
}

impl core::fmt::Debug for Sensitive {
    /// Redacted: sensitive fields never reach a log line through `Debug`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

impl Sensitive {
    /// True if there is nothing to seal.
    pub fn is_empty(&self) -> bool {
        self.remote_number.is_none()
            && self.patients.is_empty()
            && self.names.is_empty()
            && self.purpose_text.is_none()
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = Writer {
            buf: Vec::with_capacity(128),
        };
        w.u8(1); // version of the sealed plaintext
        opt_str(&mut w, self.remote_number.as_deref());
        str_list(&mut w, &self.patients);
        str_list(&mut w, &self.names);
        opt_str(&mut w, self.purpose_text.as_deref());
        w.buf
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes, limits::MAX_TEXT);
        if r.u8()? != 1 {
            return Err(DecodeError::BadTag);
        }
        let s = Sensitive {
            remote_number: read_opt_str(&mut r)?,
            patients: read_str_list(&mut r)?,
            names: read_str_list(&mut r)?,
            purpose_text: read_opt_str(&mut r)?,
        };
        r.finish()?;
        Ok(s)
    }
}

/// An event as a caller records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Time in ns since the Unix epoch, UTC. Omit to let the log's clock stamp it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ns: Option<i64>,
    /// What happened.
    pub kind: Kind,
    /// The result.
    pub outcome: Outcome,
    /// Who acted.
    pub actor: Actor,
    /// Where it was recorded.
    #[serde(default)]
    pub source: Source,
    /// What it was about.
    #[serde(default)]
    pub objects: Vec<ObjectRef>,
    /// Fax details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax: Option<Fax>,
    /// Purpose of use.
    #[serde(default)]
    pub purpose: Purpose,
    /// Correlation.
    #[serde(default)]
    pub correlation: Correlation,
    /// Sensitive fields (sealed when recorded).
    #[serde(default)]
    pub sensitive: Sensitive,
}

impl Event {
    /// A minimal event: `kind` and `outcome` by `principal`.
    pub fn new(kind: Kind, outcome: Outcome, principal: &str) -> Self {
        Event {
            time_ns: None,
            kind,
            outcome,
            actor: Actor {
                principal: principal.to_owned(),
                ..Actor::default()
            },
            source: Source::default(),
            objects: Vec::new(),
            fax: None,
            purpose: Purpose::None,
            correlation: Correlation::default(),
            sensitive: Sensitive::default(),
        }
    }

    /// An example fax-send event (used by `faxctl audit example-event` and the docs).
    pub fn example() -> Self {
        let mut e = Event::new(Kind::FaxSend, Outcome::Success, "dr.jones");
        e.actor.role = "physician".into();
        e.actor.auth_method = "oidc".into();
        e.actor.requestor = true;
        e.source = Source {
            deployment: "clinic-a".into(),
            host: "fax-gw-1".into(),
            software: "faxkit 0.1".into(),
        };
        e.objects.push(ObjectRef {
            kind: "fax_job".into(),
            id: "job-0001".into(),
            role: "document".into(),
            header_sha256: None,
        });
        e.fax = Some(Fax {
            direction: Some(Direction::Send),
            local_number: "+15550100".into(),
            pages: 3,
            t30_result: "MCF".into(),
            call_id: "call-42".into(),
            attempt: 1,
        });
        e.purpose = Purpose::Treatment;
        e.correlation.request_id = "req-7".into();
        e.sensitive = Sensitive {
            remote_number: Some("+15550199".into()),
            patients: vec!["MRN-000123".into()],
            names: vec!["Cardiology Dept".into()],
            purpose_text: Some("referral letter".into()),
        };
        e
    }

    /// Checks the rules every recorded event must meet.
    ///
    /// # Errors
    /// [`EventError::NoPrincipal`] for an empty principal, [`EventError::TooLong`] when a
    /// field or list exceeds [`limits`].
    pub fn validate(&self) -> Result<(), EventError> {
        if self.actor.principal.trim().is_empty() {
            return Err(EventError::NoPrincipal);
        }
        let texts: [(&'static str, &str); 7] = [
            ("actor.principal", &self.actor.principal),
            ("actor.role", &self.actor.role),
            ("actor.auth_method", &self.actor.auth_method),
            ("actor.network", &self.actor.network),
            ("source.deployment", &self.source.deployment),
            ("source.host", &self.source.host),
            ("source.software", &self.source.software),
        ];
        for (name, t) in texts {
            if t.len() > limits::MAX_TEXT {
                return Err(EventError::TooLong(name));
            }
        }
        if self.correlation.request_id.len() > limits::MAX_TEXT {
            return Err(EventError::TooLong("correlation.request_id"));
        }
        if self.objects.len() > limits::MAX_LIST {
            return Err(EventError::TooLong("objects"));
        }
        for o in &self.objects {
            if o.kind.len() > limits::MAX_TEXT
                || o.id.len() > limits::MAX_TEXT
                || o.role.len() > limits::MAX_TEXT
            {
                return Err(EventError::TooLong("objects[]"));
            }
        }
        if let Some(f) = &self.fax {
            if [&f.local_number, &f.t30_result, &f.call_id]
                .iter()
                .any(|t| t.len() > limits::MAX_TEXT)
            {
                return Err(EventError::TooLong("fax"));
            }
        }
        let s = &self.sensitive;
        if s.patients.len() > limits::MAX_LIST || s.names.len() > limits::MAX_LIST {
            return Err(EventError::TooLong("sensitive lists"));
        }
        if s.remote_number
            .iter()
            .chain(s.purpose_text.iter())
            .chain(&s.patients)
            .chain(&s.names)
            .any(|t| t.len() > limits::MAX_TEXT)
        {
            return Err(EventError::TooLong("sensitive"));
        }
        Ok(())
    }
}

/// A keyed search token (truncated HMAC-SHA256), see [`crate::seal::TokenKey`].
pub type Token = [u8; 16];

/// Sealed sensitive fields: AES-256-GCM ciphertext (with tag) under the segment key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct SealedBlob {
    /// Random 96-bit nonce.
    pub nonce: [u8; 12],
    /// Ciphertext followed by the 16-byte tag.
    pub ciphertext: Vec<u8>,
}

/// A stored event: the Merkle leaf.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Record {
    /// Sequence number, dense from 0, equal to the Merkle leaf index.
    pub seq: u64,
    /// Time in ns since the Unix epoch, UTC.
    pub time_ns: i64,
    /// How the time was obtained.
    pub clock: ClockQuality,
    /// The public fields (its `sensitive` part is always empty here).
    pub event: Event,
    /// Keyed search tokens of the sensitive fields.
    pub tokens: Vec<Token>,
    /// The sealed sensitive fields, if there were any.
    pub sealed: Option<SealedBlob>,
}

fn opt_str(w: &mut Writer, s: Option<&str>) {
    match s {
        None => w.u8(0),
        Some(s) => {
            w.u8(1);
            w.str(s);
        }
    }
}
fn read_opt_str(r: &mut Reader<'_>) -> Result<Option<String>, DecodeError> {
    match r.u8()? {
        0 => Ok(None),
        1 => Ok(Some(r.str()?)),
        _ => Err(DecodeError::BadTag),
    }
}
fn str_list(w: &mut Writer, list: &[String]) {
    w.u16(u16::try_from(list.len()).unwrap_or(u16::MAX));
    for s in list {
        w.str(s);
    }
}
fn read_str_list(r: &mut Reader<'_>) -> Result<Vec<String>, DecodeError> {
    let n = r.count(limits::MAX_LIST)?;
    (0..n).map(|_| r.str()).collect()
}

impl Record {
    /// The canonical bytes: the Merkle leaf input.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(384);
        self.encode_into(&mut out);
        out
    }

    /// Appends the canonical bytes to `out` (the log encodes straight into its frame
    /// buffer: no allocation per record).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let mut w = Writer {
            buf: std::mem::take(out),
        };
        w.u16(SCHEMA_VERSION);
        w.u64(self.seq);
        w.i64(self.time_ns);
        w.u8(self.clock.code());
        let e = &self.event;
        w.u16(e.kind.code());
        w.u8(e.outcome.code());
        w.str(&e.actor.principal);
        w.str(&e.actor.role);
        w.str(&e.actor.auth_method);
        w.str(&e.actor.network);
        w.bool(e.actor.requestor);
        w.str(&e.source.deployment);
        w.str(&e.source.host);
        w.str(&e.source.software);
        w.u16(u16::try_from(e.objects.len()).unwrap_or(u16::MAX));
        for o in &e.objects {
            w.str(&o.kind);
            w.str(&o.id);
            w.str(&o.role);
            match &o.header_sha256 {
                None => w.u8(0),
                Some(h) => {
                    w.u8(1);
                    w.raw(h);
                }
            }
        }
        match &e.fax {
            None => w.u8(0),
            Some(f) => {
                w.u8(1);
                w.u8(f.direction.map_or(0, Direction::code));
                w.str(&f.local_number);
                w.u32(f.pages);
                w.str(&f.t30_result);
                w.str(&f.call_id);
                w.u32(f.attempt);
            }
        }
        w.u8(e.purpose.code());
        w.str(&e.correlation.request_id);
        w.opt_u64(e.correlation.parent_seq);
        w.u16(u16::try_from(self.tokens.len()).unwrap_or(u16::MAX));
        for t in &self.tokens {
            w.raw(t);
        }
        match &self.sealed {
            None => w.u8(0),
            Some(s) => {
                w.u8(1);
                w.raw(&s.nonce);
                w.bytes(&s.ciphertext);
            }
        }
        *out = w.buf;
    }

    /// The seq of canonical record bytes, without decoding the rest.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] or [`DecodeError::Schema`].
    pub fn peek_seq(bytes: &[u8]) -> Result<u64, DecodeError> {
        let mut r = Reader::new(bytes, 0);
        let schema = r.u16()?;
        if schema != SCHEMA_VERSION {
            return Err(DecodeError::Schema(schema));
        }
        r.u64()
    }

    /// Checks that `bytes` would decode, without building the record (no allocation), and
    /// returns its seq: what full verification does for every event. Accepts exactly what
    /// [`Record::decode`] accepts (the fuzz target `phi_audit_event_decode` checks this).
    ///
    /// # Errors
    /// As [`Record::decode`].
    pub fn check(bytes: &[u8]) -> Result<u64, DecodeError> {
        if bytes.len() > limits::MAX_RECORD {
            return Err(DecodeError::TooLong);
        }
        let mut r = Reader::new(bytes, limits::MAX_TEXT);
        let schema = r.u16()?;
        if schema != SCHEMA_VERSION {
            return Err(DecodeError::Schema(schema));
        }
        let seq = r.u64()?;
        r.i64()?;
        ClockQuality::from_code(r.u8()?).ok_or(DecodeError::BadTag)?;
        Kind::from_code(r.u16()?).ok_or(DecodeError::BadTag)?;
        Outcome::from_code(r.u8()?).ok_or(DecodeError::BadTag)?;
        for _ in 0..4 {
            r.skip_str()?; // principal, role, auth method, network
        }
        r.bool()?;
        for _ in 0..3 {
            r.skip_str()?; // deployment, host, software
        }
        for _ in 0..r.count(limits::MAX_LIST)? {
            for _ in 0..3 {
                r.skip_str()?;
            }
            match r.u8()? {
                0 => {}
                1 => {
                    r.take(32)?;
                }
                _ => return Err(DecodeError::BadTag),
            }
        }
        match r.u8()? {
            0 => {}
            1 => {
                match r.u8()? {
                    0 => {}
                    c => {
                        Direction::from_code(c).ok_or(DecodeError::BadTag)?;
                    }
                }
                r.skip_str()?;
                r.u32()?;
                r.skip_str()?;
                r.skip_str()?;
                r.u32()?;
            }
            _ => return Err(DecodeError::BadTag),
        }
        Purpose::from_code(r.u8()?).ok_or(DecodeError::BadTag)?;
        r.skip_str()?;
        r.opt_u64()?;
        let n = r.count(limits::MAX_LIST * 2)?;
        r.take(n * 16)?;
        match r.u8()? {
            0 => {}
            1 => {
                r.take(12)?;
                r.bytes_max(limits::MAX_RECORD)?;
            }
            _ => return Err(DecodeError::BadTag),
        }
        r.finish()?;
        Ok(seq)
    }

    /// Decodes canonical bytes. Exactly the bytes [`Record::encode`] produces are accepted.
    ///
    /// # Errors
    /// A [`DecodeError`] for truncated, oversized, unknown or trailing data.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > limits::MAX_RECORD {
            return Err(DecodeError::TooLong);
        }
        let mut r = Reader::new(bytes, limits::MAX_TEXT);
        let schema = r.u16()?;
        if schema != SCHEMA_VERSION {
            return Err(DecodeError::Schema(schema));
        }
        let seq = r.u64()?;
        let time_ns = r.i64()?;
        let clock = ClockQuality::from_code(r.u8()?).ok_or(DecodeError::BadTag)?;
        let kind = Kind::from_code(r.u16()?).ok_or(DecodeError::BadTag)?;
        let outcome = Outcome::from_code(r.u8()?).ok_or(DecodeError::BadTag)?;
        let actor = Actor {
            principal: r.str()?,
            role: r.str()?,
            auth_method: r.str()?,
            network: r.str()?,
            requestor: r.bool()?,
        };
        let source = Source {
            deployment: r.str()?,
            host: r.str()?,
            software: r.str()?,
        };
        let n = r.count(limits::MAX_LIST)?;
        let mut objects = Vec::with_capacity(n);
        for _ in 0..n {
            objects.push(ObjectRef {
                kind: r.str()?,
                id: r.str()?,
                role: r.str()?,
                header_sha256: match r.u8()? {
                    0 => None,
                    1 => Some(r.array()?),
                    _ => return Err(DecodeError::BadTag),
                },
            });
        }
        let fax = match r.u8()? {
            0 => None,
            1 => Some(Fax {
                direction: match r.u8()? {
                    0 => None,
                    c => Some(Direction::from_code(c).ok_or(DecodeError::BadTag)?),
                },
                local_number: r.str()?,
                pages: r.u32()?,
                t30_result: r.str()?,
                call_id: r.str()?,
                attempt: r.u32()?,
            }),
            _ => return Err(DecodeError::BadTag),
        };
        let purpose = Purpose::from_code(r.u8()?).ok_or(DecodeError::BadTag)?;
        let correlation = Correlation {
            request_id: r.str()?,
            parent_seq: r.opt_u64()?,
        };
        let n = r.count(limits::MAX_LIST * 2)?;
        let mut tokens = Vec::with_capacity(n);
        for _ in 0..n {
            tokens.push(r.array()?);
        }
        let sealed = match r.u8()? {
            0 => None,
            1 => {
                let nonce = r.array()?;
                let ciphertext = r.bytes_max(limits::MAX_RECORD)?.to_vec();
                Some(SealedBlob { nonce, ciphertext })
            }
            _ => return Err(DecodeError::BadTag),
        };
        r.finish()?;
        Ok(Record {
            seq,
            time_ns,
            clock,
            event: Event {
                time_ns: Some(time_ns),
                kind,
                outcome,
                actor,
                source,
                objects,
                fax,
                purpose,
                correlation,
                sensitive: Sensitive::default(),
            },
            tokens,
            sealed,
        })
    }
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(h) => s.serialize_str(&crate::hex(h)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<[u8; 32]>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => crate::unhex32(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("expected 64 hex digits")),
        }
    }
}
