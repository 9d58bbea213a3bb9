//! Timing conventions (see `MEASURING.md`): warm up, repeat, take the median, and measure every contender in the
//! same run, interleaved, so a neighbour's load on a shared machine hits them all alike.
//!
//! The repetition is one block: on a shared machine about 1 % of blocks are stretched by milliseconds when the
//! OS runs another process, which doubles a mean (or the median of one-second means) whatever is being
//! measured. The median block is what the code itself costs; the worst-case bench reports the spikes.

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

/// One contender: a name and a closure that renders one block and returns how many voice-samples it rendered.
pub struct Contender<'a> {
    /// Row label.
    pub name: String,
    /// Renders one block; returns voice-samples rendered.
    pub block: Box<dyn FnMut() -> f64 + 'a>,
}

/// What [`interleaved`] measured for one contender, in ns per voice-sample.
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    /// The median block.
    pub median: f64,
    /// The mean over every block, OS preemption included.
    pub mean: f64,
}

/// Runs every contender for `blocks` blocks to warm up, then `rounds` rounds in which each renders `blocks`
/// blocks (round-robin, so drift hits all alike), timing every block; returns each contender's figures.
pub fn interleaved(contenders: &mut [Contender<'_>], rounds: usize, blocks: usize) -> Vec<Figures> {
    for c in contenders.iter_mut() {
        for _ in 0..blocks {
            (c.block)();
        }
    }
    let mut samples = vec![Vec::with_capacity(rounds * blocks); contenders.len()];
    for _ in 0..rounds {
        for (c, s) in contenders.iter_mut().zip(samples.iter_mut()) {
            for _ in 0..blocks {
                let t = Instant::now();
                let n = (c.block)();
                s.push(t.elapsed().as_nanos() as f64 / n.max(1.0));
            }
        }
    }
    samples
        .iter_mut()
        .map(|s| Figures { mean: s.iter().sum::<f64>() / s.len().max(1) as f64, median: median(s) })
        .collect()
}

/// The median ns per call of `block` over `reps` calls, after `reps / 10` calls of warm-up.
pub fn median_call(reps: usize, mut block: impl FnMut()) -> f64 {
    for _ in 0..reps / 10 {
        block();
    }
    let mut t: Vec<f64> = (0..reps).map(|_| time_ns(&mut block)).collect();
    median(&mut t)
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
