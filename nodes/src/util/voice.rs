//! The voice's own values as signals: note pitch, velocity, key tracking and poly aftertouch.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames_for};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};
use crate::util::fill_ramp;

const CENTER: usize = SPEC.param_index("center");
const AMOUNT: usize = SPEC.param_index("amount");

/// The voice source's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "voice",
    doc: "The playing note's values as signals, for audio-rate use or for shaping before they modulate \
          (the same values are also modulation sources by name: `key`, `velocity`, `aftertouch`). Values change \
          once per control period and ramp across it, so glides and pressure are smooth; a new voice starts at \
          its values without a ramp.",
    inputs: &[],
    outputs: &[
        PortSpec {
            name: "note",
            doc: "pitch in octaves from C4 (MIDI 60), glide and bend included: (pitch − 60) / 12",
        },
        PortSpec { name: "velocity", doc: "note-on velocity, 0..1" },
        PortSpec { name: "keytrack", doc: "(pitch − center) / 12 × amount, in octaves" },
        PortSpec { name: "aftertouch", doc: "the voice's own (polyphonic) pressure, 0..1" },
    ],
    params: &[
        ParamSpec::new("center", "MIDI note where `keytrack` is 0, 0..127.", Unit::Linear, 0.0, 127.0, 60.0, 0.0),
        ParamSpec::new(
            "amount",
            "Key-tracking factor, −2..2: 1 = one octave per octave played.",
            Unit::Linear,
            -2.0,
            2.0,
            1.0,
            5.0,
        ),
    ],
    role: NodeRole::Signal,
    cost: 0.9,
};

/// How many outputs there are.
const OUTPUTS: usize = 4;

/// Per-group state: each output's value at the end of the last call, for ramping.
/// Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Clone, Debug)]
pub struct Voice {
    last: [Lanes; OUTPUTS],
}

impl NodeKind for Voice {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Voice { last: [splat(0.0); OUTPUTS] }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames_for(p, OUTPUTS);
        let (center, amount) = (param(p, CENTER), param(p, AMOUNT));
        let v = p.voice;
        let mut now = [splat(0.0); OUTPUTS];
        for l in 0..LANES {
            // Pitch is limited to ±1000 semitones so that a wild glide or bend cannot send a non-finite value.
            let pitch = clamp(v.pitch[l], -1000.0, 1000.0);
            now[0][l] = (pitch - 60.0) * (1.0 / 12.0);
            now[1][l] = clamp(v.velocity[l], 0.0, 1.0);
            now[2][l] = (pitch - clamp(center[l], 0.0, 127.0)) * (1.0 / 12.0) * clamp(amount[l], -2.0, 2.0);
            now[3][l] = clamp(v.pressure[l], 0.0, 1.0);
            if v.start.contains(l) {
                for o in 0..OUTPUTS {
                    self.last[o][l] = now[o][l];
                }
            }
        }
        for (o, out) in p.outputs.iter_mut().take(OUTPUTS).enumerate() {
            fill_ramp(&mut out[..n], &self.last[o], &now[o]);
        }
        self.last = now;
        LaneMask::ALL
    }
}
