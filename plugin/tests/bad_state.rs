//! Saved states that cannot be restored: each is refused with a reason, nothing panics, and the instance
//! keeps playing what it had. (Empty, foreign, future-version and random bytes are covered next to the
//! decoder in `core/state.rs`; these add every truncation, hostile values and a patch that no longer
//! compiles, seen through `PluginCore`.)

use std::sync::Arc;

use ferrule_plugin::core::state::{self, STATE_VERSION};
use ferrule_plugin::core::{NoteTag, PluginCore, SavedState, SharedParams, StateError};

const QUIET_SINE: &str = r#"(
    version: 1,
    nodes: { "osc": (kind: "sine"), "amp": (kind: "vca", params: { "gain": 0.25 }) },
    connections: [("osc", "amp.in")],
    output: Mono("amp.out"),
)"#;

fn saved(source: &str) -> SavedState {
    SavedState { patch_path: None, patch_source: source.into(), macros: [0.5; 8], master_db: 0.0, exposed: Vec::new() }
}

fn peak(core: &mut PluginCore) -> f32 {
    let mut audio = core.activate(48_000.0, 4800).unwrap();
    let (mut l, mut r) = (vec![0.0; 4800], vec![0.0; 4800]);
    audio.begin();
    audio.note_on(0, 69, 1.0, NoteTag::UNKNOWN);
    audio.render(&mut l, &mut r);
    core.deactivate();
    l.iter().fold(0.0, |a, x| a.max(x.abs()))
}

#[test]
fn every_truncation_of_a_good_state_is_refused_without_a_panic() {
    let good = state::encode(&saved(QUIET_SINE));
    for len in 0..good.len() {
        assert!(state::decode(&good[..len]).is_err(), "{len} of {} bytes", good.len());
    }
    assert!(state::decode(&good).is_ok());
}

#[test]
fn hostile_values_in_a_well_formed_state_are_refused() {
    let header = |text: &str| {
        let mut bytes = b"FERRULE\0".to_vec();
        bytes.extend_from_slice(&STATE_VERSION.to_le_bytes());
        bytes.extend_from_slice(text.as_bytes());
        bytes
    };
    let cases = [
        r#"(patch_path: None, patch_source: "", macros: (NaN, 0, 0, 0, 0, 0, 0, 0), master_db: 0)"#,
        r#"(patch_path: None, patch_source: "", macros: (2.0, 0, 0, 0, 0, 0, 0, 0), master_db: 0)"#,
        r#"(patch_path: None, patch_source: "", macros: (0, 0, 0, 0, 0, 0, 0, 0), master_db: inf)"#,
        r#"(patch_path: None, patch_source: "", macros: (0, 0, 0), master_db: 0)"#,
        &format!("(patch_path: {}", "Some(".repeat(100_000)),
        "\u{feff}",
    ];
    for text in cases {
        let result = state::decode(&header(text));
        assert!(matches!(result, Err(StateError::Corrupt(_))), "{}: {result:?}", &text[..text.len().min(60)]);
    }
    let mut bytes = header("(");
    bytes.push(0xff);
    assert_eq!(state::decode(&bytes), Err(StateError::Corrupt("not UTF-8 text".into())));
}

#[test]
fn a_saved_patch_that_no_longer_compiles_is_reported_and_the_old_sound_keeps_playing() {
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    core.load_state(&state::encode(&saved(QUIET_SINE))).expect("the sine loads");
    let broken = QUIET_SINE.replace("\"sine\"", "\"sien\"");
    let error = core.load_state(&state::encode(&saved(&broken))).expect_err("refused");
    assert!(matches!(error, StateError::Patch(_)), "{error:?}");
    let shown = core.last_error().expect("the error is shown");
    assert!(
        shown.starts_with("the saved patch does not compile:\n<saved patch>:3:28: error: unknown node kind `sien`"),
        "{shown}"
    );
    assert!((peak(&mut core) - 0.25).abs() < 0.01, "the quiet sine still plays");
    // The project's own patch is not lost: the next save writes it back, as loaded.
    let resaved = state::decode(&core.save_state()).expect("a readable state");
    assert_eq!(resaved.patch_source, broken, "the saved text survives a save");
    // Once another patch plays, saves carry that one.
    core.load_state(&state::encode(&saved(QUIET_SINE))).expect("the sine loads");
    assert_eq!(state::decode(&core.save_state()).unwrap().patch_source, QUIET_SINE);
}
