//! Ferrule's engine: compiles RON patches off the audio thread into flat, preallocated schedules and plays
//! them in real time.
//!
//! - [`compile()`] turns a [`PatchSource`] into a [`Schedule`] or [`Diagnostics`] (any thread but audio).
//! - [`Engine`] plays a schedule on the audio thread; [`EngineControl`] hands it new schedules and drops
//!   retired ones elsewhere.
//! - [`render::render`] plays a schedule offline through the same path.
//!
//! This crate knows nothing of CLAP, VST3 or GUIs.

pub mod compile;
pub mod diagnostics;
pub mod events;
mod invariants;
pub mod patch;
mod play;
pub mod render;
mod schedule;

pub use compile::{CompileSettings, compile, graph_dot, graph_view, warnings};
pub use diagnostics::{Diagnostic, Diagnostics};
pub use events::{Event, EventKind, Expression};
pub use patch::{PatchSource, ReadError};
pub use play::{EndedNote, Engine, EngineControl, RUNAWAY_LEVEL, RUNAWAY_SECONDS, Runaway};
pub use schedule::Schedule;
