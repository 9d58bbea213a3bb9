//! Saturator: tanh, soft-clip and wavefolder curves with drive, dry/wet mix and ADAA anti-aliasing.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::adaa::{Curve, RANGE};
use crate::dsp::guard::audio;
use crate::dsp::halfband::{LATENCY, Oversampler};
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames, input, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit, exp2};

const MODE: usize = SPEC.param_index("mode");
const DRIVE: usize = SPEC.param_index("drive");
const MIX: usize = SPEC.param_index("mix");
const OUTPUT: usize = SPEC.param_index("output");
const ANTIALIAS: usize = SPEC.param_index("antialias");

/// The saturator's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "saturator",
    doc: "Drives its input into a curve: `tanh` (smooth, warm), `soft_clip` (a cubic that is clean at low level \
          and flat at ±1 above 1.5), `fold` (a triangle wavefolder: signals above ±1 fold back, adding bright, \
          moving overtones as drive rises). Every curve has unity gain for small signals and stays within ±1, \
          so `drive` sets how hard it bites, not how loud it gets. Anti-aliasing: `adaa` (first-order \
          antiderivative anti-aliasing: the curve's average between samples) lowers the worst alias of a \
          full-scale 2–4.2 kHz tone driven by 24 dB at 48 kHz by 6–7.6 dB and the total alias power by 9–11 dB, \
          for half a sample of delay and −2.0 dB at 10 kHz; `adaa_2x` runs ADAA at twice the rate between \
          half-band filters and lowers the worst alias by 30 dB (to −45..−59 dB), for 19 samples of delay, \
          −0.5 dB at 10 kHz and about twice the CPU; `off` is the plain curve. The dry signal is delayed to \
          match, so `mix` does not comb-filter.",
    inputs: &[PortSpec { name: "in", doc: "audio, ±1 nominal (NaN reads as 0)" }],
    outputs: &[PortSpec { name: "out", doc: "audio: dry × (1 − mix) + curve(in × drive) × mix, then × output" }],
    params: &[
        ParamSpec::choice("mode", "Curve: tanh, soft_clip, fold.", &["tanh", "soft_clip", "fold"], 0),
        ParamSpec::new("drive", "Gain into the curve, 0..48 dB.", Unit::Decibels, 0.0, 48.0, 12.0, 20.0),
        ParamSpec::new("mix", "Wet share, 0..1 (0 = dry only).", Unit::Linear, 0.0, 1.0, 1.0, 20.0),
        ParamSpec::new("output", "Gain after the mix, −48..12 dB.", Unit::Decibels, -48.0, 12.0, 0.0, 20.0),
        ParamSpec::choice(
            "antialias",
            "`adaa` (first-order antiderivative anti-aliasing), `off`, or `adaa_2x` (ADAA at twice the rate; \
             19 samples of latency).",
            &["adaa", "off", "adaa_2x"],
            0,
        ),
    ],
    role: NodeRole::Signal,
    cost: 24.0,
};

/// Per-group state.
/// Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Debug)]
pub struct Saturator {
    /// The last driven input per lane (the ADAA segment's start).
    last: Lanes,
    /// The last dry input per lane (for the half-sample-delayed dry path).
    last_dry: Lanes,
    /// Drive, mix and output gain (linear) reached at the end of the last call, for ramping.
    drive: Lanes,
    mix: Lanes,
    output: Lanes,
    /// Per lane, whether the current call's wet signal is ADAA (so the dry path is delayed by half a sample).
    aligned: [bool; LANES],
    /// What only `adaa_2x` uses, boxed: at 6.9 KiB inline it made every `Processor` (an enum sized by its
    /// largest variant) that big, spreading every patch's node state over 15× the memory and pages it needs.
    twice: Box<Twice>,
}
crate::clone_in_place!(Saturator { last, last_dry, drive, mix, output, aligned, twice });

/// The saturator's `adaa_2x` state.
#[derive(Clone, Debug)]
struct Twice {
    /// The 2× oversampler's filter histories.
    oversampler: Oversampler,
    /// Recent dry input, newest at `dry_pos`, for delaying the dry path to match the oversampled path.
    dry_ring: [Lanes; DRY_RING],
    dry_pos: usize,
}

/// Length of the dry delay ring: more than the oversampled path's delay.
const DRY_RING: usize = 32;

/// Decibels to a gain factor.
#[inline]
fn gain(db: f32) -> f32 {
    exp2(db * (std::f32::consts::LOG2_10 / 20.0))
}

impl NodeKind for Saturator {
    const SPEC: NodeSpec = SPEC;

    /// `adaa_2x` delays by the half-band filters' 18.5 samples plus ADAA's quarter sample (rounded); plain
    /// ADAA's half sample rounds to none.
    fn latency(params: &[f32], _connected: &[bool]) -> u32 {
        if params.get(ANTIALIAS).is_some_and(|&aa| aa >= 1.5) { (LATENCY + 0.25).round() as u32 } else { 0 }
    }

    fn heap_bytes(_sizing: &crate::Sizing<'_>) -> usize {
        std::mem::size_of::<Twice>()
    }

    fn new(_sample_rate: f32) -> Self {
        Saturator {
            last: splat(0.0),
            last_dry: splat(0.0),
            drive: splat(1.0),
            mix: splat(1.0),
            output: splat(1.0),
            aligned: [true; LANES],
            twice: Box::new(Twice { oversampler: Oversampler::new(), dry_ring: [splat(0.0); DRY_RING], dry_pos: 0 }),
        }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let (mode, drive_db, mix_to, output_db, aa) =
            (param(p, MODE), param(p, DRIVE), param(p, MIX), param(p, OUTPUT), param(p, ANTIALIAS));
        let (mut drive_to, mut mix, mut output_to) = ([0.0f32; LANES], [0.0f32; LANES], [0.0f32; LANES]);
        let mut curve = [Curve::Tanh; LANES];
        let mut adaa = [true; LANES];
        let mut twice = true;
        for l in 0..LANES {
            drive_to[l] = gain(clamp(drive_db[l], 0.0, 48.0));
            mix[l] = clamp(mix_to[l], 0.0, 1.0);
            output_to[l] = gain(clamp(output_db[l], -48.0, 12.0));
            curve[l] = Curve::from_index(clamp(mode[l].round(), 0.0, 2.0) as usize);
            adaa[l] = aa[l] < 0.5 || aa[l] >= 1.5;
            twice &= aa[l] >= 1.5;
            if p.voice.start.contains(l) {
                self.twice.oversampler.reset_lane(l);
                for frame in self.twice.dry_ring.iter_mut() {
                    frame[l] = 0.0;
                }
                self.last[l] = 0.0;
                self.last_dry[l] = 0.0;
                self.drive[l] = drive_to[l];
                self.mix[l] = mix[l];
                self.output[l] = output_to[l];
            }
        }
        let ramps = Ramps {
            drive: ramp::step(&self.drive, &drive_to, n),
            mix: ramp::step(&self.mix, &mix, n),
            output: ramp::step(&self.output, &output_to, n),
        };
        self.aligned = adaa;
        let x = input(p, 0, n);
        let out = &mut p.outputs[0][..n];
        // One loop per curve and anti-aliasing setting, so each lane loop is straight-line code that vectorises;
        // choices are the same in every voice in practice, and the general loop covers lanes that differ.
        let same = (0..LANES).all(|l| curve[l] == curve[0] && adaa[l] == adaa[0]);
        match (same, curve[0], adaa[0]) {
            (true, c, true) if twice => match c {
                Curve::Tanh => self.run_2x(out, x, &ramps, Curve::Tanh),
                Curve::SoftClip => self.run_2x(out, x, &ramps, Curve::SoftClip),
                Curve::Fold => self.run_2x(out, x, &ramps, Curve::Fold),
            },
            (true, c, true) => match c {
                Curve::Tanh => self.run_adaa(out, x, &ramps, |_| Curve::Tanh),
                Curve::SoftClip => self.run_adaa(out, x, &ramps, |_| Curve::SoftClip),
                Curve::Fold => self.run_adaa(out, x, &ramps, |_| Curve::Fold),
            },
            (true, Curve::Tanh, false) => self.run(out, x, &ramps, |_, _, b| Curve::Tanh.apply(b)),
            (true, Curve::SoftClip, false) => self.run(out, x, &ramps, |_, _, b| Curve::SoftClip.apply(b)),
            (true, Curve::Fold, false) => self.run(out, x, &ramps, |_, _, b| Curve::Fold.apply(b)),
            (false, ..) => {
                self.run(out, x, &ramps, |l, a, b| if adaa[l] { curve[l].adaa(a, b) } else { curve[l].apply(b) })
            }
        }
        self.drive = drive_to;
        self.mix = mix;
        self.output = output_to;
        LaneMask::ALL
    }
}

/// One call's per-frame changes of drive, mix and output gain.
struct Ramps {
    drive: Lanes,
    mix: Lanes,
    output: Lanes,
}

impl Saturator {
    /// Produces `out.len()` frames with `shape(lane, last driven input, driven input)` as the wet signal, and
    /// advances the state. The dry path is delayed by half a sample for lanes whose shape is ADAA. Audio thread.
    #[inline(always)]
    fn run(&mut self, out: &mut [Lanes], x: Option<&[Lanes]>, r: &Ramps, shape: impl Fn(usize, f32, f32) -> f32) {
        let (mut d, mut m, mut o) = (self.drive, self.mix, self.output);
        let (mut last, mut last_dry) = (self.last, self.last_dry);
        let half = self.half_delay();
        for (i, frame) in out.iter_mut().enumerate() {
            let v = x.map_or(splat(0.0), |w| w[i]);
            let mut y = [0.0f32; LANES];
            for l in 0..LANES {
                d[l] += r.drive[l];
                m[l] += r.mix[l];
                o[l] += r.output[l];
                let dry = audio(v[l]);
                let driven = (dry * d[l]).clamp(-RANGE, RANGE);
                let wet = shape(l, last[l], driven);
                let aligned = dry + half[l] * (last_dry[l] - dry);
                last[l] = driven;
                last_dry[l] = dry;
                y[l] = (aligned + m[l] * (wet - aligned)) * o[l];
            }
            *frame = y;
        }
        self.drive = d;
        self.mix = m;
        self.output = o;
        self.last = last;
        self.last_dry = last_dry;
    }

    /// [`Saturator::run`] for lanes that all use ADAA with the curve `curve(lane)`: each sample's antiderivative
    /// is computed once and kept for the next segment (half the work of [`Curve::adaa`]). Audio thread.
    #[inline(always)]
    fn run_adaa(&mut self, out: &mut [Lanes], x: Option<&[Lanes]>, r: &Ramps, curve: impl Fn(usize) -> Curve) {
        let (mut d, mut m, mut o) = (self.drive, self.mix, self.output);
        let (mut last, mut last_dry) = (self.last, self.last_dry);
        let mut parts: [(f32, f32); LANES] = std::array::from_fn(|l| curve(l).parts(last[l]));
        for (i, frame) in out.iter_mut().enumerate() {
            let v = x.map_or(splat(0.0), |w| w[i]);
            let mut y = [0.0f32; LANES];
            for l in 0..LANES {
                d[l] += r.drive[l];
                m[l] += r.mix[l];
                o[l] += r.output[l];
                let dry = audio(v[l]);
                let driven = (dry * d[l]).clamp(-RANGE, RANGE);
                let now = curve(l).parts(driven);
                let wet = curve(l).adaa_from(last[l], parts[l], driven, now);
                let aligned = 0.5 * (dry + last_dry[l]);
                parts[l] = now;
                last[l] = driven;
                last_dry[l] = dry;
                y[l] = (aligned + m[l] * (wet - aligned)) * o[l];
            }
            *frame = y;
        }
        self.drive = d;
        self.mix = m;
        self.output = o;
        self.last = last;
        self.last_dry = last_dry;
    }

    /// [`Saturator::run_adaa`] at twice the sample rate: each input frame is upsampled to two, each of those
    /// goes through ADAA (the segment from the previous one), and the pair is filtered back down. The dry path
    /// is delayed to match, to the nearest sample. Audio thread.
    #[inline(always)]
    fn run_2x(&mut self, out: &mut [Lanes], x: Option<&[Lanes]>, r: &Ramps, curve: Curve) {
        let (mut d, mut m, mut o) = (self.drive, self.mix, self.output);
        let mut last = self.last;
        let mut parts: [(f32, f32); LANES] = std::array::from_fn(|l| curve.parts(last[l]));
        // The wet path is LATENCY + 0.25 samples late (ADAA adds half a sample at the doubled rate). The dry path
        // is delayed by the nearest whole number of samples, 19: interpolating the last quarter would dull the
        // dry signal (−0.9 dB at 8 kHz), while a quarter-sample mismatch costs at most −0.07 dB at 8 kHz and
        // −0.3 dB at 16 kHz at mix 0.5.
        let delay = (LATENCY + 0.25).round() as usize;
        for (i, frame) in out.iter_mut().enumerate() {
            let v = x.map_or(splat(0.0), |w| w[i]);
            let mut driven = [0.0f32; LANES];
            let mut dry = [0.0f32; LANES];
            for l in 0..LANES {
                d[l] += r.drive[l];
                dry[l] = audio(v[l]);
                driven[l] = (dry[l] * d[l]).clamp(-RANGE, RANGE);
            }
            let (u0, u1) = self.twice.oversampler.up(driven);
            let (mut w0, mut w1) = ([0.0f32; LANES], [0.0f32; LANES]);
            for l in 0..LANES {
                let p0 = curve.parts(u0[l]);
                let p1 = curve.parts(u1[l]);
                w0[l] = curve.adaa_from(last[l], parts[l], u0[l], p0);
                w1[l] = curve.adaa_from(u0[l], p0, u1[l], p1);
                last[l] = u1[l];
                parts[l] = p1;
            }
            let wet = self.twice.oversampler.down(w0, w1);
            self.twice.dry_pos = (self.twice.dry_pos + DRY_RING - 1) % DRY_RING;
            self.twice.dry_ring[self.twice.dry_pos] = dry;
            let aligned = self.twice.dry_ring[(self.twice.dry_pos + delay) % DRY_RING];
            let mut y = [0.0f32; LANES];
            for l in 0..LANES {
                m[l] += r.mix[l];
                o[l] += r.output[l];
                y[l] = (aligned[l] + m[l] * (wet[l] - aligned[l])) * o[l];
            }
            *frame = y;
        }
        self.drive = d;
        self.mix = m;
        self.output = o;
        self.last = last;
        // Keep the single-rate dry state current too, for a switch back to `adaa` or `off`.
        self.last_dry = self.twice.dry_ring[self.twice.dry_pos];
    }

    /// Per lane, 0.5 where the wet signal is ADAA's (half a sample late, so the dry is averaged to match) and 0
    /// where it is not.
    fn half_delay(&self) -> Lanes {
        std::array::from_fn(|l| if self.aligned[l] { 0.5 } else { 0.0 })
    }
}
