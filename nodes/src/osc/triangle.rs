//! Triangle oscillator, band-limited with windowed-sinc BLAMPs at its corners (the shared core in `osc/core.rs`).

use super::core::{Core, Shape};
use crate::NodeKind;
use crate::context::Process;
use crate::dsp::phasor::unit;
use crate::lanes::{LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec};

/// Phase a voice (and a sync reset) starts at: a quarter cycle, the rising zero crossing.
const START_PHASE: u32 = 1 << 30;

/// The triangle oscillator's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "triangle",
    doc: "Triangle wave following the voice pitch, band-limited with 24-sample windowed-sinc BLAMPs at both \
          corners (and BLEP + BLAMP at sync resets). Odd harmonics falling at 12 dB per octave: softer than a \
          square, brighter than a sine. A voice and every sync reset start at the rising zero crossing. Output \
          is delayed by 12 samples.",
    inputs: &[super::FM_PORT, super::SYNC_PORT],
    outputs: &[super::OUT_PORT],
    params: &[super::PITCH_PARAM, super::FINE_PARAM, super::LEVEL_PARAM, super::FREQ_PARAM, super::FM_DEPTH_PARAM],
    role: NodeRole::Signal,
    cost: 8.0,
};

/// The naive triangle: −1 at phase 0, +1 at half a cycle, straight lines between.
pub(crate) struct Tri;

impl Shape for Tri {
    const EDGES: usize = 2;
    #[inline(always)]
    fn value(phase: u32, _: f32) -> f32 {
        1.0 - 4.0 * (unit(phase) - 0.5).abs()
    }
    #[inline(always)]
    fn slope(phase: u32, _: f32) -> f32 {
        if phase < 1 << 31 { 4.0 } else { -4.0 }
    }
    #[inline(always)]
    fn edge(i: usize, _: f32) -> (u32, f32, f32) {
        if i == 0 { (0, 0.0, 8.0) } else { (1 << 31, 0.0, -8.0) }
    }
    #[inline(always)]
    fn region(phase: u32, _: f32) -> bool {
        phase >= 1 << 31
    }
}

/// Per-group state: the shared oscillator core and the level reached at the end of the last call.
#[derive(Debug)]
pub struct Triangle {
    core: Core,
    level: Lanes,
}

crate::clone_in_place!(Triangle { core, level });

impl NodeKind for Triangle {
    const SPEC: NodeSpec = SPEC;

    /// The band-limiting ring's delay in samples (`dsp::blep::LATENCY`).
    fn latency(_params: &[f32], _connected: &[bool]) -> u32 {
        crate::dsp::blep::LATENCY as u32
    }

    fn heap_bytes(_sizing: &crate::Sizing<'_>) -> usize {
        Core::HEAP_BYTES
    }

    fn new(_sample_rate: f32) -> Self {
        Triangle { core: Core::new(START_PHASE), level: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        super::core::run_standard::<Tri>(&mut self.core, &mut self.level, p)
    }
}
