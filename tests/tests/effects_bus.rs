//! The global effects bus: effects declared under `effects` run once, in order, on the sum of every voice;
//! they sync to the host tempo, ring on after the notes end, keep their state across reloads, and the
//! patch language explains where they belong.

use ferrule_engine::{CompileSettings, Engine, Event, EventKind, PatchSource, compile};
use ferrule_tests::measure::{db, peak, rms};
use ferrule_tests::patch::schedule;

const RATE: f32 = 48_000.0;

/// A short sine blip per note (a fast envelope), through the given effects.
fn blip(effects: &str) -> String {
    format!(
        r#"(
    version: 1,
    voice: (polyphony: 8, amp_envelope: "env"),
    nodes: {{
        "osc": (kind: "sine"),
        "env": (kind: "adsr", params: {{ "attack": 0.0005, "decay": 0.01, "sustain": 0.0, "release": 0.005 }}),
        "amp": (kind: "vca", params: {{ "gain": 0.5 }}),
    }},
    connections: [("osc", "amp.in"), ("env", "amp.cv")],
    output: Mono("amp.out"),
    effects: {{ {effects} }},
)"#
    )
}

fn render(engine: &mut Engine, events: &[Event], frames: usize) -> (Vec<f32>, Vec<f32>) {
    let (mut left, mut right) = (Vec::new(), Vec::new());
    let (mut l, mut r) = (vec![0.0; 256], vec![0.0; 256]);
    let mut first = true;
    while left.len() < frames {
        engine.process(if first { events } else { &[] }, &mut l, &mut r);
        first = false;
        left.extend_from_slice(&l);
        right.extend_from_slice(&r);
    }
    (left, right)
}

fn note() -> [Event; 2] {
    [
        Event { time: 0, kind: EventKind::NoteOn { note: 81, velocity: 1.0 } },
        Event { time: 100, kind: EventKind::NoteOff { note: 81 } },
    ]
}

/// Level of `x` in windows of 10 ms, in dBFS.
fn window_db(x: &[f32], start: usize) -> f32 {
    db(peak(&x[start..start + 480]))
}

#[test]
fn a_delay_on_the_bus_echoes_the_voices_after_its_time_at_its_feedback() {
    let text = blip(r#""echo": (kind: "delay", params: { "time": 0.25, "feedback": 0.5, "mix": 0.5 }),"#);
    let (mut engine, _control) = Engine::new(schedule(&text, RATE));
    let (left, right) = render(&mut engine, &note(), 48_000);
    let dry = window_db(&left, 0);
    let first = window_db(&left, 12_000);
    let second = window_db(&left, 24_000);
    println!("dry {dry:.1} dBFS, echoes {first:.1} / {second:.1} dBFS");
    assert!(window_db(&left, 6_000) < -100.0, "silence between the blip and its echo");
    assert!((first - second - 6.02).abs() < 0.3, "each repeat is 6 dB down at feedback 0.5: {first} → {second}");
    assert!((dry - first).abs() < 1.0, "at mix 0.5 the first echo is as loud as the dry blip: {dry} vs {first}");
    assert_eq!(left, right, "a stereo delay of a mono voice stays centred");
    assert!(engine.is_sounding(), "echoes still ring after the voice ended");
}

#[test]
fn a_synced_delay_follows_the_host_tempo() {
    let text = blip(r#""echo": (kind: "delay", params: { "sync": "1/8", "feedback": 0.0, "mix": 1.0 }),"#);
    let (mut engine, _control) = Engine::new(schedule(&text, RATE));
    engine.set_transport(Some(150.0), None);
    let (left, _) = render(&mut engine, &note(), 24_000);
    // An eighth note at 150 BPM is 0.2 s: 9,600 frames.
    let onset = left.iter().position(|x| x.abs() > 1e-4).expect("an echo");
    assert!((9_599..=9_601).contains(&onset), "echo at frame {onset}, want 9600");
}

#[test]
fn effects_run_in_chain_order_and_a_reverb_tail_outlives_the_notes() {
    let text = blip(
        r#""echo": (kind: "delay", params: { "time": 0.1, "mix": 0.3 }), "room": (kind: "reverb", params: { "decay": 1.0, "mix": 0.3 }),"#,
    );
    let (mut engine, _control) = Engine::new(schedule(&text, RATE));
    let (left, right) = render(&mut engine, &note(), 48_000);
    assert!(window_db(&left, 30_000) > -80.0, "the tail rings at 0.6 s");
    assert_ne!(left, right, "the reverb widens the mono voice");
    let (tail, _) = render(&mut engine, &[], 48_000 * 4);
    assert!(peak(&tail[tail.len() - 4800..]) < 1e-5, "and dies away");
    assert!(!engine.is_sounding(), "after which the host may let the plugin sleep");
}

#[test]
fn a_reload_keeps_the_reverb_tail_and_glides_its_parameters() {
    let room = |mix: f32| blip(&format!(r#""room": (kind: "reverb", params: {{ "decay": 2.0, "mix": {mix:?} }}),"#));
    let (mut engine, mut control) = Engine::new(schedule(&room(0.5), RATE));
    let (before, _) = render(&mut engine, &note(), 24_000);
    control.submit(schedule(&room(0.6), RATE)).map_err(|_| "queue full").unwrap();
    let (after, _) = render(&mut engine, &[], 4800);
    let (end, last) = (rms(&before[before.len() - 480..]), rms(&after[..480]));
    assert!(db(last / end).abs() < 3.0, "the tail carries on through the reload: {:.1} dB jump", db(last / end));
}

#[test]
fn the_patch_language_explains_where_effects_belong() {
    let check = |text: &str| -> String {
        let source = PatchSource { path: "p.ron".into(), text: text.into() };
        match compile(&source, &CompileSettings::default()) {
            Ok(_) => "compiled".into(),
            Err(d) => {
                d.items.iter().map(|i| format!("{} | {}", i.message, i.help.clone().unwrap_or_default())).collect()
            }
        }
    };
    let voice_in_effects = check(&blip(r#""x": (kind: "saw"),"#));
    assert_eq!(
        voice_in_effects,
        "`x` (a `saw`) is not an effect | `effects` holds the global bus's effects (delay, chorus, reverb); voice nodes go in `nodes`"
    );
    let effect_in_nodes =
        check(&blip("").replace(r#""osc": (kind: "sine"),"#, r#""osc": (kind: "sine"), "echo": (kind: "delay"),"#));
    assert_eq!(
        effect_in_nodes,
        "`echo` (a `delay`) is an effect, not a voice node | move it to `effects`, which run once on the sum of every voice"
    );
    let wired = check(&blip(r#""echo": (kind: "delay"),"#).replace(r#"("osc", "amp.in")"#, r#"("osc", "echo")"#));
    assert_eq!(
        wired,
        "`echo` (a `delay`) is an effect on the global bus and takes no wires | effects run in their `effects` order on the sum of every voice"
    );
    let per_voice = check(
        &blip(r#""echo": (kind: "delay"),"#)
            .replace("output:", r#"modulations: [(from: "velocity", to: "echo.mix", depth: 0.5)], output:"#),
    );
    assert_eq!(
        per_voice,
        "`echo.mix` is an effect, shared by every voice: `velocity` cannot move it | modulate effects from controllers (modwheel, bend, pressure, cc1..cc127) or macros"
    );
    let by_controller = check(&blip(r#""echo": (kind: "delay"),"#).replace(
        "output:",
        r#"modulations: [(from: "modwheel", to: "echo.mix", depth: 0.5)], macros: [(name: "Space", targets: [(to: "echo.feedback", depth: 0.5)])], output:"#,
    ));
    assert_eq!(by_controller, "compiled");
}

#[test]
fn the_mod_wheel_moves_an_effect_parameter() {
    let text = blip(r#""echo": (kind: "delay", params: { "time": 0.1, "feedback": 0.0, "mix": 0.0 }),"#)
        .replace("output:", r#"modulations: [(from: "modwheel", to: "echo.mix", depth: 1.0)], output:"#);
    let (mut engine, _control) = Engine::new(schedule(&text, RATE));
    let (dry_only, _) = render(&mut engine, &note(), 9_600);
    assert!(window_db(&dry_only, 4_800) < -100.0, "mix 0: no echo");
    let wheel = Event { time: 0, kind: EventKind::ControlChange { cc: 1, value: 1.0 } };
    render(&mut engine, &[wheel], 4_800);
    let (wet, _) = render(&mut engine, &note(), 9_600);
    assert!(window_db(&wet, 4_800) > -20.0, "mod wheel up: mix 1, the echo is heard");
}
