//! State-variable filter in Andrew Simper's (Cytomic) trapezoidal, zero-delay-feedback form.
//!
//! # Modulation
//! The coefficients `a1 = 1/(1 + g(g + k))`, `a2 = g·a1`, `a3 = g·a2` (with `g = tan(π·cutoff/fs)`,
//! `k = 1/q`) are computed once per call for the target and interpolated linearly per sample from the previous
//! call's. The state update is linear in `(a1, a2, a3)`, and for every consistent set it is a contraction in
//! the Euclidean norm of `(ic1eq, ic2eq)` (the trapezoidal rule maps the dissipative analog SVF to one), so
//! every blend of two consistent sets is a contraction too: the filter cannot blow up under any sweep, and no
//! per-sample division is needed.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::approx::tan_pi;
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames_for, input};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const CUTOFF: usize = 0;
const Q: usize = 1;

/// Highest cutoff as a fraction of the sample rate.
const MAX_CUTOFF_RATIO: f32 = 0.48;

/// Filter memory smaller than this is set to 0, so a decaying filter never produces denormals.
const FLUSH: f32 = 1e-20;

/// The state-variable filter's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "svf",
    doc: "Resonant 12 dB/octave state-variable filter (zero-delay feedback, trapezoidal) with low-, high-, \
          band-pass and notch outputs; smooth under fast cutoff and resonance modulation.",
    inputs: &[PortSpec { name: "in", doc: "audio" }],
    outputs: &[
        PortSpec { name: "lp", doc: "audio, low-pass" },
        PortSpec { name: "hp", doc: "audio, high-pass" },
        PortSpec { name: "bp", doc: "audio, band-pass with unity gain at the cutoff" },
        PortSpec { name: "notch", doc: "audio, notch (in − bp)" },
    ],
    params: &[
        ParamSpec::new(
            "cutoff",
            "Cutoff frequency (−3 dB point of lp and hp at q = 0.707); limited to 0.48 × sample rate.",
            Unit::Hertz,
            20.0,
            20_000.0,
            1000.0,
            5.0,
        ),
        ParamSpec::new("q", "Resonance: 0.707 is flat (Butterworth), 25 rings.", Unit::Linear, 0.5, 25.0, 0.707, 5.0),
    ],
    role: NodeRole::Signal,
};

/// The coefficients of one filter setting, per lane.
#[derive(Clone, Copy, Debug)]
struct Coefs {
    a1: Lanes,
    a2: Lanes,
    a3: Lanes,
    k: Lanes,
}

impl Coefs {
    /// The coefficients for `cutoff` (Hz) and `q` per lane at `sample_rate`. Per call: one `tan` and two
    /// divisions per lane.
    fn new(cutoff: &Lanes, q: &Lanes, sample_rate: f32) -> Coefs {
        let inv_sr = 1.0 / sample_rate.max(1.0);
        let mut c = Coefs { a1: splat(0.0), a2: splat(0.0), a3: splat(0.0), k: splat(0.0) };
        for l in 0..LANES {
            let ratio = clamp(cutoff[l] * inv_sr, 1e-5, MAX_CUTOFF_RATIO);
            let g = tan_pi(ratio);
            let k = 1.0 / clamp(q[l], 0.5, 25.0);
            c.a1[l] = 1.0 / (1.0 + g * (g + k));
            c.a2[l] = g * c.a1[l];
            c.a3[l] = g * c.a2[l];
            c.k[l] = k;
        }
        c
    }
}

/// Per-group state: the two integrator memories per lane and the coefficients reached at the end of the
/// last call.
#[derive(Clone, Debug)]
pub struct Svf {
    ic1: Lanes,
    ic2: Lanes,
    coefs: Coefs,
}

impl NodeKind for Svf {
    const SPEC: NodeSpec = SPEC;

    fn new(sample_rate: f32) -> Self {
        let coefs = Coefs::new(&splat(SPEC.params[CUTOFF].default), &splat(SPEC.params[Q].default), sample_rate);
        Svf { ic1: splat(0.0), ic2: splat(0.0), coefs }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames_for(p, 4);
        let target = Coefs::new(&param(p, CUTOFF), &param(p, Q), p.sample_rate);
        for l in 0..LANES {
            if p.voice.start.contains(l) {
                self.ic1[l] = 0.0;
                self.ic2[l] = 0.0;
                self.coefs.a1[l] = target.a1[l];
                self.coefs.a2[l] = target.a2[l];
                self.coefs.a3[l] = target.a3[l];
                self.coefs.k[l] = target.k[l];
            }
        }
        let inv_n = 1.0 / n.max(1) as f32;
        let mut step = Coefs { a1: splat(0.0), a2: splat(0.0), a3: splat(0.0), k: splat(0.0) };
        for l in 0..LANES {
            step.a1[l] = (target.a1[l] - self.coefs.a1[l]) * inv_n;
            step.a2[l] = (target.a2[l] - self.coefs.a2[l]) * inv_n;
            step.a3[l] = (target.a3[l] - self.coefs.a3[l]) * inv_n;
            step.k[l] = (target.k[l] - self.coefs.k[l]) * inv_n;
        }

        let x = input(p, 0, n);
        let mut c = self.coefs;
        let (mut ic1, mut ic2) = (self.ic1, self.ic2);
        let [lp, hp, bp, notch, ..] = &mut p.outputs;
        let (lp, hp, bp, notch) = (&mut lp[..n], &mut hp[..n], &mut bp[..n], &mut notch[..n]);
        for i in 0..n {
            let v0 = x.map_or(splat(0.0), |x| x[i]);
            for l in 0..LANES {
                c.a1[l] += step.a1[l];
                c.a2[l] += step.a2[l];
                c.a3[l] += step.a3[l];
                c.k[l] += step.k[l];
                let v3 = v0[l] - ic2[l];
                let v1 = c.a1[l] * ic1[l] + c.a2[l] * v3;
                let v2 = ic2[l] + c.a2[l] * ic1[l] + c.a3[l] * v3;
                let next1 = 2.0 * v1 - ic1[l];
                let next2 = 2.0 * v2 - ic2[l];
                ic1[l] = if next1.abs() < FLUSH { 0.0 } else { next1 };
                ic2[l] = if next2.abs() < FLUSH { 0.0 } else { next2 };
                let band = c.k[l] * v1;
                lp[i][l] = v2;
                hp[i][l] = v0[l] - band - v2;
                bp[i][l] = band;
                notch[i][l] = v0[l] - band;
            }
        }
        self.ic1 = ic1;
        self.ic2 = ic2;
        self.coefs = target;
        LaneMask::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spectral norm of the zero-input state update for coefficients `(a1, a2, a3)`.
    fn update_norm(a1: f64, a2: f64, a3: f64) -> f64 {
        let m = [[2.0 * a1 - 1.0, -2.0 * a2], [2.0 * a2, 1.0 - 2.0 * a3]];
        // Largest eigenvalue of Mᵀ·M (2×2 symmetric).
        let p = m[0][0] * m[0][0] + m[1][0] * m[1][0];
        let r = m[0][1] * m[0][1] + m[1][1] * m[1][1];
        let q = m[0][0] * m[0][1] + m[1][0] * m[1][1];
        let largest = 0.5 * (p + r) + (0.25 * (p - r) * (p - r) + q * q).sqrt();
        largest.sqrt()
    }

    #[test]
    fn every_blend_of_two_settings_is_a_contraction() {
        let mut seed = 12345u64;
        let mut random = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f32 / (1u64 << 53) as f32
        };
        for _ in 0..20_000 {
            let sr = [44_100.0, 48_000.0, 96_000.0, 192_000.0][(random() * 4.0) as usize % 4];
            let setting = |u: f32, v: f32| Coefs::new(&splat(20.0 * 1000f32.powf(u)), &splat(0.5 + 24.5 * v * v), sr);
            let (from, to) = (setting(random(), random()), setting(random(), random()));
            for step in 0..=8 {
                let t = step as f64 / 8.0;
                let mix = |a: f32, b: f32| a as f64 + (b as f64 - a as f64) * t;
                let norm = update_norm(mix(from.a1[0], to.a1[0]), mix(from.a2[0], to.a2[0]), mix(from.a3[0], to.a3[0]));
                assert!(norm <= 1.0 + 1e-5, "norm {norm}");
            }
        }
    }
}
