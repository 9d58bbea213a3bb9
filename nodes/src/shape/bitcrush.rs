//! Bit crusher: reduces amplitude resolution (bits) and sample rate (sample-and-hold downsampling).

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::guard::audio;
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames, input, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit, exp2};

const BITS: usize = SPEC.param_index("bits");
const DOWNSAMPLE: usize = SPEC.param_index("downsample");
const MIX: usize = SPEC.param_index("mix");

/// The bit crusher's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "bitcrush",
    doc: "Lo-fi degradation. `bits` rounds the signal to steps of 2^(1 − bits) (a mid-tread quantiser over ±1: \
          silence stays silent; 8 bits gives about 50 dB signal-to-noise on a full-scale sine; fractional values \
          sweep smoothly between depths). `downsample` holds each taken sample for that many frames (fractional \
          factors allowed), folding everything above the reduced rate back down as deliberate aliasing. No \
          anti-aliasing: that grit is the point.",
    inputs: &[PortSpec { name: "in", doc: "audio, ±1 nominal (NaN reads as 0)" }],
    outputs: &[PortSpec { name: "out", doc: "audio: dry × (1 − mix) + crushed × mix" }],
    params: &[
        ParamSpec::new(
            "bits",
            "Resolution in bits, 1..24 (quantisation step 2^(1 − bits)).",
            Unit::Linear,
            1.0,
            24.0,
            8.0,
            0.0,
        ),
        ParamSpec::new(
            "downsample",
            "Sample-rate division factor, 1..64 (1 = off).",
            Unit::Linear,
            1.0,
            64.0,
            1.0,
            0.0,
        ),
        ParamSpec::new("mix", "Wet share, 0..1 (0 = dry only).", Unit::Linear, 0.0, 1.0, 1.0, 20.0),
    ],
    role: NodeRole::Signal,
    cost: 5.0,
};

/// Per-group state.
/// Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Clone, Debug)]
pub struct Bitcrush {
    /// The held (downsampled) input per lane.
    held: Lanes,
    /// Progress towards the next sample to take, in held periods; a sample is taken when it reaches 1.
    clock: Lanes,
    /// Mix reached at the end of the last call, for ramping.
    mix: Lanes,
}

impl NodeKind for Bitcrush {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Bitcrush { held: splat(0.0), clock: splat(1.0), mix: splat(1.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let (bits, factor, mix_to) = (param(p, BITS), param(p, DOWNSAMPLE), param(p, MIX));
        let (mut step, mut inv_step, mut advance, mut mix) =
            ([0.0f32; LANES], [0.0f32; LANES], [0.0f32; LANES], [0.0f32; LANES]);
        for l in 0..LANES {
            step[l] = exp2(1.0 - clamp(bits[l], 1.0, 24.0));
            inv_step[l] = 1.0 / step[l];
            advance[l] = 1.0 / clamp(factor[l], 1.0, 64.0);
            mix[l] = clamp(mix_to[l], 0.0, 1.0);
            if p.voice.start.contains(l) {
                self.held[l] = 0.0;
                self.clock[l] = 1.0;
                self.mix[l] = mix[l];
            }
        }
        let mix_step = ramp::step(&self.mix, &mix, n);
        let (mut held, mut clock, mut m) = (self.held, self.clock, self.mix);
        let x = input(p, 0, n);
        for (i, frame) in p.outputs[0][..n].iter_mut().enumerate() {
            let v = x.map_or(splat(0.0), |w| w[i]);
            let mut out = [0.0f32; LANES];
            for l in 0..LANES {
                let dry = audio(v[l]);
                // A hair below 1, so that factor 3 (three additions of an inexact 1/3) still takes every third
                // frame; the smallest advance, 1/64, is far larger than the tolerance.
                if clock[l] >= 1.0 - 1e-4 {
                    clock[l] -= 1.0;
                    held[l] = dry;
                }
                clock[l] += advance[l];
                let crushed = (held[l] * inv_step[l]).round() * step[l];
                m[l] += mix_step[l];
                out[l] = dry + m[l] * (crushed - dry);
            }
            *frame = out;
        }
        self.held = held;
        self.clock = clock;
        self.mix = mix;
        LaneMask::ALL
    }
}
