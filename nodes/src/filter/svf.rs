//! State-variable filter in Andrew Simper's (Cytomic) trapezoidal, zero-delay-feedback form.
//!
//! # Responses
//! One pair of integrators gives every response at once: `lp`, `hp`, `bp` (unity gain at the cutoff), `notch`
//! (`in − bp`), `peak` (`lp − hp`: unity far from the cutoff, `2·q` at it) and `allpass` (`in − 2·bp`: unity
//! gain at every frequency, phase −180° at the cutoff).
//!
//! # Cutoff
//! The cutoff is the `cutoff` parameter, moved by `keytrack × (pitch − 60) / 12` octaves (C4 hears it as set),
//! then by the `cutoff` audio input in **octaves per unit** (+1 doubles it, −1 halves it), clamped to
//! 0.48 × the sample rate.
//!
//! # Modulation and stability
//! The coefficients `a1 = 1/(1 + g(g + k))`, `a2 = g·a1`, `a3 = g·a2` (with `g = tan(π·cutoff/fs)`,
//! `k = 1/q`) are computed once per call for the target and interpolated linearly per sample from the previous
//! call's. The state update is linear in `(a1, a2, a3)`, and for every consistent set it is a contraction in
//! the Euclidean norm of `(ic1eq, ic2eq)` (the trapezoidal rule maps the dissipative analog SVF to one), so
//! every blend of two consistent sets is a contraction too: the filter cannot blow up under any sweep, and no
//! per-sample division is needed.
//!
//! When the `cutoff` input is connected the coefficients are computed for every sample instead (one `tan`
//! and two divisions per sample and lane: the price of audio-rate modulation, paid only when it is wired).
//! Each sample's set is consistent, so each step is a contraction and the filter stays stable under any
//! modulation signal, at any cutoff up to the 0.48 × fs limit.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::approx::tan_pi;
use crate::dsp::cutoff::{MAX_RATIO, MIN_RATIO, keytracked_ratio, modulated_ratio, sanitize};
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames_for, input};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{MAX_OUTPUTS, NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const CUTOFF: usize = SPEC.param_index("cutoff");
const Q: usize = SPEC.param_index("q");
const KEYTRACK: usize = SPEC.param_index("keytrack");

/// Input indices, in [`SPEC`] order.
const IN: usize = SPEC.input_index("in");
const CUTOFF_IN: usize = SPEC.input_index("cutoff");

/// Filter memory smaller than this is set to 0, so a decaying filter never produces denormals.
const FLUSH: f32 = 1e-20;

/// Every response the filter computes, in output order.
const RESPONSES: usize = 6;

/// Every output the filter can offer. The declaration exposes the first [`MAX_OUTPUTS`] of them: while a node
/// may declare only four outputs, `peak` and `allpass` are computed (and tested, see the unit tests) but not
/// reachable from patches; raising [`MAX_OUTPUTS`] to 6 exposes them with no change here.
const OUTPUTS: &[PortSpec] = &[
    PortSpec { name: "lp", doc: "audio, low-pass, 12 dB/octave" },
    PortSpec { name: "hp", doc: "audio, high-pass, 12 dB/octave" },
    PortSpec { name: "bp", doc: "audio, band-pass with unity gain at the cutoff" },
    PortSpec { name: "notch", doc: "audio, notch (in − bp)" },
    PortSpec { name: "peak", doc: "audio, peak (lp − hp): unity far from the cutoff, 2 × q at it" },
    PortSpec { name: "allpass", doc: "audio, all-pass (in − 2·bp): unity gain, phase −180° at the cutoff" },
];

/// How many of [`OUTPUTS`] the declaration exposes.
const DECLARED: usize = if MAX_OUTPUTS < RESPONSES { MAX_OUTPUTS } else { RESPONSES };

/// The state-variable filter's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "svf",
    doc: "Resonant 12 dB/octave state-variable filter (zero-delay feedback, trapezoidal) with low-, high-, \
          band-pass and notch outputs; key tracking, an audio-rate cutoff input, and smooth and stable under \
          any cutoff modulation up to 0.48 × the sample rate.",
    inputs: &[
        PortSpec { name: "in", doc: "audio" },
        PortSpec {
            name: "cutoff",
            doc: "audio-rate cutoff offset in octaves per unit (+1 doubles the cutoff); 0 when unconnected",
        },
    ],
    outputs: OUTPUTS.split_at(DECLARED).0,
    params: &[
        ParamSpec::new(
            "cutoff",
            "Cutoff frequency, 20 Hz..20 kHz (−3 dB point of lp and hp at q = 0.707) for a voice at C4; \
             limited to 0.48 × sample rate.",
            Unit::Hertz,
            20.0,
            20_000.0,
            1000.0,
            5.0,
        ),
        ParamSpec::new(
            "q",
            "Resonance, 0.5..25: 0.707 is flat (Butterworth), 25 rings.",
            Unit::Linear,
            0.5,
            25.0,
            0.707,
            5.0,
        ),
        ParamSpec::new(
            "keytrack",
            "How far the cutoff follows the voice pitch from C4 (MIDI 60), 0..1: 1 moves it an octave per octave.",
            Unit::Linear,
            0.0,
            1.0,
            0.0,
            5.0,
        ),
    ],
    role: NodeRole::Signal,
    cost: 13.0,
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
    /// The coefficients for cutoff `ratio` (fraction of the sample rate, already clamped) and `q` per lane.
    /// Per call: one `tan` and two divisions per lane.
    fn new(ratio: &Lanes, q: &Lanes) -> Coefs {
        let mut c = Coefs { a1: splat(0.0), a2: splat(0.0), a3: splat(0.0), k: splat(0.0) };
        for l in 0..LANES {
            let k = 1.0 / clamp(q[l], 0.5, 25.0);
            (c.a1[l], c.a2[l], c.a3[l]) = coefs(ratio[l], k);
            c.k[l] = k;
        }
        c
    }
}

/// `(a1, a2, a3)` for cutoff `ratio` (fraction of the sample rate, within the clamp) and damping `k = 1/q`.
#[inline(always)]
fn coefs(ratio: f32, k: f32) -> (f32, f32, f32) {
    let g = tan_pi(ratio);
    let a1 = 1.0 / (1.0 + g * (g + k));
    let a2 = g * a1;
    (a1, a2, g * a2)
}

/// One sample of one lane: advances the integrator memories and returns every response, in output order.
#[inline(always)]
fn tick(v0: f32, a1: f32, a2: f32, a3: f32, k: f32, ic1: &mut f32, ic2: &mut f32) -> [f32; RESPONSES] {
    let v3 = v0 - *ic2;
    let v1 = a1 * *ic1 + a2 * v3;
    let v2 = *ic2 + a2 * *ic1 + a3 * v3;
    let next1 = 2.0 * v1 - *ic1;
    let next2 = 2.0 * v2 - *ic2;
    *ic1 = if next1.abs() < FLUSH { 0.0 } else { next1 };
    *ic2 = if next2.abs() < FLUSH { 0.0 } else { next2 };
    let band = k * v1;
    let hp = v0 - band - v2;
    [v2, hp, band, v0 - band, v2 - hp, v0 - 2.0 * band]
}

/// Per-group state: the two integrator memories per lane, the coefficients reached at the end of the last
/// call, and the (unmodulated) cutoff ratio they belong to.
#[derive(Clone, Debug)]
pub struct Svf {
    ic1: Lanes,
    ic2: Lanes,
    coefs: Coefs,
    ratio: Lanes,
}

impl Svf {
    /// Runs `n` frames of input `x` (`None` = silence) with the audio-rate cutoff offset `cv` (octaves, `None`
    /// = unconnected) towards cutoff ratio `ratio` and damping from `q`, writing each response `r` into
    /// `outs[r]` for as many outputs as `outs` holds; outputs in `last_only` (bit `r`, see
    /// [`Process::last_only`]) get their last frame alone. Audio thread.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        n: usize,
        x: Option<&[Lanes]>,
        cv: Option<&[Lanes]>,
        ratio: &Lanes,
        q: &Lanes,
        outs: &mut [&mut [Lanes]],
        last_only: u8,
    ) {
        // Specialised per call, not tested per sample: whether the cutoff has an audio-rate input, and whether
        // the low-pass is the only response read at audio rate (the usual patch), whose loop then stores one
        // response per frame without testing the others.
        let declared = (1u8 << outs.len().min(RESPONSES)) - 1;
        let lp_only = !outs.is_empty() && (!last_only & declared) == 1;
        match (cv.is_some(), lp_only) {
            (false, true) => self.run_as::<false, true>(n, x, cv, ratio, q, outs, last_only),
            (false, false) => self.run_as::<false, false>(n, x, cv, ratio, q, outs, last_only),
            (true, true) => self.run_as::<true, true>(n, x, cv, ratio, q, outs, last_only),
            (true, false) => self.run_as::<true, false>(n, x, cv, ratio, q, outs, last_only),
        }
    }

    /// [`Svf::run`] for a cutoff input connected or not (`CV`, matching `cv`) and for the low-pass alone
    /// read at audio rate or not (`LP_ONLY`, matching `last_only`). Audio thread.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn run_as<const CV: bool, const LP_ONLY: bool>(
        &mut self,
        n: usize,
        x: Option<&[Lanes]>,
        cv: Option<&[Lanes]>,
        ratio: &Lanes,
        q: &Lanes,
        outs: &mut [&mut [Lanes]],
        last_only: u8,
    ) {
        let target = Coefs::new(ratio, q);
        let inv_n = 1.0 / n.max(1) as f32;
        let mut step = Coefs { a1: splat(0.0), a2: splat(0.0), a3: splat(0.0), k: splat(0.0) };
        let mut ratio_step = splat(0.0);
        for l in 0..LANES {
            step.a1[l] = (target.a1[l] - self.coefs.a1[l]) * inv_n;
            step.a2[l] = (target.a2[l] - self.coefs.a2[l]) * inv_n;
            step.a3[l] = (target.a3[l] - self.coefs.a3[l]) * inv_n;
            step.k[l] = (target.k[l] - self.coefs.k[l]) * inv_n;
            ratio_step[l] = (ratio[l] - self.ratio[l]) * inv_n;
        }
        let mut c = self.coefs;
        let mut base = self.ratio;
        let (mut ic1, mut ic2) = (self.ic1, self.ic2);
        let mut frame = [splat(0.0); RESPONSES];
        for i in 0..n {
            let v0 = x.map_or(splat(0.0), |x| x[i]);
            match cv {
                Some(cv) if CV => {
                    for l in 0..LANES {
                        base[l] += ratio_step[l];
                        c.k[l] += step.k[l];
                        (c.a1[l], c.a2[l], c.a3[l]) = coefs(modulated_ratio(base[l], cv[i][l]), c.k[l]);
                    }
                }
                _ => {
                    for l in 0..LANES {
                        c.a1[l] += step.a1[l];
                        c.a2[l] += step.a2[l];
                        c.a3[l] += step.a3[l];
                        c.k[l] += step.k[l];
                    }
                }
            }
            for l in 0..LANES {
                let y = tick(sanitize(v0[l]), c.a1[l], c.a2[l], c.a3[l], c.k[l], &mut ic1[l], &mut ic2[l]);
                for r in 0..RESPONSES {
                    frame[r][l] = y[r];
                }
            }
            // Responses nobody reads at audio rate (a patch mostly uses one) are written once, after the loop.
            if LP_ONLY {
                outs[0][i] = frame[0];
            } else {
                for (r, (port, y)) in outs.iter_mut().zip(&frame).enumerate() {
                    if last_only & (1 << r) == 0 {
                        port[i] = *y;
                    }
                }
            }
        }
        if n > 0 {
            for (r, (port, y)) in outs.iter_mut().zip(&frame).enumerate() {
                if last_only & (1 << r) != 0 {
                    port[n - 1] = *y;
                }
            }
        }
        self.ic1 = ic1;
        self.ic2 = ic2;
        // Unmodulated, the last frame's coefficients are the target's; modulated, they are the last sample's,
        // so a later call without modulation glides on from where this one ended.
        self.coefs = if cv.is_some() && n > 0 { c } else { target };
        self.ratio = *ratio;
    }
}

impl NodeKind for Svf {
    const SPEC: NodeSpec = SPEC;

    fn new(sample_rate: f32) -> Self {
        let ratio = splat(clamp(SPEC.params[CUTOFF].default / sample_rate.max(1.0), MIN_RATIO, MAX_RATIO));
        let coefs = Coefs::new(&ratio, &splat(SPEC.params[Q].default));
        Svf { ic1: splat(0.0), ic2: splat(0.0), coefs, ratio }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames_for(p, DECLARED);
        let ratio = keytracked_ratio(&param(p, CUTOFF), &param(p, KEYTRACK), &p.voice.pitch, p.sample_rate);
        let q = param(p, Q);
        let target = Coefs::new(&ratio, &q);
        for l in 0..LANES {
            if p.voice.start.contains(l) {
                self.ic1[l] = 0.0;
                self.ic2[l] = 0.0;
                self.coefs.a1[l] = target.a1[l];
                self.coefs.a2[l] = target.a2[l];
                self.coefs.a3[l] = target.a3[l];
                self.coefs.k[l] = target.k[l];
                self.ratio[l] = ratio[l];
            }
        }
        let (x, cv) = (input(p, IN, n), input(p, CUTOFF_IN, n));
        let last_only = p.last_only;
        let outs = &mut p.outputs[..DECLARED];
        self.run(n, x, cv, &ratio, &q, outs, last_only);
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
            let setting = |u: f32, v: f32| {
                let ratio = clamp(20.0 * 1000f32.powf(u) / sr, MIN_RATIO, MAX_RATIO);
                Coefs::new(&splat(ratio), &splat(0.5 + 24.5 * v * v))
            };
            let (from, to) = (setting(random(), random()), setting(random(), random()));
            for step in 0..=8 {
                let t = step as f64 / 8.0;
                let mix = |a: f32, b: f32| a as f64 + (b as f64 - a as f64) * t;
                let norm = update_norm(mix(from.a1[0], to.a1[0]), mix(from.a2[0], to.a2[0]), mix(from.a3[0], to.a3[0]));
                assert!(norm <= 1.0 + 1e-5, "norm {norm}");
            }
        }
    }

    /// The impulse response of every response at `cutoff` Hz and `q` (48 kHz), `len` samples, lane 0.
    fn impulse_responses(cutoff: f32, q: f32, len: usize) -> Vec<Vec<f64>> {
        let sr = 48_000.0;
        let mut svf = Svf::new(sr);
        let ratio = splat(cutoff / sr);
        let q = splat(q);
        svf.run(0, None, None, &ratio, &q, &mut [], 0);
        let mut out = vec![Vec::new(); RESPONSES];
        let mut bufs = [[splat(0.0); 16]; RESPONSES];
        for chunk in 0..len / 16 {
            let x: Vec<Lanes> = (0..16).map(|i| splat(if chunk == 0 && i == 0 { 1.0 } else { 0.0 })).collect();
            let [a, b, c, d, e, f] = &mut bufs;
            svf.run(
                16,
                Some(&x),
                None,
                &ratio,
                &q,
                &mut [&mut a[..], &mut b[..], &mut c[..], &mut d[..], &mut e[..], &mut f[..]],
                0,
            );
            for (o, b) in out.iter_mut().zip(&bufs) {
                o.extend(b.iter().map(|f| f[0] as f64));
            }
        }
        out
    }

    /// Magnitude (dB) and phase (radians) of impulse response `ir` at `hz` (48 kHz), by direct DFT.
    fn response_at(ir: &[f64], hz: f64) -> (f64, f64) {
        let w = std::f64::consts::TAU * hz / 48_000.0;
        let (re, im) = ir
            .iter()
            .enumerate()
            .fold((0.0, 0.0), |(re, im), (n, v)| (re + v * (w * n as f64).cos(), im - v * (w * n as f64).sin()));
        (20.0 * re.hypot(im).log10(), im.atan2(re))
    }

    #[test]
    fn allpass_is_flat_and_turns_half_a_cycle_at_the_cutoff() {
        for (cutoff, q) in [(100.0, 0.707), (1000.0, 0.707), (1000.0, 8.0), (10_000.0, 2.0)] {
            let ir = &impulse_responses(cutoff, q, 1 << 15)[5];
            let mut worst = 0.0f64;
            let mut hz = 20.0;
            while hz < 20_000.0 {
                worst = worst.max(response_at(ir, hz).0.abs());
                hz *= 1.05;
            }
            let phase = response_at(ir, cutoff as f64).1.to_degrees();
            println!("svf allpass at {cutoff} Hz, q {q}: within {worst:.4} dB of unity, phase {phase:.2}° at cutoff");
            assert!(worst < 0.1, "allpass deviates {worst} dB");
            assert!((phase.abs() - 180.0).abs() < 0.5, "allpass phase {phase}° at the cutoff");
        }
    }

    #[test]
    fn peak_boosts_by_twice_q_at_the_cutoff_and_passes_the_rest() {
        for (cutoff, q) in [(300.0, 0.707), (1000.0, 4.0), (3000.0, 10.0)] {
            let ir = &impulse_responses(cutoff, q, 1 << 15)[4];
            let at_cutoff = response_at(ir, cutoff as f64).0;
            let want = 20.0 * (2.0 * q as f64).log10();
            let low = response_at(ir, cutoff as f64 / 20.0).0;
            let high = response_at(ir, (cutoff as f64 * 4.0).min(16_000.0)).0;
            println!(
                "svf peak at {cutoff} Hz, q {q}: {at_cutoff:+.2} dB (want {want:+.2}), {low:+.2} dB below, \
                 {high:+.2} dB above"
            );
            assert!((at_cutoff - want).abs() < 0.1, "peak gain {at_cutoff} dB, want {want}");
            assert!(low.abs() < 0.1, "peak changes the band far below by {low} dB");
            assert!(high.abs() < 1.5, "peak changes the band above by {high} dB");
        }
    }
}
