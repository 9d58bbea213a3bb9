//! The patch graph: one box per node in signal order, one line per wire, dashed routes with depths,
//! and every node's label on screen.

mod common;

use common::{DEFAULT_PATCH, default_snapshot, editor};
use egui_kittest::kittest::Queryable;
use ferrule_editor::graph::RouteKind;
use ferrule_editor::layout;
use ferrule_engine::PatchSource;

fn default_graph() -> ferrule_engine::compile::view::PatchGraph {
    ferrule_engine::graph_view(&PatchSource { path: "default.ron".into(), text: DEFAULT_PATCH.into() }).unwrap()
}

#[test]
fn one_box_per_node_and_one_line_per_wire_in_signal_order() {
    let graph = default_graph();
    let placed = layout(&graph);
    assert_eq!(placed.nodes.len(), graph.nodes.len());
    assert_eq!(placed.nodes.len(), 10);
    assert_eq!(placed.wires.len(), 7);
    assert_eq!(placed.output_wires.len(), 1, "a mono output");
    for wire in &graph.wires {
        let (from, to) = (&placed.nodes[wire.from], &placed.nodes[wire.to]);
        assert!(from.column < to.column, "{} is left of {}", from.label, to.label);
        assert!(from.rect.right() < to.rect.left());
    }
    for (i, a) in placed.nodes.iter().enumerate() {
        for b in &placed.nodes[i + 1..] {
            assert!(!a.rect.intersects(b.rect), "{} and {} overlap", a.label, b.label);
        }
        assert!(a.rect.right() < placed.output.left(), "the output is rightmost");
    }
    let column = |id: &str| placed.nodes.iter().find(|n| n.label == id).unwrap().column;
    assert!(column("saw1") < column("mix") && column("mix") < column("filter") && column("filter") < column("amp"));
    assert!(column("filter_env") < column("filter"), "a modulator is left of what it moves");
}

#[test]
fn modulation_routes_carry_their_depth_and_source_kind() {
    let placed = layout(&default_graph());
    assert_eq!(placed.routes.len(), 13, "seven routes and six macro targets");
    let labels: Vec<(&str, RouteKind)> = placed.routes.iter().map(|r| (r.label.as_str(), r.kind)).collect();
    assert!(labels.contains(&("cutoff +2.5", RouteKind::Node)), "{labels:?}");
    assert!(labels.contains(&("cutoff +1", RouteKind::Control)), "{labels:?}");
    assert!(labels.contains(&("attack +6", RouteKind::Macro)), "{labels:?}");
    let tags: Vec<&str> = placed.tags.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(
        tags,
        [
            "velocity",
            "key",
            "modwheel",
            "macro 1: Brightness",
            "macro 2: Resonance",
            "macro 3: Attack",
            "macro 4: Release"
        ]
    );
}

#[test]
fn every_node_is_drawn_with_its_label_and_hover_shows_its_parameters() {
    let mut harness = editor(default_snapshot());
    let graph = default_graph();
    for node in &graph.nodes {
        harness.get_by_label(&node.id);
    }
    let filter = harness.get_by_label("filter").rect().center();
    harness.hover_at(filter);
    harness.run();
    harness.get_by_label("filter (svf)");
    harness.get_by_label("cutoff");
    harness.get_by_label("900 Hz");
}

#[test]
fn a_patch_that_cannot_be_drawn_says_why() {
    let mut harness = editor(default_snapshot());
    harness.state_mut().set_snapshot(ferrule_editor::Snapshot {
        patch_text: "(version: 1, nodes: {".into(),
        patch_label: "broken.ron".into(),
        ..default_snapshot()
    });
    harness.run();
    assert!(harness.state().graph_layout().is_err());
    harness.get_by_label_contains("cannot draw the patch: broken.ron:1:");
}
