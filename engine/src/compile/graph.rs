//! The patch as a graph: execution order, loops, and which nodes are heard.
//!
//! Audio connections and modulation routes both order their source before their destination; connections
//! and routes declared as feedback do not (they read the previous control period), which is what lets a
//! loop through them compute. Any other loop is an error naming every node on it.

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use ferrule_nodes::{NodeRole, registry};

use crate::compile::resolved::{ModSource, ResolvedConnection, ResolvedPatch, ResolvedRoute};
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

/// The most node names a loop's message lists; a longer loop shows its first and last few and a count.
const LOOP_NAMES_SHOWN: usize = 10;

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
            // A long loop names its first nodes and its last, so the line stays readable.
            let shown = if names.len() <= LOOP_NAMES_SHOWN {
                names.join(" → ")
            } else {
                let (head, tail) = (&names[..LOOP_NAMES_SHOWN - 2], &names[names.len() - 2..]);
                format!("{} → … {} more … → {}", head.join(" → "), names.len() - LOOP_NAMES_SHOWN, tail.join(" → "))
            };
            Diagnostic::new(format!("signal loop {shown}"), patch.nodes[path[0]].span.clone())
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

/// Which nodes matter: those the output depends on, through connections and routes of any kind (feedback
/// included). An envelope that shapes nothing audible is not kept just to hold voices open (validation
/// refuses a named `amp_envelope` that is not heard; see [`heard_nodes`]).
pub(crate) fn live_nodes(patch: &ResolvedPatch) -> Vec<bool> {
    heard_nodes(patch)
}

/// The nodes the output depends on, through connections and routes of any kind (feedback included): what
/// is heard.
pub(crate) fn heard_nodes(patch: &ResolvedPatch) -> Vec<bool> {
    let incoming = Incoming::new(patch);
    let mut live = vec![false; patch.nodes.len()];
    let mut stack: Vec<usize> = patch.output.iter().map(|p| p.node).collect();
    while let Some(n) = stack.pop() {
        if live[n] {
            continue;
        }
        live[n] = true;
        stack.extend(incoming.connections(n).map(|c| c.from.node));
        stack.extend(incoming.routes(n).filter_map(|r| match r.source {
            ModSource::Node(p) => Some(p.node),
            _ => None,
        }));
    }
    live
}

/// What ends at each node: its audio connections, modulation routes and macro targets, each in patch order.
///
/// Built once in linear time so that the compiler visits a node's inputs without scanning every wire of the
/// patch for each node (which made compiling a 1,000-node patch quadratic).
pub(crate) struct Incoming<'p> {
    patch: &'p ResolvedPatch,
    connections: Groups,
    routes: Groups,
    /// `(macro index, target index)` pairs, grouped by target node.
    macro_targets: Vec<(usize, usize)>,
    macro_starts: Vec<usize>,
}

/// Item indices grouped by node: the items of node `n` are `items[starts[n]..starts[n + 1]]`.
struct Groups {
    starts: Vec<usize>,
    items: Vec<usize>,
}

impl Groups {
    /// Groups the item indices `0..keys.len()` by `keys[i]` (a node index below `nodes`), keeping their order
    /// within a group (a counting sort).
    fn new(nodes: usize, keys: impl Iterator<Item = usize>) -> Groups {
        let keys: Vec<usize> = keys.collect();
        let mut starts = vec![0usize; nodes + 1];
        for &k in &keys {
            starts[k + 1] += 1;
        }
        for n in 0..nodes {
            starts[n + 1] += starts[n];
        }
        let mut next = starts.clone();
        let mut items = vec![0usize; keys.len()];
        for (i, &k) in keys.iter().enumerate() {
            items[next[k]] = i;
            next[k] += 1;
        }
        Groups { starts, items }
    }

    fn of(&self, n: usize) -> &[usize] {
        &self.items[self.starts[n]..self.starts[n + 1]]
    }
}

impl<'p> Incoming<'p> {
    /// Indexes `patch`'s connections, routes and macro targets by the node they end at.
    pub(crate) fn new(patch: &'p ResolvedPatch) -> Incoming<'p> {
        let nodes = patch.nodes.len();
        let connections = Groups::new(nodes, patch.connections.iter().map(|c| c.to.node));
        let routes = Groups::new(nodes, patch.modulations.iter().map(|r| r.node));
        let pairs: Vec<(usize, usize)> =
            patch.macros.iter().enumerate().flat_map(|(m, mac)| (0..mac.targets.len()).map(move |t| (m, t))).collect();
        let targets = Groups::new(nodes, pairs.iter().map(|&(m, t)| patch.macros[m].targets[t].0));
        let macro_targets = targets.items.iter().map(|&i| pairs[i]).collect();
        Incoming { patch, connections, routes, macro_targets, macro_starts: targets.starts }
    }

    /// The audio connections (feedback ones included) into node `n`, in patch order.
    pub(crate) fn connections(&self, n: usize) -> impl Iterator<Item = &'p ResolvedConnection> + '_ {
        self.connections.of(n).iter().map(|&i| &self.patch.connections[i])
    }

    /// The modulation routes (feedback ones included) moving a parameter of node `n`, in patch order.
    pub(crate) fn routes(&self, n: usize) -> impl Iterator<Item = &'p ResolvedRoute> + '_ {
        self.routes.of(n).iter().map(|&i| &self.patch.modulations[i])
    }

    /// Macro targets on node `n` as `(macro index, param, depth)`, in macro order then target order.
    pub(crate) fn macro_targets(&self, n: usize) -> impl Iterator<Item = (usize, usize, f32)> + '_ {
        self.macro_targets[self.macro_starts[n]..self.macro_starts[n + 1]].iter().map(|&(m, t)| {
            let (_, param, depth) = self.patch.macros[m].targets[t];
            (m, param, depth)
        })
    }
}

/// The envelopes that decide when a voice ends: the named amplitude envelope when it is heard (in `order`,
/// the nodes that run), else every envelope that is heard. An envelope nobody hears never holds a voice
/// open; validation reports a named one as an error, and this keeps that true for any caller.
pub(crate) fn voice_envelopes(patch: &ResolvedPatch, order: &[usize]) -> Vec<usize> {
    match patch.voice.amp_envelope {
        Some(env) if order.contains(&env) => vec![env],
        _ => {
            order.iter().copied().filter(|&n| registry::spec(patch.nodes[n].kind).role == NodeRole::Envelope).collect()
        }
    }
}
