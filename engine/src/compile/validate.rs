//! Validation (placeholder until the full validator lands: resolves a valid patch, minimal errors).

use ferrule_nodes::{Unit, registry};

use crate::compile::resolved::*;
use crate::diagnostics::Diagnostic;
use crate::patch::model::{OutputDecl, ParamValue, VoiceMode};
use crate::patch::{Patch, SourceMap};

/// Validates `patch`.
pub fn validate(patch: &Patch, _map: &SourceMap) -> Result<ResolvedPatch, Vec<Diagnostic>> {
    let err = |m: String| vec![Diagnostic { message: m, span: Some(0..0), help: None }];
    let mut nodes = Vec::new();
    for (id, decl) in &patch.nodes {
        let (kind, spec) =
            registry::find(&decl.kind).ok_or_else(|| err(format!("unknown node kind `{}`", decl.kind)))?;
        let mut params: Vec<f32> = spec.params.iter().map(|p| p.default).collect();
        for (name, value) in &decl.params {
            let i = spec.param(name).ok_or_else(|| err(format!("unknown param `{name}`")))?;
            params[i] = match value {
                ParamValue::Number(x) => *x as f32,
                ParamValue::Name(n) => {
                    spec.params[i].choices.iter().position(|c| c == n).ok_or_else(|| err(format!("bad choice {n}")))?
                        as f32
                }
            };
        }
        nodes.push(ResolvedNode { id: id.clone(), kind, params, span: 0..0 });
    }
    let node =
        |name: &str| nodes.iter().position(|n| n.id == name).ok_or_else(|| err(format!("no node named `{name}`")));
    let port = |r: &str, output: bool| -> Result<PortRef, Vec<Diagnostic>> {
        let (n, p) = r.split_once('.').unwrap_or((r, ""));
        let ni = node(n)?;
        let spec = registry::spec(nodes[ni].kind);
        let pi = if p.is_empty() {
            0
        } else if output {
            spec.output(p).ok_or_else(|| err(format!("no output {r}")))?
        } else {
            spec.input(p).ok_or_else(|| err(format!("no input {r}")))?
        };
        Ok(PortRef { node: ni, port: pi })
    };
    let param = |r: &str| -> Result<(usize, usize), Vec<Diagnostic>> {
        let (n, p) = r.split_once('.').ok_or_else(|| err(format!("bad param {r}")))?;
        let ni = node(n)?;
        let pi = registry::spec(nodes[ni].kind).param(p).ok_or_else(|| err(format!("no param {r}")))?;
        Ok((ni, pi))
    };
    let mut connections = Vec::new();
    for (list, feedback) in [(&patch.connections, false), (&patch.feedback, true)] {
        for (a, b) in list {
            connections.push(ResolvedConnection { from: port(a, true)?, to: port(b, false)?, feedback, span: 0..0 });
        }
    }
    let mut modulations = Vec::new();
    for m in &patch.modulations {
        let source = match m.from.as_str() {
            "velocity" => ModSource::Velocity,
            "key" => ModSource::Key,
            "aftertouch" => ModSource::PolyPressure,
            "pressure" => ModSource::ChannelPressure,
            "modwheel" => ModSource::ModWheel,
            "bend" => ModSource::PitchBend,
            s if s.starts_with("cc") && s[2..].parse::<u8>().is_ok() => ModSource::Cc(s[2..].parse().unwrap()),
            s => ModSource::Node(port(s, true)?),
        };
        let (n, p) = param(&m.to)?;
        if registry::spec(nodes[n].kind).params[p].unit == Unit::Choice {
            return Err(err("choice".into()));
        }
        modulations.push(ResolvedRoute {
            source,
            node: n,
            param: p,
            depth: m.depth as f32,
            feedback: m.feedback,
            span: 0..0,
        });
    }
    let mut macros = Vec::new();
    for m in &patch.macros {
        let mut targets = Vec::new();
        for t in &m.targets {
            let (n, p) = param(&t.to)?;
            targets.push((n, p, t.depth as f32));
        }
        macros.push(ResolvedMacro {
            name: m.name.clone(),
            min: m.min as f32,
            max: m.max as f32,
            default: m.default as f32,
            targets,
        });
    }
    let output = match &patch.output {
        OutputDecl::Mono(a) => [port(a, true)?, port(a, true)?],
        OutputDecl::Stereo(a, b) => [port(a, true)?, port(b, true)?],
    };
    let v = &patch.voice;
    let voice = ResolvedVoice {
        polyphony: if v.mode == VoiceMode::Poly { v.polyphony as usize } else { 1 },
        mode: v.mode,
        glide: v.glide as f32,
        steal: v.steal,
        bend_range: v.bend_range as f32,
        amp_envelope: match &v.amp_envelope {
            Some(n) => Some(node(n)?),
            None => None,
        },
    };
    Ok(ResolvedPatch { nodes, connections, modulations, macros, output, voice })
}
