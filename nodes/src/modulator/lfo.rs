//! Low-frequency oscillator with four shapes, one per voice.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::approx::sin_turns;
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames};
use crate::lanes::{LANES, LaneMask, Lanes};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const RATE: usize = 0;
const SHAPE: usize = 1;
const PHASE: usize = 2;

/// Shape names, in choice-index order.
const SHAPES: &[&str] = &["sine", "triangle", "saw", "square"];

/// The LFO's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "lfo",
    doc: "Low-frequency oscillator, −1..1, running per voice. Every shape crosses 0 rising at phase 0 and is \
          positive for the first half cycle: sine; triangle (peaks at 1/4 and 3/4); saw (rises from 0 to 1, \
          drops to −1 at half a cycle, rises to 0); square (+1 then −1). Saw and square are not band-limited.",
    inputs: &[],
    outputs: &[PortSpec { name: "out", doc: "control, −1..1" }],
    params: &[
        ParamSpec::new("rate", "Cycles per second.", Unit::Hertz, 0.01, 100.0, 1.0, 5.0),
        ParamSpec::choice("shape", "Waveform.", SHAPES, 0),
        ParamSpec::new(
            "phase",
            "Phase in cycles where a voice starts; read only at voice start.",
            Unit::Linear,
            0.0,
            1.0,
            0.0,
            0.0,
        ),
    ],
    role: NodeRole::Signal,
};

/// Per-group state: each lane's phase in cycles (`0..1`, f64 so rate holds over hours) and the per-sample
/// increment reached at the end of the last call.
#[derive(Clone, Debug)]
pub struct Lfo {
    phase: [f64; LANES],
    inc: [f64; LANES],
}

impl NodeKind for Lfo {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Lfo { phase: [0.0; LANES], inc: [0.0; LANES] }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let inv_sr = 1.0 / p.sample_rate.max(1.0) as f64;
        let (rate, shape, start_phase) = (param(p, RATE), param(p, SHAPE), param(p, PHASE));
        let mut target = [0.0f64; LANES];
        let mut step = [0.0f64; LANES];
        // One-hot weights of the four shapes, per lane: every shape is computed, one is kept, so the loop has
        // no branch on the choice.
        let mut weight = [[0.0f32; LANES]; 4];
        for l in 0..LANES {
            // 0.45·fs keeps one step under half a cycle.
            target[l] = clamp(rate[l], 0.0, 0.45 * p.sample_rate) as f64 * inv_sr;
            if p.voice.start.contains(l) {
                let start = (start_phase[l] as f64).rem_euclid(1.0);
                // NaN, and a remainder that rounded up to 1, start at 0.
                self.phase[l] = if start < 1.0 { start } else { 0.0 };
                self.inc[l] = target[l];
            }
            step[l] = (target[l] - self.inc[l]) / n.max(1) as f64;
            let index = clamp(shape[l].round(), 0.0, 3.0) as usize;
            weight[index.min(3)][l] = 1.0;
        }
        let mut phase = self.phase;
        let mut inc = self.inc;
        for frame in p.outputs[0][..n].iter_mut() {
            let mut out: Lanes = [0.0; LANES];
            for l in 0..LANES {
                let t = phase[l] as f32;
                // Signed phase in [-0.5, 0.5): 0 at the rising zero crossing.
                let s = if t >= 0.5 { t - 1.0 } else { t };
                let a = s.abs();
                let folded = if a > 0.25 { (0.5 - a).copysign(s) } else { s };
                let square = if s >= 0.0 { 1.0 } else { -1.0 };
                out[l] = weight[0][l] * sin_turns(s)
                    + weight[1][l] * 4.0 * folded
                    + weight[2][l] * 2.0 * s
                    + weight[3][l] * square;
                inc[l] += step[l];
                let next = phase[l] + inc[l];
                phase[l] = if next >= 1.0 { next - 1.0 } else { next };
            }
            *frame = out;
        }
        self.phase = phase;
        self.inc = target;
        LaneMask::ALL
    }
}
