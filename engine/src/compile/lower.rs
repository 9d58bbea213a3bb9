//! Lowering: a validated, ordered patch becomes a flat [`Schedule`] with every buffer allocated.

use rustc_hash::{FxHashMap as HashMap, FxHashSet};

use ferrule_nodes::memory::resident_vec;
use ferrule_nodes::{LANES, Lanes, MAX_INPUTS, MAX_OUTPUTS, Processor, Sizing, registry};

use crate::compile::CompileSettings;
use crate::compile::budget::{self, Estimate, Layout};
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
///
/// The passes, in order: [`Lowering::new`] numbers the scheduled nodes, their output wires and the feedback
/// slots; [`Lowering::colour_buffers`] assigns wires to buffers by liveness; [`Lowering::ops`] writes the op
/// list; [`Lowering::parameters`] the parameter slots and routes; [`voice_config`] the voice settings and
/// lane groups; then the resource budget is checked ([`budget`]) and only then is node state allocated.
pub(crate) fn lower(
    patch: &ResolvedPatch,
    order: &[usize],
    settings: &CompileSettings,
) -> Result<Schedule, Vec<Diagnostic>> {
    let sample_rate = settings.sample_rate;
    let mut lowering = Lowering::new(patch, order);
    lowering.colour_buffers();
    let ops = lowering.ops();
    let ParamTables { mut nodes, effects, params, routes, routed, first_param } = lowering.parameters(sample_rate);
    let (voice, groups) = voice_config(patch, settings);

    // The budget, before anything large is allocated: every node's buffers sized for what its parameters
    // can reach.
    let reach: Vec<Vec<f32>> = (0..patch.nodes.len()).map(|n| budget::reach(patch, &lowering.incoming, n)).collect();
    let layout = Layout {
        groups,
        polyphony: voice.polyphony,
        sample_rate,
        buffers: lowering.buffer_count,
        feedback: lowering.feedback_slot.len(),
        params: params.len(),
        routes: routes.len(),
        ops: ops.len(),
    };
    let (kept, effect_nodes) = (&lowering.kept, &lowering.effect_nodes);
    let estimate = Estimate::new(patch, kept, effect_nodes, layout, &reach);
    let over = estimate.check(patch, &settings.budget);
    if !over.is_empty() {
        return Err(over);
    }

    // State, sized for what each node can reach.
    let sized = |n: usize| Processor::sized(patch.nodes[n].kind, &Sizing { sample_rate, max: &reach[n] });
    let mut processors = Vec::with_capacity(groups * nodes.len());
    for _ in 0..groups {
        processors.extend(kept.iter().map(|&n| sized(n)));
    }
    let effect_processors = effect_nodes.iter().map(|&n| sized(n)).collect();
    let voice_envelopes: Vec<u32> = voice_envelopes(patch, order).into_iter().map(|n| lowering.index_of[n]).collect();
    for &n in &voice_envelopes {
        nodes[n as usize].ends_voice = true;
    }
    let mut node_keys: Vec<(u64, u32)> = nodes.iter().enumerate().map(|(i, n)| (node_key(&n.id), i as u32)).collect();
    node_keys.sort_unstable();

    let param_count = params.len();
    // Routes into effects (they come last) are the chain's business, not the voices' shape.
    let voice_routes = effects
        .first()
        .and_then(|e| params.get(e.params.start as usize))
        .map_or(routes.len(), |p| p.routes.start as usize);
    let shape = shape_of(&nodes, &ops, &routes[..voice_routes], &voice_envelopes, groups, &patch.output);
    let output = [lowering.buffer(&patch.output[0]), lowering.buffer(&patch.output[1])];
    Schedule::count_new();
    Ok(Schedule {
        sample_rate,
        max_block: settings.max_block,
        voice,
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
        buffers: resident_vec([0.0; LANES], lowering.buffer_count.max(1) * CHUNK),
        feedback: resident_vec([0.0; LANES], lowering.feedback_slot.len() * groups * CHUNK),
        param_values: resident_vec(Lanes::default(), param_count),
        routed,
        output,
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

/// What the passes of [`lower`] share: the patch, its nodes in execution order, and the numbering of nodes,
/// wires, feedback slots and buffers each pass adds.
struct Lowering<'p> {
    patch: &'p ResolvedPatch,
    /// Live voice nodes, sources first.
    order: &'p [usize],
    /// The connections, routes and macro targets into each node.
    incoming: Incoming<'p>,
    /// Live voice nodes in patch order: schedule node `i` is patch node `kept[i]`.
    kept: Vec<usize>,
    /// Each patch node's schedule index (`u32::MAX` for nodes not scheduled).
    index_of: Vec<u32>,
    /// Every effect of the bus, in chain order.
    effect_nodes: Vec<usize>,
    /// One wire per output port of each live node, numbered densely.
    wire_of: HashMap<PortRef, usize>,
    /// One slot per output read through a feedback connection or route.
    feedback_slot: HashMap<PortRef, u16>,
    /// Outputs that some audio connection (feedback or not) reads.
    connected: FxHashSet<PortRef>,
    /// Each wire's buffer, after [`Lowering::colour_buffers`].
    buffer_of: Vec<BufferId>,
    /// Buffers in the pool, after [`Lowering::colour_buffers`].
    buffer_count: usize,
}

/// The parameter tables [`Lowering::parameters`] builds, in [`Schedule`]'s layout.
struct ParamTables {
    nodes: Vec<NodeEntry>,
    effects: Vec<EffectEntry>,
    params: Vec<ParamSlot>,
    routes: Vec<Route>,
    routed: Vec<u32>,
    /// Each patch node's first parameter slot (`u32::MAX` for nodes not scheduled), for exposed parameters.
    first_param: Vec<u32>,
}

impl<'p> Lowering<'p> {
    /// Numbers the scheduled nodes (live ones, in patch order), their output wires and the feedback slots,
    /// and indexes which outputs audio connections read.
    fn new(patch: &'p ResolvedPatch, order: &'p [usize]) -> Lowering<'p> {
        let mut kept: Vec<usize> = order.to_vec();
        kept.sort_unstable();
        let mut index_of = vec![u32::MAX; patch.nodes.len()];
        for (i, &n) in kept.iter().enumerate() {
            index_of[n] = i as u32;
        }
        let effect_nodes = (0..patch.nodes.len()).filter(|&n| patch.nodes[n].effect).collect();

        let mut wire_of: HashMap<PortRef, usize> = HashMap::default();
        for &n in order {
            for port in 0..registry::spec(patch.nodes[n].kind).outputs.len() {
                let next = wire_of.len();
                wire_of.insert(PortRef { node: n, port }, next);
            }
        }

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
        let connected = patch.connections.iter().map(|c| c.from).collect();

        Lowering {
            patch,
            order,
            incoming: Incoming::new(patch),
            kept,
            index_of,
            effect_nodes,
            wire_of,
            feedback_slot,
            connected,
            buffer_of: Vec::new(),
            buffer_count: 0,
        }
    }

    /// Assigns every wire a buffer by liveness ([`colour`]), walking steps that mirror [`Lowering::ops`] one
    /// for one: each node reads its non-feedback inputs and route sources and writes its outputs, and each
    /// feedback store reads the wire it keeps. The voice output's wires are never released.
    fn colour_buffers(&mut self) {
        let (patch, wire_of) = (self.patch, &self.wire_of);
        let mut steps = Vec::new();
        for &n in self.order {
            let mut step = Step::default();
            for c in self.incoming.connections(n).filter(|c| !c.feedback) {
                step.reads.push(wire_of[&c.from]);
            }
            for r in self.incoming.routes(n).filter(|r| !r.feedback) {
                if let ModSource::Node(p) = r.source {
                    step.reads.push(wire_of[&p]);
                }
            }
            let outputs = registry::spec(patch.nodes[n].kind).outputs.len();
            step.writes = (0..outputs).map(|port| wire_of[&PortRef { node: n, port }]).collect();
            steps.push(step);
            for port in 0..outputs {
                if self.feedback_slot.contains_key(&PortRef { node: n, port }) {
                    steps.push(Step { reads: vec![wire_of[&PortRef { node: n, port }]], writes: vec![] });
                }
            }
        }
        let pinned: Vec<usize> = patch.output.iter().map(|p| wire_of[p]).collect();
        (self.buffer_of, self.buffer_count) = colour(&steps, wire_of.len(), &pinned);
    }

    /// The buffer holding output port `p` (after [`Lowering::colour_buffers`]).
    fn buffer(&self, p: &PortRef) -> BufferId {
        self.buffer_of[self.wire_of[p]]
    }

    /// The op list: each live node in execution order, where its inputs read and its outputs write, which
    /// outputs only modulation reads (their last frame is enough), and after it a store for each output read
    /// through a feedback connection or route.
    fn ops(&self) -> Vec<Op> {
        let patch = self.patch;
        let mut ops = Vec::with_capacity(self.order.len() + self.feedback_slot.len());
        for &n in self.order {
            let spec = registry::spec(patch.nodes[n].kind);
            let mut inputs = [Input::None; MAX_INPUTS];
            for c in self.incoming.connections(n) {
                inputs[c.to.port] = match c.feedback {
                    false => Input::Buffer(self.buffer(&c.from)),
                    true => self.feedback_slot.get(&c.from).map_or(Input::None, |&s| Input::Feedback(s)),
                };
            }
            let mut outputs = [BufferId::MAX; MAX_OUTPUTS];
            for (port, out) in outputs.iter_mut().enumerate().take(spec.outputs.len()) {
                *out = self.buffer(&PortRef { node: n, port });
            }
            // Control-rate outputs: routes read a wire's last frame only, so an output no connection and not the
            // voice output reads needs just that frame.
            let mut last_only = 0u8;
            for port in 0..spec.outputs.len() {
                let p = PortRef { node: n, port };
                if !self.connected.contains(&p) && !patch.output.contains(&p) {
                    last_only |= 1 << port;
                }
            }
            let output_count = spec.outputs.len() as u8;
            ops.push(Op::Node { node: self.index_of[n], inputs, outputs, output_count, last_only });
            for port in 0..spec.outputs.len() {
                let p = PortRef { node: n, port };
                if let Some(&slot) = self.feedback_slot.get(&p) {
                    ops.push(Op::StoreFeedback { from: self.buffer(&p), slot });
                }
            }
        }
        ops
    }

    /// Every scheduled node's and effect's parameter slots (base value, range, smoother) and the routes and
    /// macro targets into them, node after node, then effect after effect.
    fn parameters(&self, sample_rate: f32) -> ParamTables {
        let patch = self.patch;
        let mut t = ParamTables {
            nodes: Vec::with_capacity(self.kept.len()),
            effects: Vec::new(),
            params: Vec::new(),
            routes: Vec::new(),
            routed: Vec::new(),
            first_param: vec![u32::MAX; patch.nodes.len()],
        };
        for &n in self.kept.iter().chain(&self.effect_nodes) {
            let node = &patch.nodes[n];
            let spec = registry::spec(node.kind);
            let first = t.params.len() as u32;
            let first_routed = t.routed.len() as u32;
            t.first_param[n] = first;
            for (i, p) in spec.params.iter().enumerate() {
                let route_start = t.routes.len() as u32;
                for r in self.incoming.routes(n).filter(|r| r.param == i) {
                    if let Some(source) = self.route_source(r.source, r.feedback) {
                        t.routes.push(Route { source, depth: r.depth });
                    }
                }
                for (m, _, depth) in self.incoming.macro_targets(n).filter(|t| t.1 == i) {
                    t.routes.push(Route { source: RouteSource::Global(globals::macro_index(m)), depth });
                }
                let value = node.params[i];
                if t.routes.len() as u32 > route_start {
                    t.routed.push(t.params.len() as u32);
                }
                t.params.push(ParamSlot {
                    unit: p.unit,
                    min: p.min,
                    max: p.max,
                    target: value,
                    current: value,
                    step: 0.0,
                    smoothing_samples: (p.smoothing_ms * 0.001 * sample_rate).max(1.0),
                    routes: route_start..t.routes.len() as u32,
                });
            }
            let params = first..t.params.len() as u32;
            let routed = first_routed..t.routed.len() as u32;
            if node.effect {
                t.effects.push(EffectEntry { id: node.id.clone(), kind: node.kind, params, routed });
            } else {
                let (fresh, ends_voice) = (false, false);
                t.nodes.push(NodeEntry { id: node.id.clone(), kind: node.kind, params, routed, fresh, ends_voice });
            }
        }
        t
    }

    /// Where a route from `source` reads on the audio thread; `None` for a feedback route from an output that
    /// has no slot (its node is not scheduled).
    fn route_source(&self, source: ModSource, feedback: bool) -> Option<RouteSource> {
        Some(match source {
            ModSource::Node(p) if feedback => RouteSource::Feedback(*self.feedback_slot.get(&p)?),
            ModSource::Node(p) => RouteSource::Buffer(self.buffer(&p)),
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
        })
    }
}

/// The voice settings the engine applies (polyphony from the patch or `settings`, 1 in mono and legato) and
/// the lane groups they need: the polyphony plus one group's room for voices fading out after a steal, so a
/// new note never waits.
fn voice_config(patch: &ResolvedPatch, settings: &CompileSettings) -> (VoiceConfig, usize) {
    let voice = &patch.voice;
    let polyphony = match voice.mode {
        VoiceMode::Poly => settings.polyphony.unwrap_or(voice.polyphony),
        VoiceMode::Mono | VoiceMode::Legato => 1,
    };
    let polyphony = polyphony.clamp(1, crate::patch::model::MAX_POLYPHONY as usize);
    let spare = if polyphony > 1 { LANES } else { 0 };
    let groups = (polyphony + spare).div_ceil(LANES);
    let config = VoiceConfig {
        polyphony,
        mode: voice.mode,
        glide_samples: voice.glide * settings.sample_rate,
        steal: voice.steal,
        bend_range: voice.bend_range,
    };
    (config, groups)
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
