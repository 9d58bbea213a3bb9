//! Schedule swaps: take effect at the next block, only the newest pending one plays, held notes carry on,
//! and every retired schedule comes back to the control side.

use ferrule_engine::{Engine, Event, EventKind};
use ferrule_tests::measure::{max_step, peak, step_percentile_999};
use ferrule_tests::patch::schedule;

fn sine_at(gain: f32) -> String {
    format!(
        r#"(
    version: 1,
    nodes: {{
        "osc": (kind: "sine"),
        "amp": (kind: "vca", params: {{ "gain": {gain:?} }}),
    }},
    connections: [("osc.out", "amp.in")],
    output: Mono("amp.out"),
)"#
    )
}

fn play(engine: &mut Engine, events: &[Event], frames: usize) -> Vec<f32> {
    let mut left = vec![0.0; frames];
    let mut right = vec![0.0; frames];
    engine.process(events, &mut left, &mut right);
    left
}

#[test]
fn a_held_note_carries_on_through_a_parameter_edit_and_glides_to_the_new_level() {
    let (mut engine, mut control) = Engine::new(schedule(&sine_at(0.5), 48_000.0));
    let note = [Event { time: 0, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } }];
    let mut out = play(&mut engine, &note, 4800);
    control.submit(schedule(&sine_at(0.25), 48_000.0)).map_err(|_| "queue full").unwrap();
    out.extend(play(&mut engine, &[], 4800));
    assert!((peak(&out[..4800]) - 0.5).abs() < 0.01);
    assert!((peak(&out[9000..]) - 0.25).abs() < 0.01, "the new gain is heard: {}", peak(&out[9000..]));
    // Phase continues (no restart) and the gain glides: the swap adds no step beyond the tone's own.
    let around = max_step(&out[4700..4900]);
    let baseline = step_percentile_999(&out[..4800]);
    assert!(around <= baseline * 1.05, "step at the swap {around} vs the tone's own {baseline}");
    assert_eq!(control.collect_retired(), 1, "the old schedule came back");
}

#[test]
fn only_the_newest_pending_schedule_is_played() {
    let (mut engine, mut control) = Engine::new(schedule(&sine_at(0.5), 48_000.0));
    for gain in [0.1, 0.2, 0.3] {
        control.submit(schedule(&sine_at(gain), 48_000.0)).map_err(|_| "queue full").unwrap();
    }
    let note = [Event { time: 0, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } }];
    let out = play(&mut engine, &note, 4800);
    assert!((peak(&out[2400..]) - 0.3).abs() < 0.01, "plays the last one submitted: {}", peak(&out[2400..]));
    assert_eq!(control.collect_retired(), 3, "two skipped and the original all come back");
}

#[test]
fn a_swap_waits_for_the_block_boundary() {
    let (mut engine, mut control) = Engine::new(schedule(&sine_at(0.5), 48_000.0));
    let note = [Event { time: 0, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } }];
    let first = play(&mut engine, &note, 2400);
    control.submit(schedule(&sine_at(0.0), 48_000.0)).map_err(|_| "queue full").unwrap();
    assert!(peak(&first[1200..]) > 0.49, "the block already rendered is untouched");
    let second = play(&mut engine, &[], 4800);
    assert!(peak(&second[2400..]) < 1e-3, "the next block plays the new schedule");
}
