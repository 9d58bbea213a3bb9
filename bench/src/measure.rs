//! Timing conventions (see `MEASURING.md`): warm up, repeat, take the median, and measure every contender in the
//! same run, interleaved, so a neighbour's load on a shared machine hits them all alike.

use std::time::Instant;

/// The median of `xs` (sorted in place); 0 for an empty slice.
pub fn median(xs: &mut [f64]) -> f64 {
    percentile(xs, 50.0)
}

/// The `p`-th percentile (0..=100, nearest rank) of `xs` (sorted in place); 0 for an empty slice.
pub fn percentile(xs: &mut [f64], p: f64) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f64::total_cmp);
    // Less a hair, so 99.9 % of 1,000 is rank 999 despite rounding in the product.
    let rank = ((p / 100.0) * xs.len() as f64 - 1e-9).ceil() as usize;
    xs[rank.clamp(1, xs.len()) - 1]
}

/// Nanoseconds `f` takes, by the wall clock.
pub fn time_ns(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_nanos() as f64
}

/// One contender: a name and a closure that renders one repetition's worth of audio and returns how many
/// voice-samples it rendered.
pub struct Contender<'a> {
    /// Row label.
    pub name: String,
    /// Renders one repetition; returns voice-samples rendered.
    pub run: Box<dyn FnMut() -> f64 + 'a>,
}

/// Runs every contender once to warm up, then `reps` rounds in which each runs once (round-robin), and returns
/// each contender's median ns per voice-sample, in order.
pub fn interleaved(contenders: &mut [Contender<'_>], reps: usize) -> Vec<f64> {
    for c in contenders.iter_mut() {
        (c.run)();
    }
    let mut samples = vec![Vec::with_capacity(reps); contenders.len()];
    for _ in 0..reps {
        for (c, s) in contenders.iter_mut().zip(samples.iter_mut()) {
            let t = Instant::now();
            let n = (c.run)();
            s.push(t.elapsed().as_nanos() as f64 / n.max(1.0));
        }
    }
    samples.iter_mut().map(|s| median(s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_percentiles_pick_the_ranked_value() {
        let mut xs = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(median(&mut xs), 3.0);
        assert_eq!(percentile(&mut xs, 100.0), 5.0);
        assert_eq!(percentile(&mut xs, 0.0), 1.0);
        let mut many: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(percentile(&mut many, 99.9), 999.0);
    }
}
