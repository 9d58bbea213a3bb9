//! Hot reload: watch a patch file, compile every save on a background thread, hand the schedule to the
//! engine, and publish what happened for the plugin, the editor and the `ferrule play` command to poll.
//!
//! - [`Reloader`] owns the file watcher and the reload thread. Start it with [`Reloader::watch`]; poll
//!   [`Reloader::poll`] (or read [`Reloader::status`]) from any thread but the audio thread, or be told
//!   when there is something to poll through [`ReloadOptions::on_event`].
//! - [`EngineSlot`] is the engine's control side, shared by the reload thread and its owner, so both can
//!   submit schedules. The audio thread never sees it: it only takes schedules from the engine's ring.
//! - [`ReloadEvent`] is what a save did: a new patch playing, a broken save (diagnostics as
//!   `file:line:col: error: message`, the old patch still playing), or the file gone.
//!
//! A separate crate rather than a module of `ferrule-engine`: the engine stays a pure compiler and player
//! with no threads of its own and no operating-system file watching, while both the CLI and the plugin
//! share this one implementation.
//!
//! ```no_run
//! use ferrule_engine::{CompileSettings, Engine, PatchSource, compile};
//! use ferrule_reload::{EngineSlot, ReloadOptions, Reloader};
//!
//! let settings = CompileSettings::default();
//! let source = PatchSource::read("my.ron").unwrap();
//! let (engine, control) = Engine::new(compile(&source, &settings).unwrap());
//! let slot = EngineSlot::new();
//! slot.attach(settings, control);
//! let reloader = Reloader::watch("my.ron", slot, Some(source), ReloadOptions::default()).unwrap();
//! // ... move `engine` to the audio thread; now and then, on a control thread:
//! while let Some(event) = reloader.poll() {
//!     eprintln!("{event}");
//! }
//! ```

mod event;
mod reloader;
mod slot;
mod watch;

pub use event::{Failed, ReloadEvent, Reloaded, Status};
pub use reloader::{OnEvent, ReloadOptions, Reloader, WatchError};
pub use slot::{EngineSlot, SubmitError, Target};
