//! A patch that blows up never puts NaN or infinity into the output, and the instrument recovers.

use ferrule_tests::measure::peak;
use ferrule_tests::patch::{SINE, off, on, render_text};

/// A mixer feeding a gain-4 VCA whose output comes back into the mixer: the signal grows 4× per control
/// period until it overflows to infinity, then NaN.
const RUNAWAY: &str = r#"(
    version: 1,
    nodes: {
        "osc": (kind: "sine"),
        "mix": (kind: "mixer"),
        "amp": (kind: "vca", params: { "gain": 4.0 }),
    },
    connections: [("osc.out", "mix.in1"), ("mix.out", "amp.in")],
    feedback: [("amp.out", "mix.in2")],
    output: Mono("amp.out"),
)"#;

#[test]
fn a_runaway_feedback_loop_never_reaches_the_output_as_nan_or_infinity() {
    let out = render_text(RUNAWAY, &[on(0.0, 60, 1.0), off(0.5, 60), on(1.0, 64, 1.0)], 48_000.0, 128, 2.0);
    assert_eq!(peak(&out.left), 4.0, "the patch really ran away (and hit the output limit)");
    for (i, x) in out.left.iter().chain(&out.right).enumerate() {
        assert!(x.is_finite() && x.abs() <= 4.0, "sample {i} is {x}");
    }
}

#[test]
fn extreme_events_are_harmless() {
    use ferrule_engine::EventKind;
    use ferrule_engine::render::TimedEvent;
    let weird = [
        TimedEvent { seconds: 0.0, kind: EventKind::NoteOn { note: 255, velocity: f32::NAN } },
        TimedEvent { seconds: 0.0, kind: EventKind::PitchBend { value: f32::INFINITY } },
        TimedEvent { seconds: 0.01, kind: EventKind::ControlChange { cc: 200, value: -5.0 } },
        TimedEvent { seconds: 0.02, kind: EventKind::Macro { index: 200, value: f32::NAN } },
        TimedEvent { seconds: 0.03, kind: EventKind::PolyPressure { note: 255, value: f32::NEG_INFINITY } },
        TimedEvent { seconds: 0.04, kind: EventKind::NoteOn { note: 0, velocity: 1e30 } },
        TimedEvent { seconds: 0.05, kind: EventKind::NoteOn { note: 127, velocity: 1.0 } },
    ];
    let out = render_text(SINE, &weird, 48_000.0, 64, 0.5);
    assert!(out.left.iter().all(|x| x.is_finite() && x.abs() <= 4.0));
    assert!(peak(&out.left[4800..]) > 0.1, "notes still play");
}

/// Hosts may run at any rate (clap-validator tries 1 kHz to 768 kHz): the reference voice stays finite and
/// free of denormals at the extremes, where its oscillators pass Nyquist and its filter clamps its cutoff.
#[test]
fn extreme_sample_rates_stay_finite() {
    let text = ferrule_tests::patch::factory_patch("ref-voice.ron");
    for rate in [1_000.0, 1_234.57, 768_000.0] {
        let notes = [on(0.0, 36, 1.0), on(0.0, 96, 1.0), on(0.0, 127, 1.0), off(0.2, 36), off(0.2, 96), off(0.2, 127)];
        let out = render_text(&text, &notes, rate, 64, 0.5);
        for x in out.left.iter().chain(&out.right) {
            assert!(x.is_finite() && (*x == 0.0 || x.abs() >= f32::MIN_POSITIVE), "{rate} Hz: {x}");
        }
    }
}
