//! What Ferrule's host tests share: a plain sine patch whose pitch and level are exactly known, and a
//! saved state that plays it.

use ferrule_plugin::core::state::{SavedState, encode};

/// A sine at the note's pitch, peak 0.5 (−6.0 dBFS); macro 1 ("Level") at 1.0 takes 0.4 off the gain.
/// Its one exposed parameter, "Gain" (host id 101), sets the VCA's gain 0..1 (default 0.5: position 0.5).
pub const SINE: &str = r#"(
    version: 1,
    nodes: {
        "osc": (kind: "sine"),
        "env": (kind: "adsr", params: { "attack": 0.001, "sustain": 1.0, "release": 0.01 }),
        "amp": (kind: "vca", params: { "gain": 0.5 }),
    },
    connections: [("osc", "amp.in"), ("env", "amp.cv")],
    macros: [(name: "Level", min: 0.0, max: 1.0, default: 1.0, targets: [(to: "amp.gain", depth: -0.4)])],
    params: [(name: "Gain", to: "amp.gain", min: 0.0, max: 1.0)],
    output: Mono("amp.out"),
)"#;

/// A Ferrule state playing [`SINE`] with macro 1 at `macro_position`.
pub fn sine_state(macro_position: f32) -> Vec<u8> {
    encode(&SavedState {
        patch_path: None,
        patch_source: SINE.into(),
        macros: [macro_position, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        master_db: 0.0,
        exposed: Vec::new(),
    })
}
