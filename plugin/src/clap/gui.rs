//! The CLAP `gui` extension: the editor window embedded in the host's X11 window, and the plumbing
//! between it and the instrument.
//!
//! - Main thread: the host's `create`/`set_parent`/`show`/`hide`/`destroy` open and close an
//!   [`EditorWindow`]; the reload timer ([`ClapGui::tick`]) carries out the editor's intents and
//!   publishes a fresh [`Snapshot`].
//! - Audio thread: notes from the on-screen keyboard and parameter gestures for the host arrive through
//!   a wait-free `rtrb` ring ([`GuiEvent`]); the meters (level, voices and notes, CPU load, runaway
//!   state, oscilloscope) come back through the core's lock-free [`Meters`]. The audio thread never
//!   waits for the editor.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::sync::Arc;

use clack_extensions::gui::{GuiApiType, GuiConfiguration, GuiSize, PluginGuiImpl, Window};
use clack_plugin::prelude::*;
use ferrule_editor::window::{DEFAULT_SIZE, EditorLink, EditorWindow};
use ferrule_editor::{EditorParam, Intent, MacroView, ReloadView, Snapshot};
use ferrule_reload::ReloadEvent;

use super::ClapMainThread;
use super::wake::Wake;
use crate::core::{AudioCore, DEFAULT_PATCH, DEFAULT_PATCH_LABEL, MACRO_COUNT, Meters, NoteTag, Param, PluginCore};
use ferrule_engine::EventKind;

/// How many editor events fit between two audio blocks. A full ring drops the newest event (a note
/// or gesture the user can repeat); it never blocks.
const RING_CAPACITY: usize = 256;

/// Something the editor asks of the audio thread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GuiEvent {
    /// Start a note from the on-screen keyboard.
    NoteOn {
        /// MIDI key.
        key: u8,
        /// Velocity 0..=1.
        velocity: f32,
    },
    /// End it.
    NoteOff {
        /// MIDI key.
        key: u8,
    },
    /// Tell the host a gesture on parameter `id` begins (`true`) or ends.
    Gesture {
        /// Host parameter id.
        id: u32,
        /// Begin or end.
        begin: bool,
    },
    /// Tell the host parameter `id` moved to `value` (already stored in the shared parameters).
    Value {
        /// Host parameter id.
        id: u32,
        /// Value in the parameter's host range.
        value: f64,
    },
}

/// The main thread's editor state: the link to the window, the window while it exists, and the ring's
/// producing end.
pub struct ClapGui {
    link: Arc<EditorLink>,
    window: RefCell<Option<EditorWindow>>,
    size: Cell<(u32, u32)>,
    to_audio: RefCell<rtrb::Producer<GuiEvent>>,
    /// The ring's consuming end while no audio processor holds it.
    audio_end: RefCell<Option<rtrb::Consumer<GuiEvent>>>,
    /// Keys the on-screen keyboard holds, for the voice display.
    held: RefCell<Vec<u8>>,
    /// Reload events seen so far, and the wall-clock time (UTC) the newest was seen.
    reload_seen: Cell<u64>,
    reload_time: RefCell<String>,
    /// The user patch folder and its patches, read when the window opens and after loading a file (not
    /// on every tick: it is file I/O).
    user_patches: RefCell<(Option<PathBuf>, Vec<PathBuf>)>,
}

impl Default for ClapGui {
    fn default() -> Self {
        ClapGui::new(None)
    }
}

impl ClapGui {
    /// The editor's main-thread state. With `wake` (hosts without timers), the open window asks for a
    /// main-thread callback on every frame instead of waiting for the adapter's timer.
    pub fn new(wake: Option<Wake>) -> ClapGui {
        let (producer, consumer) = rtrb::RingBuffer::new(RING_CAPACITY);
        let link = match wake {
            Some(wake) => EditorLink::with_waker(Box::new(move || wake())),
            None => EditorLink::default(),
        };
        ClapGui {
            link: Arc::new(link),
            window: RefCell::new(None),
            size: Cell::new(DEFAULT_SIZE),
            to_audio: RefCell::new(producer),
            audio_end: RefCell::new(Some(consumer)),
            held: RefCell::new(Vec::new()),
            reload_seen: Cell::new(0),
            reload_time: RefCell::new(String::new()),
            user_patches: RefCell::new((None, Vec::new())),
        }
    }

    /// Hands the ring's consuming end to a new audio processor. Main thread (activate).
    pub fn take_audio_end(&self) -> Option<rtrb::Consumer<GuiEvent>> {
        self.audio_end.borrow_mut().take()
    }

    /// Takes the consuming end back from a deactivated audio processor. Main thread.
    pub fn return_audio_end(&self, consumer: Option<rtrb::Consumer<GuiEvent>>) {
        if consumer.is_some() {
            *self.audio_end.borrow_mut() = consumer;
        }
    }

    /// Whether the window is open.
    pub fn is_open(&self) -> bool {
        self.window.borrow().is_some()
    }

    /// Carries out the editor's intents on `core` and publishes a fresh snapshot. Returns whether the
    /// patch changed (the adapter then rescans parameter names). Main thread, on the reload timer.
    /// `host` is `None` in tests.
    pub fn tick(&self, core: &mut PluginCore, meters: &Meters, host: Option<&HostSharedHandle>) -> bool {
        let mut patch_changed = false;
        let mut wants_flush = false;
        let mut wants_process = false;
        for intent in self.link.take_intents() {
            let event = match intent {
                Intent::BeginGesture(p) => Some(GuiEvent::Gesture { id: param(p).id(), begin: true }),
                Intent::EndGesture(p) => Some(GuiEvent::Gesture { id: param(p).id(), begin: false }),
                Intent::SetParam(p, value) => {
                    core.params().set(param(p), value);
                    Some(GuiEvent::Value { id: param(p).id(), value: core.params().get(param(p)) })
                }
                Intent::NoteOn { key, velocity } => {
                    self.held.borrow_mut().push(key);
                    Some(GuiEvent::NoteOn { key, velocity })
                }
                Intent::NoteOff { key } => {
                    self.held.borrow_mut().retain(|&k| k != key);
                    Some(GuiEvent::NoteOff { key })
                }
                Intent::LoadFile(path) => {
                    // A failure is kept as the core's last error, which the snapshot shows.
                    patch_changed |= core.load_patch_file(&path).is_ok();
                    None
                }
                Intent::Rollback => {
                    patch_changed |= core.rollback().is_ok();
                    None
                }
            };
            if let Some(event) = event {
                wants_flush |= matches!(event, GuiEvent::Gesture { .. } | GuiEvent::Value { .. });
                wants_process |= matches!(event, GuiEvent::NoteOn { .. });
                // A full ring drops the event rather than wait (see RING_CAPACITY).
                let _ = self.to_audio.borrow_mut().push(event);
            }
        }
        // The host then calls process or flush, which hands the gesture events over (safe either way).
        // A sleeping plugin gets no blocks until the host has events for it: ask for one so the note sounds.
        if wants_process && let Some(host) = host {
            host.request_process();
        }
        if wants_flush
            && let Some(host) = host
            && let Some(params) = host.get_extension::<clack_extensions::params::HostParams>()
        {
            params.request_flush(host);
        }
        if patch_changed {
            self.read_user_patches(core);
        }
        if self.is_open() {
            self.publish(core, meters);
        }
        patch_changed
    }

    /// Reads the user patch folder's listing. Main thread (file I/O).
    fn read_user_patches(&self, core: &PluginCore) {
        *self.user_patches.borrow_mut() = match core.user_patches() {
            Ok((folder, patches)) => (Some(folder), patches),
            Err(_) => (None, Vec::new()),
        };
    }

    /// Publishes what the editor shows. Main thread.
    fn publish(&self, core: &PluginCore, meters: &Meters) {
        let mut snapshot = snapshot(core, meters, &self.held.borrow());
        if let Some(status) = core.reload_status() {
            let seen = status.reloads + status.failures + u64::from(status.missing);
            if seen != self.reload_seen.get() {
                self.reload_seen.set(seen);
                *self.reload_time.borrow_mut() = utc_now();
            }
        }
        if let Some(reload) = snapshot.reload.as_mut() {
            reload.time = self.reload_time.borrow().clone();
        }
        let (folder, patches) = self.user_patches.borrow().clone();
        snapshot.user_folder = folder;
        snapshot.user_patches = patches;
        self.link.publish(snapshot);
    }

    /// Closes the window if it is open. Main thread.
    pub fn close(&self) {
        if let Some(window) = self.window.borrow_mut().take() {
            window.close();
        }
    }

    /// Drains the events for the audio thread outside processing (the host's `flush` while inactive):
    /// parameter values were stored already; notes are dropped since nothing plays. Main thread.
    pub fn drain_inactive(&self) -> Vec<GuiEvent> {
        let mut end = self.audio_end.borrow_mut();
        let Some(consumer) = end.as_mut() else { return Vec::new() };
        std::iter::from_fn(|| consumer.pop().ok()).collect()
    }
}

/// Plays the editor's notes on `core` at frame 0 and hands its parameter gestures and values to
/// `params` (which tells the host). Audio thread: bounded by the ring's capacity, no allocation.
pub fn play_editor_events(ring: &mut rtrb::Consumer<GuiEvent>, core: &mut AudioCore, mut params: impl FnMut(GuiEvent)) {
    while let Ok(event) = ring.pop() {
        match event {
            GuiEvent::NoteOn { key, velocity } => core.note_on(0, key, velocity, NoteTag::UNKNOWN),
            GuiEvent::NoteOff { key } => core.event(0, EventKind::NoteOff { note: key }),
            other => params(other),
        }
    }
}

fn param(p: EditorParam) -> Param {
    match p {
        EditorParam::Macro(i) => Param::Macro(i),
        EditorParam::Master => Param::Master,
    }
}

/// The wall-clock time now, UTC, as `14:02:31 UTC`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format!("{:02}:{:02}:{:02} UTC", secs / 3600 % 24, secs / 60 % 60, secs % 60)
}

/// What the editor shows, read from the core (all but the user patch list and reload time, which
/// [`ClapGui::publish`] adds). Main thread.
fn snapshot(core: &PluginCore, meters: &Meters, held: &[u8]) -> Snapshot {
    let status = core.reload_status();
    let (patch_text, patch_label) = match (&status, core.patch_path()) {
        (Some(s), _) if s.last_good.is_some() => {
            let good = s.last_good.clone().expect("checked");
            (good.text, good.path)
        }
        (_, Some(path)) => (std::fs::read_to_string(path).unwrap_or_default(), path.display().to_string()),
        (_, None) => (DEFAULT_PATCH.to_string(), DEFAULT_PATCH_LABEL.to_string()),
    };
    let reload = status.as_ref().and_then(|s| s.last_event.as_ref()).map(|event| ReloadView {
        time: String::new(),
        ok: matches!(event, ReloadEvent::Reloaded(_)),
        summary: match event {
            ReloadEvent::Reloaded(_) => "reloaded".to_string(),
            ReloadEvent::Failed(_) => "failed: the last good patch plays on".to_string(),
            ReloadEvent::Missing { .. } => "the file is missing: the last good patch plays on".to_string(),
        },
    });
    let reading = meters.read();
    let mut scope = Vec::with_capacity(crate::core::meters::SCOPE_POINTS);
    let scope_rate = meters.read_scope(&mut scope);
    Snapshot {
        patch_path: core.patch_path().map(PathBuf::from),
        patch_text,
        patch_label,
        reload,
        diagnostics: core.last_error().map(|e| e.lines().map(str::to_string).collect()).unwrap_or_default(),
        can_rollback: status.as_ref().is_some_and(|s| s.last_good.is_some()) && core.last_error().is_some(),
        user_folder: None,
        user_patches: Vec::new(),
        macros: (0..MACRO_COUNT)
            .map(|i| {
                let name = core.param_name(Param::Macro(i));
                MacroView { used: !name.ends_with("(unused)"), name, value: core.params().get(Param::Macro(i)) }
            })
            .collect(),
        master_db: core.params().get(Param::Master),
        voices: reading.voices as usize,
        active_notes: {
            // The engine's sounding keys, and the on-screen keyboard's until its note reaches the engine.
            let mut notes = reading.note_list();
            notes.extend_from_slice(held);
            notes.sort_unstable();
            notes.dedup();
            notes
        },
        cpu_load: reading.cpu_smoothed,
        cpu_peak: reading.cpu_peak,
        level_db: reading.level_db,
        scope,
        scope_rate,
        runaway_db: reading.runaway_db,
    }
}

impl PluginGuiImpl for ClapMainThread<'_> {
    fn is_api_supported(&self, configuration: GuiConfiguration) -> bool {
        configuration.api_type == GuiApiType::X11 && !configuration.is_floating
    }

    fn get_preferred_api(&self) -> Option<GuiConfiguration<'_>> {
        Some(GuiConfiguration { api_type: GuiApiType::X11, is_floating: false })
    }

    fn create(&self, configuration: GuiConfiguration) -> Result<(), PluginError> {
        if !self.is_api_supported(configuration) {
            return Err(PluginError::Message("Ferrule's editor embeds in an X11 window only"));
        }
        let gui = &self.gui;
        if let Some(old) = gui.window.borrow_mut().take() {
            old.close();
        }
        let window = crate::guard(|| EditorWindow::create(gui.link.clone(), gui.size.get()))
            .ok_or(PluginError::Message("the editor panicked while opening"))?
            .map_err(|_| PluginError::Message("cannot open the editor window"))?;
        *gui.window.borrow_mut() = Some(window);
        // Show the current state from the first frame.
        let core = self.core.borrow();
        gui.read_user_patches(&core);
        gui.publish(&core, &self.shared.meters);
        Ok(())
    }

    fn destroy(&self) {
        if let Some(window) = self.gui.window.borrow_mut().take() {
            let _ = crate::guard(|| window.close());
        }
        // Closing ended the keyboard's held notes: on a host without timers, ask for the callback that
        // carries the note-offs out.
        if let Some(wake) = &self.wake {
            wake();
        }
    }

    fn set_scale(&self, _scale: f64) -> Result<(), PluginError> {
        // X11 sizes are physical pixels; baseview reads the screen's scale itself.
        Err(PluginError::Message("the editor follows the system scale"))
    }

    fn get_size(&self) -> Option<GuiSize> {
        let (width, height) = match &*self.gui.window.borrow() {
            Some(window) => window.size(),
            None => self.gui.size.get(),
        };
        Some(GuiSize { width, height })
    }

    fn can_resize(&self) -> bool {
        true
    }

    fn adjust_size(&self, size: GuiSize) -> Option<GuiSize> {
        Some(GuiSize { width: size.width.max(640), height: size.height.max(480) })
    }

    fn set_size(&self, size: GuiSize) -> Result<(), PluginError> {
        let size = (size.width.max(640), size.height.max(480));
        self.gui.size.set(size);
        match &*self.gui.window.borrow() {
            Some(window) => window.resize(size).map_err(|_| PluginError::Message("cannot resize the editor")),
            None => Ok(()),
        }
    }

    fn set_parent(&self, window: Window) -> Result<(), PluginError> {
        let id = window.as_x11_handle().ok_or(PluginError::Message("not an X11 window"))?;
        let id = u32::try_from(id).map_err(|_| PluginError::Message("X11 window id out of range"))?;
        match &*self.gui.window.borrow() {
            Some(editor) => editor.set_parent(id).map_err(|_| PluginError::Message("cannot embed the editor")),
            None => Err(PluginError::Message("set_parent before create")),
        }
    }

    fn set_transient(&self, _window: Window) -> Result<(), PluginError> {
        Err(PluginError::Message("the editor is embedded only"))
    }

    fn show(&self) -> Result<(), PluginError> {
        match &*self.gui.window.borrow() {
            Some(window) => window.show().map_err(|_| PluginError::Message("cannot show the editor")),
            None => Err(PluginError::Message("show before create")),
        }
    }

    fn hide(&self) -> Result<(), PluginError> {
        match &*self.gui.window.borrow() {
            Some(window) => window.hide().map_err(|_| PluginError::Message("cannot hide the editor")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::SharedParams;
    use ferrule_tests::alloc_trap::count_allocations;

    // Counts allocations inside `count_allocations` for this test binary (the plugin's unit tests).
    ferrule_tests::install_alloc_trap!();

    #[test]
    fn editor_notes_through_the_ring_and_meter_publishing_do_not_allocate_on_the_audio_thread() {
        let mut core = PluginCore::new(Arc::new(SharedParams::default()));
        let meters = Meters::default();
        let gui = ClapGui::default();
        let mut ring = gui.take_audio_end().expect("the ring's audio end");
        let mut audio = core.activate(48_000.0, 256).expect("the default patch compiles");
        let (mut left, mut right) = ([0.0f32; 256], [0.0f32; 256]);
        for round in 0..12u8 {
            // Main thread: the editor's intents, as the timer carries them out (allowed to allocate).
            let key = 48 + round;
            gui.link.post(vec![
                Intent::NoteOn { key, velocity: 0.8 },
                Intent::BeginGesture(EditorParam::Macro(1)),
                Intent::SetParam(EditorParam::Macro(1), f64::from(round) / 12.0),
                Intent::EndGesture(EditorParam::Macro(1)),
                Intent::NoteOff { key: key.saturating_sub(3) },
            ]);
            gui.tick(&mut core, &meters, None);
            // Audio thread: the ring, a block, and the meters.
            let (params, caught) = count_allocations(|| {
                audio.begin();
                let mut params = 0;
                play_editor_events(&mut ring, &mut audio, |_| params += 1);
                audio.render(&mut left, &mut right);
                meters.publish(&audio, &left, &right);
                params
            });
            assert_eq!(caught, 0, "round {round}: the audio thread allocated {caught} times");
            assert_eq!(params, 3, "round {round}: the gesture and value go on to the host");
        }
        let notes = meters.read().note_list();
        assert!([57, 58, 59].iter().all(|k| notes.contains(k)), "the held keys sound: {notes:?}");
        core.deactivate();
    }

    #[test]
    fn knob_moves_and_keyboard_notes_reach_the_core_and_the_audio_ring_in_order() {
        let mut core = PluginCore::new(Arc::new(SharedParams::default()));
        let meters = Meters::default();
        let gui = ClapGui::default();
        let mut ring = gui.take_audio_end().expect("the ring's audio end");
        gui.link.post(vec![
            Intent::BeginGesture(EditorParam::Macro(2)),
            Intent::SetParam(EditorParam::Macro(2), 0.8),
            Intent::EndGesture(EditorParam::Macro(2)),
            Intent::SetParam(EditorParam::Master, 99.0),
            Intent::NoteOn { key: 60, velocity: 0.9 },
            Intent::NoteOff { key: 60 },
        ]);
        assert!(!gui.tick(&mut core, &meters, None), "no patch change");
        assert_eq!(core.params().get(Param::Macro(2)), 0.8f32 as f64);
        assert_eq!(core.params().get(Param::Master), 6.0, "clamped to the master range");
        let events: Vec<GuiEvent> = std::iter::from_fn(|| ring.pop().ok()).collect();
        assert_eq!(
            events,
            [
                GuiEvent::Gesture { id: 3, begin: true },
                GuiEvent::Value { id: 3, value: 0.8f32 as f64 },
                GuiEvent::Gesture { id: 3, begin: false },
                GuiEvent::Value { id: 9, value: 6.0 },
                GuiEvent::NoteOn { key: 60, velocity: 0.9 },
                GuiEvent::NoteOff { key: 60 },
            ]
        );
    }

    #[test]
    fn a_bad_file_from_the_editor_keeps_the_patch_and_shows_the_error() {
        let mut core = PluginCore::new(Arc::new(SharedParams::default()));
        let gui = ClapGui::default();
        gui.link.post(vec![Intent::LoadFile("/nonexistent/patch.ron".into())]);
        assert!(!gui.tick(&mut core, &Meters::default(), None));
        let shown = snapshot(&core, &Meters::default(), &[]);
        assert!(shown.diagnostics[0].starts_with("/nonexistent/patch.ron: error:"), "{:?}", shown.diagnostics);
        assert_eq!(shown.patch_label, DEFAULT_PATCH_LABEL, "the default patch plays on and is drawn");
        assert_eq!(shown.macros[0].name, "Brightness");
    }
}
