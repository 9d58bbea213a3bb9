//! Utilities: amplifiers, mixers, crossfaders, arithmetic, slew, sample & hold, quantising, and the voice and
//! controller values as signals.
//!
//! Where a few operations differ only in a formula (`math`'s add, multiply, …) they are one kind with an `op`
//! choice, so a patch swaps the operation by editing one word; where they differ in ports or state (slew,
//! sample & hold, quantiser) each is its own kind.

pub mod controls;
pub mod crossfade;
pub mod math;
pub mod mixer;
pub mod quantize;
pub mod sample_hold;
pub mod slew;
pub mod vca;
pub mod voice;

use crate::lanes::{LANES, Lanes};

/// Writes `out.len()` frames moving linearly from `from` (the value before the call) to `to` (the value at the
/// call's last frame), so a value that changes once per call reaches a wire without steps. Audio thread.
#[inline]
pub(crate) fn fill_ramp(out: &mut [Lanes], from: &Lanes, to: &Lanes) {
    let step = crate::dsp::ramp::step(from, to, out.len());
    let mut v = *from;
    for frame in out.iter_mut() {
        for l in 0..LANES {
            v[l] += step[l];
        }
        *frame = v;
    }
    if let Some(last) = out.last_mut() {
        *last = *to;
    }
}
