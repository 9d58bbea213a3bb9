//! The VCA: gain and cv multiply, gain changes ramp, and nothing blows up.

mod common;

use common::*;
use ferrule_nodes::Lanes;

#[test]
fn out_is_in_times_gain_times_cv() {
    let mut rig = Rig::new("vca", 48_000.0);
    rig.set("gain", 1.5);
    let x = wire(64, |i| (i as f32 * 0.1).sin());
    let cv = wire(64, |i| i as f32 / 64.0);
    let out = rig.run_with(64, &[Some(&x), Some(&cv)]).swap_remove(0);
    for i in 0..64 {
        let want = x[i][0] * 1.5 * cv[i][0];
        assert!((out[i][3] - want).abs() < 1e-6, "frame {i}: {} vs {want}", out[i][3]);
    }
    // Without cv it is a plain gain; without input it is silent.
    let out = rig.run_with(64, &[Some(&x), None]).swap_remove(0);
    assert!((out[10][0] - 1.5 * x[10][0]).abs() < 1e-6);
    let out = rig.run_with(64, &[None, Some(&cv)]).swap_remove(0);
    assert!(out.iter().all(|f| f.iter().all(|v| *v == 0.0)));
}

#[test]
fn a_gain_change_ramps_across_one_call() {
    let mut rig = Rig::new("vca", 48_000.0);
    rig.set("gain", 0.0);
    let dc = wire(16, |_| 1.0);
    rig.run_with(16, &[Some(&dc), None]);
    // 0 → 4 in one call of 16 frames on a unit input: steps of exactly 4/16, never more.
    rig.set("gain", 4.0);
    let out: Vec<Lanes> = rig.run_with(16, &[Some(&dc), None]).swap_remove(0);
    let x = lane(&out, 0);
    let bound = 4.0 / 16.0 + 1e-6;
    assert!(x[0] <= bound && max_step(&x) <= bound, "first {} largest step {}", x[0], max_step(&x));
    assert!((x[15] - 4.0).abs() < 1e-6, "reaches the target on the call's last frame: {}", x[15]);
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("vca", |_| 0.0);
    assert_finite_at_extremes("vca", extreme_input);
}
