//! Stereo delay with tempo sync, ping-pong, and filtered feedback.
//!
//! Per channel: a delay line read at a fractional, gliding delay by cubic Hermite interpolation; the echo
//! passes a one-pole high-pass (`low_cut`) and low-pass (`high_cut`), is heard through `mix` and fed back
//! scaled by `feedback`. In ping-pong mode the input (summed to mono) enters the left line only and each
//! line feeds the other, so echoes alternate left, right, left.
//!
//! # Stability
//! The loop is linear. Its gain per round trip is `feedback < 1` times the filters' gain, which is at most 1
//! at every frequency, and the cross-feed matrix of either mode (and every blend of the two during a switch)
//! has a norm of at most 1, so the energy in the lines shrinks every round trip: the delay cannot run away at
//! any setting.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::delay_line::DelayLine;
use crate::dsp::frames;
use crate::effect::tone::{OnePole, one_pole_gain};
use crate::effect::{blend, flush, param, smoothing_coefficient, stereo_in, stereo_input, stereo_out};
use crate::lanes::LaneMask;
use crate::sizing::Sizing;
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const TIME: usize = SPEC.param_index("time");
const SYNC: usize = SPEC.param_index("sync");
const FEEDBACK: usize = SPEC.param_index("feedback");
const MODE: usize = SPEC.param_index("mode");
const LOW_CUT: usize = SPEC.param_index("low_cut");
const HIGH_CUT: usize = SPEC.param_index("high_cut");
const MIX: usize = SPEC.param_index("mix");

/// The longest delay, in seconds. The lines are sized for the longest time a patch can reach (its `time`
/// with modulation and host automation, or this whenever `sync` is on): at most 4 s × 192 kHz × 2 channels ×
/// 4 bytes ≈ 8 MiB.
pub const MAX_TIME: f32 = 4.0;

/// The shortest delay, in seconds.
pub const MIN_TIME: f32 = 0.001;

/// Largest `feedback`: −0.18 dB per repeat, a tail of about 16 s at a 0.1 s delay.
const MAX_FEEDBACK: f32 = 0.98;

/// Time constant of the glide to a new delay time, in seconds: a change sounds like a tape machine's speed
/// settling (a short pitch bend), never a click.
const GLIDE_SECONDS: f32 = 0.05;

/// Fastest change of the delay during a glide, in samples per sample: the echoes bend by at most −12/+7
/// semitones (played at 0.5× to 1.5× speed) however far the time jumps.
const MAX_GLIDE_RATE: f64 = 0.5;

/// A glide this close to its target, in samples, lands on it.
const SNAP: f64 = 1e-4;

/// The `sync` choices: `off` uses `time`; the others are note values (`d` dotted, `t` triplet).
const SYNC_CHOICES: &[&str] = &[
    "off", "1/1", "1/1d", "1/1t", "1/2", "1/2d", "1/2t", "1/4", "1/4d", "1/4t", "1/8", "1/8d", "1/8t", "1/16", "1/16d",
    "1/16t", "1/32", "1/32d", "1/32t",
];

/// The `mode` choices.
const MODES: &[&str] = &["stereo", "ping_pong"];

/// The delay's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "delay",
    doc: "Stereo echo for the effects chain: each repeat comes back `time` seconds (or a note value at the host \
          tempo) later, `feedback` times as loud and a little darker through the `low_cut`/`high_cut` filters \
          in the loop. Ping-pong bounces the repeats between left and right. Time changes glide like tape \
          (at most an octave down or a fifth up in pitch) without clicks; the longest delay is 4 s.",
    inputs: &[PortSpec { name: "in", doc: "audio, stereo (left lane 0, right lane 1)" }],
    outputs: &[PortSpec { name: "out", doc: "audio, stereo: dry and echoes mixed by `mix`" }],
    params: &[
        ParamSpec::new(
            "time",
            "Delay between repeats in seconds, 0.001..4; ignored while `sync` picks a note value. Glides.",
            Unit::Seconds,
            MIN_TIME,
            MAX_TIME,
            0.375,
            0.0,
        ),
        ParamSpec::choice(
            "sync",
            "Delay as a note value at the host tempo (`1/8d` dotted, `1/8t` triplet), clamped to 0.001..4 s; \
             `off` uses `time`.",
            SYNC_CHOICES,
            0,
        ),
        ParamSpec::new(
            "feedback",
            "Level of each repeat relative to the one before, 0..0.98 (0.5 = −6 dB per repeat).",
            Unit::Linear,
            0.0,
            MAX_FEEDBACK,
            0.4,
            20.0,
        ),
        ParamSpec::choice(
            "mode",
            "`stereo`: left and right echo separately; `ping_pong`: the mono sum echoes left, right, left, …",
            MODES,
            0,
        ),
        ParamSpec::new(
            "low_cut",
            "High-pass cutoff in the feedback loop (6 dB/octave), 20..2000 Hz: repeats thin out below it.",
            Unit::Hertz,
            20.0,
            2000.0,
            80.0,
            20.0,
        ),
        ParamSpec::new(
            "high_cut",
            "Low-pass cutoff in the feedback loop (6 dB/octave), 500..20000 Hz (at most 0.49 × sample rate): \
             repeats darken above it.",
            Unit::Hertz,
            500.0,
            20_000.0,
            8000.0,
            20.0,
        ),
        ParamSpec::new("mix", "Dry/wet balance, 0..1: 0 dry only, 1 echoes only.", Unit::Linear, 0.0, 1.0, 0.3, 20.0),
    ],
    role: NodeRole::Effect,
    cost: 55.0,
};

/// The values that ramp linearly across a call, as reached at the end of the last one.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ramped {
    feedback: f32,
    /// 0 stereo, 1 ping-pong.
    cross: f32,
    low_cut: f32,
    high_cut: f32,
    mix: f32,
}

impl Ramped {
    fn as_array(&self) -> [f32; 5] {
        [self.feedback, self.cross, self.low_cut, self.high_cut, self.mix]
    }
}

/// The delay's state: two lines, the gliding delay in samples, the loop filters and the ramped settings.
#[derive(Debug)]
pub struct Delay {
    left: DelayLine,
    right: DelayLine,
    /// Current delay in samples, gliding towards the target.
    delay: f64,
    filters: [[OnePole; 2]; 2],
    ramped: Ramped,
    /// Whether a call has run: the first takes its settings at once instead of gliding from the defaults.
    started: bool,
}

crate::clone_in_place!(Delay { left, right, delay, filters, ramped, started });

/// The delay in seconds for `time` and `sync` (a choice index) at `tempo` BPM, within `MIN_TIME..=MAX_TIME`.
fn delay_seconds(time: f32, sync: usize, tempo: f64) -> f32 {
    if sync == 0 {
        return time;
    }
    // Choices after `off` run in threes (straight, dotted, triplet) from a whole note down to a 1/32.
    let (value, feel) = ((sync - 1) / 3, (sync - 1) % 3);
    let quarters = 4.0 / (1u32 << value) as f64 * [1.0, 1.5, 2.0 / 3.0][feel];
    // The engine promises 1..=1000 BPM; anything else (NaN included) plays at 120 rather than poisoning the glide.
    let tempo = if (1.0..=1000.0).contains(&tempo) { tempo } else { 120.0 };
    (quarters * 60.0 / tempo).clamp(MIN_TIME as f64, MAX_TIME as f64) as f32
}

/// The longest delay in samples a delay sized for `sizing` must serve, with room for the interpolator.
fn line_samples(sizing: &Sizing<'_>) -> usize {
    let synced = sizing.max_of(SYNC, 0.0, (SYNC_CHOICES.len() - 1) as f32) >= 0.5;
    let longest = if synced { MAX_TIME } else { sizing.max_of(TIME, MIN_TIME, MAX_TIME) };
    (longest * sizing.rate()).ceil() as usize + 4
}

impl NodeKind for Delay {
    const SPEC: NodeSpec = SPEC;

    fn new(sample_rate: f32) -> Self {
        Self::sized(&Sizing::full(sample_rate))
    }

    /// Lines as long as the longest delay `sizing` reaches: its `time`, or [`MAX_TIME`] when `sync` follows
    /// the host's tempo (any note value at a slow enough tempo reaches it).
    fn sized(sizing: &Sizing<'_>) -> Self {
        let max = line_samples(sizing);
        Delay {
            left: DelayLine::new(max),
            right: DelayLine::new(max),
            delay: 1.0,
            filters: [[OnePole::default(); 2]; 2],
            ramped: Ramped { feedback: 0.0, cross: 0.0, low_cut: 0.0, high_cut: 1.0, mix: 0.0 },
            started: false,
        }
    }

    fn heap_bytes(sizing: &Sizing<'_>) -> usize {
        2 * DelayLine::bytes_for(line_samples(sizing))
    }

    fn can_take_state_of(&self, other: &Self) -> bool {
        self.left.capacity() == other.left.capacity()
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let sr = p.sample_rate.max(1.0);
        let def = |i: usize| SPEC.params[i].default;
        let time = param(p, TIME, MIN_TIME, MAX_TIME, def(TIME));
        let sync = param(p, SYNC, 0.0, (SYNC_CHOICES.len() - 1) as f32, 0.0).round() as usize;
        let target_delay = (delay_seconds(time, sync, p.transport.tempo) * sr).clamp(2.0, self.left.max_delay()) as f64;
        let target = Ramped {
            feedback: param(p, FEEDBACK, 0.0, MAX_FEEDBACK, def(FEEDBACK)),
            cross: param(p, MODE, 0.0, 1.0, 0.0).round(),
            low_cut: one_pole_gain(param(p, LOW_CUT, 20.0, 2000.0, def(LOW_CUT)), sr),
            high_cut: one_pole_gain(param(p, HIGH_CUT, 500.0, 20_000.0, def(HIGH_CUT)), sr),
            mix: param(p, MIX, 0.0, 1.0, def(MIX)),
        };
        if !self.started {
            self.started = true;
            self.delay = target_delay;
            self.ramped = target;
        }
        let glide = smoothing_coefficient(GLIDE_SECONDS, sr) as f64;
        let inv_n = 1.0 / n.max(1) as f32;
        let from = self.ramped.as_array();
        let to = target.as_array();
        let step: [f32; 5] = std::array::from_fn(|i| (to[i] - from[i]) * inv_n);
        let [mut feedback, mut cross, mut low_cut, mut high_cut, mut mix] = from;

        let x = stereo_input(p, n);
        let mut delay = self.delay;
        let [[hp_l, lp_l], [hp_r, lp_r]] = &mut self.filters;
        for (i, out) in p.outputs[0][..n].iter_mut().enumerate() {
            feedback += step[0];
            cross += step[1];
            low_cut += step[2];
            high_cut += step[3];
            mix += step[4];
            // In f64: an f32 delay near 192 000 samples would stall a few samples short of its target, where
            // the step rounds away.
            let gap = target_delay - delay;
            delay = if gap.abs() < SNAP {
                target_delay
            } else {
                delay + (gap * glide).clamp(-MAX_GLIDE_RATE, MAX_GLIDE_RATE)
            };

            let (in_l, in_r) = stereo_in(x, i);
            let echo_l = hp_l.high_pass(lp_l.low_pass(self.left.hermite(delay as f32), high_cut), low_cut);
            let echo_r = hp_r.high_pass(lp_r.low_pass(self.right.hermite(delay as f32), high_cut), low_cut);
            // Stereo: each line hears its own input and echo. Ping-pong: the left line hears the mono input and
            // the right echo, the right line hears only the left echo.
            let straight = 1.0 - cross;
            let mono = 0.5 * (in_l + in_r);
            let feed_l = straight * in_l + cross * mono + feedback * (straight * echo_l + cross * echo_r);
            let feed_r = straight * in_r + feedback * (straight * echo_r + cross * echo_l);
            self.left.push(flush(feed_l));
            self.right.push(flush(feed_r));
            *out = stereo_out(blend(in_l, echo_l, mix), blend(in_r, echo_r, mix));
        }
        self.delay = delay;
        self.ramped = target;
        LaneMask::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_values_follow_the_tempo() {
        let at =
            |name: &str, tempo: f64| delay_seconds(0.5, SYNC_CHOICES.iter().position(|c| *c == name).unwrap(), tempo);
        assert_eq!(at("off", 120.0), 0.5);
        assert_eq!(at("1/8", 120.0), 0.25);
        assert_eq!(at("1/4", 60.0), 1.0);
        assert_eq!(at("1/4d", 120.0), 0.75);
        assert!((at("1/4t", 120.0) - 1.0 / 3.0).abs() < 1e-7);
        assert_eq!(at("1/1", 120.0), 2.0);
        assert_eq!(at("1/32", 120.0), 0.0625);
        assert_eq!(at("1/1d", 30.0), MAX_TIME);
        assert_eq!(at("1/8", f64::NAN), 0.25);
    }
}
