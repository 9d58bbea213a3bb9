//! Choosing a patch file: a good file is played (and remembered in the state), a broken one is reported
//! with file, line and column while the old patch keeps playing.

use std::sync::Arc;

use ferrule_plugin::core::{NoteTag, Param, PluginCore, SharedParams};

fn temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrule-plugin-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const ONE_MACRO: &str = r#"(
    version: 1,
    nodes: { "osc": (kind: "sine"), "amp": (kind: "vca", params: { "gain": 0.25 }) },
    connections: [("osc", "amp.in")],
    macros: [(name: "Tone", min: 0.0, max: 2.0, default: 0.5)],
    output: Mono("amp.out"),
)"#;

fn level(core: &mut PluginCore) -> f32 {
    let mut audio = core.activate(48_000.0, 4800).unwrap();
    let (mut l, mut r) = (vec![0.0; 4800], vec![0.0; 4800]);
    audio.begin();
    audio.note_on(0, 69, 1.0, NoteTag::UNKNOWN);
    audio.render(&mut l, &mut r);
    core.deactivate();
    l.iter().fold(0.0, |a, x| a.max(x.abs()))
}

#[test]
fn a_patch_file_is_played_and_names_the_macros() {
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    assert_eq!(core.param_name(Param::Macro(0)), "Brightness", "the default patch's first macro");
    let path = temp("one-macro.ron", ONE_MACRO);
    core.load_patch_file(&path).expect("loads");
    assert_eq!(core.patch_path(), Some(path.as_path()));
    assert_eq!(core.param_name(Param::Macro(0)), "Tone");
    assert_eq!(core.param_name(Param::Macro(1)), "Macro 2 (unused)");
    assert!((core.param_default(Param::Macro(0)) - 0.25).abs() < 1e-6, "default 0.5 of 0..2");
    assert!((level(&mut core) - 0.25).abs() < 0.01);
}

#[test]
fn a_broken_file_is_reported_and_the_old_patch_keeps_playing() {
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    let good = temp("good.ron", ONE_MACRO);
    core.load_patch_file(&good).unwrap();
    let bad = temp("bad.ron", &ONE_MACRO.replace("\"sine\"", "\"sien\""));
    let error = core.load_patch_file(&bad).expect_err("refused");
    assert!(error.starts_with(&format!("{}:3:28: error: unknown node kind `sien`", bad.display())), "{error}");
    assert_eq!(core.last_error(), Some(error.as_str()));
    assert_eq!(core.patch_path(), Some(good.as_path()), "still the good file");
    assert!((level(&mut core) - 0.25).abs() < 0.01, "and its sound");
    let missing = core.load_patch_file(std::path::Path::new("/nonexistent/patch.ron")).expect_err("refused");
    assert!(missing.starts_with("/nonexistent/patch.ron: error: "), "{missing}");
}
