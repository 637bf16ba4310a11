//! Exports for auditors and reviewers: JSON Lines (every field, leaf hashes and the closing
//! signed checkpoint), CSV with the columns a fax audit asks for (formula-injection safe),
//! FHIR R4 `AuditEvent` resources shaped after IHE BALP, and a per-patient accounting of
//! disclosures (45 CFR 164.528) with an inclusion proof for every listed event.
//!
//! Sealed fields appear only in a revealing export ([`Reveal::Yes`]); otherwise numbers and
//! names are absent and rows say `sealed`. A segment whose key has expired says `expired`.

use crate::error::LogError;
use crate::event::{Direction, Kind, Outcome, Record, Sensitive};
use crate::merkle::leaf_hash;
use crate::proof::Proof;
use crate::scan::Scanned;
use crate::seal::{TokenKey, TokenKind};
use crate::storage::Storage;
use crate::time;
use serde_json::{json, Value};
use std::io::Write;

/// Whether sealed fields are decrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reveal {
    /// Leave sealed fields sealed (the default; no PHI in the export).
    No,
    /// Decrypt with the segment keys (an authorised export; record it as `phi_export`).
    Yes,
}

/// Which events to export: a seq range and a time range, both inclusive.
#[derive(Clone, Copy, Debug)]
pub struct Range {
    /// First seq.
    pub from_seq: u64,
    /// Last seq.
    pub to_seq: u64,
    /// Earliest time (ns).
    pub from_ns: i64,
    /// Latest time (ns).
    pub to_ns: i64,
}

impl Default for Range {
    fn default() -> Self {
        Range {
            from_seq: 0,
            to_seq: u64::MAX,
            from_ns: i64::MIN,
            to_ns: i64::MAX,
        }
    }
}

impl Range {
    fn contains(&self, r: &Record) -> bool {
        (self.from_seq..=self.to_seq).contains(&r.seq)
            && (self.from_ns..=self.to_ns).contains(&r.time_ns)
    }
}

/// The sensitive fields of a record, as far as they can be shown.
enum Shown {
    None,
    Sealed,
    Expired,
    Open(Sensitive),
}

/// A scanned log (with records) plus the storage for sealing keys.
pub struct Exporter<'a> {
    scanned: &'a Scanned,
    storage: &'a dyn Storage,
    reveal: Reveal,
    token: Option<crate::event::Token>,
}

impl core::fmt::Debug for Exporter<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Exporter")
            .field("reveal", &self.reveal)
            .finish_non_exhaustive()
    }
}

fn io(e: std::io::Error) -> LogError {
    LogError::Io {
        op: "write export",
        source: e,
    }
}

/// A CSV cell: RFC 4180 quoting, and a leading `'` for cells that a spreadsheet would run as
/// a formula (`= + - @`, tab, carriage return).
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

impl<'a> Exporter<'a> {
    /// An exporter over `scanned` (scanned with `keep_records`).
    pub fn new(scanned: &'a Scanned, storage: &'a dyn Storage, reveal: Reveal) -> Self {
        Exporter {
            scanned,
            storage,
            reveal,
            token: None,
        }
    }

    /// Only events carrying this search token (e.g. every event of one fax number, found
    /// without decrypting any other event; see [`TokenKey::token`]).
    pub fn only_token(mut self, token: crate::event::Token) -> Self {
        self.token = Some(token);
        self
    }

    fn segment_of(&self, seq: u64) -> u64 {
        self.scanned
            .segments
            .iter()
            .filter(|s| s.header.is_some())
            .position(|s| seq < s.end_seq)
            .unwrap_or(0) as u64
    }

    fn shown(&self, r: &Record) -> Shown {
        if r.sealed.is_none() {
            return Shown::None;
        }
        if self.reveal == Reveal::No {
            return Shown::Sealed;
        }
        match crate::log::open_sealed(self.storage, self.segment_of(r.seq), r) {
            Ok(s) => Shown::Open(s),
            Err(_) => Shown::Expired,
        }
    }

    fn records(&self, range: Range) -> impl Iterator<Item = (usize, &'a Record)> + '_ {
        self.scanned
            .records
            .iter()
            .enumerate()
            .filter(move |(_, r)| range.contains(r))
            .filter(move |(_, r)| self.token.is_none_or(|t| r.tokens.contains(&t)))
    }

    /// One JSON object per event (with `seq` and `leaf_hash`), then a closing object with
    /// the signed checkpoint that covers them.
    ///
    /// # Errors
    /// [`LogError::Io`] if writing fails.
    pub fn jsonl(&self, range: Range, out: &mut dyn Write) -> Result<u64, LogError> {
        let mut n = 0;
        for (i, r) in self.records(range) {
            let mut v = serde_json::to_value(&r.event).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.remove("sensitive");
                m.insert("seq".into(), json!(r.seq));
                m.insert("time".into(), json!(time::rfc3339(r.time_ns)));
                m.insert("clock".into(), json!(r.clock.as_str()));
                m.insert(
                    "leaf_hash".into(),
                    json!(crate::hex(&leaf_hash(&self.scanned.record_bytes[i]))),
                );
                m.insert(
                    "tokens".into(),
                    json!(r.tokens.iter().map(|t| crate::hex(t)).collect::<Vec<_>>()),
                );
                match self.shown(r) {
                    Shown::None => {}
                    Shown::Sealed => {
                        m.insert("sealed".into(), json!("sealed"));
                    }
                    Shown::Expired => {
                        m.insert("sealed".into(), json!("expired"));
                    }
                    Shown::Open(s) => {
                        m.insert("sealed".into(), json!("revealed"));
                        m.insert(
                            "sensitive".into(),
                            serde_json::to_value(&s).unwrap_or(Value::Null),
                        );
                    }
                }
            }
            writeln!(out, "{v}").map_err(io)?;
            n += 1;
        }
        let cp = json!({
            "checkpoint": self.scanned.last_note,
            "tree_size": self.scanned.tree.size(),
            "root": crate::hex(&self.scanned.tree.root()),
        });
        writeln!(out, "{cp}").map_err(io)?;
        Ok(n)
    }

    /// CSV: `date,time,fax_number,user_id,delivery_status` (the fax audit columns), then
    /// `seq,kind,outcome,direction,pages,call_id,role`. Dates and times in UTC.
    ///
    /// # Errors
    /// [`LogError::Io`] if writing fails.
    pub fn csv(&self, range: Range, out: &mut dyn Write) -> Result<u64, LogError> {
        writeln!(
            out,
            "date,time,fax_number,user_id,delivery_status,seq,kind,outcome,direction,pages,call_id,role"
        )
        .map_err(io)?;
        let mut n = 0;
        for (_, r) in self.records(range) {
            let (date, tm, _) = time::split(r.time_ns);
            let number = match self.shown(r) {
                Shown::Open(s) => s.remote_number.unwrap_or_default(),
                Shown::Sealed => "sealed".into(),
                Shown::Expired => "expired".into(),
                Shown::None => String::new(),
            };
            let fax = r.event.fax.clone().unwrap_or_default();
            let status = if fax.t30_result.is_empty() {
                r.event.outcome.as_str().to_owned()
            } else {
                format!("{} ({})", r.event.outcome.as_str(), fax.t30_result)
            };
            let cells = [
                date,
                tm,
                number,
                r.event.actor.principal.clone(),
                status,
                r.seq.to_string(),
                r.event.kind.as_str().to_owned(),
                r.event.outcome.as_str().to_owned(),
                fax.direction
                    .map(Direction::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                fax.pages.to_string(),
                fax.call_id,
                r.event.actor.role.clone(),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            write!(out, "{}\r\n", line.join(",")).map_err(io)?;
            n += 1;
        }
        Ok(n)
    }

    /// One FHIR R4 `AuditEvent` (JSON) for a record.
    pub fn fhir_event(&self, r: &Record) -> Value {
        let dcm = "http://dicom.nema.org/resources/ontology/DCM";
        let (code, display, action, subtype) = fhir_type(r.event.kind);
        let mut agents = vec![json!({
            "type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                "code": "IRCP", "display": "information recipient"}]},
            "who": {"identifier": {"value": r.event.actor.principal}},
            "requestor": r.event.actor.requestor,
            "role": if r.event.actor.role.is_empty() { Value::Null } else {
                json!([{"text": r.event.actor.role}]) },
            "network": if r.event.actor.network.is_empty() { Value::Null } else {
                json!({"address": r.event.actor.network, "type": "2"}) },
        })];
        let shown = self.shown(r);
        if r.event.kind == Kind::FaxSend || r.event.kind == Kind::FaxReceive {
            if let Shown::Open(s) = &shown {
                if let Some(n) = &s.remote_number {
                    // The fax peer as a participant reached by telephone number (ATNA type 3).
                    agents.push(json!({
                        "type": {"coding": [{"system": dcm, "code": "110152", "display": "Destination Role ID"}]},
                        "who": {"display": s.names.first().cloned().unwrap_or_else(|| "fax recipient".into())},
                        "requestor": false,
                        "network": {"address": n, "type": "3"},
                    }));
                }
            }
        }
        let mut entities: Vec<Value> = r
            .event
            .objects
            .iter()
            .map(|o| {
                json!({
                    "what": {"identifier": {"value": o.id}},
                    "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                             "code": "2", "display": "System Object"},
                    "description": format!("{} {}", o.kind, o.role).trim().to_owned(),
                })
            })
            .collect();
        if let Shown::Open(s) = &shown {
            for p in &s.patients {
                entities.push(json!({
                    "what": {"identifier": {"value": p}},
                    "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                             "code": "1", "display": "Person"},
                    "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role",
                             "code": "1", "display": "Patient"},
                }));
            }
        }
        let mut ev = json!({
            "resourceType": "AuditEvent",
            "id": format!("phi-audit-{}", r.seq),
            "type": {"system": dcm, "code": code, "display": display},
            "action": action,
            "recorded": time::rfc3339(r.time_ns),
            "outcome": r.event.outcome.code().to_string(),
            "agent": agents,
            "source": {
                "site": r.event.source.deployment,
                "observer": {"display": if r.event.source.host.is_empty() { "phi-audit".to_owned() } else { r.event.source.host.clone() }},
            },
        });
        if let Value::Object(m) = &mut ev {
            if let Some((c, d)) = subtype {
                m.insert(
                    "subtype".into(),
                    json!([{"system": dcm, "code": c, "display": d}]),
                );
            }
            if !entities.is_empty() {
                m.insert("entity".into(), Value::Array(entities));
            }
            if r.event.outcome != Outcome::Success {
                m.insert("outcomeDesc".into(), json!(r.event.outcome.as_str()));
            }
            if r.event.purpose != crate::event::Purpose::None {
                m.insert(
                    "purposeOfEvent".into(),
                    json!([{"text": r.event.purpose.as_str()}]),
                );
            }
        }
        strip_nulls(&mut ev);
        ev
    }

    /// A FHIR R4 `Bundle` of type `collection` with one `AuditEvent` per event.
    ///
    /// # Errors
    /// [`LogError::Io`] if writing fails.
    pub fn fhir(&self, range: Range, out: &mut dyn Write) -> Result<u64, LogError> {
        let entries: Vec<Value> = self
            .records(range)
            .map(|(_, r)| {
                json!({"fullUrl": format!("urn:uuid:phi-audit-{}", r.seq), "resource": self.fhir_event(r)})
            })
            .collect();
        let n = entries.len() as u64;
        let b = json!({"resourceType": "Bundle", "type": "collection", "entry": entries});
        writeln!(out, "{b}").map_err(io)?;
        Ok(n)
    }

    /// The accounting of disclosures for one patient (164.528): every `fax_send` and
    /// `phi_export` event whose patient token matches, in the range, each with its date,
    /// recipient, description and purpose (revealed) and an inclusion proof against the
    /// newest checkpoint; the last line states the scanned range.
    ///
    /// # Errors
    /// [`LogError::Io`] if writing fails.
    pub fn disclosures(
        &self,
        tokens: &TokenKey,
        patient: &str,
        range: Range,
        out: &mut dyn Write,
    ) -> Result<u64, LogError> {
        let t = tokens.token(TokenKind::Patient, patient);
        let size = self.scanned.tree.size();
        let note = self.scanned.last_note.clone().unwrap_or_default();
        let mut n = 0;
        for (i, r) in self.records(range) {
            if !matches!(r.event.kind, Kind::FaxSend | Kind::PhiExport) || !r.tokens.contains(&t) {
                continue;
            }
            let (recipient, number, description) = match self.shown(r) {
                Shown::Open(s) => (
                    s.names.join("; "),
                    s.remote_number.unwrap_or_default(),
                    s.purpose_text.unwrap_or_default(),
                ),
                Shown::Expired => ("expired".into(), String::new(), String::new()),
                _ => ("sealed".into(), String::new(), String::new()),
            };
            let path = self
                .scanned
                .tree
                .inclusion_proof(r.seq, size)
                .unwrap_or_default();
            let proof = Proof::new(
                &self.scanned.record_bytes[i],
                r.seq,
                size,
                &path,
                &note,
                &self.scanned.certs,
            );
            let line = json!({
                "seq": r.seq,
                "date": time::rfc3339(r.time_ns),
                "recipient": recipient,
                "recipient_number": number,
                "description": description,
                "purpose": r.event.purpose.as_str(),
                "proof": proof,
            });
            writeln!(out, "{line}").map_err(io)?;
            n += 1;
        }
        let closing = json!({"scanned_from_seq": range.from_seq, "scanned_to_size": size, "checkpoint": note, "disclosures": n});
        writeln!(out, "{closing}").map_err(io)?;
        Ok(n)
    }
}

/// Removes `null` members so optional FHIR elements are absent rather than null.
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            for x in m.values_mut() {
                strip_nulls(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

type FhirType = (
    &'static str,
    &'static str,
    &'static str,
    Option<(&'static str, &'static str)>,
);

/// DICOM event type, FHIR action (C R U D E) and subtype for a kind.
fn fhir_type(k: Kind) -> FhirType {
    match k {
        Kind::PhiRead => ("110110", "Patient Record", "R", None),
        Kind::PhiCreate => ("110110", "Patient Record", "C", None),
        Kind::PhiUpdate => ("110110", "Patient Record", "U", None),
        Kind::PhiDelete => ("110110", "Patient Record", "D", None),
        Kind::PhiExport | Kind::FaxSend | Kind::DeliveryStatus => ("110106", "Export", "R", None),
        Kind::FaxReceive => ("110107", "Import", "C", None),
        Kind::AuthLogin => (
            "110114",
            "User Authentication",
            "E",
            Some(("110122", "Login")),
        ),
        Kind::AuthLogout => (
            "110114",
            "User Authentication",
            "E",
            Some(("110123", "Logout")),
        ),
        Kind::AuthFailure | Kind::AuthBreakGlass => ("110114", "User Authentication", "E", None),
        Kind::SystemStart => (
            "110100",
            "Application Activity",
            "E",
            Some(("110120", "Application Start")),
        ),
        Kind::SystemStop => (
            "110100",
            "Application Activity",
            "E",
            Some(("110121", "Application Stop")),
        ),
        Kind::SystemRecover | Kind::SystemCheckpointAnchored => {
            ("110100", "Application Activity", "E", None)
        }
        _ => ("110113", "Security Alert", "E", None),
    }
}
