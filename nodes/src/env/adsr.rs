//! ADSR envelope: attack, decay, sustain, release, with exponential or linear segments.
//!
//! The stages, curves, timing and smoothness guarantees are those of the shared stage machine (`env/contour.rs`) with
//! no delay and no hold: a linear attack, a decay and release that end exactly on time, retriggers (`voice.trigger`)
//! that restart the attack from the current level, legato notes (gate held, no trigger) that carry on, and releases
//! from wherever the envelope is.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::frames;
use crate::env::contour::{CURVES, Contour};
use crate::env::{From, Stages};
use crate::lanes::LaneMask;
use crate::spec::{NodeRole, NodeSpec, ParamSpec};

/// Parameter indices, in [`SPEC`] order.
const ATTACK: usize = SPEC.param_index("attack");
const DECAY: usize = SPEC.param_index("decay");
const SUSTAIN: usize = SPEC.param_index("sustain");
const RELEASE: usize = SPEC.param_index("release");
const VELOCITY: usize = SPEC.param_index("velocity");
const CURVE: usize = SPEC.param_index("curve");

/// The ADSR's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "adsr",
    doc: "Attack-decay-sustain-release envelope, 0..1. Linear attack; exponential (or linear) decay and release \
          that reach their target exactly after the stage time. Retriggers and releases continue from the \
          current level; legato notes carry on.",
    inputs: &[],
    outputs: &[super::OUT_PORT],
    params: &[
        super::ATTACK_PARAM,
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

/// How the ADSR drives the stage machine.
const STAGES: Stages = Stages {
    delay: From::Fixed(0.0),
    attack: From::Param(ATTACK),
    hold: From::Fixed(0.0),
    decay: From::Param(DECAY),
    sustain: From::Param(SUSTAIN),
    release: From::Param(RELEASE),
    velocity: VELOCITY,
    curve: CURVE,
    one_shot: false,
};

/// Per-group state: the shared stage machine.
#[derive(Clone, Debug)]
pub struct Adsr {
    contour: Contour,
}

impl NodeKind for Adsr {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Adsr { contour: Contour::new() }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let settings = STAGES.settings(p);
        let n = frames(p);
        self.contour.process(p, n, &settings)
    }
}
