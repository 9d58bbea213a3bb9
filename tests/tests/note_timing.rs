//! Notes land on their exact sample, whatever the block size.

use ferrule_engine::{Engine, Event, EventKind};
use ferrule_tests::patch::{SINE, schedule};

/// A patch whose output is non-zero from a note's very first sample: a VCA fed by nothing but its gain is
/// silent, so use a sine started at a quarter cycle via an LFO-free trick: a sine at +0 st starts at phase 0
/// (output 0 at the first frame), so we check from the frame after.
fn first_sound(block: usize, offset: usize) -> usize {
    let (mut engine, _control) = Engine::new(schedule(SINE, 48_000.0));
    let total = 3000;
    let mut out = vec![0.0f32; total];
    let mut right = vec![0.0f32; total];
    let mut start = 0;
    while start < total {
        let end = (start + block).min(total);
        let events: Vec<Event> = if (start..end).contains(&offset) {
            vec![Event { time: (offset - start) as u32, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } }]
        } else {
            vec![]
        };
        engine.process(&events, &mut out[start..end], &mut right[start..end]);
        start = end;
    }
    // The sine starts at phase 0, so its first sample is exactly 0 and the second is the first non-zero one.
    out.iter().position(|&x| x != 0.0).expect("the note sounds") - 1
}

#[test]
fn a_note_at_offset_k_is_silent_before_k_and_sounds_from_k() {
    for block in [1usize, 64, 1000] {
        for offset in [0usize, 1, 63, 64, 65, 999, 1000, 1001, 1777] {
            assert_eq!(first_sound(block, offset), offset, "block {block}, note at frame {offset}");
        }
    }
}
