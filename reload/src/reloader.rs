//! The reload thread: reads the patch file when the watcher says it changed, compiles it, submits the
//! schedule, keeps the last good source, and publishes what happened.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use ferrule_engine::{CompileSettings, PatchSource, ReadError, compile};

use crate::event::{Failed, ReloadEvent, Reloaded, Status};
use crate::slot::{EngineSlot, SubmitError};
use crate::watch::{self, Wake, Watcher};

/// Called on the reload thread right after each [`ReloadEvent`] is published (so a [`Reloader::poll`]
/// made from inside it, or after it, sees the event). Must be cheap and must not block: a plugin asks its
/// host for a main-thread callback here (CLAP's `request_callback`), and polls in that callback.
pub type OnEvent = Arc<dyn Fn() + Send + Sync>;

/// How a [`Reloader`] behaves.
#[derive(Clone)]
pub struct ReloadOptions {
    /// Quiet time after the last file-system event of a burst before the file is read. Short enough that a
    /// save is heard within a few tens of milliseconds, long enough to merge an editor's write-rename-chmod.
    pub debounce: Duration,
    /// Settings to check a save with while no engine is attached to the slot.
    pub detached_settings: CompileSettings,
    /// Told about each event as it is published, so an owner without a timer need not poll on the
    /// off chance (see [`OnEvent`]). `None`: the owner polls.
    pub on_event: Option<OnEvent>,
}

impl std::fmt::Debug for ReloadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadOptions")
            .field("debounce", &self.debounce)
            .field("detached_settings", &self.detached_settings)
            .field("on_event", &self.on_event.as_ref().map(|_| "Fn()"))
            .finish()
    }
}

impl Default for ReloadOptions {
    /// A 20 ms debounce; detached saves checked at 48 kHz with 512-frame blocks; no event callback.
    fn default() -> Self {
        ReloadOptions {
            debounce: Duration::from_millis(20),
            detached_settings: CompileSettings {
                sample_rate: 48_000.0,
                max_block: 512,
                polyphony: None,
                ..Default::default()
            },
            on_event: None,
        }
    }
}

/// Why watching could not start.
#[derive(Debug)]
pub enum WatchError {
    /// The path names no file in an existing directory.
    BadPath(PathBuf),
    /// The operating system's file watcher refused (too many watches, no permission).
    Watcher(PathBuf, notify_debouncer_full::notify::Error),
    /// The reload thread could not be started.
    Thread(std::io::Error),
}

impl std::fmt::Display for WatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WatchError::BadPath(p) => write!(f, "{}: cannot watch: not a file in an existing folder", p.display()),
            WatchError::Watcher(p, e) => write!(f, "{}: cannot watch for changes: {e}", p.display()),
            WatchError::Thread(e) => write!(f, "cannot start the reload thread: {e}"),
        }
    }
}

impl std::error::Error for WatchError {}

/// Watches one patch file and reloads it into an engine on every save. Owned by a control thread (the
/// plugin's main thread, the CLI); its own work runs on a background thread, never on the audio thread or
/// the owner's. Dropping it stops watching and joins the thread.
pub struct Reloader {
    path: PathBuf,
    events: Receiver<ReloadEvent>,
    status: Arc<Mutex<Status>>,
    wake: Sender<Wake>,
    watcher: Option<Watcher>,
    thread: Option<JoinHandle<()>>,
}

impl Reloader {
    /// Starts watching `path`, submitting every save that compiles to the engine in `slot`. `playing` is
    /// the source already playing (it becomes the last good source, and a file still holding exactly that
    /// text is not reloaded); with `None`, or when the file differs, the file is loaded at once. Returns once
    /// the reload thread has read the file (compiling, if needed, goes on in the background). Any thread
    /// but audio.
    pub fn watch(
        path: impl AsRef<Path>,
        slot: EngineSlot,
        playing: Option<PatchSource>,
        options: ReloadOptions,
    ) -> Result<Reloader, WatchError> {
        let path = path.as_ref().to_path_buf();
        let file_name = path.file_name().ok_or_else(|| WatchError::BadPath(path.clone()))?.to_os_string();
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(WatchError::BadPath(path));
        }
        let (wake, woken) = mpsc::channel();
        let (publish, events) = mpsc::channel();
        let status = Arc::new(Mutex::new(Status { last_good: playing.clone(), ..Status::default() }));
        let watcher = watch::watch(&dir, file_name, options.debounce, wake.clone())
            .map_err(|e| WatchError::Watcher(path.clone(), e))?;
        let worker = Worker {
            path: path.clone(),
            label: playing.as_ref().map_or_else(|| path.display().to_string(), |s| s.path.clone()),
            slot,
            options,
            last_text: playing.map(|s| s.text),
            missing: false,
            status: status.clone(),
            publish,
        };
        let (ready, started) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("ferrule reload".into())
            .spawn(move || worker.run(woken, ready))
            .map_err(WatchError::Thread)?;
        // Wait for the thread's first look at the file, so that a save made right after this returns is
        // seen whole through the watcher rather than half-written by that first read.
        let _ = started.recv();
        Ok(Reloader { path, events, status, wake, watcher: Some(watcher), thread: Some(thread) })
    }

    /// The watched path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next event not yet polled, if any. Never blocks; any thread but audio (a plugin calls it from
    /// its main-thread timer).
    pub fn poll(&self) -> Option<ReloadEvent> {
        self.events.try_recv().ok()
    }

    /// The next event, waiting up to `timeout` for one. Any thread but audio.
    pub fn wait(&self, timeout: Duration) -> Option<ReloadEvent> {
        self.events.recv_timeout(timeout).ok()
    }

    /// A snapshot of the reloader's state: last good source, newest event, counts. Takes a lock the
    /// reload thread holds only to update it; never call from the audio thread.
    pub fn status(&self) -> Status {
        self.status.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The newest source that compiled: what to return to after a broken save.
    pub fn last_good(&self) -> Option<PatchSource> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner).last_good.clone()
    }
}

impl Drop for Reloader {
    fn drop(&mut self) {
        // Stop the watcher first so nothing wakes the thread after `Stop`.
        drop(self.watcher.take());
        let _ = self.wake.send(Wake::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The reload thread's state.
struct Worker {
    path: PathBuf,
    /// The path diagnostics name.
    label: String,
    slot: EngineSlot,
    options: ReloadOptions,
    /// The text last read from the file (good or broken); `None` before the first read and while missing.
    last_text: Option<String>,
    missing: bool,
    status: Arc<Mutex<Status>>,
    publish: Sender<ReloadEvent>,
}

impl Worker {
    fn run(mut self, woken: Receiver<Wake>, ready: Sender<()>) {
        // Catch a save made between the owner's load and the watch starting.
        self.check(Instant::now(), Some(ready));
        while let Ok(Wake::Changed(mut at)) = woken.recv() {
            // Several bursts may have queued while compiling: look at the file once for all of them.
            loop {
                match woken.try_recv() {
                    Ok(Wake::Changed(t)) => at = at.min(t),
                    Ok(Wake::Stop) => return,
                    Err(_) => break,
                }
            }
            self.check(at, None);
        }
    }

    /// Looks at the file as it is now and acts on any difference from what was last seen. Signals `read`
    /// once the file has been read.
    fn check(&mut self, changed_at: Instant, read: Option<Sender<()>>) {
        // The same read as a first load: at most `MAX_PATCH_BYTES`, UTF-8 checked with the bad byte's position.
        let text = PatchSource::read(&self.path).map(|source| source.text);
        if let Some(read) = read {
            let _ = read.send(());
        }
        match text {
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                if !self.missing {
                    self.missing = true;
                    self.last_text = None;
                    self.send(ReloadEvent::Missing { path: self.path.clone(), at: SystemTime::now() });
                }
            }
            Err(e) => {
                self.last_text = None;
                self.fail(format!("{}: error: {e}", self.path.display()), None);
            }
            Ok(text) => {
                if self.last_text.as_deref() == Some(text.as_str()) {
                    return; // Saved without changes, or only touched.
                }
                self.last_text = Some(text.clone());
                let reappeared = std::mem::take(&mut self.missing);
                self.reload(PatchSource { path: self.label.clone(), text }, changed_at, reappeared);
            }
        }
    }

    /// Compiles `source` for the attached engine and submits it.
    fn reload(&mut self, source: PatchSource, changed_at: Instant, reappeared: bool) {
        // Recompile if the engine is re-attached with new settings meanwhile; twice is already unlikely.
        for _ in 0..3 {
            let attached = self.slot.settings();
            let settings = attached.unwrap_or(self.options.detached_settings);
            let schedule = match compile(&source, &settings) {
                Ok(schedule) => schedule,
                Err(diagnostics) => return self.fail(diagnostics.to_string(), Some(diagnostics)),
            };
            let latency = schedule.latency();
            let macro_names = schedule.macro_names().map(str::to_string).collect();
            let macro_defaults = schedule.macro_defaults().collect();
            let playing = match attached {
                None => false,
                Some(_) => match self.slot.submit(schedule, &settings) {
                    Ok(()) => true,
                    Err(SubmitError::SettingsChanged) => continue,
                    Err(SubmitError::Detached) => false,
                    Err(e @ SubmitError::QueueFull) => {
                        self.last_text = None; // Try again on the next save.
                        return self.fail(format!("{}: error: {e}", self.path.display()), None);
                    }
                },
            };
            self.status().last_good = Some(source.clone());
            return self.send(ReloadEvent::Reloaded(Reloaded {
                source,
                at: SystemTime::now(),
                changed_at,
                submitted_at: Instant::now(),
                playing,
                reappeared,
                latency,
                macro_names,
                macro_defaults,
            }));
        }
        self.fail(format!("{}: error: {}", self.path.display(), SubmitError::SettingsChanged), None);
    }

    fn fail(&mut self, message: String, diagnostics: Option<ferrule_engine::Diagnostics>) {
        let at = SystemTime::now();
        self.send(ReloadEvent::Failed(Failed { path: self.path.clone(), at, message, diagnostics }));
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `event` in the status snapshot, queues it for [`Reloader::poll`], then calls the owner's
    /// [`ReloadOptions::on_event`].
    fn send(&mut self, event: ReloadEvent) {
        {
            let mut status = self.status();
            match &event {
                ReloadEvent::Reloaded(_) => {
                    status.reloads += 1;
                    status.missing = false;
                }
                ReloadEvent::Failed(_) => status.failures += 1,
                ReloadEvent::Missing { .. } => status.missing = true,
            }
            status.last_event = Some(event.clone());
        }
        // The owner may have stopped polling; the event stays in the status snapshot regardless.
        let _ = self.publish.send(event);
        if let Some(on_event) = &self.options.on_event {
            on_event();
        }
    }
}
