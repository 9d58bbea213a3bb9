//! The ADSR envelope: stage times, sustain level, releases and retriggers without jumps, idling, velocity,
//! curves, legato.

mod common;
mod envelope;

use common::*;
use envelope::{CURVES, RATES, Segments, assert_smooth, envelope, perform, play, release};
use ferrule_nodes::LaneMask;

const SR: f32 = 48_000.0;

/// The envelope's stages aim 1/1000 of their span past their end (see the module docs of `adsr`).
const OVERSHOOT: f64 = 1e-3;

fn adsr(attack: f32, decay: f32, sustain: f32, release: f32) -> Rig {
    let mut rig = Rig::new("adsr", SR);
    rig.set("attack", attack).set("decay", decay).set("sustain", sustain).set("release", release);
    rig
}

/// Index of the first frame satisfying `f`.
fn first(x: &[f64], f: impl Fn(f64) -> bool) -> usize {
    x.iter().position(|v| f(*v)).expect("never reached")
}

/// Asserts `got` samples is within 1% or one sample of `want`, and prints it.
fn assert_time(what: &str, got: usize, want: f64) {
    let err = got as f64 - want;
    println!("adsr {what}: {got} samples, want {want:.1} ({:+.3}%)", 100.0 * err / want);
    assert!(err.abs() <= 1.0 || err.abs() <= 0.01 * want, "{what}: {got} samples, want {want}");
}

#[test]
fn attack_and_decay_take_their_times_and_sustain_is_exact() {
    for (attack, decay, sustain) in [(0.005, 0.2, 0.7), (0.1, 0.05, 0.3), (2.0, 1.5, 0.0), (0.0, 0.0, 0.5)] {
        let mut rig = adsr(attack, decay, sustain, 0.3);
        let total = ((attack + decay) * SR) as usize + 2000;
        let x = lane(&rig.run(total), 0);
        // Frame i holds the level after i + 1 samples.
        let peak = first(&x, |v| v >= 1.0);
        assert_time(&format!("attack {attack} s"), peak + 1, (attack * SR) as f64);
        let end = peak + first(&x[peak..], |v| v as f32 == sustain);
        assert_time(&format!("decay {decay} s"), end - peak, (decay * SR) as f64);
        assert!(x[end..].iter().all(|v| *v as f32 == sustain), "sustain holds exactly {sustain}");
        // Attack is linear: halfway through the attack the level is one half.
        if attack >= 0.1 {
            let mid = (attack * SR / 2.0) as usize - 1;
            assert!((x[mid] - 0.5).abs() < 1e-3, "attack midpoint {}", x[mid]);
        }
    }
}

#[test]
fn decay_and_release_are_exponential() {
    // Halfway through the decay the distance to its target has shrunk by √1001.
    let mut rig = adsr(0.0, 0.5, 0.2, 0.3);
    let x = lane(&rig.run(48_000), 0);
    let span = 0.8;
    let target = 0.2 - OVERSHOOT * span;
    let half = (0.25 * SR) as usize;
    let want = target + (1.0 - target) * (1.0 / 1001f64.sqrt());
    assert!((x[half] - want).abs() < 1e-3 * span, "decay midpoint {} want {want}", x[half]);
}

#[test]
fn release_reaches_silence_on_time_and_the_lane_goes_idle() {
    for release in [0.01, 0.3, 3.0] {
        let mut rig = adsr(0.001, 0.01, 0.7, release);
        rig.run(4800);
        assert_eq!(rig.sounding, LaneMask::ALL);
        rig.voice.gate = LaneMask::NONE;
        let mut x = Vec::new();
        let mut idle_at = None;
        for call in 0..(release * SR) as usize / 16 + 200 {
            x.extend(lane(&rig.call(16, &[]).swap_remove(0), 0));
            if idle_at.is_none() && rig.sounding.is_empty() {
                idle_at = Some(call);
            }
        }
        // Silence is set once 140 dB below the release's start, 0.002 % before the nominal end.
        let silent = first(&x, |v| v == 0.0);
        assert_time(&format!("release {release} s"), silent + 1, (release * SR) as f64);
        assert!(x[silent..].iter().all(|v| *v == 0.0), "stays exactly 0");
        assert!(x[silent - 1] < 1e-4, "last sound before silence {}", x[silent - 1]);
        let idle = idle_at.expect("never went idle");
        assert_eq!(idle, silent / 16, "reports idle in the call that reached silence");
        // Halfway through, the release is where the exponential says.
        let half = (release * SR / 2.0) as usize - 1;
        let want = 0.7 * ((1.0 + OVERSHOOT) / 1001f64.sqrt() - OVERSHOOT);
        assert!((x[half] - want).abs() < 2e-3 * 0.7, "release midpoint {} want {want}", x[half]);
    }
}

#[test]
fn releasing_during_the_attack_continues_from_the_current_level() {
    let attack = 0.1;
    let mut rig = adsr(attack, 0.2, 0.7, 0.05);
    let mut x = lane(&rig.run(2400), 0);
    rig.voice.gate = LaneMask::NONE;
    x.extend(lane(&rig.run(4800), 0));
    // The largest step anywhere is the attack's own slope (1/(attack·fs) = 2.1e-4 per sample): the release
    // starts exactly where the attack was, and its initial slope (0.5·6.9/(0.05·fs) = 1.4e-3) is smooth.
    let attack_step = 1.0 / (attack as f64 * SR as f64);
    let release_step = x[2399] * (1.0 + OVERSHOOT) * (1001f64.ln() / (0.05 * SR as f64));
    let bound = attack_step.max(release_step) * 1.01;
    let step = max_step(&x);
    println!("adsr release during attack: largest step {step:.2e} (bound {bound:.2e})");
    assert!(step <= bound, "largest step {step}, bound {bound}");
    assert!((x[2399] - 0.5).abs() < 1e-3 && x[2400] < x[2399], "release starts at the attack's level");
}

#[test]
fn retriggering_during_release_restarts_the_attack_without_a_jump() {
    let mut rig = adsr(0.01, 0.1, 0.6, 0.5);
    let mut x = lane(&rig.run(9600), 0);
    rig.voice.gate = LaneMask::NONE;
    x.extend(lane(&rig.run(4800), 0));
    let before = *x.last().unwrap();
    rig.voice.gate = LaneMask::ALL;
    rig.voice.trigger = LaneMask::ALL;
    let after = lane(&rig.run(4800), 0);
    let attack_step = 1.0 / (0.01 * SR as f64);
    assert!((after[0] - before).abs() <= attack_step * 1.001, "retrigger jumped from {before} to {}", after[0]);
    assert!(max_step(&after) <= attack_step * 1.001);
    // It rises from where it was to the full peak, taking the remaining part of the attack.
    let peak = first(&after, |v| v >= 1.0);
    assert_time("attack from the release level", peak + 1, (1.0 - before) * 0.01 * SR as f64);
}

#[test]
fn velocity_amount_scales_the_peak() {
    for (amount, velocity, peak) in [(0.0, 0.3, 1.0), (1.0, 0.3, 0.3), (0.5, 0.5, 0.75), (1.0, 1.0, 1.0)] {
        let mut rig = adsr(0.001, 0.1, 0.5, 0.1);
        rig.set("velocity", amount);
        rig.voice.velocity = [velocity; 8];
        let x = lane(&rig.run(48_000), 0);
        let top = x.iter().cloned().fold(0.0, f64::max);
        assert!((top - peak).abs() < 1e-6, "amount {amount} velocity {velocity}: peak {top}, want {peak}");
        // Sustain is relative to the peak.
        assert!((x.last().unwrap() - 0.5 * peak).abs() < 1e-6);
    }
}

#[test]
fn a_note_shorter_than_a_call_still_attacks_then_releases() {
    let mut rig = adsr(0.001, 0.1, 0.5, 0.01);
    rig.voice.gate = LaneMask::NONE;
    let x = lane(&rig.run(4800), 0);
    assert!(x.iter().cloned().fold(0.0, f64::max) > 0.2);
    assert!(rig.sounding.is_empty() && *x.last().unwrap() == 0.0);
}

#[test]
fn lanes_are_independent() {
    let mut rig = adsr(0.01, 0.1, 0.5, 0.1);
    rig.run(4800);
    rig.voice.gate = LaneMask(0b0000_0001);
    let out = rig.run(9600);
    assert_eq!(rig.sounding, LaneMask(0b0000_0001), "only the held lane sounds");
    assert_eq!(out.last().unwrap()[0], 0.5);
    assert_eq!(out.last().unwrap()[1], 0.0);
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("adsr", |_| 0.0);
}

#[test]
fn every_stage_takes_its_time_at_every_rate_and_curve() {
    for sr in RATES {
        for (curve, c) in CURVES {
            for (a, d, sustain, r) in [(0.01, 0.1, 0.5, 0.2), (0.5, 1.0, 0.0, 0.05), (0.0, 0.0, 0.3, 0.0)] {
                let mut rig = envelope(
                    "adsr",
                    sr,
                    &[("attack", a), ("decay", d), ("sustain", sustain), ("release", r), ("curve", c)],
                );
                let held = ((a + d) * sr) as usize + 500;
                let x = play(&mut rig, held);
                let what = |stage: &str| format!("adsr {curve} at {sr} Hz: {stage}");
                let peak = envelope::first(&x, |v| v >= 1.0);
                envelope::assert_time(&what(&format!("attack {a} s")), peak + 1, (a * sr).max(1.0) as f64);
                let end = peak + envelope::first(&x[peak..], |v| v as f32 == sustain);
                envelope::assert_time(&what(&format!("decay {d} s")), end - peak, (d * sr).max(1.0) as f64);
                assert!(x[end..].iter().all(|v| *v as f32 == sustain), "sustain holds");
                let y = release(&mut rig, (r * sr) as usize + 500);
                let silent = envelope::first(&y, |v| v == 0.0);
                if sustain > 0.0 {
                    envelope::assert_time(&what(&format!("release {r} s")), silent + 1, (r * sr).max(1.0) as f64);
                } else {
                    assert_eq!(silent, 0, "a release from silence is silent at once");
                }
                assert!(rig.sounding.is_empty(), "idle after the release");
            }
        }
    }
}

#[test]
fn linear_segments_are_straight_lines() {
    let mut rig =
        envelope("adsr", SR, &[("attack", 0.0), ("decay", 0.5), ("sustain", 0.2), ("release", 0.4), ("curve", 1.0)]);
    let x = play(&mut rig, 48_000);
    // Frame i holds the level after i + 1 samples: the decay's frame 1 + k is k samples into it.
    for k in [6000usize, 12_000, 18_000] {
        let want = 1.0 - 0.8 * k as f64 / (0.5 * SR as f64);
        assert!((x[k] - want).abs() < 1e-4, "linear decay at {k}: {} want {want}", x[k]);
    }
    let y = release(&mut rig, 24_000);
    for k in [4800usize, 9600, 14_400] {
        let want = 0.2 * (1.0 - (k + 1) as f64 / (0.4 * SR as f64));
        assert!((y[k] - want).abs() < 1e-4, "linear release at {k}: {} want {want}", y[k]);
    }
}

#[test]
fn no_stage_change_steps_further_than_the_steepest_segment() {
    // The bound: the steepest slope the segments have (attack, start of decay, start of release from the
    // peak); every stage change and every key event, at any moment, must stay within it.
    for sr in RATES {
        for (curve, c) in CURVES {
            let seg = Segments { attack: 0.02, decay: 0.1, sustain: 0.4, release: 0.15, linear: c == 1.0 };
            let params = [("attack", 0.02), ("decay", 0.1), ("sustain", 0.4), ("release", 0.15), ("curve", c)];
            let ms = |t: f64| (t * sr as f64 / 1000.0) as usize;
            let scenarios: [(&str, Vec<(bool, usize)>); 5] = [
                ("whole note", vec![(true, ms(300.0)), (false, ms(300.0))]),
                ("release during attack", vec![(true, ms(10.0)), (false, ms(300.0))]),
                ("release during decay", vec![(true, ms(50.0)), (false, ms(300.0))]),
                ("retrigger during release", vec![(true, ms(200.0)), (false, ms(40.0)), (true, ms(300.0))]),
                ("retrigger during decay", vec![(true, ms(40.0)), (true, ms(300.0)), (false, ms(300.0))]),
            ];
            for (name, events) in scenarios {
                let mut rig = envelope("adsr", sr, &params);
                let x = perform(&mut rig, events);
                assert_smooth(&format!("adsr {curve} at {sr} Hz, {name}"), &x, seg, sr);
            }
        }
    }
}

#[test]
fn a_legato_note_carries_on_without_restarting() {
    // Gate held and no trigger (the engine's legato): the envelope stays at the sustain level.
    let mut rig = adsr(0.01, 0.05, 0.5, 0.1);
    rig.run(9600);
    rig.voice.pitch = [72.0; 8];
    rig.voice.velocity = [0.3; 8];
    let x = lane(&rig.run(4800), 0);
    assert!(x.iter().all(|v| *v == 0.5), "legato restarted the envelope");
}

#[test]
fn a_release_from_a_quiet_level_takes_its_full_time() {
    // Key-up 1 % into a 1 s attack (level 0.01, −40 dB): the release still lasts its time, not less.
    for (curve, c) in CURVES {
        let mut rig = envelope("adsr", SR, &[("attack", 1.0), ("release", 0.5), ("curve", c)]);
        let x = play(&mut rig, 480);
        assert!((x[479] - 0.01).abs() < 1e-6);
        let y = release(&mut rig, 48_000);
        let silent = envelope::first(&y, |v| v == 0.0);
        envelope::assert_time(&format!("adsr {curve} release from −40 dB"), silent + 1, 0.5 * SR as f64);
    }
}

#[test]
fn a_route_reads_the_same_level_when_only_the_last_frame_is_asked_for() {
    // Lanes reach each stage at different times (mixed stages in one call) and all sit in sustain or idle
    // together (the vectorised path); sustain moves, the key is released to silence and pressed again.
    for (curve, _) in envelope::CURVES.iter().map(|c| (c.1, c.0)) {
        for l in [0, 3, 7] {
            let make = || {
                let mut rig = adsr(0.01, 0.05, 0.4, 0.05);
                rig.set("curve", curve).set_lane("decay", 7, 0.2).set_lane("attack", 3, 0.0);
                rig.chunks(&[16, 7, 16, 1, 16, 13]);
                rig
            };
            let drive = |rig: &mut Rig| {
                let mut x = lane(&rig.run(6000), l);
                rig.set("sustain", 0.8);
                x.extend(lane(&rig.run(3000), l));
                rig.voice.gate = LaneMask::NONE;
                x.extend(lane(&rig.run(6000), l));
                rig.voice.gate = LaneMask::ALL;
                rig.voice.trigger = LaneMask::ALL;
                x.extend(lane(&rig.run(3000), l));
                x
            };
            assert_last_frames_match(&format!("adsr curve {curve}, lane {l}"), 0.0, make, drive);
        }
    }
}
