//! First-order antiderivative anti-aliasing (ADAA) for static waveshapers.
//!
//! A waveshaper `f` applied sample by sample creates harmonics above Nyquist that fold back as aliasing.
//! ADAA (Parker, Zavalishin, Le Bivic, "Reducing the aliasing of nonlinear waveshaping using continuous-time
//! convolution", DAFx 2016) instead outputs the average of `f` over the straight line between the last two
//! input samples: `(F(x₁) − F(x₀)) / (x₁ − x₀)` with `F` the antiderivative of `f`. That is `f` followed by
//! a one-sample box filter in continuous time, which attenuates the folded images; it costs a half-sample
//! delay and a gentle treble droop (−2.0 dB at 10 kHz and −0.5 dB at 5 kHz at 48 kHz: in the linear region it is the average of two samples).
//!
//! When `|x₁ − x₀|` is tiny the quotient is 0/0 in floating point; there the code uses `f((x₀ + x₁)/2)`,
//! the limit of the quotient, with an error of order `(x₁ − x₀)²`. The arithmetic is `f64` because `F`
//! grows like `|x|` and the difference of two nearly equal values of it would lose most of an `f32`'s
//! digits.

/// Below this input difference the quotient is replaced by `f` at the midpoint. With inputs limited to
/// [`RANGE`], `F` is at most about 1e4, so the quotient's rounding error is below 1e4 · 2⁻⁵² / 1e-6 ≈ 2e-6.
const EPSILON: f64 = 1e-6;

/// Largest driven input magnitude the shapers accept; larger values are limited to it. All three curves are
/// flat (or endlessly folding) far below it.
pub(crate) const RANGE: f64 = 1e4;

/// The waveshaping curves, each with unity slope at 0 and output within ±1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    /// `tanh(x)`: smooth, odd harmonics falling steadily.
    Tanh,
    /// The cubic `x − 4x³/27` up to |x| = 1.5, then ±1: gentle below clipping, flat above.
    SoftClip,
    /// A triangle folder: `x` within ±1, and beyond that reflected back at ±1 again and again (period 4).
    Fold,
}

impl Curve {
    /// The curve for choice index `index` (0 tanh, 1 soft clip, 2 fold; anything else tanh).
    pub(crate) fn from_index(index: usize) -> Curve {
        match index {
            1 => Curve::SoftClip,
            2 => Curve::Fold,
            _ => Curve::Tanh,
        }
    }

    /// The curve itself, `f(x)`. Audio thread.
    #[inline]
    pub(crate) fn apply(self, x: f64) -> f64 {
        match self {
            Curve::Tanh => x.tanh(),
            Curve::SoftClip => {
                let c = x.clamp(-1.5, 1.5);
                c - (4.0 / 27.0) * c * c * c
            }
            Curve::Fold => {
                let u = (x + 1.0).rem_euclid(4.0);
                if u <= 2.0 { u - 1.0 } else { 3.0 - u }
            }
        }
    }

    /// An antiderivative `F(x)` of the curve (any constant of integration: only differences are used).
    /// Audio thread.
    #[inline]
    pub(crate) fn antiderivative(self, x: f64) -> f64 {
        match self {
            // ln cosh x = |x| + ln(1 + e^(−2|x|)) − ln 2, written so it neither overflows nor cancels.
            Curve::Tanh => {
                let a = x.abs();
                a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
            }
            // x²/2 − x⁴/27 inside ±1.5 (where it reaches 0.9375), |x| − 0.5625 outside: continuous.
            Curve::SoftClip => {
                let a = x.abs();
                if a <= 1.5 {
                    let x2 = x * x;
                    0.5 * x2 - x2 * x2 * (1.0 / 27.0)
                } else {
                    a - 0.5625
                }
            }
            // Periodic with period 4 (the triangle's mean is 0): u²/2 − u on the rising half, then
            // 3(u − 2) − (u² − 4)/2 on the falling one, with u = (x + 1) mod 4.
            Curve::Fold => {
                let u = (x + 1.0).rem_euclid(4.0);
                if u <= 2.0 { 0.5 * u * u - u } else { 3.0 * (u - 2.0) - 0.5 * (u * u - 4.0) }
            }
        }
    }

    /// One ADAA output for the input moving from `x0` to `x1` (both within ±[`RANGE`]). Audio thread.
    #[inline]
    pub(crate) fn adaa(self, x0: f64, x1: f64) -> f64 {
        let d = x1 - x0;
        if d.abs() > EPSILON {
            (self.antiderivative(x1) - self.antiderivative(x0)) / d
        } else {
            self.apply(0.5 * (x0 + x1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURVES: [Curve; 3] = [Curve::Tanh, Curve::SoftClip, Curve::Fold];

    /// F' = f everywhere, including across the pieces' joins and far out.
    #[test]
    fn antiderivatives_differentiate_to_their_curves() {
        for curve in CURVES {
            let mut x = -20.0;
            while x < 20.0 {
                let h = 1e-5;
                let slope = (curve.antiderivative(x + h) - curve.antiderivative(x - h)) / (2.0 * h);
                assert!((slope - curve.apply(x)).abs() < 1e-6, "{curve:?} at {x}: {slope} vs {}", curve.apply(x));
                x += 0.0173;
            }
        }
    }

    /// The quotient and its fallback agree where they meet, so crossing ε makes no step.
    #[test]
    fn ill_conditioned_case_is_continuous() {
        for curve in CURVES {
            for x in [-3.3, -1.0, 0.0, 0.7, 1.5, 2.9, 250.0] {
                let near = curve.adaa(x, x + 1.01 * EPSILON);
                let fallback = curve.adaa(x, x + 0.99 * EPSILON);
                assert!((near - fallback).abs() < 1e-5, "{curve:?} at {x}: {near} vs {fallback}");
                assert!((curve.adaa(x, x) - curve.apply(x)).abs() < 1e-15);
            }
        }
    }

    #[test]
    fn curves_have_unity_slope_at_zero_and_stay_within_one() {
        for curve in CURVES {
            assert!((curve.apply(1e-4) / 1e-4 - 1.0).abs() < 1e-6, "{curve:?}");
            for i in -10_000..=10_000 {
                assert!(curve.apply(i as f64 * 0.01).abs() <= 1.0);
            }
        }
    }
}
