//! The bit crusher: quantisation steps and the signal-to-noise they give, sample-rate reduction, mix, safety.

// Frame-by-lane loops index several signals at once; iterator chains would hide which frame is compared.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;

const SR: f32 = 48_000.0;

fn sine(frames: usize, hz: f64, amp: f64) -> Vec<ferrule_nodes::Lanes> {
    wire(frames, |i| (amp * (std::f64::consts::TAU * hz * i as f64 / SR as f64).sin()) as f32)
}

fn crush(bits: f32, downsample: f32, mix: f32, x: &[ferrule_nodes::Lanes]) -> Vec<f64> {
    let mut rig = Rig::new("bitcrush", SR);
    rig.set("bits", bits).set("downsample", downsample).set("mix", mix).chunks(&[16, 5, 11]);
    lane(&rig.run_with(x.len(), &[Some(x)])[0], 0)
}

/// Every output is a multiple of 2^(1 − bits), and the quantisation noise of a full-scale sine is what theory
/// says for a uniform quantiser: SNR = 6.02·bits + 1.76 dB, within 1 dB.
#[test]
fn bits_set_the_step_and_the_noise_floor() {
    let x = sine(48_000, 997.0, 1.0);
    for bits in [4.0, 8.0, 12.0] {
        let y = crush(bits, 1.0, 1.0, &x);
        let step = 2f64.powf(1.0 - bits as f64);
        assert!(y.iter().all(|v| ((v / step) - (v / step).round()).abs() < 1e-4), "{bits} bits: off the grid");
        let noise: Vec<f64> = y.iter().zip(&x).map(|(y, x)| y - x[0] as f64).collect();
        let snr = db(rms(&lane(&x, 0)) / rms(&noise));
        let want = 6.02 * bits as f64 + 1.76;
        println!("{bits} bits: SNR {snr:.2} dB (uniform-quantiser theory {want:.2} dB)");
        assert!((snr - want).abs() < 1.0, "{bits} bits: SNR {snr:.2} dB, want {want:.2}");
    }
    // At 24 bits it is transparent to f32 precision.
    let y = crush(24.0, 1.0, 1.0, &x);
    assert!(y.iter().zip(&x).all(|(y, x)| (y - x[0] as f64).abs() <= 2f64.powi(-23)));
    // A mid-tread quantiser keeps silence silent.
    assert!(crush(2.0, 1.0, 1.0, &wire(64, |_| 0.2)).iter().all(|v| *v == 0.0));
}

/// Downsampling by 4 holds each taken sample for 4 frames; by 3 (an inexact 1/3 per frame) for 3.
#[test]
fn downsample_holds_each_sample_for_the_factor() {
    let x = wire(120, |i| i as f32 * 0.001);
    for factor in [4usize, 3, 1] {
        let y = crush(24.0, factor as f32, 1.0, &x);
        for i in 0..120 {
            let want = x[i / factor * factor][0] as f64;
            assert!((y[i] - want).abs() < 1e-6, "factor {factor} frame {i}: {} vs {want}", y[i]);
        }
    }
}

#[test]
fn mix_zero_is_dry() {
    let x = sine(512, 440.0, 0.8);
    let y = crush(1.0, 16.0, 0.0, &x);
    assert!(y.iter().zip(&x).all(|(y, x)| *y == x[0] as f64));
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("bitcrush", extreme_input);
    assert_finite_at_extremes("bitcrush", |_| f32::NAN);
    let mut rig = Rig::new("bitcrush", SR);
    for input in [f32::INFINITY, -1e30, 1e-30] {
        let x = wire(64, |_| input);
        assert_clean(&rig.run_with(64, &[Some(&x)]), &format!("input {input}"));
    }
}
