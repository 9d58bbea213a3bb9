//! Loops in a patch: an error naming every node on the loop, unless a feedback edge closes it.

use ferrule_engine::{CompileSettings, PatchSource, compile};

fn errors(text: &str) -> String {
    let source = PatchSource { path: "loop.ron".into(), text: text.into() };
    match compile(&source, &CompileSettings::default()) {
        Ok(_) => String::new(),
        Err(d) => d.to_string(),
    }
}

const LOOP: &str = r#"(
    version: 1,
    nodes: {
        "osc": (kind: "sine"),
        "mix": (kind: "mixer"),
        "filter": (kind: "svf"),
        "amp": (kind: "vca"),
    },
    connections: [
        ("osc", "mix.in1"),
        ("mix", "filter.in"),
        ("filter.lp", "amp.in"),
        ("amp", "mix.in2"),
    ],
    output: Mono("amp.out"),
)"#;

#[test]
fn a_loop_without_feedback_is_an_error_naming_its_nodes_in_order() {
    let text = errors(LOOP);
    let first = text.lines().next().unwrap_or_default();
    assert_eq!(first, "loop.ron:5:9: error: signal loop `mix` → `filter` → `amp` → `mix`", "{text}");
}

#[test]
fn the_same_loop_through_a_feedback_edge_compiles_and_plays() {
    let closed =
        LOOP.replace("        (\"amp\", \"mix.in2\"),\n    ],", "    ],\n    feedback: [(\"amp\", \"mix.in2\")],");
    assert_eq!(errors(&closed), "");
    let out = ferrule_tests::patch::render_text(&closed, &[ferrule_tests::patch::on(0.0, 60, 1.0)], 48_000.0, 64, 0.2);
    assert!(ferrule_tests::measure::peak(&out.left) > 0.1);
}

#[test]
fn a_modulation_loop_is_an_error_too_unless_marked_feedback() {
    let modloop = r#"(
    version: 1,
    nodes: {
        "a": (kind: "sine"),
        "b": (kind: "sine"),
        "amp": (kind: "vca"),
    },
    connections: [("a", "amp.in")],
    modulations: [
        (from: "a", to: "b.fine", depth: 10.0),
        (from: "b", to: "a.fine", depth: 10.0),
    ],
    output: Mono("amp.out"),
)"#;
    assert!(errors(modloop).contains("signal loop `a` → `b` → `a`"), "{}", errors(modloop));
    let marked = modloop.replace(
        "(from: \"b\", to: \"a.fine\", depth: 10.0)",
        "(from: \"b\", to: \"a.fine\", depth: 10.0, feedback: true)",
    );
    assert_eq!(errors(&marked), "");
}
