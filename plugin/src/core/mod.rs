//! The format-agnostic plugin core: parameters, state, patch loading, engine control and latency. The
//! CLAP and VST3 adapters only translate between their host's API and this.
//!
//! [`PluginCore`] lives on the main thread; [`AudioCore`] (made by [`PluginCore::activate`]) on the audio
//! thread. They share [`SharedParams`] (atomics) and the engine's schedule rings, nothing else.

pub mod audio;
pub mod budget;
pub mod expression;
pub mod library;
pub mod meters;
pub mod params;
pub mod reload;
pub mod setup;
pub mod state;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrule_engine::patch::ExposedParam;
use ferrule_engine::{CompileSettings, Engine, PatchSource, Schedule, compile};
use ferrule_reload::{EngineSlot, Reloader};

pub use audio::{AudioCore, NoteTag};
pub use library::{FolderError, PatchFolder};
pub use meters::{MeterReading, Meters};
pub use params::{EXPOSED_COUNT, MACRO_COUNT, Param, SharedParams};
pub use reload::{ReloadEvent, ReloadStatus};
pub use setup::{SAMPLE_RATES, SetupError, check_sample_rate};
pub use state::{SavedState, StateError};

/// The patch played when none is chosen.
pub const DEFAULT_PATCH: &str = include_str!("../../../patches/default.ron");
/// The label diagnostics use for the embedded default patch.
pub const DEFAULT_PATCH_LABEL: &str = "<default patch>";

/// Settings used to check a patch while no host settings are known.
fn check_settings() -> CompileSettings {
    CompileSettings { sample_rate: 48_000.0, max_block: 512, polyphony: None, budget: budget::budget() }
}

/// The main-thread half of one plugin instance.
pub struct PluginCore {
    params: Arc<SharedParams>,
    /// The patch being played: its file (if any), source and macro names.
    path: Option<PathBuf>,
    source: PatchSource,
    macro_names: Vec<String>,
    macro_defaults: Vec<f32>,
    /// The patch's exposed parameters, slot `n` being the `n`-th (names, units, ranges, defaults).
    exposed: Vec<ExposedParam>,
    /// The last problem loading a patch or state, for display.
    last_error: Option<String>,
    /// The engine's control side while active (shared with the reload thread), and the host's settings.
    slot: EngineSlot,
    /// Watches the chosen patch file and reloads it on every save; see [`reload`].
    watch: Option<Reloader>,
    latency: u32,
    /// A project patch that did not compile when its state was loaded (text and path): kept so the next
    /// save writes it back instead of losing it, until another patch plays.
    unplayable: Option<(String, Option<String>)>,
    /// Called on the reload thread after each reload event (see [`PluginCore::set_reload_notify`]).
    reload_notify: Option<ferrule_reload::OnEvent>,
    /// Another patch plays because of the editor or a hot reload, and the adapter has not yet told the host
    /// its project changed (see [`PluginCore::take_patch_changed`]).
    patch_changed: bool,
}

impl PluginCore {
    /// A core playing the embedded default patch, macros at its defaults, master at 0 dB. Creates the user
    /// patch folder if it does not exist yet (a failure there is kept as the last error, never fatal).
    pub fn new(params: Arc<SharedParams>) -> PluginCore {
        let source = PatchSource { path: DEFAULT_PATCH_LABEL.into(), text: DEFAULT_PATCH.into() };
        let schedule = compile(&source, &check_settings()).expect("the embedded default patch compiles (tested)");
        let mut core = PluginCore {
            params,
            path: None,
            source,
            macro_names: Vec::new(),
            macro_defaults: Vec::new(),
            exposed: Vec::new(),
            last_error: None,
            slot: EngineSlot::new(),
            watch: None,
            latency: 0,
            unplayable: None,
            reload_notify: None,
            patch_changed: false,
        };
        core.adopt(&schedule, true, Some(&[]));
        core.params.set(Param::Master, 0.0);
        if let Err(e) = PatchFolder::from_env().and_then(|folder| folder.ensure()) {
            core.last_error = Some(e.to_string());
        }
        core
    }

    /// The user patch folder and the patches in it, for a patch browser. Main thread.
    pub fn user_patches(&self) -> Result<(PathBuf, Vec<PathBuf>), FolderError> {
        let folder = PatchFolder::from_env()?;
        folder.ensure()?;
        Ok((folder.path().to_path_buf(), folder.patches()?))
    }

    /// Takes the names, latency and (with `reset_macros`) default macro positions of a compiled patch, and
    /// its exposed parameters (see [`PluginCore::take_exposed`] for `exposed_start`).
    fn adopt(&mut self, schedule: &Schedule, reset_macros: bool, exposed_start: Option<&[f32]>) {
        self.macro_names = schedule.macro_names().map(str::to_string).collect();
        self.macro_defaults = schedule.macro_defaults().collect();
        self.latency = schedule.latency();
        if reset_macros {
            for i in 0..MACRO_COUNT {
                self.params.set(Param::Macro(i), self.param_default(Param::Macro(i)));
            }
        }
        self.take_exposed(schedule.exposed().to_vec(), exposed_start);
    }

    /// Takes a new patch's exposed parameters and sets each slot's host value the way the engine sets
    /// its position when it takes that patch's schedule, so the host shows what plays:
    /// - `exposed_start` given (another patch, a restored project): slot `n` takes `exposed_start[n]`,
    ///   or the parameter's default where that is missing or not finite;
    /// - `None` (a reload of the same patch): a slot keeps the host's value while its parameter is the
    ///   same control (name, default and range: `ExposedParam::same_control`); otherwise (the sound
    ///   designer edited it) it takes the new default.
    ///
    /// Unused slots hold a value too, as unused macros do, so a project's state reproduces every
    /// parameter: they take `exposed_start[n]` (else 0) and keep theirs across a reload. Main thread.
    fn take_exposed(&mut self, exposed: Vec<ExposedParam>, exposed_start: Option<&[f32]>) {
        for n in 0..EXPOSED_COUNT {
            let position = match (exposed.get(n), exposed_start) {
                (None, Some(start)) => start.get(n).copied().filter(|p| p.is_finite()).unwrap_or(0.0),
                (None, None) => continue,
                (Some(new), Some(start)) => {
                    start.get(n).copied().filter(|p| p.is_finite()).unwrap_or_else(|| new.default_position())
                }
                (Some(new), None) => match self.exposed.get(n) {
                    Some(old) if old.same_control(new) => continue,
                    _ => new.default_position(),
                },
            };
            self.params.set(Param::Exposed(n), position as f64);
        }
        self.exposed = exposed;
    }

    /// The patch's exposed parameters, in slot order: names, units, ranges and defaults, with position ↔
    /// value ↔ text helpers. Main thread.
    pub fn exposed(&self) -> &[ExposedParam] {
        &self.exposed
    }

    /// The host's name for parameter `param`.
    pub fn param_name(&self, param: Param) -> String {
        match param {
            Param::Macro(i) => match self.macro_names.get(i) {
                Some(name) => name.clone(),
                None => format!("Macro {} (unused)", i + 1),
            },
            Param::Master => "Master volume".into(),
            Param::Exposed(n) => match self.exposed.get(n) {
                Some(e) => e.name.clone(),
                None => format!("Param {} (unused)", n + 1),
            },
        }
    }

    /// `value` (in `param`'s host range) as the host shows it: `42 %` for macros, `-6.0 dB` for master,
    /// and an exposed parameter's value in its own unit (`1200 Hz`, `0.35 s`). Main thread.
    pub fn param_text(&self, param: Param, value: f64) -> String {
        match param {
            // An unused slot still shows (and parses back) its position, so the host's text round trip holds.
            Param::Exposed(n) if n < self.exposed.len() => {
                let e = &self.exposed[n];
                e.format(e.value(value as f32))
            }
            _ => param.format(value),
        }
    }

    /// Parses text typed into the host into a value in `param`'s host range: for an exposed parameter, a
    /// value in its unit (`1200`, `1.2 kHz`, `350 ms`) becomes its control position. Main thread.
    pub fn param_from_text(&self, param: Param, text: &str) -> Option<f64> {
        match param {
            Param::Exposed(n) if n < self.exposed.len() => {
                let e = &self.exposed[n];
                e.parse(text).map(|v| e.position(v) as f64)
            }
            _ => param.parse(text),
        }
    }

    /// The unit the host shows beside `param`'s value (`%`, `dB`, `Hz`, `s`; empty for plain numbers).
    pub fn param_unit(&self, param: Param) -> &'static str {
        match param {
            Param::Macro(_) => "%",
            Param::Master => "dB",
            Param::Exposed(n) => self.exposed.get(n).map_or("", |e| e.unit.symbol()),
        }
    }

    /// The default value of `param`, in its host range.
    pub fn param_default(&self, param: Param) -> f64 {
        match param {
            Param::Macro(i) => self.macro_defaults.get(i).copied().unwrap_or(0.0) as f64,
            Param::Master => 0.0,
            Param::Exposed(n) => self.exposed.get(n).map_or(0.0, |e| e.default_position() as f64),
        }
    }

    /// The shared parameter values.
    pub fn params(&self) -> &Arc<SharedParams> {
        &self.params
    }

    /// The patch playing now: its source text (what the saved state embeds) and the label its diagnostics
    /// use (the file's path, `<default patch>`, or a restored project's path). Updated when a reload is
    /// polled, a file is loaded, state is restored or a rollback plays. Main thread; no file I/O.
    pub fn source(&self) -> &PatchSource {
        &self.source
    }

    /// Asks the reload thread to call `notify` after each reload event of every patch file watched from
    /// now on, so the adapter can ask its host for a main-thread callback and then call
    /// [`PluginCore::poll_reload`] (a CLAP host without timers). `None`: the adapter polls on a timer.
    /// `notify` runs on the reload thread and must be cheap and thread-safe; a watch's reload thread stops
    /// calling it when the watch stops (another file, a restored state, [`PluginCore::stop_watching`], this
    /// core dropped) and is joined then. Main thread.
    pub fn set_reload_notify(&mut self, notify: Option<ferrule_reload::OnEvent>) {
        self.reload_notify = notify;
    }

    /// The patch file being played, if one was chosen.
    pub fn patch_path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The last patch or state problem, as `file:line:col: error: …` text.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// Whether a patch file is watched for saves (its reload results then wait for
    /// [`PluginCore::poll_reload`]).
    pub fn is_watching(&self) -> bool {
        self.watch.is_some()
    }

    /// The latency of the playing patch, in samples.
    pub fn latency(&self) -> u32 {
        self.latency
    }

    /// Compiles the current patch for the host's settings and makes the audio-thread core; a sample rate
    /// outside [`SAMPLE_RATES`] is refused first ([`check_sample_rate`]). Main thread.
    pub fn activate(&mut self, sample_rate: f64, max_block: u32) -> Result<AudioCore, String> {
        check_sample_rate(sample_rate).map_err(|e| e.to_string())?;
        let settings = CompileSettings {
            sample_rate: sample_rate as f32,
            max_block: max_block.max(1) as usize,
            polyphony: None,
            budget: budget::budget(),
        };
        let mut schedule = compile(&self.source, &settings).map_err(|d| d.to_string())?;
        self.latency = schedule.latency();
        // The engine starts where the host's exposed controls are (a restored project), without a glide.
        let positions: Vec<f32> = (0..EXPOSED_COUNT).map(|n| self.params.get(Param::Exposed(n)) as f32).collect();
        schedule.start_exposed_at(&positions);
        let (engine, control) = Engine::new(schedule);
        self.slot.attach(settings, control);
        Ok(AudioCore::new(engine, self.params.clone(), settings.sample_rate))
    }

    /// Forgets the engine's control side after the host deactivated the plugin. Main thread.
    pub fn deactivate(&mut self) {
        self.slot.detach();
    }

    /// Drops schedules the engine has retired. Call from the main thread now and then.
    pub fn collect_garbage(&mut self) {
        self.slot.collect_retired();
    }

    /// Plays the patch file at `path` and watches it, reloading every save (poll with
    /// [`PluginCore::poll_reload`]). On an error the old patch keeps playing and the error is kept for
    /// display. Main thread.
    pub fn load_patch_file(&mut self, path: &Path) -> Result<(), String> {
        let source = PatchSource::read(path).map_err(|e| format!("{}: error: {e}", path.display()));
        let result = source.and_then(|s| self.play(s, true, Some(&[])));
        match &result {
            Ok(()) => {
                self.path = Some(path.to_path_buf());
                self.start_watching();
                self.patch_changed = true;
            }
            Err(e) => self.last_error = Some(e.clone()),
        }
        result
    }

    /// Compiles `source` and, when active, hands it to the engine. With `exposed_start`, the exposed
    /// parameters start at those positions (empty: the patch's defaults) instead of keeping the host's
    /// (see [`PluginCore::take_exposed`]). Main thread.
    fn play(&mut self, source: PatchSource, reset_macros: bool, exposed_start: Option<&[f32]>) -> Result<(), String> {
        let settings = self.slot.settings().unwrap_or_else(check_settings);
        let mut schedule = compile(&source, &settings).map_err(|d| d.to_string())?;
        if let Some(start) = exposed_start {
            schedule.start_exposed_at(start);
        }
        self.adopt(&schedule, reset_macros, exposed_start);
        match self.slot.submit(schedule, &settings) {
            Ok(()) | Err(ferrule_reload::SubmitError::Detached) => {}
            Err(e) => return Err(e.to_string()),
        }
        self.source = source;
        self.last_error = None;
        self.unplayable = None;
        Ok(())
    }

    /// The state to save in the project.
    pub fn save_state(&self) -> Vec<u8> {
        let (patch_source, patch_path) = match &self.unplayable {
            Some((text, path)) => (text.clone(), path.clone()),
            None => (self.source.text.clone(), self.path.as_ref().map(|p| p.display().to_string())),
        };
        state::encode(&SavedState {
            patch_path,
            patch_source,
            macros: std::array::from_fn(|i| self.params.get(Param::Macro(i)) as f32),
            master_db: self.params.get(Param::Master) as f32,
            exposed: (0..EXPOSED_COUNT).map(|n| self.params.get(Param::Exposed(n)) as f32).collect(),
        })
    }

    /// Restores a saved state: the embedded patch source (not the file, which may have moved or changed),
    /// macro and exposed-parameter positions and master volume. A state that cannot be read leaves everything as it was. A state
    /// whose patch no longer compiles keeps the current sound and shows the error, but its patch text is
    /// kept for the next save, so the project's patch is never lost. Main thread; the adapter then asks the
    /// host to rescan parameter values.
    pub fn load_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let saved = state::decode(bytes).inspect_err(|e| self.last_error = Some(e.to_string()))?;
        let label = saved.patch_path.clone().unwrap_or_else(|| "<saved patch>".into());
        let source = PatchSource { path: label, text: saved.patch_source };
        // A state from before exposed parameters (version 1) has none saved: they start at the defaults.
        if let Err(diagnostics) = self.play(source.clone(), false, Some(&saved.exposed)) {
            // The project's patch no longer compiles (a newer build's language, say): the old sound plays
            // on, the error is shown, and the saved text is kept so the next save does not lose it.
            let error = StateError::Patch(diagnostics);
            self.last_error = Some(error.to_string());
            self.unplayable = Some((source.text, saved.patch_path));
            return Err(error);
        }
        self.path = saved.patch_path.map(PathBuf::from);
        // The project's embedded source is what plays, even if the file changed since: stop watching
        // until a patch file is chosen again.
        self.watch = None;
        for (i, &position) in saved.macros.iter().enumerate() {
            self.params.set(Param::Macro(i), position as f64);
        }
        self.params.set(Param::Master, saved.master_db as f64);
        Ok(())
    }
}
