//! Loads `target/bundled/Ferrule.clap` the way a host scanning and using it does, several times over,
//! unloading it each time: instantiate, activate at 48 kHz, play A4 for a second in 512-frame blocks,
//! deactivate, destroy, close the library. For leak checks under valgrind:
//!
//! ```text
//! cargo xtask bundle
//! cargo build --release -p ferrule-plugin --example clap_load_unload
//! valgrind --leak-check=full --show-leak-kinds=all target/release/examples/clap_load_unload 6
//! ```
//!
//! The argument is how many times to load (default 6). Prints the peak of each load's output.

use std::path::PathBuf;

use clack_host::events::Match;
use clack_host::events::event_types::NoteOnEvent;
use clack_host::prelude::*;

struct Shared;
struct MainThread;
struct AudioThread;
struct Handlers;

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

fn main() {
    let loads: usize = std::env::args().nth(1).map_or(6, |n| n.parse().expect("a number of loads"));
    let bundle = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bundled/Ferrule.clap");
    for load in 0..loads {
        // SAFETY: loading our own plugin, built from this repository.
        let entry = unsafe { PluginEntry::load(&bundle) }.expect("run `cargo xtask bundle` first");
        let info = HostInfo::new("ferrule-load-unload", "Ferrule", "", "0").unwrap();
        let mut plugin =
            PluginInstance::<Handlers>::new(|_| Shared, |_| MainThread, &entry, c"org.ferrule.ferrule", &info)
                .expect("instantiates");
        let config = PluginAudioConfiguration { sample_rate: 48_000.0, min_frames_count: 1, max_frames_count: 512 };
        let mut processor =
            plugin.activate(|_, _| AudioThread, config).expect("activates").start_processing().expect("starts");
        let (mut left, mut right) = (vec![0f32; 512], vec![0f32; 512]);
        let mut peak = 0f32;
        let mut events = EventBuffer::with_capacity(1);
        events.push(&NoteOnEvent::new(0, Pckn::new(0u16, 0u16, 69u16, Match::All), 1.0));
        let mut output_events = EventBuffer::with_capacity(16);
        for block in 0..94 {
            if block == 1 {
                events.clear();
            }
            let mut ports = AudioPorts::with_capacity(2, 1);
            let mut outputs = ports.with_output_buffers([AudioPortBuffer {
                channels: AudioPortBufferType::f32_output_only([&mut left[..], &mut right[..]].into_iter()),
                latency: 0,
            }]);
            output_events.clear();
            processor
                .process(
                    &InputAudioBuffers::empty(),
                    &mut outputs,
                    &events.as_input(),
                    &mut output_events.as_output(),
                    None,
                    None,
                )
                .expect("processes");
            peak = left.iter().fold(peak, |p, x| p.max(x.abs()));
        }
        plugin.deactivate(processor.stop_processing());
        drop(plugin);
        drop(entry);
        println!("load {}: peak {peak:.3}", load + 1);
    }
}
