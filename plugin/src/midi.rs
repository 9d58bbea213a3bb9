//! MIDI 1.0 messages (CLAP's MIDI and MIDI-MPE dialects, and any format that hands raw bytes) into engine
//! events.
//!
//! Plain MIDI drives the engine's shared controllers: pitch bend, channel pressure and CCs move every
//! voice. **MPE** (MIDI Polyphonic Expression) turns on when an MPE controller announces a lower zone with
//! the MPE Configuration Message (RPN 6 on channel 1 with a member-channel count). Then each note on a
//! member channel (2 up to 1 + members) owns that channel: its pitch bend (±48 semitones unless RPN 0 on
//! the channel says otherwise), channel pressure and CC 74 become that note's tuning, pressure and timbre
//! expressions, while channel 1 stays shared.
//!
//! The state is a few fixed arrays: translating never allocates (audio thread).

use ferrule_engine::{EventKind, Expression};

use crate::core::{AudioCore, NoteTag};

/// MPE's default member-channel pitch-bend range, in semitones.
const MPE_BEND_RANGE: f32 = 48.0;

/// What one MIDI message asks of the audio core.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action {
    /// A key goes down (with who played it, for note-end reports).
    NoteOn { key: u8, velocity: f32, tag: NoteTag },
    /// Any other engine event.
    Event(EventKind),
}

/// Most actions one message produces (an MPE note-on brings its channel's bend, pressure and timbre).
pub const MAX_ACTIONS: usize = 4;

/// MIDI input state for one plugin instance: RPN selection per channel and the MPE zone. Audio thread.
#[derive(Clone, Debug)]
pub struct MidiInput {
    /// Selected RPN (MSB, LSB) per channel; 127/127 is "none".
    rpn: [(u8, u8); 16],
    /// Member channels of the MPE lower zone (0: MPE off).
    members: u8,
    /// Pitch-bend range in semitones per member channel.
    bend_range: [f32; 16],
    /// The key playing on each member channel, if any.
    key: [Option<u8>; 16],
    /// The latest bend (semitones), pressure and timbre per member channel, applied to a note that starts
    /// there (MPE controllers send them just before the note).
    tuning: [f32; 16],
    pressure: [f32; 16],
    timbre: [f32; 16],
}

impl Default for MidiInput {
    fn default() -> MidiInput {
        MidiInput {
            rpn: [(127, 127); 16],
            members: 0,
            bend_range: [MPE_BEND_RANGE; 16],
            key: [None; 16],
            tuning: [0.0; 16],
            pressure: [0.0; 16],
            timbre: [0.0; 16],
        }
    }
}

impl MidiInput {
    /// Translates one three-byte message into at most [`MAX_ACTIONS`] actions written to `out`; returns how
    /// many. Unknown messages produce none.
    pub fn translate(&mut self, data: [u8; 3], out: &mut [Action; MAX_ACTIONS]) -> usize {
        let (status, d1, d2) = (data[0] & 0xf0, data[1] & 0x7f, data[2] & 0x7f);
        let ch = (data[0] & 0x0f) as usize;
        let unit = |v: u8| v as f32 / 127.0;
        let member = self.members > 0 && ch >= 1 && ch <= self.members as usize;
        let mut n = 0;
        let mut emit = |a: Action| {
            if n < MAX_ACTIONS {
                out[n] = a;
                n += 1;
            }
        };
        let expression = |key: u8, expression: Expression, value: f32| {
            Action::Event(EventKind::NoteExpression { note: key, expression, value })
        };
        match status {
            0x90 if d2 > 0 => {
                emit(Action::NoteOn {
                    key: d1,
                    velocity: unit(d2),
                    tag: NoteTag { channel: ch as i16, ..NoteTag::UNKNOWN },
                });
                if member {
                    self.key[ch] = Some(d1);
                    emit(expression(d1, Expression::Tuning, self.tuning[ch]));
                    emit(expression(d1, Expression::Pressure, self.pressure[ch]));
                    emit(expression(d1, Expression::Brightness, self.timbre[ch]));
                }
            }
            0x80 | 0x90 => {
                if member && self.key[ch] == Some(d1) {
                    self.key[ch] = None;
                }
                emit(Action::Event(EventKind::NoteOff { note: d1 }));
            }
            0xa0 => emit(Action::Event(EventKind::PolyPressure { note: d1, value: unit(d2) })),
            0xb0 => match d1 {
                123 => emit(Action::Event(EventKind::AllNotesOff)),
                101 => self.rpn[ch].0 = d2,
                100 => self.rpn[ch].1 = d2,
                6 if self.rpn[ch] == (0, 6) && ch == 0 => {
                    // MPE Configuration Message: the lower zone's member-channel count (0 turns MPE off).
                    self.members = d2.min(15);
                    self.key = [None; 16];
                }
                6 if self.rpn[ch] == (0, 0) && member => self.bend_range[ch] = d2 as f32,
                74 if member => {
                    self.timbre[ch] = unit(d2);
                    if let Some(key) = self.key[ch] {
                        emit(expression(key, Expression::Brightness, unit(d2)));
                    }
                }
                _ => emit(Action::Event(EventKind::ControlChange { cc: d1, value: unit(d2) })),
            },
            0xd0 if member => {
                self.pressure[ch] = unit(d1);
                if let Some(key) = self.key[ch] {
                    emit(expression(key, Expression::Pressure, unit(d1)));
                }
            }
            0xd0 => emit(Action::Event(EventKind::ChannelPressure { value: unit(d1) })),
            0xe0 => {
                let bend = ((((d2 as i32) << 7 | d1 as i32) - 8192) as f32 / 8192.0).max(-1.0);
                if member {
                    self.tuning[ch] = bend * self.bend_range[ch];
                    if let Some(key) = self.key[ch] {
                        emit(expression(key, Expression::Tuning, self.tuning[ch]));
                    }
                } else {
                    emit(Action::Event(EventKind::PitchBend { value: bend }));
                }
            }
            _ => {}
        }
        n
    }
}

/// Applies one three-byte MIDI message at frame `time` through the core's MIDI state. Audio thread.
pub fn translate(core: &mut AudioCore, time: u32, data: [u8; 3]) {
    core.midi(time, data);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &mut MidiInput, data: [u8; 3]) -> Vec<Action> {
        let mut out = [Action::Event(EventKind::AllNotesOff); MAX_ACTIONS];
        let n = input.translate(data, &mut out);
        out[..n].to_vec()
    }

    fn tuning(actions: &[Action]) -> Option<f32> {
        actions.iter().find_map(|a| match a {
            Action::Event(EventKind::NoteExpression { expression: Expression::Tuning, value, .. }) => Some(*value),
            _ => None,
        })
    }

    #[test]
    fn without_mpe_bend_and_pressure_are_shared() {
        let mut m = MidiInput::default();
        run(&mut m, [0x91, 60, 100]);
        assert_eq!(run(&mut m, [0xe1, 0, 0x60]), vec![Action::Event(EventKind::PitchBend { value: 0.5 })]);
        assert_eq!(run(&mut m, [0xd1, 127, 0]), vec![Action::Event(EventKind::ChannelPressure { value: 1.0 })]);
    }

    #[test]
    fn an_mpe_zone_turns_member_channel_bend_into_that_notes_tuning() {
        let mut m = MidiInput::default();
        for msg in [[0xb0, 101, 0], [0xb0, 100, 6], [0xb0, 6, 15]] {
            run(&mut m, msg);
        }
        assert_eq!(m.members, 15, "the zone has fifteen member channels");
        // Bend before the note (as MPE controllers send it) comes with the note.
        run(&mut m, [0xe2, 0, 0x60]);
        let on = run(&mut m, [0x92, 64, 100]);
        assert_eq!(tuning(&on), Some(24.0), "half bend up of ±48 semitones: {on:?}");
        let bend = run(&mut m, [0xe2, 0, 0x20]);
        assert_eq!(tuning(&bend), Some(-24.0));
        // Channel 1 stays the shared master channel.
        assert_eq!(run(&mut m, [0xe0, 0, 0x60]), vec![Action::Event(EventKind::PitchBend { value: 0.5 })]);
        // RPN 0 sets a member channel's bend range.
        for msg in [[0xb2, 101, 0], [0xb2, 100, 0], [0xb2, 6, 2]] {
            run(&mut m, msg);
        }
        assert_eq!(tuning(&run(&mut m, [0xe2, 0x7f, 0x7f])), Some(2.0 * 8191.0 / 8192.0));
    }

    #[test]
    fn member_pressure_and_cc74_are_per_note() {
        let mut m = MidiInput::default();
        for msg in [[0xb0, 101, 0], [0xb0, 100, 6], [0xb0, 6, 4]] {
            run(&mut m, msg);
        }
        run(&mut m, [0x93, 67, 90]);
        let pressure = run(&mut m, [0xd3, 127, 0]);
        assert_eq!(
            pressure,
            vec![Action::Event(EventKind::NoteExpression { note: 67, expression: Expression::Pressure, value: 1.0 })]
        );
        let timbre = run(&mut m, [0xb3, 74, 0]);
        assert_eq!(
            timbre,
            vec![Action::Event(EventKind::NoteExpression { note: 67, expression: Expression::Brightness, value: 0.0 })]
        );
        // Channel 6 is outside a four-channel zone: shared as usual.
        assert_eq!(run(&mut m, [0xd5, 127, 0]), vec![Action::Event(EventKind::ChannelPressure { value: 1.0 })]);
    }
}
