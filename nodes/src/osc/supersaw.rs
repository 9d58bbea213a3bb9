//! Supersaw (unison saw): up to eight detuned band-limited saws per voice, spread across the stereo field.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::blep::{BlepRing, BlepTable, table};
use crate::dsp::phasor::{CYCLE, Phasor, Tuning, param, to_i32, unit};
use crate::dsp::{clamp, frames_for, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, MAX_CHUNK, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit, exp2};

/// Parameter indices, in [`SPEC`] order.
const PITCH: usize = SPEC.param_index("pitch");
const FINE: usize = SPEC.param_index("fine");
const LEVEL: usize = SPEC.param_index("level");
const FREQ: usize = SPEC.param_index("freq");
const VOICES: usize = SPEC.param_index("voices");
const DETUNE: usize = SPEC.param_index("detune");
const SPREAD: usize = SPEC.param_index("spread");
const MIX: usize = SPEC.param_index("mix");

/// Most unison saws per voice.
const MAX_SAWS: usize = 8;

/// Where each unison saw starts, in 2⁻³² cycles: spread by the golden ratio so that a note does not start
/// with every saw in phase (which would sound like a flanger sweeping in).
const STARTS: [u32; MAX_SAWS] = {
    let mut s = [0u32; MAX_SAWS];
    let mut i = 0;
    while i < MAX_SAWS {
        s[i] = (i as u32).wrapping_mul(2_654_435_769).wrapping_add(1 << 31);
        i += 1;
    }
    s
};

/// The supersaw's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "supersaw",
    doc: "Unison sawtooth: `voices` saws detuned symmetrically up to ±`detune` cents, panned across ±`spread`, \
          each band-limited with 24-sample windowed-sinc BLEPs. `mix` balances the centre saw against the \
          detuned ones; the sum is scaled so the loudness stays about the same whatever `voices` and `mix`. \
          `out` is the mono sum ((left + right) / 2). Output is delayed by 12 samples.",
    inputs: &[],
    outputs: &[
        super::OUT_PORT,
        PortSpec { name: "left", doc: "audio, left channel, about ±level" },
        PortSpec { name: "right", doc: "audio, right channel, about ±level" },
    ],
    params: &[
        super::PITCH_PARAM,
        super::FINE_PARAM,
        super::LEVEL_PARAM,
        super::FREQ_PARAM,
        ParamSpec::new("voices", "Number of saws, 1..8 (rounded down).", Unit::Linear, 1.0, 8.0, 7.0, 0.0),
        ParamSpec::new(
            "detune",
            "Detune of the outermost saws from the centre, in cents, 0..100; inner ones lie closer (as |position|^1.5) \
             so the saws never all realign.",
            Unit::Cents,
            0.0,
            100.0,
            20.0,
            5.0,
        ),
        ParamSpec::new(
            "spread",
            "Stereo width, 0..1: 0 puts every saw in the centre, 1 pans the outermost hard left and right.",
            Unit::Linear,
            0.0,
            1.0,
            0.8,
            5.0,
        ),
        ParamSpec::new(
            "mix",
            "Balance of the centre saw against the detuned ones, 0..1: 0 centre only, 0.5 equal, 1 detuned only.",
            Unit::Linear,
            0.0,
            1.0,
            0.6,
            5.0,
        ),
    ],
    role: NodeRole::Signal,
    cost: 14.0,
};

/// Per-group state, boxed (about 1.5 KB) so the engine's arena of processors stays small; allocated in
/// `new`, never on the audio thread.
#[derive(Debug)]
pub struct Supersaw(Box<State>);

crate::clone_in_place!(Supersaw { 0 });

/// The centre pitch, a phase per saw and lane, one ring per stereo side, and the saws' layout.
#[derive(Debug)]
struct State {
    phasor: Phasor,
    phases: [[u32; LANES]; MAX_SAWS],
    left: BlepRing,
    right: BlepRing,
    table: &'static BlepTable,
    level: Lanes,
    /// The saws' layout, and the `voices`, `detune`, `spread` and `mix` values it was computed for: only a
    /// change recomputes it (it costs an `exp2` per saw and lane).
    layout: Layout,
    layout_for: [Lanes; 4],
}

crate::clone_in_place!(State { phasor, phases, left, right, table, level, layout, layout_for });

/// The layout of the saws: how many, and per saw and lane their frequency ratios and gains per side.
#[derive(Clone, Debug)]
struct Layout {
    count: usize,
    ratio: [Lanes; MAX_SAWS],
    left: [Lanes; MAX_SAWS],
    right: [Lanes; MAX_SAWS],
}

/// The layout for these `voices`, `detune`, `spread` and `mix` values.
fn layout([voices, detune, spread, mix]: [Lanes; 4]) -> Layout {
    // The loop count is shared by the group: the largest lane's; lanes with fewer saws give the rest gain 0.
    let mut count = 1;
    let mut lay = Layout {
        count: 1,
        ratio: [[1.0; LANES]; MAX_SAWS],
        left: [[0.0; LANES]; MAX_SAWS],
        right: [[0.0; LANES]; MAX_SAWS],
    };
    for l in 0..LANES {
        let n = clamp(voices[l], 1.0, MAX_SAWS as f32) as usize;
        count = count.max(n);
        let detune = clamp(detune[l], 0.0, 100.0);
        let spread = clamp(spread[l], 0.0, 1.0);
        let mix = clamp(mix[l], 0.0, 1.0);
        let mut power = 0.0;
        for v in 0..n {
            // Position −1..1 across the unison; 0 for a single saw.
            let at = if n == 1 { 0.0 } else { 2.0 * v as f32 / (n - 1) as f32 - 1.0 };
            // Detune grows as |at|^1.5 (about the JP-8000's spacing, ±0.19/±0.54/±1 for seven saws): evenly
            // spaced detunes share a common beat and swell together every 1/Δf seconds; these do not.
            let warped = at.signum() * at.abs() * at.abs().sqrt();
            lay.ratio[v][l] = exp2(warped * detune * (1.0 / 1200.0));
            // Centre weight 1 − mix fading to side weight mix towards the edges.
            let gain = (1.0 - mix) * (1.0 - at.abs()) + mix * at.abs();
            // With an even count there is no centre saw: the two middle ones share its weight.
            let gain = if n == 1 { 1.0 } else { gain };
            power += gain * gain;
            let pan = at * spread;
            lay.left[v][l] = gain * (1.0 - pan).min(1.0);
            lay.right[v][l] = gain * (1.0 + pan).min(1.0);
        }
        // Detuned saws add in power; keep the sum near one saw's loudness.
        let norm = 1.0 / power.max(1e-6).sqrt();
        for v in 0..n {
            lay.left[v][l] *= norm;
            lay.right[v][l] *= norm;
        }
    }
    lay.count = count;
    lay
}

impl NodeKind for Supersaw {
    const SPEC: NodeSpec = SPEC;

    /// The band-limiting ring's delay in samples (`dsp::blep::LATENCY`).
    fn latency(_params: &[f32], _connected: &[bool]) -> u32 {
        crate::dsp::blep::LATENCY as u32
    }

    fn heap_bytes(_sizing: &crate::Sizing<'_>) -> usize {
        std::mem::size_of::<State>() + 2 * BlepRing::HEAP_BYTES
    }

    fn new(_sample_rate: f32) -> Self {
        Supersaw(Box::new(State {
            phasor: Phasor::new(0),
            phases: std::array::from_fn(|v| [STARTS[v]; LANES]),
            left: BlepRing::new(),
            right: BlepRing::new(),
            table: table(),
            level: splat(0.0),
            layout: layout([splat(f32::NAN); 4]),
            layout_for: [splat(f32::NAN); 4],
        }))
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        self.0.process(p)
    }
}

impl State {
    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames_for(p, 3);
        if n == 0 {
            return LaneMask::ALL;
        }
        let tuning = Tuning { pitch: PITCH, fine: FINE, freq: Some(FREQ), offset: 0.0 };
        let sweep = self.phasor.begin(p, tuning, n, 0);
        let key = [param(p, VOICES), param(p, DETUNE), param(p, SPREAD), param(p, MIX)];
        if key != self.layout_for {
            self.layout = layout(key);
            self.layout_for = key;
        }
        let lay = self.layout.clone();
        let level_target = param(p, LEVEL);
        let start = p.voice.start;
        for l in 0..LANES {
            if start.contains(l) {
                self.level[l] = level_target[l];
                self.left.clear_lane(l);
                self.right.clear_lane(l);
            }
        }
        let table = self.table;
        let base = self.phasor.inc;
        let mut wraps = [[0u32; LANES]; MAX_CHUNK];
        // The naive saws summed over the whole unison, written into the rings once at the end.
        let mut sum_l = [[0.0; LANES]; MAX_CHUNK];
        let mut sum_r = [[0.0; LANES]; MAX_CHUNK];
        // Saws are computed one after another over the whole call, so each loop is a plain lane loop.
        for v in 0..lay.count {
            let mut phase = self.phases[v];
            let ratio = lay.ratio[v];
            let (gl, gr) = (lay.left[v], lay.right[v]);
            let mut inc_base = base;
            let mut incs = [[0u32; LANES]; MAX_CHUNK];
            let mut nexts = [[0u32; LANES]; MAX_CHUNK];
            for l in 0..LANES {
                if start.contains(l) {
                    // One frame before this saw's start phase, so frame 0 lands on it.
                    let first = base[l].wrapping_add(sweep.inc_step[l]);
                    phase[l] = STARTS[v].wrapping_sub(to_i32(first as i32 as f32 * ratio[l]) as u32);
                }
            }
            for k in 0..n {
                for l in 0..LANES {
                    inc_base[l] = inc_base[l].wrapping_add(sweep.inc_step[l]);
                    let inc = to_i32(inc_base[l] as i32 as f32 * ratio[l]) as u32;
                    let prev = phase[l];
                    let next = prev.wrapping_add(inc);
                    wraps[k][l] = (next < prev) as u32;
                    incs[k][l] = inc;
                    nexts[k][l] = next;
                    let x = 2.0 * unit(next) - 1.0;
                    sum_l[k][l] += gl[l] * x;
                    sum_r[k][l] += gr[l] * x;
                    phase[l] = next;
                }
            }
            for l in 0..LANES {
                if start.contains(l) {
                    // From silence to this saw's start value, with its slope.
                    let x = 2.0 * unit(STARTS[v]) - 1.0;
                    let slope = 2.0 * incs[0][l] as f32 * (1.0 / CYCLE as f32);
                    self.left.step_pair(&mut self.right, table, 0, l, 0.0, gl[l] * x, gr[l] * x);
                    self.left.corner(table, 0, l, 0.0, gl[l] * slope);
                    self.right.corner(table, 0, l, 0.0, gr[l] * slope);
                }
            }
            for l in 0..LANES {
                if start.contains(l) {
                    wraps[0][l] = 0;
                }
            }
            for k in 0..n {
                if wraps[k].iter().fold(0, |any, &w| any | w) == 0 {
                    continue;
                }
                for l in 0..LANES {
                    if wraps[k][l] != 0 {
                        // The wrap happened `phase after / inc` samples before frame k.
                        let d = nexts[k][l] as f32 / incs[k][l].max(1) as f32;
                        self.left.step_pair(&mut self.right, table, k, l, d, -2.0 * gl[l], -2.0 * gr[l]);
                    }
                }
            }
            self.phases[v] = phase;
        }
        for k in 0..n {
            self.left.naive(k, &sum_l[k]);
            self.right.naive(k, &sum_r[k]);
        }
        for l in 0..LANES {
            if start.contains(l) {
                for v in lay.count..MAX_SAWS {
                    self.phases[v][l] = STARTS[v];
                }
            }
        }
        let level_step = ramp::step(&self.level, &level_target, n);
        let mut level = self.level;
        for k in 0..n {
            let (a, b) = (self.left.take(k), self.right.take(k));
            let mut mono = [0.0; LANES];
            let mut left = [0.0; LANES];
            let mut right = [0.0; LANES];
            for l in 0..LANES {
                level[l] += level_step[l];
                left[l] = level[l] * a[l];
                right[l] = level[l] * b[l];
                mono[l] = 0.5 * (left[l] + right[l]);
            }
            p.outputs[0][k] = mono;
            p.outputs[1][k] = left;
            p.outputs[2][k] = right;
        }
        self.left.advance(n);
        self.right.advance(n);
        self.phasor.end(&sweep);
        self.level = level_target;
        LaneMask::ALL
    }
}
