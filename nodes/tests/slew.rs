//! Slew and lag: rise and fall times as set, for both laws; fresh voices start without a slide.
// Frame-by-lane loops index several signals at once; iterator chains would hide which frame is compared.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use ferrule_nodes::LaneMask;

const SR: f32 = 48_000.0;

/// Runs a slew that settles at 0 and then sees `input` from frame 0 of the measured render.
fn step_response(rise: f32, fall: f32, curve: f32, from: f32, to: f32, frames: usize) -> Vec<f64> {
    let mut rig = Rig::new("slew", SR);
    rig.set("rise", rise).set("fall", fall).set("curve", curve).chunks(&[16, 5, 9]);
    let settle = wire(64, |_| from);
    rig.run_with(64, &[Some(&settle)]);
    let x = wire(frames, |_| to);
    lane(&rig.run_with(frames, &[Some(&x)])[0], 0)
}

/// Samples from the step until `x` reaches `level` going the direction of the step: frame 0 is one sample
/// after the step (it already moved once).
fn reaches(x: &[f64], level: f64, rising: bool) -> usize {
    x.iter().position(|v| if rising { *v >= level } else { *v <= level }).map_or(usize::MAX, |i| i + 1)
}

/// Linear: climbing by 1.0 takes `rise` seconds (within one sample), falling by 0.5 takes half of `fall`.
#[test]
fn linear_times_are_within_a_sample() {
    let x = step_response(0.1, 0.4, 0.0, 0.0, 1.0, 10_000);
    let t = reaches(&x, 1.0 - 1e-6, true);
    assert!(t.abs_diff(4800) <= 1, "rise 0.1 s by 1.0: {t} samples, want 4800");
    assert!((x[2399] - 0.5).abs() < 1e-4, "halfway at half the time: {}", x[2399]);
    let y = step_response(0.1, 0.4, 0.0, 0.5, 0.0, 20_000);
    let t = reaches(&y, 1e-6, false);
    assert!(t.abs_diff(9600) <= 1, "fall 0.4 s by 0.5: {t} samples, want 9600");
}

/// Exponential: 63.2 % of a jump after one time constant (within one sample), separately up and down.
#[test]
fn exponential_time_constants_are_within_a_sample() {
    for (rise, fall) in [(0.01, 0.2), (0.3, 0.005)] {
        let up = step_response(rise, fall, 1.0, 0.0, 1.0, 30_000);
        let t = reaches(&up, 1.0 - (-1.0f64).exp(), true) as f64;
        assert!((t - rise as f64 * SR as f64).abs() <= 1.0, "rise τ {rise}: {t}");
        let down = step_response(rise, fall, 1.0, 1.0, 0.0, 30_000);
        let t = reaches(&down, (-1.0f64).exp(), false) as f64;
        assert!((t - fall as f64 * SR as f64).abs() <= 1.0, "fall τ {fall}: {t}");
    }
}

#[test]
fn zero_time_follows_at_once_and_a_fresh_voice_does_not_slide() {
    let x = step_response(0.0, 0.0, 0.0, 0.0, 0.7, 8);
    assert!(x.iter().all(|v| (*v - 0.7).abs() < 1e-7), "{x:?}");
    let mut rig = Rig::new("slew", SR);
    rig.set("rise", 5.0).set("fall", 5.0);
    let low = wire(64, |_| -1.0);
    rig.run_with(64, &[Some(&low)]);
    rig.voice.start = LaneMask(0b1);
    let high = wire(4, |_| 1.0);
    let y = rig.run_with(4, &[Some(&high)]).swap_remove(0);
    assert_eq!(y[0][0], 1.0, "the new voice starts at its input");
    assert!(y[0][1] < -0.99, "other voices keep sliding");
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("slew", extreme_input);
    assert_finite_at_extremes("slew", |_| f32::NAN);
    assert_finite_at_extremes("slew", |i| if i < 100 { 1e-3 } else { 0.0 });
}
