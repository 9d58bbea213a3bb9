//! Swaps that change the patch's shape (a node added, removed, rewired or of another kind, a new
//! polyphony) while notes sound: the old and new voices crossfade over 15 ms at a level that neither swells
//! nor dips, held notes keep sounding, and the old schedule is retired once the fade is over.

use ferrule_engine::{Engine, EngineControl, Event, EventKind};
use ferrule_tests::measure::{db, max_step, peak, rms};
use ferrule_tests::patch::schedule;

const RATE: f32 = 48_000.0;
/// The crossfade length the engine promises (15 ms at 48 kHz).
const FADE: usize = 720;

/// A voice of oscillator kind `osc` with a sustaining envelope; `chain` nodes (id, kind) are spliced in
/// between oscillator and VCA through their first input and output, with their parameters as RON map entries.
fn voice(osc: &str, chain: &[(&str, &str, &str)], polyphony: u32) -> String {
    let mut nodes = format!(
        r#""osc": (kind: "{osc}"), "env": (kind: "adsr", params: {{ "attack": 0.001, "sustain": 1.0, "release": 0.05 }}), "amp": (kind: "vca", params: {{ "gain": 0.25 }}),"#
    );
    let mut connections = String::new();
    let mut from = "osc.out".to_string();
    for (id, kind, params) in chain {
        nodes.push_str(&format!(r#""{id}": (kind: "{kind}", params: {{ {params} }}),"#));
        connections.push_str(&format!(r#"("{from}", "{id}"),"#));
        from = id.to_string();
    }
    connections.push_str(&format!(r#"("{from}", "amp.in"), ("env", "amp.cv"),"#));
    format!(
        r#"(version: 1, voice: (polyphony: {polyphony}, amp_envelope: "env"), nodes: {{ {nodes} }},
            connections: [{connections}], output: Mono("amp.out"))"#
    )
}

fn play(engine: &mut Engine, events: &[Event], frames: usize) -> Vec<f32> {
    let mut left = vec![0.0; frames];
    let mut right = vec![0.0; frames];
    engine.process(events, &mut left, &mut right);
    left
}

fn notes(keys: &[u8]) -> Vec<Event> {
    keys.iter().map(|&note| Event { time: 0, kind: EventKind::NoteOn { note, velocity: 1.0 } }).collect()
}

/// Plays `keys` on `before` for 0.1 s, submits `after`, and plays 0.1 s more in blocks of 64.
fn swap_while_holding(before: &str, after: &str, keys: &[u8]) -> (Vec<f32>, Engine, EngineControl) {
    let (mut engine, mut control) = Engine::new(schedule(before, RATE));
    let mut out = play(&mut engine, &notes(keys), 4800);
    control.submit(schedule(after, RATE)).map_err(|_| "queue full").unwrap();
    for _ in 0..75 {
        out.extend(play(&mut engine, &[], 64));
    }
    (out, engine, control)
}

/// Peak level in consecutive windows of `window` frames.
fn envelope(x: &[f32], window: usize) -> Vec<f32> {
    x.chunks(window).map(peak).collect()
}

#[test]
fn a_rewired_voice_crossfades_at_a_flat_level_and_keeps_its_note() {
    // The same sound through a different graph: old and new are the same signal (fully correlated), so the
    // crossfade law is equal-gain and the level stays flat (an equal-power law rose by 3 dB mid-fade).
    let before = voice("sine", &[], 16);
    let after = voice("sine", &[("thru", "mixer", "")], 16);
    let (out, engine, mut control) = swap_while_holding(&before, &after, &[69]);
    let steady = peak(&out[2400..4800]);
    assert!((steady - 0.25).abs() < 0.01, "the note plays at the VCA's gain: {steady}");
    let during = envelope(&out[4800..4800 + FADE], 120);
    let (lo, hi) = during.iter().fold((f32::MAX, 0.0f32), |(lo, hi), &p| (lo.min(p), hi.max(p)));
    println!("crossfade level: {:+.2} dB .. {:+.2} dB", db(lo / steady), db(hi / steady));
    assert!(db(lo / steady) > -0.5, "no dip during the crossfade: {:.2} dB", db(lo / steady));
    assert!(db(hi / steady) < 0.5, "no swell during the crossfade: {:.2} dB", db(hi / steady));
    let after_fade = peak(&out[4800 + 2 * FADE..]);
    assert!(db(after_fade / steady).abs() < 0.1, "the note carries on at its level: {after_fade}");
    assert_eq!(engine.active_voices(), 1, "the held note is still one voice");
    assert_eq!(control.collect_retired(), 1, "the old schedule came back after the fade");
}

#[test]
fn changing_a_nodes_kind_under_a_chord_adds_no_click() {
    // A sine chord through a 300 Hz low-pass, the filter's kind changed to a (unity) mixer: the level and
    // phase change at once, which a hard switch would make a click. The fade spreads it over 15 ms, so the
    // largest sample-to-sample step near the swap stays within the chord's own largest steps.
    let keys = [57, 60, 64, 67];
    let before = voice("sine", &[("shape", "svf", r#""cutoff": 300.0"#)], 16);
    let after = voice("sine", &[("shape", "mixer", "")], 16);
    let (out, engine, _control) = swap_while_holding(&before, &after, &keys);
    let own = max_step(&out[2400..4800]).max(max_step(&out[4800 + 2 * FADE..]));
    let around = max_step(&out[4790..4800 + FADE + 10]);
    println!("kind change: largest step at the swap {around:.4}, the sounds' own {own:.4}");
    assert!(around <= own * 1.05, "step at the swap {around} vs the sounds' own {own}");
    assert_eq!(engine.active_voices(), keys.len(), "every held note still sounds");
}

#[test]
fn removing_a_node_keeps_every_held_note_without_a_click() {
    // Halving VCA removed: the chord's level doubles, over 15 ms rather than in one sample.
    let keys = [48, 55, 60, 64, 67, 72];
    let before = voice("sine", &[("half", "vca", r#""gain": 0.5"#)], 16);
    let after = voice("sine", &[], 16);
    let (out, engine, _) = swap_while_holding(&before, &after, &keys);
    assert_eq!(engine.active_voices(), keys.len());
    let own = max_step(&out[2400..4800]).max(max_step(&out[4800 + 2 * FADE..]));
    let around = max_step(&out[4790..4800 + FADE + 10]);
    println!("node removed: largest step at the swap {around:.4}, the sounds' own {own:.4}");
    // Old (half level) and new (full level) are the same signal, so the law is equal-gain: the level moves
    // straight from one to the other and the steps with it (an equal-power law peaked at √(0.5² + 1²) ≈ 1.118
    // of the new level mid-fade). A hard switch measured 6.5×.
    assert!(around <= own * 1.15, "step at the swap {around} vs the sounds' own {own}");
    assert!(peak(&out[out.len() - 2400..]) > 0.2, "the chord is still heard after the swap");
}

#[test]
fn a_smaller_polyphony_keeps_the_notes_that_fit_and_fades_the_rest() {
    // 20 held notes at polyphony 32 occupy slots 0..20; polyphony 2 leaves 16 slots (2 plus a lane group
    // of spares). The four beyond fade out with the old schedule rather than being cut.
    let keys: Vec<u8> = (40..60).collect();
    let before = voice("sine", &[], 32);
    let after = voice("sine", &[("thru", "mixer", "")], 2);
    let (out, engine, _) = swap_while_holding(&before, &after, &keys);
    assert_eq!(engine.active_voices(), 16, "the notes that fit keep sounding");
    let own = max_step(&out[2400..4800]);
    let around = max_step(&out[4790..4800 + FADE + 10]);
    assert!(around <= own * 1.05, "no click as four notes leave: {around} vs {own}");
}

#[test]
fn with_nothing_sounding_a_new_shape_takes_over_at_once() {
    let (mut engine, mut control) = Engine::new(schedule(&voice("sine", &[], 16), RATE));
    play(&mut engine, &[], 64);
    control.submit(schedule(&voice("saw", &[], 16), RATE)).map_err(|_| "queue full").unwrap();
    play(&mut engine, &[], 64);
    assert_eq!(control.collect_retired(), 1, "no crossfade needed: the old schedule is retired at once");
}

#[test]
fn a_swap_submitted_during_a_crossfade_waits_for_it() {
    let (mut engine, mut control) = Engine::new(schedule(&voice("sine", &[], 16), RATE));
    play(&mut engine, &notes(&[69]), 4800);
    control.submit(schedule(&voice("saw", &[], 16), RATE)).map_err(|_| "queue full").unwrap();
    play(&mut engine, &[], 64);
    control.submit(schedule(&voice("pulse", &[], 16), RATE)).map_err(|_| "queue full").unwrap();
    play(&mut engine, &[], 64);
    assert_eq!(control.collect_retired(), 0, "the first crossfade is still running");
    let mut out = Vec::new();
    for _ in 0..40 {
        out.extend(play(&mut engine, &[], 64));
    }
    assert_eq!(control.collect_retired(), 2, "both earlier schedules came back");
    assert_eq!(engine.active_voices(), 1);
    assert!(peak(&out[out.len() - 960..]) > 0.2, "the note plays through the newest patch");
}

#[test]
fn notes_held_in_slots_a_smaller_polyphony_lacks_move_down_and_keep_sounding() {
    // Twenty notes at polyphony 32 fill slots 0..20; the first sixteen are released and end, so the four
    // still held sit in slots 16..20. Polyphony 2 leaves 16 slots: the four move into free ones.
    let keys: Vec<u8> = (20..36).chain([48, 55, 64, 71]).collect();
    let (mut engine, mut control) = Engine::new(schedule(&voice("sine", &[], 32), RATE));
    play(&mut engine, &notes(&keys), 4800);
    let offs: Vec<Event> =
        keys[..16].iter().map(|&note| Event { time: 0, kind: EventKind::NoteOff { note } }).collect();
    play(&mut engine, &offs, 9600);
    assert_eq!(engine.active_voices(), 4, "the released notes have ended");
    let before = play(&mut engine, &[], 9600);
    control.submit(schedule(&voice("sine", &[("thru", "mixer", "")], 2), RATE)).map_err(|_| "queue full").unwrap();
    let mut after = Vec::new();
    for _ in 0..225 {
        after.extend(play(&mut engine, &[], 64));
    }
    assert_eq!(engine.active_voices(), 4, "all four held notes still sound");
    // They restart in their new slots (phases differ), so compare power, not peaks.
    let (was, is) = (rms(&before), rms(&after[after.len() - 9600..]));
    assert!(db(is / was).abs() < 0.5, "at the same level: {:.2} dB", db(is / was));
    let offs: Vec<Event> =
        keys[16..].iter().map(|&note| Event { time: 0, kind: EventKind::NoteOff { note } }).collect();
    play(&mut engine, &offs, 9600);
    assert_eq!(engine.active_voices(), 0, "and they release normally");
}
