//! Sine oscillator: a pure tone that follows the voice's pitch, with linear FM, phase modulation and hard sync.

use super::core::{Core, Mods, Shape};
use crate::NodeKind;
use crate::context::Process;
use crate::dsp::approx::sin_turns;
use crate::dsp::phasor::{Tuning, signed, to_i32};
use crate::dsp::{clamp, frames, input};
use crate::lanes::{LANES, LaneMask, Lanes, MAX_CHUNK, splat};
use crate::spec::{NodeRole, NodeSpec, PortSpec};

/// Parameter indices, in [`SPEC`] order.
const PITCH: usize = SPEC.param_index("pitch");
const FINE: usize = SPEC.param_index("fine");
const LEVEL: usize = SPEC.param_index("level");
const FREQ: usize = SPEC.param_index("freq");
const FM_DEPTH: usize = SPEC.param_index("fm_depth");
/// Input indices.
const FM: usize = SPEC.input_index("fm");
const SYNC: usize = SPEC.input_index("sync");
const PM: usize = SPEC.input_index("pm");

/// Largest phase modulation honoured, in cycles; beyond it (or for NaN) the offset is clamped.
const MAX_PM: f32 = 1000.0;

/// The sine oscillator's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "sine",
    doc: "Sine oscillator following the voice pitch. Phase starts at 0 when a voice starts. With `sync` \
          connected the reset is band-limited and the output is delayed by 12 samples like the other \
          band-limited oscillators; otherwise it has no delay.",
    inputs: &[
        super::FM_PORT,
        super::SYNC_PORT,
        PortSpec { name: "pm", doc: "phase modulation in cycles (1.0 = one full turn), added per sample" },
    ],
    outputs: &[super::OUT_PORT],
    params: &[super::PITCH_PARAM, super::FINE_PARAM, super::LEVEL_PARAM, super::FREQ_PARAM, super::FM_DEPTH_PARAM],
    role: NodeRole::Signal,
    cost: 12.0,
};

/// `sin(2π(phase + aux))`: a sine whose phase is offset by `aux` cycles (the `pm` input's fractional part,
/// `(−1, 1)`).
pub(crate) struct Sinusoid;

/// `offset` cycles (`|offset| < 1`) in phase units: through `i32`, which SIMD converts to natively.
#[inline(always)]
fn offset_phase(offset: f32) -> u32 {
    (to_i32(offset * 2_147_483_648.0) as u32) << 1
}

impl Shape for Sinusoid {
    const EDGES: usize = 0;
    #[inline(always)]
    fn value(phase: u32, offset: f32) -> f32 {
        sin_turns(signed(phase.wrapping_add(offset_phase(offset))))
    }
    #[inline(always)]
    fn slope(phase: u32, offset: f32) -> f32 {
        std::f32::consts::TAU * sin_turns(signed(phase.wrapping_add(offset_phase(offset)).wrapping_add(1 << 30)))
    }
    #[inline(always)]
    fn edge(_: usize, _: f32) -> (u32, f32, f32) {
        (0, 0.0, 0.0)
    }
    #[inline(always)]
    fn region(_: u32, _: f32) -> bool {
        false
    }
}

/// `sin(2π·phase)`: [`Sinusoid`] without the phase offset, for when `pm` is unconnected (a few operations
/// cheaper per sample on the most common oscillator).
pub(crate) struct PlainSine;

impl Shape for PlainSine {
    const EDGES: usize = 0;
    #[inline(always)]
    fn value(phase: u32, _: f32) -> f32 {
        sin_turns(signed(phase))
    }
    #[inline(always)]
    fn slope(phase: u32, _: f32) -> f32 {
        std::f32::consts::TAU * sin_turns(signed(phase.wrapping_add(1 << 30)))
    }
    #[inline(always)]
    fn edge(_: usize, _: f32) -> (u32, f32, f32) {
        (0, 0.0, 0.0)
    }
    #[inline(always)]
    fn region(_: u32, _: f32) -> bool {
        false
    }
}

/// Per-group state: the shared oscillator core and the level reached at the end of the last call.
///
/// The waveform is a degree-9 polynomial (error below 2.5e-7, at f32 rounding), so a call costs a handful of
/// multiply-adds per voice-sample and vectorises across the eight lanes.
#[derive(Debug)]
pub struct Sine {
    core: Core,
    level: Lanes,
}

crate::clone_in_place!(Sine { core, level });

impl NodeKind for Sine {
    const SPEC: NodeSpec = SPEC;

    /// None when free-running (the sine is written directly); the band-limiting ring's delay when `sync` is
    /// connected, because a synced sine has steps.
    fn latency(_params: &[f32], connected: &[bool]) -> u32 {
        if connected.get(SYNC).copied().unwrap_or(false) { crate::dsp::blep::LATENCY as u32 } else { 0 }
    }

    fn heap_bytes(_sizing: &crate::Sizing<'_>) -> usize {
        Core::HEAP_BYTES
    }

    fn new(_sample_rate: f32) -> Self {
        Sine { core: Core::new(0), level: splat(0.0) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let (from, to) = super::core::level_ramp(&mut self.level, p, LEVEL);
        let direct = input(p, SYNC, n).is_none();
        let tuning = Tuning { pitch: PITCH, fine: FINE, freq: Some(FREQ), offset: 0.0 };
        let mods = Mods { fm: FM, fm_depth: FM_DEPTH, sync: SYNC };
        let out = std::mem::take(&mut p.outputs[0]);
        let mut aux = [[0.0; LANES]; MAX_CHUNK];
        if let Some(pm) = input(p, PM, n) {
            for k in 0..n {
                for l in 0..LANES {
                    // Only the fractional part matters; NaN lands on −MAX_PM, a whole number of cycles.
                    let x = clamp(pm[k][l], -MAX_PM, MAX_PM);
                    aux[k][l] = x - to_i32(x) as f32;
                }
            }
            self.core.run::<Sinusoid>(p, tuning, Some(mods), &aux[..n], &from, &to, &mut out[..n], direct);
        } else {
            self.core.run::<PlainSine>(p, tuning, Some(mods), &aux[..n], &from, &to, &mut out[..n], direct);
        }
        p.outputs[0] = out;
        LaneMask::ALL
    }
}
