//! The live meters, driven headless: the runaway banner, the sounding notes by name and on the keys, the
//! CPU meter's text and colour, and the oscilloscope's trace and trigger.

mod common;

use common::{default_snapshot, editor};
use egui::{Color32, Shape};
use egui_kittest::kittest::Queryable;
use ferrule_editor::Snapshot;
use ferrule_editor::app::{SCOPE_COLOUR, SCOPE_SPAN_SECONDS, scope_view};

/// Every shape the last frame painted, groups flattened.
fn shapes(harness: &egui_kittest::Harness<'_, ferrule_editor::EditorState>) -> Vec<Shape> {
    fn flatten(shape: &Shape, out: &mut Vec<Shape>) {
        match shape {
            Shape::Vec(shapes) => shapes.iter().for_each(|s| flatten(s, out)),
            other => out.push(other.clone()),
        }
    }
    let mut out = Vec::new();
    for clipped in &harness.output().shapes {
        flatten(&clipped.shape, &mut out);
    }
    out
}

/// A sine of `hz` at `rate` points per second, `points` long, starting at `phase` (radians), peak `level`.
fn sine(hz: f32, rate: f32, points: usize, phase: f32, level: f32) -> Vec<f32> {
    (0..points).map(|i| level * (phase + std::f32::consts::TAU * hz * i as f32 / rate).sin()).collect()
}

#[test]
fn the_runaway_banner_shows_only_while_the_patch_is_muted() {
    let mut harness = editor(default_snapshot());
    assert!(harness.query_by_label("Muted: the patch ran away").is_none(), "no banner for a patch that plays");

    harness.state_mut().set_snapshot(Snapshot { runaway_db: Some(11.3), ..default_snapshot() });
    harness.run();
    harness.get_by_label("Muted: the patch ran away");
    harness.get_by_label_contains("The next good patch restores the sound");
    // It gives the level the guard tripped at.
    harness.get_by_label_contains("(peak +11.3 dBFS)");

    // A good patch arrived: the engine lifted the mute, and the banner goes.
    harness.state_mut().set_snapshot(default_snapshot());
    harness.run();
    assert!(harness.query_by_label("Muted: the patch ran away").is_none());
}

#[test]
fn sounding_notes_are_named_and_lit_on_the_keyboard() {
    let harness = editor(Snapshot { voices: 3, active_notes: vec![54, 60, 64], ..default_snapshot() });
    harness.get_by_label("Voices: 3");
    harness.get_by_label("F#3 C4 E4");
    let lit = Color32::from_rgb(240, 170, 60);
    let painted = shapes(&harness);
    let fill_of = |name: &str| {
        let rect = harness.get_by_label(name).rect();
        painted
            .iter()
            .filter_map(|s| match s {
                Shape::Rect(r) if r.rect == rect && r.fill != Color32::TRANSPARENT => Some(r.fill),
                _ => None,
            })
            .next_back()
    };
    assert_eq!(fill_of("F#3"), Some(lit), "a sounding black key is lit");
    assert_eq!(fill_of("E4"), Some(lit), "a sounding white key is lit");
    assert_ne!(fill_of("D4"), Some(lit), "a silent key is not");
    assert_ne!(fill_of("F#4"), Some(lit), "nor the same name an octave up");
}

#[test]
fn the_cpu_meter_shows_the_load_and_turns_red_past_the_deadline() {
    let error = Color32::from_rgb(230, 80, 70);
    let red_rects = |harness: &egui_kittest::Harness<'_, ferrule_editor::EditorState>| {
        shapes(harness).iter().filter(|s| matches!(s, Shape::Rect(r) if r.fill == error)).count()
    };
    let mut harness = editor(Snapshot { cpu_load: 0.123, cpu_peak: 0.4, ..default_snapshot() });
    harness.get_by_label_contains("CPU 12 % (peak 40 %)");
    assert_eq!(red_rects(&harness), 0, "a normal load is not red");

    harness.state_mut().set_snapshot(Snapshot { cpu_load: 1.3, cpu_peak: 1.6, ..default_snapshot() });
    harness.run();
    harness.get_by_label_contains("CPU 130 % (peak 160 %)");
    assert!(red_rects(&harness) >= 1, "an overrun is red");
}

#[test]
fn the_scope_draws_the_signal_as_a_line() {
    let rate = 12_000.0;
    let mut harness = editor(default_snapshot());
    let traces = |harness: &egui_kittest::Harness<'_, ferrule_editor::EditorState>| {
        shapes(harness)
            .into_iter()
            .filter_map(|s| match s {
                Shape::Path(p) if p.stroke.color == egui::epaint::ColorMode::Solid(SCOPE_COLOUR) => Some(p),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert!(traces(&harness).is_empty(), "no trace without a signal");
    harness.get_by_label("Oscilloscope");

    harness.state_mut().set_snapshot(Snapshot {
        scope: sine(440.0, rate, 480, 0.3, 0.5),
        scope_rate: rate,
        ..default_snapshot()
    });
    harness.run();
    let traces = traces(&harness);
    assert_eq!(traces.len(), 1, "one trace");
    let trace = &traces[0];
    assert_eq!(trace.points.len(), (rate * SCOPE_SPAN_SECONDS) as usize, "20 ms of points");
    let box_rect = harness.get_by_label("Oscilloscope").rect();
    let (top, bottom) = trace.points.iter().fold((f32::MAX, f32::MIN), |(t, b), p| (t.min(p.y), b.max(p.y)));
    // Peak 0.5 fills half the box's height.
    let swing = (bottom - top) / box_rect.height();
    assert!((0.45..=0.51).contains(&swing), "the trace swings over half the box: {swing}");
}

#[test]
fn the_scope_starts_at_a_rising_zero_crossing_so_a_steady_note_stands_still() {
    let rate = 12_000.0;
    let span = (rate * SCOPE_SPAN_SECONDS) as usize;
    // The same note captured at two moments (different phases at the ring's start).
    for phase in [0.0f32, 1.0, 2.5, 4.0] {
        let samples = sine(440.0, rate, 480, phase, 0.8);
        let view = scope_view(&samples, rate);
        assert_eq!(view.len(), span);
        assert!(view[0] >= 0.0 && view[0] < 0.25, "phase {phase}: starts just past a rising crossing: {}", view[0]);
        assert!(view[1] > view[0], "phase {phase}: and rises");
    }
    // Silence has no crossing: the newest span is shown.
    let silence = vec![0.0; 480];
    assert_eq!(scope_view(&silence, rate).len(), span);
    // An unknown rate shows everything.
    assert_eq!(scope_view(&silence, 0.0).len(), 480);
}
