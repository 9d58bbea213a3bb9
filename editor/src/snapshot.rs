//! What the instrument is doing, as the editor shows it. Published by the plugin adapter (main thread)
//! and read by the editor; plain values, no references into the plugin.

use std::path::PathBuf;

use ferrule_engine::patch::ExposedParam;

/// One macro knob's name and position.
#[derive(Clone, Debug, PartialEq)]
pub struct MacroView {
    /// The patch's name for it (`Brightness`), or `Macro 5 (unused)`.
    pub name: String,
    /// Position 0..=1.
    pub value: f64,
    /// Whether the patch uses it (an unused knob is greyed out).
    pub used: bool,
}

/// One of the patch's exposed parameters: what it is (name, unit, range) and where its control stands.
#[derive(Clone, Debug, PartialEq)]
pub struct ExposedView {
    /// The parameter as the patch declares it (its name, unit and range; its position ↔ value ↔ text
    /// mapping is the one the host shows).
    pub param: ExposedParam,
    /// The control position 0..=1 (the host parameter's value).
    pub position: f64,
}

impl ExposedView {
    /// The value at control position `position` as the host shows it, in the parameter's unit
    /// (`1200 Hz`, `0.35 s`, `0.60`).
    pub fn text(&self, position: f64) -> String {
        self.param.format(self.param.value(position as f32))
    }
}

/// The result of the most recent reload of the watched patch file.
#[derive(Clone, Debug, PartialEq)]
pub struct ReloadView {
    /// Wall-clock time of the reload, as text (`14:02:31`).
    pub time: String,
    /// Whether the new patch compiled and plays.
    pub ok: bool,
    /// One line summary (`reloaded in 3.2 ms`, `failed: 1 error`).
    pub summary: String,
}

/// The master volume's range in dB, lowest (silence) to highest: the host parameter's range (the plugin's
/// `params`) and the editor knob's, declared once here because the plugin depends on the editor.
pub const MASTER_RANGE_DB: (f64, f64) = (-60.0, 6.0);

/// Everything the editor shows. The adapter publishes a fresh one whenever something changes and on a
/// timer for the meters.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// The patch file being played, `None` for the embedded default patch.
    pub patch_path: Option<PathBuf>,
    /// The source text of the patch being played (drawn as the graph).
    pub patch_text: String,
    /// The label diagnostics use for the playing patch (its path, or `<default patch>`).
    pub patch_label: String,
    /// The last reload, if the file is watched and was saved since it was chosen.
    pub reload: Option<ReloadView>,
    /// Problems with the newest save or load, one per line, `file:line:col: error: message` first.
    pub diagnostics: Vec<String>,
    /// Whether there is a last good patch to go back to.
    pub can_rollback: bool,
    /// The user patch folder, and the patches in it.
    pub user_folder: Option<PathBuf>,
    /// The `.ron` files in the user patch folder.
    pub user_patches: Vec<PathBuf>,
    /// The eight macros.
    pub macros: Vec<MacroView>,
    /// Master volume in dB, within [`MASTER_RANGE_DB`].
    pub master_db: f64,
    /// The patch's exposed parameters, slot `n` being the `n`-th (only the slots the patch uses).
    pub exposed: Vec<ExposedView>,
    /// Voices sounding now (every source: host, MIDI, the on-screen keyboard).
    pub voices: usize,
    /// Keys sounding now, lowest first (lit on the on-screen keyboard and listed by name).
    pub active_notes: Vec<u8>,
    /// Audio-thread load as a share of the block deadline, smoothed over a few hundred ms: 0..=1, above 1
    /// means the host's audio drops out.
    pub cpu_load: f32,
    /// The largest load of one block over the last meter period, same unit.
    pub cpu_peak: f32,
    /// Output peak level over the last meter period, in dBFS.
    pub level_db: f32,
    /// The last few tens of milliseconds of output (mono), oldest first, full scale ±1.
    pub scope: Vec<f32>,
    /// Points per second of [`Snapshot::scope`] (0 when unknown).
    pub scope_rate: f32,
    /// While the engine keeps a runaway patch muted: its output peak when the guard tripped, in dBFS.
    pub runaway_db: Option<f32>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot {
            patch_path: None,
            patch_text: String::new(),
            patch_label: "<default patch>".into(),
            reload: None,
            diagnostics: Vec::new(),
            can_rollback: false,
            user_folder: None,
            user_patches: Vec::new(),
            macros: (0..8)
                .map(|i| MacroView { name: format!("Macro {} (unused)", i + 1), value: 0.0, used: false })
                .collect(),
            master_db: 0.0,
            exposed: Vec::new(),
            voices: 0,
            active_notes: Vec::new(),
            cpu_load: 0.0,
            cpu_peak: 0.0,
            level_db: f32::NEG_INFINITY,
            scope: Vec::new(),
            scope_rate: 0.0,
            runaway_db: None,
        }
    }
}
