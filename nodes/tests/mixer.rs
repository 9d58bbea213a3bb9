//! The mixer: gains scale and sum, unconnected inputs are silent, gain changes ramp.

mod common;

use common::*;

#[test]
fn gains_scale_and_sum() {
    let mut rig = Rig::new("mixer", 48_000.0);
    rig.set("gain1", 0.5).set("gain2", 2.0).set("gain3", 0.0).set("gain4", 1.25);
    let frames = 256;
    let a = wire(frames, |i| (i as f32 * 0.05).sin());
    let b = wire(frames, |i| (i as f32 * 0.013).cos());
    let c = wire(frames, |_| 1e6);
    let d = wire(frames, |i| if i % 2 == 0 { 0.25 } else { -0.25 });
    let out = rig.run_with(frames, &[Some(&a), Some(&b), Some(&c), Some(&d)]).swap_remove(0);
    for i in 0..frames {
        let want = 0.5 * a[i][0] + 2.0 * b[i][0] + 1.25 * d[i][0];
        assert!((out[i][5] - want).abs() < 1e-5, "frame {i}: {} vs {want}", out[i][5]);
    }
    // Unconnected inputs add nothing.
    let out = rig.run_with(frames, &[None, Some(&b), None, None]).swap_remove(0);
    assert!((0..frames).all(|i| (out[i][0] - 2.0 * b[i][0]).abs() < 1e-6));
    let out = rig.run_with(frames, &[]).swap_remove(0);
    assert!(out.iter().all(|f| f.iter().all(|v| *v == 0.0)));
}

#[test]
fn a_gain_change_ramps_across_one_call() {
    let mut rig = Rig::new("mixer", 48_000.0);
    rig.set("gain2", 0.0);
    let dc = wire(16, |_| 1.0);
    rig.run_with(16, &[None, Some(&dc)]);
    // 0 → 2 in one call on a unit input: steps of 2/16 per frame, never more.
    rig.set("gain2", 2.0);
    let x = lane(&rig.run_with(16, &[None, Some(&dc)])[0], 0);
    let bound = 2.0 / 16.0 + 1e-6;
    assert!(x[0] <= bound && max_step(&x) <= bound, "first {} largest step {}", x[0], max_step(&x));
    assert!((x[15] - 2.0).abs() < 1e-6);
}

#[test]
fn all_eight_inputs_sum_with_their_gains() {
    let mut rig = Rig::new("mixer", 48_000.0);
    for i in 1..=8 {
        rig.set(&format!("gain{i}"), i as f32 * 0.25);
    }
    let wires: Vec<_> = (0..8).map(|k| wire(64, move |i| ((i * (k + 1)) as f32 * 0.01).sin())).collect();
    let inputs: Vec<Option<&[ferrule_nodes::Lanes]>> = wires.iter().map(|w| Some(&w[..])).collect();
    let out = rig.run_with(64, &inputs).swap_remove(0);
    for i in 0..64 {
        let want: f32 = (0..8).map(|k| wires[k][i][0] * (k + 1) as f32 * 0.25).sum();
        assert!((out[i][7] - want).abs() < 1e-5, "frame {i}");
    }
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("mixer", extreme_input);
    assert_finite_at_extremes("mixer", |_| 0.0);
    assert_finite_at_extremes("mixer", |_| f32::NAN);
}
