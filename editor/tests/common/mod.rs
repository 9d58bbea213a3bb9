//! Shared helpers for the editor's headless tests: a harness around [`EditorState`] and mouse gestures.
#![allow(dead_code)] // Each test file uses its own subset.

use egui::{Event, Modifiers, PointerButton, Pos2};
use egui_kittest::Harness;
use ferrule_editor::{EditorState, MacroView, Snapshot};

/// The embedded default patch, as the plugin plays it before a file is chosen.
pub const DEFAULT_PATCH: &str = include_str!("../../../patches/default.ron");

/// A snapshot of the default patch with its four macros named, master at -6 dB.
pub fn default_snapshot() -> Snapshot {
    let names = ["Brightness", "Resonance", "Attack", "Release"];
    Snapshot {
        patch_text: DEFAULT_PATCH.into(),
        macros: (0..8)
            .map(|i| match names.get(i) {
                Some(name) => MacroView { name: name.to_string(), value: 0.5, used: true },
                None => MacroView { name: format!("Macro {} (unused)", i + 1), value: 0.0, used: false },
            })
            .collect(),
        master_db: -6.0,
        ..Snapshot::default()
    }
}

/// A headless editor window of 1200 × 800 points showing `snapshot`.
pub fn editor(snapshot: Snapshot) -> Harness<'static, EditorState> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .build_ui_state(|ui, state: &mut EditorState| state.ui(ui), EditorState::new(snapshot));
    harness.run();
    harness
}

/// Presses the primary mouse button at `at`.
pub fn press(harness: &mut Harness<'_, EditorState>, at: Pos2) {
    harness.event(Event::PointerMoved(at));
    harness.event(Event::PointerButton {
        pos: at,
        button: PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    harness.run();
}

/// Moves the mouse to `to` (with the button held or not).
pub fn move_to(harness: &mut Harness<'_, EditorState>, to: Pos2) {
    harness.event(Event::PointerMoved(to));
    harness.run();
}

/// Releases the primary mouse button at `at`.
pub fn release(harness: &mut Harness<'_, EditorState>, at: Pos2) {
    harness.event(Event::PointerButton {
        pos: at,
        button: PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    harness.run();
}
