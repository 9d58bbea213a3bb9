//! Per-note expressions (CLAP note expressions, MPE): tuning moves one note's pitch, volume and pan place
//! one voice, the expression sources modulate, and a new note starts with every expression at rest.

use ferrule_engine::{Engine, Event, EventKind, Expression};
use ferrule_tests::measure::{cents, db, max_step, note_hz, peak, pitch_hz, step_percentile_999};
use ferrule_tests::patch::{SINE, schedule};

const RATE: f32 = 48_000.0;

fn on(note: u8) -> Event {
    Event { time: 0, kind: EventKind::NoteOn { note, velocity: 1.0 } }
}

fn expr(time: u32, note: u8, expression: Expression, value: f32) -> Event {
    Event { time, kind: EventKind::NoteExpression { note, expression, value } }
}

fn play(engine: &mut Engine, events: &[Event], frames: usize) -> (Vec<f32>, Vec<f32>) {
    let mut left = vec![0.0; frames];
    let mut right = vec![0.0; frames];
    engine.process(events, &mut left, &mut right);
    (left, right)
}

#[test]
fn tuning_bends_only_its_own_note() {
    let (mut engine, _control) = Engine::new(schedule(SINE, RATE));
    play(&mut engine, &[on(69), expr(0, 69, Expression::Tuning, 1.0)], 4800);
    let (left, _) = play(&mut engine, &[], 9600);
    let hz = pitch_hz(&left, RATE).expect("a pitch");
    let error = cents(hz, note_hz(70.0));
    assert!(error.abs() < 0.5, "A4 tuned up a semitone plays B♭4: {hz:.3} Hz ({error:+.3} cents)");

    let (mut engine, _control) = Engine::new(schedule(SINE, RATE));
    play(&mut engine, &[on(69), expr(0, 60, Expression::Tuning, 7.0)], 4800);
    let (left, _) = play(&mut engine, &[], 9600);
    let error = cents(pitch_hz(&left, RATE).expect("a pitch"), note_hz(69.0));
    assert!(error.abs() < 0.5, "an expression for another key leaves A4 alone: {error:+.3} cents");
}

#[test]
fn pan_and_volume_place_a_voice_with_equal_power_and_a_unity_centre() {
    let level = |events: &[Event]| {
        let (mut engine, _control) = Engine::new(schedule(SINE, RATE));
        play(&mut engine, events, 4800);
        let (l, r) = play(&mut engine, &[], 4800);
        (peak(&l), peak(&r))
    };
    let (l, r) = level(&[on(69)]);
    assert!((l - 0.5).abs() < 1e-3 && l == r, "centred and unchanged without expressions: {l} {r}");
    let (l, r) = level(&[on(69), expr(0, 69, Expression::Pan, 0.0)]);
    assert!(r < 1e-6, "hard left leaves the right channel silent: {r}");
    assert!((db(l / 0.5) - 3.01).abs() < 0.05, "equal power: hard left is +3 dB on the left: {:.2} dB", db(l / 0.5));
    let (l, r) = level(&[on(69), expr(0, 69, Expression::Pan, 0.75)]);
    let power = (l / 0.5).powi(2) + (r / 0.5).powi(2);
    assert!((power - 2.0).abs() < 0.01, "power is constant across the field: {power}");
    let (l, _) = level(&[on(69), expr(0, 69, Expression::Volume, 0.5)]);
    assert!((db(l / 0.5) + 6.02).abs() < 0.05, "volume 0.5 is −6 dB: {:.2} dB", db(l / 0.5));
}

#[test]
fn moving_pan_while_a_note_sounds_does_not_click() {
    let (mut engine, _control) = Engine::new(schedule(SINE, RATE));
    let (steady, _) = play(&mut engine, &[on(69)], 4800);
    let moves: Vec<Event> = (0..48).map(|i| expr(i * 100, 69, Expression::Pan, (i % 2) as f32)).collect();
    let (left, _) = play(&mut engine, &moves, 4800);
    let (own, around) = (step_percentile_999(&steady), max_step(&left));
    // Volume and pan glide with a 5 ms time constant, so even jumps every 100 frames add little slope.
    println!("pan jumps: largest step {around:.4}, the tone's own {own:.4}");
    assert!(around < own * 1.5, "pan jumping hard left and right: largest step {around} vs the tone's {own}");
}

#[test]
fn the_expression_sources_modulate_parameters() {
    let patch = SINE.replace(
        r#"output: Mono("amp.out"),"#,
        r#"modulations: [(from: "note_vibrato", to: "osc.fine", depth: 100.0), (from: "timbre", to: "amp.gain", depth: -0.25)],
    output: Mono("amp.out"),"#,
    );
    let (mut engine, _control) = Engine::new(schedule(&patch, RATE));
    let events = [on(69), expr(0, 69, Expression::Vibrato, 1.0), expr(0, 69, Expression::Brightness, 1.0)];
    play(&mut engine, &events, 4800);
    let (left, _) = play(&mut engine, &[], 9600);
    let error = cents(pitch_hz(&left, RATE).expect("a pitch"), note_hz(70.0));
    assert!(error.abs() < 0.5, "note_vibrato at 1 moves the pitch by its 100-cent depth: {error:+.3}");
    assert!((peak(&left) - 0.25).abs() < 1e-3, "timbre at 1 lowers the gain by 0.25: {}", peak(&left));
}

#[test]
fn a_new_note_starts_with_every_expression_at_rest() {
    let (mut engine, _control) = Engine::new(schedule(SINE, RATE));
    play(&mut engine, &[on(69), expr(0, 69, Expression::Tuning, 12.0), expr(0, 69, Expression::Volume, 0.0)], 480);
    play(&mut engine, &[Event { time: 0, kind: EventKind::NoteOff { note: 69 } }], 4800);
    play(&mut engine, &[on(69)], 4800);
    let (left, _) = play(&mut engine, &[], 9600);
    assert!((peak(&left) - 0.5).abs() < 1e-3, "full level again: {}", peak(&left));
    let error = cents(pitch_hz(&left, RATE).expect("a pitch"), note_hz(69.0));
    assert!(error.abs() < 0.5, "untuned again: {error:+.3} cents");
}

#[test]
fn out_of_range_and_non_finite_values_are_clamped_or_ignored() {
    let (mut engine, _control) = Engine::new(schedule(SINE, RATE));
    let events = [
        on(69),
        expr(0, 69, Expression::Volume, f32::INFINITY),
        expr(0, 69, Expression::Tuning, f32::NAN),
        expr(0, 69, Expression::Pan, -3.0),
    ];
    let (l, r) = play(&mut engine, &events, 4800);
    assert!(l.iter().chain(&r).all(|x| x.is_finite()));
    let hard_left = 0.5 * std::f32::consts::SQRT_2;
    assert!(
        (peak(&l[2400..]) - hard_left).abs() < 1e-3 && peak(&r[2400..]) < 1e-6,
        "infinite volume is treated as rest, pan −3 clamps to hard left: {} {}",
        peak(&l[2400..]),
        peak(&r[2400..])
    );
}
