//! The voice source: note, velocity, key tracking and aftertouch as signals, ramped, reset per voice.
// Frame-by-lane loops index several signals at once; iterator chains would hide which frame is compared.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use ferrule_nodes::LaneMask;

#[test]
fn outputs_the_voice_values_in_their_units() {
    let mut rig = Rig::new("voice", 48_000.0);
    rig.set("center", 48.0).set("amount", 0.5);
    rig.voice.pitch = [60.0, 72.0, 48.0, 69.0, 61.0, 84.0, 36.0, 60.0];
    rig.voice.velocity = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0];
    rig.voice.pressure = [0.0, 0.5, 1.0, 0.25, 0.0, 0.0, 0.0, 0.0];
    let out = rig.run_with(16, &[]);
    let last = |o: usize, l: usize| out[o][15][l] as f64;
    for l in 0..8 {
        let pitch = rig.voice.pitch[l] as f64;
        assert!((last(0, l) - (pitch - 60.0) / 12.0).abs() < 1e-6, "note in octaves from C4");
        assert!((last(1, l) - rig.voice.velocity[l] as f64).abs() < 1e-6, "velocity");
        assert!((last(2, l) - (pitch - 48.0) / 12.0 * 0.5).abs() < 1e-6, "keytrack");
        assert!((last(3, l) - rig.voice.pressure[l] as f64).abs() < 1e-6, "aftertouch");
        // A fresh voice starts at its values: no ramp from 0.
        assert!((out[0][0][l] as f64 - (pitch - 60.0) / 12.0).abs() < 1e-6);
    }
}

#[test]
fn a_glide_ramps_without_steps() {
    let mut rig = Rig::new("voice", 48_000.0);
    rig.run(16);
    rig.pitch(81.0);
    let note = lane(&rig.run_with(16, &[])[0], 0);
    // 69 → 81 is one octave across one call: 16 steps of 1/16 octave.
    assert!(max_step(&note) <= 1.0 / 16.0 + 1e-6 && (note[15] - 1.75).abs() < 1e-6, "{note:?}");
    rig.voice.start = LaneMask(0b1);
    rig.pitch(60.0);
    let out = rig.run_with(16, &[]);
    assert_eq!(out[0][0][0], 0.0, "the restarted voice jumps");
    assert!((out[0][0][1] - 1.75 * 15.0 / 16.0).abs() < 1e-5, "the others ramp: {}", out[0][0][1]);
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("voice", |_| 0.0);
    let mut rig = Rig::new("voice", 48_000.0);
    rig.voice.pitch = [f32::NAN, f32::INFINITY, -1e30, 1e30, 0.0, 127.0, 60.0, 60.0];
    rig.voice.velocity = [f32::NAN; 8];
    rig.voice.pressure = [f32::INFINITY; 8];
    assert_clean(&rig.run_with(64, &[]), "hostile voice values");
}
