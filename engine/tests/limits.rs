//! Every documented limit of the patch language, at its edge: each parameter of each node kind accepts its
//! own documented bounds (as `docs/nodes.md` prints them) and refuses a value past them with a message
//! that does not contradict itself; modulation depths stop at their documented limit per unit.

use ferrule_engine::compile::validate::{
    MAX_DEPTH_CENTS, MAX_DEPTH_DB, MAX_DEPTH_OCTAVES, MAX_DEPTH_SPANS, depth_limit,
};
use ferrule_engine::{CompileSettings, PatchSource, compile};
use ferrule_nodes::{NodeRole, NodeSpec, ParamSpec, Unit, registry};

/// Every problem's first line, in order; empty when the patch compiles.
fn check(text: &str) -> Vec<String> {
    let source = PatchSource { path: "p.ron".into(), text: text.into() };
    match compile(&source, &CompileSettings::default()) {
        Ok(_) => vec![],
        Err(d) => {
            d.located().map(|(at, item)| format!("p.ron:{}:{}: error: {}", at.line, at.col, item.message)).collect()
        }
    }
}

/// A patch holding node (or effect) `x` of `spec`'s kind with `params`, exposing `exposed`, plus `rest`.
fn patch_with(spec: &NodeSpec, params: &str, exposed: &str, rest: &str) -> String {
    let x = format!("\"x\": (kind: \"{}\", params: {{ {params} }})", spec.kind);
    let (nodes, effects) =
        if spec.role == NodeRole::Effect { (String::new(), x) } else { (format!("{x},"), String::new()) };
    format!(
        "(\n    version: 1,\n    nodes: {{ \"osc\": (kind: \"sine\"), {nodes} \"amp\": (kind: \"vca\") }},\n    \
         connections: [(\"osc\", \"amp.in\")],\n    effects: {{ {effects} }},\n    params: [{exposed}],{rest}\n    \
         output: Mono(\"amp.out\"),\n)"
    )
}

/// `p.ron:LINE:COL` of the text after the first `after` in `text` (1-based, columns in characters).
fn at(text: &str, after: &str) -> String {
    let offset = text.find(after).expect("in the text") + after.len();
    let line = text[..offset].matches('\n').count() + 1;
    let col = text[..offset].chars().rev().take_while(|&c| c != '\n').count() + 1;
    format!("p.ron:{line}:{col}")
}

/// The numeric parameters of every node kind.
fn numeric_params() -> impl Iterator<Item = (&'static NodeSpec, &'static ParamSpec)> {
    registry::all()
        .iter()
        .flat_map(|spec| spec.params.iter().map(move |p| (spec, p)))
        .filter(|(_, p)| p.unit != Unit::Choice)
}

#[test]
fn every_documented_bound_of_every_parameter_is_accepted() {
    let mut refused = Vec::new();
    for (spec, p) in numeric_params() {
        // Written as the documentation prints them: the shortest decimal of the declared bound.
        for bound in [p.min, p.max] {
            let text = patch_with(spec, &format!("\"{}\": {bound}", p.name), "", "");
            refused.extend(check(&text).into_iter().map(|e| format!("{}.{} = {bound}: {e}", spec.kind, p.name)));
        }
        let exposed = format!("(name: \"X\", to: \"x.{}\", min: {}, max: {})", p.name, p.min, p.max);
        let text = patch_with(spec, "", &exposed, "");
        refused.extend(check(&text).into_iter().map(|e| format!("{}.{} exposed: {e}", spec.kind, p.name)));
    }
    assert!(refused.is_empty(), "documented bounds refused:\n{}", refused.join("\n"));
}

#[test]
fn the_issues_three_bounds_are_accepted() {
    for (kind, param, value) in [("delay", "time", "0.001"), ("reverb", "decay", "0.1"), ("chorus", "depth", "0.01")] {
        let (spec, p) = numeric_params().find(|(s, p)| s.kind == kind && p.name == param).expect("declared");
        assert!(p.min.to_string() == value || p.max.to_string() == value, "{kind}.{param} bound is {value}");
        assert_eq!(check(&patch_with(spec, &format!("\"{param}\": {value}"), "", "")), Vec::<String>::new());
    }
}

#[test]
fn a_value_past_a_bound_is_refused_without_contradicting_itself() {
    for (spec, p) in numeric_params() {
        let span = f64::from(p.max) - f64::from(p.min);
        for (outside, bound) in [(f64::from(p.min) - span * 1e-3, p.min), (f64::from(p.max) + span * 1e-3, p.max)] {
            let text = patch_with(spec, &format!("\"{}\": {outside}", p.name), "", "");
            let errors = check(&text);
            assert_eq!(errors.len(), 1, "{}.{} = {outside} (bound {bound}): {errors:?}", spec.kind, p.name);
            let message = &errors[0];
            let unit = if p.unit == Unit::Linear { String::new() } else { format!(" {}", p.unit.symbol()) };
            let range = format!("({} to {}{unit})", p.min, p.max);
            assert!(message.ends_with(&format!("is out of range {range}")), "{message}");
            // The value printed is not one of the bounds printed: the message never says `b is out of (b to c)`.
            let value = message.split(" = ").nth(1).and_then(|v| v.split(' ').next()).expect("a value");
            assert!(value != p.min.to_string() && value != p.max.to_string(), "contradiction: {message}");
        }
    }
}

#[test]
fn modulation_depths_stop_at_each_units_documented_limit() {
    let svf = registry::find("svf").expect("svf").1;
    let route = |to: &str, depth: &str| {
        patch_with(svf, "", "", &format!("\n    modulations: [(from: \"velocity\", to: \"x.{to}\", depth: {depth})],"))
    };
    // Octaves (a cutoff in Hz): the limit itself plays, 4,000 octaves is refused with why.
    assert_eq!(MAX_DEPTH_OCTAVES, 40.0);
    assert_eq!(check(&route("cutoff", "40.0")), Vec::<String>::new());
    assert_eq!(check(&route("cutoff", "-40.0")), Vec::<String>::new());
    let deep = route("cutoff", "4000.0");
    assert_eq!(
        check(&deep),
        [format!(
            "{}: error: depth 4000 octaves on `x.cutoff` is beyond any use (at most ±40 octaves)",
            at(&deep, "depth: ")
        )]
    );
    // A plain number (Q, 0.5 to 25): sixteen times its span.
    assert_eq!(MAX_DEPTH_SPANS, 16.0);
    assert_eq!(check(&route("q", "392.0")), Vec::<String>::new());
    let deep = route("q", "1e6");
    assert_eq!(
        check(&deep),
        [format!("{}: error: depth 1e6 on `x.q` is beyond any use (at most ±392)", at(&deep, "depth: "))]
    );
    // Cents and decibels.
    let saw = registry::find("saw").expect("saw").1;
    let fine = |depth: f64| {
        patch_with(saw, "", "", &format!("\n    modulations: [(from: \"modwheel\", to: \"x.fine\", depth: {depth})],"))
    };
    assert_eq!(MAX_DEPTH_CENTS, 9600.0);
    assert_eq!(check(&fine(9600.0)), Vec::<String>::new());
    assert_eq!(
        check(&fine(9601.0)),
        [format!(
            "{}: error: depth 9601 cents on `x.fine` is beyond any use (at most ±9600 cents)",
            at(&fine(9601.0), "depth: ")
        )]
    );
    let (kind, db) = numeric_params().find(|(_, p)| p.unit == Unit::Decibels).expect("a dB parameter");
    assert_eq!(MAX_DEPTH_DB, 240.0);
    assert_eq!(depth_limit(db), 240.0);
    let gain = |depth: f64| {
        let to = format!("x.{}", db.name);
        patch_with(kind, "", "", &format!("\n    modulations: [(from: \"modwheel\", to: \"{to}\", depth: {depth})],"))
    };
    assert_eq!(check(&gain(240.0)), Vec::<String>::new());
    assert!(check(&gain(241.0))[0].ends_with("is beyond any use (at most ±240 dB)"), "{:?}", check(&gain(241.0)));
}

#[test]
fn a_macro_is_held_to_the_same_limit_at_its_extreme() {
    let svf = registry::find("svf").expect("svf").1;
    let mac = |min: f64, max: f64, depth: f64| {
        patch_with(
            svf,
            "",
            "",
            &format!(
                "\n    macros: [(name: \"Sweep\", min: {min}, max: {max}, targets: [(to: \"x.cutoff\", depth: {depth})])],"
            ),
        )
    };
    assert_eq!(check(&mac(-2.0, 2.0, 20.0)), Vec::<String>::new(), "20 octaves × 2 = 40");
    let deep = mac(-2.0, 2.0, 30.0);
    assert_eq!(
        check(&deep),
        [format!(
            "{}: error: macro `Sweep` moves `x.cutoff` by 60 octaves at 2 (depth 30 × 2); at most ±40 octaves",
            at(&deep, "depth: ")
        )]
    );
    // A macro range that single precision cannot hold is refused rather than played as infinity.
    let huge = mac(0.0, 1e300, 1e-300);
    assert_eq!(check(&huge), [format!("{}: error: macro `Sweep`: max 1e300 is beyond any use", at(&huge, "max: "))]);
    assert_eq!(check(&mac(-1e6, 1e6, 1e-5)), Vec::<String>::new(), "a million either way is allowed");
}
