//! Validation: checks a parsed patch against the node registry and resolves every name to an index.
//!
//! Reports every problem in the file at once, each pointing at the offending text, with a "did you mean"
//! hint for misspelt names.

// Fx hashing: node ids come from the patch being compiled, so a flood of colliding ids could only slow its
// own author's compile.
use rustc_hash::FxHashMap as HashMap;
use std::ops::Range;

use ferrule_nodes::{NodeRole, NodeSpec, Unit, registry};

use crate::compile::resolved::{
    ModSource, PortRef, ResolvedConnection, ResolvedExposed, ResolvedMacro, ResolvedNode, ResolvedPatch, ResolvedRoute,
    ResolvedVoice,
};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::patch::model::{MAX_POLYPHONY, OutputDecl, PATCH_VERSION, ParamValue, VoiceMode};
use crate::patch::source_map::PathSeg::{self, Field, Index, Key};
use crate::patch::{ExposedParam, MAX_EXPOSED, Patch, PatchSource, SourceMap, parse};
use crate::play::globals::MAX_MACROS;

/// Names a modulation route may use as its source without naming a node.
pub const SOURCE_NAMES: &[&str] = &[
    "velocity",
    "key",
    "aftertouch",
    "pressure",
    "modwheel",
    "bend",
    "note_vibrato",
    "note_expression",
    "timbre",
    "cc1 … cc127",
];

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
    let mut v = Validator { map, errors: Vec::new(), broken: Vec::new() };
    let resolved = v.patch(patch);
    if v.errors.is_empty() { resolved.ok_or_else(Vec::new) } else { Err(v.errors) }
}

struct Validator<'m> {
    map: &'m SourceMap<'m>,
    errors: Vec<Diagnostic>,
    broken: Vec<String>,
}

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
        self.errors.push(Diagnostic::new(message, span));
    }

    fn error_help(&mut self, message: impl Into<String>, span: Range<usize>, help: Option<String>) {
        self.errors.push(Diagnostic { message: message.into(), span: Some(span), help });
    }

    fn patch(&mut self, patch: &Patch) -> Option<ResolvedPatch> {
        if patch.version != PATCH_VERSION {
            let span = self.at(&[Field("version")]);
            self.error(
                format!("unsupported patch version {} (this build reads version {PATCH_VERSION})", patch.version),
                span,
            );
        }

        let (nodes, infos) = self.nodes(patch);
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
            let depth = self.depth(m.depth, &[Field("modulations"), Index(i), Field("depth")]);
            if let (Some(source), Some((node, param)), Some(depth)) = (source, target, depth) {
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
        Some(ResolvedPatch { nodes, connections, modulations, macros, output: output?, voice: voice?, exposed })
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
                    (ParamValue::Number(x), unit) => {
                        if !x.is_finite() || *x < p.min as f64 || *x > p.max as f64 {
                            self.error(
                                format!(
                                    "`{id}.{name}` = {x}{} is out of range ({} to {}{})",
                                    unit_suffix(unit, " "),
                                    p.min,
                                    p.max,
                                    unit_suffix(unit, " ")
                                ),
                                span,
                            );
                        } else {
                            params[index] = *x as f32;
                        }
                    }
                }
            }
            infos.push(NodeInfo { index: nodes.len(), spec, id });
            nodes.push(ResolvedNode { id: id.clone(), kind, params, span: key_span, effect });
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.map.line_of(offset)
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
        let builtin = match text {
            "velocity" => Some(ModSource::Velocity),
            "key" => Some(ModSource::Key),
            "aftertouch" => Some(ModSource::PolyPressure),
            "note_vibrato" => Some(ModSource::Vibrato),
            "note_expression" => Some(ModSource::Expression),
            "timbre" => Some(ModSource::Brightness),
            "pressure" => Some(ModSource::ChannelPressure),
            "modwheel" => Some(ModSource::ModWheel),
            "bend" => Some(ModSource::PitchBend),
            _ => None,
        };
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
            names.extend(SOURCE_NAMES[..SOURCE_NAMES.len() - 1].iter().copied());
            let help = suggest(text, &names).map_or_else(
                || format!("sources are node outputs or one of: {}", SOURCE_NAMES.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            self.error_help(format!("unknown modulation source `{text}`"), span, Some(help));
            return None;
        }
        self.port(by_id, text, span, Direction::Output).map(ModSource::Node)
    }

    /// Resolves `"node.param"` to a modulatable parameter.
    fn param_target(
        &mut self,
        by_id: &HashMap<&str, &NodeInfo>,
        text: &str,
        span: Range<usize>,
    ) -> Option<(usize, usize)> {
        let (node, index, spec) = self.param_ref(by_id, text, span.clone())?;
        if spec.params[index].unit == Unit::Choice {
            self.error(format!("cannot modulate choice parameter `{text}`"), span);
            return None;
        }
        Some((node, index))
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

    fn depth(&mut self, depth: f64, path: &[PathSeg<'_>]) -> Option<f32> {
        if depth.is_finite() && depth.abs() <= 1e6 {
            Some(depth as f32)
        } else {
            let span = self.at(path);
            self.error(format!("depth {depth} is not a usable number"), span);
            None
        }
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
            let valid_range = m.min.is_finite() && m.max.is_finite() && m.min < m.max;
            if !valid_range {
                let span = self.at(&here("max"));
                self.error(format!("macro `{}`: min ({}) must be below max ({})", m.name, m.min, m.max), span);
            } else if !(m.min..=m.max).contains(&m.default) {
                let span = self.at(&here("default"));
                self.error(
                    format!("macro `{}`: default {} is outside {} to {}", m.name, m.default, m.min, m.max),
                    span,
                );
            }
            let mut targets = Vec::new();
            for (j, t) in m.targets.iter().enumerate() {
                let path = [Field("macros"), Index(i), Field("targets"), Index(j)];
                let to_span = self.at(&[path[0], path[1], path[2], path[3], Field("to")]);
                let target = self.param_target(by_id, &t.to, to_span);
                let depth = self.depth(t.depth, &[path[0], path[1], path[2], path[3], Field("depth")]);
                if let (Some((node, param)), Some(depth)) = (target, depth) {
                    targets.push((node, param, depth));
                }
            }
            out.push(ResolvedMacro {
                name: m.name.clone(),
                min: m.min as f32,
                max: m.max as f32,
                default: m.default as f32,
                targets,
            });
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
            for (field, value) in [("min", e.min), ("max", e.max)] {
                if let Some(v) = value
                    && (!v.is_finite() || v < p.min as f64 || v > p.max as f64)
                {
                    let span = self.at(&here(field));
                    self.error(
                        format!(
                            "exposed `{}`: {field} {v}{unit} is outside `{}`'s range ({} to {}{unit})",
                            e.name, e.to, p.min, p.max
                        ),
                        span,
                    );
                    ok = false;
                }
            }
            if !ok {
                continue;
            }
            let (min, max) = (e.min.map_or(p.min, |v| v as f32), e.max.map_or(p.max, |v| v as f32));
            if min >= max {
                let span = self.at(&here("max"));
                self.error(format!("exposed `{}`: min ({min}) must be below max ({max})", e.name), span);
                continue;
            }
            let default = nodes[node].params[index];
            if !(min..=max).contains(&default) {
                let field = if default < min { "min" } else { "max" };
                let span = self.at(&here(field));
                self.error_help(
                    format!(
                        "exposed `{}`: the file's value of `{}` ({default}{unit}) is outside {min} to {max}{unit}",
                        e.name, e.to
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
            self.error(format!("polyphony must be 1 to {MAX_POLYPHONY} (got {})", v.polyphony), span);
            ok = false;
        }
        if !(0.0..=MAX_GLIDE).contains(&v.glide) {
            let span = self.at(&[Field("voice"), Field("glide")]);
            self.error(format!("glide must be 0 to {MAX_GLIDE} seconds (got {})", v.glide), span);
            ok = false;
        }
        if !(0.0..=MAX_BEND_RANGE).contains(&v.bend_range) {
            let span = self.at(&[Field("voice"), Field("bend_range")]);
            self.error(format!("bend_range must be 0 to {MAX_BEND_RANGE} semitones (got {})", v.bend_range), span);
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
    SOURCE_NAMES.contains(&id)
        || id.strip_prefix("cc").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
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
