//! The editor's panels, driven headless by label: knobs send gestures, diagnostics show, the rollback
//! and load controls send their intents, the keyboard plays notes.

mod common;

use common::{default_snapshot, editor, move_to, press, release};
use egui::vec2;
use egui_kittest::kittest::Queryable;
use ferrule_editor::{EditorParam, ExposedView, Intent, ReloadView, Snapshot};

#[test]
fn turning_a_macro_knob_sends_a_gesture_with_the_new_value() {
    let mut harness = editor(default_snapshot());
    let knob = harness.get_by_label("Brightness").rect().center();
    press(&mut harness, knob);
    move_to(&mut harness, knob - vec2(0.0, 25.0));
    move_to(&mut harness, knob - vec2(0.0, 50.0));
    release(&mut harness, knob - vec2(0.0, 50.0));
    let intents = harness.state_mut().take_intents();

    let brightness = EditorParam::Macro(0);
    assert_eq!(intents.first(), Some(&Intent::BeginGesture(brightness)), "{intents:?}");
    assert_eq!(intents.last(), Some(&Intent::EndGesture(brightness)), "{intents:?}");
    let values: Vec<f64> = intents
        .iter()
        .filter_map(|i| match i {
            Intent::SetParam(p, v) if *p == brightness => Some(*v),
            _ => None,
        })
        .collect();
    assert!(!values.is_empty(), "{intents:?}");
    assert!(values.windows(2).all(|w| w[1] > w[0]), "dragging up only raises it: {values:?}");
    // 50 points up from 50 % is a quarter of the 200-point sweep.
    let last = *values.last().unwrap();
    assert!((0.70..=0.76).contains(&last), "ends near 75 %: {last}");
    assert!(
        intents.iter().all(|i| !matches!(
            i,
            Intent::SetParam(EditorParam::Macro(1..), _) | Intent::SetParam(EditorParam::Master, _)
        )),
        "no other parameter moves: {intents:?}"
    );
}

#[test]
fn the_master_knob_sends_decibels_and_unused_macros_do_not_move() {
    let mut harness = editor(default_snapshot());
    let master = harness.get_by_label("Master").rect().center();
    press(&mut harness, master);
    move_to(&mut harness, master + vec2(0.0, 100.0));
    release(&mut harness, master + vec2(0.0, 100.0));
    let intents = harness.state_mut().take_intents();
    let last = intents.iter().rev().find_map(|i| match i {
        Intent::SetParam(EditorParam::Master, db) => Some(*db),
        _ => None,
    });
    // From -6 dB, 100 points down is half of the 66 dB range: about -39 dB.
    let last = last.expect("a master volume change");
    assert!((-40.0..=-37.0).contains(&last), "{last} dB");

    let unused = harness.get_by_label("Macro 5 (unused)").rect().center();
    press(&mut harness, unused);
    move_to(&mut harness, unused - vec2(0.0, 60.0));
    release(&mut harness, unused - vec2(0.0, 60.0));
    assert_eq!(harness.state_mut().take_intents(), vec![], "a macro the patch does not use stays put");
}

#[test]
fn a_compile_error_shows_its_location_and_offers_the_last_good_patch() {
    // The diagnostic as the plugin core reports it after a broken save.
    let broken = common::DEFAULT_PATCH.replace("\"svf\"", "\"svff\"");
    let line = broken.lines().position(|l| l.contains("\"svff\"")).expect("the broken kind") + 1;
    let source = ferrule_engine::PatchSource { path: "/home/me/live.ron".into(), text: broken };
    let Err(error) = ferrule_engine::compile(&source, &Default::default()) else { panic!("the patch is broken") };
    let error = error.to_string();
    let first_line = error.lines().next().unwrap().to_string();
    assert!(first_line.starts_with(&format!("/home/me/live.ron:{line}:")), "{first_line}");

    let mut harness = editor(default_snapshot());
    assert!(harness.query_by_label_contains("error:").is_none(), "no error shown for a good patch");
    harness.get_by_label("Back to last good patch").click();
    harness.run();
    assert_eq!(harness.state_mut().take_intents(), vec![], "nothing to go back to yet");

    harness.state_mut().set_snapshot(Snapshot {
        patch_path: Some("/home/me/live.ron".into()),
        reload: Some(ReloadView {
            time: "14:02:31".into(),
            ok: false,
            summary: "failed: the last good patch plays on".into(),
        }),
        diagnostics: vec![first_line.clone()],
        can_rollback: true,
        ..default_snapshot()
    });
    harness.run();
    harness.get_by_label(&first_line);
    harness.get_by_label("failed: the last good patch plays on");
    harness.get_by_label("Last reload 14:02:31:");
    harness.get_by_label("Back to last good patch").click();
    harness.run();
    assert_eq!(harness.state_mut().take_intents(), vec![Intent::Rollback]);
}

#[test]
fn a_typed_path_or_a_user_patch_is_loaded() {
    let mut harness = editor(Snapshot {
        user_folder: Some("/home/me/.config/ferrule/patches".into()),
        user_patches: vec!["/home/me/.config/ferrule/patches/bass.ron".into()],
        ..default_snapshot()
    });
    harness.get_by_label_contains("User patches").click();
    harness.run();
    harness.get_by_label("bass.ron").click();
    harness.run();
    assert_eq!(
        harness.state_mut().take_intents(),
        vec![Intent::LoadFile("/home/me/.config/ferrule/patches/bass.ron".into())]
    );

    harness.get_by_role(egui::accesskit::Role::TextInput).focus();
    harness.run();
    harness.get_by_role(egui::accesskit::Role::TextInput).type_text("/tmp/lead.ron");
    harness.run();
    harness.get_by_label("Load").click();
    harness.run();
    assert_eq!(harness.state_mut().take_intents(), vec![Intent::LoadFile("/tmp/lead.ron".into())]);
}

#[test]
fn the_keyboard_plays_with_the_mouse_and_the_computer_keys() {
    let mut harness = editor(default_snapshot());
    let c4 = harness.get_by_label("C4").rect();
    // Low on the white key, below the black keys.
    let at = c4.center_bottom() - vec2(0.0, 8.0);
    press(&mut harness, at);
    let on = harness.state_mut().take_intents();
    assert!(matches!(on.as_slice(), [Intent::NoteOn { key: 60, velocity }] if *velocity > 0.8), "{on:?}");
    release(&mut harness, at);
    assert_eq!(harness.state_mut().take_intents(), vec![Intent::NoteOff { key: 60 }]);

    let c_sharp = harness.get_by_label("C#4").rect().center();
    press(&mut harness, c_sharp);
    release(&mut harness, c_sharp);
    let intents = harness.state_mut().take_intents();
    assert!(matches!(intents.as_slice(), [Intent::NoteOn { key: 61, .. }, Intent::NoteOff { key: 61 }]), "{intents:?}");

    harness.key_down(egui::Key::H);
    harness.run();
    assert!(matches!(harness.state_mut().take_intents().as_slice(), [Intent::NoteOn { key: 69, .. }]));
    harness.key_up(egui::Key::H);
    harness.run();
    assert_eq!(harness.state_mut().take_intents(), vec![Intent::NoteOff { key: 69 }]);

    // A note still held when the window closes is ended.
    harness.key_down(egui::Key::A);
    harness.run();
    harness.state_mut().take_intents();
    harness.state_mut().close();
    assert_eq!(harness.state_mut().take_intents(), vec![Intent::NoteOff { key: 60 }]);
}

#[test]
fn the_meters_show_voices_held_keys_and_level() {
    let mut harness =
        editor(Snapshot { voices: 3, active_notes: vec![60, 64], level_db: -12.04, ..default_snapshot() });
    harness.get_by_label("Voices: 3");
    harness.get_by_label("C4 E4");
    harness.get_by_label_contains("Level -12.0 dBFS");
    harness.state_mut().set_snapshot(default_snapshot());
    harness.run();
    harness.get_by_label("Voices: 0");
    harness.get_by_label_contains("Level -inf dBFS");
}

#[test]
fn the_open_button_shows_the_file_dialog_and_loads_the_chosen_file() {
    use std::path::PathBuf;
    use std::sync::mpsc::{Sender, channel};

    let folder = PathBuf::from("/home/me/.config/ferrule/patches");
    let mut harness = editor(Snapshot { user_folder: Some(folder.clone()), ..default_snapshot() });
    assert!(harness.query_by_label("Open…").is_none(), "no dialog button where no dialog can be shown");
    harness.get_by_label("Load");

    // A dialog that answers when the test says so: each start hands the test its folder and answer channel.
    let (started, starts) = channel::<(Option<PathBuf>, Sender<Option<PathBuf>>)>();
    harness.state_mut().set_file_picker(Box::new(move |start| {
        let (answer, answered) = channel();
        started.send((start, answer)).unwrap();
        answered
    }));
    harness.run();
    harness.get_by_label("Open…").click();
    harness.run();
    let (start, answer) = starts.try_recv().expect("the dialog was started");
    assert_eq!(start, Some(folder), "it opens in the user patch folder");
    harness.get_by_label("Choosing a file…");
    harness.run();
    assert_eq!(harness.state_mut().take_intents(), vec![], "the editor keeps running while the dialog is open");

    answer.send(Some("/home/me/pad.ron".into())).unwrap();
    harness.run();
    assert_eq!(harness.state_mut().take_intents(), vec![Intent::LoadFile("/home/me/pad.ron".into())]);

    // Cancelling loads nothing and offers the button again.
    harness.run();
    harness.get_by_label("Open…").click();
    harness.run();
    let (_, answer) = starts.try_recv().expect("a second dialog");
    answer.send(None).unwrap();
    harness.run();
    harness.run();
    assert_eq!(harness.state_mut().take_intents(), vec![]);
    assert!(harness.query_by_label("Choosing a file…").is_none());
}

/// The default patch's snapshot with its exposed parameters (Cutoff 60 Hz..12 kHz, Sub level, Vibrato
/// rate) at their defaults, as the plugin publishes them.
fn exposed_snapshot() -> Snapshot {
    let source = ferrule_engine::PatchSource { path: "<default patch>".into(), text: common::DEFAULT_PATCH.into() };
    let exposed = ferrule_engine::patch::exposed_params(&source).expect("the default patch validates");
    Snapshot {
        exposed: exposed
            .into_iter()
            .map(|param| ExposedView { position: param.default_position() as f64, param })
            .collect(),
        ..default_snapshot()
    }
}

#[test]
fn turning_an_exposed_knob_sends_a_gesture_and_shows_the_value_in_its_unit() {
    let harness = editor(default_snapshot());
    assert!(harness.query_by_label("Parameters").is_none(), "no panel for a patch without exposed parameters");

    let mut harness = editor(exposed_snapshot());
    harness.get_by_label("Parameters");
    let cutoff = harness.get_by_label("Cutoff");
    assert_eq!(cutoff.value().as_deref(), Some("900 Hz"), "the file's value, in its unit");
    assert_eq!(harness.get_by_label("Sub level").value().as_deref(), Some("0.25"));
    assert_eq!(harness.query_all_by_role(egui::accesskit::Role::Slider).count(), 8 + 1 + 3, "only used slots");

    let at = cutoff.rect().center();
    press(&mut harness, at);
    move_to(&mut harness, at - vec2(0.0, 25.0));
    move_to(&mut harness, at - vec2(0.0, 50.0));
    release(&mut harness, at - vec2(0.0, 50.0));
    let intents = harness.state_mut().take_intents();
    let cutoff = EditorParam::Exposed(0);
    assert_eq!(intents.first(), Some(&Intent::BeginGesture(cutoff)), "{intents:?}");
    assert_eq!(intents.last(), Some(&Intent::EndGesture(cutoff)), "{intents:?}");
    let values: Vec<f64> = intents
        .iter()
        .filter_map(|i| match i {
            Intent::SetParam(p, v) if *p == cutoff => Some(*v),
            Intent::SetParam(p, _) => panic!("{p:?} moved too: {intents:?}"),
            _ => None,
        })
        .collect();
    // 50 points up is a quarter of the 200-point sweep, from the default's position.
    let start = harness.state().snapshot().exposed[0].position;
    let last = *values.last().expect("a value change");
    assert!((last - (start + 0.25)).abs() < 0.02, "a quarter turn up from {start}: {last}");

    // The host's answer arrives in the next snapshot: the knob shows it in hertz (the middle of a
    // logarithmic 60 Hz..12 kHz control is their geometric mean, 849 Hz).
    let mut moved = exposed_snapshot();
    moved.exposed[0].position = 0.5;
    harness.state_mut().set_snapshot(moved);
    harness.run();
    assert_eq!(harness.get_by_label("Cutoff").value().as_deref(), Some("849 Hz"));
}

#[test]
fn closing_the_editor_with_the_file_dialog_open_is_safe_and_its_late_answer_goes_nowhere() {
    use std::path::PathBuf;
    use std::sync::mpsc::{Sender, channel};

    let (started, starts) = channel::<Sender<Option<PathBuf>>>();
    let mut harness = editor(default_snapshot());
    harness.state_mut().set_file_picker(Box::new(move |_| {
        let (answer, answered) = channel();
        started.send(answer).unwrap();
        answered
    }));
    harness.run();
    harness.get_by_label("Open…").click();
    harness.run();
    let answer = starts.try_recv().expect("the dialog was started");
    harness.get_by_label("Choosing a file…");

    // The window closes while the user still looks at the dialog: nothing waits for it, nothing is loaded.
    harness.state_mut().close();
    assert_eq!(harness.state_mut().take_intents(), vec![]);
    drop(harness);
    // The dialog's thread answers later: the send fails quietly (the thread then ends on its own).
    assert!(answer.send(Some("/home/me/pad.ron".into())).is_err(), "the closed editor's receiver is gone");
}
