//! The audio path never allocates or frees: process, notes, stealing, controller and macro changes, schedule
//! swaps and retirement all run under an allocation trap.

use ferrule_engine::{Engine, Event, EventKind};
use ferrule_tests::alloc_trap::count_allocations;
use ferrule_tests::patch::schedule;

ferrule_tests::install_alloc_trap!();

const FOUR_VOICES: &str = r#"(
    version: 1,
    voice: (polyphony: 4, glide: 0.05),
    nodes: {
        "osc": (kind: "sine"),
        "amp": (kind: "vca", params: { "gain": 0.3 }),
    },
    connections: [("osc.out", "amp.in")],
    modulations: [
        (from: "modwheel", to: "osc.fine", depth: 50.0),
        (from: "velocity", to: "amp.gain", depth: 0.2),
        (from: "bend", to: "osc.pitch", depth: 0.1),
        (from: "aftertouch", to: "amp.gain", depth: 0.1),
        (from: "cc74", to: "osc.fine", depth: 10.0),
    ],
    macros: [(name: "Level", min: 0.0, max: 1.0, default: 0.5, targets: [(to: "amp.gain", depth: 0.5)])],
    output: Mono("amp.out"),
)"#;

fn ev(time: u32, kind: EventKind) -> Event {
    Event { time, kind }
}

#[test]
fn the_trap_catches_an_allocation() {
    let (v, caught) = count_allocations(|| vec![1u8; 100]);
    assert_eq!(v.len(), 100);
    assert!(caught >= 1, "the trap saw {caught} allocations");
    let ((), caught) = count_allocations(|| drop(v));
    assert!(caught >= 1, "and a deallocation");
}

#[test]
fn process_notes_stealing_and_controllers_do_not_allocate() {
    let (mut engine, _control) = Engine::new(schedule(FOUR_VOICES, 48_000.0));
    let mut left = vec![0.0f32; 4096];
    let mut right = vec![0.0f32; 4096];
    let events = [
        ev(0, EventKind::NoteOn { note: 60, velocity: 0.8 }),
        ev(3, EventKind::NoteOn { note: 64, velocity: 0.8 }),
        ev(17, EventKind::NoteOn { note: 67, velocity: 0.8 }),
        ev(40, EventKind::NoteOn { note: 71, velocity: 0.8 }),
        ev(41, EventKind::NoteOff { note: 64 }),
        // Two more than the polyphony: one takes the released voice, one steals the oldest.
        ev(100, EventKind::NoteOn { note: 72, velocity: 1.0 }),
        ev(101, EventKind::NoteOn { note: 74, velocity: 1.0 }),
        ev(200, EventKind::ControlChange { cc: 1, value: 0.7 }),
        ev(201, EventKind::ControlChange { cc: 74, value: 0.2 }),
        ev(300, EventKind::PitchBend { value: -0.5 }),
        ev(301, EventKind::ChannelPressure { value: 0.5 }),
        ev(302, EventKind::PolyPressure { note: 72, value: 0.9 }),
        ev(303, EventKind::NoteExpression { note: 72, expression: ferrule_engine::Expression::Pan, value: 0.1 }),
        ev(304, EventKind::NoteExpression { note: 72, expression: ferrule_engine::Expression::Tuning, value: -0.5 }),
        ev(400, EventKind::Macro { index: 0, value: 1.0 }),
        ev(401, EventKind::Macro { index: 7, value: 1.0 }),
        ev(500, EventKind::NoteOn { note: 72, velocity: 0.5 }),
        ev(4000, EventKind::AllNotesOff),
        ev(9999, EventKind::NoteOn { note: 50, velocity: 1.0 }),
    ];
    for block in [1usize, 7, 64, 4096] {
        let ((), caught) = count_allocations(|| {
            for _ in 0..4 {
                engine.process(&events, &mut left[..block], &mut right[..block]);
            }
        });
        assert_eq!(caught, 0, "block size {block}: the audio path allocated {caught} times");
    }
    let ((), caught) = count_allocations(|| {
        for _ in 0..50 {
            engine.process(&[], &mut left, &mut right);
        }
    });
    assert_eq!(caught, 0);
}

#[test]
fn swapping_and_retiring_schedules_does_not_allocate_even_when_the_return_ring_is_full() {
    let (mut engine, mut control) = Engine::new(schedule(FOUR_VOICES, 48_000.0));
    let mut left = vec![0.0f32; 256];
    let mut right = vec![0.0f32; 256];
    let notes =
        [ev(0, EventKind::NoteOn { note: 60, velocity: 1.0 }), ev(0, EventKind::NoteOn { note: 67, velocity: 1.0 })];
    let ((), caught) = count_allocations(|| engine.process(&notes, &mut left, &mut right));
    assert_eq!(caught, 0);
    // Never collect: the return ring fills and the engine parks schedules in its backlog, then stops
    // taking new ones until there is room. None of it may allocate or free on the audio thread.
    for round in 0..40 {
        let pending: Vec<_> = (0..3).map(|_| schedule(FOUR_VOICES, 48_000.0)).collect();
        for s in pending {
            let _ = control.submit(s);
        }
        let ((), caught) = count_allocations(|| engine.process(&[], &mut left, &mut right));
        assert_eq!(caught, 0, "round {round}: swap allocated {caught} times");
    }
    assert!(left.iter().any(|&x| x != 0.0), "the held notes still sound after all the swaps");
    assert!(control.collect_retired() > 0);
}

#[test]
fn crossfading_to_a_new_shape_does_not_allocate() {
    // FOUR_VOICES and the same voice with a filter and an envelope added alternate, so every swap changes
    // the graph's shape and the engine plays both through a 15 ms crossfade before retiring the old one.
    let filtered = FOUR_VOICES
        .replace(r#""amp": (kind: "vca""#, r#""lp": (kind: "svf"), "env": (kind: "adsr"), "amp": (kind: "vca""#)
        .replace(r#"("osc.out", "amp.in")"#, r#"("osc.out", "lp"), ("lp.lp", "amp.in"), ("env", "amp.cv")"#);
    let (mut engine, mut control) = Engine::new(schedule(FOUR_VOICES, 48_000.0));
    let mut left = vec![0.0f32; 128];
    let mut right = vec![0.0f32; 128];
    let notes =
        [ev(0, EventKind::NoteOn { note: 60, velocity: 1.0 }), ev(5, EventKind::NoteOn { note: 64, velocity: 1.0 })];
    let ((), caught) = count_allocations(|| engine.process(&notes, &mut left, &mut right));
    assert_eq!(caught, 0);
    for round in 0..30 {
        let text = if round % 2 == 0 { filtered.as_str() } else { FOUR_VOICES };
        control.submit(schedule(text, 48_000.0)).map_err(|_| "queue full").unwrap();
        let ((), caught) = count_allocations(|| {
            for block in 0..8 {
                let events = if block == 3 { &notes[1..] } else { &[][..] };
                engine.process(events, &mut left, &mut right);
            }
        });
        assert_eq!(caught, 0, "round {round}: the crossfade allocated {caught} times");
        control.collect_retired();
    }
    assert_eq!(engine.active_voices(), 2, "both held notes survive thirty shape changes");
    assert!(left.iter().any(|&x| x != 0.0));
}

#[test]
fn every_node_kind_copies_its_state_without_allocating() {
    // A shape-changing swap copies matched voice nodes' state into the new schedule on the audio thread, so
    // the old and new voices crossfade from the same point; a changed effects chain copies its matched
    // effects' delay lines and tails the same way. Every kind, whatever it owns, must copy in place.
    for (i, spec) in ferrule_nodes::registry::all().iter().enumerate() {
        let kind = ferrule_nodes::KindId(i as u16);
        let from = ferrule_nodes::Processor::new(kind, 48_000.0);
        let mut to = ferrule_nodes::Processor::new(kind, 48_000.0);
        let (copied, caught) = count_allocations(|| to.copy_from(&from));
        assert!(copied, "{}: same kinds copy", spec.kind);
        assert_eq!(caught, 0, "`{}` allocated {caught} times copying its state", spec.kind);
    }
}

#[test]
fn crossfading_effects_chains_does_not_allocate() {
    // A chain of delay, chorus and reverb, and the same three reordered with the delay's kind changed:
    // every swap crossfades the two chains, copying the effects that carry their state (delay lines,
    // reverb tails) into the new chain on the audio thread. And a value-only edit moves them.
    let voice = |effects: &str| {
        FOUR_VOICES
            .replace("output: Mono(\"amp.out\"),", &format!("output: Mono(\"amp.out\"), effects: {{ {effects} }},"))
    };
    let a = voice(r#""echo": (kind: "delay"), "wide": (kind: "chorus"), "room": (kind: "reverb"),"#);
    let b = voice(r#""room": (kind: "reverb"), "wide": (kind: "chorus"), "echo": (kind: "chorus"),"#);
    let c = voice(
        r#""room": (kind: "reverb", params: { "mix": 0.5 }), "wide": (kind: "chorus"), "echo": (kind: "chorus"),"#,
    );
    let (mut engine, mut control) = Engine::new(schedule(&a, 48_000.0));
    let (mut left, mut right) = (vec![0.0f32; 128], vec![0.0f32; 128]);
    let notes = [ev(0, EventKind::NoteOn { note: 60, velocity: 1.0 })];
    let ((), caught) = count_allocations(|| engine.process(&notes, &mut left, &mut right));
    assert_eq!(caught, 0);
    for round in 0..30 {
        let text = [&a, &b, &c][round % 3];
        control.submit(schedule(text, 48_000.0)).map_err(|_| "queue full").unwrap();
        let ((), caught) = count_allocations(|| {
            for _ in 0..8 {
                engine.process(&[], &mut left, &mut right);
            }
        });
        assert_eq!(caught, 0, "round {round}: the effects crossfade allocated {caught} times");
        assert_eq!(control.collect_retired(), 1, "round {round}: the old schedule came back after 15 ms");
    }
    assert!(left.iter().any(|&x| x != 0.0));
}

#[test]
fn muting_a_runaway_patch_and_lifting_it_do_not_allocate() {
    // Far past the clamp: the runaway guard trips, fades the output out, and the next schedule lifts it.
    let screamer = FOUR_VOICES
        .replace(r#""gain": 0.3"#, r#""gain": 4.0"#)
        .replace(r#"(kind: "sine")"#, r#"(kind: "sine", params: { "level": 2.0 })"#);
    let (mut engine, mut control) = Engine::new(schedule(&screamer, 48_000.0));
    let notes: Vec<Event> = (0..4).map(|i| ev(0, EventKind::NoteOn { note: 60 + 4 * i, velocity: 1.0 })).collect();
    let (mut left, mut right) = (vec![0.0f32; 512], vec![0.0f32; 512]);
    let ((), caught) = count_allocations(|| {
        engine.set_transport(Some(140.0), None);
        engine.process(&notes, &mut left, &mut right);
        for _ in 0..20 {
            engine.process(&[], &mut left, &mut right);
        }
    });
    assert_eq!(caught, 0, "tripping the guard allocated {caught} times");
    assert!(engine.runaway().is_some(), "the guard tripped");
    control.submit(schedule(FOUR_VOICES, 48_000.0)).map_err(|_| "queue full").unwrap();
    let ((), caught) = count_allocations(|| engine.process(&[], &mut left, &mut right));
    assert_eq!(caught, 0, "lifting the mute allocated {caught} times");
    assert!(engine.runaway().is_none());
}
