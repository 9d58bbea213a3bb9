//! Four-pole ladder filter: four trapezoidal (TPT) one-pole low-passes in a loop with negative feedback and a
//! `tanh` saturator at the loop's input, after Zavalishin's *The Art of VA Filter Design* (ch. 5–6).
//!
//! # Structure
//! Per sample, with `g = tan(π·cutoff/fs)` and `G = g/(1 + g)`, each stage is `y = G·(x − s) + s`,
//! `s ← 2y − s`. The four stages' output is `y4 = G⁴·u + S` with `S` from the states, so the loop
//! `u = drive·x·(1 + c·k) − k·y4` is solved without a unit delay: `u = (drive·x·(1 + c·k) − k·S)/(1 + k·G⁴)`,
//! then saturated, `u ← tanh(u)`, before it enters the stages. Every stage is −3 dB and −45° at the cutoff
//! (thanks to the prewarped `g`), so the loop turns −180° there and the filter sings exactly at the cutoff
//! when the feedback `k = 4 × resonance` reaches 4.
//!
//! # Stability
//! The saturator bounds what enters the stages to ±1, and each trapezoidal one-pole with `0 < G < 1` is a
//! contraction of its state (`s ← 2G·x + (1 − 2G)·s`), whatever `G` does from one sample to the next. So the
//! states stay bounded under any parameter value, sweep or audio-rate cutoff modulation, and self-oscillation
//! settles at a level the saturator sets (about −20 dB RMS, ±0.14, at `lp`).
//!
//! # Noise
//! A −140 dB (1e-7) noise is added at the loop's input, like an analog ladder's thermal noise, so the filter
//! starts to self-oscillate with nothing connected and its memory never decays into denormals. From that
//! noise the oscillation takes about 106 / cutoff seconds to reach full level at resonance 1.1 (0.1 s at
//! 1 kHz) and 55 / cutoff at 1.2; any input signal starts it at once.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::approx::tan_pi;
use crate::dsp::cutoff::{MAX_RATIO, MIN_RATIO, keytracked_ratio, modulated_ratio, sanitize};
use crate::dsp::phasor::param;
use crate::dsp::saturate::tanh;
use crate::dsp::{clamp, frames_for, input};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const CUTOFF: usize = SPEC.param_index("cutoff");
const RESONANCE: usize = SPEC.param_index("resonance");
const DRIVE: usize = SPEC.param_index("drive");
const KEYTRACK: usize = SPEC.param_index("keytrack");
const COMPENSATION: usize = SPEC.param_index("compensation");

/// Input indices, in [`SPEC`] order.
const IN: usize = SPEC.input_index("in");
const CUTOFF_IN: usize = SPEC.input_index("cutoff");

/// Output indices, in [`SPEC`] order.
const OUTPUTS: usize = 4;

/// Feedback `k` per unit of resonance: resonance 1 is the edge of self-oscillation.
const FEEDBACK_PER_RESONANCE: f32 = 4.0;

/// Highest resonance: 20 % past the edge, so self-oscillation starts within a few cycles.
const MAX_RESONANCE: f32 = 1.2;

/// Amplitude of the noise added at the loop's input (−140 dB).
const NOISE: f32 = 1e-7;

/// The ladder's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "ladder",
    doc: "Four-pole (24 dB/octave) ladder low-pass in the manner of the Moog transistor ladder: zero-delay \
          feedback, tanh drive, resonance up to self-oscillation at the cutoff, with 12 dB low-pass, band-pass \
          and high-pass taps. Stable at every setting and under audio-rate cutoff modulation.",
    inputs: &[
        PortSpec { name: "in", doc: "audio" },
        PortSpec {
            name: "cutoff",
            doc: "audio-rate cutoff offset in octaves per unit (+1 doubles the cutoff); 0 when unconnected",
        },
    ],
    outputs: &[
        PortSpec { name: "lp", doc: "audio, 4-pole low-pass, 24 dB/octave" },
        PortSpec { name: "lp12", doc: "audio, 2-pole low-pass tap, 12 dB/octave" },
        PortSpec { name: "bp", doc: "audio, band-pass (12 dB/octave each side), unity gain at the cutoff" },
        PortSpec { name: "hp", doc: "audio, 4-pole high-pass, 24 dB/octave" },
    ],
    params: &[
        ParamSpec::new(
            "cutoff",
            "Cutoff frequency, 20 Hz..20 kHz, for a voice at C4: each stage is −3 dB and self-oscillation sings \
             there; limited to 0.48 × sample rate.",
            Unit::Hertz,
            20.0,
            20_000.0,
            1000.0,
            5.0,
        ),
        ParamSpec::new(
            "resonance",
            "Feedback, 0..1.2: 0 none, 1 the edge of self-oscillation, above 1 a steady sine at the cutoff.",
            Unit::Linear,
            0.0,
            MAX_RESONANCE,
            0.3,
            5.0,
        ),
        ParamSpec::new(
            "drive",
            "Gain into the tanh saturator, 0..36 dB: 0 dB is nearly clean at ±0.1 input and warm at ±1.",
            Unit::Decibels,
            0.0,
            36.0,
            0.0,
            5.0,
        ),
        ParamSpec::new(
            "keytrack",
            "How far the cutoff follows the voice pitch from C4 (MIDI 60), 0..1: 1 moves it an octave per octave.",
            Unit::Linear,
            0.0,
            1.0,
            0.0,
            5.0,
        ),
        ParamSpec::new(
            "compensation",
            "Passband gain make-up, 0..1: 0 is the classic ladder (bass drops by 1 + 4 × resonance as resonance \
             rises), 1 keeps the low-pass passband at unity for small signals at any resonance.",
            Unit::Linear,
            0.0,
            1.0,
            0.0,
            5.0,
        ),
    ],
    role: NodeRole::Signal,
    cost: 14.0,
};

/// Per-group state: each lane's four stage memories, the one-pole gain `G` and feedback `k` reached at the
/// end of the last call, the unmodulated cutoff ratio they belong to, and a noise generator.
#[derive(Clone, Debug)]
pub struct Ladder {
    s: [Lanes; 4],
    gain: Lanes,
    k: Lanes,
    ratio: Lanes,
    seed: [u32; LANES],
}

/// The one-pole gain `G = g/(1 + g)` of a trapezoidal stage at cutoff `ratio` (fraction of the sample rate).
#[inline(always)]
fn stage_gain(ratio: f32) -> f32 {
    let g = tan_pi(ratio);
    g / (1.0 + g)
}

impl NodeKind for Ladder {
    const SPEC: NodeSpec = SPEC;

    fn new(sample_rate: f32) -> Self {
        let ratio = clamp(SPEC.params[CUTOFF].default / sample_rate.max(1.0), MIN_RATIO, MAX_RATIO);
        let mut seed = [0; LANES];
        for (l, s) in seed.iter_mut().enumerate() {
            *s = 0x9E37_79B9u32.wrapping_mul(l as u32 + 1);
        }
        Ladder {
            s: [splat(0.0); 4],
            gain: splat(stage_gain(ratio)),
            k: splat(SPEC.params[RESONANCE].default * FEEDBACK_PER_RESONANCE),
            ratio: splat(ratio),
            seed,
        }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames_for(p, OUTPUTS);
        let ratio = keytracked_ratio(&param(p, CUTOFF), &param(p, KEYTRACK), &p.voice.pitch, p.sample_rate);
        let (resonance, drive, comp) = (param(p, RESONANCE), param(p, DRIVE), param(p, COMPENSATION));
        let mut gain = splat(0.0);
        let mut k = splat(0.0);
        let mut input_gain = splat(0.0);
        for l in 0..LANES {
            gain[l] = stage_gain(ratio[l]);
            k[l] = clamp(resonance[l], 0.0, MAX_RESONANCE) * FEEDBACK_PER_RESONANCE;
            // Per call: the drive's dB to a factor, and the make-up gain for the feedback's passband loss.
            let d = crate::spec::exp2(clamp(drive[l], 0.0, 36.0) * (std::f32::consts::LOG2_10 / 20.0));
            input_gain[l] = d * (1.0 + clamp(comp[l], 0.0, 1.0) * k[l]);
            if p.voice.start.contains(l) {
                for s in &mut self.s {
                    s[l] = 0.0;
                }
                self.gain[l] = gain[l];
                self.k[l] = k[l];
                self.ratio[l] = ratio[l];
            }
        }
        let inv_n = 1.0 / n.max(1) as f32;
        let (mut gain_step, mut k_step, mut ratio_step) = (splat(0.0), splat(0.0), splat(0.0));
        for l in 0..LANES {
            gain_step[l] = (gain[l] - self.gain[l]) * inv_n;
            k_step[l] = (k[l] - self.k[l]) * inv_n;
            ratio_step[l] = (ratio[l] - self.ratio[l]) * inv_n;
        }

        let (x, cv) = (input(p, IN, n), input(p, CUTOFF_IN, n));
        let (mut g, mut fb, mut base) = (self.gain, self.k, self.ratio);
        let [mut s1, mut s2, mut s3, mut s4] = self.s;
        let mut seed = self.seed;
        let [lp, lp12, bp, hp, ..] = &mut p.outputs;
        let (lp, lp12, bp, hp) = (&mut lp[..n], &mut lp12[..n], &mut bp[..n], &mut hp[..n]);
        // Each frame is built in a local and then copied out: written straight into the four output slices,
        // the lane loop did not vectorise (the compiler cannot tell the slices apart), measured 2× slower.
        let mut frame = [splat(0.0); OUTPUTS];
        for i in 0..n {
            let v0 = x.map_or(splat(0.0), |x| x[i]);
            match cv {
                None => {
                    for l in 0..LANES {
                        g[l] += gain_step[l];
                    }
                }
                Some(cv) => {
                    for l in 0..LANES {
                        base[l] += ratio_step[l];
                        g[l] = stage_gain(modulated_ratio(base[l], cv[i][l]));
                    }
                }
            }
            for l in 0..LANES {
                fb[l] += k_step[l];
                // xorshift32 noise: shifts and xors only, so the lane loop stays vectorised with SSE2.
                let mut z = seed[l];
                z ^= z << 13;
                z ^= z >> 17;
                z ^= z << 5;
                seed[l] = z;
                let noise = seed[l] as i32 as f32 * (NOISE / 2_147_483_648.0);
                let gl = g[l];
                let b = 1.0 - gl;
                // The stages' output with a zero input: y4 = G⁴·u + sum.
                let sum = b * (s4[l] + gl * (s3[l] + gl * (s2[l] + gl * s1[l])));
                let g2 = gl * gl;
                let drive_in = input_gain[l] * sanitize(v0[l]) + noise;
                let u = tanh((drive_in - fb[l] * sum) / (1.0 + fb[l] * g2 * g2));
                let y1 = gl * (u - s1[l]) + s1[l];
                s1[l] = 2.0 * y1 - s1[l];
                let y2 = gl * (y1 - s2[l]) + s2[l];
                s2[l] = 2.0 * y2 - s2[l];
                let y3 = gl * (y2 - s3[l]) + s3[l];
                s3[l] = 2.0 * y3 - s3[l];
                let y4 = gl * (y3 - s4[l]) + s4[l];
                s4[l] = 2.0 * y4 - s4[l];
                frame[0][l] = y4;
                frame[1][l] = y2;
                frame[2][l] = 4.0 * (y2 - 2.0 * y3 + y4);
                frame[3][l] = u - 4.0 * y1 + 6.0 * y2 - 4.0 * y3 + y4;
            }
            lp[i] = frame[0];
            lp12[i] = frame[1];
            bp[i] = frame[2];
            hp[i] = frame[3];
        }
        self.s = [s1, s2, s3, s4];
        self.gain = g;
        self.k = k;
        self.ratio = ratio;
        self.seed = seed;
        LaneMask::ALL
    }
}
