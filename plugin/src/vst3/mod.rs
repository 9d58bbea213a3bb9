//! The VST3 adapter (the `vst3` crate's SDK 3.8 bindings): a component that plays (IComponent,
//! IAudioProcessor; notes, parameters, MIDI controllers and note expressions) and an edit controller
//! that shows parameters and note expressions to the host (IEditController, IMidiMapping,
//! INoteExpressionController). Both only translate between VST3 and the plugin core; the cdylib exports
//! `GetPluginFactory`, `ModuleEntry` and `ModuleExit` next to CLAP's `clap_entry`.
//!
//! The component plays and hot-reloads; the controller names parameters, opens the editor (`view`)
//! and runs the main-thread timer (`link`); both share one `instance::Instance`.
//!
//! VST3 calls every method through a shared pointer (`&self`), from the host's main thread or (for
//! `process`) its audio thread: state lives behind atomics and mutexes. Every entry point that does more
//! than return a constant or read an atomic runs inside `guarded`, so a panic becomes an error code
//! instead of unwinding into the host (which would abort it).

// The SDK's constants keep their C++ names (`kResultOk`, `kNoteOnEvent`), also where they are matched on.
#![allow(non_upper_case_globals)]

mod component;
mod controller;
mod factory;
mod instance;
mod link;
mod message;
mod note_expression;
mod note_ids;
mod params;
mod stream;
mod text;
mod view;

use std::ffi::c_void;

use vst3::Steinberg::{IPluginFactory, TUID, tresult};
use vst3::{ComWrapper, uid};

/// The class id of Ferrule's audio component (processor).
pub const COMPONENT_CID: TUID = uid(0x5F3A_1C0E, 0x9B4D_4E21, 0xA7C8_6D10, 0xFE44_2B91);
/// The class id of Ferrule's edit controller.
pub const CONTROLLER_CID: TUID = uid(0x8E21_77D4, 0x3C5A_4F0B, 0x9D16_B2E8, 0x41A0_C573);

/// The VST3 subcategories hosts sort Ferrule under.
pub const SUBCATEGORIES: &str = "Instrument|Synth";

/// Runs a VST3 method body, answering `kInternalError` instead of letting a panic reach the host.
fn guarded(f: impl FnOnce() -> tresult) -> tresult {
    crate::guard(f).unwrap_or(vst3::Steinberg::kInternalError)
}

/// Queues `intents` in the editor link of every live Ferrule VST3 instance in this process, as if the
/// user had made them in an open editor; the controller's next main-thread poll carries them out. For
/// tests and tools that drive the editor without a window. Main thread.
#[doc(hidden)]
pub fn post_editor_intents(intents: Vec<ferrule_editor::Intent>) {
    for instance in instance::Instance::all() {
        lock(&instance.main).editor.link().post(intents.clone());
    }
}

/// Locks `mutex` on the main thread, also after a panic poisoned it (the guarded method that panicked
/// left the data as consistent as any error would).
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The VST3 entry point: hands the host a new reference to Ferrule's class factory. Any thread.
#[unsafe(no_mangle)]
pub extern "system" fn GetPluginFactory() -> *mut IPluginFactory {
    crate::guard(|| ComWrapper::new(factory::Factory).to_com_ptr::<IPluginFactory>().map(|p| p.into_raw()))
        .flatten()
        .unwrap_or(std::ptr::null_mut())
}

/// Called by Linux hosts right after loading the library. Nothing to set up.
#[cfg(target_os = "linux")]
#[unsafe(no_mangle)]
pub extern "system" fn ModuleEntry(_library_handle: *mut c_void) -> bool {
    true
}

/// Called by Linux hosts before unloading the library. Nothing to tear down.
#[cfg(target_os = "linux")]
#[unsafe(no_mangle)]
pub extern "system" fn ModuleExit() -> bool {
    true
}

// Hosts call the component from two threads at once (main and audio): it must be Send + Sync.
const _: fn() = || {
    fn shared_across_threads<T: Send + Sync>() {}
    shared_across_threads::<component::Component>();
    shared_across_threads::<controller::Controller>();
};
