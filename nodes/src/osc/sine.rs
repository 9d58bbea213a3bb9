//! Sine oscillator: a pure tone that follows the voice's pitch.

use crate::NodeKind;
use crate::context::Process;
use crate::lanes::{LANES, Lanes, splat};
use crate::pitch::semitones_to_hz;
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const PITCH: usize = 0;
const FINE: usize = 1;
const LEVEL: usize = 2;

/// The sine oscillator's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "sine",
    doc: "Sine oscillator following the voice pitch. Phase starts at 0 when a voice starts.",
    inputs: &[],
    outputs: &[PortSpec { name: "out", doc: "audio, ±level" }],
    params: &[
        ParamSpec::new("pitch", "Offset from the played note.", Unit::Semitones, -48.0, 48.0, 0.0, 5.0),
        ParamSpec::new("fine", "Fine tuning.", Unit::Cents, -100.0, 100.0, 0.0, 5.0),
        ParamSpec::new("level", "Output amplitude.", Unit::Linear, 0.0, 2.0, 1.0, 5.0),
    ],
    role: NodeRole::Signal,
};

/// Per-group state: phase in cycles (`0.0..1.0`) and the last phase increment, per lane.
#[derive(Clone, Debug)]
pub struct Sine {
    phase: [f64; LANES],
    increment: Lanes,
    level: Lanes,
}

impl NodeKind for Sine {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Sine { phase: [0.0; LANES], increment: splat(0.0), level: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> crate::LaneMask {
        let inv_sr = 1.0 / p.sample_rate;
        let mut target = splat(0.0);
        for l in 0..LANES {
            if p.voice.start.contains(l) {
                self.phase[l] = 0.0;
                self.increment[l] =
                    semitones_to_hz(p.voice.pitch[l] + p.params[PITCH][l] + p.params[FINE][l] * 0.01) * inv_sr;
                self.level[l] = p.params[LEVEL][l];
            }
            target[l] = semitones_to_hz(p.voice.pitch[l] + p.params[PITCH][l] + p.params[FINE][l] * 0.01) * inv_sr;
        }
        let n = p.len as f32;
        let out = &mut p.outputs[0][..p.len];
        for l in 0..LANES {
            let step = (target[l] - self.increment[l]) / n;
            let level_step = (p.params[LEVEL][l] - self.level[l]) / n;
            let mut inc = self.increment[l];
            let mut level = self.level[l];
            let mut phase = self.phase[l];
            for frame in out.iter_mut() {
                inc += step;
                level += level_step;
                frame[l] = level * (std::f64::consts::TAU * phase).sin() as f32;
                phase += inc as f64;
                phase -= phase.floor();
            }
            self.phase[l] = phase;
            self.increment[l] = target[l];
            self.level[l] = p.params[LEVEL][l];
        }
        crate::LaneMask::ALL
    }
}
