//! Ferrule's engine: compiles RON patches off the audio thread into flat, preallocated schedules and plays
//! them in real time.
//!
//! - [`compile()`] turns a [`PatchSource`] into a [`Schedule`] or [`Diagnostics`] (any thread but audio).
//! - [`Engine`] plays a schedule on the audio thread; [`EngineControl`] hands it new schedules and drops
//!   retired ones elsewhere.
//! - [`render::render`] plays a schedule offline through the same path.
//!
//! This crate knows nothing of CLAP, VST3 or GUIs.
//!
//! ```
//! use ferrule_engine::{CompileSettings, Engine, Event, EventKind, PatchSource, compile};
//!
//! // Off the audio thread: compile a patch (a sine through a VCA) into a schedule.
//! let text = r#"(
//!     version: 1,
//!     nodes: { "osc": (kind: "sine"), "amp": (kind: "vca", params: { "gain": 0.5 }) },
//!     connections: [("osc", "amp.in")],
//!     output: Mono("amp.out"),
//! )"#;
//! let source = PatchSource { path: "sine.ron".into(), text: text.into() };
//! let schedule = compile(&source, &CompileSettings::default()).expect("the patch compiles");
//!
//! // The engine plays it; `control` hands it new schedules (hot reloads) from another thread.
//! let (mut engine, _control) = Engine::new(schedule);
//! let (mut left, mut right) = ([0.0f32; 256], [0.0f32; 256]);
//! let note = [Event { time: 0, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } }];
//! engine.process(&note, &mut left, &mut right); // audio thread: no allocation, no locks
//! let peak = left.iter().fold(0.0f32, |p, x| p.max(x.abs()));
//! assert!((peak - 0.5).abs() < 0.01, "A4 at half level: {peak}");
//! ```

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
