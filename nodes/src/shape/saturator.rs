//! Saturator: tanh, soft-clip and wavefolder curves with drive, dry/wet mix and ADAA anti-aliasing.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::adaa::{Curve, RANGE};
use crate::dsp::guard::audio;
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames, input, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit, exp2};

const MODE: usize = 0;
const DRIVE: usize = 1;
const MIX: usize = 2;
const OUTPUT: usize = 3;
const ANTIALIAS: usize = 4;

/// The saturator's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "saturator",
    doc: "Drives its input into a curve: `tanh` (smooth, warm), `soft_clip` (a cubic that is clean at low level \
          and flat at ±1 above 1.5), `fold` (a triangle wavefolder: signals above ±1 fold back, adding bright, \
          moving overtones as drive rises). Every curve has unity gain for small signals and stays within ±1, \
          so `drive` sets how hard it bites, not how loud it gets. Anti-aliasing by first-order ADAA (the \
          curve's average between samples): at 48 kHz, on a full-scale 2–4.2 kHz tone driven by 24 dB, it lowers \
          the worst alias by 6–7.6 dB and the total alias power by 9–11 dB, for half a sample of delay and \
          −2.0 dB at 10 kHz (−0.5 dB at 5 kHz); `off` is the plain curve. The dry signal \
          is delayed to match, so `mix` does not comb-filter.",
    inputs: &[PortSpec { name: "in", doc: "audio, ±1 nominal (NaN reads as 0)" }],
    outputs: &[PortSpec { name: "out", doc: "audio: dry × (1 − mix) + curve(in × drive) × mix, then × output" }],
    params: &[
        ParamSpec::choice("mode", "Curve: tanh, soft_clip, fold.", &["tanh", "soft_clip", "fold"], 0),
        ParamSpec::new("drive", "Gain into the curve, 0..48 dB.", Unit::Decibels, 0.0, 48.0, 12.0, 20.0),
        ParamSpec::new("mix", "Wet share, 0..1 (0 = dry only).", Unit::Linear, 0.0, 1.0, 1.0, 20.0),
        ParamSpec::new("output", "Gain after the mix, −48..12 dB.", Unit::Decibels, -48.0, 12.0, 0.0, 20.0),
        ParamSpec::choice(
            "antialias",
            "`adaa` (first-order antiderivative anti-aliasing) or `off`.",
            &["adaa", "off"],
            0,
        ),
    ],
    role: NodeRole::Signal,
};

/// Per-group state.
#[derive(Clone, Debug)]
pub struct Saturator {
    /// The last driven input per lane (the ADAA segment's start).
    last: [f64; LANES],
    /// The last dry input per lane (for the half-sample-delayed dry path).
    last_dry: Lanes,
    /// Drive, mix and output gain (linear) reached at the end of the last call, for ramping.
    drive: Lanes,
    mix: Lanes,
    output: Lanes,
}

/// Decibels to a gain factor.
#[inline]
fn gain(db: f32) -> f32 {
    exp2(db * (std::f32::consts::LOG2_10 / 20.0))
}

impl NodeKind for Saturator {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Saturator { last: [0.0; LANES], last_dry: splat(0.0), drive: splat(1.0), mix: splat(1.0), output: splat(1.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let (mode, drive_db, mix_to, output_db, aa) =
            (param(p, MODE), param(p, DRIVE), param(p, MIX), param(p, OUTPUT), param(p, ANTIALIAS));
        let (mut drive_to, mut mix, mut output_to) = ([0.0f32; LANES], [0.0f32; LANES], [0.0f32; LANES]);
        let mut curve = [Curve::Tanh; LANES];
        let mut adaa = [true; LANES];
        for l in 0..LANES {
            drive_to[l] = gain(clamp(drive_db[l], 0.0, 48.0));
            mix[l] = clamp(mix_to[l], 0.0, 1.0);
            output_to[l] = gain(clamp(output_db[l], -48.0, 12.0));
            curve[l] = Curve::from_index(clamp(mode[l].round(), 0.0, 2.0) as usize);
            adaa[l] = aa[l] < 0.5;
            if p.voice.start.contains(l) {
                self.last[l] = 0.0;
                self.last_dry[l] = 0.0;
                self.drive[l] = drive_to[l];
                self.mix[l] = mix[l];
                self.output[l] = output_to[l];
            }
        }
        let (drive_step, mix_step, output_step) = (
            ramp::step(&self.drive, &drive_to, n),
            ramp::step(&self.mix, &mix, n),
            ramp::step(&self.output, &output_to, n),
        );
        let (mut d, mut m, mut o) = (self.drive, self.mix, self.output);
        let (mut last, mut last_dry) = (self.last, self.last_dry);
        let x = input(p, 0, n);
        // Per lane and frame, not vectorised: the curves branch and the ADAA quotient is f64; a saturator is one
        // node per voice, so clarity wins here over lanes in SIMD.
        for (i, frame) in p.outputs[0][..n].iter_mut().enumerate() {
            let v = x.map_or(splat(0.0), |w| w[i]);
            let mut out = [0.0f32; LANES];
            for l in 0..LANES {
                d[l] += drive_step[l];
                m[l] += mix_step[l];
                o[l] += output_step[l];
                let dry = audio(v[l]);
                let driven = (dry as f64 * d[l] as f64).clamp(-RANGE, RANGE);
                let (wet, dry_aligned) = if adaa[l] {
                    (curve[l].adaa(last[l], driven), 0.5 * (dry + last_dry[l]))
                } else {
                    (curve[l].apply(driven), dry)
                };
                last[l] = driven;
                last_dry[l] = dry;
                out[l] = (dry_aligned + m[l] * (wet as f32 - dry_aligned)) * o[l];
            }
            *frame = out;
        }
        self.last = last;
        self.last_dry = last_dry;
        self.drive = drive_to;
        self.mix = mix;
        self.output = output_to;
        LaneMask::ALL
    }
}
