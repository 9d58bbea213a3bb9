//! The patch's `params` section (parameters exposed to the host): what `ferrule check` says about each
//! mistake, with its position, and what a valid section gives the host (names, units, ranges, defaults).

use ferrule_engine::patch::{ExposedParam, exposed_params};
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

/// A patch whose `params` section is `PARAMS` (line 14).
const BASE: &str = r#"(
    version: 1,
    nodes: {
        "osc": (kind: "pulse"),
        "filter": (kind: "svf", params: { "cutoff": 1200.0 }),
        "shaper": (kind: "saturator"),
        "amp": (kind: "vca"),
    },
    connections: [("osc.out", "filter.in"), ("filter.lp", "shaper.in"), ("shaper.out", "amp.in")],
    effects: {
        "reverb": (kind: "reverb", params: { "mix": 0.3 }),
    },
    output: Mono("amp.out"),
    params: [PARAMS],
)"#;

fn patch(params: &str) -> String {
    BASE.replace("PARAMS", params)
}

fn first_error(params: &str) -> (String, Option<String>) {
    check(&patch(params)).into_iter().next().expect("an error")
}

#[test]
fn voice_and_effect_parameters_can_be_exposed_with_the_files_value_as_default() {
    let text =
        patch(r#"(name: "Cutoff", to: "filter.cutoff"), (name: "Reverb mix", to: "reverb.mix", min: 0.0, max: 0.6)"#);
    assert_eq!(check(&text), vec![]);
    let exposed = exposed_params(&PatchSource { path: "p.ron".into(), text }).unwrap();
    let names: Vec<&str> = exposed.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Cutoff", "Reverb mix"]);
    let cutoff: &ExposedParam = &exposed[0];
    assert_eq!((cutoff.min, cutoff.max, cutoff.default), (20.0, 20_000.0, 1200.0), "the svf's own range");
    assert_eq!(cutoff.format(cutoff.value(cutoff.default_position())), "1200 Hz");
    assert_eq!((exposed[1].min, exposed[1].max, exposed[1].default), (0.0, 0.6, 0.3));
    assert!((exposed[1].default_position() - 0.5).abs() < 1e-6, "linear: 0.3 is the middle of 0..0.6");
}

#[test]
fn an_unknown_node_or_parameter_gets_a_suggestion() {
    assert_eq!(
        first_error(r#"(name: "Cutoff", to: "filtr.cutoff")"#),
        ("p.ron:14:35: error: no node named `filtr`".into(), Some("did you mean `filter`?".into()))
    );
    assert_eq!(
        first_error(r#"(name: "Cutoff", to: "filter.cutof")"#),
        (
            "p.ron:14:35: error: `filter` (a `svf`) has no parameter `cutof`".into(),
            Some("did you mean `cutoff`?".into())
        )
    );
}

#[test]
fn a_name_used_twice_or_missing_is_refused() {
    assert_eq!(
        first_error(r#"(name: "Tone", to: "filter.cutoff"), (name: "Tone", to: "filter.q")"#).0,
        "p.ron:14:58: error: exposed parameter name `Tone` is used twice (parameters 1 and 2)"
    );
    assert_eq!(
        first_error(r#"(name: " ", to: "filter.q")"#).0,
        "p.ron:14:21: error: an exposed parameter needs a name"
    );
    assert_eq!(
        first_error(r#"(name: "A", to: "filter.q"), (name: "B", to: "filter.q")"#).0,
        "p.ron:14:59: error: `filter.q` is already exposed as `A`"
    );
}

#[test]
fn choice_parameters_are_refused_with_the_reason() {
    let (message, help) = first_error(r#"(name: "Curve", to: "shaper.mode")"#);
    assert!(message.contains("is a choice parameter and cannot be exposed"), "{message}");
    assert!(help.unwrap().contains("set it in the file"));
}

#[test]
fn min_and_max_must_lie_in_the_parameters_range_and_hold_the_default() {
    assert_eq!(
        first_error(r#"(name: "Cutoff", to: "filter.cutoff", min: 5.0)"#).0,
        "p.ron:14:57: error: exposed `Cutoff`: min 5 Hz is outside `filter.cutoff`'s range (20 to 20000 Hz)"
    );
    assert_eq!(
        first_error(r#"(name: "Cutoff", to: "filter.cutoff", min: 2000.0, max: 500.0)"#).0,
        "p.ron:14:70: error: exposed `Cutoff`: min (2000) must be below max (500)"
    );
    let (message, help) = first_error(r#"(name: "Cutoff", to: "filter.cutoff", min: 100.0, max: 800.0)"#);
    assert_eq!(
        message,
        "p.ron:14:69: error: exposed `Cutoff`: the file's value of `filter.cutoff` (1200 Hz) is outside 100 to 800 Hz"
    );
    assert_eq!(
        help.as_deref(),
        Some("the file's value is the default: set `filter.cutoff` within the range, or widen it")
    );
}

#[test]
fn at_most_sixteen() {
    let many: Vec<String> = (0..17).map(|i| format!(r#"(name: "P{i}", to: "filter.cutoff")"#)).collect();
    let errors = check(&patch(&many.join(", ")));
    assert!(
        errors.iter().any(|(m, _)| m.ends_with("error: a patch exposes at most 16 parameters (this one has 17)")),
        "{errors:?}"
    );
}

#[test]
fn the_language_references_example_compiles_with_its_params_section() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../patches/README.md")).unwrap();
    let start = readme.find("```ron\n").expect("an annotated example") + "```ron\n".len();
    let text = &readme[start..start + readme[start..].find("```").unwrap()];
    let source = PatchSource { path: "README.md".into(), text: text.into() };
    let exposed = exposed_params(&source).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(exposed[0].name, "Cutoff");
    assert_eq!(exposed[0].default, 1200.0);
}

/// An exposed parameter of `unit` over `min..=max` (the default in the middle; it does not affect text).
fn control(unit: ferrule_nodes::Unit, min: f32, max: f32) -> ExposedParam {
    ExposedParam { name: "P".into(), target: "x.p".into(), unit, min, max, default: (min + max) / 2.0 }
}

#[test]
fn the_text_a_host_shows_reads_back_as_the_same_text_for_every_unit() {
    use ferrule_nodes::Unit;
    // The ranges the node library uses, per unit (and the issue's cutoff edge at 100 Hz, the seconds edge
    // at 0.1 s).
    let controls = [
        control(Unit::Hertz, 20.0, 20_000.0),
        control(Unit::Hertz, 0.01, 100.0),
        control(Unit::Hertz, 0.0, 20_000.0),
        control(Unit::Seconds, 0.001, 4.0),
        control(Unit::Seconds, 0.0, 30.0),
        control(Unit::Seconds, 0.1, 30.0),
        control(Unit::Decibels, -48.0, 12.0),
        control(Unit::Semitones, -48.0, 48.0),
        control(Unit::Cents, -100.0, 100.0),
        control(Unit::Linear, 0.0, 1.0),
        control(Unit::Linear, 0.5, 25.0),
        control(Unit::Linear, -1.0, 1.0),
    ];
    let mut unstable = Vec::new();
    for c in &controls {
        for step in 0..=20_000 {
            let position = step as f32 / 20_000.0;
            let shown = c.format(c.value(position));
            let parsed = c.parse(&shown).unwrap_or_else(|| panic!("{shown} does not parse"));
            let again = c.format(parsed);
            if again != shown {
                unstable.push(format!("{:?} {}..{} at {position}: {shown} → {parsed} → {again}", c.unit, c.min, c.max));
            }
        }
    }
    assert!(
        unstable.is_empty(),
        "{} texts change on the way back, e.g.:\n{}",
        unstable.len(),
        unstable[..unstable.len().min(10)].join("\n")
    );
}

#[test]
fn the_issues_cutoff_edge_shows_as_the_value_it_reads_back_as() {
    let cutoff = control(ferrule_nodes::Unit::Hertz, 20.0, 20_000.0);
    let shown = cutoff.format(99.96);
    assert_eq!(shown, "100 Hz", "not `100.0 Hz`, which reads back as 100 and then shows as `100 Hz`");
    assert_eq!(cutoff.format(cutoff.parse(&shown).unwrap()), "100 Hz");
    let time = control(ferrule_nodes::Unit::Seconds, 0.001, 4.0);
    assert_eq!(time.format(0.099_96), "0.10 s");
    assert_eq!(time.format(0.099_4), "0.099 s");
    let gain = control(ferrule_nodes::Unit::Decibels, -48.0, 12.0);
    assert_eq!(gain.format(-0.01), "0.0 dB", "no negative zero");
}
