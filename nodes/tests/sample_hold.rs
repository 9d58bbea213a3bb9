//! Sample & hold: samples on rising edges and note triggers, holds in between, noise when unconnected.
// Frame-by-lane loops index several signals at once; iterator chains would hide which frame is compared.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use ferrule_nodes::LaneMask;

#[test]
fn samples_on_each_rising_edge_and_holds() {
    let mut rig = Rig::new("sample_hold", 48_000.0);
    rig.voice.trigger = LaneMask::NONE;
    rig.voice.start = LaneMask::NONE;
    let frames = 1000;
    let x = wire(frames, |i| i as f32);
    // A square trigger: high for 50 frames out of 100, rising at 25, 125, 225, …
    let trig = wire(frames, |i| if (i + 75) % 100 < 50 { 1.0 } else { -1.0 });
    let out = lane(&rig.chunks(&[16, 3, 11]).run_with(frames, &[Some(&x), Some(&trig)])[0], 2);
    for (i, got) in out.iter().enumerate() {
        let want = if i < 25 { 0.0 } else { (25 + (i - 25) / 100 * 100) as f64 };
        assert_eq!(*got, want, "frame {i}");
    }
}

#[test]
fn threshold_sets_the_edge_level() {
    let mut rig = Rig::new("sample_hold", 48_000.0);
    rig.set("threshold", 0.5);
    let x = wire(40, |i| i as f32);
    let trig = wire(40, |i| {
        if i < 10 {
            0.0
        } else if i < 20 {
            0.4
        } else {
            0.6
        }
    });
    let out = lane(&rig.run_with(40, &[Some(&x), Some(&trig)])[0], 0);
    assert_eq!(out[19], 0.0, "0.4 is not above 0.5 (the note trigger sampled 0)");
    assert_eq!(out[20], 20.0);
}

/// Unconnected input: white noise, −1..1, a value per note, different per voice, repeatable.
#[test]
fn samples_noise_per_note_when_unconnected() {
    let render = || {
        let mut rig = Rig::new("sample_hold", 48_000.0);
        let mut values = Vec::new();
        for note in 0..200u64 {
            rig.transport.frame = note * 4800;
            rig.voice.start = LaneMask::ALL;
            let out = rig.run(16);
            assert!(out.iter().all(|f| *f == out[0]), "held within a note");
            values.push(out[0]);
        }
        values
    };
    let values = render();
    assert_eq!(values, render(), "repeatable");
    let all: Vec<f64> = values.iter().flatten().map(|v| *v as f64).collect();
    assert!(all.iter().all(|v| (-1.0..1.0).contains(v)));
    assert!(mean(&all).abs() < 0.1 && (rms(&all) - (1.0f64 / 3.0).sqrt()).abs() < 0.05, "uniform noise");
    assert!(values.iter().all(|f| f[0] != f[1]), "each voice draws its own");
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("sample_hold", extreme_input);
    assert_finite_at_extremes("sample_hold", |_| f32::NAN);
}
