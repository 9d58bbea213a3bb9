//! Slew limiter / lag: smooths a signal with separate rise and fall times.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::guard::audio;
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames, input};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

const RISE: usize = SPEC.param_index("rise");
const FALL: usize = SPEC.param_index("fall");
const CURVE: usize = SPEC.param_index("curve");

/// Longest rise or fall time, in seconds.
const MAX_TIME: f32 = 30.0;

/// The slew's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "slew",
    doc: "Follows its input no faster than the rise and fall times allow. `linear` limits the rate: `rise` is the \
          time to climb by 1.0 (a jump of 0.5 takes half of it), like a portamento of constant speed. \
          `exponential` is a one-pole lag whose time constant is `rise` or `fall`: it covers 63 % of any jump in \
          that time, like an RC filter. A time of 0 follows at once. A new voice starts at its input, without a \
          slide from the last note.",
    inputs: &[PortSpec { name: "in", doc: "any signal" }],
    outputs: &[PortSpec { name: "out", doc: "the input, slewed" }],
    params: &[
        ParamSpec::new(
            "rise",
            "Seconds to rise by 1.0 (linear) or rise time constant (exponential), 0..30.",
            Unit::Seconds,
            0.0,
            MAX_TIME,
            0.05,
            0.0,
        ),
        ParamSpec::new(
            "fall",
            "Seconds to fall by 1.0 (linear) or fall time constant (exponential), 0..30.",
            Unit::Seconds,
            0.0,
            MAX_TIME,
            0.05,
            0.0,
        ),
        ParamSpec::choice(
            "curve",
            "Slew law: `linear` (constant rate) or `exponential` (one-pole lag).",
            &["linear", "exponential"],
            0,
        ),
    ],
    role: NodeRole::Signal,
    cost: 6.0,
};

/// Per-group state: each lane's output value.
/// Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Clone, Debug)]
pub struct Slew {
    y: Lanes,
}

/// Values smaller than this are flushed to 0, so an exponential decay towards 0 never turns subnormal.
const TINY: f32 = 1e-20;

impl NodeKind for Slew {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Slew { y: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let fs = p.sample_rate.max(1.0);
        let (rise, fall, curve) = (param(p, RISE), param(p, FALL), param(p, CURVE));
        // Per lane and direction: the largest step per sample (linear) or the one-pole coefficient
        // (exponential), computed once per call.
        let (mut up, mut down) = ([0.0f32; LANES], [0.0f32; LANES]);
        let mut exponential = [false; LANES];
        let x = input(p, 0, n);
        for l in 0..LANES {
            let (r, f) = (clamp(rise[l], 0.0, MAX_TIME) * fs, clamp(fall[l], 0.0, MAX_TIME) * fs);
            exponential[l] = curve[l] >= 0.5;
            if exponential[l] {
                // Coefficient 1 − e^(−1/(τ·fs)), via `exp_m1` because `1 − exp` of a value this close to 1 loses
                // three digits in f32 (a 0.06 % error in the time); τ = 0 gives 1 (follow at once).
                up[l] = if r > 0.0 { -(-1.0 / r).exp_m1() } else { 1.0 };
                down[l] = if f > 0.0 { -(-1.0 / f).exp_m1() } else { 1.0 };
            } else {
                up[l] = if r > 0.0 { 1.0 / r } else { f32::MAX };
                down[l] = if f > 0.0 { 1.0 / f } else { f32::MAX };
            }
            if p.voice.start.contains(l) || !self.y[l].is_finite() {
                self.y[l] = x.map_or(0.0, |w| audio(w[0][l]));
            }
        }
        let mut y = self.y;
        for (i, frame) in p.outputs[0][..n].iter_mut().enumerate() {
            let v = x.map_or(splat(0.0), |w| w[i]);
            for l in 0..LANES {
                let d = audio(v[l]) - y[l];
                let next = if exponential[l] {
                    y[l] + d * if d > 0.0 { up[l] } else { down[l] }
                } else {
                    y[l] + d.min(up[l]).max(-down[l])
                };
                y[l] = if next.abs() < TINY { 0.0 } else { next };
            }
            *frame = y;
        }
        self.y = y;
        LaneMask::ALL
    }
}
