//! The schedule's invariants, checked: what the audio thread's unchecked code relies on.
//!
//! The engine builds shared and mutable slices of one wire-buffer pool from raw pointers (`play/wires.rs`,
//! the only place it does), and indexes parameter, route, feedback and state tables without bounds
//! checks it could report. That is sound only if the compiler produced a schedule in which every index is in
//! bounds and no op writes a buffer it also reads or writes twice. [`Schedule::check`] proves exactly that, in
//! time linear in the schedule's size, at the end of every compile (off the audio thread); a schedule that
//! fails it is never played.

use ferrule_nodes::{MAX_INPUTS, registry};

use crate::play::globals;
use crate::schedule::{CHUNK, Input, Op, RouteSource, Schedule};

impl Schedule {
    /// Checks every invariant the audio thread relies on: every buffer, feedback slot, node, parameter,
    /// route and global index in bounds; within each op, output buffers distinct from each other and from
    /// every input buffer; state for every node and group, of the node's kind; tables the lengths the engine
    /// assumes. Returns the first violation found, in words. O(ops + params + routes). Any thread but audio
    /// (the compiler calls it on every schedule it makes).
    pub fn check(&self) -> Result<(), String> {
        let buffers = self.buffers.len() / CHUNK;
        let feedback_slots = if self.groups == 0 { 0 } else { self.feedback.len() / (CHUNK * self.groups) };
        let buffer = |b: u16, what: &str| -> Result<(), String> {
            if (b as usize) < buffers && self.buffers.len() % CHUNK == 0 {
                Ok(())
            } else {
                Err(format!("{what} reads or writes buffer {b} of {buffers}"))
            }
        };
        let slot = |s: u16, what: &str| -> Result<(), String> {
            if (s as usize) < feedback_slots && self.feedback.len() == feedback_slots * self.groups * CHUNK {
                Ok(())
            } else {
                Err(format!("{what} uses feedback slot {s} of {feedback_slots}"))
            }
        };
        let range = |r: &std::ops::Range<u32>, len: usize, what: &str| -> Result<(), String> {
            if r.start <= r.end && r.end as usize <= len { Ok(()) } else { Err(format!("{what} spans {r:?} of {len}")) }
        };

        let most_slots = (crate::patch::model::MAX_POLYPHONY as usize).div_ceil(ferrule_nodes::LANES) + 1;
        if self.groups == 0 || self.groups > most_slots {
            return Err(format!("{} lane groups", self.groups));
        }
        if self.processors.len() != self.groups * self.nodes.len() {
            return Err(format!(
                "{} processors for {} groups of {} nodes",
                self.processors.len(),
                self.groups,
                self.nodes.len()
            ));
        }
        for (i, p) in self.processors.iter().enumerate() {
            let node = &self.nodes[i % self.nodes.len()];
            if p.kind() != node.kind {
                return Err(format!("state {i} is not of node `{}`'s kind", node.id));
            }
        }
        if self.param_values.len() != self.params.len() {
            return Err(format!("{} parameter values for {} parameters", self.param_values.len(), self.params.len()));
        }
        for (i, p) in self.params.iter().enumerate() {
            range(&p.routes, self.routes.len(), &format!("parameter {i}'s routes"))?;
        }
        for &r in &self.routed {
            if r as usize >= self.params.len() || self.params[r as usize].routes.is_empty() {
                return Err(format!("routed parameter {r} has no routes or is out of {}", self.params.len()));
            }
        }
        for (i, route) in self.routes.iter().enumerate() {
            match route.source {
                RouteSource::Buffer(b) => buffer(b, &format!("route {i}"))?,
                RouteSource::Feedback(s) => slot(s, &format!("route {i}"))?,
                RouteSource::Global(g) if g as usize >= globals::COUNT => {
                    return Err(format!("route {i} reads global {g} of {}", globals::COUNT));
                }
                _ => {}
            }
        }
        for node in &self.nodes {
            range(&node.params, self.params.len(), &format!("`{}`'s parameters", node.id))?;
            range(&node.routed, self.routed.len(), &format!("`{}`'s routed parameters", node.id))?;
            if (node.params.end - node.params.start) as usize != registry::spec(node.kind).params.len() {
                return Err(format!("`{}` has the wrong number of parameters", node.id));
            }
        }
        if self.effect_processors.len() != self.effects.len() || self.bus.len() != 2 * CHUNK {
            return Err(format!("{} effect states for {} effects", self.effect_processors.len(), self.effects.len()));
        }
        for (effect, p) in self.effects.iter().zip(&self.effect_processors) {
            range(&effect.params, self.params.len(), &format!("effect `{}`'s parameters", effect.id))?;
            range(&effect.routed, self.routed.len(), &format!("effect `{}`'s routed parameters", effect.id))?;
            if p.kind() != effect.kind {
                return Err(format!("effect `{}`'s state is of another kind", effect.id));
            }
        }
        for op in &self.ops {
            match *op {
                Op::Node { node, inputs, outputs, output_count, .. } => {
                    let Some(entry) = self.nodes.get(node as usize) else {
                        return Err(format!("an op runs node {node} of {}", self.nodes.len()));
                    };
                    let what = format!("`{}`", entry.id);
                    let spec = registry::spec(entry.kind);
                    if output_count as usize != spec.outputs.len() || spec.inputs.len() > MAX_INPUTS {
                        return Err(format!("{what} has {output_count} outputs, its kind {}", spec.outputs.len()));
                    }
                    let outputs = &outputs[..output_count as usize];
                    for (k, &out) in outputs.iter().enumerate() {
                        buffer(out, &what)?;
                        if outputs[..k].contains(&out) {
                            return Err(format!("{what} writes buffer {out} twice"));
                        }
                    }
                    for input in &inputs[..spec.inputs.len()] {
                        match *input {
                            Input::None => {}
                            Input::Buffer(b) => {
                                buffer(b, &what)?;
                                if outputs.contains(&b) {
                                    return Err(format!("{what} reads buffer {b}, which it writes"));
                                }
                            }
                            Input::Feedback(s) => slot(s, &what)?,
                        }
                    }
                }
                Op::StoreFeedback { from, slot: s } => {
                    buffer(from, "a feedback store")?;
                    slot(s, "a feedback store")?;
                }
            }
        }
        for &b in &self.output {
            buffer(b, "the voice output")?;
        }
        for &n in &self.voice_envelopes {
            if n as usize >= self.nodes.len() {
                return Err(format!("voice envelope {n} of {} nodes", self.nodes.len()));
            }
        }
        if self.exposed_slots.len() != self.exposed.len()
            || self.exposed_slots.iter().any(|&s| s != u32::MAX && s as usize >= self.params.len())
        {
            return Err("an exposed parameter's slot is out of bounds".into());
        }
        if self.node_keys.len() != self.nodes.len()
            || self.node_keys.windows(2).any(|w| w[0] > w[1])
            || self.node_keys.iter().any(|&(_, n)| n as usize >= self.nodes.len())
        {
            return Err("the node key table is not sorted or indexes outside the nodes".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::compile::CompileSettings;
    use crate::patch::PatchSource;
    use crate::schedule::{Input, Op};

    fn schedule() -> crate::Schedule {
        let text = r#"(
            version: 1,
            nodes: {
                "a": (kind: "saw"), "b": (kind: "saw"), "mix": (kind: "mixer"),
                "f": (kind: "svf"), "env": (kind: "adsr"), "amp": (kind: "vca"),
            },
            connections: [("a", "mix.in1"), ("b", "mix.in2"), ("mix", "f.in"), ("f.lp", "amp.in"), ("env", "amp.cv")],
            modulations: [(from: "env", to: "f.cutoff", depth: 2.0)],
            output: Mono("amp.out"),
        )"#;
        crate::compile(&PatchSource { path: "p.ron".into(), text: text.into() }, &CompileSettings::default()).unwrap()
    }

    #[test]
    fn a_compiled_schedule_passes() {
        assert_eq!(schedule().check(), Ok(()));
    }

    #[test]
    fn aliasing_and_out_of_bounds_buffers_are_caught() {
        // An op reading the buffer it writes.
        let mut s = schedule();
        let op = s.ops.iter_mut().find(|op| matches!(op, Op::Node { inputs, .. } if inputs[0] != Input::None));
        let Some(Op::Node { inputs, outputs, .. }) = op else { panic!("an op with an input") };
        inputs[0] = Input::Buffer(outputs[0]);
        assert!(s.check().unwrap_err().contains("which it writes"), "{:?}", s.check());

        // A buffer past the pool.
        let mut s = schedule();
        let Some(Op::Node { outputs, .. }) = s.ops.first_mut() else { panic!("ops") };
        outputs[0] = 999;
        assert!(s.check().unwrap_err().contains("buffer 999"), "{:?}", s.check());

        // A route into a parameter that does not exist.
        let mut s = schedule();
        s.routed.push(10_000);
        assert!(s.check().is_err());

        // A node's state of the wrong kind.
        let mut s = schedule();
        s.processors.swap(0, 2);
        assert!(s.check().unwrap_err().contains("kind"), "{:?}", s.check());
    }
}
