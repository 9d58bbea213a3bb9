//! Validation: checks a parsed patch against the node registry and resolves every name to an index.
//!
//! Reports every problem in the file at once, each pointing at the offending text, with a "did you mean"
//! hint for misspelt names.

// Fx hashing: node ids come from the patch being compiled, so a flood of colliding ids could only slow its
// own author's compile.
use rustc_hash::FxHashMap as HashMap;
use std::ops::Range;

use ferrule_nodes::{NodeRole, NodeSpec, ParamSpec, Unit, registry};

use crate::compile::resolved::{
    ModSource, PortRef, ResolvedConnection, ResolvedExposed, ResolvedMacro, ResolvedNode, ResolvedPatch, ResolvedRoute,
    ResolvedVoice,
};
use crate::diagnostics::{Diagnostic, Diagnostics, number, number32};
use crate::patch::model::{MAX_POLYPHONY, OutputDecl, PATCH_VERSION, ParamValue, VoiceMode};
use crate::patch::source_map::PathSeg::{self, Field, Index, Key};
use crate::patch::{ExposedParam, MAX_EXPOSED, Patch, PatchSource, SourceMap, parse};
use crate::play::globals::MAX_MACROS;

/// Longest glide, in seconds.
const MAX_GLIDE: f64 = 10.0;
/// Widest pitch-bend range, in semitones.
const MAX_BEND_RANGE: f64 = 48.0;
/// Most nodes a patch may declare (voice nodes and effects together). Bounds compile time and the
/// schedule's memory (every node's state exists once per voice); stated in `patches/README.md`.
pub const MAX_NODES: usize = 4096;
/// Most audio connections a patch may declare (`connections` and `feedback` together).
pub const MAX_CONNECTIONS: usize = 16_384;
/// Most modulation routes a patch may declare.
pub const MAX_MODULATIONS: usize = 16_384;

/// Parses and validates a patch: the resolved patch, or every problem found (syntax errors alone when the
/// text does not parse), in source order.
pub fn parse_and_validate(source: &PatchSource) -> Result<ResolvedPatch, Diagnostics> {
    let (patch, map) = parse(source)?;
    if let Some(too_big) = size_limit(&patch, &map) {
        return Err(Diagnostics { path: source.path.clone(), source: source.text.clone(), items: vec![too_big] });
    }
    validate(&patch, &map).map_err(|mut items| {
        items.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
        Diagnostics { path: source.path.clone(), source: source.text.clone(), items }
    })
}

/// Most problems one file reports. A generated or mangled file can hold hundreds of thousands (a 4 MiB
/// line of repeated keys), and locating, rendering or listing every one in the editor would take minutes;
/// nobody reads past the first screenful. Past this, the last diagnostic says how many more were found.
pub const MAX_DIAGNOSTICS: usize = 100;

/// The first size limit `patch` exceeds, as one diagnostic pointing at the oversized section. Checked
/// before anything else so that validating, ordering and lowering a patch stay bounded in time and memory.
fn size_limit(patch: &Patch, map: &SourceMap<'_>) -> Option<Diagnostic> {
    let nodes = patch.nodes.len() + patch.effects.len();
    let connections = patch.connections.len() + patch.feedback.len();
    let (field, message) = if nodes > MAX_NODES {
        let field = if patch.nodes.len() > patch.effects.len() { "nodes" } else { "effects" };
        (field, format!("a patch has at most {MAX_NODES} nodes and effects (this one has {nodes})"))
    } else if connections > MAX_CONNECTIONS {
        let field = if patch.connections.len() > patch.feedback.len() { "connections" } else { "feedback" };
        (
            field,
            format!(
                "a patch has at most {MAX_CONNECTIONS} connections and feedback wires (this one has {connections})"
            ),
        )
    } else if patch.modulations.len() > MAX_MODULATIONS {
        let count = patch.modulations.len();
        ("modulations", format!("a patch has at most {MAX_MODULATIONS} modulation routes (this one has {count})"))
    } else {
        return None;
    };
    let span = map.key(&[Field(field)]).or_else(|| map.value(&[Field(field)])).unwrap_or(0..0);
    Some(Diagnostic::new(message, span))
}

/// Validates `patch` (whose text `map` describes). Returns the resolved patch, or every problem found.
pub fn validate(patch: &Patch, map: &SourceMap<'_>) -> Result<ResolvedPatch, Vec<Diagnostic>> {
    let mut v =
        Validator { map, errors: Vec::new(), more: 0, reported_repeats: Default::default(), broken: Vec::new() };
    let resolved = v.patch(patch);
    if v.errors.is_empty() && v.more == 0 {
        return resolved.ok_or_else(Vec::new);
    }
    // The first problems in the file, then how many more there are (without a position of its own, it
    // is shown last).
    v.errors.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    let more = v.more + v.errors.len().saturating_sub(MAX_DIAGNOSTICS);
    v.errors.truncate(MAX_DIAGNOSTICS);
    if more > 0 {
        let last = v.errors.last().and_then(|d| d.span.clone()).unwrap_or(0..0);
        v.errors.push(Diagnostic::new(
            format!(
                "{more} more problem{} not shown (the first {MAX_DIAGNOSTICS} are above)",
                if more == 1 { "" } else { "s" }
            ),
            last.end..last.end,
        ));
    }
    Err(v.errors)
}

struct Validator<'m> {
    map: &'m SourceMap<'m>,
    /// Problems found, at most [`COLLECTED`].
    errors: Vec<Diagnostic>,
    /// Problems found past [`COLLECTED`], counted but not kept.
    more: usize,
    /// Where the repeated map keys already reported in their own words start.
    reported_repeats: rustc_hash::FxHashSet<usize>,
    broken: Vec<String>,
}

/// Most problems the validator keeps while it works (the first [`MAX_DIAGNOSTICS`] by position are
/// reported); more are only counted, so a file with a million mistakes costs no more memory than this.
const COLLECTED: usize = 10 * MAX_DIAGNOSTICS;

/// A node as validation sees it: its index, kind declaration and id.
struct NodeInfo<'p> {
    index: usize,
    spec: &'static NodeSpec,
    id: &'p str,
}

impl<'m> Validator<'m> {
    fn at(&self, path: &[PathSeg<'_>]) -> Range<usize> {
        self.map.value(path).or_else(|| self.map.value(&[])).map_or(0..0, |r| r.start..r.start.max(r.end))
    }

    fn key_at(&self, path: &[PathSeg<'_>]) -> Range<usize> {
        self.map.key(path).unwrap_or_else(|| self.at(path))
    }

    fn error(&mut self, message: impl Into<String>, span: Range<usize>) {
        self.error_help(message, span, None);
    }

    fn error_help(&mut self, message: impl Into<String>, span: Range<usize>, help: Option<String>) {
        if self.errors.len() < COLLECTED {
            self.errors.push(Diagnostic::new(message, span).with_optional_help(help));
        } else {
            self.more += 1;
        }
    }

    fn patch(&mut self, patch: &Patch) -> Option<ResolvedPatch> {
        if patch.version != PATCH_VERSION {
            // `parse` checks the version first; this catches a `Patch` built some other way.
            let span = self.at(&[Field("version")]);
            let (message, help) = crate::patch::version_message(patch.version);
            self.error_help(message, span, help);
        }

        let (nodes, infos) = self.nodes(patch);
        self.other_duplicate_keys();
        let by_id: HashMap<&str, &NodeInfo> = infos.iter().map(|n| (n.id, n)).collect();
        // Nodes already reported (unknown kind) are not reported again wherever they are used.
        self.broken = patch
            .nodes
            .keys()
            .chain(patch.effects.keys())
            .filter(|id| !by_id.contains_key(id.as_str()))
            .cloned()
            .collect();

        let mut connections = Vec::new();
        let mut fed: HashMap<PortRef, (&str, Range<usize>)> = HashMap::default();
        for (list, name, feedback) in [(&patch.connections, "connections", false), (&patch.feedback, "feedback", true)]
        {
            for (i, (from, to)) in list.iter().enumerate() {
                let from_span = self.at(&[Field(name), Index(i), Index(0)]);
                let to_span = self.at(&[Field(name), Index(i), Index(1)]);
                let from_port = self.port(&by_id, from, from_span, Direction::Output);
                let to_port = self.port(&by_id, to, to_span.clone(), Direction::Input);
                if let (Some(f), Some(t)) = (from_port, to_port) {
                    if let Some((earlier, _)) = fed.get(&t) {
                        let input = port_name(&infos, t, Direction::Input);
                        self.error_help(
                            format!("`{input}` is already connected (from `{earlier}`)"),
                            to_span.clone(),
                            Some("an input takes one connection; combine signals with a `mixer`".into()),
                        );
                    } else {
                        fed.insert(t, (from.as_str(), to_span.clone()));
                    }
                    let span = self.at(&[Field(name), Index(i)]);
                    connections.push(ResolvedConnection { from: f, to: t, feedback, span });
                }
            }
        }

        let mut modulations = Vec::new();
        for (i, m) in patch.modulations.iter().enumerate() {
            let from_span = self.at(&[Field("modulations"), Index(i), Field("from")]);
            let to_span = self.at(&[Field("modulations"), Index(i), Field("to")]);
            let source = self.source(&by_id, &m.from, from_span);
            let target = self.param_target(&by_id, &m.to, to_span);
            let depth_path = [Field("modulations"), Index(i), Field("depth")];
            let depth = target.and_then(|(_, _, spec)| self.depth(m.depth, None, spec, &m.to, &depth_path));
            if let (Some(source), Some((node, param, _)), Some(depth)) = (source, target, depth) {
                let shared = matches!(
                    source,
                    ModSource::ModWheel | ModSource::PitchBend | ModSource::ChannelPressure | ModSource::Cc(_)
                );
                if nodes[node].effect && !shared {
                    let span = self.at(&[Field("modulations"), Index(i), Field("from")]);
                    self.error_help(
                        format!("`{}` is an effect, shared by every voice: `{}` cannot move it", m.to, m.from),
                        span,
                        Some(
                            "modulate effects from controllers (modwheel, bend, pressure, cc1..cc127) or macros".into(),
                        ),
                    );
                    continue;
                }
                let span = self.at(&[Field("modulations"), Index(i)]);
                modulations.push(ResolvedRoute { source, node, param, depth, feedback: m.feedback, span });
            }
        }

        let macros = self.macros(patch, &by_id);
        let output = self.output(patch, &by_id);
        let voice = self.voice(patch, &by_id);
        let exposed = self.exposed(patch, &by_id, &nodes);

        if !self.errors.is_empty() {
            return None;
        }
        let resolved =
            ResolvedPatch { nodes, connections, modulations, macros, output: output?, voice: voice?, exposed };
        self.amp_envelope_is_heard(&resolved);
        self.errors.is_empty().then_some(resolved)
    }

    /// A named `amp_envelope` decides how long every voice lives, so one that shapes nothing heard would
    /// hold each voice open (and running) for its whole length while it sounds like a plain gate: the
    /// author almost certainly meant to route it and forgot, or named the wrong envelope. An error, with
    /// its position, rather than a voice length nobody can hear.
    fn amp_envelope_is_heard(&mut self, patch: &ResolvedPatch) {
        let Some(env) = patch.voice.amp_envelope else { return };
        if crate::compile::graph::heard_nodes(patch)[env] {
            return;
        }
        let id = &patch.nodes[env].id;
        let span = self.at(&[Field("voice"), Field("amp_envelope")]);
        self.error_help(
            format!("`{id}` is the voice's `amp_envelope` but is never heard: nothing connects it to the output"),
            span,
            Some(format!(
                "connect it to what you hear (e.g. `(\"{id}\", \"amp.cv\")`), or leave `amp_envelope` out and \
                 each voice ends when every envelope that is heard has ended"
            )),
        );
    }

    /// Resolves the voice's nodes and then the global bus's effects (one id space for both).
    fn nodes<'p>(&mut self, patch: &'p Patch) -> (Vec<ResolvedNode>, Vec<NodeInfo<'p>>) {
        let mut nodes = Vec::new();
        let mut infos = Vec::new();
        for (field, decls) in [("nodes", &patch.nodes), ("effects", &patch.effects)] {
            self.node_list(field, decls, &mut nodes, &mut infos);
        }
        (nodes, infos)
    }

    /// Resolves one map of node declarations, `nodes` (voice) or `effects` (global bus).
    fn node_list<'p>(
        &mut self,
        field: &'static str,
        decls: &'p indexmap::IndexMap<String, crate::patch::model::NodeDecl>,
        nodes: &mut Vec<ResolvedNode>,
        infos: &mut Vec<NodeInfo<'p>>,
    ) {
        let effect = field == "effects";
        for dup in self.map.duplicate_keys(&[Field(field)]) {
            self.reported_repeats.insert(dup.repeat.start);
            let line = self.line_of(dup.first.start);
            self.error_help(
                format!("duplicate node id `{}`", dup.key),
                dup.repeat.clone(),
                Some(format!("`{}` is first defined on line {line}; node ids must be unique", dup.key)),
            );
        }
        // Ids are unique within one map; only the lists resolved before this one can repeat them.
        let earlier_ids: HashMap<&str, usize> = infos.iter().map(|n| (n.id, n.index)).collect();
        for (id, decl) in decls {
            let key_span = self.key_at(&[Field(field), Key(id)]);
            if let Some(&earlier) = earlier_ids.get(id.as_str()) {
                let line = self.line_of(nodes[earlier].span.start);
                self.error_help(
                    format!("duplicate node id `{id}`"),
                    key_span.clone(),
                    Some(format!("`{id}` is first defined on line {line}; node and effect ids must be unique")),
                );
                continue;
            }
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                self.error(format!("node id `{id}` may only use letters, digits, `_` and `-`"), key_span.clone());
            } else if is_reserved(id) {
                self.error_help(
                    format!("node id `{id}` is the name of a modulation source"),
                    key_span.clone(),
                    Some("rename the node".into()),
                );
            }
            let kind_span = self.at(&[Field(field), Key(id), Field("kind")]);
            let Some((kind, spec)) = registry::find(&decl.kind) else {
                let kinds: Vec<&str> =
                    registry::all().iter().filter(|s| (s.role == NodeRole::Effect) == effect).map(|s| s.kind).collect();
                let help = suggest(&decl.kind, &kinds)
                    .map_or_else(|| format!("known kinds: {}", kinds.join(", ")), |s| format!("did you mean `{s}`?"));
                self.error_help(format!("unknown node kind `{}`", decl.kind), kind_span, Some(help));
                continue;
            };
            if (spec.role == NodeRole::Effect) != effect {
                let (message, help) = if effect {
                    let effects: Vec<&str> =
                        registry::all().iter().filter(|s| s.role == NodeRole::Effect).map(|s| s.kind).collect();
                    (
                        format!("`{id}` (a `{}`) is not an effect", spec.kind),
                        format!(
                            "`effects` holds the global bus's effects ({}); voice nodes go in `nodes`",
                            effects.join(", ")
                        ),
                    )
                } else {
                    (
                        format!("`{id}` (a `{}`) is an effect, not a voice node", spec.kind),
                        "move it to `effects`, which run once on the sum of every voice".to_string(),
                    )
                };
                self.error_help(message, kind_span, Some(help));
                continue;
            }
            for dup in self.map.duplicate_keys(&[Field(field), Key(id), Field("params")]) {
                self.reported_repeats.insert(dup.repeat.start);
                let line = self.line_of(dup.first.start);
                self.error_help(
                    format!("`{id}.{}` is set twice", dup.key),
                    dup.repeat.clone(),
                    Some(format!("it is first set on line {line}; a parameter takes one value")),
                );
            }
            let mut params: Vec<f32> = spec.params.iter().map(|p| p.default).collect();
            for (name, value) in &decl.params {
                let path = [Field(field), Key(id), Field("params"), Key(name)];
                let Some(index) = spec.param(name) else {
                    let names: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
                    let span = self.key_at(&path);
                    self.error_help(
                        format!("`{id}` (a `{}`) has no parameter `{name}`", spec.kind),
                        span,
                        Some(suggest(name, &names).map_or_else(
                            || format!("its parameters: {}", names.join(", ")),
                            |s| format!("did you mean `{s}`?"),
                        )),
                    );
                    continue;
                };
                let p = &spec.params[index];
                let span = self.at(&path);
                match (value, p.unit) {
                    (ParamValue::Name(option), Unit::Choice) => match p.choices.iter().position(|c| c == option) {
                        Some(i) => params[index] = i as f32,
                        None => self.error_help(
                            format!("`{id}.{name}` has no option `{option}`"),
                            span,
                            Some(suggest(option, p.choices).map_or_else(
                                || format!("options: {}", p.choices.join(", ")),
                                |s| format!("did you mean `{s}`?"),
                            )),
                        ),
                    },
                    (ParamValue::Number(_), Unit::Choice) => self.error_help(
                        format!("`{id}.{name}` takes an option name, not a number"),
                        span,
                        Some(format!("options: {}", p.choices.join(", "))),
                    ),
                    (ParamValue::Name(text), _) => self.error(
                        format!("`{id}.{name}` takes a number{}, not `{text}`", unit_suffix(p.unit, " in ")),
                        span,
                    ),
                    (ParamValue::Number(x), unit) => match in_range(*x, p.min, p.max) {
                        Some(value) => params[index] = value,
                        None => self.error(
                            format!(
                                "`{id}.{name}` = {}{} is out of range ({} to {}{})",
                                number(*x),
                                unit_suffix(unit, " "),
                                number32(p.min),
                                number32(p.max),
                                unit_suffix(unit, " ")
                            ),
                            span,
                        ),
                    },
                }
            }
            infos.push(NodeInfo { index: nodes.len(), spec, id });
            nodes.push(ResolvedNode { id: id.clone(), kind, params, span: key_span, effect });
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.map.line_of(offset)
    }

    /// Reports every repeated map key not reported yet (node ids and parameter names are reported by
    /// [`Validator::node_list`] in their own words): a repeat would silently replace the first value.
    fn other_duplicate_keys(&mut self) {
        let repeats: Vec<_> = self
            .map
            .all_duplicate_keys()
            .filter(|d| !self.reported_repeats.contains(&d.repeat.start))
            .cloned()
            .collect();
        for dup in repeats {
            let line = self.line_of(dup.first.start);
            self.error_help(
                format!("`{}` is written twice", dup.key),
                dup.repeat,
                Some(format!("it is first written on line {line}; each key in `{{ … }}` is written once")),
            );
        }
    }

    /// Resolves `"node.port"` (or a bare `"node"`: its first output or input).
    fn port(
        &mut self,
        by_id: &HashMap<&str, &NodeInfo>,
        text: &str,
        span: Range<usize>,
        dir: Direction,
    ) -> Option<PortRef> {
        let (id, port) = match text.split_once('.') {
            Some((id, port)) => (id, Some(port)),
            None => (text, None),
        };
        let node = self.node(by_id, id, span.clone())?;
        if node.spec.role == NodeRole::Effect {
            self.error_help(
                format!("`{id}` (a `{}`) is an effect on the global bus and takes no wires", node.spec.kind),
                span,
                Some("effects run in their `effects` order on the sum of every voice".into()),
            );
            return None;
        }
        let ports = match dir {
            Direction::Output => node.spec.outputs,
            Direction::Input => node.spec.inputs,
        };
        let what = dir.word();
        if ports.is_empty() {
            self.error(format!("`{id}` (a `{}`) has no {what}s", node.spec.kind), span);
            return None;
        }
        match port {
            None => Some(PortRef { node: node.index, port: 0 }),
            Some(port) => match ports.iter().position(|p| p.name == port) {
                Some(i) => Some(PortRef { node: node.index, port: i }),
                None => {
                    let names: Vec<&str> = ports.iter().map(|p| p.name).collect();
                    let help = suggest(port, &names).map_or_else(
                        || format!("its {what}s: {}", names.join(", ")),
                        |s| format!("did you mean `{s}`?"),
                    );
                    self.error_help(
                        format!("`{id}` (a `{}`) has no {what} `{port}`", node.spec.kind),
                        span,
                        Some(help),
                    );
                    None
                }
            },
        }
    }

    fn node<'a, 'p>(
        &mut self,
        by_id: &HashMap<&str, &'a NodeInfo<'p>>,
        id: &str,
        span: Range<usize>,
    ) -> Option<&'a NodeInfo<'p>> {
        match by_id.get(id) {
            Some(node) => Some(*node),
            None if self.broken.iter().any(|b| b == id) => None,
            None => {
                let ids: Vec<&str> = by_id.keys().copied().collect();
                let help = suggest(id, &ids).map(|s| format!("did you mean `{s}`?"));
                self.error_help(format!("no node named `{id}`"), span, help);
                None
            }
        }
    }

    fn source(&mut self, by_id: &HashMap<&str, &NodeInfo>, text: &str, span: Range<usize>) -> Option<ModSource> {
        let builtin = ModSource::builtin(text);
        if builtin.is_some() {
            return builtin;
        }
        if let Some(number) = text.strip_prefix("cc").filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        {
            return match number.parse::<u8>() {
                Ok(n @ 1..=127) => Some(ModSource::Cc(n)),
                _ => {
                    self.error(format!("no MIDI controller `{text}` (controllers are cc1 to cc127)"), span);
                    None
                }
            };
        }
        if !text.contains('.') && !by_id.contains_key(text) && !self.broken.iter().any(|b| b == text) {
            let mut names: Vec<&str> = by_id.keys().copied().collect();
            names.extend(ModSource::BUILTIN.iter().map(|(name, _)| *name));
            let builtins: Vec<&str> = ModSource::BUILTIN.iter().map(|(name, _)| *name).collect();
            let help = suggest(text, &names).map_or_else(
                || format!("sources are node outputs or one of: {}, cc1 … cc127", builtins.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            self.error_help(format!("unknown modulation source `{text}`"), span, Some(help));
            return None;
        }
        self.port(by_id, text, span, Direction::Output).map(ModSource::Node)
    }

    /// Resolves `"node.param"` to a modulatable parameter: (node index, parameter index, its declaration).
    fn param_target(
        &mut self,
        by_id: &HashMap<&str, &NodeInfo>,
        text: &str,
        span: Range<usize>,
    ) -> Option<(usize, usize, &'static ParamSpec)> {
        let (node, index, spec) = self.param_ref(by_id, text, span.clone())?;
        if spec.params[index].unit == Unit::Choice {
            self.error(format!("cannot modulate choice parameter `{text}`"), span);
            return None;
        }
        Some((node, index, &spec.params[index]))
    }

    /// Resolves `"node.param"` to (node index, parameter index, the node's kind declaration).
    fn param_ref(
        &mut self,
        by_id: &HashMap<&str, &NodeInfo>,
        text: &str,
        span: Range<usize>,
    ) -> Option<(usize, usize, &'static NodeSpec)> {
        let Some((id, name)) = text.split_once('.') else {
            self.error(format!("`{text}` should name a parameter as `node.parameter`"), span);
            return None;
        };
        let node = self.node(by_id, id, span.clone())?;
        let Some(index) = node.spec.param(name) else {
            let names: Vec<&str> = node.spec.params.iter().map(|p| p.name).collect();
            let help = suggest(name, &names)
                .map_or_else(|| format!("its parameters: {}", names.join(", ")), |s| format!("did you mean `{s}`?"));
            self.error_help(format!("`{id}` (a `{}`) has no parameter `{name}`", node.spec.kind), span, Some(help));
            return None;
        };
        Some((node.index, index, node.spec))
    }

    /// Checks a modulation depth aimed at `param` (written `target`) against [`depth_limit`]: a route's
    /// own depth, or with `by_macro` (the macro's name and its value farthest from 0) what a macro moves
    /// it by at that value. Returns the depth as the engine holds it.
    fn depth(
        &mut self,
        depth: f64,
        by_macro: Option<(&str, f64)>,
        param: &ParamSpec,
        target: &str,
        path: &[PathSeg<'_>],
    ) -> Option<f32> {
        let span = self.at(path);
        let held = depth as f32;
        if !held.is_finite() {
            self.error(format!("depth {} is not a usable number", number(depth)), span);
            return None;
        }
        let limit = depth_limit(param);
        let unit = param.unit.modulation_unit();
        let unit = if unit == "linear" { String::new() } else { format!(" {unit}") };
        let reach = by_macro.map_or(depth, |(_, extreme)| depth * extreme);
        if reach.abs() <= limit {
            return Some(held);
        }
        let why = depth_limit_reason(param);
        let limit = number(limit);
        match by_macro {
            None => self.error_help(
                format!("depth {}{unit} on `{target}` is beyond any use (at most ±{limit}{unit})", number(depth)),
                span,
                Some(why),
            ),
            Some((name, extreme)) => self.error_help(
                format!(
                    "macro `{name}` moves `{target}` by {}{unit} at {} (depth {} × {}); at most ±{limit}{unit}",
                    number(reach),
                    number(extreme),
                    number(depth),
                    number(extreme)
                ),
                span,
                Some(why),
            ),
        }
        None
    }

    fn macros(&mut self, patch: &Patch, by_id: &HashMap<&str, &NodeInfo>) -> Vec<ResolvedMacro> {
        let mut out = Vec::new();
        let mut names: HashMap<&str, usize> = HashMap::default();
        for (i, m) in patch.macros.iter().enumerate() {
            let here = |f: &'static str| [Field("macros"), Index(i), Field(f)];
            if i == MAX_MACROS {
                let span = self.at(&[Field("macros"), Index(i)]);
                self.error(
                    format!("a patch has at most {MAX_MACROS} macros (this one has {})", patch.macros.len()),
                    span,
                );
            }
            let name_span = self.at(&here("name"));
            if m.name.trim().is_empty() {
                self.error("a macro needs a name", name_span);
            } else if let Some(first) = names.insert(&m.name, i) {
                self.error(
                    format!("macro name `{}` is used twice (macros {} and {})", m.name, first + 1, i + 1),
                    name_span,
                );
            }
            // Compared as the engine holds them (single precision), so what passes is what plays.
            let (min, max, default) = (m.min as f32, m.max as f32, m.default as f32);
            let mut usable = true;
            for (field, written) in [("min", m.min), ("max", m.max), ("default", m.default)] {
                if !written.is_finite() || written.abs() > MAX_MACRO_VALUE {
                    let span = self.at(&here(field));
                    self.error_help(
                        format!("macro `{}`: {field} {} is beyond any use", m.name, number(written)),
                        span,
                        Some(format!(
                            "macro values lie within ±{}; a target's depth scales what the macro moves",
                            number(MAX_MACRO_VALUE)
                        )),
                    );
                    usable = false;
                }
            }
            let valid_range = usable && min < max;
            if usable && !valid_range {
                let span = self.at(&here("max"));
                self.error(
                    format!("macro `{}`: min ({}) must be below max ({})", m.name, number(m.min), number(m.max)),
                    span,
                );
            } else if valid_range && !(min..=max).contains(&default) {
                let span = self.at(&here("default"));
                self.error(
                    format!(
                        "macro `{}`: default {} is outside {} to {}",
                        m.name,
                        number(m.default),
                        number(m.min),
                        number(m.max)
                    ),
                    span,
                );
            }
            // How far the macro reaches from 0, which a target's depth multiplies.
            let extreme = if valid_range { f64::from(min.abs().max(max.abs())) } else { 1.0 };
            let mut targets = Vec::new();
            for (j, t) in m.targets.iter().enumerate() {
                let path = [Field("macros"), Index(i), Field("targets"), Index(j)];
                let to_span = self.at(&[path[0], path[1], path[2], path[3], Field("to")]);
                let target = self.param_target(by_id, &t.to, to_span);
                let depth_path = [path[0], path[1], path[2], path[3], Field("depth")];
                let depth = target
                    .and_then(|(_, _, spec)| self.depth(t.depth, Some((&m.name, extreme)), spec, &t.to, &depth_path));
                if let (Some((node, param, _)), Some(depth)) = (target, depth) {
                    targets.push((node, param, depth));
                }
            }
            out.push(ResolvedMacro { name: m.name.clone(), min, max, default, targets });
        }
        out
    }

    /// Resolves the `params` section: parameters exposed to the host.
    fn exposed(
        &mut self,
        patch: &Patch,
        by_id: &HashMap<&str, &NodeInfo>,
        nodes: &[ResolvedNode],
    ) -> Vec<ResolvedExposed> {
        let mut out: Vec<ResolvedExposed> = Vec::new();
        let mut names: HashMap<&str, usize> = HashMap::default();
        for (i, e) in patch.params.iter().enumerate() {
            let here = |f: &'static str| [Field("params"), Index(i), Field(f)];
            if i == MAX_EXPOSED {
                let span = self.at(&[Field("params"), Index(i)]);
                self.error(
                    format!("a patch exposes at most {MAX_EXPOSED} parameters (this one has {})", patch.params.len()),
                    span,
                );
            }
            let name_span = self.at(&here("name"));
            if e.name.trim().is_empty() {
                self.error("an exposed parameter needs a name", name_span);
            } else if let Some(first) = names.insert(&e.name, i) {
                self.error(
                    format!(
                        "exposed parameter name `{}` is used twice (parameters {} and {})",
                        e.name,
                        first + 1,
                        i + 1
                    ),
                    name_span,
                );
            }
            let to_span = self.at(&here("to"));
            let Some((node, index, spec)) = self.param_ref(by_id, &e.to, to_span.clone()) else { continue };
            let p = &spec.params[index];
            if p.unit == Unit::Choice {
                self.error_help(
                    format!("`{}` is a choice parameter and cannot be exposed", e.to),
                    to_span,
                    Some(format!(
                        "a host control moves smoothly, a choice ({}) does not; set it in the file",
                        p.choices.join(", ")
                    )),
                );
                continue;
            }
            if let Some(first) = out.iter().find(|x| x.node == node && x.index == index) {
                self.error(format!("`{}` is already exposed as `{}`", e.to, first.param.name), to_span);
                continue;
            }
            let unit = unit_suffix(p.unit, " ");
            let mut ok = true;
            let mut bounds = [p.min, p.max];
            for (i, (field, value)) in [("min", e.min), ("max", e.max)].into_iter().enumerate() {
                let Some(v) = value else { continue };
                match in_range(v, p.min, p.max) {
                    Some(v) => bounds[i] = v,
                    None => {
                        let span = self.at(&here(field));
                        self.error(
                            format!(
                                "exposed `{}`: {field} {}{unit} is outside `{}`'s range ({} to {}{unit})",
                                e.name,
                                number(v),
                                e.to,
                                number32(p.min),
                                number32(p.max)
                            ),
                            span,
                        );
                        ok = false;
                    }
                }
            }
            if !ok {
                continue;
            }
            let [min, max] = bounds;
            if min >= max {
                let span = self.at(&here("max"));
                self.error(
                    format!("exposed `{}`: min ({}) must be below max ({})", e.name, number32(min), number32(max)),
                    span,
                );
                continue;
            }
            let default = nodes[node].params[index];
            if !(min..=max).contains(&default) {
                let field = if default < min { "min" } else { "max" };
                let span = self.at(&here(field));
                self.error_help(
                    format!(
                        "exposed `{}`: the file's value of `{}` ({}{unit}) is outside {} to {}{unit}",
                        e.name,
                        e.to,
                        number32(default),
                        number32(min),
                        number32(max)
                    ),
                    span,
                    Some(format!("the file's value is the default: set `{}` within the range, or widen it", e.to)),
                );
                continue;
            }
            let param = ExposedParam { name: e.name.clone(), target: e.to.clone(), unit: p.unit, min, max, default };
            out.push(ResolvedExposed { param, node, index });
        }
        out
    }

    fn output(&mut self, patch: &Patch, by_id: &HashMap<&str, &NodeInfo>) -> Option<[PortRef; 2]> {
        match &patch.output {
            None => {
                let span = self.map.value(&[]).map_or(0..0, |r| r.start..r.start + 1);
                self.error_help(
                    "the patch has no output",
                    span,
                    Some("add `output: Mono(\"amp.out\")` naming the port the voice is heard from".into()),
                );
                None
            }
            Some(OutputDecl::Mono(port)) => {
                let span = self.at(&[Field("output"), Index(0)]);
                let p = self.port(by_id, port, span, Direction::Output)?;
                Some([p, p])
            }
            Some(OutputDecl::Stereo(left, right)) => {
                let (ls, rs) = (self.at(&[Field("output"), Index(0)]), self.at(&[Field("output"), Index(1)]));
                let l = self.port(by_id, left, ls, Direction::Output);
                let r = self.port(by_id, right, rs, Direction::Output);
                Some([l?, r?])
            }
        }
    }

    fn voice(&mut self, patch: &Patch, by_id: &HashMap<&str, &NodeInfo>) -> Option<ResolvedVoice> {
        let v = &patch.voice;
        let mut ok = true;
        if v.polyphony == 0 || v.polyphony > MAX_POLYPHONY {
            let span = self.at(&[Field("voice"), Field("polyphony")]);
            self.error(
                format!("polyphony must be a whole number of voices, 1 to {MAX_POLYPHONY} (got {})", v.polyphony),
                span,
            );
            ok = false;
        }
        if !(0.0..=MAX_GLIDE).contains(&v.glide) {
            let span = self.at(&[Field("voice"), Field("glide")]);
            self.error(format!("glide must be 0 to {MAX_GLIDE} seconds (got {})", number(v.glide)), span);
            ok = false;
        }
        if !(0.0..=MAX_BEND_RANGE).contains(&v.bend_range) {
            let span = self.at(&[Field("voice"), Field("bend_range")]);
            self.error(
                format!("bend_range must be 0 to {MAX_BEND_RANGE} semitones (got {})", number(v.bend_range)),
                span,
            );
            ok = false;
        }
        let amp_envelope = match &v.amp_envelope {
            None => None,
            Some(id) => {
                let span = self.at(&[Field("voice"), Field("amp_envelope")]);
                match self.node(by_id, id, span.clone()) {
                    Some(node) if node.spec.role == NodeRole::Envelope => Some(node.index),
                    Some(node) => {
                        self.error(format!("`{id}` (a `{}`) is not an envelope", node.spec.kind), span);
                        ok = false;
                        None
                    }
                    None => {
                        ok = false;
                        None
                    }
                }
            }
        };
        ok.then(|| ResolvedVoice {
            polyphony: if v.mode == VoiceMode::Poly { v.polyphony as usize } else { 1 },
            mode: v.mode,
            glide: v.glide as f32,
            steal: v.steal,
            bend_range: v.bend_range as f32,
            amp_envelope,
        })
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Output,
    Input,
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Output => "output",
            Direction::Input => "input",
        }
    }
}

fn port_name(infos: &[NodeInfo], port: PortRef, dir: Direction) -> String {
    let node = &infos.iter().find(|n| n.index == port.node).expect("resolved ports name known nodes");
    let ports = match dir {
        Direction::Output => node.spec.outputs,
        Direction::Input => node.spec.inputs,
    };
    format!("{}.{}", node.id, ports[port.port].name)
}

fn is_reserved(id: &str) -> bool {
    ModSource::builtin(id).is_some()
        || id.strip_prefix("cc").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `x` as the engine holds it (single precision) when it lies within `min..=max`. One comparison at one
/// precision: the value is rounded to `f32` first and compared with the bounds as declared, so every
/// documented bound is accepted (`0.001` is `0.001f32`, the very bound, not the `f64` just below it) and
/// what passes is exactly what plays.
pub fn in_range(x: f64, min: f32, max: f32) -> Option<f32> {
    let value = x as f32;
    (value.is_finite() && (min..=max).contains(&value)).then_some(value)
}

/// Largest magnitude of a macro's `min`, `max` and `default`. A macro's value only scales its targets'
/// depths (which have their own limits), so a range wider than a million is past any use, and this keeps
/// every value finite and exact enough in the engine's single precision.
pub const MAX_MACRO_VALUE: f64 = 1e6;

/// Deepest modulation, in octaves, aimed at a parameter in hertz, semitones or seconds: four times the
/// ten octaves of the audible range (20 Hz to 20 kHz), the widest sweep a cutoff or pitch can use.
pub const MAX_DEPTH_OCTAVES: f64 = 40.0;
/// Deepest modulation, in cents, aimed at a parameter in cents: eight octaves, four times the widest
/// pitch bend (±48 semitones is one such span), and far past any `fine` or `detune` range (±100 cents).
pub const MAX_DEPTH_CENTS: f64 = 9600.0;
/// Deepest modulation, in dB, aimed at a parameter in decibels: 240 dB, past the whole dynamic range of
/// 24-bit audio (144 dB) and four times the widest decibel parameter's span (60 dB).
pub const MAX_DEPTH_DB: f64 = 240.0;
/// Deepest modulation aimed at a plain-number parameter, in multiples of the parameter's own span (max −
/// min): a plain parameter's widest useful sweep is its whole range (modulation past it is clamped), and
/// the span differs from 0..1 levels to 0..20000 FM depths, so one fixed number cannot serve them all.
pub const MAX_DEPTH_SPANS: f64 = 16.0;

/// The largest modulation depth (in its modulation unit) a route or a macro at its extreme may aim at
/// `param`: [`MAX_DEPTH_OCTAVES`], [`MAX_DEPTH_CENTS`], [`MAX_DEPTH_DB`], or [`MAX_DEPTH_SPANS`] times a
/// plain parameter's span. A depth past it would be clamped to the parameter's range anyway; it is an
/// error because it is almost certainly a typo (4,000 octaves for 4 octaves).
pub fn depth_limit(param: &ParamSpec) -> f64 {
    match param.unit {
        Unit::Hertz | Unit::Semitones | Unit::Seconds => MAX_DEPTH_OCTAVES,
        Unit::Cents => MAX_DEPTH_CENTS,
        Unit::Decibels => MAX_DEPTH_DB,
        Unit::Linear | Unit::Choice => {
            let span = f64::from(param.max) - f64::from(param.min);
            // Rounded to a millionth so the limit prints as it is compared (16 × 0.96 = 15.36, not the
            // 15.359999656677246 single-precision bounds would give).
            (MAX_DEPTH_SPANS * span * 1e6).round() / 1e6
        }
    }
}

/// Why [`depth_limit`] is what it is for `param`, for a diagnostic's hint.
fn depth_limit_reason(param: &ParamSpec) -> String {
    match param.unit {
        Unit::Hertz | Unit::Semitones | Unit::Seconds => {
            "the audible range is about 10 octaves; a full sweep never needs more than 40".into()
        }
        Unit::Cents => "9600 cents is eight octaves; use a semitone `pitch` parameter for wider moves".into(),
        Unit::Decibels => "240 dB is far past silence; no level sweep needs more".into(),
        Unit::Linear | Unit::Choice => format!(
            "the parameter's whole range is {} to {}; a depth of {} times that is past any use",
            number32(param.min),
            number32(param.max),
            number(MAX_DEPTH_SPANS)
        ),
    }
}

/// `unit`'s symbol after `sep` (" Hz", " in Hz"), or nothing for plain numbers.
fn unit_suffix(unit: Unit, sep: &str) -> String {
    match unit {
        Unit::Linear | Unit::Choice => String::new(),
        u => format!("{sep}{}", u.symbol()),
    }
}

/// The closest of `candidates` to a misspelt `word`, if any is close enough to be what was meant.
pub(crate) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|&c| {
            (c, strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()), strsim::damerau_levenshtein(word, c))
        })
        .filter(|&(c, jw, edits)| jw >= 0.85 || edits <= (c.len().min(word.len()) / 3).max(1))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(c, _, _)| c)
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn suggestions_catch_typos_but_not_strangers() {
        assert_eq!(suggest("cutof", &["cutoff", "q"]), Some("cutoff"));
        assert_eq!(suggest("fliter", &["filter", "osc"]), Some("filter"));
        assert_eq!(suggest("sawtooth", &["saw", "sine", "svf"]), Some("saw"));
        assert_eq!(suggest("outt", &["out"]), Some("out"));
        assert_eq!(suggest("banana", &["saw", "sine", "svf", "adsr"]), None);
    }
}
