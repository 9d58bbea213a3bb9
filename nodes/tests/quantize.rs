//! The quantiser: snaps to the nearest scale note, in octaves with 0 = C4, transposed by its root.
// Frame-by-lane loops index several signals at once; iterator chains would hide which frame is compared.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use ferrule_nodes::util::quantize::{DEGREES, SCALES};

fn scale(name: &str) -> f32 {
    SCALES.iter().position(|s| *s == name).unwrap() as f32
}

/// Quantises a sweep of pitches given in semitones from C4 and returns the results in semitones.
fn run(scale_name: &str, root: f32, semitones: &[f32]) -> Vec<f64> {
    let mut rig = Rig::new("quantize", 48_000.0);
    rig.set("scale", scale(scale_name)).set("root", root);
    let x = wire(semitones.len(), |i| semitones[i] / 12.0);
    lane(&rig.run_with(semitones.len(), &[Some(&x)])[0], 0).iter().map(|o| o * 12.0).collect()
}

#[test]
fn c_major_snaps_to_its_white_keys() {
    // C4 + 1.4 st → D (2); + 0.4 → C; Eb (3, a tie) → E, ties go up; F# + 0.1 → G (7); −0.6 (below C4) → B3 (−1);
    // A#1 (−26, halfway between A and B) → B1 (−25).
    let got = run("major", 0.0, &[1.4, 0.4, 3.0, 6.1, -0.6, 11.6, 24.0 + 4.2, -36.0 + 10.0]);
    let want = [2.0, 0.0, 4.0, 7.0, -1.0, 12.0, 28.0, -25.0];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-4, "{got:?} vs {want:?}");
    }
}

#[test]
fn every_output_is_a_scale_note_and_the_nearest_one() {
    let sweep: Vec<f32> = (0..4800).map(|i| -48.0 + i as f32 * 0.02).collect();
    for (s, name) in SCALES.iter().enumerate() {
        for root in [0.0, 2.0, 9.0, 11.0] {
            let got = run(name, root, &sweep);
            let notes: Vec<f64> = (-8..=8)
                .flat_map(|o| DEGREES[s].iter().map(move |d| (12 * o) as f64 + *d as f64 + root as f64))
                .collect();
            for (x, g) in sweep.iter().zip(&got) {
                let nearest = notes.iter().map(|n| (n - *x as f64).abs()).fold(f64::MAX, f64::min);
                assert!(notes.iter().any(|n| (n - g).abs() < 1e-3), "{name} root {root}: {x} → {g}, not in the scale");
                assert!((g - *x as f64).abs() <= nearest + 1e-3, "{name} root {root}: {x} → {g}, a nearer note exists");
            }
        }
    }
}

#[test]
fn chromatic_rounds_to_the_semitone() {
    let got = run("chromatic", 0.0, &[0.49, 0.51, -0.49, 7.2]);
    assert_eq!(got.iter().map(|g| g.round()).collect::<Vec<_>>(), vec![0.0, 1.0, 0.0, 7.0]);
    assert!(got.iter().zip([0.0, 1.0, 0.0, 7.0]).all(|(g, w)| (g - w).abs() < 1e-4));
}

#[test]
fn stays_finite_at_extreme_parameters() {
    assert_finite_at_extremes("quantize", extreme_input);
    assert_finite_at_extremes("quantize", |_| f32::NAN);
}
