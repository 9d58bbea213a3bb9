//! The crossfader: end points, the linear and equal-power laws, ramping, and safety.
// Frame-by-lane loops index several signals at once; iterator chains would hide which frame is compared.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;

const SR: f32 = 48_000.0;

fn render(mix: f32, curve: f32, a: &[ferrule_nodes::Lanes], b: &[ferrule_nodes::Lanes]) -> Vec<f64> {
    let mut rig = Rig::new("crossfade", SR);
    rig.set("mix", mix).set("curve", curve);
    lane(&rig.run_with(a.len(), &[Some(a), Some(b)])[0], 0)
}

#[test]
fn end_points_pass_one_input_alone() {
    let a = wire(512, |i| (i as f32 * 0.05).sin());
    let b = wire(512, |i| (i as f32 * 0.031).cos() * 0.5);
    for curve in [0.0, 1.0] {
        let at0 = render(0.0, curve, &a, &b);
        let at1 = render(1.0, curve, &a, &b);
        for i in 0..512 {
            assert!((at0[i] - a[i][0] as f64).abs() < 1e-6, "mix 0 is a");
            assert!((at1[i] - b[i][0] as f64).abs() < 1e-6, "mix 1 is b");
        }
    }
}

/// Two unrelated signals at equal level: the equal-power law keeps the summed power within 0.05 dB at
/// every mix position; the linear law dips by 3 dB in the middle. On one signal fed to both inputs the linear
/// law is flat.
#[test]
fn equal_power_keeps_loudness_through_the_middle() {
    let frames = 48_000;
    let a = wire(frames, |i| (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / SR).sin());
    let b = wire(frames, |i| (i as f32 * 2.0 * std::f32::consts::PI * 677.0 / SR).sin());
    let reference = rms(&lane(&a, 0));
    for m in [0.1, 0.25, 0.5, 0.75, 0.9] {
        let level = db(rms(&render(m, 1.0, &a, &b)) / reference);
        assert!(level.abs() < 0.05, "equal power at {m}: {level:+.3} dB");
        let same = db(rms(&render(m, 0.0, &a, &a)) / reference);
        assert!(same.abs() < 0.01, "linear on one signal at {m}: {same:+.3} dB");
    }
    let dip = db(rms(&render(0.5, 0.0, &a, &b)) / reference);
    println!("linear law on unrelated signals at 0.5: {dip:+.2} dB");
    assert!((dip + 3.01).abs() < 0.05, "linear dips 3 dB: {dip}");
}

#[test]
fn a_mix_change_ramps_across_one_call() {
    let mut rig = Rig::new("crossfade", SR);
    rig.set("mix", 0.0).set("curve", 0.0);
    let (a, b) = (wire(16, |_| 0.0), wire(16, |_| 1.0));
    rig.run_with(16, &[Some(&a), Some(&b)]);
    rig.set("mix", 1.0);
    let x = lane(&rig.run_with(16, &[Some(&a), Some(&b)])[0], 0);
    assert!(max_step(&x) <= 1.0 / 16.0 + 1e-6 && (x[15] - 1.0).abs() < 1e-6, "{x:?}");
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("crossfade", extreme_input);
    assert_finite_at_extremes("crossfade", |_| f32::NAN);
}
