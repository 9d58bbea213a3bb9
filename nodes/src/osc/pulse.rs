//! Pulse oscillator with pulse-width modulation, band-limited with windowed-sinc BLEPs on both edges.

use super::core::{Core, Mods, Shape};
use crate::NodeKind;
use crate::context::Process;
use crate::dsp::phasor::{CYCLE, Tuning, param, unit};
use crate::dsp::{clamp, frames, input, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, MAX_CHUNK, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Parameter indices, in [`SPEC`] order.
const PITCH: usize = SPEC.param_index("pitch");
const FINE: usize = SPEC.param_index("fine");
const WIDTH: usize = SPEC.param_index("width");
const LEVEL: usize = SPEC.param_index("level");
const FREQ: usize = SPEC.param_index("freq");
const FM_DEPTH: usize = SPEC.param_index("fm_depth");
/// Input indices.
const FM: usize = SPEC.input_index("fm");
const SYNC: usize = SPEC.input_index("sync");
const PWM: usize = SPEC.input_index("pwm");

/// Narrowest and widest duty cycle.
const MIN_WIDTH: f32 = 0.02;
const MAX_WIDTH: f32 = 0.98;
/// Fastest width change, in cycles per sample: a `pwm` jump from one extreme to the other takes 20 samples, so
/// the falling edge never jumps past the phase in a way pass 2 could misread.
const MAX_WIDTH_SLEW: f32 = 0.05;

/// The pulse oscillator's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "pulse",
    doc: "Pulse wave following the voice pitch: +level for the first `width` of each cycle, −level for the rest, \
          band-limited with 24-sample windowed-sinc BLEPs on both edges at every width, also while the width \
          moves. Not DC-free: its mean is (2·width − 1)·level. A voice starts on the rising edge. Output is \
          delayed by 12 samples.",
    inputs: &[
        super::FM_PORT,
        super::SYNC_PORT,
        PortSpec {
            name: "pwm",
            doc: "width modulation, added to `width` per sample (±0.5 sweeps most of the range); the width \
                  follows at up to 0.05 per sample",
        },
    ],
    outputs: &[super::OUT_PORT],
    params: &[
        super::PITCH_PARAM,
        super::FINE_PARAM,
        ParamSpec::new(
            "width",
            "Fraction of the cycle spent high (duty cycle), 0.02..0.98; 0.5 is a square.",
            Unit::Linear,
            MIN_WIDTH,
            MAX_WIDTH,
            0.5,
            5.0,
        ),
        super::LEVEL_PARAM,
        super::FREQ_PARAM,
        super::FM_DEPTH_PARAM,
    ],
    role: NodeRole::Signal,
    cost: 12.0,
};

/// The naive pulse: +1 below `aux` (the width, in cycles), −1 from there to the end of the cycle.
pub(crate) struct Rect;

impl Shape for Rect {
    const EDGES: usize = 2;
    #[inline(always)]
    fn value(phase: u32, width: f32) -> f32 {
        if unit(phase) < width { 1.0 } else { -1.0 }
    }
    #[inline(always)]
    fn slope(_: u32, _: f32) -> f32 {
        0.0
    }
    #[inline(always)]
    fn edge(i: usize, width: f32) -> (u32, f32, f32) {
        if i == 0 { (0, 2.0, 0.0) } else { ((width as f64 * CYCLE) as u32, -2.0, 0.0) }
    }
    #[inline(always)]
    fn region(phase: u32, width: f32) -> bool {
        unit(phase) >= width
    }
}

/// Per-group state: the shared oscillator core, and the width (before `pwm`), width (after `pwm`) and level
/// reached at the end of the last call.
#[derive(Debug)]
pub struct Pulse {
    core: Core,
    width: Lanes,
    shaped: Lanes,
    level: Lanes,
}

crate::clone_in_place!(Pulse { core, width, shaped, level });

impl NodeKind for Pulse {
    const SPEC: NodeSpec = SPEC;

    /// The band-limiting ring's delay in samples (`dsp::blep::LATENCY`).
    fn latency(_params: &[f32], _connected: &[bool]) -> u32 {
        crate::dsp::blep::LATENCY as u32
    }

    fn heap_bytes(_sizing: &crate::Sizing<'_>) -> usize {
        Core::HEAP_BYTES
    }

    fn new(_sample_rate: f32) -> Self {
        Pulse { core: Core::new(0), width: splat(0.5), shaped: splat(0.5), level: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let (from, to) = super::core::level_ramp(&mut self.level, p, LEVEL);
        let mut width_target = param(p, WIDTH);
        for l in 0..LANES {
            width_target[l] = clamp(width_target[l], MIN_WIDTH, MAX_WIDTH);
            if p.voice.start.contains(l) {
                self.width[l] = width_target[l];
                self.shaped[l] = width_target[l];
            }
        }
        let width_step = ramp::step(&self.width, &width_target, n);
        let pwm = input(p, PWM, n);
        let mut aux = [[0.0; LANES]; MAX_CHUNK];
        let mut width = self.width;
        let mut shaped = self.shaped;
        for k in 0..n {
            for l in 0..LANES {
                width[l] += width_step[l];
                let wanted = width[l] + pwm.map_or(0.0, |w| w[k][l]);
                let wanted = clamp(wanted, MIN_WIDTH, MAX_WIDTH);
                shaped[l] = clamp(wanted, shaped[l] - MAX_WIDTH_SLEW, shaped[l] + MAX_WIDTH_SLEW);
                aux[k][l] = shaped[l];
            }
        }
        let tuning = Tuning { pitch: PITCH, fine: FINE, freq: Some(FREQ), offset: 0.0 };
        let mods = Mods { fm: FM, fm_depth: FM_DEPTH, sync: SYNC };
        let out = std::mem::take(&mut p.outputs[0]);
        self.core.run::<Rect>(p, tuning, Some(mods), &aux[..n], &from, &to, &mut out[..n], false);
        p.outputs[0] = out;
        self.width = width_target;
        self.shaped = shaped;
        LaneMask::ALL
    }
}
