//! Sawtooth oscillator, band-limited with PolyBLEP.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::blep::poly_blep;
use crate::dsp::phasor::{Phasor, param, unit};
use crate::dsp::{frames, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, PortSpec};

/// Parameter indices, in [`SPEC`] order.
const PITCH: usize = 0;
const FINE: usize = 1;
const LEVEL: usize = 2;

/// Phase a fresh voice starts at: half a cycle, where the ramp crosses zero, so a note starts without a step.
const START_PHASE: u32 = 1 << 31;

/// The sawtooth oscillator's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "saw",
    doc: "Rising sawtooth following the voice pitch, band-limited with two-point PolyBLEP. A voice starts at the \
          ramp's zero crossing.",
    inputs: &[],
    outputs: &[PortSpec { name: "out", doc: "audio, ±level" }],
    params: &[super::PITCH_PARAM, super::FINE_PARAM, super::LEVEL_PARAM],
    role: NodeRole::Signal,
};

/// Per-group state: a fixed-point phase per lane and the level reached at the end of the last call.
#[derive(Clone, Debug)]
pub struct Saw {
    phasor: Phasor,
    level: Lanes,
}

impl NodeKind for Saw {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Saw { phasor: Phasor::new(START_PHASE), level: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let sweep = self.phasor.begin(p, PITCH, FINE, n, START_PHASE);
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
        let mut inv_dt = sweep.inv_dt;
        for frame in p.outputs[0][..n].iter_mut() {
            for l in 0..LANES {
                inc[l] = inc[l].wrapping_add(sweep.inc_step[l]);
                level[l] += level_step[l];
                let t = unit(phase[l]);
                frame[l] = level[l] * (2.0 * t - 1.0 - poly_blep(t, inv_dt[l]));
                phase[l] = phase[l].wrapping_add(inc[l]);
                inv_dt[l] += sweep.inv_dt_step[l];
            }
        }
        self.phasor.phase = phase;
        self.phasor.end(&sweep);
        self.level = level_target;
        LaneMask::ALL
    }
}
