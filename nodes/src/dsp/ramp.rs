//! Linear ramps across one call: parameters arrive as values for the call's last frame, and nodes move to
//! them in equal steps so that no change is a step.

use crate::lanes::{LANES, Lanes};

/// The per-frame step that takes every lane from `from` to `to` in `len` frames (`len ≥ 1`). One division per
/// call. Audio thread.
#[inline]
pub(crate) fn step(from: &Lanes, to: &Lanes, len: usize) -> Lanes {
    let inv = 1.0 / len.max(1) as f32;
    let mut s = [0.0; LANES];
    for l in 0..LANES {
        s[l] = (to[l] - from[l]) * inv;
    }
    s
}
