//! Algorithmic stereo reverb: a feedback delay network (FDN) of eight lines mixed by a Hadamard matrix.
//!
//! # Signal flow
//! Left and right pass a pre-delay, then four all-pass diffusers each (different lengths per side), which
//! turn an attack into a dense burst. The left burst enters lines 0–3, the right lines 4–7. Every sample the
//! eight line outputs are each damped by a one-pole low-pass and scaled by a gain, mixed by the orthogonal
//! 8×8 Hadamard matrix (a fast Walsh–Hadamard transform, 24 additions) and written back with the input. The
//! outputs are two orthogonal sign patterns over the line outputs, so left and right are decorrelated;
//! `width` blends them towards mono.
//!
//! # Decay
//! Line `i` of `dᵢ` samples gets the gain `gᵢ = 10^(−3·dᵢ / (decay · fs))`: −60 dB after `decay` seconds
//! whatever path a sound takes, since every path is a sequence of lines and the matrix is orthogonal. The
//! damping low-pass `(1 − bᵢ) / (1 − bᵢ·z⁻¹)` has unit gain at DC, and `bᵢ` is chosen so that at the
//! `damping` frequency it loses as much again as `gᵢ`: that frequency dies away in half the decay time,
//! higher ones faster, lower ones close to `decay`.
//!
//! # Stability
//! An orthogonal matrix times gains of at most `gᵢ < 1` is a contraction, so the network cannot blow up at
//! any setting, and state below 1e-20 is flushed to 0 so a tail ends in exact silence, never denormals.
//!
//! Line lengths scale with the sample rate and with `size`, and are whole samples (a fractional read in the
//! loop would low-pass every round trip). A change of `size` glides over about 0.1 s, one sample at a time.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::allpass::Allpass;
use crate::dsp::delay_line::DelayLine;
use crate::dsp::frames;
use crate::effect::{flush, param, smoothing_coefficient, stereo_in, stereo_input, stereo_out};
use crate::lanes::LaneMask;
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const SIZE: usize = 0;
const DECAY: usize = 1;
const DAMPING: usize = 2;
const PREDELAY: usize = 3;
const WIDTH: usize = 4;
const MIX: usize = 5;

/// Lines in the network.
const LINES: usize = 8;

/// Line lengths at `size` 0.5, in seconds: primes of samples at 48 kHz (1109 … 2749), spread so that no two
/// share a common period.
const LINE_SECONDS: [f32; LINES] =
    [0.023_104, 0.027_646, 0.031_896, 0.036_646, 0.041_229, 0.045_021, 0.051_521, 0.057_271];

/// How far `size` scales the line lengths: `2^(2·(size − 0.5))`, ×0.5 at 0 to ×2 at 1.
const SIZE_OCTAVES: f32 = 2.0;

/// Diffuser lengths in seconds, left and right (different, so the sides decorrelate from the first echo).
const DIFFUSER_SECONDS: [[f32; 4]; 2] =
    [[0.004_771, 0.003_595, 0.002_734, 0.001_873], [0.004_933, 0.003_712, 0.002_591, 0.001_791]];

/// Feedback gain of the diffusers: dense without ringing.
const DIFFUSION: f32 = 0.62;

/// Longest pre-delay, in seconds.
const MAX_PREDELAY: f32 = 0.25;

/// Output gain: with it, a steady noise at default settings comes out at roughly its input level.
const OUTPUT_GAIN: f32 = 0.35;

/// Time constant of the glides of `size` and `predelay`, in seconds.
const GLIDE_SECONDS: f32 = 0.1;

/// The reverb's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "reverb",
    doc: "Stereo reverb for the effects chain (an eight-line feedback delay network after four all-pass \
          diffusers per side): `size` sets the room's scale, `decay` how long its tail takes to fall by 60 dB, \
          `damping` how much sooner the highs die away.",
    inputs: &[PortSpec { name: "in", doc: "audio, stereo (left lane 0, right lane 1)" }],
    outputs: &[PortSpec { name: "out", doc: "audio, stereo: dry and reverb mixed by `mix`" }],
    params: &[
        ParamSpec::new(
            "size",
            "Room size, 0..1: scales the echo spacing ×0.5 to ×2 (0.5 = 23–57 ms). Glides (0.1 s).",
            Unit::Linear,
            0.0,
            1.0,
            0.5,
            50.0,
        ),
        ParamSpec::new(
            "decay",
            "Reverb time (RT60) in seconds, 0.1..30: how long the tail takes to fall by 60 dB at low frequencies.",
            Unit::Seconds,
            0.1,
            30.0,
            2.0,
            20.0,
        ),
        ParamSpec::new(
            "damping",
            "Frequency in Hz, 200..20000 (at most 0.45 × sample rate), that decays twice as fast as `decay`; \
             higher ones faster still. Lower is darker.",
            Unit::Hertz,
            200.0,
            20_000.0,
            6000.0,
            20.0,
        ),
        ParamSpec::new(
            "predelay",
            "Gap before the reverb starts, 0..0.25 s. Glides (0.1 s).",
            Unit::Seconds,
            0.0,
            MAX_PREDELAY,
            0.01,
            0.0,
        ),
        ParamSpec::new(
            "width",
            "Stereo width of the reverb, 0..1: 0 mono, 1 fully decorrelated left and right.",
            Unit::Linear,
            0.0,
            1.0,
            1.0,
            20.0,
        ),
        ParamSpec::new("mix", "Dry/wet balance, 0..1: 0 dry only, 1 reverb only.", Unit::Linear, 0.0, 1.0, 0.25, 20.0),
    ],
    role: NodeRole::Effect,
};

/// The settings the loop coefficients were computed for, so that a steady reverb computes none.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Key {
    lengths: [usize; LINES],
    decay: f32,
    damping: f32,
    sample_rate: f32,
}

/// The reverb's state.
#[derive(Clone, Debug)]
pub struct Reverb {
    predelay: [DelayLine; 2],
    diffusers: [[Allpass; 4]; 2],
    lines: [DelayLine; LINES],
    /// Each line's damping filter memory.
    damp: [f32; LINES],
    /// Each line's gain `gᵢ` and damping pole `bᵢ`.
    gain: [f32; LINES],
    pole: [f32; LINES],
    key: Key,
    /// Current length scale, gliding to the one `size` asks for.
    scale: f32,
    /// Current pre-delay in samples, gliding.
    predelay_samples: f32,
    /// Width and mix reached at the end of the last call.
    ramped: [f32; 2],
    /// Whether a call has run: the first takes its settings at once.
    started: bool,
}

/// The damping pole `b` of `(1 − b)/(1 − b·z⁻¹)` whose power gain at angular frequency `w` (radians per
/// sample) is `a` (`0 < a < 1`): the root below 1 of `(1 − a)·b² − 2(1 − a·cos w)·b + (1 − a) = 0`. Per call.
fn damping_pole(a: f64, w: f64) -> f64 {
    let one_minus_a = 1.0 - a;
    if one_minus_a <= 1e-12 {
        return 0.0;
    }
    let c = 1.0 - a * w.cos();
    let disc = (c * c - one_minus_a * one_minus_a).max(0.0);
    ((c - disc.sqrt()) / one_minus_a).clamp(0.0, 0.999)
}

/// In-place orthonormal 8-point Walsh–Hadamard transform. Audio thread.
#[inline(always)]
fn hadamard(x: &mut [f32; LINES]) {
    let mut h = 1;
    while h < LINES {
        for i in (0..LINES).step_by(2 * h) {
            for j in i..i + h {
                let (a, b) = (x[j], x[j + h]);
                x[j] = a + b;
                x[j + h] = a - b;
            }
        }
        h *= 2;
    }
    for v in x.iter_mut() {
        *v *= std::f32::consts::FRAC_1_SQRT_2 * 0.5;
    }
}

/// The output sign patterns: rows 1 and 2 of the Hadamard matrix, orthogonal to each other.
const TAPS_L: [f32; LINES] = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
const TAPS_R: [f32; LINES] = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0];

impl Reverb {
    /// Recomputes the line gains and damping poles when `key` differs from the last call's. Per call.
    fn update(&mut self, key: Key) {
        if key == self.key {
            return;
        }
        self.key = key;
        let sr = key.sample_rate as f64;
        let w = std::f64::consts::TAU * (key.damping as f64).min(0.45 * sr) / sr;
        for i in 0..LINES {
            let gain = 10f64.powf(-3.0 * key.lengths[i] as f64 / (key.decay as f64 * sr));
            self.gain[i] = gain as f32;
            self.pole[i] = damping_pole(gain * gain, w) as f32;
        }
    }
}

impl NodeKind for Reverb {
    const SPEC: NodeSpec = SPEC;

    fn new(sample_rate: f32) -> Self {
        let sr = sample_rate.max(1.0);
        let longest = LINE_SECONDS[LINES - 1] * 2f32.powf(0.5 * SIZE_OCTAVES);
        let samples = |s: f32| (s * sr).round() as usize;
        let diffusers = DIFFUSER_SECONDS.map(|side| side.map(|seconds| Allpass::new(samples(seconds), DIFFUSION)));
        Reverb {
            predelay: std::array::from_fn(|_| DelayLine::new(samples(MAX_PREDELAY) + 2)),
            diffusers,
            lines: std::array::from_fn(|_| DelayLine::new(samples(longest) + 2)),
            damp: [0.0; LINES],
            gain: [0.0; LINES],
            pole: [0.0; LINES],
            key: Key { lengths: [0; LINES], decay: 0.0, damping: 0.0, sample_rate: 0.0 },
            scale: 1.0,
            predelay_samples: 1.0,
            ramped: [0.0; 2],
            started: false,
        }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let sr = p.sample_rate.max(1.0);
        let def = |i: usize| SPEC.params[i].default;
        let size = param(p, SIZE, 0.0, 1.0, def(SIZE));
        let target_scale = crate::spec::exp2(SIZE_OCTAVES * (size - 0.5));
        let predelay_max = self.predelay[0].max_delay();
        let target_predelay =
            (param(p, PREDELAY, 0.0, MAX_PREDELAY, def(PREDELAY)) * sr).round().clamp(1.0, predelay_max);
        let target = [param(p, WIDTH, 0.0, 1.0, def(WIDTH)), param(p, MIX, 0.0, 1.0, def(MIX))];
        let glide = smoothing_coefficient(GLIDE_SECONDS, sr);
        if !self.started {
            self.started = true;
            self.scale = target_scale;
            self.predelay_samples = target_predelay;
            self.ramped = target;
        }
        // The size glides per call (lengths change by whole samples at call boundaries): `glide` is per sample.
        self.scale += (target_scale - self.scale) * (1.0 - (1.0 - glide).powi(n as i32));
        let line_max = self.lines[0].max_delay();
        let lengths = LINE_SECONDS.map(|s| (s * self.scale * sr).round().clamp(1.0, line_max) as usize);
        self.update(Key {
            lengths,
            decay: param(p, DECAY, 0.1, 30.0, def(DECAY)),
            damping: param(p, DAMPING, 200.0, 20_000.0, def(DAMPING)),
            sample_rate: sr,
        });

        let inv_n = 1.0 / n.max(1) as f32;
        let step = [(target[0] - self.ramped[0]) * inv_n, (target[1] - self.ramped[1]) * inv_n];
        let [mut width, mut mix] = self.ramped;
        let x = stereo_input(p, n);
        let mut predelay = self.predelay_samples;
        let (gain, pole) = (self.gain, self.pole);
        for (i, out) in p.outputs[0][..n].iter_mut().enumerate() {
            width += step[0];
            mix += step[1];
            predelay += (target_predelay - predelay) * glide;
            let (in_l, in_r) = stereo_in(x, i);

            let mut sides = [in_l, in_r];
            for (side, value) in sides.iter_mut().enumerate() {
                let line = &mut self.predelay[side];
                let mut v = line.linear(predelay);
                line.push(flush(*value));
                for diffuser in self.diffusers[side].iter_mut() {
                    v = diffuser.process(v);
                }
                *value = v;
            }

            let mut taps = [0.0f32; LINES];
            let mut feedback = [0.0f32; LINES];
            for l in 0..LINES {
                taps[l] = self.lines[l].tap(lengths[l]);
                let damped = taps[l] + pole[l] * (self.damp[l] - taps[l]);
                self.damp[l] = flush(damped);
                feedback[l] = gain[l] * damped;
            }
            hadamard(&mut feedback);
            let (mut wet_l, mut wet_r) = (0.0, 0.0);
            for l in 0..LINES {
                let inject = if l < LINES / 2 { sides[0] } else { sides[1] };
                self.lines[l].push(flush(feedback[l] + inject));
                wet_l += TAPS_L[l] * taps[l];
                wet_r += TAPS_R[l] * taps[l];
            }
            // Mid/side: width scales the side.
            let mid = 0.5 * (wet_l + wet_r);
            let side = 0.5 * width * (wet_l - wet_r);
            let (wet_l, wet_r) = (OUTPUT_GAIN * (mid + side), OUTPUT_GAIN * (mid - side));
            *out = stereo_out(in_l + mix * (wet_l - in_l), in_r + mix * (wet_r - in_r));
        }
        self.predelay_samples = predelay;
        self.ramped = target;
        LaneMask::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hadamard_is_orthonormal() {
        for k in 0..LINES {
            let mut e = [0.0; LINES];
            e[k] = 1.0;
            hadamard(&mut e);
            let norm: f32 = e.iter().map(|v| v * v).sum();
            assert!((norm - 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn damping_pole_meets_its_gain() {
        for (a, w) in [(0.9, 0.5), (0.999, 2.0), (0.5, 3.0), (0.99999, 0.1)] {
            let b = damping_pole(a, w);
            let power = (1.0 - b) * (1.0 - b) / (1.0 - 2.0 * b * w.cos() + b * b);
            assert!((power - a).abs() < 1e-6, "a {a}, w {w}: b {b}, power {power}");
        }
    }
}
