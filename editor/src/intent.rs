//! What the user asked for in the editor, for the plugin adapter to carry out on its main thread.

use std::path::PathBuf;

/// A host parameter the editor can move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditorParam {
    /// Macro `n` (0-based, 0..8); value is its position 0..=1.
    Macro(usize),
    /// Master volume; value in dB.
    Master,
    /// The patch's exposed parameter in slot `n` (0-based, 0..16, the `n`-th entry of its `params:`
    /// section); value is its control position 0..=1 (host id `101 + n`).
    Exposed(usize),
}

/// One request from the editor. Produced on the editor's thread, carried out by the adapter on the
/// host's main thread (notes go on to the audio thread through the adapter's lock-free queue).
#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    /// The user grabbed a control: tell the host a gesture on `param` begins (for automation recording).
    BeginGesture(EditorParam),
    /// Set `param` to `value` (position 0..=1 for macros and exposed parameters, dB for the master),
    /// inside a gesture.
    SetParam(EditorParam, f64),
    /// The user let go of the control.
    EndGesture(EditorParam),
    /// Play and watch the patch file at this path.
    LoadFile(PathBuf),
    /// Return to the last patch that compiled (the file on disk is left alone).
    Rollback,
    /// Start a note: MIDI key 0..=127, velocity 0..=1.
    NoteOn {
        /// MIDI key number.
        key: u8,
        /// Velocity 0..=1.
        velocity: f32,
    },
    /// Release a note started with [`Intent::NoteOn`].
    NoteOff {
        /// MIDI key number.
        key: u8,
    },
}
