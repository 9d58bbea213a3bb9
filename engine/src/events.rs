//! Events the engine applies at exact sample offsets: notes, controllers, pressure, macros and exposed
//! parameters.

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
    /// An exposed parameter moves (the patch's `params` section). `position` is the host control's
    /// position 0..=1, mapped onto the parameter's range (logarithmically for hertz and seconds); the
    /// parameter glides there through its own smoother. The engine keeps the position across reloads of
    /// the same patch.
    Param {
        /// Exposed parameter index, 0..=15, in the patch's order.
        index: u8,
        /// Control position, 0..=1.
        position: f32,
    },
    /// Every key goes up (sustained voices release normally).
    AllNotesOff,
    /// A per-note expression (CLAP note expressions, MPE's per-channel bend, pressure and timbre) on every
    /// voice playing `note`. A new note starts with every expression at rest.
    NoteExpression {
        /// MIDI note number of the voices it applies to.
        note: u8,
        /// Which expression.
        expression: Expression,
        /// Its value, in the range [`Expression`] gives for it.
        value: f32,
    },
}

/// What a [`EventKind::NoteExpression`] changes on a voice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expression {
    /// Loudness as a gain factor, `0.0..=4.0` (1 = unchanged; CLAP's volume expression). Rest: 1.
    Volume,
    /// Stereo position, `0.0..=1.0` (0 left, 0.5 centre, 1 right), equal-power with the centre at unity.
    /// Rest: 0.5.
    Pan,
    /// Pitch offset in semitones, `-120.0..=120.0` (MPE per-note bend arrives here). Rest: 0.
    Tuning,
    /// `0.0..=1.0`, read by the `note_vibrato` modulation source. Rest: 0.
    Vibrato,
    /// `0.0..=1.0`, read by the `note_expression` modulation source. Rest: 0.
    Expression,
    /// `0.0..=1.0` (MPE timbre, CC 74 on a member channel), read by the `timbre` source. Rest: 0.
    Brightness,
    /// `0.0..=1.0`: the voice's own pressure, the same value polyphonic aftertouch sets (`aftertouch`
    /// source). Rest: 0.
    Pressure,
}

impl Expression {
    /// The range a value is clamped to.
    pub fn range(self) -> (f32, f32) {
        match self {
            Expression::Volume => (0.0, 4.0),
            Expression::Tuning => (-120.0, 120.0),
            _ => (0.0, 1.0),
        }
    }
}
