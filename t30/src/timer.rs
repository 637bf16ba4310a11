//! T.30 timers as an enum and a table of deadlines (quinn-proto's `connection/timer.rs`
//! model): the session arms and stops entries; the embedder is told the earliest.

use std::time::{Duration, Instant};

/// The timers a session runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// T0: the whole call must end by this time (bounds every loop).
    Call,
    /// T1: the stations must identify each other (no DIS / DCS).
    T1,
    /// T2: waiting for a command (receiver), or for the rest of a frame group.
    T2,
    /// T4: waiting for a response; the command is repeated when it fires.
    T4,
    /// T5: the ECM receiver may stay busy (RNR) at most this long.
    T5,
}

const COUNT: usize = 5;

impl Timer {
    fn index(self) -> usize {
        match self {
            Timer::Call => 0,
            Timer::T1 => 1,
            Timer::T2 => 2,
            Timer::T4 => 3,
            Timer::T5 => 4,
        }
    }

    const ALL: [Timer; COUNT] = [Timer::Call, Timer::T1, Timer::T2, Timer::T4, Timer::T5];
}

/// Timer durations (T.30 values; spandsp's in brackets in the docs of each field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Whole-call limit. Default 30 minutes per call; raise it for very long documents.
    pub call: Duration,
    /// T1, 35 s.
    pub t1: Duration,
    /// T2, 6 s (spandsp 7 s).
    pub t2: Duration,
    /// T4, 3 s (spandsp 3.45 s).
    pub t4: Duration,
    /// T5, 60 s (spandsp 65 s).
    pub t5: Duration,
    /// Delay before each RR while the receiver answers RNR. Default 1 s.
    pub rr_interval: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            call: Duration::from_secs(30 * 60),
            t1: Duration::from_secs(35),
            t2: Duration::from_secs(6),
            t4: Duration::from_secs(3),
            t5: Duration::from_secs(60),
            rr_interval: Duration::from_secs(1),
        }
    }
}

/// Deadlines, one slot per [`Timer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimerTable {
    at: [Option<Instant>; COUNT],
}

impl TimerTable {
    pub(crate) fn set(&mut self, t: Timer, at: Instant) {
        self.at[t.index()] = Some(at);
    }

    pub(crate) fn stop(&mut self, t: Timer) {
        self.at[t.index()] = None;
    }

    pub(crate) fn is_set(&self, t: Timer) -> bool {
        self.at[t.index()].is_some()
    }

    pub(crate) fn stop_all(&mut self) {
        self.at = [None; COUNT];
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }

    /// Removes and returns the earliest timer due at `now`.
    pub(crate) fn expire(&mut self, now: Instant) -> Option<Timer> {
        let t = Timer::ALL
            .into_iter()
            .filter(|t| self.at[t.index()].is_some_and(|at| at <= now))
            .min_by_key(|t| self.at[t.index()])?;
        self.at[t.index()] = None;
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_fires_first() {
        let t0 = Instant::now();
        let mut tt = TimerTable::default();
        tt.set(Timer::T1, t0 + Duration::from_secs(35));
        tt.set(Timer::T4, t0 + Duration::from_secs(3));
        assert_eq!(tt.next(), Some(t0 + Duration::from_secs(3)));
        assert_eq!(tt.expire(t0), None);
        assert_eq!(tt.expire(t0 + Duration::from_secs(40)), Some(Timer::T4));
        assert_eq!(tt.expire(t0 + Duration::from_secs(40)), Some(Timer::T1));
        assert_eq!(tt.next(), None);
    }
}
