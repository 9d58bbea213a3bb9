//! Voice modes as a player hears them: legato glides without retriggering, mono retriggers, voices end
//! with their amplitude envelope.

use ferrule_engine::Engine;
use ferrule_engine::render::{RenderSettings, render};
use ferrule_tests::measure::{cents, note_hz, peak, pitch_hz};
use ferrule_tests::patch::{off, on, render_text, schedule};

fn patch(mode: &str, glide: f64) -> String {
    format!(
        r#"(
    version: 1,
    voice: (mode: {mode}, glide: {glide:?}),
    nodes: {{
        "osc": (kind: "sine"),
        "env": (kind: "adsr", params: {{ "attack": 0.001, "decay": 0.05, "sustain": 0.3, "release": 0.1 }}),
        "amp": (kind: "vca"),
    }},
    connections: [("osc", "amp.in"), ("env", "amp.cv")],
    output: Mono("amp.out"),
)"#
    )
}

const RATE: f32 = 48_000.0;

fn seconds(s: f64) -> usize {
    (s * RATE as f64) as usize
}

#[test]
fn legato_glides_to_the_new_note_without_retriggering_the_envelope() {
    let events = [on(0.0, 57, 1.0), on(0.5, 69, 1.0), off(1.0, 69), off(1.0, 57)];
    let out = render_text(&patch("Legato", 0.1), &events, RATE, 64, 1.2).left;
    // The envelope has decayed to its 0.3 sustain and stays there: no new attack.
    assert!((peak(&out[seconds(0.5)..seconds(0.6)]) - 0.3).abs() < 0.01, "{}", peak(&out[seconds(0.5)..seconds(0.6)]));
    // Halfway through the 100 ms glide the pitch is halfway between A3 and A4 (in semitones).
    let mid = pitch_hz(&out[seconds(0.545)..seconds(0.555)], RATE).unwrap();
    assert!(cents(mid, note_hz(63.0)).abs() < 30.0, "mid-glide {mid:.1} Hz");
    let end = pitch_hz(&out[seconds(0.7)..seconds(0.95)], RATE).unwrap();
    assert!(cents(end, 440.0).abs() < 0.5, "after the glide {end:.2} Hz");
}

#[test]
fn mono_retriggers_and_returns_to_the_held_note() {
    let events = [on(0.0, 57, 1.0), on(0.5, 69, 1.0), off(0.8, 69), off(1.3, 57)];
    let out = render_text(&patch("Mono", 0.0), &events, RATE, 64, 1.5).left;
    assert!(peak(&out[seconds(0.5)..seconds(0.52)]) > 0.9, "a new attack");
    let back = pitch_hz(&out[seconds(0.9)..seconds(1.2)], RATE).unwrap();
    assert!(cents(back, 220.0).abs() < 0.5, "back on the held A3: {back:.2} Hz");
}

#[test]
fn a_voice_ends_when_its_amplitude_envelope_has_released() {
    let (mut engine, _control) = Engine::new(schedule(&patch("Poly", 0.0), RATE));
    let mut left = vec![0.0; seconds(0.5)];
    let mut right = left.clone();
    let note = [ferrule_engine::Event { time: 0, kind: ferrule_engine::EventKind::NoteOn { note: 60, velocity: 1.0 } }];
    engine.process(&note, &mut left, &mut right);
    assert_eq!(engine.active_voices(), 1);
    let release = [ferrule_engine::Event { time: 0, kind: ferrule_engine::EventKind::NoteOff { note: 60 } }];
    engine.process(&release, &mut left, &mut right);
    assert_eq!(engine.active_voices(), 0, "freed after the 0.1 s release");
    let ended = engine.ended_notes();
    assert_eq!(ended.len(), 1, "{ended:?}");
    assert_eq!(ended[0].note, 60);
    assert!((4780..4816).contains(&ended[0].time), "reported at the frame the release ended: {}", ended[0].time);
    assert!(peak(&left[seconds(0.11)..]) == 0.0, "and silent");
}

#[test]
fn the_reference_voice_sounds_and_falls_silent_after_release() {
    let text = ferrule_tests::patch::factory_patch("ref-voice.ron");
    let s = schedule(&text, RATE);
    let out = render(
        s,
        &[on(0.0, 48, 0.8), on(0.0, 55, 0.8), off(1.0, 48), off(1.0, 55)],
        &RenderSettings { block: 128, seconds: 2.0 },
    );
    assert!(peak(&out.left[..seconds(1.0)]) > 0.1);
    assert_eq!(peak(&out.left[seconds(1.5)..]), 0.0);
}
