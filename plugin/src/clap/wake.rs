//! Main-thread wake-ups for CLAP hosts that offer no `timer-support`: instead of a 50 ms timer, the
//! plugin asks the host for a callback (`request_callback`, callable from any thread) whenever something
//! waits for the main thread, and the host then calls `on_main_thread`.
//!
//! - The editor window asks on every frame while it is open (its intents and fresh meters wait).
//! - The reload thread asks right after each reload result it publishes
//!   (`PluginCore::set_reload_notify`, through `ferrule_reload::ReloadOptions::on_event`), so the saved
//!   source for the project, macro names and a latency change reach the core with no polling at all.

use std::sync::Arc;

use clack_plugin::host::HostSharedHandle;

/// Asks the host for a main-thread callback. Any thread.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// A [`Wake`] that calls the host's `request_callback`.
///
/// # Safety
/// The host handle is only valid while the plugin instance exists: every copy of the returned wake must
/// be dropped, and every thread that may call it joined, before the instance is destroyed
/// (`ClapMainThread::drop` closes the editor window and stops the reload thread first).
pub unsafe fn host_wake(host: HostSharedHandle<'_>) -> Wake {
    // SAFETY: the handle is given a `'static` lifetime it does not really have; that is sound because this
    // function's contract makes the caller drop every copy of the wake (and join every thread that may call it)
    // before the plugin instance, and so the host handle, is destroyed. The wake calls only `request_callback`,
    // which CLAP allows from any thread.
    let host: HostSharedHandle<'static> = unsafe { host.with_arbitrary_lifetime() };
    Arc::new(move || host.request_callback())
}
