//! `faxctl audit export --format fhir` parsed by an independent FHIR R4 model crate (`fhir`,
//! feature `r4`): every AuditEvent deserializes, passes the crate's validation
//! (cardinalities, codes) and carries the expected type, action, outcome and agents. Lives
//! here rather than in phi-audit so that crate's benches need not build the large model.

use fhir::r4::coded::Coded;
use fhir::r4::codes::{AuditEventAction, AuditEventOutcome};
use fhir::r4::resources::audit_event::AuditEvent;
use fhir::r4::resources::bundle::Bundle;
use fhir::r4::validate::Validate;
use std::io::Write;
use std::process::{Command, Stdio};

fn faxctl(args: &[&str], stdin: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faxctl"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn event(kind: &str, outcome: &str, principal: &str) -> String {
    format!(r#"{{"kind":"{kind}","outcome":"{outcome}","actor":{{"principal":"{principal}"}}}}"#)
}

#[test]
fn fhir_r4_bundle_parses_and_validates() {
    let tmp = tempfile::tempdir().expect("tmp");
    let log = tmp.path().join("log");
    let log = log.to_str().expect("utf-8");
    assert_eq!(faxctl(&["audit", "init", "--log", log], "").0, 0);
    let (_, example) = faxctl(&["audit", "example-event"], "");
    let input = format!(
        "{}{}\n{}\n{}\n",
        example,
        event("auth_login", "success", "nurse.kim"),
        event("phi_read", "serious_failure", "nurse.kim"),
        event("system_start", "success", "phi-audit")
    );
    let (code, acks) = faxctl(&["audit", "append", "--log", log], &input);
    assert_eq!((code, acks.lines().count()), (0, 4));

    for reveal in [false, true] {
        let mut args = vec![
            "audit", "export", "--log", log, "--format", "fhir", "--to", "3",
        ];
        if reveal {
            args.push("--reveal");
        }
        let (code, out) = faxctl(&args, "");
        assert_eq!(code, 0);
        let bundle: Bundle = serde_json::from_str(&out).expect("a FHIR R4 Bundle");
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
        // The recipient (telephone access point) appears only in a revealing export.
        assert_eq!(fax.agent.len(), if reveal { 2 } else { 1 });
        assert_eq!(out.contains("15550199"), reveal);
        assert_eq!(out.contains("MRN-000123"), reveal);
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
