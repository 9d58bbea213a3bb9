//! Stereo effects for the instrument's global (post-voice) bus: delay, chorus and reverb.
//!
//! Every kind here has the role [`crate::NodeRole::Effect`]: it runs once for the whole instrument, its
//! inputs and outputs carry left in lane 0 and right in lane 1, and it writes 0 to every other lane. It reads
//! lane 0 of each parameter. Each owns its delay lines, allocated once in `new` for the sample rate it is
//! built at.
//!
//! Inputs are made safe before they touch any state: a sample that is NaN or infinite is read as silence,
//! and a finite one is limited to ±[`INPUT_LIMIT`]. A burst of garbage therefore never poisons a feedback
//! loop: the effect goes on as if that input had been silent.

pub mod chorus;
pub mod delay;
pub mod reverb;
pub(crate) mod tone;

use crate::context::Process;
use crate::dsp::{clamp, input};
use crate::lanes::{LANES, Lanes};

/// The largest input magnitude an effect accepts; larger finite samples are clamped to it. Far above any
/// audio level (+120 dBFS), small enough that no feedback sum can overflow `f32`.
pub const INPUT_LIMIT: f32 = 1e6;

/// Feedback state smaller than this is set to 0, so a decaying tail ends in exact silence instead of
/// denormals (−400 dB: far below anything audible).
const FLUSH: f32 = 1e-20;

/// `x`, or 0 when it is too small to matter, so loops never produce denormals. Audio thread.
#[inline(always)]
pub(crate) fn flush(x: f32) -> f32 {
    if x.abs() < FLUSH { 0.0 } else { x }
}

/// One input sample made safe: NaN and ±∞ become 0, the rest is limited to ±[`INPUT_LIMIT`]. Audio thread.
#[inline(always)]
pub(crate) fn sanitize(x: f32) -> f32 {
    if x.is_finite() { clamp(x, -INPUT_LIMIT, INPUT_LIMIT) } else { 0.0 }
}

/// The stereo input of frame `i` of input port 0 (`(left, right)`, sanitised), silence when unconnected.
/// Audio thread.
#[inline(always)]
pub(crate) fn stereo_in(x: Option<&[Lanes]>, i: usize) -> (f32, f32) {
    match x {
        Some(x) => (sanitize(x[i][0]), sanitize(x[i][1])),
        None => (0.0, 0.0),
    }
}

/// A frame carrying `left` in lane 0 and `right` in lane 1, every other lane 0. Audio thread.
#[inline(always)]
pub(crate) fn stereo_out(left: f32, right: f32) -> Lanes {
    let mut frame = [0.0; LANES];
    frame[0] = left;
    frame[1] = right;
    frame
}

/// The dry/wet blend `dry·(1 − mix) + wet·mix`: exactly `dry` at mix 0 and exactly `wet` at mix 1. Audio
/// thread.
#[inline(always)]
pub(crate) fn blend(dry: f32, wet: f32, mix: f32) -> f32 {
    dry * (1.0 - mix) + wet * mix
}

/// Lane 0 of parameter `index`, limited to `lo..=hi` (NaN reads as `lo`), or `default` when the engine passed
/// fewer parameters than declared. Audio thread.
#[inline]
pub(crate) fn param(p: &Process<'_>, index: usize, lo: f32, hi: f32, default: f32) -> f32 {
    clamp(p.params.get(index).map_or(default, |v| v[0]), lo, hi)
}

/// Input port 0's `len` frames, or `None` when unconnected. Audio thread.
#[inline]
pub(crate) fn stereo_input<'a>(p: &Process<'a>, len: usize) -> Option<&'a [Lanes]> {
    input(p, 0, len)
}

/// The coefficient of a one-pole smoother that covers `1 − 1/e` of the way to its target in `seconds`, at
/// `sample_rate` Hz: `value += (target − value) × coefficient` once per sample. Audio thread.
#[inline]
pub(crate) fn smoothing_coefficient(seconds: f32, sample_rate: f32) -> f32 {
    1.0 - (-1.0 / (seconds * sample_rate).max(1.0)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_do_not_grow_the_processor_enum() {
        // Every voice node in the engine's arena is as large as the largest kind, so an effect (one per
        // instrument) keeps its bulk behind a pointer.
        let sizes = [
            std::mem::size_of::<delay::Delay>(),
            std::mem::size_of::<chorus::Chorus>(),
            std::mem::size_of::<reverb::Reverb>(),
        ];
        assert!(sizes.iter().all(|&s| s <= 256), "effect sizes {sizes:?} bytes");
    }

    #[test]
    fn garbage_input_is_made_safe() {
        assert_eq!(sanitize(f32::NAN), 0.0);
        assert_eq!(sanitize(f32::NEG_INFINITY), 0.0);
        assert_eq!(sanitize(1e30), INPUT_LIMIT);
        assert_eq!(sanitize(-0.5), -0.5);
        assert_eq!(blend(0.3, f32::MAX, 0.0), 0.3);
        assert_eq!(blend(0.3, 0.7, 1.0), 0.7);
    }
}
