//! Interleaved timing for the ratio lines.
//!
//! Criterion measures each implementation in turn, seconds apart; on a machine shared with
//! other jobs the load can change in between, which skews ratios. Here all implementations
//! of one comparison are timed in rounds, one batch each per round, in rotating order, and
//! each one's median over the rounds is used: a load change hits all of them alike.

use std::time::{Duration, Instant};

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
            let t = Instant::now();
            std::hint::black_box((c.run)());
            let one = t.elapsed().as_nanos().max(1);
            u32::try_from(batch.as_nanos().div_ceil(one).clamp(1, 1000)).unwrap_or(1000)
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..rounds {
        for k in 0..contenders.len() {
            let i = (k + round) % contenders.len();
            let c = &mut contenders[i];
            let t = Instant::now();
            for _ in 0..calls[i] {
                std::hint::black_box((c.run)());
            }
            samples[i].push(t.elapsed().as_secs_f64() / f64::from(calls[i]));
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
    fn median_of_odd_and_even() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
