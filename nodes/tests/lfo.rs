//! The LFO: rate, shapes and their range, start phase, and independence of voices.

mod common;

use common::*;
use ferrule_nodes::LaneMask;

const SR: f32 = 48_000.0;
const SHAPES: [&str; 4] = ["sine", "triangle", "saw", "square"];

fn lfo(rate: f32, shape: usize, phase: f32) -> Rig {
    let mut rig = Rig::new("lfo", SR);
    rig.set("rate", rate).set("shape", shape as f32).set("phase", phase).chunks(&[16, 5, 16, 11]);
    rig
}

/// Times (in samples, interpolated) where `x` crosses 0 going up.
fn rising_zero_crossings(x: &[f64]) -> Vec<f64> {
    x.windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] < 0.0 && w[1] >= 0.0)
        .map(|(i, w)| i as f64 + w[0] / (w[0] - w[1]))
        .collect()
}

#[test]
fn rate_is_within_a_tenth_of_a_percent() {
    for rate in [0.5, 7.3, 100.0] {
        let cycles = if rate < 1.0 { 20.0 } else { 200.0 };
        let frames = (cycles / rate * SR) as usize + 1000;
        let x = lane(&lfo(rate, 0, 0.0).run(frames), 0);
        let z = rising_zero_crossings(&x);
        let period = (z[z.len() - 1] - z[0]) / (z.len() - 1) as f64;
        let measured = SR as f64 / period;
        let err = 100.0 * (measured / rate as f64 - 1.0);
        println!("lfo {rate} Hz: measured {measured:.6} Hz ({err:+.5}%) over {} cycles", z.len() - 1);
        assert!(err.abs() < 0.1, "rate {rate}: {measured} Hz");
    }
}

#[test]
fn every_shape_spans_minus_one_to_one() {
    for (i, name) in SHAPES.iter().enumerate() {
        let x = lane(&lfo(3.0, i, 0.0).run(48_000), 0);
        let (lo, hi) = x.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        println!("lfo {name}: {lo:.5}..{hi:.5}");
        assert!(lo >= -1.0 && hi <= 1.0, "{name} leaves −1..1: {lo}..{hi}");
        assert!(lo < -0.999 && hi > 0.999, "{name} does not reach ±1: {lo}..{hi}");
        assert!(mean(&x).abs() < 1e-3, "{name} mean {}", mean(&x));
    }
}

#[test]
fn phase_sets_where_a_voice_starts() {
    // (shape, start phase, first value)
    let cases = [
        (0, 0.0, 0.0),
        (0, 0.25, 1.0),
        (0, 0.75, -1.0),
        (1, 0.25, 1.0),
        (1, 0.5, 0.0),
        (1, 0.75, -1.0),
        (2, 0.0, 0.0),
        (2, 0.25, 0.5),
        (2, 0.75, -0.5),
        (3, 0.1, 1.0),
        (3, 0.6, -1.0),
    ];
    for (shape, phase, want) in cases {
        let x = lane(&lfo(1.0, shape, phase).run(16), 0);
        assert!((x[0] - want).abs() < 1e-5, "{} at phase {phase}: {} want {want}", SHAPES[shape], x[0]);
    }
    // Phase only acts at voice start: changing it later does not move a running LFO.
    let mut rig = lfo(1.0, 0, 0.0);
    let before = lane(&rig.run(100), 0);
    rig.set("phase", 0.5);
    let after = lane(&rig.run(1), 0);
    assert!((after[0] - before[99]).abs() < 1e-3);
}

#[test]
fn each_voice_restarts_on_its_own() {
    let mut rig = lfo(2.0, 0, 0.25);
    rig.run(10_000);
    rig.voice.start = LaneMask(0b0000_0100);
    let x = rig.run(1);
    assert!((x[0][2] - 1.0).abs() < 1e-6, "restarted lane at phase 0.25");
    assert!((x[0][3] - 1.0).abs() > 0.01, "other lanes keep running");
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("lfo", |_| 0.0);
}
