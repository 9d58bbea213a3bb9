//! The stage machine every envelope kind shares: delay, attack, hold, decay, sustain, release, each lane on
//! its own, with exact stage times and no jumps.
//!
//! # Stages
//! - **Delay** holds the level (0 for a fresh note) for `delay` seconds.
//! - **Attack** rises linearly at `peak / attack` per second: `attack` is the time from 0 to the peak. A
//!   retrigger restarts it from the current level (so it takes proportionally less). A level above the peak
//!   (a retrigger at lower velocity) holds there and goes on to the decay.
//! - **Hold** stays at the peak for `hold` seconds.
//! - **Decay** falls from the peak to `sustain × peak` in exactly `decay` seconds.
//! - **Sustain** holds `sustain × peak` while the key is down, following changes of `sustain` linearly
//!   across each call.
//! - **Release** falls from the level at key-up (whatever the stage) to silence in exactly `release` seconds.
//!   Once 140 dB below the level it started from the level is set to exactly 0 and the lane reports idle:
//!   0.002 % before the nominal end for the exponential curve, on the sample for the linear one, from any
//!   starting level.
//!
//! A one-shot envelope ([`Settings::one_shot`]) ignores the key: after attack and hold it falls straight to
//! silence in `release` seconds.
//!
//! # Curves
//! - `exponential` (the default): decay and release are plain exponentials aiming one thousandth (−60 dB) of their
//!   span past their end (time constant `time / ln 1001`), so they sound like an analog envelope yet end exactly
//!   on time. The attack stays linear.
//! - `linear` ([`CURVE_LINEAR`]): every segment is a straight line.
//!
//! # Timing and smoothness
//! Frame `i` of a note holds the level after `i + 1` samples: the attack reaches the peak on frame `attack × fs − 1`,
//! delay and hold last `round(time × fs)` frames. The level is kept in f64, so 30-second stages at 192 kHz keep their
//! times. No stage change ever steps: the largest sample-to-sample change of an envelope is the steepest slope its
//! segments have (`peak / (attack·fs)`, and the start of the decay and the release), whatever the key does and when.
//! Times of 0 are allowed: a delay or hold of 0 is skipped, an attack, decay or release of 0 takes one sample (a
//! deliberate step).

use crate::context::Process;
use crate::lanes::{LANES, LaneMask, Lanes};

/// The `curve` choice index for "every segment linear" (index 0, "exponential", is the default).
pub(crate) const CURVE_LINEAR: f32 = 1.0;

/// The names of the `curve` choices, in index order: `exponential` (linear attack, exponential decay and
/// release) and `linear`.
pub(crate) const CURVES: &[&str] = &["exponential", "linear"];

/// The exponential stages aim this fraction of their span past their end (−60 dB).
pub(crate) const OVERSHOOT: f64 = 1e-3;

/// A release ends, and the lane goes idle, once its level is this fraction (−140 dB) of where it started.
/// Relative, so a release from a quiet level takes its full time too; far above denormals for any level
/// above the −120 dB sustain floor.
const SILENCE: f64 = 1e-7;

/// An attack within this fraction of the peak (−120 dB) has arrived: covers the rounding of f64 sums and of
/// attack times given in f32 seconds, either of which could otherwise add a sample to the attack.
const ARRIVED: f64 = 1e-6;

/// A release from a level below this is silent at once.
const SILENCE_FLOOR: f64 = 1e-30;

/// Stages, in the order a note passes through them.
const DELAY: u8 = 0;
const ATTACK: u8 = 1;
const HOLD: u8 = 2;
const DECAY: u8 = 3;
const SUSTAIN: u8 = 4;
const RELEASE: u8 = 5;
const IDLE: u8 = 6;

/// What an envelope kind asks of the stage machine for one call: its parameter values per lane (times in
/// seconds, levels relative to the peak), as the engine delivered them.
pub(crate) struct Settings {
    /// Delay before the attack, seconds.
    pub(crate) delay: Lanes,
    /// Attack time from 0 to the peak, seconds.
    pub(crate) attack: Lanes,
    /// Hold time at the peak, seconds.
    pub(crate) hold: Lanes,
    /// Decay time from the peak to the sustain level, seconds.
    pub(crate) decay: Lanes,
    /// Sustain level relative to the peak, `0..=1`.
    pub(crate) sustain: Lanes,
    /// Release time to silence, seconds.
    pub(crate) release: Lanes,
    /// How much note velocity scales the peak, `0..=1`: the peak is `1 − amount × (1 − velocity)`.
    pub(crate) velocity: Lanes,
    /// The curve choice index (0 exponential, [`CURVE_LINEAR`]).
    pub(crate) curve: Lanes,
    /// Whether the key is ignored: attack, hold, then release at once.
    pub(crate) one_shot: bool,
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
    fn update(&mut self, time: &Lanes, sample_rate: f32) -> [f64; LANES] {
        let rate = ((1.0 + OVERSHOOT) / OVERSHOOT).ln();
        let rate_changed = sample_rate != self.sample_rate;
        self.sample_rate = sample_rate;
        for l in 0..LANES {
            if rate_changed || time[l] != self.time[l] {
                self.factor[l] = (-rate / samples(time[l], sample_rate)).exp();
                self.time[l] = time[l];
            }
        }
        self.factor
    }
}

/// A time in seconds as a number of samples, at least 1 (NaN and negative times count as 0 seconds).
#[inline]
fn samples(time: f32, sample_rate: f32) -> f64 {
    (time as f64 * sample_rate as f64).max(1.0)
}

/// A stage time in whole samples' worth (NaN and negative times count as 0).
#[inline]
fn frames(time: f32, sample_rate: f32) -> f64 {
    (time as f64 * sample_rate as f64).max(0.0)
}

/// Per-group state of an envelope: each lane's level, stage, the level its release started from, the samples
/// left in a delay or hold, the sustain level reached at the end of the last call, and cached per-sample
/// factors of the exponential stages.
#[derive(Clone, Debug)]
pub(crate) struct Contour {
    level: [f64; LANES],
    stage: [u8; LANES],
    release_from: [f64; LANES],
    remaining: [f64; LANES],
    sustain: [f64; LANES],
    decay_factor: Cached,
    release_factor: Cached,
}

impl Contour {
    /// Every lane idle at 0.
    pub(crate) fn new() -> Contour {
        Contour {
            level: [0.0; LANES],
            stage: [IDLE; LANES],
            release_from: [0.0; LANES],
            remaining: [0.0; LANES],
            sustain: [0.0; LANES],
            decay_factor: Cached::new(),
            release_factor: Cached::new(),
        }
    }

    /// The call when every lane is in sustain or idle (`n ≥ 1`): sustaining lanes follow the sustain level from
    /// where it was to `target` in steps of `step` per frame, idle ones are 0. One loop over the lanes that
    /// vectorises, with the same arithmetic as the stage loops of [`Contour::process`], so the output is the
    /// same to the bit. When only the last frame is read (a filter envelope feeding routes alone) only that
    /// frame is written. Returns the sustaining lanes. Audio thread.
    fn held(&mut self, p: &mut Process<'_>, n: usize, step: &[f64; LANES], target: &[f64; LANES]) -> LaneMask {
        let held: [bool; LANES] = std::array::from_fn(|l| self.stage[l] == SUSTAIN);
        let from = if p.only_last(0) { n - 1 } else { 0 };
        let out = &mut p.outputs[0][..n];
        if step.iter().all(|&s| s == 0.0) {
            // The sustain level holds (it is not being changed): every frame is the same.
            let y: Lanes = std::array::from_fn(|l| if held[l] { self.sustain[l] as f32 } else { 0.0 });
            out[from..].fill(y);
        } else {
            for (i, frame) in out.iter_mut().enumerate().skip(from) {
                for l in 0..LANES {
                    let y = self.sustain[l] + step[l] * (i + 1) as f64;
                    frame[l] = if held[l] { y as f32 } else { 0.0 };
                }
            }
        }
        for l in 0..LANES {
            let y = self.sustain[l] + step[l] * n as f64;
            self.level[l] = if held[l] { y } else { 0.0 };
        }
        self.sustain = *target;
        LaneMask(held.iter().enumerate().fold(0, |m, (l, &h)| m | ((h as u8) << l)))
    }

    /// Produces the first output's `n` frames (`n ≤` its length) for the call `p` with settings `s`, following
    /// `p.voice.start`, `trigger` and `gate`, and returns the lanes still sounding. Audio thread.
    pub(crate) fn process(&mut self, p: &mut Process<'_>, n: usize, s: &Settings) -> LaneMask {
        // Held notes spend most of their life in sustain, and unused lanes idle. When every lane is in one of
        // the two and stays there (no note starts, no key of a sustaining lane goes up), the call needs only
        // the sustain level: skip the stage set-up below (divisions and stage tables per lane).
        let mut steady = n > 0 && (p.voice.start.0 | p.voice.trigger.0) == 0;
        for l in 0..LANES {
            let st = self.stage[l];
            steady &= st == IDLE || (st == SUSTAIN && (s.one_shot || p.voice.gate.contains(l)));
        }
        if steady {
            let mut target = [0.0f64; LANES];
            let mut step = [0.0f64; LANES];
            for l in 0..LANES {
                // The same arithmetic as the set-up below, so the output is the same to the bit.
                let amount = (s.velocity[l] as f64).clamp(0.0, 1.0);
                let vel = (p.voice.velocity[l] as f64).clamp(0.0, 1.0);
                let peak = 1.0 - amount * (1.0 - vel);
                let sustain = (s.sustain[l] as f64).clamp(0.0, 1.0) * peak;
                target[l] = if sustain < 1e-6 { 0.0 } else { sustain };
                step[l] = (target[l] - self.sustain[l]) / n as f64;
            }
            return self.held(p, n, &step, &target);
        }

        let fs = p.sample_rate.max(1.0);
        let decay_exp = self.decay_factor.update(&s.decay, fs);
        let release_exp = self.release_factor.update(&s.release, fs);

        let mut peak = [0.0f64; LANES];
        let mut attack_add = [0.0f64; LANES];
        let mut decay_factor = [0.0f64; LANES];
        let mut decay_add = [0.0f64; LANES];
        let mut release_factor = [0.0f64; LANES];
        let mut release_coef = [0.0f64; LANES];
        let mut sustain_target = [0.0f64; LANES];
        let mut sustain_step = [0.0f64; LANES];
        let mut hold = [0.0f64; LANES];
        let after_hold = if s.one_shot { RELEASE } else { DECAY };
        // Each lane's stage after each stage (indexed by stage), for this call's settings.
        let mut next_stage = [[IDLE; IDLE as usize + 1]; LANES];
        for l in 0..LANES {
            let amount = (s.velocity[l] as f64).clamp(0.0, 1.0);
            let vel = (p.voice.velocity[l] as f64).clamp(0.0, 1.0);
            peak[l] = 1.0 - amount * (1.0 - vel);
            // A sustain below −120 dB is silence; taken as 0 so the output never holds a denormal.
            let sustain = (s.sustain[l] as f64).clamp(0.0, 1.0) * peak[l];
            let sustain = if sustain < 1e-6 { 0.0 } else { sustain };
            sustain_target[l] = sustain;
            let delay = frames(s.delay[l], fs);
            hold[l] = frames(s.hold[l], fs);
            let after_attack = if hold[l] >= 0.5 { HOLD } else { after_hold };
            next_stage[l] = [ATTACK, after_attack, after_hold, SUSTAIN, SUSTAIN, IDLE, IDLE];
            if p.voice.start.contains(l) {
                self.level[l] = 0.0;
                self.stage[l] = IDLE;
                self.sustain[l] = sustain;
            }
            if p.voice.trigger.contains(l) {
                self.remaining[l] = delay;
                self.stage[l] = if delay >= 0.5 { DELAY } else { ATTACK };
            } else if !s.one_shot && !p.voice.gate.contains(l) && self.stage[l] < RELEASE {
                self.stage[l] = RELEASE;
                self.release_from[l] = self.level[l];
            }
            attack_add[l] = peak[l] / samples(s.attack[l], fs);
            let linear = s.curve[l] >= 0.5 * CURVE_LINEAR;
            if linear {
                decay_factor[l] = 1.0;
                decay_add[l] = -(peak[l] - sustain) / samples(s.decay[l], fs);
                release_factor[l] = 1.0;
                release_coef[l] = -1.0 / samples(s.release[l], fs);
            } else {
                decay_factor[l] = decay_exp[l];
                decay_add[l] = (sustain - OVERSHOOT * (peak[l] - sustain)) * (1.0 - decay_exp[l]);
                release_factor[l] = release_exp[l];
                release_coef[l] = -OVERSHOOT * (1.0 - release_exp[l]);
            }
            sustain_step[l] = (sustain - self.sustain[l]) / n.max(1) as f64;
        }

        if n > 0 && self.stage.iter().all(|&st| st == SUSTAIN || st == IDLE) {
            return self.held(p, n, &sustain_step, &sustain_target);
        }

        // Lane by lane, and within a lane stage by stage: each stage runs a tight loop of its own until it ends
        // or the call does. A stage changes a few times per note, so this costs one branch per stage change
        // rather than a chain of stage tests per sample (which measured 2× the instructions; a branch-free f64
        // form is slower still with SSE2's two f64 per register).
        let out = &mut p.outputs[0][..n];
        for l in 0..LANES {
            let (peak, step, next) = (peak[l], sustain_step[l], next_stage[l]);
            let sus0 = self.sustain[l];
            // The sustain level at frame `i`, ramped across the call.
            let sus = |i: usize| sus0 + step * (i + 1) as f64;
            let mut y = self.level[l];
            let mut st = self.stage[l];
            let mut release_from = self.release_from[l];
            let mut remaining = self.remaining[l];
            // Moves to the stage after `st`, at level `y`.
            let advance = |st: u8, y: f64, remaining: &mut f64, release_from: &mut f64| -> u8 {
                let to = next[st as usize];
                if to == HOLD {
                    *remaining = hold[l];
                }
                if to == RELEASE {
                    *release_from = y;
                }
                to
            };
            let mut i = 0;
            while i < n {
                match st {
                    DELAY | HOLD => {
                        while i < n {
                            remaining -= 1.0;
                            out[i][l] = y as f32;
                            i += 1;
                            if remaining < 0.5 {
                                st = advance(st, y, &mut remaining, &mut release_from);
                                break;
                            }
                        }
                    }
                    ATTACK => {
                        // A retrigger that finds the level above the peak holds it, then decays.
                        let ceiling = peak.max(y);
                        while i < n {
                            y = (y + attack_add[l]).min(ceiling);
                            if y >= peak - ARRIVED * peak {
                                y = y.max(peak);
                            }
                            out[i][l] = y as f32;
                            i += 1;
                            if y >= peak {
                                st = advance(st, y, &mut remaining, &mut release_from);
                                break;
                            }
                        }
                    }
                    DECAY => {
                        while i < n {
                            let floor = sus(i);
                            y = (y * decay_factor[l] + decay_add[l]).max(floor);
                            out[i][l] = y as f32;
                            i += 1;
                            if y <= floor {
                                st = SUSTAIN;
                                break;
                            }
                        }
                    }
                    SUSTAIN => {
                        while i < n {
                            y = sus(i);
                            out[i][l] = y as f32;
                            i += 1;
                        }
                    }
                    RELEASE => {
                        let add = release_from * release_coef[l];
                        let silence = release_from * SILENCE + SILENCE_FLOOR;
                        while i < n {
                            y = (y * release_factor[l] + add).max(0.0);
                            if y < silence {
                                y = 0.0;
                                st = IDLE;
                            }
                            out[i][l] = y as f32;
                            i += 1;
                            if st == IDLE {
                                break;
                            }
                        }
                    }
                    _ => {
                        y = 0.0;
                        while i < n {
                            out[i][l] = 0.0;
                            i += 1;
                        }
                    }
                }
            }
            self.level[l] = y;
            self.stage[l] = st;
            self.release_from[l] = release_from;
            self.remaining[l] = remaining;
        }
        self.sustain = sustain_target;

        let mut sounding = LaneMask::NONE;
        for (l, &st) in self.stage.iter().enumerate() {
            if st != IDLE {
                sounding = sounding.with(l);
            }
        }
        sounding
    }
}
