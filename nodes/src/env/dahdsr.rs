//! DAHDSR envelope: delay, attack, hold, decay, sustain, release, with exponential or linear segments.
//!
//! The stages, curves, timing and smoothness guarantees are those of the shared stage machine (`env/contour.rs`). A
//! retrigger (`voice.trigger`) runs the delay again holding the current level, then attacks from it; legato notes (gate
//! held, no trigger) carry on; a key-up releases from wherever the envelope is, the delay included.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::frames;
use crate::env::contour::{CURVES, Contour};
use crate::env::{From, Stages};
use crate::lanes::LaneMask;
use crate::spec::{NodeRole, NodeSpec, ParamSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const DELAY: usize = SPEC.param_index("delay");
const ATTACK: usize = SPEC.param_index("attack");
const HOLD: usize = SPEC.param_index("hold");
const DECAY: usize = SPEC.param_index("decay");
const SUSTAIN: usize = SPEC.param_index("sustain");
const RELEASE: usize = SPEC.param_index("release");
const VELOCITY: usize = SPEC.param_index("velocity");
const CURVE: usize = SPEC.param_index("curve");

/// The DAHDSR's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "dahdsr",
    doc: "Delay-attack-hold-decay-sustain-release envelope, 0..1: an ADSR that waits `delay` after the note and \
          stays at its peak for `hold` before decaying. Every stage ends exactly on time; retriggers and \
          releases continue from the current level; legato notes carry on.",
    inputs: &[],
    outputs: &[super::OUT_PORT],
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
        super::ATTACK_PARAM,
        ParamSpec::new("hold", "Time the peak is held before the decay, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.0, 0.0),
        super::DECAY_PARAM,
        super::SUSTAIN_PARAM,
        super::RELEASE_PARAM,
        super::VELOCITY_PARAM,
        ParamSpec::choice(
            "curve",
            "Segment shape: `exponential` (analog-like decay and release, linear attack) or `linear` (straight \
             lines); both end exactly on time.",
            CURVES,
            0,
        ),
    ],
    role: NodeRole::Envelope,
    cost: 0.7,
};

/// How the DAHDSR drives the stage machine.
const STAGES: Stages = Stages {
    delay: From::Param(DELAY),
    attack: From::Param(ATTACK),
    hold: From::Param(HOLD),
    decay: From::Param(DECAY),
    sustain: From::Param(SUSTAIN),
    release: From::Param(RELEASE),
    velocity: VELOCITY,
    curve: CURVE,
    one_shot: false,
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
        let settings = STAGES.settings(p);
        let n = frames(p);
        self.contour.process(p, n, &settings)
    }
}
