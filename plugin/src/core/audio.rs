//! The audio-thread half of the plugin core: turns translated host events and parameter changes (macros
//! and exposed parameters as control positions) into engine events, runs the engine, applies the master volume, and reports ended notes.
//!
//! Both format adapters feed it the same way: [`AudioCore::begin`], then events in time order, then
//! [`AudioCore::render`]. Nothing here allocates.

use std::sync::Arc;
use std::time::Instant;

use ferrule_engine::{Engine, Event, EventKind};

use super::params::{EXPOSED_COUNT, MACRO_COUNT, PARAM_COUNT, Param, SharedParams};

/// Most events one block can carry; more are counted in [`AudioCore::dropped_events`], never grown into.
pub const EVENT_CAPACITY: usize = 4096;
/// Most master-volume changes honoured per block (later ones in a fuller block replace the last).
const MASTER_CHANGES: usize = 64;
/// How long a master-volume change glides, in seconds.
const MASTER_GLIDE_SECONDS: f32 = 0.005;
/// Time constant of the smoothed CPU load, in seconds.
const LOAD_SMOOTHING_SECONDS: f32 = 0.3;

/// Who a note belongs to in the host's terms, so its end can be reported back (CLAP note id, channel,
/// port; −1 where unknown).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoteTag {
    /// The host's note id, or −1.
    pub note_id: i32,
    /// MIDI channel, or −1.
    pub channel: i16,
    /// Note port, or −1.
    pub port: i16,
}

impl NoteTag {
    /// A note the host did not identify.
    pub const UNKNOWN: NoteTag = NoteTag { note_id: -1, channel: -1, port: -1 };
}

/// The audio-thread state of one activated plugin instance.
pub struct AudioCore {
    engine: Engine,
    params: Arc<SharedParams>,
    events: Vec<Event>,
    /// Parameter values the engine has been given, to notice changes made on other threads.
    applied: [f64; PARAM_COUNT],
    master_changes: [(u32, f32); MASTER_CHANGES],
    master_change_count: usize,
    master_gain: f32,
    master_target: f32,
    master_step: f32,
    glide_samples: f32,
    tags: [NoteTag; 128],
    dropped: u64,
    midi: crate::midi::MidiInput,
    /// Sample rate in Hz, for the block deadline.
    sample_rate: f32,
    /// The last [`AudioCore::render`]'s time as a share of its block's deadline, and that smoothed.
    load: f32,
    load_smoothed: f32,
}

fn db_to_gain(db: f64) -> f32 {
    if db <= super::params::MASTER_MIN_DB { 0.0 } else { 10f64.powf(db / 20.0) as f32 }
}

impl AudioCore {
    /// Wraps an engine. Allocates: called on activation, off the audio thread.
    pub(crate) fn new(engine: Engine, params: Arc<SharedParams>, sample_rate: f32) -> AudioCore {
        let gain = db_to_gain(params.get(Param::Master));
        let mut applied = [f64::NAN; PARAM_COUNT];
        applied[MACRO_COUNT] = params.get(Param::Master);
        AudioCore {
            engine,
            params,
            events: resident_event_list(),
            applied,
            master_changes: [(0, 0.0); MASTER_CHANGES],
            master_change_count: 0,
            master_gain: gain,
            master_target: gain,
            master_step: 0.0,
            glide_samples: (MASTER_GLIDE_SECONDS * sample_rate).max(1.0),
            tags: [NoteTag::UNKNOWN; 128],
            dropped: 0,
            midi: crate::midi::MidiInput::default(),
            sample_rate,
            load: 0.0,
            load_smoothed: 0.0,
        }
    }

    /// Starts a block: parameter values changed elsewhere (state load, the main thread's flush, the
    /// editor) reach the engine at frame 0. Audio thread.
    pub fn begin(&mut self) {
        self.events.clear();
        self.master_change_count = 0;
        for i in 0..MACRO_COUNT {
            let value = self.params.get(Param::Macro(i));
            if value != self.applied[i] {
                self.applied[i] = value;
                self.push(0, EventKind::Macro { index: i as u8, value: value as f32 });
            }
        }
        let master = self.params.get(Param::Master);
        if master != self.applied[MACRO_COUNT] {
            self.applied[MACRO_COUNT] = master;
            self.push_master(0, master);
        }
        for n in 0..EXPOSED_COUNT {
            let position = self.params.get(Param::Exposed(n));
            if position != self.applied[MACRO_COUNT + 1 + n] {
                self.applied[MACRO_COUNT + 1 + n] = position;
                self.push(0, EventKind::Param { index: n as u8, position: position as f32 });
            }
        }
    }

    /// A key goes down at frame `time`. `velocity` 0..=1.
    pub fn note_on(&mut self, time: u32, key: u8, velocity: f32, tag: NoteTag) {
        if key < 128 {
            self.tags[key as usize] = tag;
            self.push(time, EventKind::NoteOn { note: key, velocity });
        }
    }

    /// A raw three-byte MIDI 1.0 message at frame `time` (MPE included; see `midi.rs`).
    pub fn midi(&mut self, time: u32, data: [u8; 3]) {
        use crate::midi::{Action, MAX_ACTIONS};
        let mut actions = [Action::Event(EventKind::AllNotesOff); MAX_ACTIONS];
        let n = self.midi.translate(data, &mut actions);
        for action in &actions[..n] {
            match *action {
                Action::NoteOn { key, velocity, tag } => self.note_on(time, key, velocity, tag),
                Action::Event(kind) => self.push(time, kind),
            }
        }
    }

    /// Any other engine event at frame `time`.
    pub fn event(&mut self, time: u32, kind: EventKind) {
        self.push(time, kind);
    }

    /// A host parameter change at frame `time`, in the parameter's host range. Unknown ids are ignored.
    pub fn param(&mut self, time: u32, id: u32, value: f64) {
        let Some(param) = Param::from_id(id) else { return };
        self.params.set(param, value);
        let value = self.params.get(param);
        match param {
            Param::Macro(i) => {
                self.applied[i] = value;
                self.push(time, EventKind::Macro { index: i as u8, value: value as f32 });
            }
            Param::Master => {
                self.applied[MACRO_COUNT] = value;
                self.push_master(time, value);
            }
            Param::Exposed(n) => {
                self.applied[MACRO_COUNT + 1 + n] = value;
                self.push(time, EventKind::Param { index: n as u8, position: value as f32 });
            }
        }
    }

    fn push(&mut self, time: u32, kind: EventKind) {
        if self.events.len() < EVENT_CAPACITY {
            self.events.push(Event { time, kind });
        } else {
            self.dropped += 1;
        }
    }

    fn push_master(&mut self, time: u32, db: f64) {
        let change = (time, db_to_gain(db));
        if self.master_change_count < MASTER_CHANGES {
            self.master_changes[self.master_change_count] = change;
            self.master_change_count += 1;
        } else {
            self.master_changes[MASTER_CHANGES - 1] = change;
        }
    }

    /// Passes the host's tempo (BPM) and, while its transport plays, the song position in beats at this
    /// block's first frame; see `Engine::set_transport`. Audio thread.
    pub fn set_transport(&mut self, tempo: Option<f64>, position: Option<f64>) {
        self.engine.set_transport(tempo, position);
    }

    /// Renders the block into `left` and `right` (same length) with every event given since
    /// [`AudioCore::begin`]. Audio thread.
    pub fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        // `Instant::now` reads the monotonic clock through the vDSO on Linux x86-64 (no system call as
        // long as the kernel's clock source is the TSC, the usual case); two reads per block.
        let started = Instant::now();
        self.render_block(left, right);
        let frames = left.len().min(right.len());
        if frames > 0 && self.sample_rate > 0.0 {
            let deadline = frames as f32 / self.sample_rate;
            self.load = started.elapsed().as_secs_f32() / deadline;
            let k = 1.0 - (-deadline / LOAD_SMOOTHING_SECONDS).exp();
            self.load_smoothed += (self.load - self.load_smoothed) * k;
        }
    }

    fn render_block(&mut self, left: &mut [f32], right: &mut [f32]) {
        // Hosts send events in time order; sorting costs nothing then and protects the engine if not.
        if !self.events.is_sorted_by_key(|e| e.time) {
            sort_in_place(&mut self.events);
        }
        self.engine.process(&self.events, left, right);
        let mut next = 0;
        for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
            while next < self.master_change_count && self.master_changes[next].0 as usize <= i {
                self.master_target = self.master_changes[next].1;
                self.master_step = (self.master_target - self.master_gain) / self.glide_samples;
                next += 1;
            }
            if self.master_gain != self.master_target {
                let moved = self.master_gain + self.master_step;
                let arrived = (self.master_step > 0.0 && moved >= self.master_target)
                    || (self.master_step <= 0.0 && moved <= self.master_target);
                self.master_gain = if arrived { self.master_target } else { moved };
            }
            *l *= self.master_gain;
            *r *= self.master_gain;
        }
        // Changes at or past the block's end (a host's zero-frame parameter flush) still set where the
        // gain goes next, as the engine applies its late events at the end.
        if next < self.master_change_count {
            self.master_target = self.master_changes[self.master_change_count - 1].1;
            self.master_step = (self.master_target - self.master_gain) / self.glide_samples;
        }
    }

    /// Notes whose voice ended in the last rendered block: frame, key and the host's tag for it.
    pub fn ended_notes(&self) -> impl Iterator<Item = (u32, u8, NoteTag)> + '_ {
        self.engine.ended_notes().iter().map(|e| (e.time, e.note, self.tags[e.note as usize & 127]))
    }

    /// The shared parameter values (a flush outside a block stores here; the next block applies them).
    pub fn params(&self) -> &SharedParams {
        &self.params
    }

    /// Voices sounding after the last block.
    pub fn active_voices(&self) -> usize {
        self.engine.active_voices()
    }

    /// The keys sounding after the last block, as a 128-bit set (key `k` is bit `k % 64` of word
    /// `k / 64`). Audio thread; no allocation.
    pub fn sounding_notes(&self) -> [u64; 2] {
        self.engine.sounding_notes()
    }

    /// CPU load of the last [`AudioCore::render`] as a share of its block's deadline (frames / sample
    /// rate), and the same smoothed over about 300 ms. 1.0 means the block took as long as it lasts.
    pub fn cpu_load(&self) -> (f32, f32) {
        (self.load, self.load_smoothed)
    }

    /// While the engine's runaway guard holds the patch muted: the output's peak (linear full scale) when
    /// it tripped. See `Engine::runaway`.
    pub fn runaway_peak(&self) -> Option<f32> {
        self.engine.runaway().map(|ferrule_engine::Runaway::TooLoud { peak }| peak)
    }

    /// The sample rate this core was activated at, in Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Whether the plugin still sounds without new input (voices, or effect tails); when false the host
    /// may let it sleep. Audio thread.
    pub fn is_sounding(&self) -> bool {
        self.engine.is_sounding()
    }

    /// Events that did not fit in a block since activation.
    pub fn dropped_events(&self) -> u64 {
        self.dropped
    }
}

/// An empty event list with room for [`EVENT_CAPACITY`] events, every element written once here (off the audio
/// thread): `Vec::with_capacity` alone leaves pages the kernel maps only on the first push to each, a page fault on
/// the audio thread in the first crowded block. The filler goes through `black_box` so the writes cannot be turned
/// into a zeroed allocation, which would skip them.
fn resident_event_list() -> Vec<Event> {
    let filler = std::hint::black_box(Event { time: u32::MAX, kind: EventKind::AllNotesOff });
    let mut events = vec![filler; EVENT_CAPACITY];
    events.clear();
    events
}

/// Sorts events by time, keeping the order of events at the same frame (a note-off before a note-on of
/// the same key must stay first). Written by hand because the standard stable sort may allocate a buffer,
/// which the audio thread must not; an insertion sort is stable, allocation-free, and linear for the
/// nearly-sorted lists hosts send (at most `EVENT_CAPACITY` events, so bounded either way).
fn sort_in_place(events: &mut [Event]) {
    for i in 1..events.len() {
        let mut j = i;
        while j > 0 && events[j - 1].time > events[j].time {
            events.swap(j - 1, j);
            j -= 1;
        }
    }
}
