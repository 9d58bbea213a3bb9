//! Eight-input mixer with a gain per input.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::guard::audio;
use crate::dsp::phasor::param;
use crate::dsp::{frames, input, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// How many inputs the mixer has.
const INPUTS: usize = 8;

/// The mixer's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "mixer",
    doc: "Sums up to eight inputs, each scaled by its own gain: out = in1·gain1 + … + in8·gain8. Unconnected \
          inputs are silent and cost nothing. Gain changes ramp linearly across each call. A sum that is not a \
          number comes out as 0, and one beyond ±1e9 as ±1e9.",
    inputs: &[
        PortSpec { name: "in1", doc: "audio or control, scaled by gain1" },
        PortSpec { name: "in2", doc: "audio or control, scaled by gain2" },
        PortSpec { name: "in3", doc: "audio or control, scaled by gain3" },
        PortSpec { name: "in4", doc: "audio or control, scaled by gain4" },
        PortSpec { name: "in5", doc: "audio or control, scaled by gain5" },
        PortSpec { name: "in6", doc: "audio or control, scaled by gain6" },
        PortSpec { name: "in7", doc: "audio or control, scaled by gain7" },
        PortSpec { name: "in8", doc: "audio or control, scaled by gain8" },
    ],
    outputs: &[PortSpec { name: "out", doc: "the sum of each input times its gain" }],
    params: &[
        ParamSpec::new("gain1", "Gain of in1, 0..2 (1 = unity).", Unit::Linear, 0.0, 2.0, 1.0, 5.0),
        ParamSpec::new("gain2", "Gain of in2, 0..2 (1 = unity).", Unit::Linear, 0.0, 2.0, 1.0, 5.0),
        ParamSpec::new("gain3", "Gain of in3, 0..2 (1 = unity).", Unit::Linear, 0.0, 2.0, 1.0, 5.0),
        ParamSpec::new("gain4", "Gain of in4, 0..2 (1 = unity).", Unit::Linear, 0.0, 2.0, 1.0, 5.0),
        ParamSpec::new("gain5", "Gain of in5, 0..2 (1 = unity).", Unit::Linear, 0.0, 2.0, 1.0, 5.0),
        ParamSpec::new("gain6", "Gain of in6, 0..2 (1 = unity).", Unit::Linear, 0.0, 2.0, 1.0, 5.0),
        ParamSpec::new("gain7", "Gain of in7, 0..2 (1 = unity).", Unit::Linear, 0.0, 2.0, 1.0, 5.0),
        ParamSpec::new("gain8", "Gain of in8, 0..2 (1 = unity).", Unit::Linear, 0.0, 2.0, 1.0, 5.0),
    ],
    role: NodeRole::Signal,
};

/// Per-group state: each input's gain reached at the end of the last call, for ramping.
/// Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Clone, Debug)]
pub struct Mixer {
    gain: [Lanes; INPUTS],
}

impl NodeKind for Mixer {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Mixer { gain: [splat(1.0); INPUTS] }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let targets: [Lanes; INPUTS] = std::array::from_fn(|i| param(p, i));
        let inputs: [Option<&[Lanes]>; INPUTS] = std::array::from_fn(|i| input(p, i, n));
        let out = &mut p.outputs[0][..n];
        out.fill(splat(0.0));
        for ((gain, target), x) in self.gain.iter_mut().zip(&targets).zip(inputs) {
            for l in 0..LANES {
                if p.voice.start.contains(l) {
                    gain[l] = target[l];
                }
            }
            // An unconnected input adds nothing; its gain still follows the parameter.
            if let Some(x) = x {
                let step = ramp::step(gain, target, n);
                let mut g = *gain;
                for (frame, x) in out.iter_mut().zip(x) {
                    // Whole-array values in and out, so the lane loop becomes SIMD.
                    let (x, mut y) = (*x, *frame);
                    for l in 0..LANES {
                        g[l] += step[l];
                        y[l] += x[l] * g[l];
                    }
                    *frame = y;
                }
            }
            *gain = *target;
        }
        // One guard on the sum rather than one per input: a NaN or infinite input (or a sum that overflows)
        // leaves the mixer as 0 or ±1e9, never as NaN or infinity.
        for frame in out.iter_mut() {
            for l in 0..LANES {
                frame[l] = audio(frame[l]);
            }
        }
        LaneMask::ALL
    }
}
