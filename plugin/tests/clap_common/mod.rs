//! What the CLAP host tests share: a clack-host host that answers every request with nothing, and the
//! bundled plugin loaded from disk the way a DAW loads it.
#![allow(dead_code)]

use std::path::PathBuf;

use clack_host::prelude::*;

pub struct Shared;
pub struct MainThread;
pub struct AudioThread;
/// The test host's handler types.
pub struct Handlers;

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}
impl AudioProcessorHandler<'_> for AudioThread {}
impl MainThreadHandler<'_> for MainThread {}
impl HostHandlers for Handlers {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread;
    type AudioProcessor<'a> = AudioThread;
}

/// `target/bundled/Ferrule.clap`, which `cargo xtask bundle` (and `cargo xtask test`) writes.
pub fn bundle() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bundled/Ferrule.clap");
    assert!(path.exists(), "{} is missing: run `cargo xtask bundle` (cargo xtask test does it first)", path.display());
    path
}

/// The bundle's entry, loaded from disk.
pub fn entry() -> PluginEntry {
    // SAFETY: loading our own plugin, built from this repository.
    unsafe { PluginEntry::load(bundle()) }.expect("the bundle loads")
}

/// Renders one stereo block into `left` and `right` (the block is their length) with `events`, clearing
/// `output_events` first and leaving what the plugin sends back in it. Panics if the plugin refuses to
/// process.
pub fn process_stereo<H: HostHandlers>(
    processor: &mut StartedPluginAudioProcessor<H>,
    events: &InputEvents,
    left: &mut [f32],
    right: &mut [f32],
    output_events: &mut EventBuffer,
) {
    let mut ports = AudioPorts::with_capacity(2, 1);
    let mut outputs = ports.with_output_buffers([AudioPortBuffer {
        channels: AudioPortBufferType::f32_output_only([left, right].into_iter()),
        latency: 0,
    }]);
    output_events.clear();
    processor
        .process(&InputAudioBuffers::empty(), &mut outputs, events, &mut output_events.as_output(), None, None)
        .expect("processes");
}
