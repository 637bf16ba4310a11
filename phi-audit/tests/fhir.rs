//! FHIR R4 export parsed by an independent FHIR R4 model crate (`fhir`, feature `r4`):
//! every AuditEvent deserializes, passes the crate's validation (cardinalities, codes) and
//! carries the expected type, action, outcome, agents and entities.

use fhir::r4::coded::Coded;
use fhir::r4::codes::{AuditEventAction, AuditEventOutcome};
use fhir::r4::resources::audit_event::AuditEvent;
use fhir::r4::resources::bundle::Bundle;
use fhir::r4::validate::Validate;
use phi_audit::export::{Exporter, Range, Reveal};
use phi_audit::scan::{scan_log, Mode};
use phi_audit::storage::FaultyStorage;
use phi_audit::{Config, Event, Kind, Log, Outcome};
use std::sync::Arc;

#[test]
fn fhir_r4_bundle_parses_and_validates() {
    let s = Arc::new(FaultyStorage::new());
    phi_audit::init(s.as_ref(), "test.example/audit").expect("init");
    let mut log = Log::open(s.clone(), Config::default()).expect("open");
    log.append(Event::example()).expect("fax send");
    log.append(Event::new(Kind::AuthLogin, Outcome::Success, "nurse.kim"))
        .expect("login");
    log.append(Event::new(
        Kind::PhiRead,
        Outcome::SeriousFailure,
        "nurse.kim",
    ))
    .expect("denied read");
    log.append(Event::new(Kind::SystemStart, Outcome::Success, "phi-audit"))
        .expect("start");
    log.close().expect("close");
    let root = phi_audit::root_key(s.as_ref()).expect("root");
    let sc = scan_log(s.as_ref(), &root, Mode::Verify, true, None).expect("verifies");

    for reveal in [Reveal::No, Reveal::Yes] {
        let mut out = Vec::new();
        let n = Exporter::new(&sc, s.as_ref(), reveal)
            .fhir(Range::default(), &mut out)
            .expect("export");
        assert_eq!(n, 4);
        let bundle: Bundle = serde_json::from_slice(&out).expect("a FHIR R4 Bundle");
        assert!(bundle.validate().is_empty(), "{:?}", bundle.validate());
        assert_eq!(bundle.entry.len(), 4);
        let events: Vec<AuditEvent> = bundle
            .entry
            .iter()
            .map(|e| {
                let v = e.resource.clone().expect("resource");
                assert_eq!(v["resourceType"], "AuditEvent");
                serde_json::from_value(v).expect("an R4 AuditEvent")
            })
            .collect();
        for ev in &events {
            let issues = ev.validate();
            assert!(issues.is_empty(), "{issues:?}");
        }
        let fax = &events[0];
        assert_eq!(
            fax.r#type.code.as_ref().map(|c| c.0.as_str()),
            Some("110106")
        );
        assert_eq!(fax.action, Some(Coded::Known(AuditEventAction::R)));
        assert_eq!(fax.outcome, Some(Coded::Known(AuditEventOutcome::N0)));
        let phones = fax
            .agent
            .iter()
            .filter(|a| {
                a.network.as_ref().is_some_and(|n| {
                    n.r#type
                        .as_ref()
                        .is_some_and(|t| format!("{t:?}").contains('3'))
                })
            })
            .count();
        // The recipient's telephone number appears only in a revealing export.
        assert_eq!(phones, usize::from(reveal == Reveal::Yes));
        let text = String::from_utf8(out.clone()).expect("utf-8");
        assert_eq!(text.contains("15550199"), reveal == Reveal::Yes);
        assert_eq!(text.contains("MRN-000123"), reveal == Reveal::Yes);
        assert_eq!(
            events[1]
                .subtype
                .first()
                .and_then(|c| c.code.as_ref())
                .map(|c| c.0.as_str()),
            Some("110122")
        );
        assert_eq!(events[2].outcome, Some(Coded::Known(AuditEventOutcome::N8)));
        assert_eq!(
            events[3].r#type.code.as_ref().map(|c| c.0.as_str()),
            Some("110100")
        );
    }
}
