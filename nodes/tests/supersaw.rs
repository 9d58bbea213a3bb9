//! The supersaw: a single saw when collapsed, detune heard as spread partials, stereo width, steady loudness,
//! band-limiting and robustness.

mod common;

use common::*;

/// Renders all three outputs of a supersaw at `note` (48 kHz) after a settle; (out, left, right) of lane 0.
fn render(rig: &mut Rig, frames: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    rig.run_with(4096, &[]);
    let out = rig.run_with(frames, &[]);
    (lane(&out[0], 0), lane(&out[1], 0), lane(&out[2], 0))
}

#[test]
fn one_saw_without_detune_is_a_saw_in_tune() {
    let sr = 48_000.0;
    let n = 1 << 16;
    for (sr, note) in [(sr, 21.0), (sr, 69.0), (sr, 108.0), (44_100.0, 21.0), (96_000.0, 108.0)] {
        let mut rig = Rig::new("supersaw", sr);
        rig.pitch(note).set("voices", 1.0).set("detune", 0.0);
        let (x, l, r) = render(&mut rig, 2 * n);
        let err = cents(pitch_hz(&x, sr as f64, n), note_hz(note));
        assert!(err.abs() < 0.1, "note {note} at {sr} Hz: off by {err} cent");
        assert_eq!(l, r, "a single saw is centred");
        if note == 69.0 && sr == 48_000.0 {
            assert!((rms(&x) - 1.0 / 3f64.sqrt()).abs() < 0.01, "rms {}", rms(&x));
        }
    }
}

#[test]
fn seven_saws_in_unison_are_band_limited() {
    // No detune: seven saws of one pitch at different phases, so every partial is a harmonic of f0 and the
    // aliasing figure (MEASURING.md, as in saw.rs) applies unchanged.
    let sr = 48_000.0;
    for (f0, bar) in ALIASING_BARS {
        let mut rig = Rig::new("supersaw", sr as f32);
        rig.pitch(hz_note(f0)).set("voices", 7.0).set("detune", 0.0).set("spread", 0.0);
        let (x, _, _) = render(&mut rig, 1 << 16);
        let ours = aliasing_db(&x, sr, f0);
        assert!(ours <= bar, "7 saws at {f0} Hz: aliasing {ours:.1} dB, want ≤ {bar} dB");
    }
}

#[test]
fn detune_spreads_the_partials_to_the_outer_saws() {
    let sr = 48_000.0;
    let mut rig = Rig::new("supersaw", sr);
    rig.set("voices", 7.0).set("detune", 50.0).set("mix", 0.5);
    let (x, _, _) = render(&mut rig, 1 << 17);
    let mag = magnitudes(&x);
    let bin = sr as f64 / x.len() as f64;
    let at = |hz: f64| {
        let k = (hz / bin).round() as usize;
        mag[k - 2..=k + 2].iter().cloned().fold(0.0, f64::max)
    };
    // Around the third harmonic (1320 Hz): each of the seven saws has its own partial, the outermost ±50
    // cents away, each within 12 dB of the centre one; halfway between neighbours there is a dip.
    let centre = at(1320.0);
    for cents_off in [-50.0, 50.0] {
        let outer = at(1320.0 * 2f64.powf(cents_off / 1200.0));
        let rel = db(outer / centre);
        println!("partial at {cents_off:+} cents: {rel:+.1} dB re the centre saw");
        assert!(rel > -12.0, "outer saw at {cents_off} cents is {rel:.1} dB");
    }
    let between = at(1320.0 * 2f64.powf(25.0 / 1200.0 / 2.0));
    assert!(db(between / centre) < -10.0, "no gap between the centre and the next saw");
}

#[test]
fn spread_sets_the_stereo_width() {
    let sr = 48_000.0;
    let corr = |spread: f32| {
        let mut rig = Rig::new("supersaw", sr);
        rig.set("spread", spread);
        let (_, l, r) = render(&mut rig, 1 << 15);
        l.iter().zip(&r).map(|(a, b)| a * b).sum::<f64>() / (rms(&l) * rms(&r) * l.len() as f64)
    };
    let (narrow, wide) = (corr(0.0), corr(1.0));
    println!("left/right correlation: spread 0 → {narrow:.3}, spread 1 → {wide:.3}");
    assert!(narrow > 0.999, "spread 0 is not mono: {narrow}");
    assert!(wide < 0.8, "spread 1 is not wide: {wide}");
}

#[test]
fn loudness_holds_across_voice_counts_and_mix() {
    let sr = 48_000.0;
    let level = |voices: f32, mix: f32| {
        let mut rig = Rig::new("supersaw", sr);
        rig.set("voices", voices).set("mix", mix).set("spread", 0.0);
        let (x, _, _) = render(&mut rig, 1 << 16);
        db(rms(&x) * 3f64.sqrt())
    };
    for (voices, mix) in [(1.0, 0.5), (3.0, 0.0), (3.0, 1.0), (7.0, 0.5), (8.0, 0.8)] {
        let l = level(voices, mix);
        println!("{voices} saws, mix {mix}: {l:+.2} dB re one saw");
        assert!(l.abs() < 3.0, "{voices} saws at mix {mix}: {l:.2} dB");
    }
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("supersaw", |_| 0.0);
}

#[test]
fn the_detuned_saws_do_not_swell_together_on_a_fixed_beat() {
    // Evenly spaced detunes share one beat frequency Δf: every 1/Δf seconds all seven saws realign, so the
    // level swells on a steady pulse (1.8 s for ±22 cents on C3). Spacing inner saws as |position|^1.5
    // (about the JP-8000's) leaves no common period. Measured as the correlation of the 50 ms RMS envelope
    // with itself one even-spacing period later: near 1 for a repeating swell.
    let sr = 48_000.0;
    let mut rig = Rig::new("supersaw", sr);
    rig.pitch(48.0).set("voices", 7.0).set("detune", 22.0).set("spread", 0.0).set("mix", 0.5);
    let (x, _, _) = render(&mut rig, 12 * 48_000);
    let env: Vec<f64> = x.chunks(2400).map(rms).collect();
    let step_hz = note_hz(48.0) * (2f64.powf(22.0 / 3.0 / 1200.0) - 1.0);
    let lag = (1.0 / step_hz / 0.05).round() as usize;
    let (a, b) = (&env[..env.len() - lag], &env[lag..]);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (ma, mb) = (mean(a), mean(b));
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let var = |v: &[f64], m: f64| v.iter().map(|x| (x - m) * (x - m)).sum::<f64>().sqrt();
    let correlation = cov / (var(a, ma) * var(b, mb));
    println!("envelope correlation one even-spacing beat ({:.2} s) later: {correlation:.2}", lag as f64 * 0.05);
    assert!(correlation < 0.6, "the swell repeats on a fixed beat: correlation {correlation:.2}");
}
