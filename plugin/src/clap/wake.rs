//! Main-thread wake-ups for CLAP hosts that offer no `timer-support`: instead of a 50 ms timer, the
//! plugin asks the host for a callback (`request_callback`, callable from any thread) whenever something
//! waits for the main thread, and the host then calls `on_main_thread`.
//!
//! - The editor window asks on every frame while it is open (its intents and fresh meters wait).
//! - While a patch file is watched, a [`Pump`] thread asks every 50 ms, so reload results (the saved
//!   source for the project, macro names, a latency change) reach the core. The reload thread itself
//!   cannot say when it has a result: `ferrule-reload` has no notification hook yet, so this polls.

use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use clack_plugin::host::HostSharedHandle;

/// Asks the host for a main-thread callback. Any thread.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// A [`Wake`] that calls the host's `request_callback`.
///
/// # Safety
/// The host handle is only valid while the plugin instance exists: every copy of the returned wake must
/// be dropped, and every thread that may call it joined, before the instance is destroyed
/// (`ClapMainThread::drop` closes the editor window and stops the pump first).
pub unsafe fn host_wake(host: HostSharedHandle<'_>) -> Wake {
    // SAFETY: see the function's contract; `request_callback` is thread-safe in CLAP.
    let host: HostSharedHandle<'static> = unsafe { host.with_arbitrary_lifetime() };
    Arc::new(move || host.request_callback())
}

/// A thread that calls a [`Wake`] every `period` until dropped. Made and dropped on the main thread.
pub struct Pump {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Pump {
    /// Starts calling `wake` every `period`. Fails only if the thread cannot be started.
    pub fn start(wake: Wake, period: Duration) -> std::io::Result<Pump> {
        let (stop, stopped) = channel::<()>();
        let thread = std::thread::Builder::new().name("ferrule main-thread wake".into()).spawn(move || {
            // Wakes until the sender is dropped (`recv_timeout` then reports a disconnect).
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
                wake();
            }
        })?;
        Ok(Pump { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Pump {
    /// Stops the thread and joins it, so the wake is never called afterwards.
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_pump_wakes_until_it_is_dropped_and_never_after() {
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        let pump = Pump::start(Arc::new(move || _ = counter.fetch_add(1, Ordering::SeqCst)), Duration::from_millis(5))
            .expect("the thread starts");
        // A generous wait for a few wake-ups (not a timing assertion).
        let end = Instant::now() + Duration::from_secs(10);
        while count.load(Ordering::SeqCst) < 3 && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(count.load(Ordering::SeqCst) >= 3, "it wakes repeatedly");
        drop(pump);
        let after = count.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(count.load(Ordering::SeqCst), after, "no wake after the pump is dropped (its thread was joined)");
    }
}
