//! The state-variable filter: cutoff accuracy, the responses, key tracking, the audio-rate cutoff input, and
//! stability under any sweep or modulation. (The `peak` and `allpass` responses are tested in the module's unit
//! tests while a node may declare only four outputs.)

mod common;

use common::*;
use ferrule_nodes::Lanes;

/// Output indices in the declaration's order.
const LP: usize = 0;
const HP: usize = 1;
const BP: usize = 2;
const NOTCH: usize = 3;

/// Impulse responses of every output (lane 0) at `cutoff` and `q`, `frames` long.
fn impulse_responses(sample_rate: f32, cutoff: f32, q: f32, frames: usize) -> Vec<Vec<f64>> {
    let mut rig = Rig::new("svf", sample_rate);
    rig.set("cutoff", cutoff).set("q", q);
    impulse_responses_of(&mut rig, frames, None)
}

/// Impulse responses of every output (lane 0) of `rig`, with a constant `octaves` on the cutoff input.
fn impulse_responses_of(rig: &mut Rig, frames: usize, octaves: Option<f32>) -> Vec<Vec<f64>> {
    let x = wire(frames, |i| if i == 0 { 1.0 } else { 0.0 });
    let cv = octaves.map(|o| wire(frames, |_| o));
    rig.run_with(frames, &[Some(&x), cv.as_deref()]).iter().map(|o| lane(o, 0)).collect()
}

/// The low-pass −3 dB frequency (Hz) of `rig` at 48 kHz.
fn lowpass_corner(rig: &mut Rig, octaves: Option<f32>) -> f64 {
    let n = 1 << 16;
    let ir = impulse_responses_of(rig, n, octaves);
    crossing(&response(&ir[LP]), 48_000.0 / n as f64, 0.5f64.sqrt(), true)
}

/// Magnitude response of an impulse response at bins `0..=n/2` (no window: the response has decayed).
fn response(ir: &[f64]) -> Vec<f64> {
    let mut re = ir.to_vec();
    let mut im = vec![0.0; ir.len()];
    fft(&mut re, &mut im);
    (0..=ir.len() / 2).map(|k| re[k].hypot(im[k])).collect()
}

/// The frequency (Hz) where `mag` first crosses `level` going `falling` (or rising), interpolated between bins.
fn crossing(mag: &[f64], bin_hz: f64, level: f64, falling: bool) -> f64 {
    let below = |v: f64| if falling { v < level } else { v >= level };
    let k = (1..mag.len()).find(|&k| below(mag[k]) && !below(mag[k - 1])).expect("no crossing");
    let (a, b) = (mag[k - 1], mag[k]);
    (k as f64 - 1.0 + (level - a) / (b - a)) * bin_hz
}

#[test]
fn lowpass_and_highpass_are_3_db_down_at_the_cutoff() {
    let sr = 48_000.0;
    let n = 1 << 17;
    for cutoff in [50.0, 100.0, 300.0, 1000.0, 3000.0, 10_000.0, 15_000.0] {
        let ir = impulse_responses(sr, cutoff, 0.707, n);
        let half_power = 0.5f64.sqrt();
        let lp = crossing(&response(&ir[LP]), sr as f64 / n as f64, half_power, true);
        let hp = crossing(&response(&ir[HP]), sr as f64 / n as f64, half_power, false);
        let (lp_err, hp_err) = (100.0 * (lp / cutoff as f64 - 1.0), 100.0 * (hp / cutoff as f64 - 1.0));
        println!("svf cutoff {cutoff} Hz: lp −3 dB at {lp:.2} Hz ({lp_err:+.3}%), hp at {hp:.2} Hz ({hp_err:+.3}%)");
        assert!(lp_err.abs() < 2.0, "lp −3 dB point {lp} Hz for cutoff {cutoff}");
        assert!(hp_err.abs() < 2.0, "hp −3 dB point {hp} Hz for cutoff {cutoff}");
        // Butterworth: flat passband, 12 dB/octave.
        let lp_mag = response(&ir[LP]);
        let at = |hz: f64| lp_mag[(hz * n as f64 / sr as f64).round() as usize];
        assert!((db(at(cutoff as f64 / 10.0))).abs() < 0.1);
        if cutoff <= 100.0 {
            let slope = db(at(cutoff as f64 * 16.0)) - db(at(cutoff as f64 * 8.0));
            assert!((slope + 12.0).abs() < 1.0, "slope {slope} dB/octave");
        }
    }
}

/// Steady-state RMS of output `port` (lane 0) for a sine at `hz`, relative to the input's.
fn gain_at(hz: f64, cutoff: f32, q: f32, port: usize) -> f64 {
    let sr = 48_000.0;
    let frames = 48_000;
    let x = wire(frames, |i| (std::f64::consts::TAU * hz * i as f64 / sr).sin() as f32);
    let mut rig = Rig::new("svf", sr as f32);
    rig.set("cutoff", cutoff).set("q", q);
    let out = lane(&rig.run_with(frames, &[Some(&x)])[port], 0);
    rms(&out[frames / 2..]) / rms(&lane(&x, 0)[frames / 2..])
}

#[test]
fn bandpass_peaks_at_unity_and_the_notch_is_deep_at_the_cutoff() {
    for q in [0.707, 5.0, 25.0] {
        let bp = db(gain_at(1000.0, 1000.0, q, BP));
        let notch = db(gain_at(1000.0, 1000.0, q, NOTCH));
        println!("svf q {q}: bp at cutoff {bp:+.3} dB, notch at cutoff {notch:.1} dB");
        assert!(bp.abs() < 0.05, "bp {bp} dB at the cutoff");
        assert!(notch < -60.0, "notch only {notch} dB deep");
        // An octave away the band-pass falls, more so with more resonance.
        let off = db(gain_at(2000.0, 1000.0, q, BP));
        assert!(off < -3.0 * q.min(2.0) as f64, "bp an octave up {off} dB at q {q}");
        // The notch passes what is an octave away.
        assert!(db(gain_at(4000.0, 1000.0, q, NOTCH)) > -1.0);
    }
    // Resonance: the low-pass peaks near q at the cutoff.
    let lp = gain_at(1000.0, 1000.0, 10.0, LP);
    assert!((lp / 10.0 - 1.0).abs() < 0.02, "lp gain at cutoff with q 10: {lp}");
}

#[test]
fn outputs_sum_back_to_the_input() {
    let frames = 4096;
    let x = wire(frames, |i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0);
    let mut rig = Rig::new("svf", 48_000.0);
    rig.set("cutoff", 700.0).set("q", 3.0);
    let out = rig.run_with(frames, &[Some(&x)]);
    for i in 0..frames {
        let sum = out[LP][i][2] + out[HP][i][2] + out[BP][i][2];
        assert!((sum - x[i][2]).abs() < 1e-5, "lp + hp + bp = in at frame {i}");
        assert!((out[NOTCH][i][2] - out[LP][i][2] - out[HP][i][2]).abs() < 1e-5, "notch = lp + hp");
    }
}

/// Runs `calls` calls with `cutoff(call)` for a full-scale square input and q = 25; asserts finite, not
/// subnormal and bounded (a resonant filter at q 25 on a ±1 input stays well within ±100).
fn sweep(sample_rate: f32, calls: usize, cutoff: impl Fn(usize) -> f32) {
    let mut rig = Rig::new("svf", sample_rate);
    rig.set("q", 25.0);
    let mut peak = 0.0f32;
    for c in 0..calls {
        rig.set("cutoff", cutoff(c));
        let x: Vec<Lanes> = wire(16, |i| if (c * 16 + i) / 50 % 2 == 0 { 1.0 } else { -1.0 });
        let out = rig.call(16, &[Some(&x)]);
        assert_clean(&out, &format!("svf sweep at {sample_rate} Hz, call {c}"));
        peak = out.iter().flatten().flatten().fold(peak, |m, v| m.max(v.abs()));
    }
    println!("svf sweep at {sample_rate} Hz: peak {peak:.1}");
    assert!(peak < 100.0, "peak {peak}");
}

#[test]
fn stays_finite_when_the_cutoff_sweeps_every_call() {
    for sr in [44_100.0, 192_000.0] {
        // 20 Hz → 20 kHz → 20 Hz, exponentially, a new cutoff every call.
        sweep(sr, 4000, |c| {
            let x = (c % 2000) as f32 / 1999.0;
            let x = if c < 2000 { x } else { 1.0 - x };
            20.0 * 1000f32.powf(x)
        });
        // The worst jump: 20 Hz and 20 kHz on alternate calls.
        sweep(sr, 4000, |c| if c % 2 == 0 { 20.0 } else { 20_000.0 });
    }
}

#[test]
fn fast_cutoff_modulation_is_click_free() {
    // A 150 Hz sine through the low-pass while an envelope-like modulation moves the cutoff 200 Hz → 5 kHz in
    // 20 calls (6.7 ms), one new value per call: the largest step stays within 3× the largest step of the
    // steady render (MEASURING.md's click measure).
    let sr = 48_000.0;
    let x = wire(9600, |i| (std::f64::consts::TAU * 150.0 * i as f64 / sr as f64).sin() as f32);
    let mut rig = Rig::new("svf", sr);
    rig.set("cutoff", 200.0);
    let mut out = lane(&rig.run_with(4800, &[Some(&x[..4800])])[0], 0);
    for c in 0..20 {
        rig.set("cutoff", 200.0 * 25f32.powf((c + 1) as f32 / 20.0));
        let chunk = &x[4800 + 16 * c..4800 + 16 * (c + 1)];
        out.extend(lane(&rig.call(16, &[Some(chunk)])[LP], 0));
    }
    out.extend(lane(&rig.run_with(4480, &[Some(&x[5120..])])[LP], 0));
    let around = max_step(&out[4700..5300]);
    let baseline = max_step(&out[6000..]);
    println!("svf cutoff sweep: largest step {around:.4}, steady {baseline:.4}");
    assert!(around <= 3.0 * baseline, "step {around} during the sweep, baseline {baseline}");
}

#[test]
fn stays_finite_at_extreme_parameters() {
    common::assert_finite_at_extremes("svf", extreme_input);
    common::assert_finite_at_extremes("svf", |_| 0.0);
}

#[test]
fn keytracking_moves_the_cutoff_with_the_voice_pitch_from_c4() {
    // (keytrack, voice pitch, expected factor on the cutoff)
    for (keytrack, pitch, factor) in
        [(0.0, 84.0, 1.0), (1.0, 60.0, 1.0), (1.0, 72.0, 2.0), (1.0, 48.0, 0.5), (0.5, 84.0, 2.0)]
    {
        let mut rig = Rig::new("svf", 48_000.0);
        rig.set("cutoff", 1000.0).set("keytrack", keytrack).pitch(pitch);
        let corner = lowpass_corner(&mut rig, None);
        let want = 1000.0 * factor;
        println!("svf keytrack {keytrack} at note {pitch}: −3 dB at {corner:.1} Hz, want {want}");
        assert!((corner / want - 1.0).abs() < 0.02, "corner {corner} Hz, want {want}");
    }
}

#[test]
fn the_cutoff_input_moves_the_cutoff_in_octaves() {
    for (octaves, want) in [(0.0, 1000.0), (1.0, 2000.0), (-2.0, 250.0), (3.5, 1000.0 * 2f64.powf(3.5))] {
        let mut rig = Rig::new("svf", 48_000.0);
        rig.set("cutoff", 1000.0);
        let corner = lowpass_corner(&mut rig, Some(octaves));
        println!("svf cutoff input {octaves:+} octaves: −3 dB at {corner:.1} Hz, want {want:.1}");
        assert!((corner / want - 1.0).abs() < 0.02, "corner {corner} Hz, want {want}");
    }
}

#[test]
fn audio_rate_cutoff_modulation_stays_bounded_up_to_nyquist() {
    // Cutoff at the top of its range, q 25, a full-scale square in, and the cutoff input swinging ±12 octaves
    // with a sine or a square (between the lowest cutoff and just below Nyquist every few samples).
    for sr in [44_100.0f32, 48_000.0, 192_000.0] {
        for (name, cv) in [
            (
                "sine 5 kHz",
                wire(48_000, |i| 12.0 * (std::f64::consts::TAU * 5000.0 * i as f64 / sr as f64).sin() as f32),
            ),
            ("square 3 samples", wire(48_000, |i| if (i / 3) % 2 == 0 { 12.0 } else { -12.0 })),
            ("random", wire(48_000, |i| ((i * 7919 + 13) % 97) as f32 / 4.0 - 12.0)),
        ] {
            let mut rig = Rig::new("svf", sr);
            rig.set("cutoff", 20_000.0).set("q", 25.0).chunks(&[16, 5, 1, 16, 11]);
            let x = wire(48_000, |i| if (i / 50) % 2 == 0 { 1.0 } else { -1.0 });
            let out = rig.run_with(48_000, &[Some(&x), Some(&cv)]);
            assert_clean(&out, &format!("svf under {name} cutoff modulation at {sr} Hz"));
            let peak = out.iter().flatten().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
            println!("svf, cutoff modulated by {name} at {sr} Hz: peak {peak:.2}");
            assert!(peak < 100.0, "peak {peak}");
        }
    }
}

#[test]
fn broken_inputs_never_reach_the_output() {
    let mut rig = Rig::new("svf", 48_000.0);
    rig.set("q", 25.0);
    let nan = wire(4096, |i| {
        if i % 3 == 0 {
            f32::NAN
        } else if i % 3 == 1 {
            f32::INFINITY
        } else {
            -1e6
        }
    });
    let out = rig.run_with(4096, &[Some(&nan), Some(&nan)]);
    assert_clean(&out, "svf fed NaN, infinity and ±1e6 on every input");
    // And it recovers: silence in, silence out soon after.
    let silence = wire(48_000, |_| 0.0);
    let out = rig.run_with(48_000, &[Some(&silence), Some(&silence)]);
    assert_clean(&out, "svf after broken input");
    assert!(out[LP].last().unwrap()[0].abs() < 1e-6, "still ringing after a second of silence");
}

#[test]
fn peak_and_allpass_outputs_once_declared() {
    // A node may declare at most MAX_OUTPUTS outputs; the svf declares peak and allpass once that allows six.
    // Until then their responses are tested in the module's unit tests (src/filter/svf.rs).
    let (_, spec) = ferrule_nodes::registry::find("svf").unwrap();
    assert_eq!(spec.outputs.len(), ferrule_nodes::MAX_OUTPUTS.min(6));
    let (Some(peak), Some(allpass)) = (spec.output("peak"), spec.output("allpass")) else {
        println!("svf: peak and allpass not declared (MAX_OUTPUTS = {})", ferrule_nodes::MAX_OUTPUTS);
        return;
    };
    let n = 1 << 15;
    for (cutoff, q) in [(300.0, 0.707), (1000.0, 4.0), (5000.0, 10.0)] {
        let ir = impulse_responses(48_000.0, cutoff, q, n);
        let bin = |hz: f64| (hz * n as f64 / 48_000.0).round() as usize;
        let peak_mag = response(&ir[peak]);
        let at_cutoff = db(peak_mag[bin(cutoff as f64)]);
        let want = db(2.0 * q as f64);
        println!("svf peak output at {cutoff} Hz, q {q}: {at_cutoff:+.2} dB, want {want:+.2}");
        assert!((at_cutoff - want).abs() < 0.2, "peak {at_cutoff} dB at the cutoff, want {want}");
        assert!(db(peak_mag[bin(cutoff as f64 / 20.0)]).abs() < 0.1, "peak changes the band below");
        let worst = response(&ir[allpass])[bin(20.0)..bin(20_000.0)].iter().map(|m| db(*m).abs()).fold(0.0, f64::max);
        println!("svf allpass output at {cutoff} Hz, q {q}: within {worst:.4} dB of unity");
        assert!(worst < 0.1, "allpass deviates {worst} dB");
    }
}

#[test]
fn a_route_reads_the_same_value_from_a_response_asked_for_its_last_frame_only() {
    // Every response but `lp` (output 0) asked for its last frame only: `lp` is unchanged frame by frame and
    // each other response's last frame is the full call's.
    let input = wire(20_000, |i| ((i as f32) * 0.05).sin() + if i % 97 == 0 { 0.5 } else { 0.0 });
    let render = |last_only: u8| {
        let mut rig = Rig::new("svf", 48_000.0);
        rig.set("cutoff", 900.0).set("q", 3.0).chunks(&[16, 5, 16, 11]);
        rig.last_only = last_only;
        let out = rig.run_with(input.len(), &[Some(&input)]);
        (out, rig.ends)
    };
    let ((full, ends), (some, _)) = (render(0), render(0b11_1110));
    assert_eq!(lane(&full[0], 3), lane(&some[0], 3), "lp is read at audio rate");
    for r in 1..full.len() {
        for &end in &ends {
            assert_eq!(full[r][end - 1][3].to_bits(), some[r][end - 1][3].to_bits(), "response {r}, call ending {end}");
        }
    }
}
