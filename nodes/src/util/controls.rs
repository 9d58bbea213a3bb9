//! The shared controllers as signals: mod wheel, pitch bend and channel pressure.

use crate::NodeKind;
use crate::context::Process;
use crate::dsp::{clamp, frames_for};
use crate::lanes::{LaneMask, Lanes, splat};
use crate::spec::{NodeRole, NodeSpec, PortSpec};
use crate::util::fill_ramp;

/// The controller source's declaration.
pub const SPEC: NodeSpec = NodeSpec {
    kind: "controls",
    doc: "The controllers every voice shares, as signals (the same values are modulation sources by name: \
          `modwheel`, `bend`, `pressure`). The engine smooths them; this node ramps across each control period \
          so they never step.",
    inputs: &[],
    outputs: &[
        PortSpec { name: "modwheel", doc: "mod wheel (CC 1), 0..1" },
        PortSpec { name: "bend", doc: "pitch-bend lever, −1..1 (the voice pitch already includes the bend)" },
        PortSpec { name: "pressure", doc: "channel pressure (aftertouch), 0..1" },
    ],
    params: &[],
    role: NodeRole::Signal,
    cost: 0.6,
};

/// How many outputs there are.
const OUTPUTS: usize = 3;

/// Per-group state: each output's value at the end of the last call, for ramping; `None` before the first.
/// Created off the audio thread ([`NodeKind::new`]), processed on it.
#[derive(Clone, Debug)]
pub struct ControlSignals {
    last: Option<[Lanes; OUTPUTS]>,
}

impl NodeKind for ControlSignals {
    const SPEC: NodeSpec = SPEC;

    fn new(_sample_rate: f32) -> Self {
        ControlSignals { last: None }
    }

    fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
        let n = frames_for(p, OUTPUTS);
        let c = p.voice.controls;
        let now = [
            splat(clamp(c.mod_wheel, 0.0, 1.0)),
            splat(clamp(c.bend, -1.0, 1.0)),
            splat(clamp(c.channel_pressure, 0.0, 1.0)),
        ];
        let last = self.last.unwrap_or(now);
        for (o, out) in p.outputs.iter_mut().take(OUTPUTS).enumerate() {
            fill_ramp(&mut out[..n], &last[o], &now[o]);
        }
        self.last = Some(now);
        LaneMask::ALL
    }
}
