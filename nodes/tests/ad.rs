//! The AD envelope: a one-shot that ignores the key, attack and decay times, retriggers without jumps,
//! idling while the key is still down, velocity, and finite output at every setting.

mod common;
mod envelope;

use common::*;
use envelope::*;
use ferrule_nodes::LaneMask;

#[test]
fn attack_and_decay_take_their_times_with_the_key_held() {
    for sr in RATES {
        for (curve, c) in CURVES {
            for (a, d) in [(0.002, 0.3), (0.5, 2.0), (0.0, 0.0)] {
                let mut rig = envelope("ad", sr, &[("attack", a), ("decay", d), ("curve", c)]);
                let x = play(&mut rig, ((a + d) * sr) as usize + 500);
                let what = |stage: &str| format!("ad {curve} at {sr} Hz: {stage}");
                let peak = first(&x, |v| v >= 1.0);
                assert_time(&what(&format!("attack {a} s")), peak + 1, (a * sr).max(1.0) as f64);
                let silent = peak + first(&x[peak..], |v| v == 0.0);
                assert_time(&what(&format!("decay {d} s")), silent - peak, (d * sr).max(1.0) as f64);
                assert!(rig.sounding.is_empty(), "idle once silent, though the key is still down");
            }
        }
    }
}

#[test]
fn a_key_up_does_not_cut_it_short() {
    let mut rig = envelope("ad", 48_000.0, &[("attack", 0.01), ("decay", 0.1)]);
    let mut x = play(&mut rig, 240);
    x.extend(release(&mut rig, 9600));
    let peak = first(&x, |v| v >= 1.0);
    assert_time("ad attack after an early key-up", peak + 1, 480.0);
    let silent = peak + first(&x[peak..], |v| v == 0.0);
    assert_time("ad decay after an early key-up", silent - peak, 4800.0);
}

#[test]
fn no_retrigger_steps_further_than_the_steepest_segment() {
    for sr in RATES {
        for (curve, c) in CURVES {
            let seg = Segments { attack: 0.01, decay: 0.0, sustain: 1.0, release: 0.2, linear: c == 1.0 };
            let params = [("attack", 0.01), ("decay", 0.2), ("curve", c)];
            let ms = |t: f64| (t * sr as f64 / 1000.0) as usize;
            for (name, first_part) in
                [("whole note", 300.0), ("retrigger during the attack", 5.0), ("retrigger during the decay", 50.0)]
            {
                let mut rig = envelope("ad", sr, &params);
                let mut x = play(&mut rig, ms(first_part));
                x.extend(retrigger(&mut rig, ms(300.0)));
                assert_smooth(&format!("ad {curve} at {sr} Hz, {name}"), &x, seg, sr);
            }
        }
    }
}

#[test]
fn a_legato_note_does_not_restart_it() {
    let mut rig = envelope("ad", 48_000.0, &[("attack", 0.001), ("decay", 0.05)]);
    play(&mut rig, 1200);
    rig.voice.pitch = [72.0; 8];
    let x = play(&mut rig, 4800);
    assert!(x.windows(2).all(|w| w[1] <= w[0]), "a legato note (no trigger) restarted the attack");
    assert!(rig.sounding.is_empty());
}

#[test]
fn velocity_amount_scales_the_peak() {
    for (amount, velocity, peak) in [(0.0, 0.3, 1.0), (1.0, 0.3, 0.3), (0.5, 0.5, 0.75)] {
        let mut rig = envelope("ad", 48_000.0, &[("velocity", amount)]);
        rig.voice.velocity = [velocity; 8];
        let top = play(&mut rig, 4800).into_iter().fold(0.0, f64::max);
        assert!((top - peak).abs() < 1e-6, "amount {amount} velocity {velocity}: peak {top}, want {peak}");
    }
}

#[test]
fn lanes_are_independent() {
    let mut rig = envelope("ad", 48_000.0, &[("decay", 0.05)]);
    rig.run(4800);
    rig.voice.trigger = LaneMask(0b1000);
    let out = rig.run(480);
    assert_eq!(rig.sounding, LaneMask(0b1000), "only the retriggered lane sounds");
    assert!(out.last().unwrap()[3] > 0.1 && out.last().unwrap()[0] == 0.0);
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("ad", |_| 0.0);
}
