//! The patch as plain data for drawing (the editor's graph): nodes with their parameters, audio wires,
//! modulation routes with their depth, and the output. Names only, no indices into compiler internals
//! beyond node positions in [`PatchGraph::nodes`]. Built on any thread but the audio thread.

use ferrule_nodes::registry;

use crate::compile::resolved::{ModSource, ResolvedPatch};

/// A patch's graph for drawing.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchGraph {
    /// Voice nodes in file order, then the global bus's effects in chain order.
    pub nodes: Vec<GraphNode>,
    /// Audio connections.
    pub wires: Vec<GraphWire>,
    /// Modulation routes and macro targets.
    pub routes: Vec<GraphRoute>,
    /// The output: `(node index, output port name, channel "L"/"R")`; one entry for a mono output.
    pub output: Vec<(usize, &'static str, &'static str)>,
}

/// One node of the patch.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphNode {
    /// Its id in the patch.
    pub id: String,
    /// Its kind (`saw`, `svf`).
    pub kind: &'static str,
    /// Every parameter: `(name, base value in its unit, unit symbol)`, in the kind's declaration order.
    pub params: Vec<(&'static str, f32, &'static str)>,
    /// An effect on the global bus rather than a node of the voice.
    pub effect: bool,
}

/// One audio connection.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphWire {
    /// Index of the node it reads.
    pub from: usize,
    /// The output port's name.
    pub from_port: &'static str,
    /// Index of the node it feeds.
    pub to: usize,
    /// The input port's name.
    pub to_port: &'static str,
    /// Declared under `feedback` (read one control period late).
    pub feedback: bool,
}

/// Where a modulation route comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum RouteSource {
    /// A node's output (node index).
    Node(usize),
    /// A per-note or MIDI source (`velocity`, `key`, `modwheel`, `cc74`).
    Control(String),
    /// Macro `n` (0-based) and its name.
    Macro(usize, String),
}

/// One modulation route.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphRoute {
    /// What moves the parameter.
    pub source: RouteSource,
    /// Index of the node whose parameter moves.
    pub to: usize,
    /// The parameter's name.
    pub param: &'static str,
    /// Depth in the parameter's modulation unit (octaves for Hz and s, dB, cents or plain).
    pub depth: f32,
    /// Declared `feedback: true`.
    pub feedback: bool,
}

pub(crate) fn to_graph(patch: &ResolvedPatch) -> PatchGraph {
    let nodes = patch
        .nodes
        .iter()
        .map(|n| {
            let spec = registry::spec(n.kind);
            GraphNode {
                id: n.id.clone(),
                kind: spec.kind,
                params: spec.params.iter().zip(&n.params).map(|(p, &v)| (p.name, v, p.unit.symbol())).collect(),
                effect: n.effect,
            }
        })
        .collect();
    let wires = patch
        .connections
        .iter()
        .map(|c| GraphWire {
            from: c.from.node,
            from_port: registry::spec(patch.nodes[c.from.node].kind).outputs[c.from.port].name,
            to: c.to.node,
            to_port: registry::spec(patch.nodes[c.to.node].kind).inputs[c.to.port].name,
            feedback: c.feedback,
        })
        .collect();
    let param_name = |node: usize, param: usize| registry::spec(patch.nodes[node].kind).params[param].name;
    let mut routes: Vec<GraphRoute> = patch
        .modulations
        .iter()
        .map(|r| GraphRoute {
            source: match r.source {
                ModSource::Node(p) => RouteSource::Node(p.node),
                other => RouteSource::Control(other.name()),
            },
            to: r.node,
            param: param_name(r.node, r.param),
            depth: r.depth,
            feedback: r.feedback,
        })
        .collect();
    for (i, m) in patch.macros.iter().enumerate() {
        for &(node, param, depth) in &m.targets {
            routes.push(GraphRoute {
                source: RouteSource::Macro(i, m.name.clone()),
                to: node,
                param: param_name(node, param),
                depth,
                feedback: false,
            });
        }
    }
    let [left, right] = patch.output;
    let port_name =
        |p: crate::compile::resolved::PortRef| registry::spec(patch.nodes[p.node].kind).outputs[p.port].name;
    let output = if left == right {
        vec![(left.node, port_name(left), "L")]
    } else {
        vec![(left.node, port_name(left), "L"), (right.node, port_name(right), "R")]
    };
    PatchGraph { nodes, wires, routes, output }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::resolve;
    use crate::patch::PatchSource;

    #[test]
    fn the_default_patch_lists_every_node_wire_and_route() {
        let text = include_str!("../../../patches/default.ron");
        let graph = to_graph(&resolve(&PatchSource { path: "default.ron".into(), text: text.into() }).unwrap());
        assert_eq!(graph.nodes.len(), 10);
        assert_eq!(graph.wires.len(), 7);
        let filter = graph.nodes.iter().position(|n| n.id == "filter").unwrap();
        assert_eq!(graph.nodes[filter].kind, "svf");
        assert!(graph.nodes[filter].params.contains(&("cutoff", 900.0, "Hz")));
        // Seven modulation routes and six macro targets.
        assert_eq!(graph.routes.len(), 13);
        assert!(graph.routes.iter().any(|r| r.source == RouteSource::Control("velocity".into())
            && r.to == filter
            && r.param == "cutoff"
            && r.depth == 1.0));
        assert!(graph.routes.iter().any(|r| r.source == RouteSource::Macro(0, "Brightness".into())));
    }
}
