//! Voltage-controlled amplifier: scales a signal by a gain parameter and an optional control input.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::phasor::param;
use crate::dsp::{frames, input, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

const GAIN: usize = SPEC.param_index("gain");

/// The VCA's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "vca",
    doc: "Amplifier: out = in × gain × cv. With `cv` unconnected it is a plain gain stage; route an envelope to `gain` or connect it to `cv`.",
    inputs: &[
        PortSpec { name: "in", doc: "audio" },
        PortSpec { name: "cv", doc: "gain factor, usually an envelope 0..1; 1 when unconnected" },
    ],
    outputs: &[PortSpec { name: "out", doc: "audio" }],
    params: &[ParamSpec::new("gain", "Gain factor, 0..4 (1 = unity).", Unit::Linear, 0.0, 4.0, 1.0, 5.0)],
    role: NodeRole::Signal,
    cost: 0.5,
};

/// Per-group state: the gain reached at the end of the last call, for ramping.
#[derive(Clone, Debug)]
pub struct Vca {
    gain: Lanes,
}

impl NodeKind for Vca {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Vca { gain: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let target = param(p, GAIN);
        for l in 0..LANES {
            if p.voice.start.contains(l) {
                self.gain[l] = target[l];
            }
        }
        let step = ramp::step(&self.gain, &target, n);
        let mut gain = self.gain;
        let (x, cv) = (input(p, 0, n), input(p, 1, n));
        let out = &mut p.outputs[0][..n];
        // One loop per wiring, so the inner loop has no per-frame `Option` to test.
        match (x, cv) {
            (Some(x), Some(cv)) => {
                for ((frame, x), c) in out.iter_mut().zip(x).zip(cv) {
                    // Whole-array values in and out, so the lane loop becomes SIMD.
                    let (x, c) = (*x, *c);
                    let mut y = splat(0.0);
                    for l in 0..LANES {
                        gain[l] += step[l];
                        y[l] = x[l] * gain[l] * c[l];
                    }
                    *frame = y;
                }
            }
            (Some(x), None) => {
                for (frame, x) in out.iter_mut().zip(x) {
                    let x = *x;
                    let mut y = splat(0.0);
                    for l in 0..LANES {
                        gain[l] += step[l];
                        y[l] = x[l] * gain[l];
                    }
                    *frame = y;
                }
            }
            (None, _) => out.fill(splat(0.0)),
        }
        self.gain = target;
        LaneMask::ALL
    }
}
