//! Hosting the editor, for both formats: the plumbing between the editor window and the instrument that
//! CLAP (`clap::window`) and VST3 (`vst3::view`) share. Each adapter only opens and closes the window
//! the way its format says and passes [`Tick`]'s results on to its host.
//!
//! - Main thread: the adapter's reload timer ([`EditorHost::tick`]) carries out the editor's intents
//!   and publishes a fresh [`Snapshot`].
//! - Audio thread: notes from the on-screen keyboard (and, for CLAP, parameter gestures for the host)
//!   arrive through a wait-free `rtrb` ring ([`GuiEvent`], drained by [`play_editor_events`]); the
//!   meters (level, voices and notes, CPU load, runaway state, oscilloscope) come back through the
//!   core's lock-free [`Meters`]. The audio thread never waits for the editor.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::sync::Arc;

use ferrule_editor::window::{EditorLink, Waker};
use ferrule_editor::{EditorParam, ExposedView, Intent, MacroView, ReloadView, Snapshot};
use ferrule_engine::EventKind;
use ferrule_reload::ReloadEvent;

use crate::core::{AudioCore, MACRO_COUNT, Meters, NoteTag, Param, PluginCore};

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

/// The main thread's editor state: the link to the window and the ring's producing end. The window
/// itself belongs to the adapter (it is not `Send`); this is, so VST3 can keep it beside its core.
pub struct EditorHost {
    link: Arc<EditorLink>,
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

impl Default for EditorHost {
    fn default() -> Self {
        EditorHost::new(None)
    }
}

impl EditorHost {
    /// The editor's main-thread state. With `waker` (hosts without timers), the open window calls it on
    /// every frame so the adapter can ask for a main-thread callback instead of waiting for its timer.
    pub fn new(waker: Option<Waker>) -> EditorHost {
        let (producer, consumer) = rtrb::RingBuffer::new(RING_CAPACITY);
        EditorHost {
            link: Arc::new(match waker {
                Some(waker) => EditorLink::with_waker(waker),
                None => EditorLink::default(),
            }),
            to_audio: RefCell::new(producer),
            audio_end: RefCell::new(Some(consumer)),
            held: RefCell::new(Vec::new()),
            reload_seen: Cell::new(0),
            reload_time: RefCell::new(String::new()),
            user_patches: RefCell::new((None, Vec::new())),
        }
    }
}

/// What one [`EditorHost::tick`] did, for the adapter to pass on to its host.
#[derive(Debug, Default, PartialEq)]
pub struct Tick {
    /// Another patch plays (loaded from a file or rolled back): the host must rescan parameter names.
    pub patch_changed: bool,
    /// The on-screen keyboard started a note (a sleeping plugin needs a block to play it).
    pub note_started: bool,
    /// Parameter gestures and values for the host, in the order the user made them. The values are
    /// already stored in the core's shared parameters, so the sound follows before the host answers.
    pub params: Vec<GuiEvent>,
}

impl EditorHost {
    /// The link the window is made with. Main thread.
    pub fn link(&self) -> &Arc<EditorLink> {
        &self.link
    }

    /// Queues an event for the audio thread. A full ring drops it rather than wait (see
    /// [`RING_CAPACITY`]). Main thread.
    pub fn send_to_audio(&self, event: GuiEvent) {
        let _ = self.to_audio.borrow_mut().push(event);
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

    /// Carries out the editor's intents on `core` and, while the window is `open`, publishes a fresh
    /// snapshot. Notes go to the audio thread through the ring; what the host must hear of is returned.
    /// Main thread, on the adapter's reload timer.
    pub fn tick(&self, core: &mut PluginCore, meters: &Meters, open: bool) -> Tick {
        let mut tick = Tick::default();
        for intent in self.link.take_intents() {
            match intent {
                Intent::BeginGesture(p) => tick.params.push(GuiEvent::Gesture { id: param(p).id(), begin: true }),
                Intent::EndGesture(p) => tick.params.push(GuiEvent::Gesture { id: param(p).id(), begin: false }),
                Intent::SetParam(p, value) => {
                    core.params().set(param(p), value);
                    tick.params.push(GuiEvent::Value { id: param(p).id(), value: core.params().get(param(p)) });
                }
                Intent::NoteOn { key, velocity } => {
                    self.held.borrow_mut().push(key);
                    tick.note_started = true;
                    self.send_to_audio(GuiEvent::NoteOn { key, velocity });
                }
                Intent::NoteOff { key } => {
                    self.held.borrow_mut().retain(|&k| k != key);
                    self.send_to_audio(GuiEvent::NoteOff { key });
                }
                Intent::LoadFile(path) => {
                    // A failure is kept as the core's last error, which the snapshot shows.
                    tick.patch_changed |= core.load_patch_file(&path).is_ok();
                }
                Intent::Rollback => {
                    tick.patch_changed |= core.rollback().is_ok();
                }
            }
        }
        if tick.patch_changed {
            self.read_user_patches(core);
        }
        if open {
            self.publish(core, meters);
        }
        tick
    }

    /// Shows the instrument's current state in a window that just opened: reads the user patch folder
    /// and publishes a snapshot. Main thread.
    pub fn opened(&self, core: &PluginCore, meters: &Meters) {
        self.read_user_patches(core);
        self.publish(core, meters);
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

    /// Drains the events for the audio thread outside processing (the host's `flush` while inactive):
    /// parameter values were stored already; notes are dropped since nothing plays. Main thread.
    pub fn drain_inactive(&self) -> Vec<GuiEvent> {
        let mut end = self.audio_end.borrow_mut();
        let Some(consumer) = end.as_mut() else { return Vec::new() };
        std::iter::from_fn(|| consumer.pop().ok()).collect()
    }
}

/// Plays the editor's notes at frame 0 of the block `core` is about to render, and hands every other
/// event to `other` (CLAP reports gestures to the host from the audio thread). Call after
/// [`AudioCore::begin`] and before the host's events, so they stay in time order. Audio thread: bounded
/// by the ring's capacity, no allocation.
pub fn play_editor_events(ring: &mut rtrb::Consumer<GuiEvent>, core: &mut AudioCore, mut other: impl FnMut(GuiEvent)) {
    while let Ok(event) = ring.pop() {
        match event {
            GuiEvent::NoteOn { key, velocity } => core.note_on(0, key, velocity, NoteTag::UNKNOWN),
            GuiEvent::NoteOff { key } => core.event(0, EventKind::NoteOff { note: key }),
            other_event => other(other_event),
        }
    }
}

fn param(p: EditorParam) -> Param {
    match p {
        EditorParam::Macro(i) => Param::Macro(i),
        EditorParam::Master => Param::Master,
        EditorParam::Exposed(n) => Param::Exposed(n),
    }
}

/// The wall-clock time now, UTC, as `14:02:31 UTC`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format!("{:02}:{:02}:{:02} UTC", secs / 3600 % 24, secs / 60 % 60, secs % 60)
}

/// What the editor shows, read from the core (all but the user patch list and reload time, which
/// [`EditorHost::publish`] adds). Main thread.
fn snapshot(core: &PluginCore, meters: &Meters, held: &[u8]) -> Snapshot {
    let status = core.reload_status();
    // What plays, as the core holds it: never the file on disk, which may have changed since a project
    // was restored (and reading it on every tick would be file I/O on the host's main thread).
    let playing = core.source();
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
        patch_text: playing.text.clone(),
        patch_label: playing.path.clone(),
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
        exposed: core
            .exposed()
            .iter()
            .enumerate()
            .map(|(n, e)| ExposedView { param: e.clone(), position: core.params().get(Param::Exposed(n)) })
            .collect(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{DEFAULT_PATCH, DEFAULT_PATCH_LABEL, SharedParams};
    use ferrule_tests::alloc_trap::count_allocations;

    // Counts allocations inside `count_allocations` for this test binary (the plugin's unit tests).
    ferrule_tests::install_alloc_trap!();

    #[test]
    fn editor_notes_through_the_ring_and_meter_publishing_do_not_allocate_on_the_audio_thread() {
        let mut core = PluginCore::new(Arc::new(SharedParams::default()));
        let meters = Meters::default();
        let gui = EditorHost::default();
        let mut ring = gui.take_audio_end().expect("the ring's audio end");
        let mut audio = core.activate(48_000.0, 256).expect("the default patch compiles");
        let (mut left, mut right) = ([0.0f32; 256], [0.0f32; 256]);
        for round in 0..12u8 {
            // Main thread: the editor's intents, as the timer carries them out (allowed to allocate);
            // CLAP sends the gestures on through the same ring.
            let key = 48 + round;
            gui.link.post(vec![
                Intent::NoteOn { key, velocity: 0.8 },
                Intent::BeginGesture(EditorParam::Macro(1)),
                Intent::SetParam(EditorParam::Macro(1), f64::from(round) / 12.0),
                Intent::EndGesture(EditorParam::Macro(1)),
                Intent::NoteOff { key: key.saturating_sub(3) },
            ]);
            for event in gui.tick(&mut core, &meters, true).params {
                gui.send_to_audio(event);
            }
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
    fn knob_moves_reach_the_core_and_the_host_and_keyboard_notes_the_audio_ring_in_order() {
        let mut core = PluginCore::new(Arc::new(SharedParams::default()));
        let meters = Meters::default();
        let gui = EditorHost::default();
        let mut ring = gui.take_audio_end().expect("the ring's audio end");
        gui.link.post(vec![
            Intent::BeginGesture(EditorParam::Macro(2)),
            Intent::SetParam(EditorParam::Macro(2), 0.8),
            Intent::EndGesture(EditorParam::Macro(2)),
            Intent::SetParam(EditorParam::Master, 99.0),
            Intent::NoteOn { key: 60, velocity: 0.9 },
            Intent::NoteOff { key: 60 },
        ]);
        let tick = gui.tick(&mut core, &meters, false);
        assert!(!tick.patch_changed, "no patch change");
        assert!(tick.note_started);
        assert_eq!(core.params().get(Param::Macro(2)), 0.8f32 as f64);
        assert_eq!(core.params().get(Param::Master), 6.0, "clamped to the master range");
        assert_eq!(
            tick.params,
            [
                GuiEvent::Gesture { id: 3, begin: true },
                GuiEvent::Value { id: 3, value: 0.8f32 as f64 },
                GuiEvent::Gesture { id: 3, begin: false },
                GuiEvent::Value { id: 9, value: 6.0 },
            ]
        );
        let events: Vec<GuiEvent> = std::iter::from_fn(|| ring.pop().ok()).collect();
        assert_eq!(events, [GuiEvent::NoteOn { key: 60, velocity: 0.9 }, GuiEvent::NoteOff { key: 60 }]);
    }

    #[test]
    fn an_exposed_knob_moves_its_host_parameter_and_the_snapshot_shows_it_in_its_unit() {
        let mut core = PluginCore::new(Arc::new(SharedParams::default()));
        let meters = Meters::default();
        let gui = EditorHost::default();
        let shown = snapshot(&core, &meters, &[]);
        let names: Vec<&str> = shown.exposed.iter().map(|e| e.param.name.as_str()).collect();
        assert_eq!(names, ["Cutoff", "Sub level", "Vibrato rate"], "the default patch's used slots only");
        assert_eq!(shown.exposed[0].text(shown.exposed[0].position), "900 Hz", "the file's cutoff");

        let cutoff = EditorParam::Exposed(0);
        gui.link.post(vec![Intent::BeginGesture(cutoff), Intent::SetParam(cutoff, 0.5), Intent::EndGesture(cutoff)]);
        let tick = gui.tick(&mut core, &meters, false);
        assert_eq!(
            tick.params,
            [
                GuiEvent::Gesture { id: 101, begin: true },
                GuiEvent::Value { id: 101, value: 0.5 },
                GuiEvent::Gesture { id: 101, begin: false },
            ],
            "the gesture reaches the host as parameter 101"
        );
        assert_eq!(core.params().get(Param::Exposed(0)), 0.5);
        let shown = snapshot(&core, &meters, &[]);
        let text = shown.exposed[0].text(shown.exposed[0].position);
        assert_eq!(text, "849 Hz", "the middle of 60 Hz..12 kHz, logarithmic");
        assert_eq!(text, core.param_text(Param::Exposed(0), 0.5), "the editor shows what the host shows");
    }

    #[test]
    fn a_bad_file_from_the_editor_keeps_the_patch_and_shows_the_error() {
        let mut core = PluginCore::new(Arc::new(SharedParams::default()));
        let gui = EditorHost::default();
        gui.link.post(vec![Intent::LoadFile("/nonexistent/patch.ron".into())]);
        assert!(!gui.tick(&mut core, &Meters::default(), false).patch_changed);
        let shown = snapshot(&core, &Meters::default(), &[]);
        assert!(shown.diagnostics[0].starts_with("/nonexistent/patch.ron: error:"), "{:?}", shown.diagnostics);
        assert_eq!(shown.patch_label, DEFAULT_PATCH_LABEL, "the default patch plays on and is drawn");
        assert_eq!(shown.macros[0].name, "Brightness");
    }

    #[test]
    fn after_a_project_is_restored_the_editor_draws_the_patch_that_plays_not_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("song.ron");
        let saved = DEFAULT_PATCH.replace("\"Cutoff\"", "\"Tone\"");
        std::fs::write(&path, &saved).unwrap();
        let mut core = PluginCore::new(Arc::new(SharedParams::default()));
        core.load_patch_file(&path).unwrap();
        let state = core.save_state();
        // The file changes after the project was saved; the project plays what it embeds.
        std::fs::write(&path, DEFAULT_PATCH.replace("\"Cutoff\"", "\"Changed on disk\"")).unwrap();
        let mut restored = PluginCore::new(Arc::new(SharedParams::default()));
        restored.load_state(&state).unwrap();
        assert!(restored.reload_status().is_none(), "a restored project does not watch the file");

        let shown = snapshot(&restored, &Meters::default(), &[]);
        assert_eq!(shown.patch_text, saved, "the embedded source is drawn");
        assert_eq!(shown.patch_label, path.display().to_string());
        assert_eq!(shown.exposed[0].param.name, "Tone");
        // Nothing is read from disk: a file gone meanwhile changes nothing.
        std::fs::remove_file(&path).unwrap();
        assert_eq!(snapshot(&restored, &Meters::default(), &[]).patch_text, saved);
    }
}
