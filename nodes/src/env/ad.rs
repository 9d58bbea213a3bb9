//! AD envelope: a one-shot attack and decay to silence that ignores the key, for percussion and plucks.
//!
//! The attack, curves, timing and smoothness guarantees are those of the shared stage machine (`env/contour.rs`); the
//! decay falls from the peak to silence (the contour's release), and the lane reports idle once it is silent, even with
//! the key still down, so an AD used as the amplitude envelope frees its voice. A retrigger restarts the attack from
//! the current level; legato notes carry on.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::frames;
use crate::env::contour::{CURVES, Contour};
use crate::env::{From, Stages};
use crate::lanes::LaneMask;
use crate::spec::{NodeRole, NodeSpec, ParamSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const ATTACK: usize = SPEC.param_index("attack");
const DECAY: usize = SPEC.param_index("decay");
const VELOCITY: usize = SPEC.param_index("velocity");
const CURVE: usize = SPEC.param_index("curve");

/// The AD's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "ad",
    doc: "Attack-decay envelope, 0..1: a one-shot that rises to its peak and falls to silence, each exactly on \
          time, whether or not the key is still held. Retriggers restart the attack from the current level.",
    inputs: &[],
    outputs: &[super::OUT_PORT],
    params: &[
        ParamSpec::new("attack", "Time from 0 to the peak, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.002, 0.0),
        ParamSpec::new("decay", "Time from the peak to silence, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.3, 0.0),
        super::VELOCITY_PARAM,
        ParamSpec::choice(
            "curve",
            "Decay shape: `exponential` (analog-like) or `linear` (a straight line); both end exactly on time. \
             The attack is linear.",
            CURVES,
            0,
        ),
    ],
    role: NodeRole::Envelope,
    cost: 0.7,
};

/// How the AD drives the stage machine: a one-shot whose decay is the release stage.
const STAGES: Stages = Stages {
    delay: From::Fixed(0.0),
    attack: From::Param(ATTACK),
    hold: From::Fixed(0.0),
    decay: From::Fixed(0.0),
    sustain: From::Fixed(0.0),
    release: From::Param(DECAY),
    velocity: VELOCITY,
    curve: CURVE,
    one_shot: true,
};

/// Per-group state: the shared stage machine.
#[derive(Clone, Debug)]
pub struct Ad {
    contour: Contour,
}

impl NodeKind for Ad {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Ad { contour: Contour::new() }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let settings = STAGES.settings(p);
        let n = frames(p);
        self.contour.process(p, n, &settings)
    }
}
