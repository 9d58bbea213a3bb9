//! First-order antiderivative anti-aliasing (ADAA) for static waveshapers.
//!
//! A waveshaper `f` applied sample by sample creates harmonics above Nyquist that fold back as aliasing.
//! ADAA (Parker, Zavalishin, Le Bivic, "Reducing the aliasing of nonlinear waveshaping using continuous-time
//! convolution", DAFx 2016) instead outputs the average of `f` over the straight line between the last two
//! input samples: `(F(x₁) − F(x₀)) / (x₁ − x₀)` with `F` the antiderivative of `f`. That is `f` followed by
//! a one-sample box filter in continuous time, which attenuates the folded images; it costs a half-sample
//! delay and a gentle treble droop (−2.0 dB at 10 kHz and −0.5 dB at 5 kHz at 48 kHz: in the linear region it
//! is the average of two samples).
//!
//! **Precision.** The arithmetic is `f32` so the lane loops vectorise. `F` grows like `|x|`, so each `F` is kept
//! as two parts, an unbounded `|x|`-like part and a bounded part within ±1 ([`Curve::parts`]); differences are
//! taken part by part, and the unbounded parts of two nearby inputs subtract exactly. What is left is the
//! rounding of the bounded part, about 1.2e-7 absolute, divided by `x₁ − x₀`.
//!
//! **The ill-conditioned case.** When `|x₁ − x₀| <` [`EPSILON`] that quotient is unreliable (0/0 in the limit),
//! and the code uses `f((x₀ + x₁)/2)` instead, the quotient's limit, off by at most `max|f''|·ε²/24`. With
//! ε = 0.01 both errors stay below about 1.5e-5 (−96 dB) for tanh and soft clip; the folder's corners
//! (where `f''` is infinite) can differ by up to ε/8 for the one sample that straddles a corner slowly.

/// Below this input difference the quotient is replaced by `f` at the midpoint (see the module docs).
pub(crate) const EPSILON: f32 = 0.01;

/// Largest driven input magnitude the shapers accept; larger values are limited to it. All three curves are
/// flat (or endlessly folding) far below it, and `|x|` keeps 1e-3 resolution in `f32`.
pub(crate) const RANGE: f32 = 1e4;

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

/// `ln(1 + y)` for `y ∈ [0, 1]`, absolute error below 1e-7: `2·atanh(s)` with `s = y/(2 + y) ≤ 1/3`, six terms of
/// its odd series. Hand-written because `f32::ln_1p` is a libm call that stops the lane loop vectorising.
#[inline(always)]
fn ln_1p_unit(y: f32) -> f32 {
    let s = y / (2.0 + y);
    let s2 = s * s;
    2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0))))))
}

/// `e^(−2a)` for `a ≥ 0`, relative error about 3e-7; results below 2⁻¹²⁵ are 2⁻¹²⁵ (never subnormal).
///
/// The crate's `spec::exp2` rounds with `f32::round`, a libm call on baseline x86-64 that would stop this
/// per-sample lane loop vectorising, so this rounds with the 1.5·2²³ trick instead and uses the same polynomial
/// on the remainder.
#[inline(always)]
fn exp_neg2(a: f32) -> f32 {
    let x = (-2.0 * std::f32::consts::LOG2_E * a).max(-125.0);
    // Round to nearest by adding and subtracting 1.5·2²³ (exact for |x| < 2²²); the sum's low mantissa bits are
    // the rounded integer itself, which becomes the exponent field. Float adds and integer bit operations only.
    const MAGIC: f32 = 12_582_912.0;
    let shifted = x + MAGIC;
    let xi = shifted - MAGIC;
    let n = shifted.to_bits().wrapping_sub(MAGIC.to_bits()) as i32;
    let f = x - xi;
    // Cephes' exp2f polynomial for 2^f on [-0.5, 0.5], as in `spec::exp2`.
    let p = 1.0
        + f * (6.931_472e-1
            + f * (2.402_264_8e-1
                + f * (5.550_332_5e-2 + f * (9.618_437e-3 + f * (1.339_887_4e-3 + f * 1.535_336_2e-4)))));
    p * f32::from_bits(((n + 127) as u32) << 23)
}

/// `floor(x)` for `|x| < 2²²`, without a libm call (baseline x86-64 has no rounding instruction): round to
/// nearest with the 1.5·2²³ trick, then step down where that rounded up.
#[inline(always)]
fn floor(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    let t = (x + MAGIC) - MAGIC;
    if t > x { t - 1.0 } else { t }
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

    /// The curve itself, `f(x)`, for `|x| ≤` [`RANGE`]. Audio thread.
    #[inline(always)]
    pub(crate) fn apply(self, x: f32) -> f32 {
        match self {
            // tanh x = sign(x)·(1 − e^(−2|x|)) / (1 + e^(−2|x|)): no overflow.
            // Near 0, where `1 − e` would cancel, the series x − x³/3 + 2x⁵/15 (error below 1e-10 there).
            Curve::Tanh => {
                let e = exp_neg2(x.abs());
                let x2 = x * x;
                let series = x * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0)));
                if x2 < 0.0025 { series } else { ((1.0 - e) / (1.0 + e)).copysign(x) }
            }
            Curve::SoftClip => {
                let c = x.clamp(-1.5, 1.5);
                c - (4.0 / 27.0) * c * c * c
            }
            Curve::Fold => {
                let v = x + 1.0;
                let u = v - 4.0 * floor(v * 0.25);
                if u <= 2.0 { u - 1.0 } else { 3.0 - u }
            }
        }
    }

    /// An antiderivative `F(x) = big + small` of the curve as its two parts: `big` unbounded (0 or `|x|`),
    /// `small` within ±1 (any constant of integration: only differences are used). Audio thread.
    #[inline(always)]
    pub(crate) fn parts(self, x: f32) -> (f32, f32) {
        match self {
            // ln cosh x = |x| + ln(1 + e^(−2|x|)) − ln 2.
            Curve::Tanh => {
                let a = x.abs();
                (a, ln_1p_unit(exp_neg2(a)) - std::f32::consts::LN_2)
            }
            // x²/2 − x⁴/27 inside ±1.5 (where it reaches 0.9375), |x| − 0.5625 outside: continuous.
            Curve::SoftClip => {
                let a = x.abs();
                let x2 = x * x;
                if a <= 1.5 { (0.0, 0.5 * x2 - x2 * x2 * (1.0 / 27.0)) } else { (a, -0.5625) }
            }
            // Periodic with period 4 (the triangle's mean is 0): u²/2 − u on the rising half, then
            // 3(u − 2) − (u² − 4)/2 on the falling one, with u = (x + 1) mod 4.
            Curve::Fold => {
                let v = x + 1.0;
                let u = v - 4.0 * floor(v * 0.25);
                (0.0, if u <= 2.0 { 0.5 * u * u - u } else { 3.0 * (u - 2.0) - 0.5 * (u * u - 4.0) })
            }
        }
    }

    /// One ADAA output for the input moving from `x0` to `x1` (both within ±[`RANGE`]). Audio thread.
    #[inline(always)]
    pub(crate) fn adaa(self, x0: f32, x1: f32) -> f32 {
        self.adaa_from(x0, self.parts(x0), x1, self.parts(x1))
    }

    /// [`Curve::adaa`] with both antiderivatives already computed (`p0 = parts(x0)`, `p1 = parts(x1)`), so a
    /// stream computes each sample's `F` once and keeps it for the next segment. Audio thread.
    #[inline(always)]
    pub(crate) fn adaa_from(self, x0: f32, p0: (f32, f32), x1: f32, p1: (f32, f32)) -> f32 {
        let d = x1 - x0;
        let ((b0, s0), (b1, s1)) = (p0, p1);
        let quotient = ((b1 - b0) + (s1 - s0)) / if d.abs() > EPSILON { d } else { 1.0 };
        let midpoint = self.apply(0.5 * (x0 + x1));
        if d.abs() > EPSILON { quotient } else { midpoint }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURVES: [Curve; 3] = [Curve::Tanh, Curve::SoftClip, Curve::Fold];

    /// The curves in f64, exactly, and their antiderivatives: the reference for the f32 code.
    fn f64_curve(curve: Curve, x: f64) -> f64 {
        match curve {
            Curve::Tanh => x.tanh(),
            Curve::SoftClip => {
                let c = x.clamp(-1.5, 1.5);
                c - 4.0 / 27.0 * c * c * c
            }
            Curve::Fold => {
                let u = (x + 1.0).rem_euclid(4.0);
                if u <= 2.0 { u - 1.0 } else { 3.0 - u }
            }
        }
    }

    /// The exact average of `f` between `x0` and `x1` by fine numerical integration (f64).
    fn exact_average(curve: Curve, x0: f64, x1: f64) -> f64 {
        if x0 == x1 {
            return f64_curve(curve, x0);
        }
        let steps = 2000;
        let h = (x1 - x0) / steps as f64;
        (0..steps).map(|i| f64_curve(curve, x0 + (i as f64 + 0.5) * h)).sum::<f64>() / steps as f64
    }

    #[test]
    fn curves_match_their_f64_definitions() {
        for curve in CURVES {
            let mut x = -20.0f32;
            while x < 20.0 {
                let err = (curve.apply(x) as f64 - f64_curve(curve, x as f64)).abs();
                assert!(err < 1e-6, "{curve:?} at {x}: error {err}");
                x += 0.0173;
            }
        }
    }

    /// F' = f everywhere, including across the pieces' joins and far out.
    #[test]
    fn antiderivatives_differentiate_to_their_curves() {
        for curve in CURVES {
            let mut x = -20.0f32;
            while x < 20.0 {
                let h = 0.01f32;
                let ((b0, s0), (b1, s1)) = (curve.parts(x - h), curve.parts(x + h));
                let slope = ((b1 - b0) + (s1 - s0)) / (2.0 * h);
                let want = exact_average(curve, (x - h) as f64, (x + h) as f64);
                assert!((slope as f64 - want).abs() < 1e-4, "{curve:?} at {x}: {slope} vs {want}");
                x += 0.0173;
            }
        }
    }

    /// The ADAA output is the exact average of the curve over the segment, within 2e-4 (−74 dB) for any pair of
    /// inputs: far apart, close together, on either side of ε, at the joins and far out where `F` is large.
    #[test]
    fn adaa_is_the_average_of_the_curve_including_the_ill_conditioned_case() {
        let mut worst = [0.0f64; 3];
        let starts = [-3000.0f32, -7.3, -1.5, -1.0, -0.2, 0.0, 0.4, 1.0, 1.49, 2.9, 15.0, 250.0, 9000.0];
        let gaps = [0.0f32, 1e-6, 1e-4, 0.5 * EPSILON, 0.99 * EPSILON, 1.01 * EPSILON, 0.03, 0.3, 2.0, 17.0];
        for (c, curve) in CURVES.iter().enumerate() {
            for x0 in starts {
                for gap in gaps {
                    for x1 in [x0 + gap, x0 - gap] {
                        let got = curve.adaa(x0, x1) as f64;
                        let want = exact_average(*curve, x0 as f64, x1 as f64);
                        worst[c] = worst[c].max((got - want).abs());
                    }
                }
            }
        }
        // The folder's allowance covers a slow straddle of a corner (ε/8, module docs).
        assert!(worst[0] < 2e-4 && worst[1] < 2e-4 && worst[2] < EPSILON as f64 / 8.0 + 1e-4, "worst errors {worst:?}");
    }

    #[test]
    fn curves_have_unity_slope_at_zero_and_stay_within_one() {
        for curve in CURVES {
            assert!((curve.apply(1e-3) / 1e-3 - 1.0).abs() < 1e-3, "{curve:?}");
            for i in -10_000..=10_000 {
                assert!(curve.apply(i as f32 * 0.01).abs() <= 1.0);
            }
        }
    }
}
