//! The oscillators' phase accumulator: one 32-bit fixed-point phase per lane.
//!
//! A `u32` phase wraps by itself, and its increment resolves frequency to `fs / 2³²` (11 µHz at 48 kHz), so
//! pitch stays within 0.001 cent from 27.5 Hz to 4186 Hz at any rate from 44.1 to 192 kHz. An `f32`
//! accumulator would drift by about 0.3 cent at 27.5 Hz / 96 kHz.

use crate::context::Process;
use crate::dsp::clamp;
use crate::lanes::LANES;
use crate::pitch::semitones_to_hz;

/// One cycle in phase units.
pub(crate) const CYCLE: f64 = 4_294_967_296.0;

/// Lowest frequency an oscillator runs at, in Hz; keeps the increment and its reciprocal finite.
const MIN_HZ: f32 = 0.01;

/// Highest frequency as a fraction of the sample rate; keeps the band-limiting residuals of the two sides of
/// a wrap from overlapping.
pub(crate) const MAX_RATIO: f32 = 0.45;

/// A phase per lane, in units of 2⁻³² cycle, the increment of the last frame of the last call, and a cache of
/// the last pitch's increment so a steady pitch costs no `exp2` or division per call.
#[derive(Clone, Debug)]
pub(crate) struct Phasor {
    /// Phase of the next frame to produce, per lane.
    pub(crate) phase: [u32; LANES],
    /// Increment reached at the end of the last call, per lane.
    pub(crate) inc: [u32; LANES],
    /// The pitch (MIDI semitones, all offsets added) the cached target belongs to, per lane.
    semis: [f32; LANES],
    /// The `freq` value (Hz, 0 = follow the voice) the cached target belongs to, per lane.
    freq: [f32; LANES],
    /// The increment for `semis`, per lane.
    target: [u32; LANES],
    /// The sample rate the cache was computed at.
    sample_rate: f32,
}

/// What [`Phasor::begin`] hands an oscillator for one call.
pub(crate) struct Sweep {
    /// Per-frame change of the increment (two's complement), so the last frame has the target increment.
    pub(crate) inc_step: [u32; LANES],
    /// The target increment, per lane.
    pub(crate) target: [u32; LANES],
}

/// Which parameters set an oscillator's frequency (indices into the kind's parameters).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tuning {
    /// Offset from the voice pitch, in semitones.
    pub(crate) pitch: usize,
    /// Offset in cents.
    pub(crate) fine: usize,
    /// Frequency in Hz that replaces the voice pitch when above zero (`pitch` and `fine` still offset it).
    pub(crate) freq: Option<usize>,
    /// A fixed offset in semitones (a sub-oscillator's octave), added to everything else.
    pub(crate) offset: f32,
}

impl Phasor {
    /// Every lane at `start_phase` with a zero increment.
    pub(crate) fn new(start_phase: u32) -> Phasor {
        Phasor {
            phase: [start_phase; LANES],
            inc: [1; LANES],
            semis: [f32::NAN; LANES],
            freq: [0.0; LANES],
            target: [1; LANES],
            sample_rate: 0.0,
        }
    }

    /// Prepares one call of `len` frames (`1..=MAX_CHUNK`): computes each lane's target increment from the voice
    /// pitch (or the `freq` parameter when it is above zero) plus the `pitch` (semitones) and `fine` (cents)
    /// parameters, resets lanes in `p.voice.start` to `start_phase` and the target increment (no glide into a
    /// fresh voice), and returns the ramps. Per-call work only. Audio thread.
    pub(crate) fn begin(&mut self, p: &Process<'_>, tuning: Tuning, len: usize, start_phase: u32) -> Sweep {
        let max_hz = MAX_RATIO * p.sample_rate;
        let cycles_per_hz = CYCLE / p.sample_rate.max(1.0) as f64;
        let len = len.max(1);
        let inv_len = 1.0 / len as f64;
        let (pitch, fine) = (param(p, tuning.pitch), param(p, tuning.fine));
        let freq = tuning.freq.map(|i| param(p, i)).unwrap_or([0.0; LANES]);
        let mut semis = [0.0f32; LANES];
        let mut fixed_hz = [0.0f32; LANES];
        // Whether any lane's pitch moved (compared bit for bit): a vibrato moves it every call, a held note never.
        let mut changed = p.sample_rate != self.sample_rate;
        self.sample_rate = p.sample_rate;
        for l in 0..LANES {
            // With `freq` set, the offsets apply to it: semitones relative to A4 = freq.
            let fixed = freq[l] > 0.0;
            let base = if fixed { 69.0 } else { p.voice.pitch[l] };
            semis[l] = base + pitch[l] + fine[l] * 0.01 + tuning.offset;
            fixed_hz[l] = if fixed { freq[l] } else { 0.0 };
            changed |=
                (semis[l].to_bits() != self.semis[l].to_bits()) | (fixed_hz[l].to_bits() != self.freq[l].to_bits());
        }
        if changed {
            // Every lane at once, with no branch per lane, so the loop vectorises: cheaper than finding the
            // lanes that moved. The increment is below 0.45 · 2³², so it fits an `i32` (a conversion SSE2 has
            // for two f64 at a time; `as u32` would be scalar with saturation branches).
            for l in 0..LANES {
                let scale = if fixed_hz[l] > 0.0 { fixed_hz[l] * (1.0 / 440.0) } else { 1.0 };
                let hz = clamp(semitones_to_hz(semis[l]) * scale, MIN_HZ, max_hz);
                // Rounded to nearest; positive, so +0.5 and truncation is enough.
                let target = (hz as f64 * cycles_per_hz + 0.5).max(1.0).min(i32::MAX as f64);
                // SAFETY: `target` is finite (hz is clamped, NaN included) and within 1..=i32::MAX.
                self.target[l] = unsafe { target.to_int_unchecked::<i32>() } as u32;
            }
            self.semis = semis;
            self.freq = fixed_hz;
        }
        let mut sweep = Sweep { inc_step: [0; LANES], target: self.target };
        for l in 0..LANES {
            if p.voice.start.contains(l) {
                self.phase[l] = start_phase;
                self.inc[l] = self.target[l];
            }
        }
        for l in 0..LANES {
            // Truncated, so `len` steps never overshoot the target; the call's end sets it exactly. Both are
            // below 2³¹, so the difference fits an `i32`; 0 when the increment holds.
            let step = (self.target[l] as f64 - self.inc[l] as f64) * inv_len;
            // SAFETY: |step| < 2³¹.
            sweep.inc_step[l] = unsafe { step.to_int_unchecked::<i32>() } as u32;
        }
        sweep
    }

    /// Finishes a call: the increment becomes exactly the target. Audio thread.
    pub(crate) fn end(&mut self, sweep: &Sweep) {
        self.inc = sweep.target;
    }
}

/// Parameter `index`'s lanes, or zeros if the engine passed fewer parameters than declared.
#[inline]
pub(crate) fn param(p: &Process<'_>, index: usize) -> [f32; LANES] {
    p.params.get(index).copied().unwrap_or([0.0; LANES])
}

/// A phase as a fraction of a cycle in `[0, 1)`, exact to 2⁻²⁴. Audio thread.
#[inline(always)]
pub(crate) fn unit(phase: u32) -> f32 {
    (phase >> 8) as i32 as f32 * (1.0 / 16_777_216.0)
}

/// A phase as a signed fraction of a cycle in `[-0.5, 0.5)`. Audio thread.
#[inline(always)]
pub(crate) fn signed(phase: u32) -> f32 {
    phase as i32 as f32 * (1.0 / CYCLE as f32)
}

/// `x` rounded towards zero to an `i32`, saturating at ±2³¹ (about), NaN giving the lower bound.
///
/// Hand-written because `f32 as i32` must saturate and map NaN to 0, which stops the conversion from
/// vectorising (it becomes eight scalar conversions with branches per lane-sample); clamping first in float
/// keeps one SIMD conversion. Audio thread.
#[inline(always)]
pub(crate) fn to_i32(x: f32) -> i32 {
    // The largest f32 below 2³¹.
    const LIMIT: f32 = 2_147_483_520.0;
    let x = crate::dsp::clamp(x, -LIMIT, LIMIT);
    // SAFETY: `x` is finite and within i32's range after the clamp (NaN maps to −LIMIT).
    unsafe { x.to_int_unchecked::<i32>() }
}
