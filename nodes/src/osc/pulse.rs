//! Pulse oscillator with variable width, band-limited with PolyBLEP on both edges.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::blep::poly_blep;
use crate::dsp::phasor::{Phasor, param, unit};
use crate::dsp::{clamp, frames, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const PITCH: usize = 0;
const FINE: usize = 1;
const WIDTH: usize = 2;
const LEVEL: usize = 3;

/// The pulse oscillator's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "pulse",
    doc: "Pulse wave following the voice pitch: +level for the first `width` of each cycle, −level for the rest, \
          band-limited with two-point PolyBLEP on both edges. Not DC-free: its mean is (2·width − 1)·level. A \
          voice starts on the rising edge.",
    inputs: &[],
    outputs: &[PortSpec { name: "out", doc: "audio, ±level" }],
    params: &[
        super::PITCH_PARAM,
        super::FINE_PARAM,
        ParamSpec::new("width", "Fraction of the cycle spent high (duty cycle).", Unit::Linear, 0.02, 0.98, 0.5, 5.0),
        super::LEVEL_PARAM,
    ],
    role: NodeRole::Signal,
};

/// Per-group state: a fixed-point phase per lane, and the width and level reached at the end of the last call.
#[derive(Clone, Debug)]
pub struct Pulse {
    phasor: Phasor,
    width: Lanes,
    level: Lanes,
}

impl NodeKind for Pulse {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Pulse { phasor: Phasor::new(0), width: splat(0.5), level: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let sweep = self.phasor.begin(p, PITCH, FINE, n, 0);
        let level_target = param(p, LEVEL);
        let mut width_target = param(p, WIDTH);
        for l in 0..LANES {
            width_target[l] = clamp(width_target[l], 0.02, 0.98);
            if p.voice.start.contains(l) {
                self.level[l] = level_target[l];
                self.width[l] = width_target[l];
            }
        }
        let level_step = ramp::step(&self.level, &level_target, n);
        let width_step = ramp::step(&self.width, &width_target, n);
        let mut phase = self.phasor.phase;
        let mut inc = self.phasor.inc;
        let mut level = self.level;
        let mut width = self.width;
        let mut inv_dt = sweep.inv_dt;
        for frame in p.outputs[0][..n].iter_mut() {
            for l in 0..LANES {
                inc[l] = inc[l].wrapping_add(sweep.inc_step[l]);
                level[l] += level_step[l];
                width[l] += width_step[l];
                let t = unit(phase[l]);
                let fall = t - width[l];
                let fall = if fall < 0.0 { fall + 1.0 } else { fall };
                let naive = if t < width[l] { 1.0 } else { -1.0 };
                frame[l] = level[l] * (naive + poly_blep(t, inv_dt[l]) - poly_blep(fall, inv_dt[l]));
                phase[l] = phase[l].wrapping_add(inc[l]);
                inv_dt[l] += sweep.inv_dt_step[l];
            }
        }
        self.phasor.phase = phase;
        self.phasor.end(&sweep);
        self.level = level_target;
        self.width = width_target;
        LaneMask::ALL
    }
}
