//! Lowering: a validated, ordered patch becomes a flat [`Schedule`] with every buffer allocated.

use rustc_hash::FxHashMap as HashMap;

use ferrule_nodes::memory::resident_vec;
use ferrule_nodes::{LANES, Lanes, MAX_INPUTS, MAX_OUTPUTS, Processor, Sizing, registry};

use crate::compile::CompileSettings;
use crate::compile::budget::{self, Estimate, Tables};
use crate::compile::buffers::{Step, colour};
use crate::compile::graph::{Incoming, voice_envelopes};
use crate::compile::resolved::{ModSource, PortRef, ResolvedPatch};
use crate::diagnostics::Diagnostic;
use crate::patch::model::VoiceMode;
use crate::play::globals;
use crate::schedule::{
    BufferId, CHUNK, EffectEntry, Input, MacroInfo, NodeEntry, Op, ParamSlot, Route, RouteSource, Schedule, VoiceConfig,
};

/// Builds the schedule for `patch`, running the nodes in `order` (live nodes, sources first), or refuses it
/// when it would hold more memory or take more CPU than `settings.budget` allows (before allocating either).
pub(crate) fn lower(
    patch: &ResolvedPatch,
    order: &[usize],
    settings: &CompileSettings,
) -> Result<Schedule, Vec<Diagnostic>> {
    let sample_rate = settings.sample_rate;
    // Schedule node index of each patch node (only live nodes are kept, in patch order).
    let mut index_of = vec![u32::MAX; patch.nodes.len()];
    let mut kept: Vec<usize> = order.to_vec();
    kept.sort_unstable();
    for (i, &n) in kept.iter().enumerate() {
        index_of[n] = i as u32;
    }

    // Wires: one per output port of each live node.
    let mut wire_of: HashMap<PortRef, usize> = HashMap::default();
    for &n in order {
        for port in 0..registry::spec(patch.nodes[n].kind).outputs.len() {
            let next = wire_of.len();
            wire_of.insert(PortRef { node: n, port }, next);
        }
    }

    // Feedback slots: one per output read through a feedback connection or route.
    let mut feedback_slot: HashMap<PortRef, u16> = HashMap::default();
    let feedback_sources = patch.connections.iter().filter(|c| c.feedback).map(|c| c.from).chain(
        patch.modulations.iter().filter(|r| r.feedback).filter_map(|r| match r.source {
            ModSource::Node(p) => Some(p),
            _ => None,
        }),
    );
    for port in feedback_sources {
        if wire_of.contains_key(&port) {
            let next = feedback_slot.len() as u16;
            feedback_slot.entry(port).or_insert(next);
        }
    }

    // Steps for buffer colouring, mirroring the ops below one for one.
    let incoming = Incoming::new(patch);
    let mut steps = Vec::new();
    for &n in order {
        let mut step = Step::default();
        for c in incoming.connections(n).filter(|c| !c.feedback) {
            step.reads.push(wire_of[&c.from]);
        }
        for r in incoming.routes(n).filter(|r| !r.feedback) {
            if let ModSource::Node(p) = r.source {
                step.reads.push(wire_of[&p]);
            }
        }
        let outputs = registry::spec(patch.nodes[n].kind).outputs.len();
        step.writes = (0..outputs).map(|port| wire_of[&PortRef { node: n, port }]).collect();
        steps.push(step);
        for port in 0..outputs {
            if feedback_slot.contains_key(&PortRef { node: n, port }) {
                steps.push(Step { reads: vec![wire_of[&PortRef { node: n, port }]], writes: vec![] });
            }
        }
    }
    let pinned: Vec<usize> = patch.output.iter().map(|p| wire_of[p]).collect();
    let (buffer_of, buffer_count) = colour(&steps, wire_of.len(), &pinned);
    let buffer = |p: &PortRef| buffer_of[wire_of[p]];

    // Ops.
    let mut ops = Vec::with_capacity(steps.len());
    for &n in order {
        let spec = registry::spec(patch.nodes[n].kind);
        let mut inputs = [Input::None; MAX_INPUTS];
        for c in incoming.connections(n) {
            inputs[c.to.port] = match c.feedback {
                false => Input::Buffer(buffer(&c.from)),
                true => feedback_slot.get(&c.from).map_or(Input::None, |&s| Input::Feedback(s)),
            };
        }
        let mut outputs = [BufferId::MAX; MAX_OUTPUTS];
        for (port, out) in outputs.iter_mut().enumerate().take(spec.outputs.len()) {
            *out = buffer(&PortRef { node: n, port });
        }
        // Control-rate outputs: routes read a wire's last frame only, so an output no connection and not the voice
        // output reads needs just that frame.
        let mut last_only = 0u8;
        for port in 0..spec.outputs.len() {
            let p = PortRef { node: n, port };
            if !patch.connections.iter().any(|c| c.from == p) && !patch.output.contains(&p) {
                last_only |= 1 << port;
            }
        }
        let output_count = spec.outputs.len() as u8;
        ops.push(Op::Node { node: index_of[n], inputs, outputs, output_count, last_only });
        for port in 0..spec.outputs.len() {
            let p = PortRef { node: n, port };
            if let Some(&slot) = feedback_slot.get(&p) {
                ops.push(Op::StoreFeedback { from: buffer(&p), slot });
            }
        }
    }

    // Parameters and their routes, node after node.
    let mut nodes = Vec::with_capacity(kept.len());
    let mut effects = Vec::new();
    let mut params = Vec::new();
    let mut routes = Vec::new();
    let mut routed = Vec::new();
    let effect_nodes: Vec<usize> = (0..patch.nodes.len()).filter(|&n| patch.nodes[n].effect).collect();
    // Each scheduled node's first parameter slot (u32::MAX for nodes not scheduled), for exposed parameters.
    let mut first_param = vec![u32::MAX; patch.nodes.len()];
    for &n in kept.iter().chain(&effect_nodes) {
        let node = &patch.nodes[n];
        let spec = registry::spec(node.kind);
        let first = params.len() as u32;
        let first_routed = routed.len() as u32;
        first_param[n] = first;
        for (i, p) in spec.params.iter().enumerate() {
            let route_start = routes.len() as u32;
            for r in incoming.routes(n).filter(|r| r.param == i) {
                let source = match r.source {
                    ModSource::Node(p) if r.feedback => match feedback_slot.get(&p) {
                        Some(&slot) => RouteSource::Feedback(slot),
                        None => continue,
                    },
                    ModSource::Node(p) => RouteSource::Buffer(buffer(&p)),
                    ModSource::Velocity => RouteSource::Velocity,
                    ModSource::Key => RouteSource::Key,
                    ModSource::PolyPressure => RouteSource::PolyPressure,
                    ModSource::Vibrato => RouteSource::Vibrato,
                    ModSource::Expression => RouteSource::Expression,
                    ModSource::Brightness => RouteSource::Brightness,
                    ModSource::ChannelPressure => RouteSource::Global(globals::PRESSURE),
                    ModSource::ModWheel => RouteSource::Global(globals::MOD_WHEEL),
                    ModSource::PitchBend => RouteSource::Global(globals::BEND),
                    ModSource::Cc(cc) => RouteSource::Global(globals::cc(cc)),
                };
                routes.push(Route { source, depth: r.depth });
            }
            for (m, _, depth) in incoming.macro_targets(n).filter(|t| t.1 == i) {
                routes.push(Route { source: RouteSource::Global(globals::macro_index(m)), depth });
            }
            let value = node.params[i];
            if routes.len() as u32 > route_start {
                routed.push(params.len() as u32);
            }
            params.push(ParamSlot {
                unit: p.unit,
                min: p.min,
                max: p.max,
                target: value,
                current: value,
                step: 0.0,
                smoothing_samples: (p.smoothing_ms * 0.001 * sample_rate).max(1.0),
                routes: route_start..routes.len() as u32,
            });
        }
        let params = first..params.len() as u32;
        let routed = first_routed..routed.len() as u32;
        if node.effect {
            effects.push(EffectEntry { id: node.id.clone(), kind: node.kind, params, routed });
        } else {
            let (fresh, ends_voice) = (false, false);
            nodes.push(NodeEntry { id: node.id.clone(), kind: node.kind, params, routed, fresh, ends_voice });
        }
    }
    let mut node_keys: Vec<(u64, u32)> = nodes.iter().enumerate().map(|(i, n)| (node_key(&n.id), i as u32)).collect();
    node_keys.sort_unstable();

    let voice = &patch.voice;
    let polyphony = match voice.mode {
        VoiceMode::Poly => settings.polyphony.unwrap_or(voice.polyphony),
        VoiceMode::Mono | VoiceMode::Legato => 1,
    };
    let polyphony = polyphony.clamp(1, crate::patch::model::MAX_POLYPHONY as usize);
    // Room beyond the polyphony for voices fading out after a steal, so a new note never waits.
    let spare = if polyphony > 1 { LANES } else { 0 };
    let groups = (polyphony + spare).div_ceil(LANES);

    let feedback_slots = feedback_slot.len();

    // The budget, before anything large is allocated: every node's buffers sized for what its parameters
    // can reach.
    let reach: Vec<Vec<f32>> = (0..patch.nodes.len()).map(|n| budget::reach(patch, &incoming, n)).collect();
    let tables = Tables {
        buffers: buffer_count,
        feedback: feedback_slots,
        params: params.len(),
        routes: routes.len(),
        ops: ops.len(),
    };
    let estimate = Estimate::new(patch, &kept, &effect_nodes, groups, polyphony, sample_rate, tables, &reach);
    let over = estimate.check(patch, &settings.budget);
    if !over.is_empty() {
        return Err(over);
    }
    let sized = |n: usize| Processor::sized(patch.nodes[n].kind, &Sizing { sample_rate, max: &reach[n] });
    let mut processors = Vec::with_capacity(groups * nodes.len());
    for _ in 0..groups {
        processors.extend(kept.iter().map(|&n| sized(n)));
    }
    let effect_processors = effect_nodes.iter().map(|&n| sized(n)).collect();
    let voice_envelopes: Vec<u32> = voice_envelopes(patch, order).into_iter().map(|n| index_of[n]).collect();
    for &n in &voice_envelopes {
        nodes[n as usize].ends_voice = true;
    }

    let param_count = params.len();
    // Routes into effects (they come last) are the chain's business, not the voices' shape.
    let voice_routes = effects
        .first()
        .and_then(|e| params.get(e.params.start as usize))
        .map_or(routes.len(), |p| p.routes.start as usize);
    let shape = shape_of(&nodes, &ops, &routes[..voice_routes], &voice_envelopes, groups, &patch.output);
    Schedule::count_new();
    Ok(Schedule {
        sample_rate,
        max_block: settings.max_block,
        voice: VoiceConfig {
            polyphony,
            mode: voice.mode,
            glide_samples: voice.glide * sample_rate,
            steal: voice.steal,
            bend_range: voice.bend_range,
        },
        groups,
        nodes,
        node_keys,
        ops,
        processors,
        params,
        routes,
        macros: patch
            .macros
            .iter()
            .map(|m| MacroInfo { name: m.name.clone(), min: m.min, max: m.max, default: m.default })
            .collect(),
        buffers: resident_vec([0.0; LANES], buffer_count.max(1) * CHUNK),
        feedback: resident_vec([0.0; LANES], feedback_slots * groups * CHUNK),
        param_values: resident_vec(Lanes::default(), param_count),
        routed,
        output: [buffer(&patch.output[0]), buffer(&patch.output[1])],
        voice_envelopes,
        fresh_nodes: false,
        latency: crate::compile::latency::of(patch, order),
        shape,
        effects,
        effect_processors,
        bus: resident_vec([0.0; LANES], 2 * CHUNK),
        exposed: patch.exposed.iter().map(|e| e.param.clone()).collect(),
        // An exposed parameter of a node that is never heard (so not scheduled) has no slot and does nothing.
        exposed_slots: patch
            .exposed
            .iter()
            .map(|e| if first_param[e.node] == u32::MAX { u32::MAX } else { first_param[e.node] + e.index as u32 })
            .collect(),
        exposed_start: None,
        memory: estimate.bytes(),
        load: estimate.load(),
    })
}

/// The digest [`Schedule`]'s `shape` field documents: everything a swap cannot glide through.
fn shape_of(
    nodes: &[NodeEntry],
    ops: &[Op],
    routes: &[Route],
    voice_envelopes: &[u32],
    groups: usize,
    output: &impl std::hash::Hash,
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for n in nodes {
        n.id.hash(&mut h);
        n.kind.hash(&mut h);
        n.params.hash(&mut h);
    }
    ops.hash(&mut h);
    for r in routes {
        format!("{:?}", r.source).hash(&mut h);
        r.depth.to_bits().hash(&mut h);
    }
    voice_envelopes.hash(&mut h);
    groups.hash(&mut h);
    output.hash(&mut h);
    h.finish()
}

/// A node's identity across swaps: FNV-1a of its id. Kinds are compared separately.
pub(crate) fn node_key(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}
