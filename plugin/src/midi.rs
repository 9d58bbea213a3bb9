//! MIDI 1.0 messages (CLAP's MIDI dialect, and any format that hands raw bytes) into engine events.

use ferrule_engine::EventKind;

use crate::core::{AudioCore, NoteTag};

/// Applies one three-byte MIDI message at frame `time`. Unknown messages are ignored.
pub fn translate(core: &mut AudioCore, time: u32, data: [u8; 3]) {
    let (status, d1, d2) = (data[0] & 0xf0, data[1] & 0x7f, data[2] & 0x7f);
    let channel = (data[0] & 0x0f) as i16;
    let unit = |v: u8| v as f32 / 127.0;
    match status {
        0x90 if d2 > 0 => core.note_on(time, d1, unit(d2), NoteTag { channel, ..NoteTag::UNKNOWN }),
        0x80 | 0x90 => core.event(time, EventKind::NoteOff { note: d1 }),
        0xa0 => core.event(time, EventKind::PolyPressure { note: d1, value: unit(d2) }),
        0xb0 if d1 == 123 => core.event(time, EventKind::AllNotesOff),
        0xb0 => core.event(time, EventKind::ControlChange { cc: d1, value: unit(d2) }),
        0xd0 => core.event(time, EventKind::ChannelPressure { value: unit(d1) }),
        0xe0 => {
            let bend = ((d2 as i32) << 7 | d1 as i32) - 8192;
            core.event(time, EventKind::PitchBend { value: (bend as f32 / 8192.0).max(-1.0) });
        }
        _ => {}
    }
}
