//! Ferrule playing held notes: compile a patch for N voices, press N distinct keys, render blocks.

use ferrule_engine::{CompileSettings, Engine, EngineControl, Event, EventKind, PatchSource, Schedule, compile};

use crate::{BLOCK, RATE};

/// Compiles `source` at [`RATE`] and [`BLOCK`] with `polyphony` voices (`None` keeps the patch's own).
/// Panics with the rendered diagnostics if it does not compile: a benchmark of a broken patch is a bug.
pub fn schedule(source: &PatchSource, polyphony: Option<usize>) -> Schedule {
    let settings = CompileSettings { sample_rate: RATE as f32, max_block: BLOCK, polyphony, ..Default::default() };
    compile(source, &settings).unwrap_or_else(|d| panic!("{} does not compile:\n{}", source.path, d.render(false)))
}

/// Note-ons for `voices` distinct keys from C2 (36) up, wrapping into the low keys, all at frame 0.
pub fn chord(voices: usize) -> Vec<Event> {
    (0..voices)
        .map(|i| Event { time: 0, kind: EventKind::NoteOn { note: ((36 + i) % 128) as u8, velocity: 0.8 } })
        .collect()
}

/// The key of a note-on (0 for anything else).
fn note_of(kind: EventKind) -> u8 {
    match kind {
        EventKind::NoteOn { note, .. } => note,
        _ => 0,
    }
}

/// `voices` distinct keys spread evenly over the reference chord's range, C2..D#7 (36..=99), so that every
/// voice count up to 64 plays the same mix of pitches (a saw's cost grows with its pitch: more wraps, more
/// band-limiting residuals). Above 64, every key from the bottom up (0..voices).
pub fn spread(voices: usize) -> Vec<u8> {
    if voices <= 64 {
        (0..voices).map(|i| (36 + (2 * i + 1) * 64 / (2 * voices)) as u8).collect()
    } else {
        (0..voices.min(128)).map(|i| i as u8).collect()
    }
}

/// An engine holding `voices` notes of a schedule, and its block buffers.
pub struct Held {
    /// The engine.
    pub engine: Engine,
    /// Its control side (for swaps); retired schedules are collected by [`Held::block`].
    pub control: EngineControl,
    /// Voices pressed.
    pub voices: usize,
    left: Vec<f32>,
    right: Vec<f32>,
}

impl Held {
    /// Presses `voices` keys on a fresh engine playing `schedule` and renders one block.
    pub fn new(schedule: Schedule, voices: usize) -> Held {
        let keys: Vec<u8> = chord(voices).iter().map(|e| note_of(e.kind)).collect();
        Held::with_keys(schedule, &keys)
    }

    /// Presses `keys` (distinct MIDI notes) on a fresh engine playing `schedule` and renders one block.
    pub fn with_keys(schedule: Schedule, keys: &[u8]) -> Held {
        let (engine, control) = Engine::new(schedule);
        let voices = keys.len();
        let mut held = Held { engine, control, voices, left: vec![0.0; BLOCK], right: vec![0.0; BLOCK] };
        let notes: Vec<Event> =
            keys.iter().map(|&note| Event { time: 0, kind: EventKind::NoteOn { note, velocity: 0.8 } }).collect();
        held.engine.process(&notes, &mut held.left, &mut held.right);
        held
    }

    /// Renders one block with `events`; returns the left channel's first sample (so the work is observable).
    pub fn block(&mut self, events: &[Event]) -> f32 {
        let first = self.process(events);
        self.control.collect_retired();
        first
    }

    /// The audio thread's share of [`Held::block`]: renders one block with `events` without collecting retired
    /// schedules (a host's main thread drops those; see [`Held::collect_retired`]). Returns the left channel's
    /// first sample.
    pub fn process(&mut self, events: &[Event]) -> f32 {
        self.engine.process(events, &mut self.left, &mut self.right);
        self.left[0]
    }

    /// The control thread's share of [`Held::block`]: drops the schedules the engine has retired; returns how many.
    pub fn collect_retired(&mut self) -> usize {
        self.control.collect_retired()
    }

    /// Renders `blocks` blocks without events and returns the voice-samples rendered.
    pub fn run(&mut self, blocks: usize) -> f64 {
        let mut sink = 0.0;
        for _ in 0..blocks {
            sink += self.block(&[]);
        }
        std::hint::black_box(sink);
        (blocks * BLOCK * self.voices) as f64
    }

    /// The last block's left channel.
    pub fn last_left(&self) -> &[f32] {
        &self.left
    }

    /// The loudest sample of the last block, left channel.
    pub fn peak(&self) -> f32 {
        self.left.iter().fold(0.0, |a, x| a.max(x.abs()))
    }
}
