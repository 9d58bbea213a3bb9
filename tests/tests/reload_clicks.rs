//! Every kind of reload is click-free and level-flat: a parameter edit glides, a structural edit that keeps
//! the sound stays within ±0.5 dB, an edit to another sound moves from the old level to the new one without
//! swelling or dipping, and effects-chain edits (added, removed, reordered, replaced, a tail that cannot be
//! carried) fade rather than switch at one sample. Figures as MEASURING.md defines them ("Clicks", "Level
//! across an event"); run with `--nocapture` to see them.

use ferrule_engine::render::{RenderSettings, TimedEvent, render_with_swaps};
use ferrule_engine::{Engine, Event, EventKind};
use ferrule_tests::measure::{db, max_step, rms, step_percentile_999};
use ferrule_tests::patch::{on, schedule};

const RATE: f32 = 48_000.0;
/// When the reload happens: half a second in, on a control-period boundary.
const SWAP: usize = 24_000;
/// The click measure takes the worst of swaps at these frames after [`SWAP`] (a quarter period of the
/// 392 Hz test note apart), so a swap that happens to fall on a zero crossing cannot hide a hard switch.
const SWAP_OFFSETS: [usize; 4] = [0, 31, 61, 92];
/// 20 ms, the window either side of the swap the click measure looks at.
const AROUND: usize = 960;
/// 5 ms, the level frames.
const FRAME: usize = 240;
/// How far after the swap the level is followed: 50 ms.
const FOLLOW: usize = 2_400;
const SECONDS: f64 = 1.0;

/// A voice: oscillator `osc` of kind `osc_kind` into a VCA at 0.25 with a sustaining envelope; `extra` adds
/// node entries, `wires` replaces the oscillator-to-VCA wire; `effects` is the effects map's body.
fn patch(osc_kind: &str, extra: &str, wires: &str, polyphony: u32, effects: &str) -> String {
    let wires = if wires.is_empty() { r#"("osc.out", "amp.in")"# } else { wires };
    format!(
        r#"(
    version: 1,
    voice: (polyphony: {polyphony}, amp_envelope: "env"),
    nodes: {{
        "osc": (kind: "{osc_kind}"),
        "env": (kind: "adsr", params: {{ "attack": 0.002, "sustain": 1.0, "release": 0.05 }}),
        "amp": (kind: "vca", params: {{ "gain": 0.25 }}),
        {extra}
    }},
    connections: [{wires}, ("env", "amp.cv")],
    output: Mono("amp.out"),
    effects: {{ {effects} }},
)"#
    )
}

/// A sine voice through `effects`.
fn sine_through(effects: &str) -> String {
    patch("sine", "", "", 8, effects)
}

const DELAY: &str = r#""echo": (kind: "delay", params: { "time": 0.12, "feedback": 0.4, "mix": 0.5 }),"#;
const CHORUS: &str = r#""ensemble": (kind: "chorus", params: { "mix": 0.5 }),"#;
const REVERB: &str = r#""room": (kind: "reverb", params: { "size": 0.5, "decay": 1.5, "mix": 0.4 }),"#;

/// Stereo frames as one list per channel.
struct Stereo {
    left: Vec<f32>,
    right: Vec<f32>,
}

/// Renders `text` with `events` for [`SECONDS`] in blocks of 64, swapping to `swap_to` at frame `at`.
fn run(text: &str, swap_to: Option<(&str, usize)>, events: &[TimedEvent]) -> Stereo {
    let settings = RenderSettings { block: 64, seconds: SECONDS };
    let swaps = swap_to.map(|(t, at)| vec![(at as f64 / RATE as f64, schedule(t, RATE))]).unwrap_or_default();
    let r = render_with_swaps(schedule(text, RATE), swaps, events, &settings);
    Stereo { left: r.left, right: r.right }
}

/// What a reload did to the sound.
struct Reload {
    /// The largest step within ±20 ms of the swap over the larger 99.9th-percentile step of the old and the
    /// new patch each rendered without a swap (click-free: within 3).
    step_ratio: f32,
    /// Each 5 ms frame's RMS over the 50 ms after the swap, in dB against the same frame of the old patch
    /// rendered without the swap.
    against_old: Vec<f32>,
    /// The same frames' RMS, in dBFS.
    level: Vec<f32>,
    /// The old patch's level over those 50 ms without the swap, in dBFS.
    old: f32,
    /// The new patch's level over those 50 ms when it plays alone from the start, in dBFS.
    new_alone: f32,
    /// The swapped render's level once the reload has settled, 25 to 50 ms after the swap, in dBFS (an
    /// effect that starts fresh at the swap has no echoes yet, unlike the new patch played alone).
    settled: f32,
}

/// Renders `before` with `events`, swapping to `after` at [`SWAP`], and both alone, and measures.
fn reload(name: &str, before: &str, after: &str, events: &[TimedEvent]) -> Reload {
    let swapped = run(before, Some((after, SWAP)), events);
    let old = run(before, None, events);
    let new = run(after, None, events);
    let steady = 4_800..;
    let baseline = [&old.left, &old.right, &new.left, &new.right]
        .iter()
        .map(|x| step_percentile_999(&x[steady.clone()]))
        .fold(0.0f32, f32::max);
    let step = SWAP_OFFSETS
        .iter()
        .map(|&offset| {
            let at = SWAP + offset;
            let x = run(before, Some((after, at)), events);
            let around = at - AROUND..at + AROUND;
            max_step(&x.left[around.clone()]).max(max_step(&x.right[around]))
        })
        .fold(0.0f32, f32::max);
    let level_of = |x: &Stereo, at: std::ops::Range<usize>| {
        let (l, r) = (rms(&x.left[at.clone()]), rms(&x.right[at]));
        ((l * l + r * r) / 2.0).sqrt()
    };
    let frames: Vec<usize> = (SWAP..SWAP + FOLLOW).step_by(FRAME).collect();
    let level: Vec<f32> = frames.iter().map(|&at| level_of(&swapped, at..at + FRAME)).collect();
    let r = Reload {
        step_ratio: step / baseline,
        against_old: frames.iter().zip(&level).map(|(&at, l)| db(l / level_of(&old, at..at + FRAME))).collect(),
        level: level.iter().map(|&l| db(l)).collect(),
        old: db(level_of(&old, SWAP..SWAP + FOLLOW)),
        new_alone: db(level_of(&new, SWAP..SWAP + FOLLOW)),
        settled: db(level_of(&swapped, SWAP + FOLLOW / 2..SWAP + FOLLOW)),
    };
    let range = |x: &[f32]| x.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let (lo, hi) = range(&r.level);
    let (old_lo, old_hi) = range(&r.against_old);
    println!(
        "{name}: largest step {:.2}x the steady 99.9th percentile; 5 ms frames {lo:.2} .. {hi:.2} dBFS \
         (old alone {:.2}, new alone {:.2}, settled {:.2}); against no swap {old_lo:+.2} .. {old_hi:+.2} dB",
        r.step_ratio, r.old, r.new_alone, r.settled
    );
    r
}

/// A sustained note held from the start.
fn held(notes: &[u8]) -> Vec<TimedEvent> {
    notes.iter().map(|&n| on(0.0, n, 1.0)).collect()
}

fn assert_click_free(name: &str, r: &Reload) {
    assert!(r.step_ratio <= 3.0, "{name}: the largest step at the swap is {:.2}× the steady one", r.step_ratio);
}

/// Each 5 ms frame after the swap lies between the old level and `new` (dBFS), give or take `slack` dB:
/// the fade neither swells above the louder nor dips below the quieter.
fn assert_between(name: &str, r: &Reload, new: f32, slack: f32) {
    let (lo, hi) = (r.old.min(new), r.old.max(new));
    for (i, l) in r.level.iter().enumerate() {
        assert!(*l <= hi + slack, "{name}: frame {i} at {l:.2} dBFS swells above both old and new ({hi:.2})");
        assert!(*l >= lo - slack, "{name}: frame {i} at {l:.2} dBFS dips below both old and new ({lo:.2})");
    }
}

#[test]
fn a_parameter_only_edit_glides_without_a_crossfade() {
    let before = sine_through(DELAY);
    let after = before.replace(r#""gain": 0.25"#, r#""gain": 0.2"#).replace(r#""mix": 0.5"#, r#""mix": 0.4"#);
    let r = reload("parameter only", &before, &after, &held(&[67]));
    assert_click_free("parameter only", &r);
    // No crossfade: the old schedule comes back in the very block that took the new one.
    let (mut engine, mut control) = Engine::new(schedule(&before, RATE));
    let (mut l, mut rr) = (vec![0.0; 256], vec![0.0; 256]);
    engine.process(&[Event { time: 0, kind: EventKind::NoteOn { note: 67, velocity: 1.0 } }], &mut l, &mut rr);
    control.submit(schedule(&after, RATE)).map_err(|_| "queue full").unwrap();
    engine.process(&[], &mut l, &mut rr);
    assert_eq!(control.collect_retired(), 1, "a parameter edit retires the old schedule at once");
}

#[test]
fn a_silent_node_added_keeps_the_level_within_half_a_db() {
    // The same sound through a different graph (a saw mixed in at gain 0): the voices crossfade, old and
    // new are one signal, and an equal-power law would swell by 3 dB mid-fade.
    let before = patch("sine", "", "", 8, "");
    let after = patch(
        "sine",
        r#""silent": (kind: "saw"), "mix": (kind: "mixer", params: { "gain2": 0.0 }),"#,
        r#"("osc.out", "mix.in1"), ("silent.out", "mix.in2"), ("mix.out", "amp.in")"#,
        8,
        "",
    );
    let r = reload("silent node added", &before, &after, &held(&[57, 64]));
    assert_click_free("silent node added", &r);
    for (i, d) in r.against_old.iter().enumerate() {
        assert!(d.abs() <= 0.5, "frame {i} after the swap is {d:+.2} dB from the render without it");
    }
}

#[test]
fn another_oscillator_moves_from_the_old_level_to_the_new_without_swell_or_dip() {
    // Sine to saw on the same note: related (the saw's fundamental is the sine's pitch) but not the same
    // signal, and the saw starts at its own phase. And sine to noise: unrelated.
    for (name, kind) in [("sine to saw", "saw"), ("sine to noise", "noise")] {
        let before = patch("sine", "", "", 8, "");
        let after = patch(kind, "", "", 8, "");
        let r = reload(name, &before, &after, &held(&[67]));
        assert_click_free(name, &r);
        assert_between(name, &r, r.new_alone, 1.0);
        // Monotonic through the 15 ms fade and the frame after it: the distance to the new sound's level never
        // grows (0.5 dB of slack for the noise's own frame-to-frame spread, which goes on once it arrived).
        for w in r.level[..4].windows(2) {
            let (a, b) = ((w[0] - r.new_alone).abs(), (w[1] - r.new_alone).abs());
            assert!(b <= a + 0.5, "{name}: the level moves away from the new sound's {:.2} dBFS: {w:?}", r.new_alone);
        }
    }
}

#[test]
fn an_effect_added_fades_in() {
    let r = reload("effect added", &sine_through(""), &sine_through(DELAY), &held(&[67]));
    assert_click_free("effect added", &r);
    assert_between("effect added", &r, r.settled, 1.0);
}

#[test]
fn an_effect_removed_fades_out() {
    let r = reload("effect removed", &sine_through(&format!("{CHORUS}{DELAY}")), &sine_through(CHORUS), &held(&[67]));
    assert_click_free("effect removed", &r);
    assert_between("effect removed", &r, r.settled, 1.0);
}

#[test]
fn effects_reordered_crossfade() {
    // Delay and reverb each carry their state, but each now hears another input: the reverb's dry path
    // switches from the delay's output (the note half a period late, so nearly inverted) to the note itself.
    let echo = r#""echo": (kind: "delay", params: { "time": 0.0013, "feedback": 0.0, "mix": 1.0 }),"#;
    let before = sine_through(&format!("{echo}{REVERB}"));
    let after = sine_through(&format!("{REVERB}{echo}"));
    let r = reload("effects reordered", &before, &after, &held(&[67]));
    assert_click_free("effects reordered", &r);
    assert_between("effects reordered", &r, r.settled, 1.0);
}

#[test]
fn an_effect_replaced_by_another_kind_crossfades() {
    let before = sine_through(DELAY);
    let after = sine_through(&DELAY.replace(
        r#"(kind: "delay", params: { "time": 0.12, "feedback": 0.4, "mix": 0.5 })"#,
        r#"(kind: "chorus", params: { "mix": 0.5 })"#,
    ));
    assert!(after.contains(r#""echo": (kind: "chorus""#));
    let r = reload("effect replaced", &before, &after, &held(&[67]));
    assert_click_free("effect replaced", &r);
    assert_between("effect replaced", &r, r.settled, 1.0);
}

#[test]
fn a_delay_whose_line_cannot_carry_its_tail_fades() {
    // A long echo shortened to a slap: once delay lines are sized by their time, the new, shorter line
    // cannot hold the old one's contents and starts fresh. Either way the switch must not click.
    let long = r#""echo": (kind: "delay", params: { "time": 0.35, "feedback": 0.6, "mix": 0.5 }),"#;
    let short = r#""echo": (kind: "delay", params: { "time": 0.02, "feedback": 0.6, "mix": 0.5 }),"#;
    let r = reload("delay line shortened", &sine_through(long), &sine_through(short), &held(&[67]));
    assert_click_free("delay line shortened", &r);
}

#[test]
fn after_a_swap_to_fewer_voices_new_notes_obey_the_new_polyphony() {
    // Three notes held at polyphony 8, then the patch is saved with polyphony 2: a new note leaves two
    // voices sounding, as the same patch loaded fresh would.
    let (mut engine, mut control) = Engine::new(schedule(&patch("sine", "", "", 8, ""), RATE));
    let (mut l, mut r) = (vec![0.0; 4_800], vec![0.0; 4_800]);
    let ons = |notes: &[u8]| -> Vec<Event> {
        notes.iter().map(|&note| Event { time: 0, kind: EventKind::NoteOn { note, velocity: 1.0 } }).collect()
    };
    engine.process(&ons(&[60, 64, 67]), &mut l, &mut r);
    assert_eq!(engine.active_voices(), 3);
    control.submit(schedule(&patch("sine", "", "", 2, ""), RATE)).map_err(|_| "queue full").unwrap();
    engine.process(&[], &mut l, &mut r);
    engine.process(&ons(&[72]), &mut l, &mut r);
    assert_eq!(engine.active_voices(), 2, "one new note after the swap: two voices, not three");
    engine.process(&ons(&[74, 76]), &mut l, &mut r);
    assert_eq!(engine.active_voices(), 2, "more new notes never make more than two");

    let (mut fresh, _control) = Engine::new(schedule(&patch("sine", "", "", 2, ""), RATE));
    fresh.process(&ons(&[60, 64, 67]), &mut l, &mut r);
    fresh.process(&ons(&[72]), &mut l, &mut r);
    assert_eq!(fresh.active_voices(), 2, "the same patch loaded fresh");
}

#[test]
fn notes_held_across_a_swap_to_mono_release_when_their_keys_go_up() {
    let (mut engine, mut control) = Engine::new(schedule(&patch("sine", "", "", 8, ""), RATE));
    let (mut l, mut r) = (vec![0.0; 4_800], vec![0.0; 4_800]);
    let ev = |kind| Event { time: 0, kind };
    engine.process(
        &[ev(EventKind::NoteOn { note: 60, velocity: 1.0 }), ev(EventKind::NoteOn { note: 64, velocity: 1.0 })],
        &mut l,
        &mut r,
    );
    let mono = patch("sine", "", "", 8, "").replace("polyphony: 8,", "polyphony: 8, mode: Mono,");
    control.submit(schedule(&mono, RATE)).map_err(|_| "queue full").unwrap();
    engine.process(&[], &mut l, &mut r);
    engine.process(&[ev(EventKind::NoteOff { note: 60 }), ev(EventKind::NoteOff { note: 64 })], &mut l, &mut r);
    engine.process(&[], &mut l, &mut r);
    assert_eq!(engine.active_voices(), 0, "both released and rang out (50 ms release)");
    assert!(rms(&l[4_000..]) < 1e-4, "silence after the release");
}
