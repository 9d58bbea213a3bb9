//! The CLAP build tells its host how late its output is, and announces a change the way the latency
//! extension requires: a restart request while active, then `latency.changed` during activation. A host
//! that compensates by the wrong figure puts every note off the grid.
//!
//! Needs `target/bundled/Ferrule.clap` (`cargo xtask bundle`; `cargo xtask test` makes it first).

use std::sync::atomic::{AtomicU32, Ordering};

use clack_extensions::latency::{HostLatency, HostLatencyImpl, PluginLatency};
use clack_extensions::state::PluginState;
use clack_host::prelude::*;

mod clap_common;
mod common;

use clap_common::entry;
use common::sine_state;

/// A host that offers the latency extension and counts what the plugin asks of it.
struct Counting;
#[derive(Default)]
struct Shared {
    restarts: AtomicU32,
}
#[derive(Default)]
struct Main {
    changed: AtomicU32,
}

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {
        self.restarts.fetch_add(1, Ordering::SeqCst);
    }
    fn request_process(&self) {}
    fn request_callback(&self) {}
}
impl MainThreadHandler<'_> for Main {}
impl HostLatencyImpl for Main {
    fn changed(&self) {
        self.changed.fetch_add(1, Ordering::SeqCst);
    }
}
impl HostHandlers for Counting {
    type Shared<'a> = Shared;
    type MainThread<'a> = Main;
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder.register::<HostLatency>();
    }
}

fn instance(entry: &PluginEntry) -> PluginInstance<Counting> {
    let info = HostInfo::new("ferrule-latency-host", "Ferrule", "", "0").unwrap();
    PluginInstance::<Counting>::new(|_| Shared::default(), |_| Main::default(), entry, c"org.ferrule.ferrule", &info)
        .expect("instantiates")
}

fn latency(plugin: &mut PluginInstance<Counting>) -> u32 {
    let handle = plugin.plugin_handle();
    let ext = handle.get_extension::<PluginLatency>().expect("the plugin has the latency extension");
    ext.get(&handle)
}

fn load_state(plugin: &mut PluginInstance<Counting>, bytes: &[u8]) {
    let handle = plugin.plugin_handle();
    let state = handle.get_extension::<PluginState>().expect("state extension");
    state.load(&handle, &mut &bytes[..]).expect("the state loads");
}

fn counts(plugin: &mut PluginInstance<Counting>) -> (u32, u32) {
    let restarts = plugin.access_shared_handler(|s| s.restarts.load(Ordering::SeqCst));
    let changed = plugin.access_handler(|m| m.changed.load(Ordering::SeqCst));
    (restarts, changed)
}

const CONFIG: PluginAudioConfiguration =
    PluginAudioConfiguration { sample_rate: 48_000.0, min_frames_count: 1, max_frames_count: 512 };

#[test]
fn the_default_patch_reports_its_oscillators_delay_and_a_new_patch_is_announced() {
    let entry = entry();
    let mut plugin = instance(&entry);
    // The default patch's saws are band-limited with a 24-tap linear-phase kernel: 12 samples late.
    assert_eq!(latency(&mut plugin), 12);
    let stopped = plugin.activate(|_, _| (), CONFIG).expect("activates");
    assert_eq!(counts(&mut plugin), (0, 0), "nothing changed, nothing announced");

    // A project whose patch is a plain sine (no band-limiting delay) loads while playing.
    load_state(&mut plugin, &sine_state(0.0));
    assert_eq!(counts(&mut plugin), (1, 0), "the host is asked to restart once");
    load_state(&mut plugin, &sine_state(0.5));
    plugin.call_on_main_thread_callback();
    assert_eq!(counts(&mut plugin), (1, 0), "one request is enough until the host restarts");

    plugin.deactivate(stopped);
    let _stopped = plugin.activate(|_, _| (), CONFIG).expect("reactivates");
    assert_eq!(counts(&mut plugin), (1, 1), "activation announces the new latency");
    assert_eq!(latency(&mut plugin), 0, "and the host reads the sine's");
}

#[test]
fn a_host_that_never_asks_is_never_pestered() {
    let entry = entry();
    let mut plugin = instance(&entry);
    let stopped = plugin.activate(|_, _| (), CONFIG).expect("activates");
    load_state(&mut plugin, &sine_state(0.0));
    plugin.call_on_main_thread_callback();
    plugin.deactivate(stopped);
    let _stopped = plugin.activate(|_, _| (), CONFIG).expect("reactivates");
    assert_eq!(counts(&mut plugin), (0, 0));
}
