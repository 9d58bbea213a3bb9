//! The patch as a graph: execution order, loops, and which nodes are heard.
//!
//! Audio connections and modulation routes both order their source before their destination; connections
//! and routes declared as feedback do not (they read the previous control period), which is what lets a
//! loop through them compute. Any other loop is an error naming every node on it.

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use ferrule_nodes::{NodeRole, registry};

use crate::compile::resolved::{ModSource, ResolvedPatch};
use crate::diagnostics::Diagnostic;

/// The nodes to run, in an order where every source runs before its readers; nodes that reach neither the
/// output nor the voice's amplitude envelope are left out.
pub(crate) fn execution_order(patch: &ResolvedPatch) -> Result<Vec<usize>, Vec<Diagnostic>> {
    let graph = ordering_graph(patch);
    let order = match toposort(&graph, None) {
        Ok(order) => order,
        Err(_) => return Err(cycle_diagnostics(patch, &graph)),
    };
    let live = live_nodes(patch);
    Ok(order.into_iter().map(|n| n.index()).filter(|&n| live[n]).collect())
}

/// Nodes as vertices (same indices as the patch), non-feedback connections and routes as edges.
fn ordering_graph(patch: &ResolvedPatch) -> DiGraph<(), ()> {
    let mut graph = DiGraph::with_capacity(patch.nodes.len(), patch.connections.len() + patch.modulations.len());
    for _ in &patch.nodes {
        graph.add_node(());
    }
    for c in patch.connections.iter().filter(|c| !c.feedback) {
        graph.add_edge(NodeIndex::new(c.from.node), NodeIndex::new(c.to.node), ());
    }
    for r in patch.modulations.iter().filter(|r| !r.feedback) {
        if let ModSource::Node(from) = r.source {
            graph.add_edge(NodeIndex::new(from.node), NodeIndex::new(r.node), ());
        }
    }
    graph
}

/// One diagnostic per loop: the nodes on it, in order, pointing at the first one's id.
fn cycle_diagnostics(patch: &ResolvedPatch, graph: &DiGraph<(), ()>) -> Vec<Diagnostic> {
    let mut loops: Vec<Vec<usize>> = tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
        .map(|scc| loop_path(graph, &scc))
        .collect();
    loops.sort();
    loops
        .into_iter()
        .map(|path| {
            let names: Vec<String> = path.iter().chain(path.first()).map(|&n| format!("`{}`", patch.nodes[n].id)).collect();
            Diagnostic::new(format!("signal loop {}", names.join(" → ")), patch.nodes[path[0]].span.clone())
                .with_help("list one of the loop's connections under `feedback` (or mark its route `feedback: true`) to delay it by one control period")
        })
        .collect()
}

/// A simple cycle through the strongly connected component `scc`, starting at its first node in patch order.
fn loop_path(graph: &DiGraph<(), ()>, scc: &[NodeIndex]) -> Vec<usize> {
    let start = *scc.iter().min().expect("components are never empty");
    let in_scc = |n: NodeIndex| scc.contains(&n);
    // Depth-first search for a path back to `start`, visiting lower indices first for a stable message.
    let mut path = vec![start];
    let mut visited = vec![start];
    fn dfs(
        graph: &DiGraph<(), ()>,
        start: NodeIndex,
        path: &mut Vec<NodeIndex>,
        visited: &mut Vec<NodeIndex>,
        in_scc: &dyn Fn(NodeIndex) -> bool,
    ) -> bool {
        let here = *path.last().expect("path starts non-empty");
        let mut next: Vec<NodeIndex> = graph.edges(here).map(|e| e.target()).filter(|&n| in_scc(n)).collect();
        next.sort();
        next.dedup();
        for n in next {
            if n == start {
                return true;
            }
            if !visited.contains(&n) {
                visited.push(n);
                path.push(n);
                if dfs(graph, start, path, visited, in_scc) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    dfs(graph, start, &mut path, &mut visited, &in_scc);
    path.into_iter().map(|n| n.index()).collect()
}

/// Which nodes matter: those the output or the named amplitude envelope depend on, through connections and
/// routes of any kind (feedback included). An envelope that shapes nothing audible is not kept just to hold
/// voices open.
pub(crate) fn live_nodes(patch: &ResolvedPatch) -> Vec<bool> {
    let mut live = vec![false; patch.nodes.len()];
    let mut stack: Vec<usize> = patch.output.iter().map(|p| p.node).chain(patch.voice.amp_envelope).collect();
    while let Some(n) = stack.pop() {
        if live[n] {
            continue;
        }
        live[n] = true;
        stack.extend(patch.connections.iter().filter(|c| c.to.node == n).map(|c| c.from.node));
        stack.extend(patch.modulations.iter().filter(|r| r.node == n).filter_map(|r| match r.source {
            ModSource::Node(p) => Some(p.node),
            _ => None,
        }));
    }
    live
}

/// The envelopes that decide when a voice ends: the named amplitude envelope, else every envelope that is
/// heard.
pub(crate) fn voice_envelopes(patch: &ResolvedPatch, order: &[usize]) -> Vec<usize> {
    match patch.voice.amp_envelope {
        Some(env) => vec![env],
        None => {
            order.iter().copied().filter(|&n| registry::spec(patch.nodes[n].kind).role == NodeRole::Envelope).collect()
        }
    }
}
