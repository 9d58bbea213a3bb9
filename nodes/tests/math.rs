//! The math node: every operation's formula, scale and offset, and safety with hostile inputs.
// Frame-by-lane loops index several signals at once; iterator chains would hide which frame is compared.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;

const OPS: [&str; 6] = ["add", "multiply", "scale_offset", "abs", "min", "max"];

#[test]
fn every_operation_computes_its_formula() {
    let frames = 300;
    let a = wire(frames, |i| (i as f32 * 0.07).sin() * 3.0);
    let b = wire(frames, |i| (i as f32 * 0.011).cos() - 0.2);
    for (op, name) in OPS.iter().enumerate() {
        let mut rig = Rig::new("math", 48_000.0);
        rig.set("op", op as f32).set("scale", -1.5).set("offset", 0.25);
        let out = lane(&rig.run_with(frames, &[Some(&a), Some(&b)])[0], 4);
        for i in 0..frames {
            let (x, y) = (a[i][0], b[i][0]);
            let r = match *name {
                "add" => x + y,
                "multiply" => x * y,
                "scale_offset" => x,
                "abs" => x.abs(),
                "min" => x.min(y),
                _ => x.max(y),
            };
            let want = (r * -1.5 + 0.25) as f64;
            assert!((out[i] - want).abs() < 1e-5, "{name} frame {i}: {} vs {want}", out[i]);
        }
    }
}

/// The use the docs suggest: a −1..1 LFO becomes 0..1.
#[test]
fn scale_offset_maps_a_bipolar_signal_to_unipolar() {
    let mut rig = Rig::new("math", 48_000.0);
    rig.set("op", 2.0).set("scale", 0.5).set("offset", 0.5);
    let x = wire(3, |i| [-1.0, 0.0, 1.0][i]);
    assert_eq!(lane(&rig.run_with(3, &[Some(&x), None])[0], 0), vec![0.0, 0.5, 1.0]);
}

#[test]
fn unconnected_inputs_read_zero() {
    let mut rig = Rig::new("math", 48_000.0);
    rig.set("op", 0.0).set("offset", 0.125);
    let out = lane(&rig.run(32), 0);
    assert!(out.iter().all(|v| *v == 0.125));
}

#[test]
fn stays_finite_at_extreme_parameters() {
    for op in 0..6 {
        let mut rig = Rig::new("math", 48_000.0);
        rig.set("op", op as f32).set("scale", 100.0);
        for input in [f32::NAN, f32::INFINITY, -1e30, 1e6] {
            let x = wire(64, |_| input);
            assert_clean(&rig.run_with(64, &[Some(&x), Some(&x)]), &format!("op {op} input {input}"));
        }
    }
    assert_finite_at_extremes("math", extreme_input);
    assert_finite_at_extremes("math", |_| f32::NAN);
}
