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

/// Like [`frames`], for a node that writes its first `outputs` output ports. Audio thread.
#[inline]
pub(crate) fn frames_for(p: &Process<'_>, outputs: usize) -> usize {
    p.outputs.iter().take(outputs).fold(p.len.min(crate::lanes::MAX_CHUNK), |n, port| n.min(port.len()))
}
