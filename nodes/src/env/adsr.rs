//! ADSR envelope: linear attack, exponential decay and release that end exactly on time.
//!
//! # Shape and times
//! - **Attack** rises linearly towards the peak at `peak / attack` per second: `attack` is the time from 0 to
//!   the peak. A retrigger restarts it from the current level (so it takes proportionally less).
//! - **Decay** falls exponentially from the peak towards a target one thousandth (−60 dB) of the decay span
//!   *below* the sustain level, so the curve is a plain exponential (time constant `decay / ln 1001`) that
//!   reaches the sustain level exactly `decay` seconds after the peak and stops there.
//! - **Sustain** holds `sustain × peak`, following changes of `sustain` linearly across each call.
//! - **Release** falls the same way from the level at key-up towards one thousandth of that level below 0: it
//!   reaches silence `release` seconds after key-up, from whatever level it started. Once below −100 dB (1e-5)
//!   the level is set to exactly 0 and the lane reports idle (a fraction of a percent before `release`).
//!
//! The peak is `1 − velocity_amount × (1 − note velocity)`. The level is kept in f64, so 30-second stages at
//! 192 kHz keep their times. Frame `i` of a note holds the level after `i + 1` samples: the attack reaches the
//! peak on frame `attack × fs − 1`.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::frames;
use crate::dsp::phasor::param;
use crate::lanes::{LANES, LaneMask};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const ATTACK: usize = 0;
const DECAY: usize = 1;
const SUSTAIN: usize = 2;
const RELEASE: usize = 3;
const VELOCITY: usize = 4;

/// The ADSR's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "adsr",
    doc: "Attack-decay-sustain-release envelope, 0..1. Linear attack; exponential decay and release that reach \
          their target exactly after the stage time. Retriggers and releases continue from the current level.",
    inputs: &[],
    outputs: &[PortSpec { name: "out", doc: "envelope, 0..1" }],
    params: &[
        ParamSpec::new("attack", "Time from 0 to the peak.", Unit::Seconds, 0.0, 30.0, 0.005, 0.0),
        ParamSpec::new("decay", "Time from the peak to the sustain level.", Unit::Seconds, 0.0, 30.0, 0.2, 0.0),
        ParamSpec::new(
            "sustain",
            "Level held while the key is down, relative to the peak.",
            Unit::Linear,
            0.0,
            1.0,
            0.7,
            5.0,
        ),
        ParamSpec::new("release", "Time from key-up to silence.", Unit::Seconds, 0.0, 30.0, 0.3, 0.0),
        ParamSpec::new(
            "velocity",
            "How much note velocity scales the peak: 0 always full, 1 peak = velocity.",
            Unit::Linear,
            0.0,
            1.0,
            0.0,
            5.0,
        ),
    ],
    role: NodeRole::Envelope,
};

/// The exponential stages aim this fraction of their span past their end (−60 dB).
const OVERSHOOT: f64 = 1e-3;

/// Below this level (−100 dB) a release ends and the lane goes idle.
const SILENCE: f64 = 1e-5;

/// Stage numbers, in the order a note passes through them (a finished stage adds one).
const STAGE_ATTACK: u32 = 0;
const STAGE_DECAY: u32 = 1;
const STAGE_SUSTAIN: u32 = 2;
const STAGE_RELEASE: u32 = 3;
const STAGE_IDLE: u32 = 4;

/// Per-group state: each lane's level and stage, the level its release started from, the sustain level
/// reached at the end of the last call, and cached per-sample factors of the exponential stages.
#[derive(Clone, Debug)]
pub struct Adsr {
    level: [f64; LANES],
    stage: [u32; LANES],
    release_from: [f64; LANES],
    sustain: [f64; LANES],
    decay_factor: Cached,
    release_factor: Cached,
}

/// Per-lane per-sample factor `exp(−ln(1001) / (time · fs))` for the last time and sample rate seen,
/// recomputed only when they change.
#[derive(Clone, Debug)]
struct Cached {
    sample_rate: f32,
    time: [f32; LANES],
    factor: [f64; LANES],
}

impl Cached {
    fn new() -> Cached {
        Cached { sample_rate: 0.0, time: [f32::NAN; LANES], factor: [0.0; LANES] }
    }

    /// The factors for `time` (seconds) per lane at `sample_rate`. Per call; `exp` only where a time changed.
    fn update(&mut self, time: &[f32; LANES], sample_rate: f32) -> [f64; LANES] {
        let rate = ((1.0 + OVERSHOOT) / OVERSHOOT).ln();
        let rate_changed = sample_rate != self.sample_rate;
        self.sample_rate = sample_rate;
        for l in 0..LANES {
            if rate_changed || time[l] != self.time[l] {
                let samples = (time[l] as f64 * sample_rate as f64).max(1.0);
                self.factor[l] = (-rate / samples).exp();
                self.time[l] = time[l];
            }
        }
        self.factor
    }
}

impl NodeKind for Adsr {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Adsr {
            level: [0.0; LANES],
            stage: [STAGE_IDLE; LANES],
            release_from: [0.0; LANES],
            sustain: [0.0; LANES],
            decay_factor: Cached::new(),
            release_factor: Cached::new(),
        }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let fs = p.sample_rate.max(1.0);
        let (attack, sustain, velocity) = (param(p, ATTACK), param(p, SUSTAIN), param(p, VELOCITY));
        let decay_factor = self.decay_factor.update(&param(p, DECAY), fs);
        let release_factor = self.release_factor.update(&param(p, RELEASE), fs);

        let mut peak = [0.0f64; LANES];
        let mut sustain_target = [0.0f64; LANES];
        let mut attack_add = [0.0f64; LANES];
        let mut decay_add = [0.0f64; LANES];
        let mut release_add = [0.0f64; LANES];
        let mut sustain_step = [0.0f64; LANES];
        for l in 0..LANES {
            let amount = (velocity[l] as f64).clamp(0.0, 1.0);
            let vel = (p.voice.velocity[l] as f64).clamp(0.0, 1.0);
            peak[l] = 1.0 - amount * (1.0 - vel);
            sustain_target[l] = (sustain[l] as f64).clamp(0.0, 1.0) * peak[l];
            if p.voice.start.contains(l) {
                self.level[l] = 0.0;
                self.stage[l] = STAGE_IDLE;
                self.sustain[l] = sustain_target[l];
            }
            if p.voice.trigger.contains(l) {
                self.stage[l] = STAGE_ATTACK;
            } else if !p.voice.gate.contains(l) && self.stage[l] < STAGE_RELEASE {
                self.stage[l] = STAGE_RELEASE;
                self.release_from[l] = self.level[l];
            }
            attack_add[l] = peak[l] / (attack[l] as f64 * fs as f64).max(1.0);
            let decay_end = sustain_target[l] - OVERSHOOT * (peak[l] - sustain_target[l]);
            decay_add[l] = decay_end * (1.0 - decay_factor[l]);
            release_add[l] = -OVERSHOOT * self.release_from[l] * (1.0 - release_factor[l]);
            sustain_step[l] = (sustain_target[l] - self.sustain[l]) / n.max(1) as f64;
        }

        let mut level = self.level;
        let mut stage = self.stage;
        let mut sus = self.sustain;
        // The stage logic stays scalar per lane: with SSE2 a branch-free f64 form of it measured twice as slow
        // (2 f64 per register, every select taken), while these branches follow the stage and predict well.
        for frame in p.outputs[0][..n].iter_mut() {
            for l in 0..LANES {
                sus[l] += sustain_step[l];
                let st = stage[l];
                let (is_att, is_dec, is_sus, is_rel) =
                    (st == STAGE_ATTACK, st == STAGE_DECAY, st == STAGE_SUSTAIN, st == STAGE_RELEASE);
                // One recurrence for every stage: y ← y·factor + add.
                let factor = if is_att {
                    1.0
                } else if is_dec {
                    decay_factor[l]
                } else if is_rel {
                    release_factor[l]
                } else {
                    0.0
                };
                let add = if is_att {
                    attack_add[l]
                } else if is_dec {
                    decay_add[l]
                } else if is_rel {
                    release_add[l]
                } else if is_sus {
                    sus[l]
                } else {
                    0.0
                };
                let mut y = level[l] * factor + add;
                // The attack stops at the peak (or holds if a retrigger found the level above it); decay and
                // sustain never go below the sustain level; release never below 0.
                let ceiling = if is_att { peak[l].max(level[l]) } else { f64::MAX };
                let floor = if is_dec || is_sus { sus[l] } else { 0.0 };
                y = y.min(ceiling).max(floor);
                let silent = is_rel && y < SILENCE;
                y = if silent { 0.0 } else { y };
                let done = (is_att && y >= peak[l]) || (is_dec && y <= sus[l]) || silent;
                stage[l] = st + done as u32;
                level[l] = y;
                frame[l] = y as f32;
            }
        }
        self.level = level;
        self.stage = stage;
        self.sustain = sustain_target;

        let mut sounding = LaneMask::NONE;
        for (l, &st) in stage.iter().enumerate() {
            if st != STAGE_IDLE {
                sounding = sounding.with(l);
            }
        }
        sounding
    }
}
