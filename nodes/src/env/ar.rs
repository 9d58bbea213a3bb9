//! AR envelope: attack to the peak, stay there while the key is held, release.
//!
//! The attack, release, curves, timing and smoothness guarantees are those of the shared stage machine
//! (`env/contour.rs`) with the sustain at the peak: retriggers restart the attack from the current level, legato notes
//! carry on, and a key-up releases from wherever the envelope is.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::frames;
use crate::dsp::phasor::param;
use crate::env::contour::{CURVES, Contour, Settings};
use crate::lanes::{LaneMask, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const ATTACK: usize = 0;
const RELEASE: usize = 1;
const VELOCITY: usize = 2;
const CURVE: usize = 3;

/// The AR's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "ar",
    doc: "Attack-release envelope, 0..1: rises to its peak, stays there while the key is held, and falls to \
          silence after key-up, each exactly on time. Retriggers and releases continue from the current level.",
    inputs: &[],
    outputs: &[PortSpec { name: "out", doc: "envelope, 0..1" }],
    params: &[
        ParamSpec::new("attack", "Time from 0 to the peak, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.005, 0.0),
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
            "Release shape: `exponential` (analog-like) or `linear` (a straight line); both end exactly on \
             time. The attack is linear.",
            CURVES,
            0,
        ),
    ],
    role: NodeRole::Envelope,
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
        let settings = Settings {
            delay: splat(0.0),
            attack: param(p, ATTACK),
            hold: splat(0.0),
            decay: splat(0.0),
            sustain: splat(1.0),
            release: param(p, RELEASE),
            velocity: param(p, VELOCITY),
            curve: param(p, CURVE),
            one_shot: false,
        };
        let n = frames(p);
        self.contour.process(p, n, &settings)
    }
}
