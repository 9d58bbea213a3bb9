//! Pitch quantiser: snaps a pitch signal to the nearest note of a scale.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::guard::audio;
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames, input};
use crate::lanes::{LANES, LaneMask, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

const SCALE: usize = SPEC.param_index("scale");
const ROOT: usize = SPEC.param_index("root");

/// Scale names, in choice-index order; [`DEGREES`] holds their notes. Any thread.
pub const SCALES: &[&str] = &[
    "chromatic",
    "major",
    "minor",
    "harmonic_minor",
    "dorian",
    "mixolydian",
    "pentatonic_major",
    "pentatonic_minor",
    "blues",
    "whole_tone",
];

/// Each scale's notes in semitones above the root, ending with the next octave's root (12) so that the
/// nearest note is always among them. Unused slots repeat 12.
pub const DEGREES: [[f32; 13]; 10] = [
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0],
    [0.0, 2.0, 4.0, 5.0, 7.0, 9.0, 11.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0],
    [0.0, 2.0, 3.0, 5.0, 7.0, 8.0, 10.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0],
    [0.0, 2.0, 3.0, 5.0, 7.0, 8.0, 11.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0],
    [0.0, 2.0, 3.0, 5.0, 7.0, 9.0, 10.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0],
    [0.0, 2.0, 4.0, 5.0, 7.0, 9.0, 10.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0],
    [0.0, 2.0, 4.0, 7.0, 9.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0],
    [0.0, 3.0, 5.0, 7.0, 10.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0],
    [0.0, 3.0, 5.0, 6.0, 7.0, 10.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0],
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0, 12.0],
];

/// Largest input magnitude in octaves; beyond it the input is limited (a pitch ±100 octaves from C4 is
/// already far outside hearing).
const RANGE: f32 = 100.0;

/// The quantiser's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "quantize",
    doc: "Snaps a pitch to the nearest note of a scale. Pitch is in octaves, 1.0 = 12 semitones (\"1 V/oct\"), \
          with 0 = C4 — the convention of `voice.note` and of modulation depths on pitch parameters (a route of \
          depth 1 from `out` to an oscillator's `pitch` moves it by exactly the quantised interval). \
          `root` transposes the scale: 0 = C, 2 = D, 9 = A. Halfway between two notes it picks the upper. \
          Use it on an LFO or a sample & hold to make melodies, or on `voice.note` to retune the keyboard.",
    inputs: &[PortSpec { name: "in", doc: "pitch in octaves, 0 = C4 (limited to ±100)" }],
    outputs: &[PortSpec { name: "out", doc: "the nearest scale note, in octaves, 0 = C4" }],
    params: &[
        ParamSpec::choice(
            "scale",
            "Scale: chromatic, major, minor, harmonic_minor, dorian, mixolydian, pentatonic_major, \
             pentatonic_minor, blues, whole_tone.",
            SCALES,
            1,
        ),
        ParamSpec::new(
            "root",
            "Root note in semitones above C, 0..11 (rounded to a whole semitone).",
            Unit::Linear,
            0.0,
            11.0,
            0.0,
            0.0,
        ),
    ],
    role: NodeRole::Signal,
    cost: 11.0,
};

/// The quantiser keeps no state. Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Clone, Debug)]
pub struct Quantize;

/// For each scale, the nearest scale note for each half-semitone bin above the root: entry `k` covers
/// `[k/2, (k+1)/2)` semitones. Scale notes are whole semitones, so the midpoints between neighbours (where the
/// nearest note changes) fall on bin edges and the table is exact. Built at compile time from [`DEGREES`].
const NEAREST: [[f32; 24]; 10] = {
    let mut table = [[0.0f32; 24]; 10];
    let mut s = 0;
    while s < 10 {
        let mut k = 0;
        while k < 24 {
            // The bin's centre, in quarter semitones to stay in integers: (2k + 1) / 4 semitones.
            let centre4 = 2 * k as i32 + 1;
            let mut best = 0i32;
            let mut i = 0;
            while i < 13 {
                let d4 = 4 * DEGREES[s][i] as i32;
                if (centre4 - d4).abs() < (centre4 - 4 * best).abs() {
                    best = DEGREES[s][i] as i32;
                }
                i += 1;
            }
            table[s][k] = best as f32;
            k += 1;
        }
        s += 1;
    }
    table
};

/// `octaves` snapped to the nearest note of scale `scale` (index into [`DEGREES`]) transposed by `root`
/// semitones; exactly halfway between two notes it takes the upper one. A table lookup and integer
/// conversions only (no `floor`, a libm call on baseline x86-64). Audio thread.
#[inline]
pub fn quantize(octaves: f32, scale: usize, root: f32) -> f32 {
    let table = &NEAREST[scale.min(NEAREST.len() - 1)];
    // Semitones above the root, shifted by 2400 (200 octaves) so that truncation is floor.
    let semis = clamp(octaves, -RANGE, RANGE) * 12.0 - root + 2400.0;
    let octave = (semis * (1.0 / 12.0)) as i32;
    let within = semis - 12.0 * octave as f32;
    // `within` is in [0, 12) up to rounding; the clamp keeps the index in the table either way.
    let bin = ((within * 2.0) as i32).clamp(0, 23) as usize;
    (12.0 * octave as f32 + table[bin] + root - 2400.0) * (1.0 / 12.0)
}

impl NodeKind for Quantize {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Quantize
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let (scale, root) = (param(p, SCALE), param(p, ROOT));
        let mut s = [0usize; LANES];
        let mut r = [0.0f32; LANES];
        for l in 0..LANES {
            s[l] = clamp(scale[l].round(), 0.0, (SCALES.len() - 1) as f32) as usize;
            r[l] = clamp(root[l].round(), 0.0, 11.0);
        }
        let x = input(p, 0, n);
        for (i, frame) in p.outputs[0][..n].iter_mut().enumerate() {
            let v = x.map_or(splat(0.0), |w| w[i]);
            for l in 0..LANES {
                frame[l] = quantize(audio(v[l]), s[l], r[l]);
            }
        }
        LaneMask::ALL
    }
}
