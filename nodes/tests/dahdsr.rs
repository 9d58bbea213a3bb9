//! The DAHDSR envelope: delay and hold times, the ADSR stages around them, releases and retriggers without
//! jumps at any stage, idling, velocity, and finite output at every setting.

mod common;
mod envelope;

use common::*;
use envelope::*;
use ferrule_nodes::LaneMask;

#[test]
fn every_stage_takes_its_time_at_every_rate_and_curve() {
    for sr in RATES {
        for (curve, c) in CURVES {
            for (dl, a, h, d, sustain, r) in
                [(0.05, 0.01, 0.02, 0.1, 0.5, 0.2), (0.3, 0.2, 0.5, 0.4, 0.25, 1.0), (0.0, 0.0, 0.0, 0.0, 0.6, 0.0)]
            {
                let mut rig = envelope(
                    "dahdsr",
                    sr,
                    &[
                        ("delay", dl),
                        ("attack", a),
                        ("hold", h),
                        ("decay", d),
                        ("sustain", sustain),
                        ("release", r),
                        ("curve", c),
                    ],
                );
                let x = play(&mut rig, ((dl + a + h + d) * sr) as usize + 500);
                let what = |stage: &str| format!("dahdsr {curve} at {sr} Hz: {stage}");
                // Frame i holds the level after i + 1 samples.
                let moving = first(&x, |v| v > 0.0);
                assert_time(&what(&format!("delay {dl} s")), moving, (dl * sr) as f64);
                let peak = first(&x, |v| v >= 1.0);
                assert_time(&what(&format!("attack {a} s")), peak + 1 - moving, (a * sr).max(1.0) as f64);
                let falling = peak + first(&x[peak..], |v| v < 1.0);
                assert_time(&what(&format!("hold {h} s")), falling - peak - 1, (h * sr) as f64);
                let end = peak + first(&x[peak..], |v| v as f32 == sustain);
                assert_time(&what(&format!("decay {d} s")), end + 1 - falling, (d * sr).max(1.0) as f64);
                assert!(x[end..].iter().all(|v| *v as f32 == sustain), "sustain holds");
                let y = release(&mut rig, (r * sr) as usize + 500);
                let silent = first(&y, |v| v == 0.0);
                assert_time(&what(&format!("release {r} s")), silent + 1, (r * sr).max(1.0) as f64);
                assert!(rig.sounding.is_empty(), "idle after the release");
            }
        }
    }
}

#[test]
fn no_stage_change_steps_further_than_the_steepest_segment() {
    for sr in RATES {
        for (curve, c) in CURVES {
            let seg = Segments { attack: 0.02, decay: 0.1, sustain: 0.4, release: 0.15, linear: c == 1.0 };
            let params = [
                ("delay", 0.03),
                ("attack", 0.02),
                ("hold", 0.03),
                ("decay", 0.1),
                ("sustain", 0.4),
                ("release", 0.15),
                ("curve", c),
            ];
            let ms = |t: f64| (t * sr as f64 / 1000.0) as usize;
            let scenarios: [(&str, Vec<(bool, usize)>); 6] = [
                ("whole note", vec![(true, ms(400.0)), (false, ms(300.0))]),
                ("release during the delay", vec![(true, ms(10.0)), (false, ms(300.0))]),
                ("release during attack", vec![(true, ms(40.0)), (false, ms(300.0))]),
                ("release during hold", vec![(true, ms(70.0)), (false, ms(300.0))]),
                ("retrigger during release", vec![(true, ms(300.0)), (false, ms(40.0)), (true, ms(400.0))]),
                ("retrigger during hold", vec![(true, ms(70.0)), (true, ms(400.0)), (false, ms(300.0))]),
            ];
            for (name, events) in scenarios {
                let mut rig = envelope("dahdsr", sr, &params);
                let x = perform(&mut rig, events);
                assert_smooth(&format!("dahdsr {curve} at {sr} Hz, {name}"), &x, seg, sr);
            }
        }
    }
}

#[test]
fn a_retrigger_holds_the_level_through_the_delay_then_attacks_from_it() {
    let sr = 48_000.0;
    let mut rig = envelope("dahdsr", sr, &[("delay", 0.01), ("attack", 0.01), ("sustain", 0.5), ("release", 1.0)]);
    play(&mut rig, 9600);
    let before = *release(&mut rig, 4800).last().unwrap();
    let x = retrigger(&mut rig, 4800);
    assert!(x[..479].iter().all(|v| *v == before), "the delay holds the level {before}");
    assert!(x[480] > before, "then the attack rises from it");
}

#[test]
fn a_release_during_the_delay_of_a_fresh_note_is_silent_at_once() {
    let mut rig = envelope("dahdsr", 48_000.0, &[("delay", 0.5)]);
    play(&mut rig, 480);
    let x = release(&mut rig, 480);
    assert!(x.iter().all(|v| *v == 0.0) && rig.sounding.is_empty());
}

#[test]
fn velocity_amount_scales_the_peak() {
    for (amount, velocity, peak) in [(0.0, 0.3, 1.0), (1.0, 0.3, 0.3), (0.5, 0.5, 0.75)] {
        let mut rig = envelope("dahdsr", 48_000.0, &[("velocity", amount), ("hold", 0.01)]);
        rig.voice.velocity = [velocity; 8];
        let top = play(&mut rig, 24_000).into_iter().fold(0.0, f64::max);
        assert!((top - peak).abs() < 1e-6, "amount {amount} velocity {velocity}: peak {top}, want {peak}");
    }
}

#[test]
fn lanes_are_independent_and_report_idle() {
    let mut rig = envelope("dahdsr", 48_000.0, &[("release", 0.05)]);
    rig.run(4800);
    rig.voice.gate = LaneMask(0b100);
    rig.run(9600);
    assert_eq!(rig.sounding, LaneMask(0b100), "only the held lane sounds");
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("dahdsr", |_| 0.0);
}
