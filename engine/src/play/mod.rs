//! The audio-thread side: the engine that plays schedules, and the control-side handle that feeds it.
//!
//! Every crossing of the thread boundary is in [`swap`]: schedules go to the engine through one `rtrb` ring
//! and come back to be dropped through another.

mod denormal;
mod engine;
pub(crate) mod globals;
mod migrate;
mod swap;
mod voices;
mod wires;

pub use engine::{Engine, RUNAWAY_LEVEL, RUNAWAY_SECONDS, Runaway};
pub use swap::EngineControl;
pub use voices::EndedNote;
