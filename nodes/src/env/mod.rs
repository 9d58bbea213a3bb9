//! Envelopes: per-voice contours started by note-on and ended by note-off. Every kind runs the one stage
//! machine in `contour.rs`.

pub mod ad;
pub mod adsr;
pub mod ar;
pub(crate) mod contour;
pub mod dahdsr;

use crate::context::Process;
use crate::dsp::phasor::param;
use crate::lanes::{Lanes, splat};
use crate::spec::{ParamSpec, PortSpec, Unit};

/// The envelope output every kind declares.
pub(crate) const OUT_PORT: PortSpec = PortSpec { name: "out", doc: "envelope, 0..1" };
/// `attack`, shared by the sustaining kinds.
pub(crate) const ATTACK_PARAM: ParamSpec =
    ParamSpec::new("attack", "Time from 0 to the peak, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.005, 0.0);
/// `decay` to the sustain level.
pub(crate) const DECAY_PARAM: ParamSpec =
    ParamSpec::new("decay", "Time from the peak to the sustain level, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.2, 0.0);
/// `sustain` level.
pub(crate) const SUSTAIN_PARAM: ParamSpec = ParamSpec::new(
    "sustain",
    "Level held while the key is down, relative to the peak, 0..1.",
    Unit::Linear,
    0.0,
    1.0,
    0.7,
    5.0,
);
/// `release` from key-up.
pub(crate) const RELEASE_PARAM: ParamSpec =
    ParamSpec::new("release", "Time from key-up to silence, 0..30 s.", Unit::Seconds, 0.0, 30.0, 0.3, 0.0);
/// `velocity` amount.
pub(crate) const VELOCITY_PARAM: ParamSpec = ParamSpec::new(
    "velocity",
    "How much note velocity scales the peak, 0..1: 0 always full, 1 peak = velocity.",
    Unit::Linear,
    0.0,
    1.0,
    0.0,
    5.0,
);

/// Where one stage's setting comes from: a parameter (by index) or a fixed value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum From {
    Param(usize),
    Fixed(f32),
}

/// How a kind's parameters drive the shared stage machine.
pub(crate) struct Stages {
    pub(crate) delay: From,
    pub(crate) attack: From,
    pub(crate) hold: From,
    pub(crate) decay: From,
    pub(crate) sustain: From,
    pub(crate) release: From,
    pub(crate) velocity: usize,
    pub(crate) curve: usize,
    pub(crate) one_shot: bool,
}

impl Stages {
    /// The stage machine's settings for this call.
    pub(crate) fn settings(&self, p: &Process<'_>) -> contour::Settings {
        let get = |from: From| -> Lanes {
            match from {
                From::Param(i) => param(p, i),
                From::Fixed(v) => splat(v),
            }
        };
        contour::Settings {
            delay: get(self.delay),
            attack: get(self.attack),
            hold: get(self.hold),
            decay: get(self.decay),
            sustain: get(self.sustain),
            release: get(self.release),
            velocity: param(p, self.velocity),
            curve: param(p, self.curve),
            one_shot: self.one_shot,
        }
    }
}
