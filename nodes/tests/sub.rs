//! The sub-oscillator: octave, pitch, level per shape, aliasing of the square and robustness.

mod common;

use common::*;

fn render(note: f32, octave: f32, shape: f32, sample_rate: f32, frames: usize) -> Vec<f64> {
    let mut rig = Rig::new("sub", sample_rate);
    rig.pitch(note).set("octave", octave).set("shape", shape);
    rig.run(256);
    lane(&rig.run(frames), 0)
}

#[test]
fn sounds_one_or_two_octaves_down_within_a_tenth_of_a_cent() {
    let n = 1 << 16;
    for (sr, note) in [(48_000.0, 45.0), (48_000.0, 96.0), (44_100.0, 69.0), (96_000.0, 108.0)] {
        for (octave, shift) in [(0.0, 12.0), (1.0, 24.0)] {
            for shape in [0.0, 1.0] {
                let x = render(note, octave, shape, sr, 2 * n);
                let want = note_hz(note - shift);
                let err = cents(pitch_hz(&x, sr as f64, n), want);
                assert!(err.abs() < 0.1, "note {note}, octave choice {octave}, shape {shape} at {sr}: {err} cent");
            }
        }
    }
}

#[test]
fn square_and_sine_levels() {
    let sr = 48_000.0;
    // 375 Hz sub of a 750 Hz note: 128 samples per cycle.
    let x = render(hz_note(750.0), 0.0, 0.0, sr, 1 << 16);
    assert!((rms(&x) - 1.0).abs() < 0.01, "square RMS {}", rms(&x));
    assert!(mean(&x).abs() < 2e-3, "square mean {}", mean(&x));
    let x = render(hz_note(750.0), 0.0, 1.0, sr, 1 << 16);
    assert!((rms(&x) - 0.5f64.sqrt()).abs() < 2e-3, "sine RMS {}", rms(&x));
    let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!((peak - 1.0).abs() < 1e-3, "sine peak {peak}");
}

#[test]
fn square_is_band_limited() {
    let sr = 48_000.0;
    for (f0, bar) in ALIASING_BARS {
        // The sub of a note an octave above f0.
        let x = render(hz_note(2.0 * f0), 0.0, 0.0, sr as f32, 1 << 16);
        let ours = aliasing_db(&x, sr, f0);
        assert!(ours <= bar, "sub square at {f0} Hz: aliasing {ours:.1} dB, want ≤ {bar} dB");
    }
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("sub", |_| 0.0);
}
