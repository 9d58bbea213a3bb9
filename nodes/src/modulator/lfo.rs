//! Low-frequency oscillator: six shapes, free or tempo-synced rate, per-voice or global phase, fade-in.
//!
//! The phase is kept in `f64` cycles so a rate holds over hours. Three ways to move it, chosen per lane:
//! - **per-voice** (`mode: voice`): an accumulator per lane, reset to `phase` by each note's trigger (legato
//!   notes do not retrigger), running at `rate` or at the synced note value;
//! - **global, free** (`mode: global`, `sync: off`): an accumulator that ignores notes; when a call's
//!   `transport.frame` is not the frame after the previous call (a lane group that was idle, or a node created
//!   later), it catches up by the missing frames, so every group that has seen the same rate agrees;
//! - **global, synced**: the phase is a function of `transport.beats` (`beats / note length`), so it lines up
//!   with the host's bar and is the same in every voice. When the host is stopped the engine keeps `beats`
//!   running at the tempo, so the LFO keeps moving.
//!
//! The random shapes take their values from a counter-based hash of the cycle index (`dsp::random`): a global
//! LFO's cycle index is absolute, so every voice draws the same values; a per-voice LFO's index is seeded at
//! the trigger from the frame clock, the lane and the pitch, so each note gets its own sequence and a render repeats.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::approx::sin_turns;
use crate::dsp::phasor::param;
use crate::dsp::random::{uniform, voice_seed};
use crate::dsp::{choice_index, clamp, frames};
use crate::lanes::{LANES, LaneMask, Lanes, MAX_CHUNK};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const RATE: usize = SPEC.param_index("rate");
const SHAPE: usize = SPEC.param_index("shape");
const PHASE: usize = SPEC.param_index("phase");
const SYNC: usize = SPEC.param_index("sync");
const MODE: usize = SPEC.param_index("mode");
const FADE: usize = SPEC.param_index("fade");

/// Shape names, in choice-index order.
const SHAPES: &[&str] = &["sine", "triangle", "saw", "square", "sample_hold", "smooth_random"];
/// How many shapes there are.
const SHAPE_COUNT: usize = 6;

/// Sync choices: `off`, then each note value plain, dotted (`d`, 1.5×) and triplet (`t`, 2/3×), from four
/// whole notes down to a thirty-second (4/1, 2/1, 1/1, 1/2, 1/4, 1/8, 1/16, 1/32). Index `i ≥ 1` is note value
/// `(i − 1) / 3` in that order, variant `(i − 1) % 3`. Any thread.
pub const SYNC_CHOICES: &[&str] = &[
    "off", "4/1", "4/1d", "4/1t", "2/1", "2/1d", "2/1t", "1/1", "1/1d", "1/1t", "1/2", "1/2d", "1/2t", "1/4", "1/4d",
    "1/4t", "1/8", "1/8d", "1/8t", "1/16", "1/16d", "1/16t", "1/32", "1/32d", "1/32t",
];

/// Length of each plain note value in quarter-note beats, longest first.
const NOTE_BEATS: [f64; 8] = [16.0, 8.0, 4.0, 2.0, 1.0, 0.5, 0.25, 0.125];

/// Mode names, in choice-index order.
const MODES: &[&str] = &["voice", "global"];

/// The length in quarter-note beats of one cycle for sync choice `index` (`1..=24`); `None` for `off` or an
/// index out of range. Any thread.
pub fn sync_beats(index: usize) -> Option<f64> {
    let i = index.checked_sub(1)?;
    let base = *NOTE_BEATS.get(i / 3)?;
    Some(match i % 3 {
        0 => base,
        1 => base * 1.5,
        _ => base * (2.0 / 3.0),
    })
}

/// The LFO's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "lfo",
    doc: "Low-frequency oscillator, −1..1. The periodic shapes cross 0 rising at phase 0 and are positive for \
          the first half cycle: sine; triangle (peaks at 1/4 and 3/4); saw (rises from 0 to 1, drops to −1 at \
          half a cycle, rises to 0); square (+1 then −1). `sample_hold` takes a new random value at each cycle \
          start; `smooth_random` glides from one random value to the next across each cycle (smoothstep, so it \
          has no corners; its largest step per sample is 3 × rate / sample rate). Saw and square are not \
          band-limited. In `voice` mode each note's trigger restarts it at `phase`; in `global` mode it is \
          free-running and identical in every voice (synced: locked to the host's beat position, so a 1/1 \
          cycle starts on every bar). `fade` raises the depth linearly from 0 at each note's trigger.",
    inputs: &[],
    outputs: &[PortSpec { name: "out", doc: "control, −1..1 (scaled by the fade-in)" }],
    params: &[
        ParamSpec::new(
            "rate",
            "Cycles per second when `sync` is off, 0.01..100 Hz.",
            Unit::Hertz,
            0.01,
            100.0,
            1.0,
            5.0,
        ),
        ParamSpec::choice("shape", "Waveform: sine, triangle, saw, square, sample_hold, smooth_random.", SHAPES, 0),
        ParamSpec::new(
            "phase",
            "Start phase in cycles, 0..1: where a note's trigger restarts a `voice` LFO; a fixed offset on a \
             `global` one.",
            Unit::Linear,
            0.0,
            1.0,
            0.0,
            0.0,
        ),
        ParamSpec::choice(
            "sync",
            "Tempo sync: `off` uses `rate`; otherwise one cycle lasts the note value at the host tempo (`1/4` = \
             one beat, `d` dotted = 1.5×, `t` triplet = 2/3×).",
            SYNC_CHOICES,
            0,
        ),
        ParamSpec::choice(
            "mode",
            "`voice`: one LFO per note, restarted by its trigger; `global`: one phase shared by every voice.",
            MODES,
            0,
        ),
        ParamSpec::new(
            "fade",
            "Fade-in time in seconds, 0..30: the depth rises linearly from 0 at each note's trigger to full \
             after this time; 0 = no fade.",
            Unit::Seconds,
            0.0,
            30.0,
            0.0,
            0.0,
        ),
    ],
    role: NodeRole::Signal,
    cost: 9.0,
};

/// Per-group state. Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Clone, Debug)]
pub struct Lfo {
    /// Each lane's phase within the current cycle, `0..1` (without the global `phase` offset).
    phase: [f64; LANES],
    /// Each lane's cycle index: the random shapes' sequence position (absolute in global mode, seeded per note
    /// in voice mode).
    cycle: [u64; LANES],
    /// Per-sample phase increment reached at the end of the last call, in cycles.
    inc: [f64; LANES],
    /// Fade-in depth per lane, `0..=1` (f64 so that it reaches 1 on the exact frame after a long fade).
    fade: [f64; LANES],
    /// The `transport.frame` the next call should start at, for the global mode's catch-up.
    next_frame: u64,
    /// No call has run yet: global lanes take their increment without ramping from 0.
    fresh: bool,
}

/// What one call's frames need besides the state: per lane, the increment's per-frame change, the phase
/// offset (global mode), the fade's per-frame change and the shape weights.
struct Ramp {
    step: [f64; LANES],
    offset: [f64; LANES],
    fade_step: [f64; LANES],
    weight: [[f32; LANES]; SHAPE_COUNT],
}

impl Lfo {
    /// Produces `out.len()` frames and advances the state. `RANDOM` is whether any lane plays a random shape:
    /// without one the loop does no hashing. No `floor` (a libm call on baseline x86-64): the position
    /// `phase + offset` is below 2, so one compare wraps it. Audio thread.
    ///
    /// With `last_only` (the engine reads only the call's last frame: the LFO feeds modulation routes alone) only
    /// the last frame's shape is evaluated, the shapes being most of the cost. The phase then moves in closed
    /// form (within rounding of a full call, see the comment there), except with a random shape, where it still
    /// walks every frame to step its random values at each wrap.
    #[inline(always)]
    fn run<const RANDOM: bool>(&mut self, out: &mut [Lanes], r: &Ramp, last_only: bool) {
        let n = out.len().min(MAX_CHUNK);
        let (mut phase, mut cycle, mut inc, mut fade) = (self.phase, self.cycle, self.inc, self.fade);
        // Two passes, so that each lane loop has one float width and vectorises: first the f64 phase walk,
        // writing each frame's position in the cycle (and the fade, and the random pair) as f32; then the f32
        // shapes (`shapes`).
        if !RANDOM {
            if last_only && n > 0 {
                // One frame's position and fade, not a chunk's (zeroing those arrays cost more than this path).
                let (mut at, mut depth) = ([0.0f32; LANES], [0.0f32; LANES]);
                // Only the last frame is read: the phase after `k` frames in closed form, the increment ramping
                // linearly (`k·inc + step·k(k+1)/2`), instead of a walk frame by frame. Not bit-identical to the
                // walk (the sums round differently, by about 1e-16 of a cycle) but far below anything a route
                // can tell: the value a route reads stays within −120 dB.
                let (last, all) = ((n - 1) as f64, n as f64);
                for l in 0..LANES {
                    let before = phase[l] + (last * inc[l] + r.step[l] * (last * (last + 1.0) * 0.5));
                    let pos = before - whole(before).0 + r.offset[l];
                    at[l] = (if pos >= 1.0 { pos - 1.0 } else { pos }) as f32;
                    depth[l] = (fade[l] + last * r.fade_step[l]).min(1.0) as f32;
                    let total = phase[l] + (all * inc[l] + r.step[l] * (all * (all + 1.0) * 0.5));
                    let (wraps, count) = whole(total);
                    phase[l] = total - wraps;
                    cycle[l] = cycle[l].wrapping_add(count);
                    inc[l] += all * r.step[l];
                    fade[l] = (fade[l] + all * r.fade_step[l]).min(1.0);
                }
                self.shapes::<false>(&mut out[n - 1..n], &[at], &[depth], &[], &r.weight);
            } else {
                let mut at = [[0.0f32; LANES]; MAX_CHUNK];
                let mut depth = [[0.0f32; LANES]; MAX_CHUNK];
                // Wraps are counted in f64 and added to the cycle index after the loop, so that the loop is f64
                // arithmetic and selects only.
                let mut wraps = [0.0f64; LANES];
                for i in 0..n {
                    for l in 0..LANES {
                        let pos = phase[l] + r.offset[l];
                        at[i][l] = (if pos >= 1.0 { pos - 1.0 } else { pos }) as f32;
                        depth[i][l] = fade[l] as f32;
                        fade[l] = (fade[l] + r.fade_step[l]).min(1.0);
                        inc[l] += r.step[l];
                        let next = phase[l] + inc[l];
                        let wrapped = next >= 1.0;
                        phase[l] = if wrapped { next - 1.0 } else { next };
                        wraps[l] += if wrapped { 1.0 } else { 0.0 };
                    }
                }
                for l in 0..LANES {
                    cycle[l] = cycle[l].wrapping_add(wraps[l] as u64);
                }
                let from = if last_only { n.saturating_sub(1) } else { 0 };
                self.shapes::<false>(&mut out[from..n], &at[from..n], &depth[from..n], &[], &r.weight);
            }
        } else {
            let mut at = [[0.0f32; LANES]; MAX_CHUNK];
            let mut depth = [[0.0f32; LANES]; MAX_CHUNK];
            // Each frame's pair of random values (this cycle's and the next), and a window of the current
            // cycle's value and the two after it, moved on at each wrap.
            let mut pair = [[[0.0f32; LANES]; 2]; MAX_CHUNK];
            let mut values = [[0.0f32; LANES]; 3];
            for l in 0..LANES {
                for (j, v) in values.iter_mut().enumerate() {
                    v[l] = uniform(cycle[l].wrapping_add(j as u64));
                }
            }
            for i in 0..n {
                for l in 0..LANES {
                    let pos = phase[l] + r.offset[l];
                    let over = pos >= 1.0;
                    at[i][l] = (if over { pos - 1.0 } else { pos }) as f32;
                    depth[i][l] = fade[l] as f32;
                    pair[i][0][l] = if over { values[1][l] } else { values[0][l] };
                    pair[i][1][l] = if over { values[2][l] } else { values[1][l] };
                    fade[l] = (fade[l] + r.fade_step[l]).min(1.0);
                    inc[l] += r.step[l];
                    let next = phase[l] + inc[l];
                    if next >= 1.0 {
                        phase[l] = next - 1.0;
                        cycle[l] = cycle[l].wrapping_add(1);
                        values[0][l] = values[1][l];
                        values[1][l] = values[2][l];
                        values[2][l] = uniform(cycle[l].wrapping_add(2));
                    } else {
                        phase[l] = next;
                    }
                }
            }
            let from = if last_only { n.saturating_sub(1) } else { 0 };
            self.shapes::<true>(&mut out[from..n], &at[from..n], &depth[from..n], &pair[from..n], &r.weight);
        }
        self.phase = phase;
        self.cycle = cycle;
        self.inc = inc;
        self.fade = fade;
    }

    /// The f32 pass of [`Lfo::run`]: each frame of `out` the shape value at position `at` (cycles, `0..1`)
    /// times the fade `depth` of the same frame; `pair` holds the random values when `RANDOM`. Audio thread.
    #[inline(always)]
    fn shapes<const RANDOM: bool>(
        &self,
        out: &mut [Lanes],
        at: &[Lanes],
        depth: &[Lanes],
        pair: &[[Lanes; 2]],
        w: &[[f32; LANES]; SHAPE_COUNT],
    ) {
        for (i, ((frame, &t), &g)) in out.iter_mut().zip(at).zip(depth).enumerate() {
            let mut y: Lanes = [0.0; LANES];
            for l in 0..LANES {
                let t = t[l];
                // Signed phase in [-0.5, 0.5): 0 at the rising zero crossing.
                let s = if t >= 0.5 { t - 1.0 } else { t };
                let a = s.abs();
                let folded = if a > 0.25 { (0.5 - a).copysign(s) } else { s };
                let square = if s >= 0.0 { 1.0 } else { -1.0 };
                let mut value = w[0][l] * sin_turns(s) + w[1][l] * 4.0 * folded + w[2][l] * 2.0 * s + w[3][l] * square;
                if RANDOM {
                    let (from, to) = (pair[i][0][l], pair[i][1][l]);
                    let smooth = from + (to - from) * (t * t * (3.0 - 2.0 * t));
                    value += w[4][l] * from + w[5][l] * smooth;
                }
                y[l] = value * g[l];
            }
            *frame = y;
        }
    }
}

/// `x.rem_euclid(1.0)` without the libm `fmod` call it is (once per lane and call, the LFO's largest cost
/// when it runs at control rate): `x` minus its integer part, exact like `fmod`, plus 1 when negative. `x`
/// is a phase parameter (within 0..=1, so far inside the range where truncation through `i64` is exact); NaN
/// stays NaN. Audio thread.
#[inline(always)]
fn fraction(x: f64) -> f64 {
    let r = x - x as i64 as f64;
    if r < 0.0 { r + 1.0 } else { r }
}

/// The whole cycles in a phase sum `x` (`0 ≤ x`, a few cycles at most), as f64 and as a count: `floor` without
/// the libm call it is on baseline x86-64. A NaN or negative sum counts as 0. Audio thread.
#[inline(always)]
fn whole(x: f64) -> (f64, u64) {
    // SAFETY: finite and within 0..=1e15 after `max` (NaN maps to 0) and `min`; `clamp` would pass NaN on.
    #[allow(clippy::manual_clamp)]
    let count = unsafe { x.max(0.0).min(1e15).to_int_unchecked::<i64>() };
    (count as f64, count as u64)
}

impl NodeKind for Lfo {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Lfo {
            phase: [0.0; LANES],
            cycle: [0; LANES],
            inc: [0.0; LANES],
            fade: [1.0; LANES],
            next_frame: 0,
            fresh: true,
        }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let fs = p.sample_rate.max(1.0) as f64;
        let inv_sr = 1.0 / fs;
        let (rate, shape, start_phase) = (param(p, RATE), param(p, SHAPE), param(p, PHASE));
        let (sync, mode, fade_time) = (param(p, SYNC), param(p, MODE), param(p, FADE));
        let t = p.transport;
        let frame = t.frame;
        let tempo = if t.tempo.is_finite() { t.tempo.clamp(1.0, 1000.0) } else { 120.0 };
        let beats0 = if t.beats.is_finite() { t.beats } else { 0.0 };
        // Frames the global accumulators missed since this node's last call (0 when called every period).
        let gap = if self.fresh {
            frame as f64
        } else if frame >= self.next_frame {
            (frame - self.next_frame) as f64
        } else {
            // The clock went back (the engine restarted): start over from its new position.
            self.phase = [0.0; LANES];
            self.cycle = [0; LANES];
            frame as f64
        };
        let triggered = LaneMask(p.voice.start.0 | p.voice.trigger.0);

        let mut target = [0.0f64; LANES];
        let mut step = [0.0f64; LANES];
        let mut offset = [0.0f64; LANES];
        let mut fade_step = [0.0f64; LANES];
        // One-hot weights of the shapes, per lane: every shape is computed and one kept, so the lane loop has
        // no branch on the choice.
        let mut weight = [[0.0f32; LANES]; SHAPE_COUNT];
        for l in 0..LANES {
            let beats = sync_beats(choice_index(sync[l], 24));
            let global = mode[l] >= 0.5;
            let hz = match beats {
                Some(b) => tempo / (60.0 * b),
                None => clamp(rate[l], 0.0, 1000.0) as f64,
            };
            // 0.45·fs keeps one step under half a cycle.
            target[l] = hz.min(0.45 * fs) * inv_sr;
            let start = fraction(start_phase[l] as f64);
            // NaN, and a remainder that rounded up to 1, mean 0.
            let start = if start < 1.0 { start } else { 0.0 };
            if global {
                offset[l] = start;
                if let Some(b) = beats {
                    // Locked to the host: the phase is where the beat position puts it, every call; within the
                    // call it advances at the tempo (the engine's `beats` does the same).
                    let c = beats0 / b;
                    let whole = c.floor();
                    self.phase[l] = c - whole;
                    self.cycle[l] = whole as i64 as u64;
                    self.inc[l] = target[l];
                } else {
                    if self.fresh {
                        self.inc[l] = target[l];
                    }
                    let total = self.phase[l] + gap * self.inc[l];
                    let whole = total.floor();
                    self.phase[l] = total - whole;
                    self.cycle[l] = self.cycle[l].wrapping_add(whole as u64);
                }
            } else if triggered.contains(l) {
                self.phase[l] = start;
                self.cycle[l] = voice_seed(frame, l, p.voice.pitch[l]);
                self.inc[l] = target[l];
            }
            let fade = clamp(fade_time[l], 0.0, 30.0);
            if triggered.contains(l) {
                self.fade[l] = if fade > 0.0 { 0.0 } else { 1.0 };
            }
            fade_step[l] = if fade > 0.0 { inv_sr / fade as f64 } else { 1.0 };
            step[l] = (target[l] - self.inc[l]) / n.max(1) as f64;
            let index = choice_index(shape[l], SHAPE_COUNT - 1);
            weight[index.min(SHAPE_COUNT - 1)][l] = 1.0;
        }
        let random = weight[4].iter().chain(&weight[5]).any(|w| *w != 0.0);
        let ramp = Ramp { step, offset, fade_step, weight };
        let last_only = p.only_last(0);
        if random {
            self.run::<true>(&mut p.outputs[0][..n], &ramp, last_only);
        } else {
            self.run::<false>(&mut p.outputs[0][..n], &ramp, last_only);
        }
        self.inc = target;
        self.next_frame = frame.wrapping_add(n as u64);
        self.fresh = false;
        LaneMask::ALL
    }
}
