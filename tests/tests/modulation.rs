//! Modulation routes and macros as a player hears them: depths in the parameter's unit, summed, smoothed.

use ferrule_engine::EventKind;
use ferrule_engine::render::TimedEvent;
use ferrule_tests::measure::{cents, max_step, note_hz, peak, pitch_hz, rms};
use ferrule_tests::patch::{on, render_text};

const RATE: f32 = 48_000.0;

fn sine_with(routes: &str, macros: &str) -> String {
    format!(
        r#"(
    version: 1,
    nodes: {{
        "osc": (kind: "sine"),
        "amp": (kind: "vca", params: {{ "gain": 0.5 }}),
    }},
    connections: [("osc", "amp.in")],
    modulations: [{routes}],
    macros: [{macros}],
    output: Mono("amp.out"),
)"#
    )
}

fn at(seconds: f64, kind: EventKind) -> TimedEvent {
    TimedEvent { seconds, kind }
}

fn window(x: &[f32], from: f64, to: f64) -> &[f32] {
    &x[(from * RATE as f64) as usize..(to * RATE as f64) as usize]
}

#[test]
fn a_pitch_route_is_in_octaves() {
    let patch = sine_with(r#"(from: "modwheel", to: "osc.pitch", depth: 1.0)"#, "");
    let events = [on(0.0, 69, 1.0), at(0.5, EventKind::ControlChange { cc: 1, value: 1.0 })];
    let out = render_text(&patch, &events, RATE, 64, 1.0).left;
    assert!(cents(pitch_hz(window(&out, 0.1, 0.5), RATE).unwrap(), 440.0).abs() < 0.5);
    assert!(cents(pitch_hz(window(&out, 0.6, 1.0), RATE).unwrap(), 880.0).abs() < 0.5, "wheel up: one octave up");
}

#[test]
fn key_tracking_at_depth_one_doubles_every_octave() {
    let patch = sine_with(r#"(from: "key", to: "osc.pitch", depth: 1.0)"#, "");
    // Note 72 is one octave above middle C, so the route adds 12 semitones: 84 sounds.
    let out = render_text(&patch, &[on(0.0, 72, 1.0)], RATE, 64, 0.5).left;
    let hz = pitch_hz(window(&out, 0.05, 0.5), RATE).unwrap();
    assert!(cents(hz, note_hz(84.0)).abs() < 0.5, "{hz} Hz");
}

#[test]
fn routes_into_one_parameter_add_up_and_clamp_to_its_range() {
    // Velocity 1 adds 0.5 and the wheel adds 0.5: gain 0.5 + 1.0 = 1.5. Three more of the wheel would
    // pass the VCA's maximum of 4, where it is clamped.
    let patch = sine_with(
        r#"(from: "velocity", to: "amp.gain", depth: 0.5), (from: "modwheel", to: "amp.gain", depth: 0.5), (from: "modwheel", to: "amp.gain", depth: 10.0)"#,
        "",
    );
    let out = render_text(&patch, &[on(0.0, 69, 1.0)], RATE, 64, 0.5).left;
    assert!((peak(window(&out, 0.1, 0.5)) - 1.0).abs() < 0.01, "0.5 + 0.5 × velocity 1: {}", peak(&out));
    let loud = render_text(
        &patch,
        &[on(0.0, 69, 1.0), at(0.0, EventKind::ControlChange { cc: 1, value: 1.0 })],
        RATE,
        64,
        0.5,
    );
    assert!((peak(window(&loud.left, 0.1, 0.5)) - 4.0).abs() < 0.01, "clamped at the VCA's 4×: {}", peak(&loud.left));
}

#[test]
fn a_macro_moves_its_targets_smoothly_and_at_its_sample() {
    let patch =
        sine_with("", r#"(name: "Level", min: 0.0, max: 1.0, default: 1.0, targets: [(to: "amp.gain", depth: -0.5)])"#);
    let events = [on(0.0, 69, 1.0), at(0.5, EventKind::Macro { index: 0, value: 0.0 })];
    let out = render_text(&patch, &events, RATE, 64, 1.0).left;
    // Default 1.0 × −0.5 leaves gain 0; the macro at 0 restores 0.5.
    assert!(peak(window(&out, 0.1, 0.49)) < 1e-6, "silent at the default");
    assert!((peak(window(&out, 0.6, 1.0)) - 0.5).abs() < 0.01);
    assert!(rms(window(&out, 0.49, 0.5)) < 1e-6, "nothing moves before the event's sample");
    // The change glides over 5 ms: no step larger than the tone's own at full level.
    let tone_step = 0.5 * std::f32::consts::TAU * 440.0 / RATE;
    assert!(max_step(window(&out, 0.49, 0.52)) <= tone_step * 1.01);
}

#[test]
fn a_macro_keeps_its_position_through_a_reload_and_the_new_patch_maps_it() {
    use ferrule_engine::{Engine, Event};
    use ferrule_tests::patch::schedule;
    // The player turned "Level" to 0 (gain 0.5 − 0 = 0.5); the reload makes the macro act twice as hard.
    // Its position (0) is kept, so the new mapping applies to it: still 0.5, not the new default's level.
    let before = sine_with(
        "",
        r#"(name: "Level", min: 0.0, max: 1.0, default: 1.0, targets: [(to: "amp.gain", depth: -0.25)])"#,
    );
    let after =
        sine_with("", r#"(name: "Level", min: 0.0, max: 1.0, default: 1.0, targets: [(to: "amp.gain", depth: -0.5)])"#);
    let (mut engine, mut control) = Engine::new(schedule(&before, RATE));
    let (mut l, mut r) = (vec![0.0; 4800], vec![0.0; 4800]);
    let events = [
        Event { time: 0, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } },
        Event { time: 0, kind: EventKind::Macro { index: 0, value: 0.0 } },
    ];
    engine.process(&events, &mut l, &mut r);
    assert!((peak(&l[2400..]) - 0.5).abs() < 0.01, "macro at 0: full gain");
    control.submit(schedule(&after, RATE)).map_err(|_| "queue full").unwrap();
    engine.process(&[], &mut l, &mut r);
    assert!((peak(&l[2400..]) - 0.5).abs() < 0.01, "the position survived the reload: {}", peak(&l[2400..]));
    engine.process(&[Event { time: 0, kind: EventKind::Macro { index: 0, value: 1.0 } }], &mut l, &mut r);
    assert!(peak(&l[2400..]) < 1e-3, "and the new depth applies: at 1 the gain is 0.5 − 0.5: {}", peak(&l[2400..]));
}
