//! A patch that runs away is muted with a short fade and reported; the next patch plays again.

use ferrule_engine::{Engine, Event, EventKind, RUNAWAY_LEVEL, Runaway};
use ferrule_tests::measure::{max_step, peak};
use ferrule_tests::patch::{SINE, schedule};

const RATE: f32 = 48_000.0;

use ferrule_tests::patch::SCREAMER;

fn run(engine: &mut Engine, events: &[Event], frames: usize, block: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(frames);
    let (mut l, mut r) = (vec![0.0; block], vec![0.0; block]);
    let mut first = true;
    while out.len() < frames {
        engine.process(if first { events } else { &[] }, &mut l, &mut r);
        first = false;
        out.extend_from_slice(&l);
    }
    out
}

#[test]
fn a_runaway_patch_is_muted_within_its_grace_time_at_any_block_size_and_recovers_on_the_next_patch() {
    for block in [1, 64, 1000] {
        let (mut engine, mut control) = Engine::new(schedule(SCREAMER, RATE));
        let note = [Event { time: 0, kind: EventKind::NoteOn { note: 45, velocity: 1.0 } }];
        let out = run(&mut engine, &note, 9600, block);
        assert!(peak(&out[..2400]) > RUNAWAY_LEVEL, "block {block}: it really is loud at first");
        let Some(Runaway::TooLoud { peak: level }) = engine.runaway() else {
            panic!("block {block}: the runaway was not reported")
        };
        assert!(level > RUNAWAY_LEVEL);
        // Tripped after 100 ms (4800 frames) plus at most one block, then a 5 ms fade: silent by 120 ms.
        assert!(peak(&out[5760 + block..]) == 0.0, "block {block}: muted after the grace time");
        // The mute is a fade: it adds no step beyond the patch's own.
        let (fade, own) = (max_step(&out[4700..5900 + block]), max_step(&out[..4700]));
        assert!(fade <= own, "block {block}: step while muting {fade} vs the patch's own {own}");

        control.submit(schedule(SINE, RATE)).map_err(|_| "queue full").unwrap();
        let after = run(&mut engine, &note, 4800, block);
        assert_eq!(engine.runaway(), None, "block {block}: a new patch lifts the mute");
        assert!((peak(&after[2400..]) - 0.5).abs() < 0.01, "block {block}: and plays: {}", peak(&after[2400..]));
    }
}

#[test]
fn a_loud_but_sane_patch_is_left_alone() {
    let loud = SINE.replace(r#""gain": 0.5"#, r#""gain": 3.0"#);
    let (mut engine, _control) = Engine::new(schedule(&loud, RATE));
    let note = [Event { time: 0, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } }];
    let out = run(&mut engine, &note, 48_000, 128);
    assert_eq!(engine.runaway(), None, "+9.5 dBFS is hot, not runaway");
    assert!((peak(&out[40_000..]) - 3.0).abs() < 0.01);
}
