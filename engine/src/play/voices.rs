//! The voice table: which note each voice slot plays, and how notes find a slot.
//!
//! The table is fixed-size and lives in the engine, not the schedule, so it survives swaps. Node state for
//! each slot lives in the schedule's arena at the same slot index. A new note takes a free slot; when
//! `polyphony` voices already sound, one is stolen by the patch's policy and faded out over [`FADE_SECONDS`]
//! in a spare slot while the new note starts at once in another, so a steal neither clicks nor delays.

use ferrule_nodes::LANES;

use crate::events::Expression;
use crate::patch::model::{MAX_POLYPHONY, StealPolicy, VoiceMode};
use crate::schedule::VoiceConfig;

/// Voice slots the engine keeps: the most polyphony plus a lane group of spares, rounded to whole groups.
pub(crate) const MAX_SLOTS: usize = (MAX_POLYPHONY as usize + LANES).div_ceil(LANES) * LANES;

/// How long a stolen voice (or a voice with no envelope, after note-off) takes to fade out, in seconds.
pub(crate) const FADE_SECONDS: f32 = 0.005;

/// Most keys the mono and legato modes remember for returning to a held note.
const NOTE_STACK: usize = 16;

/// Most voice ends reported for one block; more than this many voices cannot end in one block unless the
/// host sends hundreds of notes per block, and the rest are then counted in [`Voices::ends_dropped`].
const MAX_ENDS: usize = 2 * MAX_SLOTS;

/// A voice that ended during the last block: its key and the frame (within the block) it fell silent at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndedNote {
    /// Frame offset within the block.
    pub time: u32,
    /// MIDI note number the voice was playing.
    pub note: u8,
}

/// What a slot is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No voice.
    Free,
    /// Key held.
    Held,
    /// Key released; the envelopes are releasing.
    Released,
    /// Stolen or ended without an envelope: fading out, then freed.
    Fading,
}

/// One voice slot.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Voice {
    pub phase: Phase,
    /// MIDI note number.
    pub note: u8,
    /// 0..=1.
    pub velocity: f32,
    /// Polyphonic pressure 0..=1.
    pub pressure: f32,
    /// Note-on order; larger is newer.
    pub age: u64,
    /// Start fresh at the next control period (reset node state).
    pub start: bool,
    /// Retrigger the envelopes at the next control period.
    pub trigger: bool,
    /// Current pitch in semitones (glide included, bend excluded).
    pub pitch: f32,
    glide_from: f32,
    glide_to: f32,
    glide_pos: f32,
    glide_step: f32,
    /// Output gain, 1 except while fading.
    pub gain: f32,
    /// Per-note expressions: volume (gain factor), pan (0..1), tuning (semitones), vibrato, expression
    /// and brightness (0..1).
    pub volume: f32,
    pub pan: f32,
    pub tuning: f32,
    pub vibrato: f32,
    pub expression: f32,
    pub brightness: f32,
    /// The left and right gains volume and pan gave at the end of the last control period; the mix
    /// ramps from these to the current ones so an expression change never steps.
    pub mix: [f32; 2],
    /// This slot's note was moved to another slot (see [`Voices::relocate_beyond`]); it only fades out here
    /// and its end is not reported.
    pub moved: bool,
}

impl Voice {
    const FREE: Voice = Voice {
        phase: Phase::Free,
        note: 0,
        velocity: 0.0,
        pressure: 0.0,
        age: 0,
        start: false,
        trigger: false,
        pitch: 60.0,
        glide_from: 60.0,
        glide_to: 60.0,
        glide_pos: 1.0,
        glide_step: 0.0,
        gain: 1.0,
        volume: 1.0,
        pan: 0.5,
        tuning: 0.0,
        vibrato: 0.0,
        expression: 0.0,
        brightness: 0.0,
        mix: [1.0, 1.0],
        moved: false,
    };

    /// Whether the slot holds a voice that is heard.
    #[inline]
    pub fn is_active(&self) -> bool {
        self.phase != Phase::Free
    }

    fn sounding(&self) -> bool {
        matches!(self.phase, Phase::Held | Phase::Released)
    }

    fn glide_to(&mut self, from: f32, to: f32, glide_samples: f32) {
        self.glide_to = to;
        if glide_samples >= 1.0 && from != to {
            self.glide_from = from;
            self.glide_pos = 0.0;
            self.glide_step = 1.0 / glide_samples;
            self.pitch = from;
        } else {
            self.glide_from = to;
            self.glide_pos = 1.0;
            self.pitch = to;
        }
    }
}

/// The voice table. Audio thread; no method allocates.
pub(crate) struct Voices {
    slots: Box<[Voice; MAX_SLOTS]>,
    next_age: u64,
    /// The pitch of the last note started, where the next glide starts.
    last_pitch: f32,
    /// Held keys, oldest first (mono and legato modes).
    stack: [u8; NOTE_STACK],
    stack_len: usize,
    ends: [EndedNote; MAX_ENDS],
    ends_len: usize,
    /// Voice ends that did not fit in the report since the engine started.
    pub ends_dropped: u64,
    /// Frame within the current block, for stamping voice ends.
    pub now: u32,
}

impl Voices {
    /// An empty table. Allocates: call off the audio thread.
    pub fn new() -> Voices {
        Voices {
            slots: Box::new([Voice::FREE; MAX_SLOTS]),
            next_age: 0,
            last_pitch: 60.0,
            stack: [0; NOTE_STACK],
            stack_len: 0,
            ends: [EndedNote { time: 0, note: 0 }; MAX_ENDS],
            ends_len: 0,
            ends_dropped: 0,
            now: 0,
        }
    }

    /// Frees slot `i`, reporting its note as ended if it held one.
    pub fn end(&mut self, i: usize) {
        let v = &mut self.slots[i];
        if v.is_active() {
            let (note, moved) = (v.note, v.moved);
            *v = Voice::FREE;
            if moved {
                // The note goes on in another slot: its end is that voice's to report.
            } else if self.ends_len < MAX_ENDS {
                self.ends[self.ends_len] = EndedNote { time: self.now, note };
                self.ends_len += 1;
            } else {
                self.ends_dropped += 1;
            }
        }
    }

    /// The voices that ended since [`Voices::clear_ends`].
    pub fn ended(&self) -> &[EndedNote] {
        &self.ends[..self.ends_len]
    }

    /// Starts a new block's report of ended voices.
    pub fn clear_ends(&mut self) {
        self.ends_len = 0;
        self.now = 0;
    }

    /// Slot `i`.
    #[inline]
    pub fn get(&self, i: usize) -> &Voice {
        &self.slots[i]
    }

    /// Slot `i`, mutably.
    #[inline]
    pub fn get_mut(&mut self, i: usize) -> &mut Voice {
        &mut self.slots[i]
    }

    /// Voices that are heard (fading ones included).
    pub fn active_count(&self) -> usize {
        self.slots.iter().filter(|v| v.is_active()).count()
    }

    /// The keys of the voices still sounding (held or releasing; fading-out steals and moved voices do
    /// not count) as a 128-bit set: key `k` is bit `k % 64` of word `k / 64`. No allocation.
    pub fn sounding_notes(&self) -> [u64; 2] {
        let mut set = [0u64; 2];
        for v in self.slots.iter().filter(|v| v.sounding() && !v.moved) {
            set[(v.note as usize >> 6) & 1] |= 1u64 << (v.note & 63);
        }
        set
    }

    /// Whether any slot of lane group `group` holds a voice.
    #[inline]
    pub fn group_active(&self, group: usize) -> bool {
        self.slots[group * LANES..(group + 1) * LANES].iter().any(Voice::is_active)
    }

    /// A key goes down. `slots` is how many slots the schedule has (≤ [`MAX_SLOTS`]).
    pub fn note_on(&mut self, note: u8, velocity: f32, cfg: &VoiceConfig, slots: usize) {
        match cfg.mode {
            VoiceMode::Poly => self.poly_note_on(note, velocity, cfg, slots),
            VoiceMode::Mono | VoiceMode::Legato => self.mono_note_on(note, velocity, cfg),
        }
    }

    /// A key goes up. Returns nothing: voices release through their envelopes.
    pub fn note_off(&mut self, note: u8, cfg: &VoiceConfig, has_envelopes: bool) {
        match cfg.mode {
            VoiceMode::Poly => {
                for v in self.slots.iter_mut().filter(|v| v.phase == Phase::Held && v.note == note) {
                    release(v, has_envelopes);
                }
            }
            VoiceMode::Mono | VoiceMode::Legato => {
                // Notes a polyphonic patch left sounding in other slots before a swap release as they did.
                for v in self.slots[1..].iter_mut().filter(|v| v.phase == Phase::Held && v.note == note) {
                    release(v, has_envelopes);
                }
                self.mono_note_off(note, cfg, has_envelopes)
            }
        }
    }

    /// Every key goes up.
    pub fn all_notes_off(&mut self, has_envelopes: bool) {
        self.stack_len = 0;
        for v in self.slots.iter_mut().filter(|v| v.phase == Phase::Held) {
            release(v, has_envelopes);
        }
    }

    /// Polyphonic pressure on `note`.
    pub fn poly_pressure(&mut self, note: u8, value: f32) {
        self.expression(note, Expression::Pressure, value);
    }

    /// Sets a per-note expression on every sounding voice playing `note`; `value` is already clamped.
    pub fn expression(&mut self, note: u8, expression: Expression, value: f32) {
        for v in self.slots.iter_mut().filter(|v| v.sounding() && v.note == note) {
            let field = match expression {
                Expression::Volume => &mut v.volume,
                Expression::Pan => &mut v.pan,
                Expression::Tuning => &mut v.tuning,
                Expression::Vibrato => &mut v.vibrato,
                Expression::Expression => &mut v.expression,
                Expression::Brightness => &mut v.brightness,
                Expression::Pressure => &mut v.pressure,
            };
            *field = value;
        }
    }

    /// Moves the notes sounding in slots `slots..` into free slots below `slots`, as far as there are free
    /// ones, before a swap to a schedule with fewer slots: each continues in its new slot (starting afresh
    /// there), while its old slot only fades out. Returns how many moved.
    pub fn relocate_beyond(&mut self, slots: usize) -> usize {
        let slots = slots.min(MAX_SLOTS);
        let mut moved = 0;
        for i in slots..MAX_SLOTS {
            if !self.slots[i].sounding() {
                continue;
            }
            let Some(free) = self.slots[..slots].iter().position(|v| v.phase == Phase::Free) else { break };
            let old = &mut self.slots[i];
            let mut copy = *old;
            old.phase = Phase::Fading;
            old.moved = true;
            copy.start = true;
            copy.trigger = copy.phase == Phase::Held;
            copy.gain = 1.0;
            self.slots[free] = copy;
            moved += 1;
        }
        moved
    }

    /// Frees voices in slots `slots..` (after a swap to a schedule with fewer slots).
    pub fn truncate(&mut self, slots: usize) {
        for i in slots.min(MAX_SLOTS)..MAX_SLOTS {
            self.end(i);
        }
    }

    /// Advances glides in slots `0..slots` by `frames` samples.
    pub fn advance_glides(&mut self, slots: usize, frames: usize) {
        for v in self.slots[..slots].iter_mut().filter(|v| v.glide_pos < 1.0) {
            v.glide_pos = (v.glide_pos + v.glide_step * frames as f32).min(1.0);
            v.pitch = v.glide_from + (v.glide_to - v.glide_from) * v.glide_pos;
        }
    }

    fn poly_note_on(&mut self, note: u8, velocity: f32, cfg: &VoiceConfig, slots: usize) {
        let age = self.next_age();
        let pitch = note as f32;
        // The same key retriggers its voice.
        if let Some(v) = self.slots[..slots].iter_mut().find(|v| v.sounding() && v.note == note) {
            v.phase = Phase::Held;
            v.velocity = velocity;
            v.age = age;
            v.trigger = true;
            self.last_pitch = pitch;
            return;
        }
        // Steal until the new note fits: one voice normally, more after a swap to a smaller polyphony left
        // more notes sounding than it allows (bounded by the slots).
        let mut sounding = self.slots[..slots].iter().filter(|v| v.sounding()).count();
        while sounding >= cfg.polyphony {
            let Some(victim) = self.steal_candidate(cfg.steal, slots) else { return };
            self.slots[victim].phase = Phase::Fading;
            sounding -= 1;
        }
        let slot = match self.slots[..slots].iter().position(|v| v.phase == Phase::Free) {
            Some(slot) => slot,
            // Every spare slot is still fading (many steals within a few milliseconds): cut the quietest.
            None => match self.quietest_fading(slots) {
                Some(slot) => {
                    self.end(slot);
                    slot
                }
                None => return,
            },
        };
        let from = self.last_pitch;
        let v = &mut self.slots[slot];
        *v = Voice { phase: Phase::Held, note, velocity, age, start: true, trigger: true, ..Voice::FREE };
        v.glide_to(from, pitch, cfg.glide_samples);
        self.last_pitch = pitch;
    }

    fn steal_candidate(&self, policy: StealPolicy, slots: usize) -> Option<usize> {
        let sounding = || self.slots[..slots].iter().enumerate().filter(|(_, v)| v.sounding());
        let oldest = |phase: Option<Phase>| {
            sounding().filter(|(_, v)| phase.is_none_or(|p| v.phase == p)).min_by_key(|(_, v)| v.age).map(|(i, _)| i)
        };
        match policy {
            StealPolicy::ReleasedThenOldest => oldest(Some(Phase::Released)).or_else(|| oldest(None)),
            StealPolicy::Oldest => oldest(None),
            StealPolicy::Lowest => sounding().min_by_key(|(_, v)| (v.note, v.age)).map(|(i, _)| i),
            StealPolicy::Highest => sounding().max_by_key(|(_, v)| (v.note, u64::MAX - v.age)).map(|(i, _)| i),
            StealPolicy::Never => None,
        }
    }

    fn quietest_fading(&self, slots: usize) -> Option<usize> {
        self.slots[..slots]
            .iter()
            .enumerate()
            .filter(|(_, v)| v.phase == Phase::Fading)
            .min_by(|a, b| a.1.gain.total_cmp(&b.1.gain))
            .map(|(i, _)| i)
    }

    fn next_age(&mut self) -> u64 {
        self.next_age += 1;
        self.next_age
    }

    fn mono_note_on(&mut self, note: u8, velocity: f32, cfg: &VoiceConfig) {
        let age = self.next_age();
        // One voice, as a fresh load has: notes a polyphonic patch left sounding in other slots before a swap
        // fade out as a steal would.
        for v in self.slots[1..].iter_mut().filter(|v| v.sounding()) {
            v.phase = Phase::Fading;
        }
        let overlapping = self.stack_len > 0;
        self.stack_remove(note);
        if self.stack_len == NOTE_STACK {
            self.stack.copy_within(1.., 0);
            self.stack_len -= 1;
        }
        self.stack[self.stack_len] = note;
        self.stack_len += 1;

        let v = &mut self.slots[0];
        let pitch = note as f32;
        let from = if v.is_active() { v.pitch } else { self.last_pitch };
        let fresh = !v.is_active();
        let legato = cfg.mode == VoiceMode::Legato && overlapping && v.phase == Phase::Held;
        if fresh {
            *v = Voice { ..Voice::FREE };
            v.start = true;
        }
        v.phase = Phase::Held;
        v.note = note;
        v.velocity = if legato { v.velocity } else { velocity };
        v.age = age;
        v.trigger |= !legato;
        v.gain = 1.0;
        // Mono glides between any two notes; legato only between overlapping ones.
        let glide = if cfg.mode == VoiceMode::Mono || legato { cfg.glide_samples } else { 0.0 };
        v.glide_to(from, pitch, glide);
        self.last_pitch = pitch;
    }

    fn mono_note_off(&mut self, note: u8, cfg: &VoiceConfig, has_envelopes: bool) {
        self.stack_remove(note);
        let v = &mut self.slots[0];
        if v.phase != Phase::Held || v.note != note {
            return;
        }
        if self.stack_len > 0 {
            // Return to the last key still held.
            let back = self.stack[self.stack_len - 1];
            let from = v.pitch;
            v.note = back;
            v.trigger |= cfg.mode == VoiceMode::Mono;
            v.glide_to(from, back as f32, cfg.glide_samples);
            self.last_pitch = back as f32;
        } else {
            release(v, has_envelopes);
        }
    }

    fn stack_remove(&mut self, note: u8) {
        if let Some(i) = self.stack[..self.stack_len].iter().position(|&n| n == note) {
            self.stack.copy_within(i + 1..self.stack_len, i);
            self.stack_len -= 1;
        }
    }
}

/// Releases a held voice: its envelopes take over, or with none it fades out.
fn release(v: &mut Voice, has_envelopes: bool) {
    v.phase = if has_envelopes { Phase::Released } else { Phase::Fading };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poly(polyphony: usize, steal: StealPolicy) -> VoiceConfig {
        VoiceConfig { polyphony, mode: VoiceMode::Poly, glide_samples: 0.0, steal, bend_range: 2.0 }
    }

    fn notes(v: &Voices, phase: Phase) -> Vec<u8> {
        let mut n: Vec<u8> = v.slots.iter().filter(|s| s.phase == phase).map(|s| s.note).collect();
        n.sort();
        n
    }

    #[test]
    fn a_fifth_note_steals_the_released_voice_first() {
        let cfg = poly(4, StealPolicy::ReleasedThenOldest);
        let mut v = Voices::new();
        for n in [60, 62, 64, 65] {
            v.note_on(n, 1.0, &cfg, 16);
        }
        v.note_off(64, &cfg, true);
        v.note_on(67, 1.0, &cfg, 16);
        assert_eq!(notes(&v, Phase::Fading), vec![64]);
        assert_eq!(notes(&v, Phase::Held), vec![60, 62, 65, 67]);
    }

    #[test]
    fn with_nothing_released_the_oldest_is_stolen() {
        let cfg = poly(4, StealPolicy::ReleasedThenOldest);
        let mut v = Voices::new();
        for n in [60, 62, 64, 65, 67] {
            v.note_on(n, 1.0, &cfg, 16);
        }
        assert_eq!(notes(&v, Phase::Fading), vec![60]);
    }

    #[test]
    fn the_same_key_retriggers_its_own_voice() {
        let cfg = poly(4, StealPolicy::ReleasedThenOldest);
        let mut v = Voices::new();
        v.note_on(60, 1.0, &cfg, 16);
        v.note_off(60, &cfg, true);
        v.slots[0].trigger = false;
        v.slots[0].start = false;
        v.note_on(60, 0.5, &cfg, 16);
        assert_eq!(v.active_count(), 1);
        assert!(v.slots[0].trigger && !v.slots[0].start, "retriggered, not restarted");
        assert_eq!(v.slots[0].phase, Phase::Held);
    }

    #[test]
    fn after_a_swap_to_a_smaller_polyphony_new_notes_steal_until_they_fit() {
        // Three notes held at polyphony 8; the patch now says 2 (same 16 slots).
        let mut v = Voices::new();
        for n in [60, 64, 67] {
            v.note_on(n, 1.0, &poly(8, StealPolicy::ReleasedThenOldest), 16);
        }
        let two = poly(2, StealPolicy::ReleasedThenOldest);
        v.note_on(72, 1.0, &two, 16);
        assert_eq!(notes(&v, Phase::Held), vec![67, 72], "the newest held note and the new one");
        assert_eq!(notes(&v, Phase::Fading), vec![60, 64], "the two oldest fade out as steals");
        v.note_on(74, 1.0, &two, 16);
        assert_eq!(notes(&v, Phase::Held), vec![72, 74]);
    }

    #[test]
    fn after_a_swap_to_mono_the_next_note_fades_the_others_and_old_keys_still_release() {
        let mut v = Voices::new();
        for n in [60, 64] {
            v.note_on(n, 1.0, &poly(8, StealPolicy::ReleasedThenOldest), 16);
        }
        let mono = VoiceConfig {
            polyphony: 1,
            mode: VoiceMode::Mono,
            glide_samples: 0.0,
            steal: StealPolicy::Oldest,
            bend_range: 2.0,
        };
        v.note_off(64, &mono, true);
        assert_eq!(notes(&v, Phase::Released), vec![64], "a key the poly patch held releases its voice");
        v.note_on(67, 1.0, &mono, 8);
        assert_eq!(notes(&v, Phase::Held), vec![67]);
        assert_eq!(notes(&v, Phase::Fading), vec![64], "the other voice fades as a steal would");
    }

    #[test]
    fn never_policy_drops_the_new_note() {
        let cfg = poly(2, StealPolicy::Never);
        let mut v = Voices::new();
        for n in [60, 62, 64] {
            v.note_on(n, 1.0, &cfg, 16);
        }
        assert_eq!(notes(&v, Phase::Held), vec![60, 62]);
    }

    #[test]
    fn lowest_and_highest_policies_pick_by_pitch() {
        for (policy, victim) in [(StealPolicy::Lowest, 55), (StealPolicy::Highest, 72)] {
            let cfg = poly(3, policy);
            let mut v = Voices::new();
            for n in [60, 72, 55, 64] {
                v.note_on(n, 1.0, &cfg, 16);
            }
            assert_eq!(notes(&v, Phase::Fading), vec![victim], "{policy:?}");
        }
    }

    #[test]
    fn legato_returns_to_the_held_key_without_retrigger() {
        let cfg = VoiceConfig {
            polyphony: 1,
            mode: VoiceMode::Legato,
            glide_samples: 100.0,
            steal: StealPolicy::Oldest,
            bend_range: 2.0,
        };
        let mut v = Voices::new();
        v.note_on(60, 1.0, &cfg, 8);
        v.slots[0].trigger = false;
        v.slots[0].start = false;
        v.note_on(67, 1.0, &cfg, 8);
        assert!(!v.slots[0].trigger, "legato note does not retrigger");
        v.advance_glides(8, 50);
        assert!((v.slots[0].pitch - 63.5).abs() < 1e-3, "halfway through the glide: {}", v.slots[0].pitch);
        v.note_off(67, &cfg, true);
        assert_eq!(v.slots[0].note, 60);
        assert_eq!(v.slots[0].phase, Phase::Held);
        v.note_off(60, &cfg, true);
        assert_eq!(v.slots[0].phase, Phase::Released);
    }

    #[test]
    fn mono_retriggers_every_note() {
        let cfg = VoiceConfig {
            polyphony: 1,
            mode: VoiceMode::Mono,
            glide_samples: 0.0,
            steal: StealPolicy::Oldest,
            bend_range: 2.0,
        };
        let mut v = Voices::new();
        v.note_on(60, 1.0, &cfg, 8);
        v.slots[0].trigger = false;
        v.note_on(62, 1.0, &cfg, 8);
        assert!(v.slots[0].trigger);
        assert_eq!(v.slots[0].pitch, 62.0);
        assert_eq!(v.active_count(), 1);
    }
}
