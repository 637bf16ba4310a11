//! Interleaved timing for the ratio lines.
//!
//! Criterion measures each implementation in turn, seconds apart; on a machine shared with
//! other jobs the load can change in between, which skews ratios. Here all implementations
//! of one comparison are timed in rounds, one batch each per round, in rotating order, and
//! each one's median over the rounds is used: a load change hits all of them alike.
//!
//! The clock is the CPU time of the calling thread where Linux offers it
//! (`/proc/thread-self/schedstat`), so time the thread spends waiting for a core while other
//! jobs run is not counted; elsewhere it is wall time. Every contender runs on this thread.
//! For a thread that keeps running, that counter only advances at scheduler ticks (a few
//! milliseconds), so batches must be long (hundreds of milliseconds) for a precise median.

use std::time::{Duration, Instant};

/// Seconds on a clock that advances while this thread runs: its CPU time on Linux, else
/// wall time since the first call.
pub fn thread_seconds() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or_else(
            || START.get_or_init(Instant::now).elapsed().as_secs_f64(),
            |ns| ns as f64 / 1e9,
        )
}

/// One implementation of a workload: runs the whole page set once per call.
pub struct Contender<'a> {
    /// `t4-codec`, `fax`, `hayro-ccitt` or `libtiff`.
    pub name: &'static str,
    /// Processes every page once; returns something derived from the output so that the
    /// work cannot be optimised away.
    pub run: Box<dyn FnMut() -> usize + 'a>,
}

/// Seconds per call of `run`, median over `rounds` interleaved rounds of about `batch` each.
pub fn interleaved_medians(
    contenders: &mut [Contender<'_>],
    rounds: usize,
    batch: Duration,
) -> Vec<f64> {
    // Calibrate: calls per batch from one timed call each (after a warm-up call).
    let calls: Vec<u32> = contenders
        .iter_mut()
        .map(|c| {
            std::hint::black_box((c.run)());
            let t = thread_seconds();
            std::hint::black_box((c.run)());
            let one = (thread_seconds() - t).max(1e-9);
            let want = batch.as_secs_f64();
            (1..=1000u32)
                .find(|&k| f64::from(k) * one >= want)
                .unwrap_or(1000)
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let c = &mut contenders[i];
            let t = thread_seconds();
            for _ in 0..calls[i] {
                std::hint::black_box((c.run)());
            }
            samples[i].push((thread_seconds() - t) / f64::from(calls[i]));
        }
    }
    samples.into_iter().map(median).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn thread_clock_advances_with_work() {
        let t = super::thread_seconds();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        assert!(super::thread_seconds() > t, "{x}");
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
