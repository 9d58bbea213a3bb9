//! Crossfader: blends two signals by one `mix` amount, linearly or at equal power.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::approx::sin_turns;
use crate::dsp::guard::audio;
use crate::dsp::phasor::param;
use crate::dsp::{clamp, frames, input, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

const MIX: usize = SPEC.param_index("mix");
const CURVE: usize = SPEC.param_index("curve");

/// The crossfader's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "crossfade",
    doc: "Blends `a` into `b`: `mix` 0 is all `a`, 1 all `b`. The `linear` curve sums gains to 1 (right for \
          correlated signals: two takes of one sound); `equal_power` uses cos/sin gains whose squares sum to 1, so \
          two unrelated signals keep their loudness through the middle (−3 dB each at 0.5). Mix changes ramp \
          across each call. Unconnected inputs are silent.",
    inputs: &[
        PortSpec { name: "a", doc: "audio or control, heard at mix 0" },
        PortSpec { name: "b", doc: "audio or control, heard at mix 1" },
    ],
    outputs: &[PortSpec { name: "out", doc: "the blend, same range as the inputs" }],
    params: &[
        ParamSpec::new("mix", "Position from `a` (0) to `b` (1).", Unit::Linear, 0.0, 1.0, 0.5, 5.0),
        ParamSpec::choice("curve", "Gain law: `linear` or `equal_power`.", &["linear", "equal_power"], 1),
    ],
    role: NodeRole::Signal,
    cost: 4.0,
};

/// Per-group state: the mix reached at the end of the last call, for ramping.
/// Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Clone, Debug)]
pub struct Crossfade {
    mix: Lanes,
}

impl NodeKind for Crossfade {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        Crossfade { mix: splat(0.5) }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames(p);
        let mut target = param(p, MIX);
        let curve = param(p, CURVE);
        let mut power = [false; LANES];
        for l in 0..LANES {
            target[l] = clamp(target[l], 0.0, 1.0);
            power[l] = curve[l] >= 0.5;
            if p.voice.start.contains(l) || !self.mix[l].is_finite() {
                self.mix[l] = target[l];
            }
        }
        let step = ramp::step(&self.mix, &target, n);
        let (a, b) = (input(p, 0, n), input(p, 1, n));
        let mut mix = self.mix;
        for (i, frame) in p.outputs[0][..n].iter_mut().enumerate() {
            let (x, y) = (a.map_or(splat(0.0), |w| w[i]), b.map_or(splat(0.0), |w| w[i]));
            let mut out = [0.0; LANES];
            for l in 0..LANES {
                mix[l] += step[l];
                let m = clamp(mix[l], 0.0, 1.0);
                // Equal power: cos(πm/2) and sin(πm/2), as quarter turns.
                let (ga, gb) = if power[l] { (sin_turns(0.25 * (1.0 - m)), sin_turns(0.25 * m)) } else { (1.0 - m, m) };
                out[l] = audio(x[l]) * ga + audio(y[l]) * gb;
            }
            *frame = out;
        }
        self.mix = target;
        LaneMask::ALL
    }
}
