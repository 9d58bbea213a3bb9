//! Making untrusted audio safe to compute with: nodes that keep state or divide pass their inputs through
//! here, so a NaN or an infinity on a wire never reaches their state.

/// The largest magnitude an input is allowed to have: far above any sensible signal (+360 dBFS), far
/// enough below `f32::MAX` that squaring, multiplying by a gain of 100 or summing eight inputs stays finite.
pub(crate) const LIMIT: f32 = 1e9;

/// `x` with NaN mapped to 0 and magnitudes limited to [`LIMIT`] (so ±inf becomes ±1e9). Branch-free, so
/// lane loops vectorise. Audio thread.
#[inline(always)]
pub(crate) fn audio(x: f32) -> f32 {
    // `clamp` passes NaN through (constant bounds, so it cannot panic); the select turns it into 0.
    let y = x.clamp(-LIMIT, LIMIT);
    if y.is_nan() { 0.0 } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_becomes_zero_and_infinities_are_limited() {
        assert_eq!(audio(f32::NAN), 0.0);
        assert_eq!(audio(f32::INFINITY), LIMIT);
        assert_eq!(audio(f32::NEG_INFINITY), -LIMIT);
        assert_eq!(audio(0.25), 0.25);
    }
}
