//! Sawtooth oscillator, band-limited with windowed-sinc BLEPs (the shared core in `osc/core.rs`).

use super::core::{Core, Shape};
use crate::NodeKind;
use crate::context::Process;
use crate::dsp::phasor::unit;
use crate::lanes::{LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec};

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
    cost: 10.0,
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

    /// The band-limiting ring's delay in samples (`dsp::blep::LATENCY`).
    fn latency(_params: &[f32], _connected: &[bool]) -> u32 {
        crate::dsp::blep::LATENCY as u32
    }

    fn heap_bytes(_sizing: &crate::Sizing<'_>) -> usize {
        Core::HEAP_BYTES
    }

    fn new(_sample_rate: f32) -> Self {
        Saw { core: Core::new(START_PHASE), level: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        super::core::run_standard::<Ramp>(&mut self.core, &mut self.level, p)
    }
}
