//! The saturator: ADAA's measured aliasing reduction, small-signal level, DC, mix and output, and safety.

// Frame-by-lane loops index several signals at once; iterator chains would hide which frame is compared.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;

const SR: f32 = 48_000.0;
const MODES: [&str; 3] = ["tanh", "soft_clip", "fold"];
const ADAA: f32 = 0.0;
const OFF: f32 = 1.0;
const TWICE: f32 = 2.0;

/// Renders `frames` of a sine at `hz` and amplitude `amp` through a saturator set by `settings`, after a
/// 4096-frame warm-up, and returns lane 0.
fn render(settings: &[(&str, f32)], hz: f64, amp: f64, frames: usize) -> Vec<f64> {
    let mut rig = Rig::new("saturator", SR);
    for (name, value) in settings {
        rig.set(name, *value);
    }
    rig.chunks(&[16, 16, 7, 9]);
    let total = frames + 4096;
    let x = wire(total, |i| (amp * (std::f64::consts::TAU * hz * i as f64 / SR as f64).sin()) as f32);
    let out = lane(&rig.run_with(total, &[Some(&x)])[0], 0);
    out[4096..].to_vec()
}

/// Total power of the non-harmonic bins (the same bins `aliasing_db` looks at: 20 Hz..0.4·fs, outside ±6 bins
/// of every harmonic of `f0`) relative to the total power of the spectrum, in dB. Where `aliasing_db` reports
/// the single worst alias, this reports all of them together.
fn alias_power_db(x: &[f64], f0: f64) -> f64 {
    let mag = magnitudes(x);
    let bin_hz = SR as f64 / x.len() as f64;
    let harmonic = |k: usize| {
        let f = k as f64 * bin_hz;
        let h = (f / f0).round().max(1.0) * f0;
        ((f - h) / bin_hz).abs() <= 6.0
    };
    let (lo, hi) = ((20.0 / bin_hz).ceil() as usize, (0.4 * SR as f64 / bin_hz) as usize);
    let alias: f64 = (lo..=hi).filter(|&k| !harmonic(k)).map(|k| mag[k] * mag[k]).sum();
    let total: f64 = mag.iter().map(|m| m * m).sum();
    10.0 * (alias / total).log10()
}

/// Aliasing, measured as MEASURING.md defines it (`aliasing_db`: 2^16 samples at 48 kHz, Blackman window, bins
/// between 20 Hz and 0.4·fs outside ±6 bins of every harmonic of f0, loudest relative to the loudest bin), of a
/// full-scale sine driven by 24 dB (12 dB into the folder), with ADAA and without. Tones between 2 and 5 kHz that are not
/// sub-multiples of 48 kHz, so that aliases fall between harmonics. Beside that worst-alias figure, the total
/// alias power (`alias_power_db`). First-order ADAA must lower the worst alias by at least 4 dB and the alias
/// power by at least 6 dB for every curve and tone, and the worst alias by at least 5 dB on average per curve;
/// ADAA at 2× (`adaa_2x`) must lower the worst alias by at least 20 dB for every tone and 25 dB on average.
/// The figures are printed.
#[test]
fn adaa_lowers_aliasing_of_a_hard_driven_tone() {
    let frames = 1 << 16;
    // The folder at 24 dB folds eight times per half cycle and is a wall of aliases either way; 12 dB (two
    // folds) is where it is played.
    for ((m, name), drive) in MODES.iter().enumerate().zip([24.0, 24.0, 12.0]) {
        let mut gains = Vec::new();
        let mut twice_gains = Vec::new();
        for f0 in [2093.0, 2637.02, 3520.0, 4186.01] {
            let naive_out = render(&[("mode", m as f32), ("drive", drive), ("antialias", OFF)], f0, 1.0, frames);
            let adaa_out = render(&[("mode", m as f32), ("drive", drive), ("antialias", ADAA)], f0, 1.0, frames);
            let twice_out = render(&[("mode", m as f32), ("drive", drive), ("antialias", TWICE)], f0, 1.0, frames);
            let (naive, adaa) = (aliasing_db(&naive_out, SR as f64, f0), aliasing_db(&adaa_out, SR as f64, f0));
            let twice = aliasing_db(&twice_out, SR as f64, f0);
            println!("{name} {f0} Hz, drive {drive} dB: worst alias with ADAA at 2× {twice:.1} dB");
            assert!(twice < naive - 20.0, "{name} {f0} Hz: ADAA at 2× {twice:.1} dB vs naive {naive:.1} dB");
            twice_gains.push(naive - twice);
            let (naive_power, adaa_power) = (alias_power_db(&naive_out, f0), alias_power_db(&adaa_out, f0));
            println!(
                "{name} {f0} Hz, drive {drive} dB: worst alias naive {naive:.1} dB, ADAA {adaa:.1} dB ({:.1} dB better); \
                 alias power naive {naive_power:.1} dB, ADAA {adaa_power:.1} dB ({:.1} dB better)",
                naive - adaa,
                naive_power - adaa_power
            );
            assert!(adaa < naive - 4.0, "{name} {f0} Hz: ADAA {adaa:.1} dB vs naive {naive:.1} dB");
            assert!(
                adaa_power < naive_power - 6.0,
                "{name} {f0} Hz: ADAA {adaa_power:.1} dB vs naive {naive_power:.1} dB"
            );
            gains.push(naive - adaa);
        }
        let average = gains.iter().sum::<f64>() / gains.len() as f64;
        let twice_average = twice_gains.iter().sum::<f64>() / twice_gains.len() as f64;
        println!("{name}: ADAA lowers aliasing by {average:.1} dB on average, ADAA at 2× by {twice_average:.1} dB");
        assert!(average > 5.0, "{name}: average improvement {average:.1} dB");
        assert!(twice_average > 25.0, "{name}: average improvement at 2× {twice_average:.1} dB");
    }
}

/// Small signals pass at unity gain in every mode (−40 dBFS, 1 kHz, 0 dB drive: within 0.05 dB, ADAA's
/// half-sample average included), and a hard-driven sine gains no DC (below −80 dB of full scale).
#[test]
fn small_signals_pass_at_unity_and_no_dc_appears() {
    for (m, name) in MODES.iter().enumerate() {
        for aa in [ADAA, OFF, TWICE] {
            let quiet = render(&[("mode", m as f32), ("drive", 0.0), ("antialias", aa)], 1000.0, 0.01, 48_000);
            let level = db(rms(&quiet) / (0.01 / 2f64.sqrt()));
            assert!(level.abs() < 0.05, "{name} aa {aa}: small-signal gain {level:+.3} dB");
            // ADAA's two-sample average: cos(π·f/rate), −2.0 dB at 10 kHz at 48 kHz, −0.5 dB at 2×; flat without.
            let treble = render(&[("mode", m as f32), ("drive", 0.0), ("antialias", aa)], 10_000.0, 0.01, 48_000);
            let droop = db(rms(&treble) / (0.01 / 2f64.sqrt()));
            let rate = if aa == TWICE { 2.0 * SR as f64 } else { SR as f64 };
            let want = if aa == OFF { 0.0 } else { db((std::f64::consts::PI * 10_000.0 / rate).cos()) };
            assert!((droop - want).abs() < 0.05, "{name} aa {aa}: 10 kHz at {droop:+.2} dB, want {want:+.2}");
            let hot = render(&[("mode", m as f32), ("drive", 36.0), ("antialias", aa)], 1000.0, 1.0, 48_000);
            let dc = db(mean(&hot).abs());
            assert!(dc < -80.0, "{name} aa {aa}: DC {dc:.1} dBFS");
            // At 2× the decimation filter rings on the clipped edges (as any band-limited clip does), so peaks
            // may overshoot ±1 slightly: by at most 1 dB.
            let peak = hot.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let bound = if aa == TWICE { 1.122 } else { 1.0 + 1e-5 };
            assert!(peak <= bound, "{name} aa {aa}: peak {peak:.4}");
        }
    }
}

/// Saturation levels off: tanh of a full-scale sine with 24 dB drive is near a square wave (RMS close to 0 dBFS),
/// and a constant input settles on the curve's value.
#[test]
fn curves_saturate_as_documented() {
    let hot = render(&[("mode", 0.0), ("drive", 24.0)], 440.0, 1.0, 48_000);
    assert!(db(rms(&hot)) > -0.5, "tanh driven hard is nearly square: {:.2} dB", db(rms(&hot)));
    let mut rig = Rig::new("saturator", SR);
    for (m, want) in [(0.0, (1.0f64).tanh()), (1.0, 1.0 - 4.0 / 27.0), (2.0, 1.0)] {
        rig.set("mode", m).set("drive", 0.0);
        let dc = wire(64, |_| 1.0);
        let out = lane(&rig.run_with(64, &[Some(&dc)])[0], 0);
        assert!((out[63] - want).abs() < 1e-6, "mode {m}: {} vs {want}", out[63]);
    }
    // The folder reflects: 1.5 → 0.5, 2.5 → −0.5.
    rig.set("mode", 2.0).set("antialias", OFF);
    let x = wire(2, |i| [1.5, 2.5][i]);
    let out = lane(&rig.run_with(2, &[Some(&x)])[0], 0);
    assert!((out[0] - 0.5).abs() < 1e-6 && (out[1] + 0.5).abs() < 1e-6, "{out:?}");
}

/// Mix 0 passes the dry signal (half a sample late with ADAA, exact without); `output` scales in dB.
#[test]
fn mix_and_output_behave() {
    let x = wire(256, |i| (i as f32 * 0.3).sin());
    let mut rig = Rig::new("saturator", SR);
    rig.set("mix", 0.0).set("antialias", OFF).set("output", -6.0);
    let out = lane(&rig.run_with(256, &[Some(&x)])[0], 0);
    let g = 10f64.powf(-6.0 / 20.0);
    assert!((0..256).all(|i| (out[i] - x[i][0] as f64 * g).abs() < 1e-6));
    let mut rig = Rig::new("saturator", SR);
    rig.set("mix", 0.0);
    let out = lane(&rig.run_with(256, &[Some(&x)])[0], 0);
    assert!((1..256).all(|i| (out[i] - 0.5 * (x[i][0] + x[i - 1][0]) as f64).abs() < 1e-6));
    // At 2× the dry path is delayed like the wet one (18.75 samples), to the nearest sample: 19.
    let mut rig = Rig::new("saturator", SR);
    rig.set("mix", 0.0).set("antialias", TWICE);
    let out = lane(&rig.run_with(256, &[Some(&x)])[0], 0);
    assert!((0..256).all(|i| out[i] == if i < 19 { 0.0 } else { x[i - 19][0] as f64 }));
}

/// With ADAA at 2×, wet and dry line up: a small signal at mix 0.5 comes out at the mean level of mix 0 and 1
/// (no comb filtering from a misaligned dry path), within 0.05 dB at 1 kHz and 0.1 dB at 8 kHz.
#[test]
fn oversampled_wet_and_dry_line_up() {
    for (hz, tolerance) in [(1000.0, 0.05), (8000.0, 0.1)] {
        let level = |mix: f32| {
            let out = render(&[("mode", 0.0), ("drive", 0.0), ("antialias", TWICE), ("mix", mix)], hz, 0.01, 48_000);
            db(rms(&out) / (0.01 / 2f64.sqrt()))
        };
        let (dry, half, wet) = (level(0.0), level(0.5), level(1.0));
        println!("{hz} Hz at 2×: dry {dry:+.3} dB, half {half:+.3} dB, wet {wet:+.3} dB");
        assert!((half - 0.5 * (dry + wet)).abs() < tolerance, "{hz} Hz: {dry} {half} {wet}");
    }
}

#[test]
fn stays_finite_at_extreme_parameters() {
    for m in 0..3 {
        for aa in [ADAA, OFF, TWICE] {
            let mut rig = Rig::new("saturator", SR);
            rig.set("mode", m as f32).set("antialias", aa).set("drive", 48.0).set("output", 12.0);
            for input in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, 1e-30] {
                let x = wire(64, |_| input);
                assert_clean(&rig.run_with(64, &[Some(&x)]), &format!("mode {m} aa {aa} input {input}"));
            }
        }
    }
    assert_finite_at_extremes("saturator", extreme_input);
    assert_finite_at_extremes("saturator", |_| f32::NAN);
}
