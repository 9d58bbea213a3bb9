//! State migration on reload: after a parameter-only edit every node keeps its state, so the sound goes on
//! exactly where it was (oscillator and LFO phase, envelope stage and level, filter memory) and only the
//! edited parameter glides to its new value.

use ferrule_engine::{Engine, Event, EventKind};
use ferrule_tests::measure::{max_step, step_percentile_999};
use ferrule_tests::patch::schedule;

const RATE: f32 = 48_000.0;
const BLOCK: usize = 256;
/// The swap lands at the start of this block (0.5 s in, during the envelope's decay).
const SWAP_BLOCK: usize = 94;
const BLOCKS: usize = 200;

/// A saw with LFO vibrato through a filter swept by its envelope, shaped by an amp envelope still
/// decaying when the swap comes: every kind of node state is in play. `osc_id` names the oscillator,
/// `gain` is the VCA's gain.
fn voice(osc_id: &str, gain: f32) -> String {
    format!(
        r#"(
    version: 1,
    voice: (polyphony: 4, amp_envelope: "amp_env"),
    nodes: {{
        "{osc_id}": (kind: "saw", params: {{ "level": 0.5 }}),
        "filter": (kind: "svf", params: {{ "cutoff": 2000.0, "q": 2.0 }}),
        "filter_env": (kind: "adsr", params: {{ "attack": 0.01, "decay": 1.5, "sustain": 0.2, "release": 0.5 }}),
        "amp": (kind: "vca", params: {{ "gain": {gain:?} }}),
        "amp_env": (kind: "adsr", params: {{ "attack": 0.01, "decay": 1.0, "sustain": 0.5, "release": 0.5 }}),
        "vibrato": (kind: "lfo", params: {{ "rate": 3.0 }}),
    }},
    connections: [("{osc_id}", "filter.in"), ("filter.lp", "amp.in"), ("amp_env", "amp.cv")],
    modulations: [
        (from: "vibrato", to: "{osc_id}.fine", depth: 30.0),
        (from: "filter_env", to: "filter.cutoff", depth: 2.0),
    ],
    output: Mono("amp.out"),
)"#
    )
}

/// Plays A3 and C#4 for `BLOCKS` blocks of `first`, swapping to `second` (if any) at `SWAP_BLOCK`.
fn play(first: &str, second: Option<&str>) -> Vec<f32> {
    let (mut engine, mut control) = Engine::new(schedule(first, RATE));
    let notes = [
        Event { time: 0, kind: EventKind::NoteOn { note: 57, velocity: 0.9 } },
        Event { time: 0, kind: EventKind::NoteOn { note: 61, velocity: 0.7 } },
    ];
    let mut out = Vec::with_capacity(BLOCKS * BLOCK);
    let (mut left, mut right) = ([0.0f32; BLOCK], [0.0f32; BLOCK]);
    for b in 0..BLOCKS {
        if b == SWAP_BLOCK
            && let Some(second) = second
        {
            control.submit(schedule(second, RATE)).map_err(|_| "queue full").unwrap();
        }
        engine.process(if b == 0 { &notes } else { &[] }, &mut left, &mut right);
        out.extend_from_slice(&left);
    }
    assert_eq!(engine.active_voices(), 2, "both notes still held");
    out
}

/// Frames after the swap once the gain smoother (5 ms) has arrived.
fn settled() -> std::ops::Range<usize> {
    SWAP_BLOCK * BLOCK + 480..BLOCKS * BLOCK
}

/// Largest deviation of `out / reference` from `ratio` where the reference is clearly audible.
fn worst_ratio_error(out: &[f32], reference: &[f32], ratio: f32) -> f32 {
    settled().filter(|&i| reference[i].abs() > 0.01).map(|i| (out[i] / reference[i] - ratio).abs()).fold(0.0, f32::max)
}

#[test]
fn a_parameter_edit_carries_every_node_state_on_and_glides_the_parameter() {
    let reference = play(&voice("osc", 0.5), None);
    let edited = play(&voice("osc", 0.5), Some(&voice("osc", 0.25)));
    // Identical before the swap.
    let at = SWAP_BLOCK * BLOCK;
    assert_eq!(edited[..at], reference[..at]);
    // After it, exactly half the reference, sample for sample: oscillator and LFO phase, both envelopes'
    // stage and level and the filter's memory all went on as if nothing happened.
    let error = worst_ratio_error(&edited, &reference, 0.5);
    assert!(error < 1e-3, "output deviates from half the unswapped render by up to {error}");
    // And continuous through the swap: no step beyond what the sound makes by itself.
    let around = max_step(&edited[at - 64..at + 512]);
    let baseline = step_percentile_999(&reference[BLOCK * 20..]);
    assert!(around <= baseline * 1.05, "step at the swap {around} vs the sound's own {baseline}");
}

#[test]
fn the_phase_check_does_see_an_oscillator_that_starts_afresh() {
    // The same edit, but the oscillator also gets a new id: a new node, so its phase restarts. The check
    // above must tell the difference, or it proves nothing.
    let reference = play(&voice("osc", 0.5), None);
    let renamed = play(&voice("osc", 0.5), Some(&voice("osc_b", 0.25)));
    let error = worst_ratio_error(&renamed, &reference, 0.5);
    assert!(error > 0.1, "a restarted oscillator should not line up with the reference (error {error})");
}
