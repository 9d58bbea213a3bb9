//! The noise source: level, spectrum (flat or −3 dB per octave), independence of voices, determinism and
//! robustness.

mod common;

use common::*;
use ferrule_nodes::LaneMask;
use ferrule_nodes::lanes::LANES;

fn render(color: f32, sample_rate: f32, frames: usize) -> Vec<ferrule_nodes::Lanes> {
    let mut rig = Rig::new("noise", sample_rate);
    rig.set("color", color);
    rig.run(frames)
}

/// Average power per Hz between `lo` and `hi` Hz, from a Blackman-windowed spectrum averaged over 2^14-point
/// segments of lane `l`.
fn band_density(x: &[f64], sample_rate: f64, lo: f64, hi: f64) -> f64 {
    let n = 1 << 14;
    let bin = sample_rate / n as f64;
    let (a, b) = ((lo / bin) as usize, (hi / bin) as usize);
    let mut total = 0.0;
    let mut count = 0;
    for seg in x.chunks_exact(n) {
        let mag = magnitudes(seg);
        total += mag[a..b].iter().map(|m| m * m).sum::<f64>();
        count += b - a;
    }
    total / count as f64
}

#[test]
fn white_is_uniform_flat_and_at_level() {
    let sr = 48_000.0;
    let out = render(0.0, sr, 1 << 18);
    let x = lane(&out, 0);
    let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(peak <= 1.0, "peak {peak}");
    // Uniform in ±1: RMS 1/√3, mean 0.
    assert!((rms(&x) - 1.0 / 3f64.sqrt()).abs() < 0.005, "rms {}", rms(&x));
    assert!(mean(&x).abs() < 0.01, "mean {}", mean(&x));
    let low = band_density(&x, sr as f64, 500.0, 1_000.0);
    let high = band_density(&x, sr as f64, 8_000.0, 16_000.0);
    let tilt = db((high / low).sqrt());
    println!("white: 8–16 kHz vs 0.5–1 kHz density {tilt:+.2} dB");
    assert!(tilt.abs() < 1.0, "white noise tilts by {tilt:.2} dB");
}

#[test]
fn pink_falls_3_db_per_octave_at_every_rate() {
    for sr in [44_100.0, 48_000.0, 96_000.0] {
        let out = render(1.0, sr, 1 << 19);
        let x = lane(&out, 0);
        // Five octaves from 200–400 Hz to 6.4–12.8 kHz: −15 dB of density.
        let low = band_density(&x, sr as f64, 200.0, 400.0);
        let high = band_density(&x, sr as f64, 6_400.0, 12_800.0);
        let per_octave = db((high / low).sqrt()) / 5.0;
        println!("pink at {sr} Hz: {per_octave:+.2} dB per octave, RMS {:.3}", rms(&x));
        assert!((per_octave + 3.0).abs() < 0.3, "pink at {sr} Hz falls {per_octave:.2} dB per octave");
        if sr < 50_000.0 {
            // Above 96 kHz's 20 kHz the spectrum runs flat, so only the audio-rate RMS is pinned.
            assert!((rms(&x) - 1.0 / 3f64.sqrt()).abs() < 0.06, "pink RMS {} at {sr} Hz", rms(&x));
        }
    }
}

#[test]
fn voices_are_independent_and_renders_identical() {
    let a = render(0.0, 48_000.0, 1 << 16);
    let b = render(0.0, 48_000.0, 1 << 16);
    assert_eq!(lane(&a, 3), lane(&b, 3), "two renders differ");
    for l in 1..LANES {
        let (x, y) = (lane(&a, 0), lane(&a, l));
        let corr = x.iter().zip(&y).map(|(p, q)| p * q).sum::<f64>() / (rms(&x) * rms(&y) * x.len() as f64);
        assert!(corr.abs() < 0.02, "lanes 0 and {l} correlate by {corr}");
    }
}

#[test]
fn a_new_note_on_a_lane_gets_a_new_sequence() {
    let mut rig = Rig::new("noise", 48_000.0);
    let first = lane(&rig.run(256), 0);
    rig.voice.start = LaneMask::ALL;
    let second = lane(&rig.run(256), 0);
    assert_ne!(first, second, "the same note restarted the same sequence");
}

#[test]
fn level_scales_and_zero_is_silent() {
    let mut rig = Rig::new("noise", 48_000.0);
    rig.set("level", 0.25);
    let x = lane(&rig.run(1 << 16), 0);
    assert!((rms(&x) - 0.25 / 3f64.sqrt()).abs() < 0.003, "rms {}", rms(&x));
    rig.set("level", 0.0);
    rig.run(16);
    assert!(lane(&rig.run(1024), 0).iter().all(|v| *v == 0.0));
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("noise", |_| 0.0);
}
