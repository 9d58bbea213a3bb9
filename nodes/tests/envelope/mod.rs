//! Helpers shared by the envelope tests: set up an envelope, play a note, and measure stage times and the
//! largest step against the bound each envelope promises (see `nodes/src/env/contour.rs`).
#![allow(dead_code)]

use crate::common::{Rig, lane, max_step};
use ferrule_nodes::LaneMask;

/// The sample rates every timing bar is checked at.
pub const RATES: [f32; 3] = [44_100.0, 48_000.0, 96_000.0];

/// The `curve` choices by index.
pub const CURVES: [(&str, f32); 2] = [("exponential", 0.0), ("linear", 1.0)];

/// The exponential stages aim this fraction of their span past their end.
pub const OVERSHOOT: f64 = 1e-3;

/// An envelope of kind `kind` at `sample_rate` with the given parameter values, playing a fresh note at full
/// velocity, in calls of irregular length.
pub fn envelope(kind: &str, sample_rate: f32, params: &[(&str, f32)]) -> Rig {
    let mut rig = Rig::new(kind, sample_rate);
    for (name, value) in params {
        rig.set(name, *value);
    }
    rig.chunks(&[16, 7, 16, 1, 16, 13]);
    rig
}

/// Lane 0 of `frames` frames.
pub fn play(rig: &mut Rig, frames: usize) -> Vec<f64> {
    lane(&rig.run(frames), 0)
}

/// Lane 0 after key-up, `frames` frames.
pub fn release(rig: &mut Rig, frames: usize) -> Vec<f64> {
    rig.voice.gate = LaneMask::NONE;
    play(rig, frames)
}

/// Lane 0 after a new note-on (gate and trigger), `frames` frames.
pub fn retrigger(rig: &mut Rig, frames: usize) -> Vec<f64> {
    rig.voice.gate = LaneMask::ALL;
    rig.voice.trigger = LaneMask::ALL;
    play(rig, frames)
}

/// Index of the first frame satisfying `f`.
pub fn first(x: &[f64], f: impl Fn(f64) -> bool) -> usize {
    x.iter().position(|v| f(*v)).expect("never reached")
}

/// Asserts `got` samples is within 1 % or one sample of `want`, and prints it.
pub fn assert_time(what: &str, got: usize, want: f64) {
    let err = got as f64 - want;
    println!("{what}: {got} samples, want {want:.1} ({:+.3}%)", 100.0 * err / want.max(1.0));
    assert!(err.abs() <= 1.0 || err.abs() <= 0.01 * want, "{what}: {got} samples, want {want}");
}

/// The segments of an envelope, for the smoothness bound: times in seconds, levels relative to a peak of 1.
#[derive(Clone, Copy, Debug)]
pub struct Segments {
    pub attack: f64,
    pub decay: f64,
    pub sustain: f64,
    pub release: f64,
    pub linear: bool,
}

impl Segments {
    /// The steepest per-sample slope any segment has at `sample_rate`: the attack's, the decay's start and the
    /// release's start from the peak. The bound every envelope promises for its largest step, at any stage
    /// change, whatever the key does.
    pub fn steepest(&self, sample_rate: f32) -> f64 {
        let samples = |t: f64| (t * sample_rate as f64).max(1.0);
        let rate = ((1.0 + OVERSHOOT) / OVERSHOOT).ln();
        let attack = 1.0 / samples(self.attack);
        let span = 1.0 - self.sustain;
        let (decay, release) = if self.linear {
            (span / samples(self.decay), 1.0 / samples(self.release))
        } else {
            let fall = |t: f64| 1.0 - (-rate / samples(t)).exp();
            (span * (1.0 + OVERSHOOT) * fall(self.decay), (1.0 + OVERSHOOT) * fall(self.release))
        };
        attack.max(decay).max(release)
    }
}

/// Asserts that the largest step of `x` stays within the bound of `segments` (plus 1 %), and prints both.
pub fn assert_smooth(what: &str, x: &[f64], segments: Segments, sample_rate: f32) {
    let bound = segments.steepest(sample_rate) * 1.01 + 1e-9;
    let step = max_step(x);
    println!("{what}: largest step {step:.3e}, bound {bound:.3e}");
    assert!(step <= bound, "{what}: largest step {step:e} exceeds the bound {bound:e}");
}

/// Plays a gate script on `rig` and returns the output: each `(gate, frames)` holds the key down (the
/// first as a fresh note, later ones as retriggers) or releases it for that many frames.
pub fn perform(rig: &mut Rig, script: Vec<(bool, usize)>) -> Vec<f64> {
    let mut x = Vec::new();
    for (i, (gate, frames)) in script.into_iter().enumerate() {
        x.extend(if !gate {
            release(rig, frames)
        } else if i == 0 {
            play(rig, frames)
        } else {
            retrigger(rig, frames)
        });
    }
    x
}
