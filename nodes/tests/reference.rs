//! `docs/nodes.md` is generated from the node declarations; this fails when the committed file is stale.

#[test]
fn the_committed_node_reference_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/nodes.md");
    let want = ferrule_nodes::reference::markdown();
    if std::env::var_os("FERRULE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/nodes.md is out of date: regenerate it with `ferrule nodes --markdown > docs/nodes.md` \
         (or FERRULE_UPDATE_DOCS=1 cargo test -p ferrule-nodes --test reference)"
    );
}

#[test]
fn every_kind_its_ports_and_parameters_are_in_the_reference() {
    let md = ferrule_nodes::reference::markdown();
    let text = ferrule_nodes::reference::text();
    for spec in ferrule_nodes::registry::all() {
        assert!(md.contains(&format!("\n### {}\n", spec.kind)), "{} has a section", spec.kind);
        for p in spec.params {
            assert!(md.contains(&format!("| `{}` |", p.name)), "{}.{} is listed", spec.kind, p.name);
            assert!(text.contains(p.doc), "{}.{} is described in the text listing", spec.kind, p.name);
        }
    }
    assert!(md.contains("| `cutoff` | 20 to 20000 Hz; default 1000 Hz | octaves |"), "units and ranges read naturally");
}
