//! Sample & hold: takes its input's value on each rising edge of a trigger and holds it.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::guard::audio;
use crate::dsp::phasor::param;
use crate::dsp::random::{seed, uniform, voice_seed};
use crate::dsp::{clamp, frames, input};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

const THRESHOLD: usize = SPEC.param_index("threshold");

/// The sample & hold's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "sample_hold",
    doc: "Holds the value of `in` taken at each rising edge of `trig` (the sample where `trig` goes from at or \
          below `threshold` to above it), and at each note's trigger. With `in` unconnected it samples white \
          noise, −1..1: a new random value per trigger, different in each voice, repeatable from render to \
          render. With `trig` unconnected it samples once per note.",
    inputs: &[
        PortSpec { name: "in", doc: "the signal to sample; white noise −1..1 when unconnected" },
        PortSpec { name: "trig", doc: "trigger: a gate, a square LFO, a pulse; samples on each rising edge" },
    ],
    outputs: &[PortSpec { name: "out", doc: "the held value" }],
    params: &[ParamSpec::new(
        "threshold",
        "Level `trig` must rise above to sample, −1..1 (0 suits both gates and bipolar LFOs).",
        Unit::Linear,
        -1.0,
        1.0,
        0.0,
        0.0,
    )],
    role: NodeRole::Signal,
    cost: 1.5,
};

/// Per-group state.
/// Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Clone, Debug)]
pub struct SampleHold {
    /// The held value per lane.
    held: Lanes,
    /// The last `trig` sample per lane, for edge detection.
    last: Lanes,
    /// The noise sequence position per lane (used when `in` is unconnected).
    noise: [u64; LANES],
}

impl NodeKind for SampleHold {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        SampleHold { held: splat(0.0), last: splat(0.0), noise: std::array::from_fn(|l| seed(0, l as u64)) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let threshold = param(p, THRESHOLD);
        let (x, trig) = (input(p, 0, n), input(p, 1, n));
        let noted = LaneMask(p.voice.start.0 | p.voice.trigger.0);
        let mut th = [0.0f32; LANES];
        for l in 0..LANES {
            th[l] = clamp(threshold[l], -1.0, 1.0);
            if p.voice.start.contains(l) {
                // Each note its own noise sequence, from the frame clock, the lane and the pitch.
                self.noise[l] = voice_seed(p.transport.frame, l, p.voice.pitch[l]);
                self.last[l] = trig.map_or(0.0, |w| audio(w[0][l]));
            }
        }
        let (mut held, mut last, mut noise) = (self.held, self.last, self.noise);
        for (i, frame) in p.outputs[0][..n].iter_mut().enumerate() {
            let t = trig.map_or(splat(0.0), |w| w[i]);
            for l in 0..LANES {
                let t = audio(t[l]);
                let edge = last[l] <= th[l] && t > th[l];
                last[l] = t;
                if edge || (i == 0 && noted.contains(l)) {
                    held[l] = match x {
                        Some(w) => audio(w[i][l]),
                        None => {
                            noise[l] = noise[l].wrapping_add(1);
                            uniform(noise[l])
                        }
                    };
                }
            }
            *frame = held;
        }
        self.held = held;
        self.last = last;
        self.noise = noise;
        LaneMask::ALL
    }
}
