//! What the filters share: the cutoff as a fraction of the sample rate after key tracking and audio-rate
//! modulation, and the guard that keeps a broken input signal out of a filter's memory.

use crate::dsp::clamp;
use crate::lanes::{LANES, Lanes};
use crate::spec::exp2;

/// Highest cutoff as a fraction of the sample rate (23 kHz at 48 kHz). `tan(π·0.48)` ≈ 15.9 keeps every
/// trapezoidal integrator well conditioned, and the response above it is inaudible.
pub(crate) const MAX_RATIO: f32 = 0.48;

/// Lowest cutoff as a fraction of the sample rate (0.48 Hz at 48 kHz).
pub(crate) const MIN_RATIO: f32 = 1e-5;

/// The pitch key tracking pivots around: C4, MIDI note 60. A voice at C4 hears the cutoff as set.
pub(crate) const KEYTRACK_PIVOT: f32 = 60.0;

/// Largest audio-rate cutoff offset honoured, in octaves either way; the ratio is clamped anyway.
const MAX_OCTAVES: f32 = 24.0;

/// Largest magnitude of an audio sample a filter accepts; louder samples are clipped to it.
const MAX_AUDIO: f32 = 1e6;

/// Each lane's cutoff as a fraction of `sample_rate`: `cutoff` (Hz) moved by `keytrack × (pitch − 60) / 12`
/// octaves, clamped to `MIN_RATIO..=MAX_RATIO` (NaN becomes the minimum). Per call. Audio thread.
#[inline]
pub(crate) fn keytracked_ratio(cutoff: &Lanes, keytrack: &Lanes, pitch: &Lanes, sample_rate: f32) -> Lanes {
    let inv_sr = 1.0 / sample_rate.max(1.0);
    let mut ratio = [0.0; LANES];
    for l in 0..LANES {
        let octaves = clamp(keytrack[l], 0.0, 1.0) * clamp(pitch[l] - KEYTRACK_PIVOT, -240.0, 240.0) / 12.0;
        ratio[l] = clamp(cutoff[l] * exp2(octaves) * inv_sr, MIN_RATIO, MAX_RATIO);
    }
    ratio
}

/// `ratio` moved by `octaves` (an audio-rate cutoff input; NaN counts as 0), clamped to
/// `MIN_RATIO..=MAX_RATIO`. Per sample. Audio thread.
#[inline(always)]
pub(crate) fn modulated_ratio(ratio: f32, octaves: f32) -> f32 {
    let octaves = if octaves.is_nan() { 0.0 } else { octaves };
    clamp(ratio * exp2_octaves(clamp(octaves, -MAX_OCTAVES, MAX_OCTAVES)), MIN_RATIO, MAX_RATIO)
}

/// `2^x` for `x ∈ [-MAX_OCTAVES, MAX_OCTAVES]`, relative error about 2e-7 (0.0004 cent): [`exp2`]'s
/// polynomial, with `x` rounded by adding and subtracting 1.5·2²³ instead of by `round()` (a libm call without
/// SSE4.1) or an `as i32` cast (scalar, saturating), either of which kept the per-sample lane loops of the
/// filters from vectorising. Per sample. Audio thread.
#[inline(always)]
fn exp2_octaves(x: f32) -> f32 {
    /// Adding this leaves `round(x)` in the low mantissa bits (for |x| < 2²²).
    const MAGIC: f32 = 12_582_912.0;
    let shifted = x + MAGIC;
    let whole = shifted.to_bits() as i32 - MAGIC.to_bits() as i32;
    let f = x - (shifted - MAGIC);
    let p = 1.0
        + f * (6.931_472e-1
            + f * (2.402_264_8e-1
                + f * (5.550_332_5e-2 + f * (9.618_437e-3 + f * (1.339_887_4e-3 + f * 1.535_336_2e-4)))));
    p * f32::from_bits(((whole + 127) as u32) << 23)
}

/// An input sample made safe for a filter's memory: NaN becomes 0, and magnitudes (infinity included) are
/// limited to 1e6. Per sample; a select and two comparisons, so lane loops still vectorise. Audio thread.
#[inline(always)]
pub(crate) fn sanitize(x: f32) -> f32 {
    let x = if x.is_nan() { 0.0 } else { x };
    clamp(x, -MAX_AUDIO, MAX_AUDIO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keytracking_follows_the_pitch_from_c4() {
        let r = keytracked_ratio(&[1000.0; LANES], &[1.0; LANES], &[72.0; LANES], 48_000.0);
        assert!((r[0] * 48_000.0 - 2000.0).abs() < 0.01, "an octave up doubles the cutoff");
        let r = keytracked_ratio(&[1000.0; LANES], &[0.5; LANES], &[48.0; LANES], 48_000.0);
        assert!((r[0] * 48_000.0 - 1000.0 / 2f32.sqrt()).abs() < 0.01, "half tracking, an octave down");
        let r = keytracked_ratio(&[f32::NAN; LANES], &[f32::NAN; LANES], &[f32::NAN; LANES], 48_000.0);
        assert_eq!(r[0], MIN_RATIO);
    }

    #[test]
    fn exp2_octaves_matches_std() {
        let mut x = -MAX_OCTAVES;
        while x <= MAX_OCTAVES {
            let want = (x as f64).exp2();
            let got = exp2_octaves(x) as f64;
            assert!(((got - want) / want).abs() < 5e-7, "exp2_octaves({x}) = {got}, want {want}");
            x += 0.001_37;
        }
    }

    #[test]
    fn broken_samples_are_made_safe() {
        assert_eq!(sanitize(f32::NAN), 0.0);
        assert_eq!(sanitize(f32::INFINITY), 1e6);
        assert_eq!(sanitize(-3e9), -1e6);
        assert_eq!(modulated_ratio(0.01, f32::NAN), 0.01);
        assert_eq!(modulated_ratio(0.01, f32::INFINITY), MAX_RATIO);
    }
}
