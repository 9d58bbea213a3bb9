//! The node reference, generated from the declarations so it can never drift from the code: plain text
//! for `ferrule nodes`, Markdown for `docs/nodes.md` (a test fails when the committed file is stale).

use std::fmt::Write as _;

use crate::registry::{self, KindId};
use crate::spec::{NodeRole, NodeSpec, ParamSpec, Unit};

/// Families in the order the reference lists them, with their headings.
const FAMILIES: &[(&str, &str)] = &[
    ("osc", "Oscillators"),
    ("env", "Envelopes"),
    ("filter", "Filters"),
    ("modulator", "Modulators"),
    ("util", "Utilities"),
    ("shape", "Shapers"),
    ("effect", "Effects (global bus)"),
];

/// Node kinds grouped by family, families in reference order, kinds in registry order within each.
fn grouped() -> Vec<(&'static str, Vec<(KindId, &'static NodeSpec)>)> {
    let kinds: Vec<(KindId, &NodeSpec)> =
        registry::all().iter().enumerate().map(|(i, s)| (KindId(i as u16), s)).collect();
    let mut groups: Vec<(&str, Vec<(KindId, &NodeSpec)>)> = FAMILIES
        .iter()
        .map(|&(family, title)| {
            (title, kinds.iter().copied().filter(|(k, _)| registry::family(*k) == family).collect())
        })
        .collect();
    let other: Vec<_> =
        kinds.iter().copied().filter(|(k, _)| !FAMILIES.iter().any(|(f, _)| *f == registry::family(*k))).collect();
    groups.push(("Other", other));
    groups.retain(|(_, kinds)| !kinds.is_empty());
    groups
}

/// A number as the reference prints it: integers without a fraction, others as short as exact.
fn number(x: f32) -> String {
    if x == x.trunc() && x.abs() < 1e7 { format!("{}", x as i64) } else { format!("{x}") }
}

/// A parameter's range and default, with its unit, as one phrase.
fn range(p: &ParamSpec) -> String {
    if p.unit == Unit::Choice {
        return format!(
            "one of {}; default `{}`",
            p.choices.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
            p.choices[p.default as usize]
        );
    }
    let unit = match p.unit.symbol() {
        "" => String::new(),
        s => format!(" {s}"),
    };
    format!("{} to {}{unit}; default {}{unit}", number(p.min), number(p.max), number(p.default))
}

/// The reference in plain text, one block per kind (what `ferrule nodes` prints).
pub fn text() -> String {
    let mut out = String::new();
    for (title, kinds) in grouped() {
        let _ = writeln!(out, "{title}\n");
        for (_, spec) in kinds {
            let _ = writeln!(out, "  {}  {}", spec.kind, spec.doc);
            for port in spec.inputs {
                let _ = writeln!(out, "    in   {:<12} {}", port.name, port.doc);
            }
            for port in spec.outputs {
                let _ = writeln!(out, "    out  {:<12} {}", port.name, port.doc);
            }
            for p in spec.params {
                let _ = writeln!(out, "    par  {:<12} {} ({})", p.name, p.doc, range(p));
            }
            let _ = writeln!(out);
        }
    }
    out
}

/// The patch-language node reference in Markdown (`docs/nodes.md`).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Node reference\n\n\
         Generated from the node declarations by `ferrule nodes --markdown`; a test fails when this file is \
         out of date, so it always matches the code.\n\n\
         Every node processes one voice (effects: the whole instrument). Parameters are set in a patch's \
         `params` map in the unit shown; modulation depths aimed at a parameter are in its modulation unit \
         (octaves for Hz, st and s; cents for ct; dB for dB; the plain value otherwise). Choices are written \
         by name and cannot be modulated.\n\n",
    );
    let groups = grouped();
    for (title, kinds) in &groups {
        let list: Vec<String> = kinds.iter().map(|(_, s)| format!("[`{0}`](#{0})", s.kind)).collect();
        let _ = writeln!(out, "- **{title}:** {}", list.join(", "));
    }
    for (title, kinds) in groups {
        let _ = writeln!(out, "\n## {title}");
        for (_, spec) in kinds {
            let _ = writeln!(out, "\n### {}\n\n{}\n", spec.kind, spec.doc);
            if spec.role == NodeRole::Envelope {
                let _ = writeln!(
                    out,
                    "An envelope: name it as the voice's `amp_envelope` to free the voice when it ends.\n"
                );
            }
            let per = if spec.role == NodeRole::Effect { "stereo frame" } else { "voice-sample" };
            let _ = writeln!(
                out,
                "Counted in a patch's CPU estimate at {} ns per {per} (its most expensive settings).\n",
                number(spec.cost)
            );
            if !spec.inputs.is_empty() || !spec.outputs.is_empty() {
                let _ = writeln!(out, "| port | direction | carries |\n|---|---|---|");
                for (dir, ports) in [("in", spec.inputs), ("out", spec.outputs)] {
                    for port in ports {
                        let _ = writeln!(out, "| `{}` | {dir} | {} |", port.name, port.doc);
                    }
                }
                out.push('\n');
            }
            if !spec.params.is_empty() {
                let _ =
                    writeln!(out, "| parameter | range and default | modulation | what it does |\n|---|---|---|---|");
                for p in spec.params {
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} |",
                        p.name,
                        range(p),
                        p.unit.modulation_unit(),
                        p.doc.replace('|', "\\|")
                    );
                }
            }
        }
    }
    out
}
