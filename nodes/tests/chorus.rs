//! The stereo chorus: an untouched dry path, a stereo image from a mono input, bounded output, the sweep it
//! applies, and safety against garbage input.

mod common;
mod effect_rig;

use common::*;
use effect_rig::*;

const SR: f32 = 48_000.0;

fn chorus() -> Rig {
    let mut rig = Rig::new("chorus", SR);
    rig.chunks(&[16, 7, 16, 2, 16, 11]);
    rig
}

/// Mono noise (the same on both sides), `frames` long.
fn mono_noise(frames: usize) -> Vec<ferrule_nodes::Lanes> {
    let mut noise = Noise::new(11);
    let samples: Vec<f32> = (0..frames).map(|_| noise.next()).collect();
    stereo(frames, |i| (samples[i], samples[i]))
}

#[test]
fn dry_passes_bit_for_bit_at_mix_0() {
    let x = stereo_noise(48_000, 1);
    let mut rig = chorus();
    rig.set("mix", 0.0).set("depth", 0.01).set("rate", 10.0).set("spread", 1.0);
    let (l, r) = run_stereo(&mut rig, &x);
    for i in 0..x.len() {
        assert_eq!((l[i], r[i]), (x[i][0] as f64, x[i][1] as f64), "frame {i}");
    }
}

#[test]
fn a_mono_input_comes_out_wide_and_spread_0_keeps_it_mono() {
    let x = mono_noise(96_000);
    for (spread, want_wide) in [(1.0, true), (0.5, true), (0.0, false)] {
        let mut rig = chorus();
        rig.set("mix", 1.0).set("spread", spread);
        let (l, r) = run_stereo(&mut rig, &x);
        let side: Vec<f64> = l.iter().zip(&r).map(|(a, b)| a - b).collect();
        let (side_db, left_db) = (level_db(&side, 4800, side.len()), level_db(&l, 4800, l.len()));
        println!("chorus spread {spread}: left {left_db:.1} dB, left − right {side_db:.1} dB");
        if want_wide {
            assert!(side_db - left_db > -12.0, "spread {spread}: L − R only {} dB under L", left_db - side_db);
        } else {
            assert!(l == r, "spread 0 must keep a mono input mono");
        }
    }
}

#[test]
fn output_is_bounded_at_every_setting() {
    // A full-scale 10 kHz sine (the hardest case for the interpolator's overshoot) at the fastest, deepest
    // sweep: the three-tap average stays within 1.2× the input peak.
    let x = stereo(96_000, |i| {
        let v = (std::f32::consts::TAU * 10_000.0 * i as f32 / SR).sin();
        (v, -v)
    });
    for (rate, depth) in [(10.0, 0.01), (0.01, 0.0), (3.0, 0.005)] {
        let mut rig = chorus();
        rig.set("mix", 1.0).set("rate", rate).set("depth", depth).set("spread", 1.0);
        let (l, r) = run_stereo(&mut rig, &x);
        let peak = l.iter().chain(&r).fold(0.0f64, |m, v| m.max(v.abs()));
        println!("chorus rate {rate} Hz, depth {depth} s: peak {peak:.4} for a peak-1 input");
        assert!(peak < 1.2, "peak {peak}");
    }
}

#[test]
fn the_taps_sweep_by_depth() {
    // An impulse every 50 ms through one side, wet only: the arrival of the first tap (centre 7 ms) swings by
    // `depth` peak to peak at `rate`.
    // 2 ms keeps the first tap (6–8 ms) clear of the second (9–11 ms).
    let depth = 0.002f32;
    let mut rig = chorus();
    rig.set("mix", 1.0).set("rate", 1.0).set("depth", depth).set("spread", 0.0);
    let every = 2400;
    let x = stereo(SR as usize * 2, |i| if i % every == 0 { (1.0, 1.0) } else { (0.0, 0.0) });
    let (l, _) = run_stereo(&mut rig, &x);
    // Per impulse, the centre of mass of the response in the first tap's window (5.4–8.6 ms).
    let arrivals: Vec<f64> = (0..x.len() / every - 1)
        .map(|k| {
            let (a, b) = (k * every + 260, k * every + 412);
            let w: f64 = (a..b).map(|i| l[i].abs()).sum();
            (a..b).map(|i| i as f64 * l[i].abs()).sum::<f64>() / w - (k * every) as f64
        })
        .collect();
    let (lo, hi) = arrivals.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let swing_ms = (hi - lo) / SR as f64 * 1000.0;
    println!("chorus depth {depth} s: first tap arrives between {lo:.1} and {hi:.1} samples ({swing_ms:.2} ms swing)");
    // The sweep is sampled every 50 ms, so its extremes are caught to within 1 − cos(π·0.05) ≈ 1 %.
    assert!((swing_ms - depth as f64 * 1000.0).abs() < 0.1, "swing {swing_ms} ms for depth {depth} s");
    assert!((lo + hi) / 2.0 > 7.0 * 48.0 - 10.0 && (lo + hi) / 2.0 < 7.0 * 48.0 + 10.0, "centre {}", (lo + hi) / 2.0);
}

#[test]
fn no_nan_infinity_or_denormals_and_garbage_reads_as_silence() {
    assert_finite_at_extremes("chorus", extreme_input);
    let input = stereo(48_000, |i| (garbage(i), garbage(i + 5)));
    assert_non_finite_reads_as_silence("chorus", SR, &[("mix", 0.7), ("depth", 0.01), ("rate", 5.0)], &input);
}

#[test]
fn cost_per_stereo_sample_is_printed() {
    print_cost("chorus", &[]);
}
