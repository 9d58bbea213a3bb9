//! DAHDSR envelope: delay, attack, hold, decay, sustain, release, with exponential or linear segments.
//!
//! The stages, curves, timing and smoothness guarantees are those of the shared stage machine (`env/contour.rs`). A
//! retrigger (`voice.trigger`) runs the delay again holding the current level, then attacks from it; legato notes (gate
//! held, no trigger) carry on; a key-up releases from wherever the envelope is, the delay included.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::frames;
use crate::dsp::phasor::param;
use crate::env::contour::{CURVES, Contour, Settings};
use crate::lanes::LaneMask;
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const DELAY: usize = 0;
const ATTACK: usize = 1;
const HOLD: usize = 2;
const DECAY: usize = 3;
const SUSTAIN: usize = 4;
const RELEASE: usize = 5;
const VELOCITY: usize = 6;
const CURVE: usize = 7;

/// The DAHDSR's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "dahdsr",
    doc: "Delay-attack-hold-decay-sustain-release envelope, 0..1: an ADSR that waits `delay` after the note and \
          stays at its peak for `hold` before decaying. Every stage ends exactly on time; retriggers and \
          releases continue from the current level; legato notes carry on.",
    inputs: &[],
    outputs: &[PortSpec { name: "out", doc: "envelope, 0..1" }],
    params: &[
        ParamSpec::new(
            "delay",
            "Time from the note to the start of the attack, 0..30 s.",
            Unit::Seconds,
            0.0,
            30.0,
            0.0,
            0.0,
        ),
        ParamSpec::new("attack", "Time from 0 to the peak, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.005, 0.0),
        ParamSpec::new("hold", "Time the peak is held before the decay, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.0, 0.0),
        ParamSpec::new(
            "decay",
            "Time from the peak to the sustain level, 0..30 s.",
            Unit::Seconds,
            0.0,
            30.0,
            0.2,
            0.0,
        ),
        ParamSpec::new(
            "sustain",
            "Level held while the key is down, relative to the peak, 0..1.",
            Unit::Linear,
            0.0,
            1.0,
            0.7,
            5.0,
        ),
        ParamSpec::new("release", "Time from key-up to silence, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.3, 0.0),
        ParamSpec::new(
            "velocity",
            "How much note velocity scales the peak, 0..1: 0 always full, 1 peak = velocity.",
            Unit::Linear,
            0.0,
            1.0,
            0.0,
            5.0,
        ),
        ParamSpec::choice(
            "curve",
            "Segment shape: `exponential` (analog-like decay and release, linear attack) or `linear` (straight \
             lines); both end exactly on time.",
            CURVES,
            0,
        ),
    ],
    role: NodeRole::Envelope,
};

/// Per-group state: the shared stage machine.
#[derive(Clone, Debug)]
pub struct Dahdsr {
    contour: Contour,
}

impl NodeKind for Dahdsr {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Dahdsr { contour: Contour::new() }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let settings = Settings {
            delay: param(p, DELAY),
            attack: param(p, ATTACK),
            hold: param(p, HOLD),
            decay: param(p, DECAY),
            sustain: param(p, SUSTAIN),
            release: param(p, RELEASE),
            velocity: param(p, VELOCITY),
            curve: param(p, CURVE),
            one_shot: false,
        };
        let n = frames(p);
        self.contour.process(p, n, &settings)
    }
}
