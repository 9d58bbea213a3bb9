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

use clack_host::events::Match;
use clack_host::events::event_types::NoteOnEvent;
use clack_host::prelude::*;

// The CLAP tests' host (answers every request with nothing) and bundle loading.
#[path = "../tests/clap_common/mod.rs"]
mod clap_common;

use clap_common::{AudioThread, Handlers, MainThread, Shared, entry, process_stereo};

fn main() {
    let loads: usize = std::env::args().nth(1).map_or(6, |n| n.parse().expect("a number of loads"));
    for load in 0..loads {
        let entry = entry();
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
            process_stereo(&mut processor, &events.as_input(), &mut left, &mut right, &mut output_events);
            peak = left.iter().fold(peak, |p, x| p.max(x.abs()));
        }
        plugin.deactivate(processor.stop_processing());
        drop(plugin);
        drop(entry);
        println!("load {}: peak {peak:.3}", load + 1);
    }
}
