//! Arithmetic on signals: add, multiply, scale-offset, absolute value, minimum and maximum, chosen by `op`.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::guard::audio;
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames, input, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

const OP: usize = SPEC.param_index("op");
const SCALE: usize = SPEC.param_index("scale");
const OFFSET: usize = SPEC.param_index("offset");

/// Operation names, in choice-index order.
const OPS: &[&str] = &["add", "multiply", "scale_offset", "abs", "min", "max"];

/// The math node's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "math",
    doc: "Combines two signals, then scales and offsets the result: out = op(a, b) × scale + offset. `add`: \
          a + b; `multiply`: a × b (ring modulation at audio rate); `scale_offset`: a alone (so out = a × scale + \
          offset, e.g. turn a −1..1 LFO into 0..1 with scale 0.5, offset 0.5); `abs`: |a| (full-wave \
          rectifier); `min`/`max`: the smaller/larger of a and b. Unconnected inputs read 0. Scale and offset \
          ramp across each call. Inputs are limited to ±1e9 and NaN reads as 0, so the output stays finite.",
    inputs: &[
        PortSpec { name: "a", doc: "any signal" },
        PortSpec { name: "b", doc: "any signal (unused by `scale_offset` and `abs`)" },
    ],
    outputs: &[PortSpec { name: "out", doc: "op(a, b) × scale + offset" }],
    params: &[
        ParamSpec::choice("op", "Operation: add, multiply, scale_offset, abs, min, max.", OPS, 0),
        ParamSpec::new("scale", "Factor applied to the result, −100..100.", Unit::Linear, -100.0, 100.0, 1.0, 5.0),
        ParamSpec::new("offset", "Constant added last, −100..100.", Unit::Linear, -100.0, 100.0, 0.0, 5.0),
    ],
    role: NodeRole::Signal,
    cost: 3.0,
};

/// Per-group state: scale and offset reached at the end of the last call, for ramping.
/// Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Clone, Debug)]
pub struct Math {
    scale: Lanes,
    offset: Lanes,
}

impl NodeKind for Math {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Math { scale: splat(1.0), offset: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let op = param(p, OP);
        let (mut scale_to, mut offset_to) = (param(p, SCALE), param(p, OFFSET));
        // One-hot operation weights per lane, so the lane loop has no branch on the choice.
        let mut w = [[0.0f32; LANES]; 6];
        for l in 0..LANES {
            scale_to[l] = clamp(scale_to[l], -100.0, 100.0);
            offset_to[l] = clamp(offset_to[l], -100.0, 100.0);
            if p.voice.start.contains(l) {
                self.scale[l] = scale_to[l];
                self.offset[l] = offset_to[l];
            }
            w[clamp(op[l].round(), 0.0, 5.0) as usize][l] = 1.0;
        }
        let (scale_step, offset_step) =
            (ramp::step(&self.scale, &scale_to, n), ramp::step(&self.offset, &offset_to, n));
        let (a, b) = (input(p, 0, n), input(p, 1, n));
        let (mut scale, mut offset) = (self.scale, self.offset);
        for (i, frame) in p.outputs[0][..n].iter_mut().enumerate() {
            let (x, y) = (a.map_or(splat(0.0), |w| w[i]), b.map_or(splat(0.0), |w| w[i]));
            let mut out = [0.0; LANES];
            for l in 0..LANES {
                scale[l] += scale_step[l];
                offset[l] += offset_step[l];
                let (x, y) = (audio(x[l]), audio(y[l]));
                let r = w[0][l] * (x + y)
                    + w[1][l] * (x * y)
                    + w[2][l] * x
                    + w[3][l] * x.abs()
                    + w[4][l] * x.min(y)
                    + w[5][l] * x.max(y);
                out[l] = r * scale[l] + offset[l];
            }
            *frame = out;
        }
        self.scale = scale_to;
        self.offset = offset_to;
        LaneMask::ALL
    }
}
