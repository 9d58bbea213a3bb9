//! Stereo chorus: three modulated delay taps per channel.
//!
//! Each channel has its own delay line and three taps whose delays swing sinusoidally around 7, 10 and 13 ms,
//! a third of a cycle apart, so the sum never pulses. The right channel's taps run `spread` × half a cycle
//! ahead of the left's, which turns even a mono input into a wide stereo image. Taps are read with cubic
//! Hermite interpolation, so the sweep adds no zipper noise or brightness flutter.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::approx::sin_turns;
use crate::dsp::delay_line::DelayLine;
use crate::dsp::frames;
use crate::effect::{blend, flush, param, stereo_in, stereo_input, stereo_out};
use crate::lanes::LaneMask;
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const RATE: usize = SPEC.param_index("rate");
const DEPTH: usize = SPEC.param_index("depth");
const SPREAD: usize = SPEC.param_index("spread");
const MIX: usize = SPEC.param_index("mix");

/// Taps per channel.
const TAPS: usize = 3;

/// Each tap's centre delay, in seconds.
const CENTRES: [f32; TAPS] = [0.007, 0.010, 0.013];

/// Largest `depth` (peak-to-peak swing), in seconds.
const MAX_DEPTH: f32 = 0.01;

/// The chorus's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "chorus",
    doc: "Stereo chorus for the effects chain: three copies per side, each delayed by a slowly swinging 7–13 ms, \
          thicken and widen the sound. `spread` sets how far the right side's copies run out of step with the \
          left's (0 keeps a mono input mono).",
    inputs: &[PortSpec { name: "in", doc: "audio, stereo (left lane 0, right lane 1)" }],
    outputs: &[PortSpec { name: "out", doc: "audio, stereo: dry and chorus mixed by `mix`" }],
    params: &[
        ParamSpec::new("rate", "Speed of the swing, 0.01..10 Hz.", Unit::Hertz, 0.01, 10.0, 0.6, 20.0),
        ParamSpec::new(
            "depth",
            "Peak-to-peak swing of each copy's delay in seconds, 0..0.01 (0.003 = 3 ms).",
            Unit::Seconds,
            0.0,
            MAX_DEPTH,
            0.003,
            20.0,
        ),
        ParamSpec::new(
            "spread",
            "Stereo width, 0..1: the right copies run `spread` × half a cycle ahead of the left ones.",
            Unit::Linear,
            0.0,
            1.0,
            0.5,
            20.0,
        ),
        ParamSpec::new(
            "mix",
            "Dry/wet balance, 0..1: 0 passes the input untouched, 1 only the chorus.",
            Unit::Linear,
            0.0,
            1.0,
            0.5,
            20.0,
        ),
    ],
    role: NodeRole::Effect,
    cost: 75.0,
};

/// The chorus's state: a line per channel, the modulation phase and the ramped settings.
#[derive(Debug)]
pub struct Chorus {
    left: DelayLine,
    right: DelayLine,
    /// Modulation phase in cycles, `0..1`; f64 so that 0.01 Hz still advances at 192 kHz.
    phase: f64,
    /// Each tap's delay in samples (left taps, right taps) reached at the end of the last call.
    delays: [[f32; TAPS]; 2],
    /// Mix reached at the end of the last call.
    mix: f32,
    /// Whether a call has run: the first takes its settings at once.
    started: bool,
}

crate::clone_in_place!(Chorus { left, right, phase, delays, mix, started });

/// The longest delay in samples the chorus's lines serve at `sample_rate` Hz: the last tap's centre plus the
/// deepest swing, with room for the interpolator.
fn line_samples(sample_rate: f32) -> usize {
    ((CENTRES[TAPS - 1] + MAX_DEPTH) * sample_rate.max(1.0)).ceil() as usize + 4
}

impl NodeKind for Chorus {
    const SPEC: NodeSpec = SPEC;

    fn heap_bytes(sizing: &crate::Sizing<'_>) -> usize {
        2 * DelayLine::bytes_for(line_samples(sizing.sample_rate))
    }

    fn new(sample_rate: f32) -> Self {
        let max = line_samples(sample_rate);
        Chorus {
            left: DelayLine::new(max),
            right: DelayLine::new(max),
            phase: 0.0,
            delays: [[0.0; TAPS]; 2],
            mix: 0.0,
            started: false,
        }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let sr = p.sample_rate.max(1.0);
        let def = |i: usize| SPEC.params[i].default;
        let inc = param(p, RATE, 0.0, 10.0, def(RATE)) as f64 / sr as f64;
        let depth = param(p, DEPTH, 0.0, MAX_DEPTH, def(DEPTH));
        let spread = param(p, SPREAD, 0.0, 1.0, def(SPREAD));
        let mix = param(p, MIX, 0.0, 1.0, def(MIX));

        // The sweep is at most 10 Hz, so the tap delays are computed for the call's last frame and ramped
        // linearly from the last call's: over 16 frames the ramp is within 1e-5 samples of the sine.
        self.phase = (self.phase + n as f64 * inc).fract();
        let swing = 0.5 * depth * sr;
        let mut target = [[0.0f32; TAPS]; 2];
        for k in 0..TAPS {
            let t = self.phase as f32 + k as f32 * (1.0 / TAPS as f32);
            target[0][k] = CENTRES[k] * sr + swing * sin_turns(signed(t));
            target[1][k] = CENTRES[k] * sr + swing * sin_turns(signed(t + 0.5 * spread));
        }
        if !self.started {
            self.started = true;
            self.delays = target;
            self.mix = mix;
        }
        let inv_n = 1.0 / n.max(1) as f32;
        let mut delays = self.delays;
        let mut steps = [[0.0f32; TAPS]; 2];
        for side in 0..2 {
            for k in 0..TAPS {
                steps[side][k] = (target[side][k] - delays[side][k]) * inv_n;
            }
        }
        let mix_step = (mix - self.mix) * inv_n;
        let mut mix = self.mix;

        let x = stereo_input(p, n);
        for (i, out) in p.outputs[0][..n].iter_mut().enumerate() {
            mix += mix_step;
            let (in_l, in_r) = stereo_in(x, i);
            let (mut wet_l, mut wet_r) = (0.0, 0.0);
            for k in 0..TAPS {
                delays[0][k] += steps[0][k];
                delays[1][k] += steps[1][k];
                wet_l += self.left.hermite(delays[0][k]);
                wet_r += self.right.hermite(delays[1][k]);
            }
            self.left.push(flush(in_l));
            self.right.push(flush(in_r));
            let (wet_l, wet_r) = (wet_l * (1.0 / TAPS as f32), wet_r * (1.0 / TAPS as f32));
            *out = stereo_out(blend(in_l, wet_l, mix), blend(in_r, wet_r, mix));
        }
        self.delays = target;
        self.mix = mix;
        LaneMask::ALL
    }
}

/// A phase in cycles, `0 ≤ t < 2.5`, folded to `[-0.5, 0.5)` for [`sin_turns`]; selects, not `floor`, so the
/// tap loop stays branch-free and free of library calls.
#[inline(always)]
fn signed(t: f32) -> f32 {
    let t = if t >= 1.5 { t - 2.0 } else { t };
    if t >= 0.5 { t - 1.0 } else { t }
}
