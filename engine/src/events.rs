//! Events the engine applies at exact sample offsets: notes, controllers, pressure and macros.

/// One event, at a frame offset within the block passed to [`crate::Engine::process`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    /// Frame offset from the block's first frame. Events must be sorted by `time`; an offset at or past
    /// the block's end is applied at its last frame.
    pub time: u32,
    /// What happens.
    pub kind: EventKind,
}

/// What an [`Event`] does. Values are normalised so that MIDI, CLAP and VST3 all map onto them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EventKind {
    /// A key goes down. `note` is the MIDI note number (60 = C4), `velocity` 0..=1 (0 means note-off,
    /// as in MIDI).
    NoteOn {
        /// MIDI note number, 0..=127.
        note: u8,
        /// Velocity, 0..=1.
        velocity: f32,
    },
    /// A key goes up.
    NoteOff {
        /// MIDI note number, 0..=127.
        note: u8,
    },
    /// Pitch bend, −1..=1 (scaled by the patch's bend range).
    PitchBend {
        /// −1..=1.
        value: f32,
    },
    /// A MIDI controller moves. CC 1 is also the `modwheel` source.
    ControlChange {
        /// Controller number, 0..=127.
        cc: u8,
        /// 0..=1.
        value: f32,
    },
    /// Channel pressure (aftertouch for all notes), 0..=1.
    ChannelPressure {
        /// 0..=1.
        value: f32,
    },
    /// Polyphonic pressure on one note, 0..=1.
    PolyPressure {
        /// MIDI note number.
        note: u8,
        /// 0..=1.
        value: f32,
    },
    /// A macro moves. `value` is the control's position 0..=1, mapped onto the macro's range.
    Macro {
        /// Macro index, 0..=7, in the patch's order.
        index: u8,
        /// Control position, 0..=1.
        value: f32,
    },
    /// Every key goes up (sustained voices release normally).
    AllNotesOff,
}
