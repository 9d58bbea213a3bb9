//! Hot reload in the plugin: once a patch file is chosen, [`PluginCore`] watches it; every save is compiled
//! on the reload thread (never the host's main or audio thread) and handed straight to the engine, so the
//! new sound does not wait for the host's timer. The adapter polls [`PluginCore::poll_reload`] from its
//! main-thread timer (CLAP: the timer-support extension, or `on_main_thread` after a callback request)
//! to bring the core's view (source for the state, macro names, latency, error text) up to date; an
//! adapter without a timer is told when there is something to poll ([`PluginCore::set_reload_notify`]).

use ferrule_reload::{ReloadOptions, Reloader};

pub use ferrule_reload::{ReloadEvent, Status as ReloadStatus};

use super::{PluginCore, check_settings};

impl PluginCore {
    /// Starts watching the chosen patch file, replacing any earlier watch. A watch that cannot start
    /// (too many watches, folder gone) is reported through [`PluginCore::last_error`]; the patch still
    /// plays. Main thread.
    pub(super) fn start_watching(&mut self) {
        self.watch = None; // Stop the old watch first: only one reload thread submits at a time.
        let Some(path) = self.path.clone() else { return };
        let options = ReloadOptions {
            detached_settings: check_settings(),
            on_event: self.reload_notify.clone(),
            ..ReloadOptions::default()
        };
        match Reloader::watch(&path, self.slot.clone(), Some(self.source.clone()), options) {
            Ok(reloader) => self.watch = Some(reloader),
            Err(e) => self.last_error = Some(e.to_string()),
        }
    }

    /// Stops watching the patch file and joins the reload thread (so the [`PluginCore::set_reload_notify`]
    /// callback is never called again); the patch plays on. Main thread.
    pub fn stop_watching(&mut self) {
        self.watch = None;
    }

    /// The next thing that happened to the watched patch file, applied to the core, or `None`. Call from
    /// the main thread regularly (a 50–100 ms timer is plenty; the sound itself changes without it).
    ///
    /// - [`ReloadEvent::Reloaded`]: the new source is what the state saves; macro names and defaults are
    ///   the new patch's (macro positions are kept); exposed parameters keep the host's value unless the
    ///   file changed one (its name, range or default), which then shows its new default; [`PluginCore::latency`] is the new schedule's. The
    ///   adapter then asks the host to rescan parameter names, and, if the latency changed, tells the host
    ///   as the format requires.
    /// - [`ReloadEvent::Failed`] / [`ReloadEvent::Missing`]: the last good patch plays on; the message
    ///   (`file:line:col: error: …` for a compile error) is [`PluginCore::last_error`].
    pub fn poll_reload(&mut self) -> Option<ReloadEvent> {
        let event = self.watch.as_ref()?.poll()?;
        match &event {
            ReloadEvent::Reloaded(r) => {
                self.source = r.source.clone();
                self.macro_names = r.macro_names.clone();
                self.macro_defaults = r.macro_defaults.clone();
                // The reload thread compiled and submitted it; the exposed list comes from the same text
                // (it validated there, so it validates here). Slots keep the host's value unless their
                // parameter changed, exactly as the engine decided when it took the schedule.
                if let Ok(exposed) = ferrule_engine::patch::exposed_params(&r.source) {
                    self.take_exposed(exposed, None);
                }
                self.latency = r.latency;
                self.last_error = None;
                self.patch_changed = true;
            }
            ReloadEvent::Failed(_) | ReloadEvent::Missing { .. } => self.last_error = Some(event.to_string()),
        }
        Some(event)
    }

    /// Returns to the last patch that compiled: what the editor's "back to the last good patch" does after
    /// a broken save. The last good patch plays (it already does when the engine kept it), the saved state
    /// holds its source again and the error is cleared. The file on disk is left as the user wrote it.
    /// Main thread.
    pub fn rollback(&mut self) -> Result<(), String> {
        let source = self
            .reload_status()
            .and_then(|s| s.last_good)
            .ok_or_else(|| "no earlier patch to return to".to_string())?;
        self.play(source, false, None)?;
        self.patch_changed = true;
        Ok(())
    }

    /// Whether another patch has played since the last call because of the editor (a file chosen, a
    /// rollback) or a hot reload, and clears it. The project saves the patch's source, so the adapter then
    /// tells the host the project changed (CLAP `state.mark_dirty`, VST3 `setDirty`): closing without saving
    /// would otherwise reopen the old sound. A state the host loads is no change it needs telling of. Main
    /// thread.
    pub fn take_patch_changed(&mut self) -> bool {
        std::mem::take(&mut self.patch_changed)
    }

    /// The watcher's state for the editor: the last good source (to return to), the newest event, counts.
    /// `None` when no patch file is watched. Main thread.
    pub fn reload_status(&self) -> Option<ReloadStatus> {
        self.watch.as_ref().map(Reloader::status)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::core::{NoteTag, Param, SharedParams};

    fn patch(gain: f32, macro_name: &str) -> String {
        format!(
            r#"(
    version: 1,
    nodes: {{ "osc": (kind: "sine"), "amp": (kind: "vca", params: {{ "gain": {gain:?} }}) }},
    connections: [("osc", "amp.in")],
    macros: [(name: "{macro_name}", min: 0.0, max: 1.0, default: 0.5)],
    output: Mono("amp.out"),
)"#
        )
    }

    /// Polls as a host timer would, until an event arrives (a generous wait, not a timing assertion).
    fn poll(core: &mut PluginCore) -> ReloadEvent {
        let end = Instant::now() + Duration::from_secs(10);
        while Instant::now() < end {
            if let Some(event) = core.poll_reload() {
                return event;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no reload event");
    }

    fn peak(audio: &mut crate::core::AudioCore) -> f32 {
        let (mut l, mut r) = ([0.0f32; 512], [0.0f32; 512]);
        let mut peak = 0.0f32;
        for _ in 0..10 {
            audio.begin();
            audio.render(&mut l, &mut r);
            peak = l.iter().fold(0.0, |a, x| a.max(x.abs()));
        }
        peak
    }

    /// A core playing `path` (written as `patch(0.25, "Tone")`) and watching it, active at 48 kHz, with A4
    /// held and heard at 0.25.
    fn playing(path: &std::path::Path) -> (PluginCore, crate::core::AudioCore) {
        std::fs::write(path, patch(0.25, "Tone")).unwrap();
        let mut core = PluginCore::new(Arc::new(SharedParams::default()));
        core.load_patch_file(path).unwrap();
        let mut audio = core.activate(48_000.0, 512).unwrap();
        audio.begin();
        audio.note_on(0, 69, 1.0, NoteTag::UNKNOWN);
        audio.render(&mut [0.0; 512], &mut [0.0; 512]);
        assert!((peak(&mut audio) - 0.25).abs() < 0.01);
        (core, audio)
    }

    #[test]
    fn a_saved_patch_file_is_heard_and_a_broken_save_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.ron");
        let (mut core, mut audio) = playing(&path);

        std::fs::write(&path, patch(0.5, "Colour")).unwrap();
        assert!(matches!(poll(&mut core), ReloadEvent::Reloaded(_)));
        assert!((peak(&mut audio) - 0.5).abs() < 0.01, "the engine plays the saved patch, note held");
        assert_eq!(core.param_name(Param::Macro(0)), "Colour");
        assert_eq!(core.last_error(), None);

        std::fs::write(&path, patch(0.5, "Colour").replace("\"sine\"", "\"sien\"")).unwrap();
        assert!(matches!(poll(&mut core), ReloadEvent::Failed(_)));
        let error = core.last_error().unwrap().to_string();
        assert!(error.starts_with(&format!("{}:3:28: error: unknown node kind `sien`", path.display())), "{error}");
        assert!((peak(&mut audio) - 0.5).abs() < 0.01, "the last good patch plays on");
        let status = core.reload_status().unwrap();
        assert_eq!(status.last_good.unwrap().text, patch(0.5, "Colour"), "the rollback target");
        core.rollback().unwrap();
        assert_eq!(core.last_error(), None, "rolling back clears the error");
        assert!((peak(&mut audio) - 0.5).abs() < 0.01, "and plays the last good patch");
        assert!(std::fs::read_to_string(&path).unwrap().contains("sien"), "the user's file is left as written");
        core.deactivate();
    }

    #[test]
    fn a_save_over_the_resource_budget_keeps_the_old_patch_playing_and_says_what_is_too_big() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.ron");
        let (mut core, mut audio) = playing(&path);

        // A save with 4,000 echoes: a gigabyte of delay lines if it were built.
        let echoes: String = (0..4000).map(|i| format!("\"e{i}\": (kind: \"delay\"), ")).collect();
        let huge = patch(0.5, "Tone").replace("    output:", &format!("    effects: {{ {echoes} }},\n    output:"));
        std::fs::write(&path, huge).unwrap();
        assert!(matches!(poll(&mut core), ReloadEvent::Failed(_)));
        let error = core.last_error().unwrap().to_string();
        assert!(
            error.contains("error: `e0` needs 256.5 KiB of memory; this patch needs 1003.8 MiB in all, the limit is"),
            "{error}"
        );
        assert!((peak(&mut audio) - 0.25).abs() < 0.01, "the last good patch plays on");
        core.deactivate();
    }

    #[test]
    fn the_editor_and_hot_reloads_change_the_project_and_the_hosts_state_load_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.ron");
        std::fs::write(&path, patch(0.25, "Tone")).unwrap();
        let mut core = PluginCore::new(Arc::new(SharedParams::default()));
        assert!(!core.take_patch_changed(), "the default patch is no change");
        core.load_patch_file(&path).unwrap();
        assert!(core.take_patch_changed(), "a file chosen in the editor");
        assert!(!core.take_patch_changed(), "told once");
        assert!(core.load_patch_file(&dir.path().join("missing.ron")).is_err());
        assert!(!core.take_patch_changed(), "a refused file changes nothing");

        std::fs::write(&path, patch(0.5, "Colour")).unwrap();
        assert!(matches!(poll(&mut core), ReloadEvent::Reloaded(_)));
        assert!(core.take_patch_changed(), "a hot reload: the project now saves the new source");
        std::fs::write(&path, patch(0.5, "Colour").replace("\"sine\"", "\"sien\"")).unwrap();
        assert!(matches!(poll(&mut core), ReloadEvent::Failed(_)));
        assert!(!core.take_patch_changed(), "a broken save leaves the old patch, and the project, as they were");
        core.rollback().unwrap();
        assert!(core.take_patch_changed(), "going back to the last good patch");

        let saved = core.save_state();
        core.load_state(&saved).unwrap();
        assert!(!core.take_patch_changed(), "the host's own state load");
    }
}
