//! Ferrule's CLAP build loaded from disk by a small host built on clack-host, the way a DAW loads it:
//! scan, instantiate, activate at several rates and block sizes, play notes, automate, save and restore.
//!
//! Needs `target/bundled/Ferrule.clap` (`cargo xtask bundle`; `cargo xtask test` makes it first).

use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::state::PluginState;
use clack_host::events::Match;
use clack_host::events::event_types::{
    NoteExpressionEvent, NoteExpressionType, NoteOffEvent, NoteOnEvent, ParamValueEvent,
};
use clack_host::prelude::*;

mod clap_common;
mod common;

use clap_common::*;
use common::{SINE, sine_state};
use ferrule_plugin::core::state::{SavedState, encode};

struct Instance {
    plugin: PluginInstance<Handlers>,
}

enum Input {
    On(u32, u16),
    Off(u32, u16),
    Param(u32, u32, f64),
    /// A CLAP tuning note expression, in semitones, on a key.
    Tune(u32, u16, f64),
}

impl Instance {
    fn new(entry: &PluginEntry) -> Instance {
        let info = HostInfo::new("ferrule-test-host", "Ferrule", "", "0").unwrap();
        let plugin = PluginInstance::<Handlers>::new(|_| Shared, |_| MainThread, entry, c"org.ferrule.ferrule", &info)
            .expect("instantiates");
        Instance { plugin }
    }

    fn load_state(&mut self, bytes: &[u8]) -> Result<(), ()> {
        let handle = self.plugin.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("state extension");
        state.load(&handle, &mut &bytes[..]).map_err(|_| ())
    }

    fn save_state(&mut self) -> Vec<u8> {
        let handle = self.plugin.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("state extension");
        let mut out = Vec::new();
        state.save(&handle, &mut out).expect("saves");
        out
    }

    /// Activates at `rate`, renders `frames` frames in blocks whose sizes cycle through `blocks`, applying
    /// `inputs` at their absolute frame, and returns the left channel.
    fn render(&mut self, rate: f64, blocks: &[usize], frames: usize, inputs: &[Input]) -> Vec<f32> {
        let max = *blocks.iter().max().unwrap();
        let config = PluginAudioConfiguration { sample_rate: rate, min_frames_count: 1, max_frames_count: max as u32 };
        let stopped = self.plugin.activate(|_, _| AudioThread, config).expect("activates");
        let mut processor = stopped.start_processing().expect("starts processing");
        let mut out_l = vec![0f32; max];
        let mut out_r = vec![0f32; max];
        let mut result = Vec::with_capacity(frames);
        let mut events = EventBuffer::with_capacity(64);
        let mut output_events = EventBuffer::with_capacity(64);
        let mut at = 0;
        let mut b = 0;
        while at < frames {
            let n = blocks[b % blocks.len()].min(frames - at);
            b += 1;
            events.clear();
            for input in inputs {
                let (Input::On(time, _) | Input::Off(time, _) | Input::Param(time, _, _) | Input::Tune(time, _, _)) =
                    *input;
                if !(at..at + n).contains(&(time as usize)) {
                    continue;
                }
                let t = time - at as u32;
                match *input {
                    Input::On(_, key) => events.push(&NoteOnEvent::new(t, Pckn::new(0u16, 0u16, key, Match::All), 1.0)),
                    Input::Off(_, key) => {
                        events.push(&NoteOffEvent::new(t, Pckn::new(0u16, 0u16, key, Match::All), 0.0))
                    }
                    Input::Param(_, id, v) => {
                        events.push(&ParamValueEvent::new(t, ClapId::new(id), Pckn::match_all(), v))
                    }
                    Input::Tune(_, key, semitones) => events.push(&NoteExpressionEvent::new(
                        t,
                        Pckn::new(0u16, 0u16, key, Match::All),
                        NoteExpressionType::Tuning,
                        semitones,
                    )),
                }
            }
            process_stereo(&mut processor, &events.as_input(), &mut out_l[..n], &mut out_r[..n], &mut output_events);
            result.extend_from_slice(&out_l[..n]);
            at += n;
        }
        self.plugin.deactivate(processor.stop_processing());
        result
    }
}

fn pitch_hz(x: &[f32], rate: f64) -> f64 {
    let ups: Vec<f64> = (1..x.len())
        .filter(|&i| x[i - 1] <= 0.0 && x[i] > 0.0)
        .map(|i| i as f64 - 1.0 + (-x[i - 1] as f64) / (x[i] as f64 - x[i - 1] as f64))
        .collect();
    (ups.len() - 1) as f64 * rate / (ups[ups.len() - 1] - ups[0])
}

fn peak(x: &[f32]) -> f32 {
    x.iter().fold(0.0, |a, v| a.max(v.abs()))
}

#[test]
fn the_descriptor_says_what_ferrule_is() {
    let entry = entry();
    let factory = entry.get_plugin_factory().expect("a plugin factory");
    let descriptor = factory.plugin_descriptor(0).expect("one plugin");
    assert_eq!(descriptor.id().unwrap().to_bytes(), b"org.ferrule.ferrule");
    assert_eq!(descriptor.name().unwrap().to_bytes(), b"Ferrule");
    let features: Vec<&[u8]> = descriptor.features().map(|f| f.to_bytes()).collect();
    assert!(features.contains(&&b"instrument"[..]), "{features:?}");
}

#[test]
fn plays_a4_in_tune_at_every_rate_and_block_size() {
    let entry = entry();
    for rate in [44_100.0, 48_000.0, 96_000.0] {
        for blocks in [&[1usize][..], &[64], &[512], &[4096], &[13, 200, 1, 77, 4000, 128]] {
            let mut plugin = Instance::new(&entry);
            plugin.load_state(&sine_state(0.0)).expect("the sine patch loads");
            let frames = (rate * 0.6) as usize;
            let out = plugin.render(rate, blocks, frames, &[Input::On(100, 69)]);
            assert!(out[..100].iter().all(|&x| x == 0.0), "silent before the note ({rate} Hz, blocks {blocks:?})");
            let hz = pitch_hz(&out[(rate * 0.1) as usize..], rate);
            let cents = 1200.0 * (hz / 440.0).log2();
            assert!(cents.abs() < 0.5, "{rate} Hz, blocks {blocks:?}: {hz:.3} Hz ({cents:+.3} cents)");
            assert!((peak(&out) - 0.5).abs() < 0.02, "level {}", peak(&out));
        }
    }
}

#[test]
fn a_tuning_note_expression_retunes_its_note() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    plugin.load_state(&sine_state(0.0)).expect("the sine patch loads");
    let rate = 48_000.0;
    let out = plugin.render(rate, &[256], 48_000, &[Input::On(0, 69), Input::Tune(0, 69, -2.0)]);
    let hz = pitch_hz(&out[4800..], rate);
    let cents = 1200.0 * (hz / 392.0).log2();
    assert!(cents.abs() < 0.5, "A4 tuned down two semitones plays G4: {hz:.3} Hz ({cents:+.3} cents)");
}

#[test]
fn automating_a_macro_changes_the_sound_at_its_sample() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    plugin.load_state(&sine_state(0.0)).unwrap();
    // Macro 1 (id 1) at 1.0 takes 0.4 off the VCA's 0.5 gain.
    let out = plugin.render(48_000.0, &[256], 24_000, &[Input::On(0, 69), Input::Param(12_000, 1, 1.0)]);
    assert!((peak(&out[6_000..12_000]) - 0.5).abs() < 0.01);
    assert!((peak(&out[13_000..]) - 0.1).abs() < 0.01, "after the automation: {}", peak(&out[13_000..]));
    let params = plugin.plugin.plugin_handle().get_extension::<PluginParams>().expect("params");
    let handle = plugin.plugin.plugin_handle();
    assert_eq!(params.get_value(&handle, ClapId::new(1)), Some(1.0), "the host reads the automated value back");
}

#[test]
fn automating_an_exposed_parameter_changes_the_sound_at_its_sample() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    plugin.load_state(&sine_state(0.0)).unwrap();
    let params = plugin.plugin.plugin_handle().get_extension::<PluginParams>().expect("params");
    let handle = plugin.plugin.plugin_handle();
    assert_eq!(params.count(&handle), 25, "8 macros, master volume, 16 exposed slots");
    let mut buffer = ParamInfoBuffer::new();
    let info = params.get_info(&handle, 9, &mut buffer).expect("slot 1's info");
    let name = String::from_utf8_lossy(info.name).trim_end_matches('\0').to_string();
    assert_eq!((info.id.get(), name.as_str(), info.default_value), (101, "Gain", 0.5), "named by the patch");
    let info = params.get_info(&handle, 24, &mut buffer).expect("slot 16's info");
    let name = String::from_utf8_lossy(info.name).trim_end_matches('\0').to_string();
    assert_eq!((info.id.get(), name.as_str()), (116, "Param 16 (unused)"));
    let mut text = [0u8; 64];
    let shown = params.value_to_text(&handle, ClapId::new(101), 0.25, &mut text).expect("text");
    assert_eq!(std::str::from_utf8(shown).unwrap(), "0.25", "the gain's own value, not a percentage");
    assert_eq!(params.text_to_value(&handle, ClapId::new(101), c"0.8"), Some(0.8f32 as f64));

    // Id 101 at 1.0 doubles the VCA's 0.5 gain, gliding over its 5 ms smoothing from frame 12 000.
    let still = plugin.render(48_000.0, &[256], 24_000, &[Input::On(0, 69)]);
    let moved = plugin.render(48_000.0, &[256], 24_000, &[Input::On(0, 69), Input::Param(12_000, 101, 1.0)]);
    assert!(still[..12_000] == moved[..12_000], "nothing changes before the automation point");
    let first_change = (12_000..24_000).find(|&i| still[i] != moved[i]).expect("the sound changes");
    assert!(first_change < 12_002, "the change starts at frame {first_change}, not 12000");
    assert!((peak(&moved[12_000..12_050]) - 0.5).abs() < 0.1, "a glide, not a jump: {}", peak(&moved[12_000..12_050]));
    assert!((peak(&moved[13_000..]) - 1.0).abs() < 0.01, "after the automation: {}", peak(&moved[13_000..]));
    let handle = plugin.plugin.plugin_handle();
    assert_eq!(params.get_value(&handle, ClapId::new(101)), Some(1.0), "the host reads the automated value back");
}

#[test]
fn a_saved_state_reloads_into_a_new_instance_bit_identically() {
    let entry = entry();
    let mut first = Instance::new(&entry);
    first.load_state(&sine_state(0.25)).unwrap();
    let saved = first.save_state();
    let notes = [Input::On(0, 60), Input::On(500, 67), Input::Off(9_000, 60)];
    let a = first.render(48_000.0, &[128], 20_000, &notes);
    let mut second = Instance::new(&entry);
    second.load_state(&saved).expect("reloads");
    let b = second.render(48_000.0, &[128], 20_000, &notes);
    assert!(peak(&a) > 0.1);
    assert_eq!(a, b);
}

#[test]
fn corrupt_state_is_refused_and_the_instance_keeps_its_sound() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    plugin.load_state(&sine_state(0.0)).unwrap();
    let good = sine_state(0.0);
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    let broken_patch = encode(&SavedState {
        patch_path: None,
        patch_source: SINE.replace("\"sine\"", "\"sinus\""),
        macros: [0.0; 8],
        master_db: 0.0,
        exposed: Vec::new(),
    });
    for bad in [Vec::new(), truncated, b"definitely not a ferrule state".to_vec(), vec![0xff; 4096], broken_patch] {
        assert!(plugin.load_state(&bad).is_err(), "refused: {:?}", &bad[..bad.len().min(16)]);
    }
    let out = plugin.render(48_000.0, &[256], 24_000, &[Input::On(0, 69)]);
    let hz = pitch_hz(&out[4_800..], 48_000.0);
    assert!((1200.0 * (hz / 440.0).log2()).abs() < 0.5, "still the sine patch: {hz} Hz");
}

#[test]
fn the_default_patch_plays_out_of_the_box() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    // Its envelopes release over 0.5 s.
    let out = plugin.render(
        48_000.0,
        &[512],
        72_000,
        &[Input::On(0, 60), Input::On(0, 64), Input::Off(24_000, 60), Input::Off(24_000, 64)],
    );
    assert!(peak(&out[..24_000]) > 0.05, "audible");
    assert!(peak(&out) < 1.0, "below full scale");
    assert_eq!(peak(&out[50_000..]), 0.0, "silent after the release");
}
