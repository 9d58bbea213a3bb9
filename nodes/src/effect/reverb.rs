//! Algorithmic stereo reverb: a feedback delay network (FDN) of eight lines mixed by a Hadamard matrix.
//!
//! # Signal flow
//! Left and right pass a pre-delay, then four all-pass diffusers each (different lengths per side), which
//! turn an attack into a dense burst. The left burst enters lines 0–3, the right lines 4–7. Every sample the
//! eight line outputs are each damped by a high shelf and scaled by a gain, mixed by the orthogonal
//! 8×8 Hadamard matrix (a fast Walsh–Hadamard transform, 24 additions) and written back with the input. The
//! outputs are two orthogonal sign patterns over the line outputs, so left and right are decorrelated;
//! `width` blends them towards mono.
//!
//! # Decay
//! Line `i` of `dᵢ` samples gets the gain `gᵢ = 10^(−3·dᵢ / (decay · fs))`: −60 dB after `decay` seconds
//! whatever path a sound takes, since every path is a sequence of lines and the matrix is orthogonal. Each
//! line also passes a first-order high shelf, `Gᵢ·x + (1 − Gᵢ)·lowpass(x)` with its corner at `damping`: unit
//! gain at DC, `Gᵢ = gᵢ³` at the top of the spectrum, so the lows decay in `decay` and the highest
//! frequencies four times faster, with the change centred on the `damping` frequency.
//!
//! # Stability
//! An orthogonal matrix times per-line gains of at most `gᵢ < 1` is a contraction (the shelf and the Hermite
//! interpolation never exceed unit gain at any frequency or fraction), so the network cannot blow up at any
//! setting, and state below 1e-20 is flushed to 0 so a tail ends in exact silence, never denormals.
//!
//! # Size
//! Line lengths scale with the sample rate and with `size`, and are whole samples while `size` holds still (a
//! fractional read in the loop would low-pass every round trip). When `size` changes, each line glides to its
//! new length (at most 0.05 samples per sample, so the tail bends by under a semitone).
//!
//! # Modulation
//! Each line's length also wobbles slowly (`modulation`: up to ±1 ms, each line at its own rate between 0.31
//! and 0.97 Hz), which spreads the network's resonances over time so a long tail does not ring metallically.
//! While lengths move (wobbling or gliding) the lines are read with cubic Hermite interpolation; its slight
//! high-frequency loss adds a little damping above 10 kHz.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::allpass::Allpass;
use crate::dsp::approx::sin_turns;
use crate::dsp::delay_line::DelayLine;
use crate::dsp::frames;
use crate::effect::tone::one_pole_gain;
use crate::effect::{blend, flush, param, smoothing_coefficient, stereo_in, stereo_input, stereo_out};
use crate::lanes::LaneMask;
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const SIZE: usize = SPEC.param_index("size");
const DECAY: usize = SPEC.param_index("decay");
const DAMPING: usize = SPEC.param_index("damping");
const PREDELAY: usize = SPEC.param_index("predelay");
const WIDTH: usize = SPEC.param_index("width");
const MIX: usize = SPEC.param_index("mix");
const MODULATION: usize = SPEC.param_index("modulation");

/// Lines in the network.
const LINES: usize = 8;

/// Line lengths at `size` 0.5, in seconds: primes of samples at 48 kHz (1109 … 2749), spread so that no two
/// share a common period.
const LINE_SECONDS: [f32; LINES] =
    [0.023_104, 0.027_646, 0.031_896, 0.036_646, 0.041_229, 0.045_021, 0.051_521, 0.057_271];

/// How far `size` scales the line lengths: `2^(2·(size − 0.5))`, ×0.5 at 0 to ×2 at 1.
const SIZE_OCTAVES: f32 = 2.0;

/// Diffuser lengths in seconds, left and right (different, so the sides decorrelate from the first echo).
const DIFFUSER_SECONDS: [[f32; 4]; 2] =
    [[0.004_771, 0.003_595, 0.002_734, 0.001_873], [0.004_933, 0.003_712, 0.002_591, 0.001_791]];

/// Feedback gain of the diffusers: dense without ringing.
const DIFFUSION: f32 = 0.62;

/// Longest pre-delay, in seconds.
const MAX_PREDELAY: f32 = 0.25;

/// Output gain: with it, a steady noise at default settings comes out at roughly its input level.
const OUTPUT_GAIN: f32 = 0.35;

/// Each line's length swings by up to this many seconds either way at `modulation` 1.
const MAX_MODULATION_SECONDS: f32 = 0.001;

/// Each line's modulation rate in Hz: different, unrelated rates so the lines never wobble together.
const MODULATION_HZ: [f64; LINES] = [0.31, 0.97, 0.43, 0.79, 0.57, 0.67, 0.89, 0.37];

/// Time constant of the glides of `size` and `predelay`, in seconds.
const GLIDE_SECONDS: f32 = 0.1;

/// The reverb's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "reverb",
    doc: "Stereo reverb for the effects chain (an eight-line feedback delay network after four all-pass \
          diffusers per side): `size` sets the room's scale, `decay` how long its tail takes to fall by 60 dB, \
          `damping` where the highs start to die away sooner.",
    inputs: &[PortSpec { name: "in", doc: "audio, stereo (left lane 0, right lane 1)" }],
    outputs: &[PortSpec { name: "out", doc: "audio, stereo: dry and reverb mixed by `mix`" }],
    params: &[
        ParamSpec::new(
            "size",
            "Room size, 0..1: scales the echo spacing ×0.5 to ×2 (0.5 = 23–57 ms). Glides (0.1 s).",
            Unit::Linear,
            0.0,
            1.0,
            0.5,
            50.0,
        ),
        ParamSpec::new(
            "decay",
            "Reverb time (RT60) in seconds, 0.1..30: how long the tail takes to fall by 60 dB at low frequencies.",
            Unit::Seconds,
            0.1,
            30.0,
            2.0,
            20.0,
        ),
        ParamSpec::new(
            "damping",
            "Frequency in Hz, 200..20000 (at most 0.45 × sample rate) above which the tail dies away faster, up \
             to 4× faster at the top of the spectrum. Lower is darker.",
            Unit::Hertz,
            200.0,
            20_000.0,
            6000.0,
            20.0,
        ),
        ParamSpec::new(
            "predelay",
            "Gap before the reverb starts, 0..0.25 s. Glides (0.1 s).",
            Unit::Seconds,
            0.0,
            MAX_PREDELAY,
            0.01,
            0.0,
        ),
        ParamSpec::new(
            "width",
            "Stereo width of the reverb, 0..1: 0 mono, 1 fully decorrelated left and right.",
            Unit::Linear,
            0.0,
            1.0,
            1.0,
            20.0,
        ),
        ParamSpec::new("mix", "Dry/wet balance, 0..1: 0 dry only, 1 reverb only.", Unit::Linear, 0.0, 1.0, 0.25, 20.0),
        ParamSpec::new(
            "modulation",
            "Slow wobble of the echo spacing, 0..1 (1 = ±1 ms at 0.3–1 Hz): smooths the metallic ringing of long \
             tails with a faint chorus; 0 keeps the tail static.",
            Unit::Linear,
            0.0,
            1.0,
            0.4,
            20.0,
        ),
    ],
    role: NodeRole::Effect,
    cost: 220.0,
};

/// How much faster than `decay` the top of the spectrum dies away.
const HIGH_DECAY_SPEEDUP: i32 = 4;

/// Fastest change of a line's length during a `size` glide, in samples per sample.
const MAX_LENGTH_RATE: f64 = 0.05;

/// Smallest step of a gliding line length, in samples, and the distance at which it lands on its target.
const MIN_LENGTH_STEP: f64 = 1e-4;

/// The settings the loop coefficients were computed for, so that a steady reverb computes none.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Key {
    lengths: [usize; LINES],
    decay: f32,
    damping: f32,
    sample_rate: f32,
}

/// The loop coefficients for one [`Key`].
#[derive(Clone, Copy, Debug)]
struct Loop {
    /// Each line's gain `gᵢ`.
    gain: [f32; LINES],
    /// Each line's shelf gain at the top of the spectrum, `Gᵢ`.
    shelf: [f32; LINES],
    /// The one-pole gain of the shelf's low-pass at the `damping` corner.
    corner: f32,
}

/// The reverb's state, boxed: it is about 1.2 KB, and the registry's `Processor` enum is as large as its
/// largest variant, so an inline reverb would triple the size of every voice node in the engine's arena.
#[derive(Debug)]
pub struct Reverb {
    state: Box<State>,
}

crate::clone_in_place!(Reverb { state });

/// Everything the reverb remembers between calls.
#[derive(Debug)]
struct State {
    predelay: [DelayLine; 2],
    diffusers: [[Allpass; 4]; 2],
    lines: [DelayLine; LINES],
    /// Each line's damping low-pass memory.
    damp: [f32; LINES],
    coefs: Loop,
    key: Key,
    /// Each line's current length in samples: whole while `size` holds, gliding after it changes.
    lengths: [f64; LINES],
    /// Each line's modulation phase in cycles, `0..1`.
    phases: [f64; LINES],
    /// Each line's modulation offset in samples reached at the end of the last call.
    offsets: [f32; LINES],
    /// Current pre-delay in samples, gliding.
    predelay_samples: f32,
    /// Width and mix reached at the end of the last call.
    ramped: [f32; 2],
    /// Whether a call has run: the first takes its settings at once.
    started: bool,
}

crate::clone_in_place!(State {
    predelay,
    diffusers,
    lines,
    damp,
    coefs,
    key,
    lengths,
    phases,
    offsets,
    predelay_samples,
    ramped,
    started
});

/// In-place orthonormal 8-point Walsh–Hadamard transform. Audio thread.
#[inline(always)]
fn hadamard(x: &mut [f32; LINES]) {
    let mut h = 1;
    while h < LINES {
        for i in (0..LINES).step_by(2 * h) {
            for j in i..i + h {
                let (a, b) = (x[j], x[j + h]);
                x[j] = a + b;
                x[j + h] = a - b;
            }
        }
        h *= 2;
    }
    for v in x.iter_mut() {
        *v *= std::f32::consts::FRAC_1_SQRT_2 * 0.5;
    }
}

/// The output sign patterns: rows 1 and 2 of the Hadamard matrix, orthogonal to each other.
const TAPS_L: [f32; LINES] = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
const TAPS_R: [f32; LINES] = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0];

impl Loop {
    /// The coefficients for `key`. Per call, and only when the key changed.
    fn new(key: &Key) -> Loop {
        let sr = key.sample_rate as f64;
        let mut coefs = Loop {
            gain: [0.0; LINES],
            shelf: [0.0; LINES],
            corner: one_pole_gain(key.damping.min(0.45 * key.sample_rate), key.sample_rate),
        };
        for i in 0..LINES {
            let gain = 10f64.powf(-3.0 * key.lengths[i] as f64 / (key.decay as f64 * sr));
            coefs.gain[i] = gain as f32;
            coefs.shelf[i] = gain.powi(HIGH_DECAY_SPEEDUP - 1) as f32;
        }
        coefs
    }
}

impl NodeKind for Reverb {
    const SPEC: NodeSpec = SPEC;

    fn new(sample_rate: f32) -> Self {
        Reverb { state: Box::new(State::new(sample_rate)) }
    }

    fn heap_bytes(sizing: &crate::Sizing<'_>) -> usize {
        let lengths = Lengths::at(sizing.sample_rate);
        let diffusers: usize = lengths.diffusers.iter().flatten().map(|&d| DelayLine::bytes_for(d.max(1))).sum();
        std::mem::size_of::<State>()
            + 2 * DelayLine::bytes_for(lengths.predelay)
            + diffusers
            + LINES * DelayLine::bytes_for(lengths.line)
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        self.state.process(p);
        LaneMask::ALL
    }
}

/// The longest delay, in samples, each of the reverb's lines serves at one sample rate.
struct Lengths {
    /// Each pre-delay line.
    predelay: usize,
    /// Each diffuser's length, left and right.
    diffusers: [[usize; 4]; 2],
    /// Each line of the feedback network: the longest at the largest `size`, plus the modulation's swing.
    line: usize,
}

impl Lengths {
    /// The lengths at `sample_rate` Hz.
    fn at(sample_rate: f32) -> Lengths {
        let sr = sample_rate.max(1.0);
        let samples = |s: f32| (s * sr).round() as usize;
        let longest = LINE_SECONDS[LINES - 1] * 2f32.powf(0.5 * SIZE_OCTAVES);
        Lengths {
            predelay: samples(MAX_PREDELAY) + 2,
            diffusers: DIFFUSER_SECONDS.map(|side| side.map(samples)),
            line: samples(longest + MAX_MODULATION_SECONDS) + 4,
        }
    }
}

impl State {
    /// Silent state for `sample_rate` Hz, lines sized for the largest `size`. Allocates.
    fn new(sample_rate: f32) -> State {
        let sr = sample_rate.max(1.0);
        let lengths = Lengths::at(sr);
        let diffusers = lengths.diffusers.map(|side| side.map(|length| Allpass::new(length, DIFFUSION)));
        let key = Key { lengths: [1; LINES], decay: 1.0, damping: 1000.0, sample_rate: sr };
        State {
            predelay: std::array::from_fn(|_| DelayLine::new(lengths.predelay)),
            diffusers,
            lines: std::array::from_fn(|_| DelayLine::new(lengths.line)),
            damp: [0.0; LINES],
            coefs: Loop::new(&key),
            key,
            lengths: [1.0; LINES],
            phases: std::array::from_fn(|i| i as f64 / LINES as f64),
            offsets: [0.0; LINES],
            predelay_samples: 1.0,
            ramped: [0.0; 2],
            started: false,
        }
    }

    /// One call: see [`NodeKind::process`]. Audio thread.
    fn process(&mut self, p: &mut Process<'_>) {
        let n = frames(p);
        let sr = p.sample_rate.max(1.0);
        let def = |i: usize| SPEC.params[i].default;
        let scale = crate::spec::exp2(SIZE_OCTAVES * (param(p, SIZE, 0.0, 1.0, def(SIZE)) - 0.5));
        let line_max = self.lines[0].max_delay();
        let targets = LINE_SECONDS.map(|s| (s * scale * sr).round().clamp(1.0, line_max) as f64);
        let predelay_max = self.predelay[0].max_delay();
        let target_predelay =
            (param(p, PREDELAY, 0.0, MAX_PREDELAY, def(PREDELAY)) * sr).round().clamp(1.0, predelay_max);
        let target = [param(p, WIDTH, 0.0, 1.0, def(WIDTH)), param(p, MIX, 0.0, 1.0, def(MIX))];
        // The wobble is below 1 Hz, so each offset is computed for the call's last frame and ramped.
        let swing = param(p, MODULATION, 0.0, 1.0, def(MODULATION)) * MAX_MODULATION_SECONDS * sr;
        let mut offsets = [0.0f32; LINES];
        for l in 0..LINES {
            self.phases[l] = (self.phases[l] + MODULATION_HZ[l] * n as f64 / sr as f64).fract();
            let t = self.phases[l] as f32;
            offsets[l] = swing * sin_turns(if t >= 0.5 { t - 1.0 } else { t });
        }
        if !self.started {
            self.started = true;
            self.lengths = targets;
            self.offsets = offsets;
            self.predelay_samples = target_predelay;
            self.ramped = target;
        }
        let key = Key {
            lengths: self.lengths.map(|d| d.round() as usize),
            decay: param(p, DECAY, 0.1, 30.0, def(DECAY)),
            damping: param(p, DAMPING, 200.0, 20_000.0, def(DAMPING)),
            sample_rate: sr,
        };
        if key != self.key {
            self.key = key;
            self.coefs = Loop::new(&key);
        }
        let settings =
            Settings { targets, offsets, target_predelay, target, glide: smoothing_coefficient(GLIDE_SECONDS, sr), n };
        let x = stereo_input(p, n);
        let out = &mut p.outputs[0][..n];
        // Two copies of the loop: whole-sample taps while the lengths hold still (exact, and cheaper),
        // interpolated ones while they glide or wobble.
        if self.lengths == targets && self.offsets == [0.0; LINES] && offsets == [0.0; LINES] {
            self.run::<false>(x, out, &settings);
        } else {
            self.run::<true>(x, out, &settings);
        }
    }
}

/// What one call's loop needs besides the state.
struct Settings {
    targets: [f64; LINES],
    /// Modulation offsets (samples) at the call's end.
    offsets: [f32; LINES],
    target_predelay: f32,
    /// Width and mix at the call's end.
    target: [f32; 2],
    /// Per-sample one-pole coefficient of the glides.
    glide: f32,
    n: usize,
}

impl State {
    /// Produces `s.n` frames into `out`. `MOVING`: the line lengths glide towards `s.targets`, the modulation
    /// offsets ramp to `s.offsets`, and the lines are read with cubic Hermite interpolation (within 0.6 dB of
    /// flat to 10 kHz at 48 kHz, where linear would lose up to 2.4 dB per round trip); otherwise the lengths
    /// are whole and read directly. Audio thread.
    #[inline(always)]
    fn run<const MOVING: bool>(
        &mut self,
        x: Option<&[crate::lanes::Lanes]>,
        out: &mut [crate::lanes::Lanes],
        s: &Settings,
    ) {
        let inv_n = 1.0 / s.n.max(1) as f32;
        let step = [(s.target[0] - self.ramped[0]) * inv_n, (s.target[1] - self.ramped[1]) * inv_n];
        let [mut width, mut mix] = self.ramped;
        let mut predelay = self.predelay_samples;
        let coefs = self.coefs;
        let whole = self.lengths.map(|d| d as usize);
        let mut lengths = self.lengths.map(|d| d as f32);
        let gliding = self.lengths != s.targets;
        let glide = s.glide as f64;
        let mut offsets = self.offsets;
        let offset_steps: [f32; LINES] = std::array::from_fn(|l| (s.offsets[l] - offsets[l]) * inv_n);
        for (i, frame) in out.iter_mut().enumerate() {
            width += step[0];
            mix += step[1];
            predelay += (s.target_predelay - predelay) * s.glide;
            let (in_l, in_r) = stereo_in(x, i);

            let mut sides = [in_l, in_r];
            for (side, value) in sides.iter_mut().enumerate() {
                let line = &mut self.predelay[side];
                let mut v = line.linear(predelay);
                line.push(flush(*value));
                for diffuser in self.diffusers[side].iter_mut() {
                    v = diffuser.process(v);
                }
                *value = v;
            }

            let mut taps = [0.0f32; LINES];
            if MOVING {
                if gliding {
                    for l in 0..LINES {
                        let gap = s.targets[l] - self.lengths[l];
                        self.lengths[l] = if gap.abs() <= MIN_LENGTH_STEP {
                            s.targets[l]
                        } else {
                            let step = (gap * glide).clamp(-MAX_LENGTH_RATE, MAX_LENGTH_RATE);
                            self.lengths[l]
                                + if step.abs() < MIN_LENGTH_STEP { MIN_LENGTH_STEP.copysign(gap) } else { step }
                        };
                        lengths[l] = self.lengths[l] as f32;
                    }
                }
                for l in 0..LINES {
                    offsets[l] += offset_steps[l];
                    taps[l] = self.lines[l].hermite(lengths[l] + offsets[l]);
                }
            } else {
                for l in 0..LINES {
                    taps[l] = self.lines[l].tap(whole[l]);
                }
            }
            let mut feedback = [0.0f32; LINES];
            for l in 0..LINES {
                // High shelf: G·x + (1 − G)·lowpass(x), then the line's gain.
                let v = (taps[l] - self.damp[l]) * coefs.corner;
                let low = v + self.damp[l];
                self.damp[l] = flush(low + v);
                feedback[l] = coefs.gain[l] * (low + coefs.shelf[l] * (taps[l] - low));
            }
            hadamard(&mut feedback);
            let (mut wet_l, mut wet_r) = (0.0, 0.0);
            for l in 0..LINES {
                let inject = if l < LINES / 2 { sides[0] } else { sides[1] };
                self.lines[l].push(flush(feedback[l] + inject));
                wet_l += TAPS_L[l] * taps[l];
                wet_r += TAPS_R[l] * taps[l];
            }
            // Mid/side: width scales the side.
            let mid = 0.5 * (wet_l + wet_r);
            let side = 0.5 * width * (wet_l - wet_r);
            let (wet_l, wet_r) = (OUTPUT_GAIN * (mid + side), OUTPUT_GAIN * (mid - side));
            *frame = stereo_out(blend(in_l, wet_l, mix), blend(in_r, wet_r, mix));
        }
        self.predelay_samples = predelay;
        self.offsets = s.offsets;
        self.ramped = s.target;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hadamard_is_orthonormal() {
        for k in 0..LINES {
            let mut e = [0.0; LINES];
            e[k] = 1.0;
            hadamard(&mut e);
            let norm: f32 = e.iter().map(|v| v * v).sum();
            assert!((norm - 1.0).abs() < 1e-6);
        }
    }
}
