//! `DIR/run/status.json`: what faxd is doing, rewritten atomically about once a second (and
//! at shutdown), for `faxctl status` and for monitoring. Ids and counts only.

use super::queue::Job;
use serde::{Deserialize, Serialize};

/// What the loop counted since it started.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Inbound calls that delivered a complete document.
    pub calls_in_ok: u64,
    /// Inbound calls that failed.
    pub calls_in_failed: u64,
    /// Outbound calls that delivered every page.
    pub calls_out_ok: u64,
    /// Outbound calls that failed.
    pub calls_out_failed: u64,
    /// Datagrams received on the lines.
    pub datagrams_in: u64,
    /// Datagrams sent.
    pub datagrams_out: u64,
    /// Datagrams from unknown addresses that were not a UDPTL packet with an IFP: ignored.
    pub bad_datagrams: u64,
    /// Datagrams from the peer of a call that just ended: ignored.
    pub late_datagrams: u64,
    /// Calls not taken (busy at max_calls, or shutting down).
    pub calls_refused: u64,
    /// Pages received.
    pub pages_in: u64,
    /// Pages delivered.
    pub pages_out: u64,
}

/// One job in the status.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobStatus {
    /// Job id.
    pub id: String,
    /// `pending`, `active`, `done` or `failed`.
    pub state: String,
    /// Attempts started.
    pub attempts: u32,
    /// Next attempt (ms since the Unix epoch), for pending jobs.
    pub next_try_ms: Option<i64>,
    /// The last T.30 result.
    pub last_result: String,
    /// True once the content was shredded.
    pub shredded: bool,
}

impl JobStatus {
    /// The status of `j`.
    pub fn of(j: &Job) -> JobStatus {
        JobStatus {
            id: j.id.clone(),
            state: j.state.as_str().into(),
            attempts: j.attempts,
            next_try_ms: (j.state == super::queue::JobState::Pending).then_some(j.next_try_ms),
            last_result: j.last_result.clone(),
            shredded: j.shredded,
        }
    }
}

/// The queue.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct QueueStatus {
    /// Pending jobs.
    pub pending: usize,
    /// Jobs with a call under way.
    pub active: usize,
    /// Delivered jobs.
    pub done: usize,
    /// Failed jobs.
    pub failed: usize,
    /// Every job.
    pub jobs: Vec<JobStatus>,
}

/// One call.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallStatus {
    /// Call id.
    pub id: String,
    /// `in` or `out`.
    pub direction: String,
    /// The job of an outbound call.
    pub job: Option<String>,
    /// The line (from 1).
    pub line: usize,
    /// Pages so far.
    pub pages: u32,
    /// Seconds since the call started.
    pub seconds: f64,
}

/// The whole status file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Status {
    /// faxd's process id.
    pub pid: u32,
    /// False once faxd stopped.
    pub running: bool,
    /// True while shutting down.
    pub stopping: bool,
    /// When faxd started (ms since the Unix epoch).
    pub started_ms: i64,
    /// When this file was written.
    pub updated_ms: i64,
    /// The lines' bound addresses.
    pub lines: Vec<String>,
    /// The queue.
    pub queue: QueueStatus,
    /// Calls under way.
    pub calls: Vec<CallStatus>,
    /// Counters.
    pub counters: Counters,
}
