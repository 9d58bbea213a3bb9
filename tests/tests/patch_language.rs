//! The patch language under adversarial input: generated patch texts (`ferrule_tests::patch_gen`) covering
//! every parameter of every node kind at and past its limits, numeric extremes, sizes up to and past the
//! node limit, duplicates, odd ids and encodings, each checked against the invariants of
//! `ferrule_tests::patch_check` (no panic; a refusal placed in the file, readable and consistent; a
//! compiled patch plays finite, bounded and without allocating; bounded compile memory; invalid refused,
//! valid compiled).
//!
//! Findings that a fix in flight explains are tolerated by the generated tests (`KNOWN_ISSUES`); each has
//! an ignored test here that fails until the fix lands. Un-ignore it then, and remove its entry.

use ferrule_nodes::registry;
use ferrule_tests::patch_check::{Invariant, check, report, unexplained};
use ferrule_tests::patch_gen::{Expect, Generated, generate, param_seed, truncate, value_spellings};
use proptest::prelude::*;

ferrule_tests::install_alloc_trap!();

/// Every parameter of every node kind in the registry, at every spelling the generator knows (bounds as
/// documented and as exact binary values, just and far outside, extremes, NaN and infinities, integers,
/// wrong types; every option of a choice and wrong ones), compiled, checked and played.
#[test]
fn every_parameter_of_every_node_at_its_limits() {
    let mut failures = Vec::new();
    let mut cases = 0;
    for (kind, spec) in registry::all().iter().enumerate() {
        for (param, p) in spec.params.iter().enumerate() {
            for spelling in 0..value_spellings(p).len() {
                let patch = generate(&param_seed(kind, param, spelling));
                cases += 1;
                let findings = unexplained(&patch);
                if !findings.is_empty() {
                    failures.push(report(&patch, &findings));
                }
            }
        }
    }
    assert!(cases > 500, "only {cases} cases: is the registry empty?");
    assert!(failures.is_empty(), "{} of {cases} cases fail:\n{}", failures.len(), failures.join("\n"));
}

/// A valid patch cut at every byte, as a half-saved file a hot reload might read: each cut before the
/// closing bracket is refused with a well-formed diagnostic; none panics.
#[test]
fn every_cut_of_a_valid_patch_is_refused_cleanly() {
    // The factory default: routes, macros, exposed parameters and effects, so cuts fall in every section.
    let whole = Generated {
        text: ferrule_tests::patch::factory_patch("default.ron"),
        expect: Expect::Compile,
        about: vec!["patches/default.ron".into()],
    };
    assert!(check(&whole).is_empty(), "{}", report(&whole, &check(&whole)));
    let mut failures = Vec::new();
    for cut in 0..whole.text.len() {
        let patch = truncate(&whole, cut);
        let findings = unexplained(&patch);
        if !findings.is_empty() {
            failures.push(report(&patch, &findings));
        }
    }
    assert!(failures.is_empty(), "{} cuts fail:\n{}", failures.len(), failures.join("\n"));
}

/// The generator's own promises: the empty input is a valid patch, and each feature changes it.
#[test]
fn the_generator_writes_what_it_says() {
    let plain = generate(&[]);
    assert_eq!(plain.expect, Expect::Compile);
    assert!(check(&plain).is_empty(), "{}", report(&plain, &check(&plain)));
    let texts: Vec<Generated> =
        (0..ferrule_tests::patch_gen::FEATURES as u8).map(|f| generate(&[f, 0, 0, 1, 1, 1, 1])).collect();
    for (i, a) in texts.iter().enumerate() {
        assert_ne!(a.text, plain.text, "feature {i} changed nothing");
    }
    // A finding is reported: a patch that says it must be refused but compiles.
    let mut lie = plain.clone();
    lie.expect = Expect::Refuse("nothing".into());
    assert!(check(&lie).iter().any(|f| f.invariant == Invariant::AcceptedInvalid));
}

/// The compile-memory invariant measures what it says: the most bytes held at once, not the sum.
#[test]
fn peak_bytes_is_the_most_held_at_once() {
    use ferrule_tests::alloc_trap::peak_bytes;
    let (kept, peak) = peak_bytes(|| vec![1u8; 64 << 20]);
    assert!((64 << 20..65 << 20).contains(&peak), "{peak} bytes for a 64 MiB vector");
    drop(kept);
    let ((), peak) = peak_bytes(|| {
        drop(std::hint::black_box(vec![1u8; 8 << 20]));
        drop(std::hint::black_box(vec![1u8; 4 << 20]));
    });
    assert!((8 << 20..9 << 20).contains(&peak), "{peak} bytes for 8 MiB then 4 MiB, one at a time");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    /// Generated patches from random decision bytes keep every invariant.
    #[test]
    fn generated_patches_keep_every_invariant(bytes in proptest::collection::vec(any::<u8>(), 0..48)) {
        let patch = generate(&bytes);
        let findings = unexplained(&patch);
        prop_assert!(findings.is_empty(), "{}", report(&patch, &findings));
    }
}

/// A patch in the shape of the others, with `nodes` entries and extra top-level text.
fn patch(nodes: &str, extra: &str, expect: Expect, about: &str) -> Generated {
    let text = format!(
        "(\n    version: 1,\n    nodes: {{\n        \"osc\": (kind: \"saw\"),\n{nodes}        \"amp\": (kind: \"vca\"),\n    }},\n    connections: [(\"osc.out\", \"amp.in\")],\n    output: Mono(\"amp.out\"),\n{extra})\n"
    );
    Generated { text, expect, about: vec![about.into()] }
}

/// Asserts `check` finds nothing on any of `patches`, known issues included.
fn assert_clean(patches: &[Generated]) {
    let failures: Vec<String> = patches
        .iter()
        .filter_map(|p| {
            let f = check(p);
            (!f.is_empty()).then(|| report(p, &f))
        })
        .collect();
    assert!(failures.is_empty(), "{} of {} fail:\n{}", failures.len(), patches.len(), failures.join("\n"));
}

#[test]
fn duplicate_parameter_keys_are_refused() {
    let refuse = Expect::Refuse("a parameter key twice".into());
    assert_clean(&[patch(
        "        \"f\": (kind: \"svf\", params: { \"q\": 1.0, \"q\": 25.0 }),\n",
        "",
        refuse,
        "q twice",
    )]);
}

#[test]
fn a_future_version_is_reported_first() {
    let mut p = patch("", "    future_section: [1, 2, 3],\n", Expect::Refuse("version 999".into()), "a future file");
    p.text = p.text.replace("version: 1", "version: 999");
    assert_clean(&[p]);
}

#[test]
fn a_diagnostic_far_along_a_line_renders() {
    // One line, the error 70,000 characters in: `{:pad$}` takes at most 65,535, so `render` (and with it
    // `ferrule check` and the editor's error list) panics with "Formatting argument out of range".
    let text = format!("(version: 1,{}nodes: {{}}, output: Mono(\"nowhere\"))", " ".repeat(70_000));
    assert_clean(&[Generated {
        text,
        expect: Expect::Refuse("no such node".into()),
        about: vec!["a long line".into()],
    }]);
}

#[test]
fn a_flood_of_errors_renders_in_bounded_text() {
    // 4,000 nodes with 16 unknown parameters each, 0.9 MB: 64,000 diagnostics. `render` finds each one's
    // line from the start of the file, so it takes 18 s here (`ferrule check`: 15 s), and prints 28 MB; a
    // 4 MiB file of unknown keys would take minutes. Bounded text (the first errors and a count of the
    // rest) bounds the time too.
    let params: Vec<String> = (0..16).map(|j| format!("\"x{j}\": 0.0")).collect();
    let nodes: String = (0..4000)
        .map(|i| format!("        \"n{i}\": (kind: \"vca\", params: {{ {} }}),\n", params.join(", ")))
        .collect();
    let text = format!("(\n    version: 1,\n    nodes: {{\n{nodes}    }},\n    output: Mono(\"n0\"),\n)\n");
    let source = ferrule_engine::PatchSource { path: "flood.ron".into(), text };
    let Err(refused) = ferrule_engine::compile(&source, &Default::default()) else { panic!("compiled") };
    assert!(refused.items.len() <= 1_001, "{} diagnostics kept", refused.items.len());
    let rendered = refused.render(false);
    assert!(rendered.len() < 1 << 20, "{} MB of diagnostics", rendered.len() >> 20);
}

#[test]
fn a_version_out_of_any_range_is_reported_as_a_version() {
    let patches: Vec<Generated> = ["-1", "4294967297"]
        .iter()
        .map(|v| {
            let mut p = patch("", "", Expect::Refuse(format!("version {v}")), "an impossible version");
            p.text = p.text.replace("version: 1", &format!("version: {v}"));
            p
        })
        .collect();
    assert_clean(&patches);
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let mut p = patch("", "", Expect::Compile, "a BOM");
    p.text.insert(0, '\u{feff}');
    assert_clean(&[p]);
}

#[test]
fn every_documented_bound_is_accepted() {
    let mut patches = Vec::new();
    for (kind, spec) in registry::all().iter().enumerate() {
        for (param, p) in spec.params.iter().enumerate() {
            if p.unit == ferrule_nodes::Unit::Choice {
                continue;
            }
            // The first three spellings are the minimum, maximum and default as the documentation prints them.
            for spelling in 0..3 {
                patches.push(generate(&param_seed(kind, param, spelling)));
            }
        }
    }
    assert_clean(&patches);
}

#[test]
fn numbers_in_messages_are_short() {
    let refuse = || Expect::Refuse("a value out of range".into());
    assert_clean(&[
        patch("        \"f\": (kind: \"svf\", params: { \"cutoff\": 1e308 }),\n", "", refuse(), "1e308"),
        patch("        \"f\": (kind: \"svf\", params: { \"cutoff\": 5e-324 }),\n", "", refuse(), "5e-324"),
    ]);
}

#[test]
fn control_characters_are_not_echoed_raw() {
    let refuse = || Expect::Refuse("a control character in an id".into());
    assert_clean(&[
        patch("        \"a\u{0}b\": (kind: \"sine\"),\n", "", refuse(), "NUL in an id"),
        patch("        \"\u{1b}[2J\": (kind: \"sine\"),\n", "", refuse(), "an escape sequence in an id"),
        patch(
            "",
            "    params: [(name: \"\u{7}\", to: \"osc.level\", min: 1.0, max: 1.0)],\n",
            refuse(),
            "BEL in a name",
        ),
    ]);
}

#[test]
fn long_lines_are_clipped_in_snippets() {
    let id = format!("ö{}", "a".repeat(100_000));
    let p = patch(
        &format!("        \"{id}\": (kind: \"sine\"),\n"),
        "",
        Expect::Refuse("a non-ASCII id".into()),
        "long id",
    );
    assert_clean(&[p]);
}

#[test]
fn compile_memory_is_bounded_for_many_short_delays() {
    // 70 delays of 10 ms: a few MB of delay line in all, but 70 × 8 MB at 192 kHz today.
    let effects: String =
        (0..70).map(|i| format!("        \"d{i}\": (kind: \"delay\", params: {{ \"time\": 0.01 }}),\n")).collect();
    let p = patch("", &format!("    effects: {{\n{effects}    }},\n"), Expect::Compile, "70 short delays");
    assert_clean(&[p]);
}

#[test]
fn a_long_loop_is_reported_in_a_readable_line() {
    // 99 nodes wired in a loop: the message is over 800 characters long (40 KB for 4,000 nodes).
    let nodes: String = (1..100).map(|i| format!("        \"n{i}\": (kind: \"vca\"),\n")).collect();
    let wires: Vec<String> = (1..100).map(|i| format!("(\"n{i}\", \"n{}\")", i % 99 + 1)).collect();
    let text = format!(
        "(\n    version: 1,\n    nodes: {{\n{nodes}    }},\n    connections: [\n{}\n    ],\n    output: Mono(\"n1\"),\n)\n",
        wires.join(",\n")
    );
    assert_clean(&[Generated {
        text,
        expect: Expect::Refuse("a loop".into()),
        about: vec!["a loop of 99 vcas".into()],
    }]);
}
