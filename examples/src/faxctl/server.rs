//! `faxctl submit`, `status` and `inbox`: the commands that work with a faxd data directory
//! (see `faxkit_examples::faxd` for the protocol). `submit` prints only the job id.

use super::files::Input;
use super::{print_stdout, Failure};
use clap::{Args, Subcommand};
use faxkit_examples::cover::CoverSheet;
use faxkit_examples::faxd::client::{self, Reader, SubmitRequest};
use faxkit_examples::faxd::data::DataDir;
use faxkit_examples::faxd::error::FaxdError;
use std::path::PathBuf;

fn failure(e: FaxdError) -> Failure {
    match e {
        FaxdError::Usage(m) => Failure::Usage(m),
        FaxdError::Limit(m) => Failure::Limit(m),
        other => Failure::Invalid(other.to_string()),
    }
}

/// Arguments of `faxctl submit`.
#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    /// The data directory of the faxd that sends it.
    #[arg(long)]
    data: PathBuf,
    /// The destination number (must be in the recipient directory).
    #[arg(long)]
    to: String,
    /// The document (.tif/.tiff, .pbm, .png), pages 1728 pels wide.
    file: PathBuf,
    /// Cover page: the recipient's name (default: the directory's name for the number).
    #[arg(long)]
    cover_to: Option<String>,
    /// Cover page: the sender's name.
    #[arg(long)]
    cover_from: Option<String>,
    /// Cover page: the patient reference.
    #[arg(long)]
    patient: Option<String>,
    /// Cover page: the subject.
    #[arg(long)]
    subject: Option<String>,
    /// Cover page: the callback number.
    #[arg(long)]
    callback: Option<String>,
    /// Send without a cover page.
    #[arg(long, conflicts_with_all = ["cover_to", "cover_from", "patient", "subject", "callback"])]
    no_cover: bool,
    /// Send even though the recipient is not verified (needs --reason; audited).
    #[arg(long, requires = "reason")]
    allow_unverified: bool,
    /// Why the unverified recipient is allowed (sealed in the audit log).
    #[arg(long, requires = "allow_unverified")]
    reason: Option<String>,
    /// Who submits (recorded in the audit log).
    #[arg(long, default_value = "faxctl")]
    principal: String,
    /// In which role.
    #[arg(long, default_value = "sender")]
    role: String,
}

/// Arguments of `faxctl status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The data directory.
    #[arg(long)]
    data: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `faxctl inbox`.
#[derive(Debug, Args)]
pub(crate) struct InboxArgs {
    #[command(subcommand)]
    command: InboxCommand,
}

/// Who asks, for `faxctl inbox`.
#[derive(Debug, Args)]
struct Who {
    /// The data directory.
    #[arg(long)]
    data: PathBuf,
    /// The inbox name.
    #[arg(long)]
    inbox: String,
    /// The authenticated principal.
    #[arg(long)]
    principal: String,
    /// The role it acts in (must be one of the inbox's roles).
    #[arg(long)]
    role: String,
    /// Purpose of use: treatment, payment or operations.
    #[arg(long, default_value = "treatment")]
    purpose: String,
}

#[derive(Debug, Subcommand)]
enum InboxCommand {
    /// List the faxes of an inbox (ids, time, pages, complete or not); audited.
    List {
        #[command(flatten)]
        who: Who,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Decrypt one fax to a TIFF file; audited before the file is written.
    Get {
        #[command(flatten)]
        who: Who,
        /// The object id (from `inbox list`).
        object: String,
        /// The TIFF to write.
        out: PathBuf,
    },
}

/// `faxctl submit`.
pub(crate) fn submit(a: &SubmitArgs) -> Result<(), Failure> {
    let input = Input::open(&a.file)?;
    let pages: Vec<t30::Page> = input
        .pages(None, false)?
        .into_iter()
        .map(|p| {
            let y = p.resolution.and_then(|r| r.to_dpi()).map_or(196.0, |d| d.1);
            let resolution = if y < 150.0 {
                t30::Resolution::Standard
            } else if y < 300.0 {
                t30::Resolution::Fine
            } else {
                t30::Resolution::Superfine
            };
            t30::Page {
                columns: p.width(),
                rows: p.rows(),
                resolution,
                data: p.image.data,
            }
        })
        .collect();
    let cover = (!a.no_cover).then(|| CoverSheet {
        to: a.cover_to.clone().unwrap_or_default(),
        from: a.cover_from.clone().unwrap_or_default(),
        patient_reference: a.patient.clone().unwrap_or_default(),
        subject: a.subject.clone().unwrap_or_default(),
        pages: 0,
        callback: a.callback.clone().unwrap_or_default(),
        notice: String::new(),
        ..CoverSheet::default()
    });
    let req = SubmitRequest {
        to: a.to.clone(),
        pages,
        cover,
        allow_unverified: if a.allow_unverified {
            Some(a.reason.clone().unwrap_or_default())
        } else {
            None
        },
        principal: a.principal.clone(),
        role: a.role.clone(),
    };
    let id = client::submit(&DataDir::new(&a.data), &req).map_err(failure)?;
    print_stdout(&format!("{id}\n"));
    Ok(())
}

/// `faxctl status`.
pub(crate) fn status(a: &StatusArgs) -> Result<(), Failure> {
    let (jobs, st) = client::status(&DataDir::new(&a.data)).map_err(failure)?;
    let count = |s: &str| jobs.iter().filter(|j| j.state.as_str() == s).count();
    if a.json {
        let v = serde_json::json!({
            "queue": {
                "pending": count("pending"),
                "active": count("active"),
                "done": count("done"),
                "failed": count("failed"),
                "jobs": jobs.iter().map(|j| serde_json::json!({
                    "id": j.id,
                    "state": j.state.as_str(),
                    "attempts": j.attempts,
                    "max_attempts": j.max_attempts,
                    "next_try_ms": (j.state.as_str() == "pending").then_some(j.next_try_ms),
                    "last_result": j.last_result,
                    "shredded": j.shredded,
                })).collect::<Vec<_>>(),
            },
            "faxd": st,
        });
        print_stdout(&format!("{v}\n"));
        return Ok(());
    }
    let mut out = format!(
        "queue: {} pending, {} active, {} done, {} failed\n",
        count("pending"),
        count("active"),
        count("done"),
        count("failed")
    );
    for j in &jobs {
        let next = if j.state.as_str() == "pending" {
            format!(
                ", next try in {:.0} s",
                client::secs_until(j.next_try_ms).max(0.0)
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "  {} {} attempts {}/{}{}{}{}\n",
            j.id,
            j.state.as_str(),
            j.attempts,
            j.max_attempts,
            next,
            if j.last_result.is_empty() {
                String::new()
            } else {
                format!(", last {}", j.last_result)
            },
            if j.shredded { ", content shredded" } else { "" }
        ));
    }
    match st {
        Some(s) => {
            let age = (faxkit_examples::faxd::data::now_ms() - s.updated_ms) / 1000;
            out.push_str(&format!(
                "faxd: pid {}, {} (status {} s old)\n",
                s.pid,
                if s.running && !s.stopping {
                    "running"
                } else if s.running {
                    "stopping"
                } else {
                    "stopped"
                },
                age
            ));
            out.push_str(&format!("calls: {} active\n", s.calls.len()));
            for c in &s.calls {
                out.push_str(&format!(
                    "  {} {} line {} {} pages {:.0} s{}\n",
                    c.id,
                    c.direction,
                    c.line,
                    c.pages,
                    c.seconds,
                    c.job
                        .as_ref()
                        .map(|j| format!(" job {j}"))
                        .unwrap_or_default()
                ));
            }
            let k = s.counters;
            out.push_str(&format!(
                "counters: calls in {} ok {} failed, out {} ok {} failed, refused {}; datagrams in {} out {}, bad {} (unknown addresses), late {}; pages in {} out {}\n",
                k.calls_in_ok, k.calls_in_failed, k.calls_out_ok, k.calls_out_failed, k.calls_refused,
                k.datagrams_in, k.datagrams_out, k.bad_datagrams, k.late_datagrams, k.pages_in, k.pages_out
            ));
        }
        None => out.push_str("faxd: no status file (never started here)\n"),
    }
    print_stdout(&out);
    Ok(())
}

fn reader(w: &Who) -> Result<Reader, Failure> {
    Ok(Reader {
        principal: w.principal.clone(),
        role: w.role.clone(),
        purpose: client::purpose(&w.purpose).map_err(failure)?,
    })
}

/// `faxctl inbox`.
pub(crate) fn inbox(a: &InboxArgs) -> Result<(), Failure> {
    match &a.command {
        InboxCommand::List { who, json } => {
            let list = client::inbox_list(&DataDir::new(&who.data), &who.inbox, &reader(who)?)
                .map_err(failure)?;
            let mut out = String::new();
            for l in list {
                let e = &l.entry;
                if *json {
                    out.push_str(&format!(
                        "{}\n",
                        serde_json::json!({
                            "object": e.object, "received_ms": e.received_ms, "pages": e.pages,
                            "complete": e.complete, "t30_result": e.t30_result,
                            "call_id": e.call_id, "audit_seq": e.audit_seq, "shredded": l.shredded,
                        })
                    ));
                } else {
                    out.push_str(&format!(
                        "{} {} pages {}{}\n",
                        e.object,
                        e.pages,
                        if e.complete { "complete" } else { "INCOMPLETE" },
                        if l.shredded { " (shredded)" } else { "" }
                    ));
                }
            }
            print_stdout(&out);
            Ok(())
        }
        InboxCommand::Get { who, object, out } => {
            client::inbox_get(
                &DataDir::new(&who.data),
                &who.inbox,
                &reader(who)?,
                object,
                out,
            )
            .map_err(failure)?;
            Ok(())
        }
    }
}
