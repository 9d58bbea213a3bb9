//! The AR envelope: attack and release times, holding the peak while the key is down, releases and
//! retriggers without jumps, idling, velocity, and finite output at every setting.

mod common;
mod envelope;

use common::*;
use envelope::*;

#[test]
fn attack_and_release_take_their_times_and_the_peak_holds() {
    for sr in RATES {
        for (curve, c) in CURVES {
            for (a, r) in [(0.01, 0.2), (0.7, 1.5), (0.0, 0.0)] {
                let mut rig = envelope("ar", sr, &[("attack", a), ("release", r), ("curve", c)]);
                let x = play(&mut rig, (a * sr) as usize + 4800);
                let what = |stage: &str| format!("ar {curve} at {sr} Hz: {stage}");
                let peak = first(&x, |v| v >= 1.0);
                assert_time(&what(&format!("attack {a} s")), peak + 1, (a * sr).max(1.0) as f64);
                assert!(x[peak..].iter().all(|v| *v == 1.0), "holds the peak while the key is down");
                let y = release(&mut rig, (r * sr) as usize + 500);
                let silent = first(&y, |v| v == 0.0);
                assert_time(&what(&format!("release {r} s")), silent + 1, (r * sr).max(1.0) as f64);
                assert!(rig.sounding.is_empty(), "idle after the release");
            }
        }
    }
}

#[test]
fn no_key_event_steps_further_than_the_steepest_segment() {
    for sr in RATES {
        for (curve, c) in CURVES {
            let seg = Segments { attack: 0.03, decay: 0.0, sustain: 1.0, release: 0.1, linear: c == 1.0 };
            let params = [("attack", 0.03), ("release", 0.1), ("curve", c)];
            let ms = |t: f64| (t * sr as f64 / 1000.0) as usize;
            let scenarios: [(&str, Vec<(bool, usize)>); 4] = [
                ("whole note", vec![(true, ms(100.0)), (false, ms(200.0))]),
                ("release during attack", vec![(true, ms(15.0)), (false, ms(200.0))]),
                ("retrigger during release", vec![(true, ms(100.0)), (false, ms(30.0)), (true, ms(100.0))]),
                ("retrigger at the peak", vec![(true, ms(100.0)), (true, ms(100.0)), (false, ms(200.0))]),
            ];
            for (name, events) in scenarios {
                let mut rig = envelope("ar", sr, &params);
                let x = perform(&mut rig, events);
                assert_smooth(&format!("ar {curve} at {sr} Hz, {name}"), &x, seg, sr);
            }
        }
    }
}

#[test]
fn velocity_amount_scales_the_peak() {
    for (amount, velocity, peak) in [(0.0, 0.3, 1.0), (1.0, 0.3, 0.3), (0.5, 0.5, 0.75)] {
        let mut rig = envelope("ar", 48_000.0, &[("velocity", amount)]);
        rig.voice.velocity = [velocity; 8];
        let x = play(&mut rig, 4800);
        assert!((x.last().unwrap() - peak).abs() < 1e-6, "amount {amount} velocity {velocity}: peak {x:?}");
    }
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("ar", |_| 0.0);
}
