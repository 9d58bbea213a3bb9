//! The sine oscillator: pitch, purity, level, start phase and robustness.

mod common;

use common::*;

fn render(note: f32, sample_rate: f32, frames: usize) -> Vec<f64> {
    let mut rig = Rig::new("sine", sample_rate);
    rig.pitch(note);
    rig.run(256);
    lane(&rig.run(frames), 0)
}

#[test]
fn pitch_is_within_a_tenth_of_a_cent() {
    let n = 1 << 16;
    for (sr, note) in [(48_000.0, 21.0), (48_000.0, 69.0), (48_000.0, 108.0), (44_100.0, 21.0), (96_000.0, 108.0)] {
        let x = render(note, sr, 2 * n);
        let err = cents(pitch_hz(&x, sr as f64, n), note_hz(note));
        println!("sine note {note} at {sr} Hz: {err:+.5} cent");
        assert!(err.abs() < 0.1, "note {note} at {sr} Hz is off by {err} cent");
    }
}

#[test]
fn harmonics_are_below_minus_110_db() {
    let sr = 48_000.0;
    let x = render(69.0, sr, 1 << 16);
    let mag = magnitudes(&x);
    let bin = sr as f64 / x.len() as f64;
    let at = |hz: f64| {
        let k = (hz / bin).round() as usize;
        mag[k - 3..=k + 3].iter().cloned().fold(0.0, f64::max)
    };
    let fundamental = at(440.0);
    for k in 2..=10 {
        let h = db(at(440.0 * k as f64) / fundamental);
        assert!(h < -110.0, "harmonic {k} at {h:.1} dB");
    }
}

#[test]
fn level_and_start_phase() {
    let mut rig = Rig::new("sine", 48_000.0);
    rig.set("level", 2.0);
    let x = lane(&rig.run(48_000), 0);
    assert!(x[0].abs() < 1e-6, "a voice starts at phase 0, got {}", x[0]);
    assert!((rms(&x) - 2.0 / 2f64.sqrt()).abs() < 1e-3, "rms {}", rms(&x));
    let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(peak <= 2.0 + 1e-5 && peak > 1.999, "peak {peak}");
}

#[test]
fn a_level_change_ramps_across_one_call() {
    let mut rig = Rig::new("sine", 48_000.0);
    rig.pitch(21.0).run(400);
    rig.set("level", 0.0);
    let x = lane(&rig.run(16), 0);
    // The level falls 1/16 per frame, so the output shrinks steadily to exactly 0.
    assert_eq!(x[15], 0.0);
    assert!(x[7].abs() < x[0].abs(), "{x:?}");
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("sine", |_| 0.0);
}

#[test]
fn phase_modulation_offsets_the_phase_and_makes_bessel_sidebands() {
    let sr = 48_000.0;
    // A constant quarter-cycle offset turns the sine into a cosine: the first sample is the peak.
    let quarter = wire(64, |_| 0.25);
    let mut rig = Rig::new("sine", sr as f32);
    let x = render_with(&mut rig, &[("pm", &quarter)], 0, 64, 0);
    assert!((x[0] - 1.0).abs() < 1e-5, "first sample {}", x[0]);
    // Index 1 radian at about 205 Hz on a carrier near 1 kHz: the first sidebands sit J1(1)/J0(1) = −4.81 dB
    // from the carrier. Both frequencies sit on FFT bins (multiples of 48000 / 2^16 Hz), so no bin scallops.
    let frames = 1 << 16;
    let bin = sr / frames as f64;
    let (carrier, modulator) = (1366.0 * bin, 280.0 * bin);
    let pm: Vec<_> =
        sine_wire(frames + 256, sr, modulator).iter().map(|f| f.map(|v| v / std::f32::consts::TAU)).collect();
    let mut rig = Rig::new("sine", sr as f32);
    rig.pitch(hz_note(carrier));
    let x = render_with(&mut rig, &[("pm", &pm)], 256, frames, 0);
    let mag = magnitudes(&x);
    let at = |hz: f64| {
        let k = (hz / bin).round() as usize;
        mag[k - 3..=k + 3].iter().cloned().fold(0.0, f64::max)
    };
    for side in [carrier - modulator, carrier + modulator] {
        let rel = db(at(side) / at(carrier));
        println!("PM sideband at {side:.1} Hz: {rel:+.2} dB");
        assert!((rel + 4.81).abs() < 0.2, "sideband at {side} Hz is {rel:.2} dB, want −4.81");
    }
}

#[test]
fn linear_fm_adds_hertz_and_through_zero_keeps_the_pitch() {
    let sr = 48_000.0;
    let n = 1 << 15;
    for (input, depth, want) in [(1.0, 110.0, 550.0), (-1.0, 880.0, 440.0), (0.5, 100.0, 490.0)] {
        let fm = wire(2 * n + 4096, |_| input);
        let mut rig = Rig::new("sine", sr as f32);
        rig.set("fm_depth", depth);
        let x = render_with(&mut rig, &[("fm", &fm)], 4096, 2 * n, 0);
        let err = cents(pitch_hz(&x, sr, n), want);
        assert!(err.abs() < 0.1, "fm {input} × {depth} Hz: off {want} Hz by {err} cent");
    }
}

#[test]
fn hard_sync_follows_the_master_and_stays_band_limited() {
    let sr = 48_000.0;
    let frames = 1 << 16;
    let master = sine_wire(frames + 4096, sr, 200.0);
    let mut rig = Rig::new("sine", sr as f32);
    rig.pitch(hz_note(730.0));
    let x = render_with(&mut rig, &[("sync", &master)], 4096, frames, 0);
    let err = periodicity_error(&x, 240);
    assert!(err < 1e-3, "not periodic at the master's period ({err})");
    let alias = aliasing_db(&x, sr, 200.0);
    println!("sine 730 Hz synced to 200 Hz: aliasing {alias:.1} dB");
    assert!(alias < -60.0, "synced sine: aliasing {alias:.1} dB");
}

#[test]
fn stays_finite_with_wild_modulation() {
    assert_finite_at_extremes("sine", wild_input);
}
