//! Sawtooth oscillator, band-limited with windowed-sinc BLEPs (the shared core in `osc/core.rs`).

use super::core::{Core, Mods, Shape};
use crate::NodeKind;
use crate::context::Process;
use crate::dsp::frames;
use crate::dsp::phasor::{Tuning, param, unit};
use crate::lanes::{LANES, LaneMask, Lanes, MAX_CHUNK, splat};
use crate::spec::{NodeRole, NodeSpec};

/// Parameter indices, in [`SPEC`] order.
const PITCH: usize = 0;
const FINE: usize = 1;
const LEVEL: usize = 2;
const FREQ: usize = 3;
const FM_DEPTH: usize = 4;
/// Input indices.
const FM: usize = 0;
const SYNC: usize = 1;

/// Phase a fresh voice (and a sync reset) starts at: half a cycle, where the ramp crosses zero, so a note
/// starts without a step.
const START_PHASE: u32 = 1 << 31;

/// The sawtooth oscillator's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "saw",
    doc: "Rising sawtooth following the voice pitch, band-limited with 24-sample windowed-sinc BLEPs (aliasing \
          at least 60 dB down up to 2 kHz at 48 kHz). A voice and every sync reset start at the ramp's zero \
          crossing. Output is delayed by 12 samples.",
    inputs: &[super::FM_PORT, super::SYNC_PORT],
    outputs: &[super::OUT_PORT],
    params: &[super::PITCH_PARAM, super::FINE_PARAM, super::LEVEL_PARAM, super::FREQ_PARAM, super::FM_DEPTH_PARAM],
    role: NodeRole::Signal,
};

/// The naive rising ramp, −1 at phase 0 to +1 at the end of the cycle.
pub(crate) struct Ramp;

impl Shape for Ramp {
    const EDGES: usize = 1;
    #[inline(always)]
    fn value(phase: u32, _: f32) -> f32 {
        2.0 * unit(phase) - 1.0
    }
    #[inline(always)]
    fn slope(_: u32, _: f32) -> f32 {
        2.0
    }
    #[inline(always)]
    fn edge(_: usize, _: f32) -> (u32, f32, f32) {
        (0, -2.0, 0.0)
    }
    #[inline(always)]
    fn region(_: u32, _: f32) -> bool {
        false
    }
}

/// Per-group state: the shared oscillator core and the level reached at the end of the last call.
#[derive(Debug)]
pub struct Saw {
    core: Core,
    level: Lanes,
}

crate::clone_in_place!(Saw { core, level });

impl NodeKind for Saw {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Saw { core: Core::new(START_PHASE), level: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let level_target = param(p, LEVEL);
        for l in 0..LANES {
            if p.voice.start.contains(l) {
                self.level[l] = level_target[l];
            }
        }
        let tuning = Tuning { pitch: PITCH, fine: FINE, freq: Some(FREQ), offset: 0.0 };
        let mods = Mods { fm: FM, fm_depth: FM_DEPTH, sync: SYNC };
        let aux = [[0.0; LANES]; MAX_CHUNK];
        let (from, to) = (self.level, level_target);
        let out = std::mem::take(&mut p.outputs[0]);
        self.core.run::<Ramp>(p, tuning, Some(mods), &aux[..n], &from, &to, &mut out[..n], false);
        p.outputs[0] = out;
        self.level = level_target;
        LaneMask::ALL
    }
}
