//! The computer keyboard as a note keyboard: two rows laid out like a piano's white and black keys.
//!
//! ```text
//!  s d   g h j   l ;        black keys
//! z x c v b n m , . /       white keys: C D E F G A B C D E
//! ```
//! `-` and `=` shift the octave, space releases every note, `q` or Esc quits.
//!
//! Terminals that report key releases (the kitty keyboard protocol: kitty, foot, WezTerm, Ghostty) hold a
//! note while its key is down. Others report only presses and auto-repeats, so there a note is held until
//! [`HOLD_WITHOUT_RELEASES`] after its key's last press or repeat.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ferrule_engine::EventKind;

/// How long a note sounds after its last press or auto-repeat when the terminal does not report releases.
/// Longer than a terminal's auto-repeat delay (usually 250–600 ms), so a held key keeps its note.
pub const HOLD_WITHOUT_RELEASES: Duration = Duration::from_millis(650);

/// The lowest octave's C, as a MIDI note, at octave shift 0 (C3 = 48 … C4 = 60).
const BASE_NOTE: i32 = 48;

/// Semitones above the keyboard's C for a note key; `None` for other keys.
pub fn semitone(c: char) -> Option<i32> {
    const KEYS: &str = "zsxdcvgbhnjm,l.;/";
    KEYS.chars().position(|k| k == c.to_ascii_lowercase()).map(|i| i as i32)
}

/// What a key asks the player to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Quit the player.
    Quit,
    /// Nothing (a key that means nothing, or a repeat of a held note when releases are reported).
    None,
}

/// The computer keyboard's notes: which are held, and until when.
pub struct Keyboard {
    octave: i32,
    releases_reported: bool,
    /// Held notes, with the instant they end when releases are not reported.
    held: Vec<(u8, Option<Instant>)>,
}

impl Keyboard {
    /// A keyboard at the middle octave. `releases_reported`: whether the terminal sends key releases.
    pub fn new(releases_reported: bool) -> Keyboard {
        Keyboard { octave: 0, releases_reported, held: Vec::new() }
    }

    /// The current octave shift, in octaves from C3.
    pub fn octave(&self) -> i32 {
        self.octave
    }

    /// Handles one key event, sending note events to `send`. Main thread.
    pub fn key(&mut self, key: KeyEvent, now: Instant, mut send: impl FnMut(EventKind)) -> Action {
        let ctrl_c = key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        if matches!(key.code, KeyCode::Esc | KeyCode::Char('q')) || ctrl_c {
            return if key.kind == KeyEventKind::Release { Action::None } else { Action::Quit };
        }
        let KeyCode::Char(c) = key.code else { return Action::None };
        if key.kind == KeyEventKind::Press {
            match c {
                '-' => self.octave = (self.octave - 1).max(-3),
                '=' | '+' => self.octave = (self.octave + 1).min(4),
                ' ' => {
                    for (note, _) in self.held.drain(..) {
                        send(EventKind::NoteOff { note });
                    }
                }
                _ => {}
            }
        }
        let Some(step) = semitone(c) else { return Action::None };
        let note = (BASE_NOTE + 12 * self.octave + step).clamp(0, 127) as u8;
        let until = (!self.releases_reported).then(|| now + HOLD_WITHOUT_RELEASES);
        let held = self.held.iter().position(|h| h.0 == note);
        match (key.kind, held) {
            (KeyEventKind::Release, Some(i)) => {
                self.held.remove(i);
                send(EventKind::NoteOff { note });
            }
            (KeyEventKind::Release, None) => {}
            (_, Some(i)) => self.held[i].1 = until,
            (_, None) => {
                self.held.push((note, until));
                send(EventKind::NoteOn { note, velocity: 0.8 });
            }
        }
        Action::None
    }

    /// Releases notes whose hold has run out (terminals without release events). Main thread.
    pub fn tick(&mut self, now: Instant, mut send: impl FnMut(EventKind)) {
        self.held.retain(|&(note, until)| {
            let keep = until.is_none_or(|t| now < t);
            if !keep {
                send(EventKind::NoteOff { note });
            }
            keep
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn release(c: char) -> KeyEvent {
        KeyEvent::new_with_kind(KeyCode::Char(c), KeyModifiers::NONE, KeyEventKind::Release)
    }

    #[test]
    fn the_rows_play_a_chromatic_scale_from_c3() {
        let mut k = Keyboard::new(true);
        let mut got = Vec::new();
        let now = Instant::now();
        for c in "zsxdcvgbhnjm,".chars() {
            k.key(press(c), now, |e| got.push(e));
        }
        let notes: Vec<u8> =
            got.iter().map(|e| if let EventKind::NoteOn { note, .. } = e { *note } else { 0 }).collect();
        assert_eq!(notes, (48..=60).collect::<Vec<u8>>());
    }

    #[test]
    fn octave_keys_shift_and_releases_end_notes() {
        let mut k = Keyboard::new(true);
        let mut got = Vec::new();
        let now = Instant::now();
        k.key(press('='), now, |e| got.push(e));
        k.key(press('z'), now, |e| got.push(e));
        k.key(press('z'), now, |e| got.push(e)); // a repeat does not retrigger
        k.key(release('z'), now, |e| got.push(e));
        assert_eq!(got, [EventKind::NoteOn { note: 60, velocity: 0.8 }, EventKind::NoteOff { note: 60 }]);
        assert_eq!(k.key(press('q'), now, |_| {}), Action::Quit);
    }

    #[test]
    fn without_releases_a_note_ends_after_its_last_repeat() {
        let mut k = Keyboard::new(false);
        let mut got = Vec::new();
        let t0 = Instant::now();
        k.key(press('z'), t0, |e| got.push(e));
        k.key(press('z'), t0 + Duration::from_millis(500), |e| got.push(e)); // auto-repeat keeps it
        k.tick(t0 + Duration::from_millis(1000), |e| got.push(e));
        assert_eq!(got.len(), 1, "still held");
        k.tick(t0 + Duration::from_millis(1200), |e| got.push(e));
        assert_eq!(got, [EventKind::NoteOn { note: 48, velocity: 0.8 }, EventKind::NoteOff { note: 48 }]);
    }
}
