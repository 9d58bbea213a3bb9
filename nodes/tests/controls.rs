//! The controller source: mod wheel, bend and channel pressure as signals, ramped between periods.
// Frame-by-lane loops index several signals at once; iterator chains would hide which frame is compared.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use ferrule_nodes::Controls;

#[test]
fn outputs_the_shared_controllers_on_every_lane() {
    let mut rig = Rig::new("controls", 48_000.0);
    rig.voice.controls = Controls { mod_wheel: 0.75, bend: -0.5, channel_pressure: 0.25 };
    let out = rig.run_with(16, &[]);
    for frame in 0..16 {
        for l in 0..8 {
            assert_eq!([out[0][frame][l], out[1][frame][l], out[2][frame][l]], [0.75, -0.5, 0.25]);
        }
    }
    // A move ramps across the next period.
    rig.voice.controls.mod_wheel = 0.0;
    let wheel = lane(&rig.run_with(16, &[])[0], 3);
    assert!(max_step(&wheel) <= 0.75 / 16.0 + 1e-6 && wheel[15] == 0.0, "{wheel:?}");
}

#[test]
fn stays_finite_at_extreme_parameters() {
    let mut rig = Rig::new("controls", 48_000.0);
    rig.voice.controls = Controls { mod_wheel: f32::NAN, bend: f32::INFINITY, channel_pressure: -1e30 };
    let out = rig.run_with(64, &[]);
    assert_clean(&out, "hostile controllers");
    assert_eq!([out[0][63][0], out[1][63][0], out[2][63][0]], [0.0, 1.0, 0.0]);
}
