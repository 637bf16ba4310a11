//! The outbound queue: one JSON file per job in `DIR/queue/`, rewritten atomically on every
//! state change, so a crash at any point leaves each job in its last recorded state. A job
//! file holds ids, states and counts only; the document, the destination number and the
//! cover page text are in the encrypted store object it names.
//!
//! ```text
//! pending --(faxd starts an attempt: attempts += 1)--> active
//! active  --(delivered)--> done
//! active  --(failed, attempts left)--> pending (next_try_ms = now + backoff)
//! active  --(failed, no attempts left)--> failed
//! active  --(faxd restarted after a crash, or shut down mid-call)--> pending
//! ```

use super::data::{write_atomic, DataDir};
use super::error::{FaxdError, Result};
use serde::{Deserialize, Serialize};

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for its next attempt.
    Pending,
    /// A call is under way.
    Active,
    /// Delivered (final).
    Done,
    /// Given up after the last attempt (final).
    Failed,
}

impl JobState {
    /// True for `done` and `failed`.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Active => "active",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }
}

/// One send job (no PHI: ids, states, counts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Job id (`j` and 24 hex digits).
    pub id: String,
    /// State.
    pub state: JobState,
    /// The store object holding the document (and the destination, encrypted).
    pub object: String,
    /// The store tenant of the object.
    pub tenant: String,
    /// Destination class (page limits).
    pub class: String,
    /// Pages to send, the cover page included.
    pub pages: u32,
    /// Attempts started so far.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// When the next attempt may start (ms since the Unix epoch).
    pub next_try_ms: i64,
    /// When the job was submitted.
    pub created_ms: i64,
    /// When the final status was recorded.
    #[serde(default)]
    pub finished_ms: Option<i64>,
    /// The T.30 result of the last attempt (`Ok`, `NoResponse(...)`, ...).
    #[serde(default)]
    pub last_result: String,
    /// True once the document content was shredded.
    #[serde(default)]
    pub shredded: bool,
    /// Seq of the `fax_send` audit event of the submission.
    #[serde(default)]
    pub submit_seq: Option<u64>,
}

impl Job {
    /// The job file path.
    pub fn path(data: &DataDir, id: &str) -> std::path::PathBuf {
        data.queue().join(format!("{id}.json"))
    }

    /// Writes the job file atomically.
    ///
    /// # Errors
    /// The I/O error.
    pub fn save(&self, data: &DataDir) -> Result<()> {
        let json =
            serde_json::to_vec_pretty(self).map_err(|e| FaxdError::Invalid(e.to_string()))?;
        write_atomic(&Job::path(data, &self.id), &json)
    }

    /// Reads one job.
    ///
    /// # Errors
    /// A missing or damaged job file.
    pub fn load(data: &DataDir, id: &str) -> Result<Job> {
        let p = Job::path(data, id);
        let b = std::fs::read(&p).map_err(|e| FaxdError::io(p.display(), &e))?;
        serde_json::from_slice(&b).map_err(|e| FaxdError::Invalid(format!("{}: {e}", p.display())))
    }
}

/// Every job in the queue directory, oldest first. Damaged files are skipped and counted.
pub fn list(data: &DataDir) -> (Vec<Job>, usize) {
    let mut jobs = Vec::new();
    let mut damaged = 0;
    if let Ok(entries) = std::fs::read_dir(data.queue()) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            match std::fs::read(e.path())
                .ok()
                .and_then(|b| serde_json::from_slice::<Job>(&b).ok())
            {
                Some(j) => jobs.push(j),
                None => damaged += 1,
            }
        }
    }
    jobs.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
    (jobs, damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_survives_a_round_trip_through_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = DataDir::new(dir.path());
        data.create_dirs().expect("dirs");
        let job = Job {
            id: "j0123".into(),
            state: JobState::Pending,
            object: "00".repeat(16),
            tenant: "outbound".into(),
            class: "default".into(),
            pages: 3,
            attempts: 1,
            max_attempts: 3,
            next_try_ms: 5,
            created_ms: 4,
            finished_ms: None,
            last_result: "NoResponse".into(),
            shredded: false,
            submit_seq: Some(7),
        };
        job.save(&data).expect("save");
        assert_eq!(Job::load(&data, "j0123").expect("load"), job);
        let text = std::fs::read_to_string(Job::path(&data, "j0123")).expect("read");
        assert!(text.contains("\"state\": \"pending\""), "{text}");
        let (all, damaged) = list(&data);
        assert_eq!((all.len(), damaged), (1, 0));
    }
}
