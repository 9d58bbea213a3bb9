//! What the fuzz targets in `fuzz/` run, shared with the test that replays their corpora in CI
//! (`tests/tests/fuzz_corpora.rs`), so a corpus file means the same thing in both places.
//!
//! Each function takes arbitrary bytes and panics only when Ferrule misbehaves: a panic inside the engine
//! or compiler, non-finite or out-of-range output, an allocation on the audio path, or an engine that stays
//! silent after a hostile event stream is followed by a clean note.

use ferrule_engine::{CompileSettings, Engine, Event, EventKind, Expression, PatchSource, compile};

use crate::alloc_trap::count_allocations;

/// Compiles `bytes` as a patch (when they are UTF-8) at a small and a large block size. Refusal is fine;
/// a refusal must come with at least one diagnostic that renders.
pub fn compile_patch_bytes(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let source = PatchSource { path: "fuzz.ron".into(), text: text.into() };
    for settings in [
        CompileSettings { sample_rate: 44_100.0, max_block: 1, polyphony: None, ..Default::default() },
        CompileSettings { sample_rate: 192_000.0, max_block: 4096, polyphony: None, ..Default::default() },
    ] {
        match compile(&source, &settings) {
            Ok(_) => {}
            Err(d) => {
                assert!(!d.items.is_empty(), "a refusal without a reason");
                let _ = d.to_string();
            }
        }
    }
}

/// The patch the event-stream target plays: the factory default (polyphonic, envelopes, macros, mod wheel).
pub const EVENT_PATCH: &str = include_str!("../../patches/default.ron");

/// Reads one event from 8 bytes: time (2), kind (1), note or index (1), value (4, raw `f32` bits, so NaN,
/// infinities and out-of-range values all occur). Every [`EventKind`] can occur.
fn event(chunk: &[u8]) -> Event {
    let time = u16::from_le_bytes([chunk[0], chunk[1]]) as u32;
    let a = chunk[3];
    let value = f32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
    let expression = [
        Expression::Volume,
        Expression::Pan,
        Expression::Tuning,
        Expression::Vibrato,
        Expression::Expression,
        Expression::Brightness,
        Expression::Pressure,
    ][a as usize % 7];
    let kind = match chunk[2] % 10 {
        0 => EventKind::NoteOn { note: a, velocity: value },
        1 => EventKind::NoteOff { note: a },
        2 => EventKind::PitchBend { value },
        3 => EventKind::ControlChange { cc: a, value },
        4 => EventKind::ChannelPressure { value },
        5 => EventKind::PolyPressure { note: a, value },
        6 => EventKind::Macro { index: a, value },
        7 => EventKind::AllNotesOff,
        8 => EventKind::NoteExpression { note: a, expression, value },
        // Exposed parameters were added after the corpora were made: kind 9 with a byte that is no key
        // (128..=255) moves one, indices 0..=127 (the patch exposes a few; the rest must be ignored), so the
        // stored inputs keep their meaning.
        9 if a >= 128 => EventKind::Param { index: a - 128, position: value },
        _ => EventKind::NoteOn { note: a, velocity: 1.0 },
    };
    Event { time, kind }
}

/// Plays an event stream read from `bytes` through the default patch, as a misbehaving host might send
/// it: block sizes 0 to 4096 (about 8,192 frames in all), events unsorted and past the block's end, values out of range. Then plays
/// one clean note and checks it is heard. The first two bytes choose the block size; each block takes up
/// to 16 events (8 bytes each) from the rest.
///
/// Panics when the output is non-finite or outside ±4, when `process` allocates, or when the clean note
/// is silent (unless the runaway guard muted the patch, which it reports).
pub fn play_event_bytes(engine: &mut Engine, bytes: &[u8]) {
    let Some((head, rest)) = bytes.split_first_chunk::<2>() else { return };
    let block = (u16::from_le_bytes(*head) as usize) % 4097;
    let (mut left, mut right) = (vec![0.0f32; 4096], vec![0.0f32; 4096]);
    let mut events = Vec::with_capacity(16);
    let mut chunks = rest.chunks_exact(8).peekable();
    // Bounded work per input, so the fuzzer explores instead of rendering: about 0.17 s of audio.
    let mut frames = 0;
    while chunks.peek().is_some() && frames < 8192 {
        events.clear();
        events.extend(chunks.by_ref().take(16).map(event));
        let ((), allocations) = count_allocations(|| engine.process(&events, &mut left[..block], &mut right[..block]));
        assert_eq!(allocations, 0, "process allocated");
        for x in left[..block].iter().chain(&right[..block]) {
            assert!(x.is_finite() && x.abs() <= 4.0, "output {x}");
        }
        frames += block.max(1);
    }
    // A clean note after whatever came before: the instrument must still play.
    let reset = [
        Event { time: 0, kind: EventKind::AllNotesOff },
        Event { time: 0, kind: EventKind::PitchBend { value: 0.0 } },
        Event { time: 0, kind: EventKind::ChannelPressure { value: 0.0 } },
    ];
    engine.process(&reset, &mut left[..4096], &mut right[..4096]);
    let note = [Event { time: 0, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } }];
    engine.process(&note, &mut left[..4096], &mut right[..4096]);
    engine.process(&[], &mut left[..4096], &mut right[..4096]);
    let peak = left.iter().fold(0.0f32, |p, x| p.max(x.abs()));
    assert!(peak > 1e-3 || engine.runaway().is_some(), "a clean note after the stream is silent (peak {peak})");
}

/// A fresh engine playing [`EVENT_PATCH`] at 48 kHz with blocks up to 4096 frames.
pub fn event_engine() -> Engine {
    let source = PatchSource { path: "default.ron".into(), text: EVENT_PATCH.into() };
    let settings = CompileSettings { sample_rate: 48_000.0, max_block: 4096, polyphony: None, ..Default::default() };
    Engine::new(compile(&source, &settings).expect("the default patch compiles")).0
}
