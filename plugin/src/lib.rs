//! Ferrule as a CLAP and VST3 instrument.
//!
//! [`core`] holds everything the formats share (parameters, state, patch loading, the engine); each format
//! adapter only translates. The cdylib exports `clap_entry` and VST3's `GetPluginFactory`,
//! `ModuleEntry` and `ModuleExit`.

pub mod clap;
pub mod core;
mod editor_host;
mod midi;
pub mod vst3;

/// The plugin's unique id (reverse domain).
pub const PLUGIN_ID: &str = "org.ferrule.ferrule";
/// The name hosts show.
pub const PLUGIN_NAME: &str = "Ferrule";
/// The vendor hosts show.
pub const VENDOR: &str = "Ferrule";

/// Runs `f`, turning a panic into `None` so that no panic ever unwinds into the host.
pub(crate) fn guard<R>(f: impl FnOnce() -> R) -> Option<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

clack_plugin::clack_export_entry!(clack_plugin::entry::SinglePluginEntry<clap::FerruleClap>);
