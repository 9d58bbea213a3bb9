//! What the VST3 component and edit controller of one Ferrule instance share, and how the controller
//! finds it.
//!
//! VST3 splits an instance into two objects: the component plays, loads state and hot-reloads the patch
//! file; the controller lists parameters, opens the editor and runs the main-thread timer. Both reach one
//! [`Instance`]: the component's [`PluginCore`] (main thread), its audio-thread core, the latency it
//! reports, the editor plumbing ([`EditorHost`]) and the meters.
//!
//! **How the controller finds it: a process-local registry keyed by instance**, announced over VST3's
//! `IConnectionPoint`. Hosts connect component and controller (possibly through proxies, so neither can
//! cast the other's pointer to its own type); on `connect` the component sends one message,
//! [`INSTANCE_MESSAGE`] carrying its registry key, and the controller looks the key up here. Passing
//! everything as messages instead was rejected: the editor reads the core's reload status, diagnostics
//! and meters many times a second, and its notes must reach the audio thread through a lock-free ring,
//! which a message (allocated, delivered on the main thread) cannot be. The cost: component and
//! controller must live in one process, which every Linux host does. A controller that never learns its
//! key (a host that does not connect them) still shows parameters and follows `setComponentState`, but
//! opens no editor and hears of hot reloads only through the state.

use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use vst3::Steinberg::Vst::RestartFlags_::{kLatencyChanged, kParamTitlesChanged, kParamValuesChanged};

use super::lock;
use super::note_ids::NoteIds;
use crate::core::{AudioCore, Meters, PluginCore, SharedParams};
use crate::editor_host::{EditorHost, GuiEvent};

/// The id of the message the component sends its controller on `connect`.
pub const INSTANCE_MESSAGE: &str = "ferrule.instance";
/// The attribute of [`INSTANCE_MESSAGE`] holding the instance's registry key.
pub const INSTANCE_KEY: &str = "key";

/// The component's main-thread state.
pub struct MainState {
    /// The core that plays: patch, reloads, state.
    pub core: PluginCore,
    /// The host's sample rate, in Hz.
    pub sample_rate: f64,
    /// The host's largest block, in frames.
    pub max_block: u32,
    /// The editor's link and the producing end of its ring to the audio thread.
    pub editor: EditorHost,
}

/// The audio thread's state while the component is active.
pub struct AudioState {
    /// The core that renders.
    pub core: AudioCore,
    /// The editor's notes (consuming end of [`EditorHost`]'s ring).
    pub editor: Option<rtrb::Consumer<GuiEvent>>,
    /// Which key each of the host's note ids plays, for note expressions.
    pub note_ids: NoteIds,
}

/// One instance's shared state. Made by the component; the controller holds it once linked.
pub struct Instance {
    key: u64,
    /// Main-thread state; never locked by the audio thread.
    pub main: Mutex<MainState>,
    /// The audio-thread core while active. `process` only ever `try_lock`s it (one atomic exchange, never
    /// a wait): VST3 does not call `setActive` during `process`, so it is never contended in a correct
    /// host, and a host that breaks that rule gets a silent block instead of a blocked audio thread.
    pub audio: Mutex<Option<AudioState>>,
    /// The latency `getLatencySamples` reports, in samples.
    pub latency: AtomicU32,
    /// Output level and voices, written by the audio thread, read for the editor.
    pub meters: Meters,
    /// `restartComponent` flags found by a poll that the controller has not passed to the host yet.
    pending_restart: AtomicI32,
}

/// Every live instance of this process, by key. Entries are weak: an instance leaves when its component
/// is released.
static REGISTRY: Mutex<Vec<(u64, Weak<Instance>)>> = Mutex::new(Vec::new());
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

impl Instance {
    /// A new instance playing the embedded default patch, registered under a fresh key. Main thread.
    pub fn new() -> Arc<Instance> {
        let core = PluginCore::new(Arc::new(SharedParams::default()));
        let instance = Arc::new(Instance {
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            latency: AtomicU32::new(core.latency()),
            main: Mutex::new(MainState { core, sample_rate: 44_100.0, max_block: 1024, editor: EditorHost::default() }),
            audio: Mutex::new(None),
            meters: Meters::default(),
            pending_restart: AtomicI32::new(0),
        });
        let mut registry = lock(&REGISTRY);
        registry.retain(|(_, weak)| weak.strong_count() > 0);
        registry.push((instance.key, Arc::downgrade(&instance)));
        instance
    }

    /// The key the controller finds this instance by.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// The live instance registered under `key`. Main thread.
    pub fn find(key: u64) -> Option<Arc<Instance>> {
        // Upgraded outside the lock: dropping a last reference inside it would re-enter the registry.
        let weak = lock(&REGISTRY).iter().find(|(k, _)| *k == key).map(|(_, weak)| weak.clone());
        weak?.upgrade()
    }

    /// Every live instance of this process. Main thread.
    pub fn all() -> Vec<Arc<Instance>> {
        let weaks: Vec<Weak<Instance>> = lock(&REGISTRY).iter().map(|(_, weak)| weak.clone()).collect();
        weaks.iter().filter_map(Weak::upgrade).collect()
    }

    /// Brings hot-reload results into the core (its source for the state, macro names, latency) and
    /// notes what the host must be told: parameter titles after a reload, and the latency when it
    /// changed (`getLatencySamples` answers the new value from now on). Main thread.
    pub fn poll_reload(&self) {
        let mut main = lock(&self.main);
        main.core.collect_garbage();
        let mut flags = 0;
        while let Some(event) = main.core.poll_reload() {
            if matches!(event, ferrule_reload::ReloadEvent::Reloaded(_)) {
                flags |= kParamTitlesChanged;
            }
        }
        self.note_restart(&main.core, flags);
    }

    /// Carries out the editor's intents (a file to load, a rollback, knob moves, notes) and, while a window
    /// is `open`, publishes a fresh snapshot. Returns the parameter gestures and values for the host, in
    /// order; a patch loaded or rolled back also leaves a restart owed to the host ([`Instance::take_restart`])
    /// and a changed project ([`Instance::take_dirty`]). Main thread.
    pub fn tick_editor(&self, open: bool) -> Vec<GuiEvent> {
        let mut main = lock(&self.main);
        let MainState { core, editor, .. } = &mut *main;
        let tick = editor.tick(core, &self.meters, open);
        // Inactive, nothing plays: notes do not wait to sound all at once at the next activation.
        editor.drain_inactive();
        // A new patch from the editor resets the macros to its defaults: titles and values change.
        let flags = if tick.patch_changed { kParamTitlesChanged | kParamValuesChanged } else { 0 };
        self.note_restart(core, flags);
        tick.params
    }

    /// Shows the current state in a window that just opened. Main thread.
    pub fn editor_opened(&self) {
        let main = lock(&self.main);
        main.editor.opened(&main.core, &self.meters);
    }

    /// Adds `flags`, and `kLatencyChanged` when the core's latency differs from the one reported, to the
    /// restart the controller owes the host.
    fn note_restart(&self, core: &PluginCore, mut flags: i32) {
        if self.latency.swap(core.latency(), Ordering::Relaxed) != core.latency() {
            flags |= kLatencyChanged;
        }
        if flags != 0 {
            self.pending_restart.fetch_or(flags, Ordering::AcqRel);
        }
    }

    /// The `restartComponent` flags owed to the host since the last call (0 for none). Main thread.
    pub fn take_restart(&self) -> i32 {
        self.pending_restart.swap(0, Ordering::AcqRel)
    }

    /// Whether the host must be told the project changed since the last call: another patch plays because
    /// of the editor or a hot reload ([`PluginCore::take_patch_changed`]). Knob moves need not be told: they
    /// reach the host as parameter edits, which it tracks itself. Main thread.
    pub fn take_dirty(&self) -> bool {
        lock(&self.main).core.take_patch_changed()
    }

    /// The component's state, as `getState` writes it. Main thread.
    pub fn save_state(&self) -> Vec<u8> {
        lock(&self.main).core.save_state()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        lock(&REGISTRY).retain(|(key, weak)| *key != self.key && weak.strong_count() > 0);
    }
}
