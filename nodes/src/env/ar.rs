//! AR envelope: attack to the peak, stay there while the key is held, release.
//!
//! The attack, release, curves, timing and smoothness guarantees are those of the shared stage machine
//! (`env/contour.rs`) with the sustain at the peak: retriggers restart the attack from the current level, legato notes
//! carry on, and a key-up releases from wherever the envelope is.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::frames;
use crate::env::contour::{CURVES, Contour};
use crate::env::{From, Stages};
use crate::lanes::LaneMask;
use crate::spec::{NodeRole, NodeSpec, ParamSpec};

/// Parameter indices, in [`SPEC`] order.
const ATTACK: usize = SPEC.param_index("attack");
const RELEASE: usize = SPEC.param_index("release");
const VELOCITY: usize = SPEC.param_index("velocity");
const CURVE: usize = SPEC.param_index("curve");

/// The AR's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "ar",
    doc: "Attack-release envelope, 0..1: rises to its peak, stays there while the key is held, and falls to \
          silence after key-up, each exactly on time. Retriggers and releases continue from the current level.",
    inputs: &[],
    outputs: &[super::OUT_PORT],
    params: &[
        super::ATTACK_PARAM,
        super::RELEASE_PARAM,
        super::VELOCITY_PARAM,
        ParamSpec::choice(
            "curve",
            "Release shape: `exponential` (analog-like) or `linear` (a straight line); both end exactly on \
             time. The attack is linear.",
            CURVES,
            0,
        ),
    ],
    role: NodeRole::Envelope,
    cost: 0.7,
};

/// How the AR drives the stage machine: full sustain, no decay.
const STAGES: Stages = Stages {
    delay: From::Fixed(0.0),
    attack: From::Param(ATTACK),
    hold: From::Fixed(0.0),
    decay: From::Fixed(0.0),
    sustain: From::Fixed(1.0),
    release: From::Param(RELEASE),
    velocity: VELOCITY,
    curve: CURVE,
    one_shot: false,
};

/// Per-group state: the shared stage machine.
#[derive(Clone, Debug)]
pub struct Ar {
    contour: Contour,
}

impl NodeKind for Ar {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Ar { contour: Contour::new() }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let settings = STAGES.settings(p);
        let n = frames(p);
        self.contour.process(p, n, &settings)
    }
}
