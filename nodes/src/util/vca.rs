//! Voltage-controlled amplifier: scales a signal by a gain parameter and an optional control input.

use crate::NodeKind;
use crate::context::Process;
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

const GAIN: usize = 0;

/// The VCA's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "vca",
    doc: "Amplifier: out = in × gain × cv. With `cv` unconnected it is a plain gain stage; route an envelope to `gain` or connect it to `cv`.",
    inputs: &[
        PortSpec { name: "in", doc: "audio" },
        PortSpec { name: "cv", doc: "gain factor, usually an envelope 0..1; 1 when unconnected" },
    ],
    outputs: &[PortSpec { name: "out", doc: "audio" }],
    params: &[ParamSpec::new("gain", "Gain factor.", Unit::Linear, 0.0, 4.0, 1.0, 5.0)],
    role: NodeRole::Signal,
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
        let n = p.len;
        let target = p.params[GAIN];
        for l in 0..LANES {
            if p.voice.start.contains(l) {
                self.gain[l] = target[l];
            }
        }
        let mut step = splat(0.0);
        for l in 0..LANES {
            step[l] = (target[l] - self.gain[l]) / n as f32;
        }
        let mut gain = self.gain;
        let input = p.inputs[0];
        let cv = p.inputs[1];
        let out = &mut p.outputs[0][..n];
        for (i, frame) in out.iter_mut().enumerate() {
            let x = input.map_or(splat(0.0), |b| b[i]);
            let c = cv.map_or(splat(1.0), |b| b[i]);
            for l in 0..LANES {
                gain[l] += step[l];
                frame[l] = x[l] * gain[l] * c[l];
            }
        }
        self.gain = target;
        LaneMask::ALL
    }
}
