//! Ferrule's plugin window: the patch as a graph, the patch file and its reload result (opened from a
//! path field, the user patch folder or, where the desktop has one, a file dialog), eight macro knobs, the
//! master volume and a knob for each parameter the patch exposes, live meters (voices and their notes, CPU load, level, an oscilloscope, and a banner
//! while a runaway patch is muted) and an on-screen keyboard.
//!
//! The window is pure egui and knows nothing of plugin formats or threads. The plugin adapter feeds an
//! [`EditorState`] with [`Snapshot`]s of what the instrument is doing and drains the [`Intent`]s the user
//! produced ([`EditorState::take_intents`]): parameter changes with begin/end gestures, a patch file to
//! load, a rollback, notes from the on-screen keyboard. So the editor never touches the engine, and the
//! headless tests drive the same code a host shows.
//!
//! With the `window` feature, [`window`] opens the real thing: an egui-baseview OpenGL window embedded
//! in a host's X11 window, with an [`window::EditorLink`] between it and the adapter's main thread.

pub mod app;
pub mod graph;
pub mod intent;
pub mod keyboard;
pub mod knob;
pub mod snapshot;

pub use app::{EditorState, FilePicker};
pub use graph::{GraphLayout, PlacedNode, PlacedRoute, PlacedWire, layout};
pub use intent::{EditorParam, Intent};
pub use snapshot::{ExposedView, MASTER_RANGE_DB, MacroView, ReloadView, Snapshot};
#[cfg(feature = "window")]
pub mod window;
