//! Sub-oscillator: a square or sine one or two octaves under the played note, to thicken a bass or lead.

use super::core::Core;
use super::pulse::Rect;
use super::sine::PlainSine;
use crate::NodeKind;
use crate::context::Process;
use crate::dsp::frames;
use crate::dsp::phasor::{Tuning, param};
use crate::lanes::{LANES, LaneMask, Lanes, MAX_CHUNK, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec};

/// Parameter indices, in [`SPEC`] order.
const OCTAVE: usize = SPEC.param_index("octave");
const SHAPE: usize = SPEC.param_index("shape");
const PITCH: usize = SPEC.param_index("pitch");
const FINE: usize = SPEC.param_index("fine");
const LEVEL: usize = SPEC.param_index("level");

/// The sub-oscillator's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "sub",
    doc: "Sub-oscillator: a square (band-limited with windowed-sinc BLEPs) or a sine, one or two octaves under \
          the played note. Delayed by 12 samples like the other band-limited oscillators, so it stays in phase \
          with a saw or pulse it is mixed with. A voice starts at phase 0 (the square's rising edge).",
    inputs: &[],
    outputs: &[super::OUT_PORT],
    params: &[
        ParamSpec::choice("octave", "How far under the note: one octave (`-1`) or two (`-2`).", &["-1", "-2"], 0),
        ParamSpec::choice("shape", "Waveform: `square` (odd harmonics) or `sine` (pure).", &["square", "sine"], 0),
        super::PITCH_PARAM,
        super::FINE_PARAM,
        super::LEVEL_PARAM,
    ],
    role: NodeRole::Signal,
    cost: 2.0,
};

/// Per-group state: the shared oscillator core and the level reached at the end of the last call.
#[derive(Debug)]
pub struct Sub {
    core: Core,
    level: Lanes,
}

crate::clone_in_place!(Sub { core, level });

impl NodeKind for Sub {
    const SPEC: NodeSpec = SPEC;

    /// The band-limiting ring's delay in samples (`dsp::blep::LATENCY`).
    fn latency(_params: &[f32], _connected: &[bool]) -> u32 {
        crate::dsp::blep::LATENCY as u32
    }

    fn heap_bytes(_sizing: &crate::Sizing<'_>) -> usize {
        Core::HEAP_BYTES
    }

    fn new(_sample_rate: f32) -> Self {
        Sub { core: Core::new(0), level: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let (from, to) = super::core::level_ramp(&mut self.level, p, LEVEL);
        // Choices are not modulatable, so every lane holds the same one; lane 0 decides.
        let octaves = if param(p, OCTAVE)[0] >= 0.5 { 2.0 } else { 1.0 };
        let sine = param(p, SHAPE)[0] >= 0.5;
        let tuning = Tuning { pitch: PITCH, fine: FINE, freq: None, offset: -12.0 * octaves };
        let out = std::mem::take(&mut p.outputs[0]);
        if sine {
            let aux = [[0.0; LANES]; MAX_CHUNK];
            self.core.run::<PlainSine>(p, tuning, None, &aux[..n], &from, &to, &mut out[..n], false);
        } else {
            let aux = [[0.5; LANES]; MAX_CHUNK];
            self.core.run::<Rect>(p, tuning, None, &aux[..n], &from, &to, &mut out[..n], false);
        }
        p.outputs[0] = out;
        LaneMask::ALL
    }
}
