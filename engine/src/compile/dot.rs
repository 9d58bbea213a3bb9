//! The patch as a Graphviz DOT graph, for `ferrule graph`.

use std::fmt::Write;

use ferrule_nodes::registry;

use crate::compile::resolved::{ModSource, ResolvedPatch};

/// Renders `patch` as DOT: one box per node (`id` over `kind`), audio wires solid and labelled with their
/// ports, feedback wires dotted, modulation routes dashed with their depth, and the output.
pub(crate) fn to_dot(patch: &ResolvedPatch) -> String {
    let mut out = String::from("digraph patch {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    let name = |n: usize| escape(&patch.nodes[n].id);
    for node in &patch.nodes {
        let _ = writeln!(
            out,
            "  \"{}\" [label=\"{}\\n{}\"];",
            escape(&node.id),
            escape(&node.id),
            registry::spec(node.kind).kind
        );
    }
    let _ = writeln!(out, "  \"output\" [shape=doublecircle];");
    for c in &patch.connections {
        let from = registry::spec(patch.nodes[c.from.node].kind).outputs[c.from.port].name;
        let to = registry::spec(patch.nodes[c.to.node].kind).inputs[c.to.port].name;
        let style = if c.feedback { ", style=dotted" } else { "" };
        let _ =
            writeln!(out, "  \"{}\" -> \"{}\" [label=\"{from} → {to}\"{style}];", name(c.from.node), name(c.to.node));
    }
    for r in &patch.modulations {
        let param = registry::spec(patch.nodes[r.node].kind).params[r.param].name;
        let from = match r.source {
            ModSource::Node(p) => name(p.node),
            other => {
                let label = other.name();
                let _ = writeln!(out, "  \"{label}\" [shape=plaintext];");
                label
            }
        };
        let _ = writeln!(
            out,
            "  \"{from}\" -> \"{}\" [label=\"{param} {:+}\", style=dashed, color=\"#3366cc\"];",
            name(r.node),
            r.depth
        );
    }
    for (i, m) in patch.macros.iter().enumerate() {
        let label = format!("macro {}: {}", i + 1, escape(&m.name));
        let _ = writeln!(out, "  \"{label}\" [shape=plaintext];");
        for &(node, param, depth) in &m.targets {
            let param = registry::spec(patch.nodes[node].kind).params[param].name;
            let _ = writeln!(
                out,
                "  \"{label}\" -> \"{}\" [label=\"{param} {depth:+}\", style=dashed, color=\"#cc6633\"];",
                name(node)
            );
        }
    }
    let [left, right] = patch.output;
    for (port, channel) in [(left, "L"), (right, "R")] {
        if channel == "R" && right == left {
            break;
        }
        let label = registry::spec(patch.nodes[port.node].kind).outputs[port.port].name;
        let _ = writeln!(out, "  \"{}\" -> \"output\" [label=\"{label} {channel}\"];", name(port.node));
    }
    out.push_str("}\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
