//! ADSR envelope: attack, decay, sustain, release, with exponential or linear segments.
//!
//! The stages, curves, timing and smoothness guarantees are those of the shared stage machine (`env/contour.rs`) with
//! no delay and no hold: a linear attack, a decay and release that end exactly on time, retriggers (`voice.trigger`)
//! that restart the attack from the current level, legato notes (gate held, no trigger) that carry on, and releases
//! from wherever the envelope is.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::frames;
use crate::dsp::phasor::param;
use crate::env::contour::{CURVES, Contour, Settings};
use crate::lanes::{LaneMask, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const ATTACK: usize = 0;
const DECAY: usize = 1;
const SUSTAIN: usize = 2;
const RELEASE: usize = 3;
const VELOCITY: usize = 4;
const CURVE: usize = 5;

/// The ADSR's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "adsr",
    doc: "Attack-decay-sustain-release envelope, 0..1. Linear attack; exponential (or linear) decay and release \
          that reach their target exactly after the stage time. Retriggers and releases continue from the \
          current level; legato notes carry on.",
    inputs: &[],
    outputs: &[PortSpec { name: "out", doc: "envelope, 0..1" }],
    params: &[
        ParamSpec::new("attack", "Time from 0 to the peak, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.005, 0.0),
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
pub struct Adsr {
    contour: Contour,
}

impl NodeKind for Adsr {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Adsr { contour: Contour::new() }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let settings = Settings {
            delay: splat(0.0),
            attack: param(p, ATTACK),
            hold: splat(0.0),
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
