//! The engine's control side, shared between the reload thread and the thread that owns the engine.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ferrule_engine::{CompileSettings, EngineControl, Schedule};

/// A running engine's control side and the settings its schedules must be compiled for.
pub struct Target {
    /// The host's sample rate and largest block; a schedule compiled for other settings is not submitted.
    pub settings: CompileSettings,
    /// Submits schedules to the engine and takes retired ones back.
    pub control: EngineControl,
}

/// Why [`EngineSlot::submit`] did not hand a schedule to the engine.
#[derive(Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// No engine is attached (the plugin is deactivated).
    Detached,
    /// The engine was re-attached with other settings since the schedule was compiled: compile again.
    SettingsChanged,
    /// The engine's queue is full: the audio thread is not running or far behind.
    QueueFull,
}

impl std::fmt::Display for SubmitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SubmitError::Detached => "no engine is running",
            SubmitError::SettingsChanged => "the engine's sample rate or block size changed",
            SubmitError::QueueFull => "the audio thread is not taking new patches",
        })
    }
}

impl std::error::Error for SubmitError {}

/// An optional [`Target`] behind a mutex, cloned between the reload thread and the engine's owner (the
/// plugin's main thread, or the `ferrule play` command). Never touched by the audio thread, so its lock
/// can never stall audio; it is held only for a ring push or pop.
#[derive(Clone, Default)]
pub struct EngineSlot {
    inner: Arc<Mutex<Option<Target>>>,
}

impl EngineSlot {
    /// An empty slot: schedules are compiled and checked but not submitted until [`EngineSlot::attach`].
    pub fn new() -> EngineSlot {
        EngineSlot::default()
    }

    fn lock(&self) -> MutexGuard<'_, Option<Target>> {
        // A panic elsewhere while holding the lock leaves a valid `Option<Target>`: keep using it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `control` the engine that schedules go to, compiled for `settings`; returns the previous one.
    /// Any thread but audio.
    pub fn attach(&self, settings: CompileSettings, control: EngineControl) -> Option<Target> {
        self.lock().replace(Target { settings, control })
    }

    /// Forgets the engine (the host deactivated it); returns its control side. Any thread but audio.
    pub fn detach(&self) -> Option<Target> {
        self.lock().take()
    }

    /// The settings of the attached engine, or `None` when detached. Any thread but audio.
    pub fn settings(&self) -> Option<CompileSettings> {
        self.lock().as_ref().map(|t| t.settings)
    }

    /// Drops the schedules the engine has retired; returns how many. Any thread but audio.
    pub fn collect_retired(&self) -> usize {
        self.lock().as_mut().map_or(0, |t| t.control.collect_retired())
    }

    /// Hands `schedule`, compiled for `compiled_for`, to the attached engine after dropping retired ones.
    /// The engine takes it at the start of its next block. On an error the schedule is dropped here, on the
    /// calling thread. Any thread but audio.
    pub fn submit(&self, schedule: Schedule, compiled_for: &CompileSettings) -> Result<(), SubmitError> {
        let mut guard = self.lock();
        let target = guard.as_mut().ok_or(SubmitError::Detached)?;
        if target.settings != *compiled_for {
            return Err(SubmitError::SettingsChanged);
        }
        target.control.collect_retired();
        target.control.submit(schedule).map_err(|_| SubmitError::QueueFull)
    }
}
