//! The patch's exposed parameters as host parameters 101..=116, through the plugin core both adapters use:
//! names and text from the patch, the host's value surviving a hot reload (unless the file changed that
//! parameter's default, which is then heard), a fresh start for another patch, and the state round trip.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrule_plugin::core::{AudioCore, NoteTag, Param, PluginCore, ReloadEvent, SharedParams};

const BLOCK: usize = 512;

fn filtered(cutoff: f32, level_max: f32) -> String {
    ferrule_tests::patch::exposed_filter(cutoff, level_max)
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Brightness of `x`: RMS of its first difference over its RMS (higher: more highs).
fn brightness(x: &[f32]) -> f32 {
    let rms = |v: &mut dyn Iterator<Item = f32>| {
        let (sum, n) = v.fold((0.0f64, 0usize), |(s, n), x| (s + (x as f64).powi(2), n + 1));
        (sum / n.max(1) as f64).sqrt() as f32
    };
    rms(&mut x.windows(2).map(|w| w[1] - w[0])) / rms(&mut x.iter().copied())
}

/// Renders `blocks` blocks and returns the left channel of the last `keep` of them.
fn play(audio: &mut AudioCore, blocks: usize, keep: usize) -> Vec<f32> {
    let (mut l, mut r) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    let mut out = Vec::new();
    for i in 0..blocks {
        audio.begin();
        audio.render(&mut l, &mut r);
        if i + keep >= blocks {
            out.extend_from_slice(&l);
        }
    }
    out
}

/// Polls as a host timer would, until a reload event arrives (a generous wait, not a timing assertion).
fn poll(core: &mut PluginCore) -> ReloadEvent {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if let Some(event) = core.poll_reload() {
            return event;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no reload event");
}

fn start(core: &mut PluginCore) -> AudioCore {
    let mut audio = core.activate(48_000.0, BLOCK as u32).unwrap();
    audio.begin();
    audio.note_on(0, 48, 1.0, NoteTag::UNKNOWN);
    audio.render(&mut [0.0; BLOCK], &mut [0.0; BLOCK]);
    audio
}

#[test]
fn slots_are_named_and_shown_in_the_parameters_unit() {
    let dir = temp_dir();
    let path = dir.path().join("filtered.ron");
    std::fs::write(&path, filtered(1200.0, 0.5)).unwrap();
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    assert_eq!(core.param_name(Param::Exposed(0)), "Cutoff", "the default patch exposes a cutoff too");
    core.load_patch_file(&path).unwrap();
    assert_eq!(core.param_name(Param::Exposed(0)), "Cutoff");
    assert_eq!(core.param_name(Param::Exposed(1)), "Level");
    assert_eq!(core.param_name(Param::Exposed(2)), "Param 3 (unused)");
    assert_eq!(core.param_name(Param::Exposed(15)), "Param 16 (unused)");
    assert_eq!(Param::Exposed(0).id(), 101);
    let default = core.param_default(Param::Exposed(0));
    assert_eq!(core.params().get(Param::Exposed(0)), default as f32 as f64, "a loaded patch starts at its default");
    assert_eq!(core.param_text(Param::Exposed(0), default), "1200 Hz");
    assert_eq!(core.param_text(Param::Exposed(1), 0.5), "0.25");
    assert_eq!(core.param_unit(Param::Exposed(0)), "Hz");
    let typed = core.param_from_text(Param::Exposed(0), "2 kHz").unwrap();
    assert_eq!(core.param_text(Param::Exposed(0), typed), "2000 Hz");
    assert_eq!(core.param_from_text(Param::Exposed(0), "bright"), None);
    assert_eq!(core.param_text(Param::Exposed(3), 0.25), "25 %", "an unused slot shows its position");
    assert_eq!(core.param_from_text(Param::Exposed(3), "25 %"), Some(0.25), "and parses it back");
}

#[test]
fn a_reload_keeps_the_hosts_value_but_an_edited_default_is_heard() {
    let dir = temp_dir();
    let path = dir.path().join("live.ron");
    std::fs::write(&path, filtered(1200.0, 0.5)).unwrap();
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    core.load_patch_file(&path).unwrap();
    let mut audio = start(&mut core);
    audio.begin();
    audio.param(0, 101, 0.1);
    audio.render(&mut [0.0; BLOCK], &mut [0.0; BLOCK]);
    let host_set = brightness(&play(&mut audio, 50, 40));

    // Saved with another change (the level's range): the cutoff stays where the host put it.
    std::fs::write(&path, filtered(1200.0, 0.6)).unwrap();
    assert!(matches!(poll(&mut core), ReloadEvent::Reloaded(_)));
    assert_eq!(core.params().get(Param::Exposed(0)), 0.1f32 as f64, "the host's value is kept");
    let kept = brightness(&play(&mut audio, 50, 40));
    assert_eq!(core.param_default(Param::Exposed(1)), 0.3 / 0.6, "the edited range is the host's now");
    println!("brightness at the host's value {host_set:.4}, after a reload {kept:.4}");
    assert!((kept / host_set - 1.0).abs() < 0.03, "and so is the sound: {host_set} → {kept}");

    // The cutoff's number edited in the file: the new default plays and the host is shown it.
    std::fs::write(&path, filtered(4000.0, 0.6)).unwrap();
    assert!(matches!(poll(&mut core), ReloadEvent::Reloaded(_)));
    let default = core.param_default(Param::Exposed(0));
    assert_eq!(core.params().get(Param::Exposed(0)), default as f32 as f64, "the new default replaces it");
    assert_eq!(core.param_text(Param::Exposed(0), default), "4000 Hz");
    let edited = brightness(&play(&mut audio, 50, 40));
    let reference = {
        let dir = temp_dir();
        let other = dir.path().join("reference.ron");
        std::fs::write(&other, filtered(4000.0, 0.6)).unwrap();
        let mut fresh = PluginCore::new(Arc::new(SharedParams::default()));
        fresh.load_patch_file(&other).unwrap();
        let mut audio = start(&mut fresh);
        brightness(&play(&mut audio, 50, 40))
    };
    println!("after editing the default {edited:.4}; the edited file alone {reference:.4}");
    assert!((edited / reference - 1.0).abs() < 0.03, "the edited default is heard: {edited} vs {reference}");
    assert!(edited > 1.5 * host_set);
    core.deactivate();
}

#[test]
fn another_patch_starts_at_its_defaults() {
    let dir = temp_dir();
    let (a, b) = (dir.path().join("a.ron"), dir.path().join("b.ron"));
    std::fs::write(&a, filtered(1200.0, 0.5)).unwrap();
    std::fs::write(&b, filtered(1200.0, 0.5).replace("\"Level\"", "\"Volume\"")).unwrap();
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    core.load_patch_file(&a).unwrap();
    core.params().set(Param::Exposed(0), 0.9);
    core.load_patch_file(&b).unwrap();
    assert_eq!(core.param_name(Param::Exposed(1)), "Volume");
    assert_eq!(core.params().get(Param::Exposed(0)), core.param_default(Param::Exposed(0)) as f32 as f64);
}

#[test]
fn the_state_restores_exposed_values_and_the_sound() {
    let dir = temp_dir();
    let path = dir.path().join("saved.ron");
    std::fs::write(&path, filtered(1200.0, 0.5)).unwrap();
    let mut first = PluginCore::new(Arc::new(SharedParams::default()));
    first.load_patch_file(&path).unwrap();
    first.params().set(Param::Exposed(0), 0.15);
    first.params().set(Param::Exposed(1), 0.8);
    let state = first.save_state();
    let mut audio = start(&mut first);
    let original = play(&mut audio, 50, 40);
    first.deactivate();

    let mut second = PluginCore::new(Arc::new(SharedParams::default()));
    second.load_state(&state).unwrap();
    assert_eq!(second.param_name(Param::Exposed(0)), "Cutoff");
    assert_eq!(second.params().get(Param::Exposed(0)), 0.15f32 as f64);
    assert_eq!(second.params().get(Param::Exposed(1)), 0.8f32 as f64);
    let mut audio = start(&mut second);
    let restored = play(&mut audio, 50, 40);
    assert_eq!(restored, original, "the restored project renders the same samples");

    // A project saved before exposed parameters existed (state version 1) opens at the defaults.
    let text = std::str::from_utf8(&state[12..]).unwrap();
    let cut = text.find(",exposed:").expect("the state lists exposed values");
    let v1_text = format!("{}{}", &text[..cut], &text[text[cut..].find(']').unwrap() + cut + 1..]);
    let mut v1 = state[..8].to_vec();
    v1.extend_from_slice(&1u32.to_le_bytes());
    v1.extend_from_slice(v1_text.as_bytes());
    let mut third = PluginCore::new(Arc::new(SharedParams::default()));
    third.params().set(Param::Exposed(0), 0.9);
    third.load_state(&v1).unwrap();
    assert_eq!(third.params().get(Param::Exposed(0)), third.param_default(Param::Exposed(0)) as f32 as f64);
}

/// Hosts (and clap-validator) expect text conversion for every parameter or none, and the text a value is
/// shown as must parse back to (nearly) that value: unused slots included.
#[test]
fn every_parameter_shows_text_that_parses_back() {
    let core = PluginCore::new(Arc::new(SharedParams::default()));
    for id in ferrule_plugin::core::params::PARAM_IDS {
        let param = Param::from_id(id).unwrap();
        let (min, max) = param.range();
        for step in 0..=10 {
            let value = min + (max - min) * step as f64 / 10.0;
            let text = core.param_text(param, value);
            let back = core
                .param_from_text(param, &text)
                .unwrap_or_else(|| panic!("{}: `{text}` does not parse", core.param_name(param)));
            assert_eq!(core.param_text(param, back), text, "{}: `{text}` round trips", core.param_name(param));
        }
    }
}

/// A host restores every parameter it saved, the ones the patch leaves unused included (clap-validator's
/// state-reproducibility tests randomise them all).
#[test]
fn a_project_restores_unused_exposed_slots_too() {
    let first = PluginCore::new(Arc::new(SharedParams::default()));
    first.params().set(Param::Exposed(0), 0.25);
    first.params().set(Param::Exposed(10), 0.375);
    let saved = first.save_state();
    let mut second = PluginCore::new(Arc::new(SharedParams::default()));
    second.load_state(&saved).expect("the state loads");
    assert_eq!(second.params().get(Param::Exposed(0)), 0.25, "a used slot");
    assert_eq!(second.params().get(Param::Exposed(10)), 0.375, "an unused slot");
    assert_eq!(second.save_state(), saved, "saving again gives the same bytes");
}
