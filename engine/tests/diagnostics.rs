//! Broken patches and the exact first line of what `ferrule check` says about each: file, line, column and
//! a message a sound designer understands, plus the hint where there is one.

use ferrule_engine::{CompileSettings, PatchSource, compile};

/// Every problem's first line and its help, in order.
fn check(text: &str) -> Vec<(String, Option<String>)> {
    let source = PatchSource { path: "p.ron".into(), text: text.into() };
    match compile(&source, &CompileSettings::default()) {
        Ok(_) => vec![],
        Err(d) => d
            .located()
            .map(|(at, item)| (format!("p.ron:{}:{}: error: {}", at.line, at.col, item.message), item.help.clone()))
            .collect(),
    }
}

/// A patch with one slot to break: `NODES` and `REST` are replaced per case.
const BASE: &str = r#"(
    version: 1,
    nodes: {
        "osc": (kind: "saw"),
        "filter": (kind: "svf", params: { "cutoff": 1200.0 }),
        "amp": (kind: "vca"),NODES
    },
    connections: [
        ("osc.out", "filter.in"),
        ("filter.lp", "amp.in"),
    ],REST
    output: Mono("amp.out"),
)"#;

fn patch(nodes: &str, rest: &str) -> String {
    BASE.replace("NODES", nodes).replace("REST", rest)
}

#[test]
fn the_base_patch_compiles() {
    assert_eq!(check(&patch("", "")), vec![]);
}

#[test]
fn each_broken_patch_gets_its_exact_message_and_position() {
    let cases: Vec<(String, &str, Option<&str>)> = vec![
        // RON syntax: a missing comma between two nodes.
        (
            BASE.replace("(kind: \"saw\"),", "(kind: \"saw\")").replace("NODES", "").replace("REST", ""),
            "p.ron:5:9: error: expected comma",
            None,
        ),
        (
            patch("\n        \"lfo\": (kind: \"sawtooth\"),", ""),
            "p.ron:7:23: error: unknown node kind `sawtooth`",
            Some("did you mean `saw`?"),
        ),
        (
            patch("", "").replace("(\"filter.lp\", \"amp.in\")", "(\"filter.lpp\", \"amp.in\")"),
            "p.ron:10:10: error: `filter` (a `svf`) has no output `lpp`",
            Some("did you mean `lp`?"),
        ),
        (
            BASE.replace("1200.0", "30000.0").replace("NODES", "").replace("REST", ""),
            "p.ron:5:53: error: `filter.cutoff` = 30000 Hz is out of range (20 to 20000 Hz)",
            None,
        ),
        (
            patch("\n        \"osc\": (kind: \"sine\"),", ""),
            "p.ron:7:9: error: duplicate node id `osc`",
            Some("`osc` is first defined on line 4; node ids must be unique"),
        ),
        (
            BASE.replace("    output: Mono(\"amp.out\"),\n", "").replace("NODES", "").replace("REST", ""),
            "p.ron:1:1: error: the patch has no output",
            Some("add `output: Mono(\"amp.out\")` naming the port the voice is heard from"),
        ),
        (
            BASE.replace("(\"osc.out\", \"filter.in\")", "(\"osc.out\", \"fliter.in\")")
                .replace("NODES", "")
                .replace("REST", ""),
            "p.ron:9:21: error: no node named `fliter`",
            Some("did you mean `filter`?"),
        ),
        (
            BASE.replace("{ \"cutoff\": 1200.0 }", "{ \"cutof\": 1200.0 }").replace("NODES", "").replace("REST", ""),
            "p.ron:5:43: error: `filter` (a `svf`) has no parameter `cutof`",
            Some("did you mean `cutoff`?"),
        ),
        (
            patch("\n        \"lfo\": (kind: \"lfo\", params: { \"shape\": \"sin\" }),", ""),
            "p.ron:7:49: error: `lfo.shape` has no option `sin`",
            Some("did you mean `sine`?"),
        ),
        (
            patch("", "\n    modulations: [(from: \"velo\", to: \"filter.cutoff\", depth: 1.0)],"),
            "p.ron:12:26: error: unknown modulation source `velo`",
            Some("did you mean `velocity`?"),
        ),
        (patch("", "\n    voice: (polyphony: 0),"), "p.ron:12:24: error: polyphony must be 1 to 128 (got 0)", None),
        (
            patch(
                "",
                &format!(
                    "\n    macros: [{}],",
                    (1..=9).map(|i| format!("(name: \"m{i}\")")).collect::<Vec<_>>().join(", ")
                ),
            ),
            "p.ron:12:126: error: a patch has at most 8 macros (this one has 9)",
            None,
        ),
        (
            patch("", "\n    voice: (mod: Poly),"),
            "p.ron:12:13: error: unknown field `mod` in `voice`",
            Some("did you mean `mode`?"),
        ),
        (
            patch("", "\n    feedback: [(\"osc\", \"filter.in\")],"),
            "p.ron:12:24: error: `filter.in` is already connected (from `osc.out`)",
            Some("an input takes one connection; combine signals with a `mixer`"),
        ),
        (String::new(), "p.ron:1:1: error: the file is empty", Some("a patch starts with `(version: 1, ...`")),
        (
            BASE.replace("version: 1", "version: 2").replace("NODES", "").replace("REST", ""),
            "p.ron:2:14: error: unsupported patch version 2 (this build reads version 1)",
            None,
        ),
    ];
    let mut failures = Vec::new();
    for (text, first_line, help) in cases {
        let found = check(&text);
        assert!(!found.is_empty(), "expected `{first_line}` but the patch compiled:\n{text}");
        if found[0].0 != first_line {
            failures.push(format!("want {first_line}\n got {}", found[0].0));
            continue;
        }
        assert_eq!(found[0].1.as_deref(), help, "help for `{first_line}`");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_problem_in_a_file_is_reported_in_source_order() {
    let text = patch(
        "\n        \"x\": (kind: \"nope\"),",
        "\n    modulations: [(from: \"osc\", to: \"amp.gian\", depth: 1.0)],",
    )
    .replace("1200.0", "-5.0");
    let found: Vec<String> = check(&text).into_iter().map(|(line, _)| line).collect();
    assert_eq!(
        found,
        vec![
            "p.ron:5:53: error: `filter.cutoff` = -5 Hz is out of range (20 to 20000 Hz)",
            "p.ron:7:21: error: unknown node kind `nope`",
            "p.ron:13:37: error: `amp` (a `vca`) has no parameter `gian`",
        ]
    );
}

#[test]
fn the_rendered_text_starts_with_the_jump_line_and_underlines_the_culprit() {
    let source = PatchSource {
        path: "p.ron".into(),
        text: BASE.replace("{ \"cutoff\": 1200.0 }", "{ \"cutof\": 1200.0 }").replace("NODES", "").replace("REST", ""),
    };
    let text = compile(&source, &CompileSettings::default()).err().expect("broken").to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "p.ron:5:43: error: `filter` (a `svf`) has no parameter `cutof`");
    assert_eq!(lines[2], r#"5 |         "filter": (kind: "svf", params: { "cutof": 1200.0 }),"#);
    assert_eq!(lines[3], "  |                                           ^^^^^^^");
    assert_eq!(lines[4], "  = help: did you mean `cutoff`?");
}
