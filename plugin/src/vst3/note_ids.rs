//! Which key each of the host's VST3 note ids is playing, so a note expression (which names a `noteId`,
//! never a key) reaches the right voice.
//!
//! Hand-written and fixed-size because it lives on the audio thread: one slot per MIDI key (the engine
//! plays one voice per key, so a key has at most one live id), filled on note-on. A released key keeps its
//! id until the key is struck again: hosts go on sending expressions while a note rings out (a tuning
//! glide through the release), and they reach the releasing voice. Once the voice has ended, an expression
//! for its id finds no voice on the key and does nothing; a new note on the key brings its own id.
//! A lookup scans the 128 slots: bounded, no allocation, no hashing.

/// The "no id" value of VST3's `noteId` fields.
const NONE: i32 = -1;

/// The host's note id held by each key, or −1. Audio thread.
#[derive(Clone, Debug)]
pub struct NoteIds {
    ids: [i32; 128],
}

impl Default for NoteIds {
    fn default() -> NoteIds {
        NoteIds { ids: [NONE; 128] }
    }
}

impl NoteIds {
    /// `key` started playing under the host's `note_id` (−1: the host gave none, and expressions cannot
    /// reach the note). An id still held by another key (a host reusing ids too early) moves here.
    pub fn note_on(&mut self, key: u8, note_id: i32) {
        if note_id != NONE {
            self.forget(note_id);
        }
        if let Some(slot) = self.ids.get_mut(key as usize) {
            *slot = note_id;
        }
    }

    /// The key the host's `note_id` is playing; `None` for −1 or an id no held key has.
    pub fn key(&self, note_id: i32) -> Option<u8> {
        if note_id == NONE {
            return None;
        }
        self.ids.iter().position(|&id| id == note_id).map(|key| key as u8)
    }

    /// Clears every slot holding `note_id`.
    fn forget(&mut self, note_id: i32) {
        for id in self.ids.iter_mut().filter(|id| **id == note_id) {
            *id = NONE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_notes_on_and_off() {
        let mut ids = NoteIds::default();
        ids.note_on(69, 7);
        ids.note_on(60, 8);
        assert_eq!((ids.key(7), ids.key(8), ids.key(9)), (Some(69), Some(60), None));
        // Released notes keep their id: the voice may still be ringing out.
        assert_eq!(ids.key(7), Some(69));
        ids.note_on(64, 8);
        assert_eq!(ids.key(8), Some(64), "an id reused by another key moves to it");
        ids.note_on(64, 9);
        assert_eq!((ids.key(8), ids.key(9)), (None, Some(64)), "a retriggered key takes the new id");
        ids.note_on(50, -1);
        assert_eq!(ids.key(-1), None, "no id never names a note");
    }
}
