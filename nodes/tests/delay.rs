//! The stereo delay: echo timing in samples (free and tempo-synced), level per repeat in dB, ping-pong,
//! glides without clicks, and stability at the largest feedback.

mod common;
mod effect_rig;

use common::*;
use effect_rig::*;
use ferrule_nodes::Lanes;

/// A delay at `sample_rate` with echoes only (`mix` 1), no feedback and the loop filters wide open, in
/// irregular calls.
fn delay(sample_rate: f32) -> Rig {
    let mut rig = Rig::new("delay", sample_rate);
    rig.set("mix", 1.0).set("feedback", 0.0).set("low_cut", 20.0).set("high_cut", 20_000.0);
    rig.chunks(&[16, 5, 16, 13, 1, 16]);
    rig
}

/// Sets choice parameter `name` of `rig` to the option called `option`.
fn choose(rig: &mut Rig, name: &str, option: &str) {
    let index = rig.spec.params[rig.spec.param(name).unwrap()].choices.iter().position(|c| *c == option).unwrap();
    rig.set(name, index as f32);
}

/// A unit impulse on both channels at frame 0, `frames` long.
fn impulse(frames: usize) -> Vec<Lanes> {
    stereo(frames, |i| if i == 0 { (1.0, 1.0) } else { (0.0, 0.0) })
}

/// Where an echo starts: the first sample above a tenth of the signal's peak. The loop's low-pass smears an
/// impulse over a few samples after its arrival (more at high sample rates), so the peak can come a sample
/// late; the start does not.
fn onset(x: &[f64]) -> usize {
    let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    x.iter().position(|v| v.abs() > 0.1 * peak).unwrap()
}

#[test]
fn an_impulse_comes_back_after_exactly_time() {
    for sample_rate in [44_100.0f32, 48_000.0, 96_000.0, 192_000.0] {
        for time in [0.0123f32, 0.25, 1.0, 3.9] {
            let mut rig = delay(sample_rate);
            rig.set("time", time);
            let want = (time as f64 * sample_rate as f64).round() as usize;
            let (l, r) = run_stereo(&mut rig, &impulse(want + 2000));
            let (at_l, at_r) = (onset(&l), onset(&r));
            println!("delay {time} s at {sample_rate} Hz: echo starts at {at_l} / {at_r} samples, want {want}");
            assert!(at_l.abs_diff(want) <= 1 && at_r.abs_diff(want) <= 1, "echo at {at_l}/{at_r}, want {want}");
        }
    }
}

#[test]
fn synced_echo_lands_on_the_note_value() {
    // (note value, tempo in BPM, seconds)
    for (note, tempo, seconds) in [("1/8", 120.0, 0.25), ("1/4d", 90.0, 1.0), ("1/16t", 150.0, 0.066_666_67)] {
        let mut rig = delay(48_000.0);
        rig.set("time", 2.0);
        choose(&mut rig, "sync", note);
        rig.transport.tempo = tempo;
        let want = (seconds * 48_000.0f64).round() as usize;
        let (l, _) = run_stereo(&mut rig, &impulse(want + 2000));
        let at = onset(&l);
        println!("delay {note} at {tempo} BPM: echo at {at} samples, want {want}");
        assert!(at.abs_diff(want) <= 1, "{note} at {tempo} BPM: echo at {at}, want {want}");
    }
}

#[test]
fn each_repeat_is_feedback_quieter() {
    // Bursts of a 1 kHz tone, 20 ms long, every repeat 100 ms later: each repeat's RMS in dB.
    let sr = 48_000.0;
    let period = 4800;
    let burst = 960;
    for feedback in [0.5f32, 0.9, 0.98] {
        let mut rig = delay(sr);
        rig.set("time", 0.1).set("feedback", feedback);
        let tone = |i: usize| {
            if i < burst { (0.5 * (std::f32::consts::TAU * 1000.0 * i as f32 / sr).sin(), 0.0) } else { (0.0, 0.0) }
        };
        let (l, _) = run_stereo(&mut rig, &stereo(period * 9, tone));
        // Measure the middle of each repeat, away from the filters' settling at its edges.
        let levels: Vec<f64> = (1..9).map(|k| level_db(&l, k * period + 100, k * period + burst - 100)).collect();
        let want = 20.0 * (feedback as f64).log10();
        let per_repeat: Vec<f64> = levels.windows(2).map(|w| w[1] - w[0]).collect();
        println!("delay feedback {feedback}: want {want:.3} dB per repeat, got {per_repeat:.3?}");
        for got in per_repeat {
            assert!((got - want).abs() < 0.05, "feedback {feedback}: {got} dB per repeat, want {want}");
        }
    }
}

#[test]
fn ping_pong_alternates_left_and_right() {
    let sr = 48_000.0;
    let period = 4800;
    let mut rig = delay(sr);
    rig.set("time", 0.1).set("feedback", 0.7);
    choose(&mut rig, "mode", "ping_pong");
    // Input on the left only; ping-pong sums it to mono, so the first echo is at half level on the left.
    let (l, r) = run_stereo(&mut rig, &stereo(period * 7, |i| if i == 0 { (1.0, 0.0) } else { (0.0, 0.0) }));
    let mut levels = Vec::new();
    for k in 1..7 {
        let window = k * period - 50..k * period + 50;
        let energy = |x: &[f64]| x[window.clone()].iter().map(|v| v * v).sum::<f64>();
        let (el, er) = (energy(&l), energy(&r));
        let (loud, quiet) = if k % 2 == 1 { (el, er) } else { (er, el) };
        let side = if k % 2 == 1 { "left" } else { "right" };
        println!("ping-pong echo {k}: {side}, other side {:.1} dB down", 10.0 * (quiet / loud).max(1e-30).log10());
        assert!(quiet == 0.0 || loud / quiet > 1e6, "echo {k} should be on the {side} only: {el} / {er}");
        levels.push(loud.sqrt());
    }
    // An impulse's repeats also lose a little of their highest octave in the loop's 20 kHz low-pass, so the
    // amplitude ratio is a little below the feedback (the exact level per repeat is tested with tone bursts).
    for w in levels.windows(2) {
        assert!((0.6..=0.7).contains(&(w[1] / w[0])), "repeat ratio {}", w[1] / w[0]);
    }
}

#[test]
fn stereo_mode_keeps_the_sides_apart() {
    let mut rig = delay(48_000.0);
    rig.set("time", 0.05).set("feedback", 0.8);
    let (l, r) = run_stereo(&mut rig, &stereo(48_000, |i| if i == 0 { (1.0, 0.0) } else { (0.0, 0.0) }));
    assert!(l.iter().map(|v| v.abs()).sum::<f64>() > 1.0);
    assert!(r.iter().all(|&v| v == 0.0), "right channel picked up the left input");
}

#[test]
fn a_time_change_glides_without_a_click() {
    // A 105 Hz sine through the delay (echoes only); the time jumps from 0.3 s to 0.2 s, then to 0.5 s,
    // where the echo is at a peak: jumps of 10.5 and 31.5 cycles, so a delay that jumped would flip the echo
    // from one peak to the other. The glide bends the echo's pitch but never steps: the largest
    // sample-to-sample step around each change stays within 3× the 99.9th percentile of steps of the steady
    // render (MEASURING.md, "Clicks").
    let sr = 48_000.0;
    let x = stereo(sr as usize * 4, |i| {
        let v = 0.5 * (std::f32::consts::TAU * 105.0 * i as f32 / sr).sin();
        (v, v)
    });
    let mut steady = delay(sr);
    steady.set("time", 0.3).set("feedback", 0.3);
    let (base, _) = run_stereo(&mut steady, &x);
    let mut steps: Vec<f64> = base[sr as usize..].windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    steps.sort_by(f64::total_cmp);
    let baseline = steps[steps.len() * 999 / 1000];

    // A quarter period of 105 Hz after each second: the echo is at a peak there.
    let changes = [48_114, 96_114];
    let mut rig = delay(sr);
    rig.set("time", 0.3).set("feedback", 0.3);
    let (mut l, _) = run_stereo(&mut rig, &x[..changes[0]]);
    rig.set("time", 0.2);
    l.extend(run_stereo(&mut rig, &x[changes[0]..changes[1]]).0);
    choose(&mut rig, "sync", "1/4"); // 0.5 s at 120 BPM
    l.extend(run_stereo(&mut rig, &x[changes[1]..]).0);
    for change in changes {
        let worst = max_step(&l[change - 100..change + sr as usize / 2]);
        println!(
            "delay time change at frame {change}: largest step {worst:.5} ({:.2}× the steady 99.9th percentile {baseline:.5})",
            worst / baseline
        );
        assert!(worst < 3.0 * baseline, "click: step {worst} against {baseline}");
    }
}

#[test]
fn a_glide_settles_on_the_new_time() {
    // Without feedback, 1.5 s after a jump from 0.2 s to 0.5 s the echo is the input 0.5 s late again.
    let sr = 48_000.0;
    let x = stereo(sr as usize * 4, |i| {
        let v = 0.5 * (std::f32::consts::TAU * 440.0 * i as f32 / sr).sin();
        (v, v)
    });
    let mut rig = delay(sr);
    rig.set("time", 0.2);
    let (mut l, _) = run_stereo(&mut rig, &x[..2 * sr as usize]);
    rig.set("time", 0.5);
    l.extend(run_stereo(&mut rig, &x[2 * sr as usize..]).0);
    let mut steady = delay(sr);
    steady.set("time", 0.5);
    let (want, _) = run_stereo(&mut steady, &x);
    let settled = (3.5 * sr) as usize;
    let diff = (settled..l.len()).map(|i| (l[i] - want[i]).abs()).fold(0.0, f64::max);
    println!("delay 0.2 s → 0.5 s: 1.5 s later the echo is within {diff:e} of a steady 0.5 s delay's");
    assert!(diff < 1e-4, "after the glide the echo differs from a steady 0.5 s delay's by {diff}");
}

#[test]
fn the_largest_feedback_stays_bounded_and_dies_away() {
    // A minute of full-scale noise at the largest feedback in ping-pong and stereo modes, with the time
    // changing every second, then silence: the level must stay bounded and the tail must fall to silence.
    let sr = 48_000.0;
    for mode in ["stereo", "ping_pong"] {
        let mut rig = delay(sr);
        rig.set("feedback", rig.spec.params[rig.spec.param("feedback").unwrap()].max).set("time", 0.05);
        choose(&mut rig, "mode", mode);
        let mut peak = 0.0f64;
        let mut noise = Noise::new(3);
        for second in 0..60 {
            rig.set("time", [0.05, 0.013, 0.2, 0.5][second % 4]);
            let samples: Vec<(f32, f32)> = (0..sr as usize).map(|_| (noise.next(), noise.next())).collect();
            let (l, r) = run_stereo(&mut rig, &stereo(sr as usize, |i| samples[i]));
            peak = l.iter().chain(&r).fold(peak, |m, v| m.max(v.abs()));
        }
        // A short time for the tail, so 0.98 per repeat falls fast (−13.5 dB/s at 13 ms).
        rig.set("time", 0.013);
        let mut tail = Vec::new();
        for _ in 0..60 {
            let (l, r) = run_stereo(&mut rig, &stereo(sr as usize, |_| (0.0, 0.0)));
            tail.push(l.iter().chain(&r).fold(0.0f64, |m, v| m.max(v.abs())));
        }
        let silent_after = tail.iter().position(|&v| db(v) < -100.0);
        println!(
            "delay {mode}, feedback 0.98: peak {peak:.2} ({:+.1} dBFS) over 60 s of noise; below −100 dB after {silent_after:?} s of silence; last second peak {:e}",
            db(peak),
            tail[59]
        );
        // Steady state of a loop gain of 0.98: about 1/(1 − 0.98²) in power, 14 dB over the input.
        assert!(peak < 20.0, "{mode}: peak {peak}");
        assert!(silent_after.is_some_and(|s| s < 30), "{mode}: tail {tail:?}");
        assert_eq!(tail[59], 0.0, "{mode}: the tail should end in exact silence");
    }
}

#[test]
fn no_nan_infinity_or_denormals_and_garbage_reads_as_silence() {
    assert_finite_at_extremes("delay", extreme_input);
    let input = stereo(48_000, |i| (garbage(i), garbage(i + 5)));
    for mode in [0.0, 1.0] {
        assert_non_finite_reads_as_silence(
            "delay",
            48_000.0,
            &[("feedback", 0.98), ("time", 0.01), ("mode", mode), ("mix", 0.5)],
            &input,
        );
    }
}

#[test]
fn dry_passes_untouched_at_mix_0() {
    let x = stereo_noise(20_000, 5);
    let mut rig = delay(48_000.0);
    rig.set("mix", 0.0).set("feedback", 0.9).set("time", 0.01);
    let (l, r) = run_stereo(&mut rig, &x);
    for i in 0..x.len() {
        assert_eq!((l[i], r[i]), (x[i][0] as f64, x[i][1] as f64), "frame {i}");
    }
}

#[test]
fn cost_per_stereo_sample_is_printed() {
    print_cost("delay", &[("feedback", 0.5), ("time", 0.3)]);
}
