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
    cost: 3.5,
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
        let start = p.voice.start;
        let mut connected = [(&[][..], [0.0f32; LANES], [0.0f32; LANES]); INPUTS];
        let mut count = 0;
        for (i, gain) in self.gain.iter_mut().enumerate() {
            let target = param(p, i);
            // An unconnected input adds nothing; its gain still follows the parameter.
            if let Some(x) = input(p, i, n) {
                // A fresh voice starts at its target; the others ramp from where the last call ended.
                let mut from = *gain;
                if start != LaneMask::NONE {
                    from = std::array::from_fn(|l| if start.contains(l) { target[l] } else { gain[l] });
                }
                connected[count] = (x, from, ramp::step(&from, &target, n));
                count += 1;
            }
            *gain = target;
        }
        let out = &mut p.outputs[0][..n];
        // The first input writes the output, the last one guards it, so the output is written in as few
        // passes as there are connected inputs (one for one input), rather than zeroed, summed into and
        // guarded in separate passes.
        match &connected[..count] {
            [] => out.fill(splat(0.0)),
            [only] => accumulate::<true, true>(out, only),
            [first, middle @ .., last] => {
                accumulate::<true, false>(out, first);
                for input in middle {
                    accumulate::<false, false>(out, input);
                }
                accumulate::<false, true>(out, last);
            }
        }
        LaneMask::ALL
    }
}

/// Adds `x × gain` to `out` frame by frame, the gain starting at `from` and moving by `step` per frame.
/// `FIRST`: `out` holds nothing yet (write rather than add). `LAST`: guard the sum, so a NaN or infinite
/// input (or a sum that overflows) leaves the mixer as 0 or ±1e9, never as NaN or infinity. Const
/// parameters rather than branches so each pass is one straight vectorised loop. Audio thread.
#[inline(always)]
fn accumulate<const FIRST: bool, const LAST: bool>(out: &mut [Lanes], (x, from, step): &(&[Lanes], Lanes, Lanes)) {
    let mut g = *from;
    for (frame, x) in out.iter_mut().zip(x.iter()) {
        // Whole-array values in and out, so the lane loop becomes SIMD.
        let (x, mut y) = (*x, if FIRST { splat(0.0) } else { *frame });
        for l in 0..LANES {
            g[l] += step[l];
            y[l] += x[l] * g[l];
            if LAST {
                y[l] = audio(y[l]);
            }
        }
        *frame = y;
    }
}
