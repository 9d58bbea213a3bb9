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
        (
            patch("", "\n    voice: (polyphony: 0),"),
            "p.ron:12:24: error: polyphony must be a whole number of voices, 1 to 128 (got 0)",
            None,
        ),
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
            "p.ron:2:14: error: this file is written for patch version 2; this build reads version 1",
            Some("a newer Ferrule wrote it: update Ferrule to play it"),
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

/// The first line and help `ferrule check` gives `text`, which must not compile.
fn first(text: &str) -> (String, Option<String>) {
    check(text).into_iter().next().unwrap_or_else(|| panic!("expected an error, but it compiled:\n{text}"))
}

#[test]
fn a_byte_order_mark_is_skipped_and_positions_after_it_stay_right() {
    let text = format!("\u{feff}{}", patch("", ""));
    assert_eq!(check(&text), vec![], "a patch saved with a BOM compiles");
    // An error on the first line counts columns from the first visible character…
    let broken = format!("\u{feff}{}", BASE.replacen('(', "[", 1).replace("NODES", "").replace("REST", ""));
    assert!(first(&broken).0.starts_with("p.ron:1:1: error: "), "{:?}", first(&broken));
    // …and one further down keeps its line and column.
    let typo = format!("\u{feff}{}", patch("\n        \"lfo\": (kind: \"sawtooth\"),", ""));
    assert_eq!(first(&typo).0, "p.ron:7:23: error: unknown node kind `sawtooth`");
    let source = PatchSource { path: "p.ron".into(), text: typo };
    let rendered = compile(&source, &CompileSettings::default()).err().expect("broken").to_string();
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines[2], r#"7 |         "lfo": (kind: "sawtooth"),"#);
    assert_eq!(lines[3], "  |                       ^^^^^^^^^^");
}

#[test]
fn polyphony_that_is_not_a_whole_number_of_voices_says_so() {
    assert_eq!(
        first(&patch("", "\n    voice: (polyphony: 8.5),")),
        ("p.ron:12:24: error: polyphony must be a whole number of voices, 1 to 128 (got 8.5)".into(), None)
    );
    assert_eq!(
        first(&patch("", "\n    voice: (polyphony: -1),")),
        ("p.ron:12:24: error: polyphony must be a whole number of voices, 1 to 128 (got -1)".into(), None)
    );
    assert_eq!(
        first(&patch("", "\n    voice: (polyphony: 1e308),")).0,
        "p.ron:12:24: error: polyphony must be a whole number of voices, 1 to 128 (got 1e308)"
    );
    assert_eq!(check(&patch("", "\n    voice: (polyphony: 16),")), vec![]);
}

#[test]
fn modes_written_in_quotes_are_told_to_drop_them() {
    assert_eq!(
        first(&patch("", "\n    voice: (mode: \"Mono\"),")),
        (
            "p.ron:12:19: error: voice modes are written without quotes, e.g. `mode: Mono`".into(),
            Some("choices: Poly, Mono, Legato".into())
        )
    );
    assert_eq!(
        first(&patch("", "\n    voice: (steal: \"oldest\"),")).0,
        "p.ron:12:20: error: steal policies are written without quotes, e.g. `steal: Oldest`"
    );
    let quoted_output = BASE.replace("Mono(\"amp.out\")", "\"amp.out\"").replace("NODES", "").replace("REST", "");
    assert_eq!(
        first(&quoted_output),
        (
            "p.ron:12:13: error: `output` is written `Mono(\"node.port\")` or `Stereo(\"left.port\", \"right.port\")`"
                .into(),
            Some("write `output: Mono(\"amp.out\")`".into())
        )
    );
}

#[test]
fn numbers_are_printed_compactly() {
    let huge = BASE.replace("1200.0", "1e308").replace("NODES", "").replace("REST", "");
    assert_eq!(first(&huge).0, "p.ron:5:53: error: `filter.cutoff` = 1e308 Hz is out of range (20 to 20000 Hz)");
    let tiny = BASE.replace("1200.0", "1e-300").replace("NODES", "").replace("REST", "");
    assert_eq!(first(&tiny).0, "p.ron:5:53: error: `filter.cutoff` = 1e-300 Hz is out of range (20 to 20000 Hz)");
    let glide = patch("", "\n    voice: (glide: 12345678.5),");
    assert_eq!(first(&glide).0, "p.ron:12:20: error: glide must be 0 to 10 seconds (got 1.23456785e7)");
}

#[test]
fn control_characters_in_ids_are_escaped_not_echoed() {
    let text = patch("\n        \"a\u{0}b\u{1b}[2J\u{202e}\": (kind: \"sine\"),", "");
    let (line, _) = first(&text);
    assert_eq!(line, "p.ron:7:9: error: node id `a\\0b\\u{1b}[2J\\u{202e}` may only use letters, digits, `_` and `-`");
    let source = PatchSource { path: "p.ron".into(), text };
    let rendered = compile(&source, &CompileSettings::default()).err().expect("broken").to_string();
    assert!(!rendered.chars().any(|c| c.is_control() && c != '\n'), "no raw control characters:\n{rendered:?}");
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(
        lines[2], "7 |         \"a\u{2400}b\u{241b}[2J\u{202e}\": (kind: \"sine\"),",
        "shown as control pictures"
    );
}

#[test]
fn the_version_is_checked_before_anything_else() {
    let text = "(\n    version: 999,\n    voices: (polyphony: 4),\n    nodes: {},\n    output: Mono(\"amp.out\"),\n)";
    assert_eq!(
        first(text),
        (
            "p.ron:2:14: error: this file is written for patch version 999; this build reads version 1".into(),
            Some("a newer Ferrule wrote it: update Ferrule to play it".into())
        )
    );
    assert_eq!(
        first("(version: 1.5, nodes: {})").0,
        "p.ron:1:11: error: `1.5` is not a patch version; this build reads version 1"
    );
    // A version no number holds, written before a right one (the corpus found it said "integer is out of
    // bounds").
    assert!(
        first("(version: -1, version: 1, nodes: {})")
            .0
            .ends_with("error: `-1` is not a patch version; this build reads version 1"),
        "{:?}",
        first("(version: -1, version: 1, nodes: {})")
    );
}

#[test]
fn a_long_line_is_clipped_around_the_column_with_the_caret_in_place() {
    // A 100 KB line, the mistake in the middle.
    let filler = format!("/* {} */ ", "x".repeat(50_000));
    let line = format!("        \"filter\": (kind: \"svf\", params: {{ {filler}\"cutof\": 1.0, {filler}}}),");
    let text = BASE
        .replace(r#"        "filter": (kind: "svf", params: { "cutoff": 1200.0 }),"#, &line)
        .replace("NODES", "")
        .replace("REST", "");
    let source = PatchSource { path: "p.ron".into(), text };
    let rendered = compile(&source, &CompileSettings::default()).err().expect("broken").to_string();
    assert!(rendered.len() < 100_000, "the snippet does not echo the whole line");
    let lines: Vec<&str> = rendered.lines().collect();
    assert!(lines[0].starts_with("p.ron:5:"), "{}", lines[0]);
    let col: usize = lines[0].split(':').nth(2).unwrap().parse().unwrap();
    assert!(lines[0].ends_with("has no parameter `cutof`"), "{}", lines[0]);
    let (shown, carets) = (lines[2], lines[3]);
    assert!(shown.chars().count() < 130, "clipped: {shown}");
    assert!(shown.starts_with("5 | ...") && shown.ends_with("..."), "{shown}");
    let caret = carets.find('^').expect("a caret");
    assert_eq!(&shown[caret..caret + 7], "\"cutof\"", "the caret is under the culprit:\n{shown}\n{carets}");
    assert!(col > 50_000, "the column is still the real one: {col}");
}

#[test]
fn a_clipped_line_of_wide_and_accented_text_keeps_the_caret_under_its_character() {
    // Accented letters, CJK (two columns each) and an emoji before the mistake, on a long line.
    let comment: String = "é日本🎹".repeat(40);
    let line = format!("        \"filter\": (kind: \"svf\", params: {{ \"cutof\": 1.0 }}), // {comment}");
    let short = "        /* 日本語 é */ \"filter\": (kind: \"svf\", params: { \"cutof\": 1.0 }),".to_string();
    for line in [line, short] {
        let text = BASE
            .replace(r#"        "filter": (kind: "svf", params: { "cutoff": 1200.0 }),"#, &line)
            .replace("NODES", "")
            .replace("REST", "");
        let source = PatchSource { path: "p.ron".into(), text };
        let rendered = compile(&source, &CompileSettings::default()).err().expect("broken").to_string();
        let lines: Vec<&str> = rendered.lines().collect();
        let (shown, carets) = (lines[2], lines[3]);
        // Columns on screen: these CJK characters and the emoji take two.
        let width = |c: char| if ('\u{3000}'..='\u{9fff}').contains(&c) || c >= '\u{1f300}' { 2 } else { 1 };
        let caret = carets[..carets.find('^').expect("a caret")].chars().map(width).sum::<usize>();
        let mut column = 0;
        let under: String = shown
            .chars()
            .skip_while(|&c| {
                let here = column;
                column += width(c);
                here < caret
            })
            .take(7)
            .collect();
        assert_eq!(under, "\"cutof\"", "the caret is under the culprit:\n{shown}\n{carets}");
    }
}

#[test]
fn a_key_written_twice_in_any_map_is_an_error_not_a_silent_replacement() {
    let params =
        BASE.replace("{ \"cutoff\": 1200.0 }", "{ \"q\": 1.0, \"q\": 25.0 }").replace("NODES", "").replace("REST", "");
    assert_eq!(
        first(&params),
        (
            "p.ron:5:53: error: `filter.q` is set twice".into(),
            Some("it is first set on line 5; a parameter takes one value".into())
        )
    );
    let effects = patch(
        "",
        "\n    effects: {\n        \"echo\": (kind: \"delay\", params: { \"mix\": 0.2, \"mix\": 0.9 }),\n        \"echo\": (kind: \"delay\"),\n    },",
    );
    let found: Vec<String> = check(&effects).into_iter().map(|(line, _)| line).collect();
    // The first `echo` is itself replaced by the second, and its repeated key is still reported.
    assert_eq!(found, ["p.ron:13:55: error: `mix` is written twice", "p.ron:14:9: error: duplicate node id `echo`"]);
    let effect_params =
        patch("", "\n    effects: { \"echo\": (kind: \"delay\", params: { \"mix\": 0.2, \"mix\": 0.9 }) },");
    assert_eq!(first(&effect_params).0, "p.ron:12:62: error: `echo.mix` is set twice");
    let fields = patch("", "\n    voice: (polyphony: 4, polyphony: 2),");
    assert_eq!(first(&fields).0, "p.ron:12:27: error: `polyphony` is written twice in `voice`");
}

#[test]
fn an_amp_envelope_that_is_not_heard_is_an_error_at_its_name() {
    // `env` shapes nothing that reaches the output, yet would decide how long every voice lives.
    let text = patch(
        "\n        \"env\": (kind: \"adsr\", params: { \"release\": 20.0 }),",
        "\n    voice: (amp_envelope: \"env\"),",
    );
    assert_eq!(
        first(&text),
        (
            "p.ron:13:27: error: `env` is the voice's `amp_envelope` but is never heard: nothing connects it to the output"
                .into(),
            Some(
                "connect it to what you hear (e.g. `(\"env\", \"amp.cv\")`), or leave `amp_envelope` out and each \
                 voice ends when every envelope that is heard has ended"
                    .into()
            )
        )
    );
    // Heard through a wire or through a modulation route: fine.
    let wired = text.replace("(\"filter.lp\", \"amp.in\"),", "(\"filter.lp\", \"amp.in\"), (\"env\", \"amp.cv\"),");
    assert_eq!(check(&wired), vec![]);
    let routed =
        text.replace("voice: (", "modulations: [(from: \"env\", to: \"filter.cutoff\", depth: 2.0)],\n    voice: (");
    assert_eq!(check(&routed), vec![]);
}

#[test]
fn a_file_with_thousands_of_mistakes_reports_the_first_hundred_and_counts_the_rest() {
    let repeats = "\"q\": 1.0, ".repeat(5_001);
    let text =
        BASE.replace("{ \"cutoff\": 1200.0 }", &format!("{{ {repeats}}}")).replace("NODES", "").replace("REST", "");
    let found = check(&text);
    assert_eq!(found.len(), 101, "the first hundred and a count");
    assert_eq!(found[0].0, "p.ron:5:53: error: `filter.q` is set twice");
    assert_eq!(found[99].0, format!("p.ron:5:{}: error: `filter.q` is set twice", 43 + 100 * 10));
    assert!(
        found[100].0.ends_with("error: 4900 more problems not shown (the first 100 are above)"),
        "{}",
        found[100].0
    );
}
