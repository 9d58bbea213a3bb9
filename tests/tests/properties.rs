//! Property tests: random valid patches, played with random event streams at random rates and block
//! sizes, always compile, always render finite output within the ±4 clamp, and never allocate on the
//! audio path.
//!
//! Patches are built from the node registry, so every node kind (present and future) is exercised with
//! parameter values across its whole range, wired in random acyclic graphs with random modulation routes.

use ferrule_engine::{CompileSettings, Engine, Event, EventKind, Expression, PatchSource, compile};
use ferrule_nodes::{NodeRole, Unit, registry};
use ferrule_tests::alloc_trap::count_allocations;
use proptest::prelude::*;

ferrule_tests::install_alloc_trap!();

/// One node as generated: a voice kind, parameter positions 0..=1 across each range, and for each input a
/// possible source among the earlier nodes (which keeps the graph acyclic).
#[derive(Clone, Debug)]
struct GenNode {
    kind: usize,
    params: Vec<f64>,
    inputs: Vec<Option<(usize, usize)>>,
}

fn voice_kinds() -> Vec<usize> {
    registry::all().iter().enumerate().filter(|(_, s)| s.role != NodeRole::Effect).map(|(i, _)| i).collect()
}

fn effect_kinds() -> Vec<usize> {
    registry::all().iter().enumerate().filter(|(_, s)| s.role == NodeRole::Effect).map(|(i, _)| i).collect()
}

/// Parameter map entries for `kind` at positions `params` (0..=1 of each range; choices by index).
fn param_text(kind: usize, params: &[f64]) -> String {
    let spec = &registry::all()[kind];
    spec.params
        .iter()
        .zip(params)
        .map(|(p, &t)| {
            if p.unit == Unit::Choice {
                let i = ((t * p.choices.len() as f64) as usize).min(p.choices.len() - 1);
                format!(r#""{}": "{}""#, p.name, p.choices[i])
            } else {
                let v = p.min as f64 + (p.max as f64 - p.min as f64) * t;
                format!(r#""{}": {:?}"#, p.name, v.clamp(p.min as f64, p.max as f64) as f32)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The patch text for generated nodes, routes, macros and effects.
fn patch_text(
    nodes: &[GenNode],
    routes: &[(usize, usize, usize, f64)],
    sources: &[&str],
    effects: &[(usize, Vec<f64>)],
    polyphony: u32,
) -> String {
    let kinds: Vec<&'static ferrule_nodes::NodeSpec> = nodes.iter().map(|n| &registry::all()[n.kind]).collect();
    let mut text = format!("(version: 1, voice: (polyphony: {polyphony}), nodes: {{");
    for (i, n) in nodes.iter().enumerate() {
        text.push_str(&format!(
            r#""n{i}": (kind: "{}", params: {{ {} }}),"#,
            kinds[i].kind,
            param_text(n.kind, &n.params)
        ));
    }
    text.push_str("}, connections: [");
    for (i, n) in nodes.iter().enumerate() {
        for (port, input) in n.inputs.iter().enumerate().take(kinds[i].inputs.len()) {
            if let Some((from, out)) = *input
                && from < i
            {
                let out = out % kinds[from].outputs.len();
                text.push_str(&format!(
                    r#"("n{from}.{}", "n{i}.{}"),"#,
                    kinds[from].outputs[out].name, kinds[i].inputs[port].name
                ));
            }
        }
    }
    text.push_str("], modulations: [");
    for &(source, node, param, depth) in routes {
        let node = node % nodes.len();
        let params = kinds[node].params;
        let Some(p) = params.get(param % params.len().max(1)) else { continue };
        if p.unit == Unit::Choice {
            continue;
        }
        let from = if source < sources.len() {
            sources[source].to_string()
        } else {
            // A node output earlier than the target, so routes never close a loop.
            let from = (source - sources.len()) % nodes.len();
            if from >= node {
                continue;
            }
            format!("n{from}")
        };
        text.push_str(&format!(r#"(from: "{from}", to: "n{node}.{}", depth: {depth:?}),"#, p.name));
    }
    text.push_str("], effects: {");
    for (i, (kind, params)) in effects.iter().enumerate() {
        text.push_str(&format!(
            r#""fx{i}": (kind: "{}", params: {{ {} }}),"#,
            registry::all()[*kind].kind,
            param_text(*kind, params)
        ));
    }
    let last = nodes.len() - 1;
    text.push_str(&format!(r#"}}, output: Mono("n{last}"))"#));
    text
}

fn gen_node(kinds: Vec<usize>) -> impl Strategy<Value = GenNode> {
    (
        proptest::sample::select(kinds),
        proptest::collection::vec(0.0f64..=1.0, 16),
        proptest::collection::vec(proptest::option::of((0usize..16, 0usize..4)), 8),
    )
        .prop_map(|(kind, params, inputs)| GenNode { kind, params, inputs })
}

/// A random event at a random frame of a block of `block` frames.
fn gen_event() -> impl Strategy<Value = (u32, u8, u8, f32)> {
    (0u32..4096, 0u8..12, 0u8..128, -0.5f32..1.5)
}

fn event(block: usize, (time, what, key, value): (u32, u8, u8, f32)) -> Event {
    let time = time % block as u32;
    let kind = match what {
        0..=3 => EventKind::NoteOn { note: key, velocity: value },
        4..=5 => EventKind::NoteOff { note: key },
        6 => EventKind::PitchBend { value },
        7 => EventKind::ControlChange { cc: key, value },
        8 => EventKind::PolyPressure { note: key, value },
        9 => EventKind::Macro { index: key % 8, value },
        10 => EventKind::NoteExpression { note: key, expression: Expression::Tuning, value: value * 50.0 },
        _ => EventKind::NoteExpression { note: key, expression: Expression::Pan, value },
    };
    Event { time, kind }
}

const SOURCES: &[&str] =
    &["velocity", "key", "aftertouch", "pressure", "modwheel", "bend", "note_vibrato", "timbre", "cc74"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_patches_compile_and_play_finite_without_allocating(
        nodes in proptest::collection::vec(gen_node(voice_kinds()), 1..10),
        routes in proptest::collection::vec((0usize..20, 0usize..16, 0usize..16, -3.0f64..3.0), 0..8),
        effects in proptest::collection::vec((proptest::sample::select(effect_kinds().into_iter().chain([usize::MAX]).collect::<Vec<_>>()), proptest::collection::vec(0.0f64..=1.0, 16)), 0..3),
        events in proptest::collection::vec(proptest::collection::vec(gen_event(), 0..12), 1..24),
        rate in proptest::sample::select(vec![44_100.0f32, 48_000.0, 96_000.0, 192_000.0]),
        block in 1usize..600,
        polyphony in 1u32..24,
    ) {
        // The last node is the voice output; it must have one.
        let mut nodes = nodes;
        if registry::all()[nodes.last().unwrap().kind].outputs.is_empty() {
            nodes.pop();
            prop_assume!(!nodes.is_empty());
        }
        let effects: Vec<(usize, Vec<f64>)> = effects.into_iter().filter(|(k, _)| *k != usize::MAX).collect();
        let text = patch_text(&nodes, &routes, SOURCES, &effects, polyphony);
        let source = PatchSource { path: "generated.ron".into(), text: text.clone() };
        let settings = CompileSettings { sample_rate: rate, max_block: block, polyphony: None, ..Default::default() };
        let schedule = match compile(&source, &settings) {
            Ok(s) => s,
            Err(d) => return Err(TestCaseError::fail(format!("a valid patch did not compile:\n{d}\n{text}"))),
        };
        let (mut engine, _control) = Engine::new(schedule);
        let (mut left, mut right) = (vec![0.0f32; block], vec![0.0f32; block]);
        for block_events in &events {
            let mut list: Vec<Event> = block_events.iter().map(|&e| event(block, e)).collect();
            list.sort_by_key(|e| e.time);
            let ((), allocations) = count_allocations(|| engine.process(&list, &mut left, &mut right));
            prop_assert_eq!(allocations, 0, "the audio path allocated\n{}", text);
            for x in left.iter().chain(&right) {
                prop_assert!(x.is_finite() && x.abs() <= 4.0, "{} left the safe range\n{}", x, text);
            }
        }
    }
}
