//! What a save did, as the reload thread publishes it.

use std::fmt;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use ferrule_engine::{Diagnostics, PatchSource};

/// One outcome of watching the patch file. Made on the reload thread; read on any other.
#[derive(Clone, Debug)]
pub enum ReloadEvent {
    /// A save compiled; its schedule is playing (or will play when the engine is attached).
    Reloaded(Reloaded),
    /// A save did not compile, or the file could not be read: the last good patch keeps playing.
    Failed(Failed),
    /// The file was moved away or deleted: the last good patch keeps playing. When a file appears at the
    /// path again it is reloaded.
    Missing {
        /// The watched path.
        path: PathBuf,
        /// When the reload thread noticed.
        at: SystemTime,
    },
}

/// A save that compiled.
#[derive(Clone, Debug)]
pub struct Reloaded {
    /// The patch as saved: now the last good source, to return to after a broken save.
    pub source: PatchSource,
    /// Wall-clock time the schedule was handed over (for display).
    pub at: SystemTime,
    /// When the file system reported the change (the first event of the debounced burst).
    pub changed_at: Instant,
    /// When the schedule was handed to the engine's queue; the engine takes it at its next block.
    pub submitted_at: Instant,
    /// Whether it went to a running engine (`false`: none attached; it plays from the next activation).
    pub playing: bool,
    /// Whether the file had been reported [`ReloadEvent::Missing`] before this save.
    pub reappeared: bool,
    /// The new schedule's latency, in samples (a host must be told when it changes).
    pub latency: u32,
    /// The new patch's macro names, in macro order.
    pub macro_names: Vec<String>,
    /// The new patch's macro defaults, in each macro's own range.
    pub macro_defaults: Vec<f32>,
}

/// A save that did not become the playing patch.
#[derive(Clone, Debug)]
pub struct Failed {
    /// The watched path.
    pub path: PathBuf,
    /// When the reload thread gave up on it.
    pub at: SystemTime,
    /// What went wrong, each problem starting `PATH:LINE:COL: error: MESSAGE` (or `PATH: error: …` when
    /// the file could not be read or the engine would not take it).
    pub message: String,
    /// The compiler's diagnostics, when it was a compile error (for an editor to underline).
    pub diagnostics: Option<Diagnostics>,
}

impl fmt::Display for ReloadEvent {
    /// One line per event (plus the diagnostics' source snippets for a broken save), for a terminal or log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReloadEvent::Reloaded(r) => {
                write!(f, "{}: reloaded", r.source.path)?;
                if !r.playing {
                    write!(f, " (not playing: no engine running)")?;
                }
                Ok(())
            }
            ReloadEvent::Failed(e) => {
                write!(f, "{}", e.message.trim_end())?;
                write!(f, "\n{}: still playing the last good patch", e.path.display())
            }
            ReloadEvent::Missing { path, .. } => {
                write!(f, "patch file moved or deleted: {}; still playing the last good patch", path.display())
            }
        }
    }
}

/// A snapshot of the reloader's state for an editor to draw. Read with [`crate::Reloader::status`].
#[derive(Clone, Debug, Default)]
pub struct Status {
    /// The source of the newest save that compiled (or the source the reloader started with): what
    /// "return to the last good patch" restores.
    pub last_good: Option<PatchSource>,
    /// The newest event.
    pub last_event: Option<ReloadEvent>,
    /// Saves that compiled, since watching began.
    pub reloads: u64,
    /// Saves that did not.
    pub failures: u64,
    /// Whether the file is missing right now.
    pub missing: bool,
}
