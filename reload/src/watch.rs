//! The file watcher: one patch file, watched through its directory.
//!
//! Watching the directory rather than the file is what makes every way of saving work: editors that write
//! a temporary file and rename it over the original replace the file's inode (a watch on the file itself
//! would follow the old one), and a file deleted and recreated, or moved away and back, is only seen from
//! its directory. `notify-debouncer-full` merges each burst of events; this module keeps the ones that
//! touch the patch file's name and wakes the reload thread, which then looks at the file as it is.

use std::ffi::OsString;
use std::path::Path;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

/// What the watcher tells the reload thread.
pub(crate) enum Wake {
    /// Something happened to the patch file; the instant is the first file-system event of the burst.
    Changed(Instant),
    /// The reloader is being dropped.
    Stop,
}

/// A running watcher; dropping it stops it.
pub(crate) type Watcher = Debouncer<RecommendedWatcher, RecommendedCache>;

/// Watches `dir` (not recursively) and sends [`Wake::Changed`] to `wake` after each debounced burst of
/// events naming `file_name`. Reads (access events, including the reload thread's own) are ignored. A
/// watcher error (events lost) also wakes the thread, which then simply looks at the file again.
pub(crate) fn watch(
    dir: &Path,
    file_name: OsString,
    debounce: Duration,
    wake: Sender<Wake>,
) -> notify_debouncer_full::notify::Result<Watcher> {
    let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
        let first = match result {
            Ok(events) => events
                .iter()
                .filter(|e| !matches!(e.kind, EventKind::Access(_)))
                .filter(|e| e.paths.iter().any(|p| p.file_name() == Some(file_name.as_os_str())))
                .map(|e| e.time)
                .min(),
            Err(_) => Some(Instant::now()),
        };
        if let Some(at) = first {
            // The reload thread has gone only while the watcher is being dropped.
            let _ = wake.send(Wake::Changed(at));
        }
    })?;
    debouncer.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(debouncer)
}
