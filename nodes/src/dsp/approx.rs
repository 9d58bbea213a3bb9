//! Polynomial approximations of the trigonometric functions the nodes need, written so that loops over
//! [`crate::LANES`] lanes autovectorise (no calls into libm, no branches, only selects).

/// Coefficients of the odd polynomial `2π·x + c3·x³ + … + c9·x⁹ ≈ sin(2πx)` on `x ∈ [-0.25, 0.25]`, fitted for
/// the smallest maximum error (about 5e-9, far below f32 rounding).
const SIN_C1: f32 = std::f32::consts::TAU;
const SIN_C3: f32 = -41.341_68;
const SIN_C5: f32 = 81.602_16;
const SIN_C7: f32 = -76.571_88;
const SIN_C9: f32 = 39.682_72;

/// `sin(2π·x)` for `x` in turns, `x ∈ [-0.5, 0.5]`; absolute error below 2.5e-7 (−132 dB, f32 rounding).
/// Audio thread.
#[inline(always)]
pub(crate) fn sin_turns(x: f32) -> f32 {
    // Fold onto [-0.25, 0.25]: sin(2π(±0.5 − x)) = sin(2πx).
    let ax = x.abs();
    let f = if ax > 0.25 { (0.5 - ax).copysign(x) } else { x };
    let f2 = f * f;
    f * (SIN_C1 + f2 * (SIN_C3 + f2 * (SIN_C5 + f2 * (SIN_C7 + f2 * SIN_C9))))
}

/// `tan(π·u)` for `u ∈ [0, 0.49]` (a cutoff as a fraction of the sample rate), relative error below 1e-5.
/// One division; meant for per-call coefficient computation. Audio thread.
#[inline(always)]
pub(crate) fn tan_pi(u: f32) -> f32 {
    let half = 0.5 * u.clamp(0.0, 0.49);
    // sin(πu) / cos(πu), with cos(πu) = sin(2π(0.25 − u/2)); both arguments stay inside [0, 0.25].
    sin_turns(half) / sin_turns(0.25 - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sin_turns_matches_std() {
        let mut worst = 0.0f64;
        for i in -100_000..=100_000 {
            let x = (i as f64 * 0.5e-5) as f32;
            let err = (sin_turns(x) as f64 - (std::f64::consts::TAU * x as f64).sin()).abs();
            worst = worst.max(err);
        }
        assert!(worst < 2.5e-7, "worst error {worst}");
    }

    #[test]
    fn tan_pi_matches_std() {
        for i in 0..=4900 {
            let u = i as f64 * 1e-4;
            let want = (std::f64::consts::PI * u).tan();
            let got = tan_pi(u as f32) as f64;
            assert!((got - want).abs() <= 1e-5 * want.max(1e-3), "tan_pi({u}) = {got}, want {want}");
        }
    }
}
