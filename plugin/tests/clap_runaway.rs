//! A patch that runs away, through the built CLAP plugin as a host plays it: the output is muted with a
//! short fade (no click) within the grace time, and the next good patch plays again in the same
//! activation.
//!
//! Needs `target/bundled/Ferrule.clap` (`cargo xtask bundle`; `cargo xtask test` makes it first).

use clack_extensions::state::PluginState;
use clack_host::events::Match;
use clack_host::events::event_types::NoteOnEvent;
use clack_host::prelude::*;
use ferrule_engine::{RUNAWAY_LEVEL, RUNAWAY_SECONDS};
use ferrule_plugin::core::state::{SavedState, encode};
use ferrule_tests::measure::{max_step, peak};

mod clap_common;
mod common;

use clap_common::*;
use common::sine_state;

use ferrule_tests::patch::SCREAMER;

const RATE: f64 = 48_000.0;

fn load_state(plugin: &mut PluginInstance<Handlers>, bytes: &[u8]) {
    let handle = plugin.plugin_handle();
    let state = handle.get_extension::<PluginState>().expect("state extension");
    state.load(&handle, &mut &bytes[..]).expect("the state loads");
}

/// Renders `frames` frames in blocks of `block` with a note-on for `key` at frame 0; the left channel.
fn play(processor: &mut StartedPluginAudioProcessor<Handlers>, key: u16, frames: usize, block: usize) -> Vec<f32> {
    let (mut left, mut right) = (vec![0f32; block], vec![0f32; block]);
    let mut out = Vec::with_capacity(frames);
    let mut events = EventBuffer::with_capacity(1);
    events.push(&NoteOnEvent::new(0, Pckn::new(0u16, 0u16, key, Match::All), 1.0));
    let mut output_events = EventBuffer::with_capacity(64);
    while out.len() < frames {
        process_stereo(processor, &events.as_input(), &mut left, &mut right, &mut output_events);
        events.clear();
        out.extend_from_slice(&left);
    }
    out
}

/// A plugin instance playing [`SCREAMER`], activated for blocks of `block`, that has run it away (muted)
/// with key 45 held; returns the instance, its processor and what it played.
fn run_away(
    entry: &PluginEntry,
    block: usize,
) -> (PluginInstance<Handlers>, StartedPluginAudioProcessor<Handlers>, Vec<f32>) {
    let screamer = encode(&SavedState {
        patch_path: None,
        patch_source: SCREAMER.into(),
        macros: [0.0; 8],
        master_db: 0.0,
        exposed: Vec::new(),
    });
    let info = HostInfo::new("ferrule-test-host", "Ferrule", "", "0").unwrap();
    let mut plugin = PluginInstance::<Handlers>::new(|_| Shared, |_| MainThread, entry, c"org.ferrule.ferrule", &info)
        .expect("instantiates");
    load_state(&mut plugin, &screamer);
    let config = PluginAudioConfiguration { sample_rate: RATE, min_frames_count: 1, max_frames_count: block as u32 };
    let mut processor = plugin.activate(|_, _| AudioThread, config).unwrap().start_processing().unwrap();
    let out = play(&mut processor, 45, 9_600, block);
    (plugin, processor, out)
}

#[test]
fn a_runaway_patch_goes_silent_within_the_fade_and_the_next_good_patch_plays() {
    let entry = entry();
    for block in [64usize, 256, 1024] {
        let (mut plugin, mut processor, out) = run_away(&entry, block);
        assert!(out.iter().all(|x| x.is_finite()), "block {block}: finite");
        assert!(peak(&out[..2_400]) > RUNAWAY_LEVEL, "block {block}: it really is loud at first: {}", peak(&out));
        // Muted after the grace time (100 ms) plus at most one block, then a 5 ms fade.
        let trip = (RUNAWAY_SECONDS as f64 * RATE) as usize;
        let silent_from = trip + block + (0.005 * RATE) as usize;
        assert_eq!(peak(&out[silent_from..]), 0.0, "block {block}: silent from frame {silent_from}");
        // The mute is a fade: no step beyond the patch's own.
        let (fade, own) = (max_step(&out[trip - 100..silent_from]), max_step(&out[..trip - 100]));
        assert!(fade <= own, "block {block}: step while muting {fade} vs the patch's own {own}");

        // The host loads a good patch while the instrument stays active; the held key, struck again, plays
        // it at its level (0.5) once the patches' 15 ms crossfade is over.
        load_state(&mut plugin, &sine_state(0.0));
        let after = play(&mut processor, 45, 9_600, block);
        let level = peak(&after[2_400..]);
        assert!((level - 0.5).abs() < 0.01, "block {block}: the next patch plays: {level}");
        plugin.deactivate(processor.stop_processing());
    }
}

#[test]
fn a_good_patch_after_a_runaway_starts_without_a_burst_of_the_runaway() {
    let entry = entry();
    let (mut plugin, mut processor, _) = run_away(&entry, 256);
    load_state(&mut plugin, &sine_state(0.0));
    let after = play(&mut processor, 45, 4_800, 256);
    assert!(peak(&after) <= 0.51, "the first 100 ms after the new patch peak at {}", peak(&after));
    plugin.deactivate(processor.stop_processing());
}
