//! The LFO: rate, shapes and their range, start phase, independence of voices, tempo sync, global mode,
//! fade-in and the random shapes.

mod common;

use common::*;
use ferrule_nodes::modulator::lfo::SYNC_CHOICES;
use ferrule_nodes::{LaneMask, Lanes};

const SR: f32 = 48_000.0;
const SHAPES: [&str; 4] = ["sine", "triangle", "saw", "square"];
const SAMPLE_HOLD: f32 = 4.0;
const SMOOTH_RANDOM: f32 = 5.0;
const GLOBAL: f32 = 1.0;

fn lfo(rate: f32, shape: usize, phase: f32) -> Rig {
    let mut rig = Rig::new("lfo", SR);
    rig.set("rate", rate).set("shape", shape as f32).set("phase", phase).chunks(&[16, 5, 16, 11]);
    rig
}

/// Times (in samples, interpolated) where `x` crosses 0 going up.
fn rising_zero_crossings(x: &[f64]) -> Vec<f64> {
    x.windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] < 0.0 && w[1] >= 0.0)
        .map(|(i, w)| i as f64 + w[0] / (w[0] - w[1]))
        .collect()
}

#[test]
fn rate_is_within_a_tenth_of_a_percent() {
    for rate in [0.5, 7.3, 100.0] {
        let cycles = if rate < 1.0 { 20.0 } else { 200.0 };
        let frames = (cycles / rate * SR) as usize + 1000;
        let x = lane(&lfo(rate, 0, 0.0).run(frames), 0);
        let z = rising_zero_crossings(&x);
        let period = (z[z.len() - 1] - z[0]) / (z.len() - 1) as f64;
        let measured = SR as f64 / period;
        let err = 100.0 * (measured / rate as f64 - 1.0);
        println!("lfo {rate} Hz: measured {measured:.6} Hz ({err:+.5}%) over {} cycles", z.len() - 1);
        assert!(err.abs() < 0.1, "rate {rate}: {measured} Hz");
    }
}

#[test]
fn every_shape_spans_minus_one_to_one() {
    for (i, name) in SHAPES.iter().enumerate() {
        let x = lane(&lfo(3.0, i, 0.0).run(48_000), 0);
        let (lo, hi) = x.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        println!("lfo {name}: {lo:.5}..{hi:.5}");
        assert!(lo >= -1.0 && hi <= 1.0, "{name} leaves −1..1: {lo}..{hi}");
        assert!(lo < -0.999 && hi > 0.999, "{name} does not reach ±1: {lo}..{hi}");
        assert!(mean(&x).abs() < 1e-3, "{name} mean {}", mean(&x));
    }
}

#[test]
fn phase_sets_where_a_voice_starts() {
    // (shape, start phase, first value)
    let cases = [
        (0, 0.0, 0.0),
        (0, 0.25, 1.0),
        (0, 0.75, -1.0),
        (1, 0.25, 1.0),
        (1, 0.5, 0.0),
        (1, 0.75, -1.0),
        (2, 0.0, 0.0),
        (2, 0.25, 0.5),
        (2, 0.75, -0.5),
        (3, 0.1, 1.0),
        (3, 0.6, -1.0),
    ];
    for (shape, phase, want) in cases {
        let x = lane(&lfo(1.0, shape, phase).run(16), 0);
        assert!((x[0] - want).abs() < 1e-5, "{} at phase {phase}: {} want {want}", SHAPES[shape], x[0]);
    }
    // Phase only acts at voice start: changing it later does not move a running LFO.
    let mut rig = lfo(1.0, 0, 0.0);
    let before = lane(&rig.run(100), 0);
    rig.set("phase", 0.5);
    let after = lane(&rig.run(1), 0);
    assert!((after[0] - before[99]).abs() < 1e-3);
}

#[test]
fn each_voice_restarts_on_its_own() {
    let mut rig = lfo(2.0, 0, 0.25);
    rig.run(10_000);
    rig.voice.start = LaneMask(0b0000_0100);
    let x = rig.run(1);
    assert!((x[0][2] - 1.0).abs() < 1e-6, "restarted lane at phase 0.25");
    assert!((x[0][3] - 1.0).abs() > 0.01, "other lanes keep running");
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("lfo", |_| 0.0);
}

/// The index of sync choice `name`.
fn sync(name: &str) -> f32 {
    SYNC_CHOICES.iter().position(|c| *c == name).unwrap() as f32
}

#[test]
fn sync_choices_have_the_note_lengths_of_their_names() {
    use ferrule_nodes::modulator::lfo::sync_beats;
    assert_eq!(sync_beats(0), None);
    let want = [("4/1", 16.0), ("1/1", 4.0), ("1/4", 1.0), ("1/4d", 1.5), ("1/4t", 2.0 / 3.0), ("1/32", 0.125)];
    for (name, beats) in want {
        assert_eq!(sync_beats(sync(name) as usize), Some(beats), "{name}");
    }
    assert_eq!(SYNC_CHOICES.len(), 25);
}

/// A synced LFO's period, and in global mode the position of every cycle start, is within one sample of the
/// note value at the tempo: cycles start where the sine crosses 0 rising, interpolated between samples.
#[test]
fn synced_period_is_the_note_value_within_one_sample() {
    for tempo in [120.0, 93.7] {
        for (note, beats) in [("1/4", 1.0), ("1/8t", 1.0 / 3.0), ("1/2d", 3.0), ("1/16", 0.25), ("1/1", 4.0)] {
            let want = beats * 60.0 / tempo * SR as f64;
            for mode in [0.0, GLOBAL] {
                let mut rig = lfo(3.0, 0, 0.0);
                rig.set("sync", sync(note)).set("mode", mode);
                rig.transport.tempo = tempo;
                rig.transport.playing = true;
                let frames = (want * 12.0) as usize + 64;
                let z = rising_zero_crossings(&lane(&rig.run(frames), 3));
                let period = (z[z.len() - 1] - z[0]) / (z.len() - 1) as f64;
                println!("{tempo} BPM {note} mode {mode}: period {period:.4} samples, want {want:.4}");
                assert!((period - want).abs() < 1.0, "{tempo} BPM {note}: {period} samples, want {want}");
                // Every cycle starts within a sample of its place; global mode also starts on the beat grid.
                let first = if mode == GLOBAL { want } else { z[0] };
                for (k, at) in z.iter().enumerate() {
                    let ideal = first + k as f64 * want;
                    assert!((at - ideal).abs() < 1.0, "{tempo} BPM {note} mode {mode} cycle {k}: {at} vs {ideal}");
                }
            }
        }
    }
}

/// Global mode follows the host's beat position: a jump of the song position moves the phase with it.
#[test]
fn global_sync_locks_to_the_hosts_beats() {
    let mut rig = lfo(1.0, 2, 0.0);
    rig.set("sync", sync("1/1")).set("mode", GLOBAL);
    rig.transport.playing = true;
    // Two beats into a bar is half a cycle of a whole note: the saw is at its drop.
    rig.transport.beats = 2.0 + 1.0 / 512.0;
    let x = lane(&rig.run(1), 0);
    assert!((x[0] - (2.0 * (0.5 + 1.0 / 2048.0) - 2.0)).abs() < 1e-4, "saw at beat 2 of the bar: {}", x[0]);
    rig.transport.beats = 4.0 * 37.0 + 1.0;
    let x = lane(&rig.run(1), 0);
    assert!((x[0] - 0.5).abs() < 1e-4, "saw a quarter into bar 38: {}", x[0]);
}

/// Global mode: whatever the voices do and whenever a lane group first runs, every lane of every group gives
/// the same value at the same frame.
#[test]
fn global_mode_is_identical_in_every_voice() {
    for (shape, synced) in [(0, false), (4, false), (5, false), (1, true), (5, true)] {
        let make = || {
            let mut rig = lfo(3.7, shape, 0.3);
            rig.set("mode", GLOBAL).chunks(&[16, 16, 3, 13]);
            if synced {
                rig.set("sync", sync("1/8d"));
                rig.transport.tempo = 93.7;
            }
            rig
        };
        let mut first = make();
        let a = first.run(20_000);
        // A second group whose node is created and first run 12 345 frames later, at a different chunking, with
        // its voices starting at odd times.
        let mut second = make();
        second.chunks(&[7, 16, 1]);
        second.transport = second.transport.advanced(12_345, SR);
        let mut b: Vec<Lanes> = Vec::new();
        while b.len() < 20_000 - 12_345 {
            if b.len() % 1000 == 0 {
                second.voice.start = LaneMask(1 << ((b.len() / 1000) % 8));
                second.voice.trigger = second.voice.start;
            }
            b.extend(second.run(1));
        }
        for (i, frame) in b.iter().enumerate() {
            let want = a[12_345 + i][0];
            for l in 0..8 {
                assert!(
                    (frame[l] - want).abs() < 1e-5,
                    "shape {shape} synced {synced}: frame {} lane {l}: {} vs {want}",
                    12_345 + i,
                    frame[l]
                );
                assert_eq!(a[12_345 + i][l], want, "lanes of one group agree");
            }
        }
    }
}

/// Fade-in: the depth rises linearly from 0 at the trigger and is full at the fade time, not before.
#[test]
fn fade_in_reaches_full_depth_at_the_set_time() {
    for fade in [0.05, 0.5, 2.0] {
        let mut rig = lfo(5.0, 3, 0.1);
        rig.set("fade", fade);
        let frames = (fade * SR * 1.5) as usize;
        let x = lane(&rig.run(frames), 0);
        let at = |s: f32| x[(s * SR) as usize].abs();
        let full = (fade * SR) as usize;
        println!(
            "fade {fade}s: |out| at 1/4 {:.4}, 1/2 {:.4}, end {:.6}",
            at(fade / 4.0),
            at(fade / 2.0),
            x[full].abs()
        );
        assert!((at(fade / 4.0) - 0.25).abs() < 1e-3 && (at(fade / 2.0) - 0.5).abs() < 1e-3);
        assert!(x[full - 2].abs() < 1.0, "not full before the fade time");
        assert!(x[full..].iter().all(|v| (v.abs() - 1.0).abs() < 1e-6), "full depth from {full} on");
        // A retrigger fades in again; a legato note (no trigger) does not.
        rig.voice.trigger = LaneMask(0b10);
        let y = rig.run(8);
        assert!(y[0][1].abs() < 1e-3 && (y[0][0].abs() - 1.0).abs() < 1e-6);
    }
}

/// The random shapes stay inside −1..1, repeat exactly when rendered again, change once per cycle
/// (sample & hold) or smoothly (no step larger than 3 × rate / fs: the smoothstep's slope is at most 1.5 per
/// cycle times a jump of at most 2), and give different notes different values.
#[test]
fn random_shapes_are_bounded_deterministic_and_smooth() {
    for rate in [0.7, 13.0, 100.0] {
        for shape in [SAMPLE_HOLD, SMOOTH_RANDOM] {
            let render = || {
                let mut rig = lfo(rate, shape as usize, 0.0);
                rig.run(96_000)
            };
            let out = render();
            assert_eq!(out, render(), "deterministic");
            for l in 0..8 {
                let x = lane(&out, l);
                assert!(x.iter().all(|v| (-1.0..=1.0).contains(v)), "within −1..1");
                let steps = x.windows(2).filter(|w| w[0] != w[1]).count();
                if shape == SAMPLE_HOLD {
                    let cycles = (96_000.0 * rate / SR) as usize;
                    assert!(steps.abs_diff(cycles) <= 1, "S&H changes once per cycle: {steps} vs {cycles}");
                    assert!(max_step(&x) > 0.05, "and it does change");
                } else {
                    let bound = 3.0 * rate as f64 / SR as f64;
                    println!("smooth_random {rate} Hz lane {l}: largest step {:.6}, bound {bound:.6}", max_step(&x));
                    assert!(max_step(&x) <= bound + 1e-6, "largest step {} > {bound}", max_step(&x));
                }
            }
            // Over all voices (26 to 200 values each at 13 and 100 Hz) the values spread over the range.
            if rate > 10.0 {
                let all: Vec<f64> = (0..8).flat_map(|l| lane(&out, l)).collect();
                let (lo, hi) = all.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
                assert!(lo < -0.9 && hi > 0.9, "uses the range: {lo}..{hi}");
            }
            assert_ne!(lane(&out, 0), lane(&out, 1), "voices draw their own values");
        }
    }
}

/// A voice-mode LFO restarts on each note's trigger, so a new note does not continue the last one's phase;
/// a legato note (gate held, no trigger) keeps it running.
#[test]
fn note_trigger_restarts_a_voice_lfo_but_legato_does_not() {
    let mut rig = lfo(2.0, 0, 0.25);
    rig.run(7_001);
    rig.voice.trigger = LaneMask(0b1);
    let x = rig.run(1);
    assert!((x[0][0] - 1.0).abs() < 1e-6, "retriggered lane at phase 0.25: {}", x[0][0]);
    let before = rig.run(1)[0][1];
    rig.pitch(72.0);
    let after = rig.run(1)[0][1];
    assert!((after - before).abs() < 1e-3, "legato keeps running");
}

#[test]
fn stays_finite_in_every_mode_and_shape() {
    for shape in 0..6 {
        for (sync_name, mode) in [("off", 0.0), ("1/32t", 0.0), ("off", GLOBAL), ("4/1d", GLOBAL)] {
            let mut rig = lfo(100.0, shape, 0.9);
            rig.set("sync", sync(sync_name)).set("mode", mode).set("fade", 30.0);
            rig.transport.tempo = 1000.0;
            rig.transport.beats = 1e9;
            rig.transport.frame = u64::MAX - 100_000;
            let out = rig.run(20_000);
            assert_clean(&[out], &format!("shape {shape} sync {sync_name} mode {mode}"));
        }
    }
}

#[test]
fn a_route_reads_the_same_value_when_only_the_last_frame_is_asked_for() {
    for shape in 0..6 {
        for (mode, fade) in [(0.0, 0.0), (0.0, 0.05), (GLOBAL, 0.0)] {
            let make = || {
                let mut rig = lfo(7.3, shape, 0.25);
                rig.set("mode", mode).set("fade", fade).set_lane("rate", 5, 31.0);
                rig
            };
            let drive = |rig: &mut Rig| {
                let mut x = lane(&rig.run(9000), 5);
                rig.voice.trigger = LaneMask::ALL;
                rig.set("rate", 2.0);
                x.extend(lane(&rig.run(9000), 5));
                x
            };
            assert_last_frames_match(&format!("lfo shape {shape}, mode {mode}, fade {fade}"), 1e-6, make, drive);
        }
    }
}
