//! The latency a patch reports is the delay a listener measures: hosts shift the instrument earlier by that
//! much, so a wrong figure puts every note off the grid.

use ferrule_engine::render::{RenderSettings, render};
use ferrule_tests::patch::{on, schedule};

const RATE: f32 = 48_000.0;

/// Renders one A4 at frame 0 and returns the left channel with the patch's reported latency.
fn play(text: &str) -> (Vec<f32>, u32) {
    let s = schedule(text, RATE);
    let latency = s.latency();
    let out = render(s, &[on(0.0, 69, 1.0)], &RenderSettings { block: 64, seconds: 0.1 });
    (out.left, latency)
}

/// A sine into a VCA; with `sync` its sync input is wired to a signal that never rises, which sends the
/// sine through the oscillators' band-limiting ring without changing its waveform.
fn sine(sync: bool, shaper: &str) -> String {
    let sync_node = if sync { r#""zero": (kind: "math"),"# } else { "" };
    let sync_wire = if sync { r#"("zero", "osc.sync"),"# } else { "" };
    format!(
        r#"(version: 1,
            nodes: {{ {sync_node} "osc": (kind: "sine"), "shape": {shaper}, "amp": (kind: "vca", params: {{ "gain": 0.5 }}) }},
            connections: [{sync_wire} ("osc", "shape"), ("shape", "amp")],
            output: Some(Mono("amp")))"#
    )
}

/// A saturator that barely bends the signal, with the given anti-aliasing.
fn gentle(antialias: &str) -> String {
    format!(r#"(kind: "saturator", params: {{ "drive": 0.0, "mode": "soft_clip", "antialias": "{antialias}" }})"#)
}

/// The shift of `late` against `early` (0..=60 samples) with the greatest correlation.
fn measured_lag(early: &[f32], late: &[f32]) -> u32 {
    let window = 1000..4000;
    (0..=60u32)
        .max_by(|&a, &b| {
            let corr = |lag: u32| -> f64 {
                window.clone().map(|n| early[n] as f64 * late[n + lag as usize] as f64).sum::<f64>()
            };
            corr(a).total_cmp(&corr(b))
        })
        .unwrap()
}

#[test]
fn a_sine_through_the_band_limiting_ring_starts_exactly_the_reported_latency_late() {
    let (direct, direct_latency) = play(&sine(false, &gentle("off")));
    let (ringed, ring_latency) = play(&sine(true, &gentle("off")));
    assert_eq!(direct_latency, 0, "a free-running sine is written directly");
    assert_eq!(ring_latency, 12, "a synced sine goes through the 24-tap ring");
    // The first sample above 1 % of full scale (the ring's linear-phase kernel rings faintly, below
    // 0.4 %, before a corner such as a note's start).
    let onset = |x: &[f32]| x.iter().position(|&v| v.abs() > 0.01).unwrap();
    println!("onset: direct frame {}, through the ring frame {}", onset(&direct), onset(&ringed));
    assert_eq!(onset(&ringed) - onset(&direct), ring_latency as usize);
    assert_eq!(measured_lag(&direct, &ringed), ring_latency);
}

#[test]
fn oversampled_saturation_reports_the_delay_of_its_filters() {
    let (plain, plain_latency) = play(&sine(false, &gentle("off")));
    let (twice, twice_latency) = play(&sine(false, &gentle("adaa_2x")));
    let lag = measured_lag(&plain, &twice);
    println!("adaa_2x: reported {twice_latency} samples, measured {lag}");
    assert_eq!(plain_latency, 0);
    assert_eq!(twice_latency, 19);
    assert_eq!(lag, twice_latency);
}

#[test]
fn factory_patches_report_their_oscillators_delay() {
    for name in ["ref-voice.ron", "bass.ron", "default.ron"] {
        let latency = schedule(&ferrule_tests::patch::factory_patch(name), RATE).latency();
        println!("{name}: {latency} samples");
        assert!(latency >= 12, "{name} has band-limited oscillators, so at least 12 samples late");
    }
}
