//! Sine oscillator: a pure tone that follows the voice's pitch.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::approx::sin_turns;
use crate::dsp::phasor::{Phasor, param, signed};
use crate::dsp::{frames, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, PortSpec};

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
    params: &[super::PITCH_PARAM, super::FINE_PARAM, super::LEVEL_PARAM],
    role: NodeRole::Signal,
};

/// Per-group state: a fixed-point phase per lane and the level reached at the end of the last call.
///
/// The waveform is a degree-9 polynomial (error below 2.5e-7, at f32 rounding), so a call costs a handful of
/// multiply-adds per voice-sample and vectorises across the eight lanes.
#[derive(Clone, Debug)]
pub struct Sine {
    phasor: Phasor,
    level: Lanes,
}

impl NodeKind for Sine {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Sine { phasor: Phasor::new(0), level: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let sweep = self.phasor.begin(p, PITCH, FINE, n, 0);
        let level_target = param(p, LEVEL);
        for l in 0..LANES {
            if p.voice.start.contains(l) {
                self.level[l] = level_target[l];
            }
        }
        let level_step = ramp::step(&self.level, &level_target, n);
        let mut phase = self.phasor.phase;
        let mut inc = self.phasor.inc;
        let mut level = self.level;
        for frame in p.outputs[0][..n].iter_mut() {
            for l in 0..LANES {
                inc[l] = inc[l].wrapping_add(sweep.inc_step[l]);
                level[l] += level_step[l];
                frame[l] = level[l] * sin_turns(signed(phase[l]));
                phase[l] = phase[l].wrapping_add(inc[l]);
            }
        }
        self.phasor.phase = phase;
        self.phasor.end(&sweep);
        self.level = level_target;
        LaneMask::ALL
    }
}
