//! Small building blocks shared by the node kinds: fast approximations, the oscillators' phase accumulator,
//! band-limiting residuals and per-call ramps. Crate-private; everything here is safe to call on the audio
//! thread (no allocation, no panics, no division per sample).

pub(crate) mod adaa;
pub(crate) mod allpass;
pub(crate) mod approx;
pub(crate) mod blep;
pub(crate) mod cutoff;
pub(crate) mod delay_line;
pub(crate) mod guard;
pub(crate) mod halfband;
pub(crate) mod phasor;
pub(crate) mod ramp;
pub(crate) mod random;
pub(crate) mod saturate;

use crate::context::Process;
use crate::lanes::Lanes;

/// The `len` frames of input port `index`, or `None` when it is unconnected or (against the engine's contract)
/// shorter than `len`, so that a node never indexes past a wire. Audio thread.
#[inline]
pub(crate) fn input<'a>(p: &Process<'a>, index: usize, len: usize) -> Option<&'a [Lanes]> {
    p.inputs.get(index).copied().flatten().and_then(|wire| wire.get(..len))
}

/// The number of frames to produce: `p.len`, limited to what output port 0 can hold so that no write goes out
/// of bounds whatever the engine passes. Audio thread.
#[inline]
pub(crate) fn frames(p: &Process<'_>) -> usize {
    frames_for(p, 1)
}

/// `x` limited to `lo..=hi`, with NaN mapped to `lo` (where `f32::clamp` would pass NaN through), so a
/// parameter that is not a number cannot poison a node's state. Audio thread.
#[inline(always)]
#[allow(clippy::manual_clamp)]
pub(crate) fn clamp(x: f32, lo: f32, hi: f32) -> f32 {
    x.max(lo).min(hi)
}

/// A choice parameter's value as an index `0..=max`: `x` rounded to the nearest whole number (halves up),
/// NaN as 0. Without `f32::round`, which is a libm call on baseline x86-64. Audio thread.
#[inline]
pub(crate) fn choice_index(x: f32, max: usize) -> usize {
    let x = clamp(x, 0.0, max as f32) + 0.5;
    // SAFETY: `x` is finite and within 0.5..=max + 0.5 after the clamp (NaN maps to 0).
    (unsafe { x.to_int_unchecked::<u32>() } as usize).min(max)
}

/// Like [`frames`], for a node that writes its first `outputs` output ports. Audio thread.
#[inline]
pub(crate) fn frames_for(p: &Process<'_>, outputs: usize) -> usize {
    p.outputs.iter().take(outputs).fold(p.len.min(crate::lanes::MAX_CHUNK), |n, port| n.min(port.len()))
}
