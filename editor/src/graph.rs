//! The patch graph's layout: a pure function from [`PatchGraph`] to positioned boxes and lines, kept
//! apart from drawing so tests can check it and the drawing code only paints what it is given.
//!
//! Nodes stand in columns by signal order: a node's column is the longest chain of audio wires and
//! node-to-node modulation routes (feedback ones excluded) leading to it, so every source is left of its
//! readers. Effects follow the voice in chain order; the output is rightmost. Modulation sources that are
//! not nodes (velocity, key, macros) are tags in a column left of everything.

use egui::{Pos2, Rect, Vec2, pos2, vec2};
use ferrule_engine::compile::view::{PatchGraph, RouteSource};

/// Width of one column, in points.
pub const COLUMN_WIDTH: f32 = 128.0;
/// Height of one row, in points.
pub const ROW_HEIGHT: f32 = 56.0;
/// Size of a node's box, in points.
pub const NODE_SIZE: Vec2 = vec2(104.0, 36.0);

/// A node's box.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedNode {
    /// Index into [`PatchGraph::nodes`].
    pub index: usize,
    /// The node's id, drawn in the box.
    pub label: String,
    /// The node's kind, drawn under the id.
    pub kind: &'static str,
    /// Column (signal order, 0 = first) and row.
    pub column: usize,
    /// Row within the column, in patch order.
    pub row: usize,
    /// Where the box is, in graph space (points from the graph's top-left corner).
    pub rect: Rect,
}

/// An audio wire between two boxes (or to the output).
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedWire {
    /// Right edge of the source box.
    pub start: Pos2,
    /// Left edge of the destination box.
    pub end: Pos2,
    /// `out → in` port names.
    pub label: String,
    /// A feedback wire (drawn dotted).
    pub feedback: bool,
}

/// What kind of source a modulation route has, which decides its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// From another node's output.
    Node,
    /// From a note or MIDI control (velocity, key, mod wheel).
    Control,
    /// From a macro knob.
    Macro,
}

/// A modulation route, drawn dashed with its depth.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedRoute {
    /// Where the line starts (source box or tag).
    pub start: Pos2,
    /// Where it ends (the bottom edge of the target box).
    pub end: Pos2,
    /// `param +depth`, e.g. `cutoff +2.5`.
    pub label: String,
    /// Its source kind.
    pub kind: RouteKind,
}

/// A non-node modulation source's tag (`velocity`, `macro 1: Brightness`).
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedTag {
    /// Its text.
    pub label: String,
    /// Where it is, in graph space.
    pub rect: Rect,
}

/// The whole graph, positioned.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphLayout {
    /// One box per patch node, in patch order.
    pub nodes: Vec<PlacedNode>,
    /// One line per audio connection, in patch order.
    pub wires: Vec<PlacedWire>,
    /// One dashed line per modulation route and macro target.
    pub routes: Vec<PlacedRoute>,
    /// Tags for the non-node modulation sources, each once.
    pub tags: Vec<PlacedTag>,
    /// The output box.
    pub output: Rect,
    /// Lines from the output node(s) to the output box, labelled with port and channel.
    pub output_wires: Vec<PlacedWire>,
    /// Size of the whole drawing, in points.
    pub size: Vec2,
}

/// Positions every node, wire, route and tag of `graph`.
pub fn layout(graph: &PatchGraph) -> GraphLayout {
    let columns = columns(graph);
    let tag_names = tag_names(graph);
    // Column 0 holds the tags when there are any; node columns follow.
    let offset = usize::from(!tag_names.is_empty());
    let mut rows_used: Vec<usize> = Vec::new();
    let mut place = |column: usize| {
        if rows_used.len() <= column {
            rows_used.resize(column + 1, 0);
        }
        let row = rows_used[column];
        rows_used[column] += 1;
        let min = pos2(12.0 + column as f32 * COLUMN_WIDTH, 12.0 + row as f32 * ROW_HEIGHT);
        (row, Rect::from_min_size(min, NODE_SIZE))
    };
    let tags: Vec<PlacedTag> = tag_names.into_iter().map(|label| PlacedTag { rect: place(0).1, label }).collect();
    let nodes: Vec<PlacedNode> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(index, node)| {
            let (row, rect) = place(columns[index] + offset);
            PlacedNode { index, label: node.id.clone(), kind: node.kind, column: columns[index], row, rect }
        })
        .collect();
    let last_column = columns.iter().copied().max().unwrap_or(0) + offset + 1;
    let output = place(last_column).1;

    let wires = graph
        .wires
        .iter()
        .map(|w| PlacedWire {
            start: nodes[w.from].rect.right_center(),
            end: nodes[w.to].rect.left_center(),
            label: format!("{} → {}", w.from_port, w.to_port),
            feedback: w.feedback,
        })
        .collect();
    let tag_rect = |label: &str| tags.iter().find(|t| t.label == label).map(|t| t.rect.right_center());
    let routes = graph
        .routes
        .iter()
        .map(|r| {
            let (start, kind) = match &r.source {
                RouteSource::Node(n) => (nodes[*n].rect.center_bottom(), RouteKind::Node),
                RouteSource::Control(name) => (tag_rect(name).unwrap_or_default(), RouteKind::Control),
                RouteSource::Macro(i, name) => (tag_rect(&macro_tag(*i, name)).unwrap_or_default(), RouteKind::Macro),
            };
            PlacedRoute {
                start,
                end: nodes[r.to].rect.center_bottom(),
                label: format!("{} {:+}", r.param, r.depth),
                kind,
            }
        })
        .collect();
    let output_wires = graph
        .output
        .iter()
        .map(|&(node, port, channel)| PlacedWire {
            start: nodes[node].rect.right_center(),
            end: output.left_center(),
            label: format!("{port} {channel}"),
            feedback: false,
        })
        .collect();
    let rows = rows_used.iter().copied().max().unwrap_or(1) as f32;
    let size = vec2(24.0 + (last_column + 1) as f32 * COLUMN_WIDTH, 24.0 + rows * ROW_HEIGHT);
    GraphLayout { nodes, wires, routes, tags, output, output_wires, size }
}

/// The tag text for macro `i` (0-based).
fn macro_tag(i: usize, name: &str) -> String {
    format!("macro {}: {name}", i + 1)
}

/// Every non-node modulation source once, in route order.
fn tag_names(graph: &PatchGraph) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in &graph.routes {
        let name = match &r.source {
            RouteSource::Node(_) => continue,
            RouteSource::Control(name) => name.clone(),
            RouteSource::Macro(i, name) => macro_tag(*i, name),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Each node's column: voice nodes by the longest non-feedback chain leading to them, effects after the
/// voice in chain order. A loop (an invalid patch still drawn) stops growing after one pass per node.
fn columns(graph: &PatchGraph) -> Vec<usize> {
    let n = graph.nodes.len();
    let edges: Vec<(usize, usize)> = graph
        .wires
        .iter()
        .filter(|w| !w.feedback)
        .map(|w| (w.from, w.to))
        .chain(graph.routes.iter().filter(|r| !r.feedback).filter_map(|r| match r.source {
            RouteSource::Node(from) => Some((from, r.to)),
            _ => None,
        }))
        .filter(|&(from, to)| !graph.nodes[from].effect && !graph.nodes[to].effect)
        .collect();
    let mut column = vec![0usize; n];
    for _ in 0..n {
        let mut changed = false;
        for &(from, to) in &edges {
            if column[to] < column[from] + 1 && column[from] < n {
                column[to] = column[from] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let voice_end = (0..n).filter(|&i| !graph.nodes[i].effect).map(|i| column[i] + 1).max().unwrap_or(0);
    let mut next = voice_end;
    for (c, node) in column.iter_mut().zip(&graph.nodes) {
        if node.effect {
            *c = next;
            next += 1;
        }
    }
    column
}
