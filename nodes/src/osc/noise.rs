//! Noise source: white or pink, an independent deterministic generator per voice.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::phasor::param;
use crate::dsp::{frames, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec};

/// Parameter indices, in [`SPEC`] order.
const COLOR: usize = SPEC.param_index("color");
const LEVEL: usize = SPEC.param_index("level");

/// The noise source's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "noise",
    doc: "Noise: `white` (flat spectrum, uniform in ±level) or `pink` (−3 dB per octave below 20 kHz at any \
          rate; at 44.1–48 kHz about the RMS of white). Every voice has its own generator, seeded from its lane, its note and how many \
          notes the lane has started, so a render is identical every time while no two voices of a chord \
          share a sequence. No delay.",
    inputs: &[],
    outputs: &[super::OUT_PORT],
    params: &[
        ParamSpec::choice("color", "Spectrum: `white` (flat) or `pink` (−3 dB per octave).", &["white", "pink"], 0),
        super::LEVEL_PARAM,
    ],
    role: NodeRole::Signal,
    cost: 1.6,
};

/// Paul Kellet's pink filter ("refined" version): six one-pole low-passes at spread corner frequencies whose
/// sum falls at 3 dB per octave within ±0.05 dB from 9 Hz to Nyquist at 44.1 kHz. Poles, in that order.
const KELLET_POLES: [f32; 6] = [0.99886, 0.99332, 0.96900, 0.86650, 0.55000, -0.7616];
/// Input gains of the six poles, then of the direct white term and the one-sample-delayed term.
const KELLET_GAINS: [f32; 8] = [0.0555179, 0.0750759, 0.153_852, 0.3104856, 0.5329522, -0.0168980, 0.5362, 0.115926];
/// Brings the pink filter's output to the RMS of uniform white noise (1/√3), measured over 11 s at 44.1 kHz.
const PINK_GAIN: f32 = 0.327;

/// Per-group state: a xorshift generator per lane, the pink filter's memory, the level reached last call.
#[derive(Clone, Debug)]
pub struct Noise {
    /// xorshift32 state per lane; never zero.
    rng: [u32; LANES],
    /// Notes started per lane, mixed into the seed.
    starts: [u32; LANES],
    /// The six pole states per lane, then the one-sample-delayed white value.
    pink: [[f32; LANES]; 7],
    /// Poles adapted to the sample rate (the 44.1 kHz ones keep their time constants), for `rate`.
    poles: [f32; 6],
    /// Input gains of the poles, adapted so each section keeps its DC gain.
    gains: [f32; 6],
    rate: f32,
    level: Lanes,
}

/// A well-mixed, never-zero seed from a lane, a note count and a pitch (the "lowbias32" integer hash).
fn seed(lane: usize, count: u32, pitch: f32) -> u32 {
    let mut x = (lane as u32 + 1).wrapping_mul(0x9E37_79B9) ^ count.wrapping_mul(0x85EB_CA6B) ^ pitch.to_bits();
    x ^= x >> 16;
    x = x.wrapping_mul(0x7FEB_352D);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846C_A68B);
    x ^= x >> 16;
    x | 1
}

impl Noise {
    fn adapt(&mut self, sample_rate: f32) {
        self.rate = sample_rate;
        let ratio = 44_100.0 / sample_rate.max(1.0);
        for i in 0..6 {
            let at_44k = KELLET_POLES[i];
            // p^(44.1k / fs) keeps each pole's time constant, and scaling its input by (1 − p')/(1 − p) keeps
            // its DC gain, so the sections add up to the same curve below 20 kHz at any rate. The negative pole
            // only shapes the top octave at 44.1 kHz and is kept as it is.
            if at_44k > 0.0 {
                self.poles[i] = at_44k.powf(ratio);
                self.gains[i] = KELLET_GAINS[i] * (1.0 - self.poles[i]) / (1.0 - at_44k);
            } else {
                self.poles[i] = at_44k;
                self.gains[i] = KELLET_GAINS[i];
            }
        }
    }
}

impl NodeKind for Noise {
    const SPEC: NodeSpec = SPEC;

    fn new(sample_rate: f32) -> Self {
        let mut n = Noise {
            rng: std::array::from_fn(|l| seed(l, 0, 0.0)),
            starts: [0; LANES],
            pink: [[0.0; LANES]; 7],
            poles: KELLET_POLES,
            gains: [0.0; 6],
            rate: 0.0,
            level: splat(0.0),
        };
        n.adapt(sample_rate);
        n
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        if p.sample_rate != self.rate {
            // `powf` six times, only when the rate changes (never inside a steady render).
            self.adapt(p.sample_rate);
        }
        let level_target = param(p, LEVEL);
        for l in 0..LANES {
            if p.voice.start.contains(l) {
                self.level[l] = level_target[l];
                self.rng[l] = seed(l, self.starts[l], p.voice.pitch[l]);
                self.starts[l] = self.starts[l].wrapping_add(1);
                for state in self.pink.iter_mut() {
                    state[l] = 0.0;
                }
            }
        }
        let pink = param(p, COLOR)[0] >= 0.5;
        let level_step = ramp::step(&self.level, &level_target, n);
        let mut level = self.level;
        let mut rng = self.rng;
        let mut s = self.pink;
        let poles = self.poles;
        let gains = self.gains;
        for frame in p.outputs[0][..n].iter_mut() {
            for l in 0..LANES {
                let mut x = rng[l];
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                rng[l] = x;
                // Top 24 bits as a signed fraction: uniform in [−1, 1).
                let white = (x as i32 >> 8) as f32 * (1.0 / 8_388_608.0);
                level[l] += level_step[l];
                let v = if pink {
                    for i in 0..6 {
                        s[i][l] = poles[i] * s[i][l] + white * gains[i];
                    }
                    let sum = s[0][l] + s[1][l] + s[2][l] + s[3][l] + s[4][l] + s[5][l] + s[6][l];
                    s[6][l] = white * KELLET_GAINS[7];
                    (sum + white * KELLET_GAINS[6]) * PINK_GAIN
                } else {
                    white
                };
                frame[l] = level[l] * v;
            }
        }
        self.rng = rng;
        self.pink = s;
        self.level = level_target;
        LaneMask::ALL
    }
}
