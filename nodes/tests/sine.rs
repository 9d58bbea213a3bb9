//! The sine oscillator: pitch, purity, level, start phase and robustness.

mod common;

use common::*;

fn render(note: f32, sample_rate: f32, frames: usize) -> Vec<f64> {
    let mut rig = Rig::new("sine", sample_rate);
    rig.pitch(note);
    rig.run(256);
    lane(&rig.run(frames), 0)
}

#[test]
fn pitch_is_within_a_tenth_of_a_cent() {
    let n = 1 << 16;
    for (sr, note) in [(48_000.0, 21.0), (48_000.0, 69.0), (48_000.0, 108.0), (44_100.0, 21.0), (96_000.0, 108.0)] {
        let x = render(note, sr, 2 * n);
        let err = cents(pitch_hz(&x, sr as f64, n), note_hz(note));
        println!("sine note {note} at {sr} Hz: {err:+.5} cent");
        assert!(err.abs() < 0.1, "note {note} at {sr} Hz is off by {err} cent");
    }
}

#[test]
fn harmonics_are_below_minus_110_db() {
    let sr = 48_000.0;
    let x = render(69.0, sr, 1 << 16);
    let mag = magnitudes(&x);
    let bin = sr as f64 / x.len() as f64;
    let at = |hz: f64| {
        let k = (hz / bin).round() as usize;
        mag[k - 3..=k + 3].iter().cloned().fold(0.0, f64::max)
    };
    let fundamental = at(440.0);
    for k in 2..=10 {
        let h = db(at(440.0 * k as f64) / fundamental);
        assert!(h < -110.0, "harmonic {k} at {h:.1} dB");
    }
}

#[test]
fn level_and_start_phase() {
    let mut rig = Rig::new("sine", 48_000.0);
    rig.set("level", 2.0);
    let x = lane(&rig.run(48_000), 0);
    assert!(x[0].abs() < 1e-6, "a voice starts at phase 0, got {}", x[0]);
    assert!((rms(&x) - 2.0 / 2f64.sqrt()).abs() < 1e-3, "rms {}", rms(&x));
    let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(peak <= 2.0 + 1e-5 && peak > 1.999, "peak {peak}");
}

#[test]
fn a_level_change_ramps_across_one_call() {
    let mut rig = Rig::new("sine", 48_000.0);
    rig.pitch(21.0).run(400);
    rig.set("level", 0.0);
    let x = lane(&rig.run(16), 0);
    // The level falls 1/16 per frame, so the output shrinks steadily to exactly 0.
    assert_eq!(x[15], 0.0);
    assert!(x[7].abs() < x[0].abs(), "{x:?}");
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("sine", |_| 0.0);
}
