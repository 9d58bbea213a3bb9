//! Measurements of rendered audio, as MEASURING.md defines them.

/// Root-mean-square level of `x`.
pub fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&s| (s as f64) * (s as f64)).sum::<f64>() / x.len() as f64).sqrt() as f32
}

/// Largest absolute sample of `x`.
pub fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0f32, |a, &s| a.max(s.abs()))
}

/// Amplitude ratio in decibels.
pub fn db(ratio: f32) -> f32 {
    20.0 * ratio.max(1e-20).log10()
}

/// Largest absolute sample-to-sample step in `x` (the click measure of MEASURING.md).
pub fn max_step(x: &[f32]) -> f32 {
    x.windows(2).fold(0.0f32, |a, w| a.max((w[1] - w[0]).abs()))
}

/// The 99.9th percentile of absolute sample-to-sample steps in `x` (the click baseline of MEASURING.md).
pub fn step_percentile_999(x: &[f32]) -> f32 {
    let mut steps: Vec<f32> = x.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    if steps.is_empty() {
        return 0.0;
    }
    steps.sort_by(f32::total_cmp);
    steps[((steps.len() - 1) as f64 * 0.999) as usize]
}

/// Fundamental frequency of a steady periodic segment, in Hz, from upward zero crossings with linear
/// interpolation between samples: (crossings − 1) periods over the time from the first to the last.
/// Accurate to well under a cent for a clean tone of a second or more. `None` with fewer than 3 crossings.
pub fn pitch_hz(x: &[f32], sample_rate: f32) -> Option<f64> {
    let mut first = None;
    let mut last = 0.0;
    let mut count = 0usize;
    for (i, w) in x.windows(2).enumerate() {
        if w[0] <= 0.0 && w[1] > 0.0 {
            let t = i as f64 + (-w[0] as f64) / (w[1] as f64 - w[0] as f64);
            first.get_or_insert(t);
            last = t;
            count += 1;
        }
    }
    let first = first?;
    (count >= 3).then(|| (count - 1) as f64 * sample_rate as f64 / (last - first))
}

/// Distance from `want` to `got` in cents.
pub fn cents(got: f64, want: f64) -> f64 {
    1200.0 * (got / want).log2()
}

/// Hz of MIDI note `note` (69 = 440 Hz).
pub fn note_hz(note: f64) -> f64 {
    440.0 * 2f64.powf((note - 69.0) / 12.0)
}
