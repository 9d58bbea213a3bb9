//! What the oscillators cost, in ns per voice-sample (MEASURING.md, "CPU"). Prints only, never asserts: time
//! on a shared machine is not a test. Run with
//! `cargo test --release -p ferrule-nodes --test osc_cost -- --ignored --nocapture print_ns`.
//!
//! Method: one node of each kind, 8 voices (A3 and up, 3 semitones apart) at 48 kHz, calls of 16 frames over
//! 48 000 frames, 15 timed repetitions after one warm-up; the median, divided by frames × 8 voices. Connected
//! inputs carry a 220 Hz sine (`fm_depth` 200 Hz). The reference is an inline naive saw measured in the same
//! run: on a shared machine the ratio holds where the absolute figure drifts. The same file runs unchanged
//! against older versions of the library (kinds or inputs they lack are skipped or left unconnected), which
//! is how before/after figures are compared.

mod common;

use std::time::Instant;

use ferrule_nodes::lanes::LANES;
use ferrule_nodes::{
    LaneMask, Lanes, MAX_CHUNK, MAX_INPUTS, MAX_OUTPUTS, Process, Processor, Transport, VoiceLanes, registry,
};

/// Frames per repetition, and repetitions (the median is reported, after one warm-up).
const FRAMES: usize = 48_000;
const REPS: usize = 15;

/// Median ns per voice-sample of `kind` at 48 kHz, 8 voices at A3..A5, calls of 16 frames, with the named
/// inputs fed a 220 Hz sine wire (unnamed inputs unconnected).
fn cost(kind: &str, connected: &[&str]) -> f64 {
    let (id, spec) = registry::find(kind).unwrap();
    let mut node = Processor::new(id, 48_000.0);
    let params: Vec<Lanes> =
        spec.params.iter().map(|p| if p.name == "fm_depth" { [200.0; LANES] } else { [p.default; LANES] }).collect();
    let mut voice = VoiceLanes {
        pitch: std::array::from_fn(|l| 57.0 + 3.0 * l as f32),
        velocity: [1.0; LANES],
        gate: LaneMask::ALL,
        start: LaneMask::ALL,
        trigger: LaneMask::ALL,
        active: LaneMask::ALL,
        ..VoiceLanes::IDLE
    };
    let wire: Vec<Lanes> =
        (0..FRAMES + MAX_CHUNK).map(|i| [(i as f32 * 220.0 / 48_000.0 * std::f32::consts::TAU).sin(); LANES]).collect();
    let mut bufs = [[[0.0f32; LANES]; MAX_CHUNK]; MAX_OUTPUTS];
    let transport = Transport::DEFAULT;
    let mut times = Vec::new();
    let mut sink = 0.0f32;
    for rep in 0..=REPS {
        let t = Instant::now();
        let mut done = 0;
        while done < FRAMES {
            let mut inputs: [Option<&[Lanes]>; MAX_INPUTS] = [None; MAX_INPUTS];
            for (i, port) in spec.inputs.iter().enumerate() {
                if connected.contains(&port.name) {
                    inputs[i] = Some(&wire[done..done + MAX_CHUNK]);
                }
            }
            let mut each = bufs.iter_mut();
            let mut p = Process {
                len: MAX_CHUNK,
                sample_rate: 48_000.0,
                inputs,
                outputs: std::array::from_fn(|_| &mut each.next().unwrap()[..]),
                params: &params,
                voice: &voice,
                transport: &transport,
                last_only: 0,
            };
            node.process(&mut p);
            voice.start = LaneMask::NONE;
            sink += bufs[0][MAX_CHUNK - 1][0];
            done += MAX_CHUNK;
        }
        if rep > 0 {
            times.push(t.elapsed().as_secs_f64() * 1e9 / (FRAMES * LANES) as f64);
        }
    }
    std::hint::black_box(sink);
    times.sort_by(f64::total_cmp);
    times[REPS / 2]
}

/// The reference measured beside every figure: a naive (aliasing) 8-lane saw written inline here, so that its
/// code is the same whatever the node library looks like. Median ns per voice-sample.
fn reference_cost() -> f64 {
    let mut phase = [0u32; LANES];
    let inc: [u32; LANES] = std::array::from_fn(|l| 20_000_000 + 1_000_000 * l as u32);
    let mut out = [[0.0f32; LANES]; MAX_CHUNK];
    let mut times = Vec::new();
    let mut sink = 0.0f32;
    for rep in 0..=REPS {
        let t = Instant::now();
        for _ in 0..FRAMES / MAX_CHUNK {
            for frame in out.iter_mut() {
                for l in 0..LANES {
                    phase[l] = phase[l].wrapping_add(inc[l]);
                    frame[l] = (phase[l] >> 8) as f32 * (2.0 / 16_777_216.0) - 1.0;
                }
            }
            std::hint::black_box(&mut out);
            sink += out[MAX_CHUNK - 1][0];
        }
        if rep > 0 {
            times.push(t.elapsed().as_secs_f64() * 1e9 / (FRAMES * LANES) as f64);
        }
    }
    std::hint::black_box(sink);
    times.sort_by(f64::total_cmp);
    times[REPS / 2]
}

/// Runs one kind named by `OSC_COST_KIND` (with inputs from `OSC_COST_INPUTS`, comma-separated) for a
/// profiler to look at.
#[test]
#[ignore = "for profiling; run on demand"]
fn profile_one_kind() {
    let Ok(kind) = std::env::var("OSC_COST_KIND") else { return };
    let inputs = std::env::var("OSC_COST_INPUTS").unwrap_or_default();
    let inputs: Vec<&str> = inputs.split(',').filter(|s| !s.is_empty()).collect();
    for _ in 0..3 {
        println!("{kind} {inputs:?}: {:.2} ns/voice-sample", cost(&kind, &inputs));
    }
}

#[test]
#[ignore = "prints timings; run on demand"]
fn print_ns_per_voice_sample() {
    let reference = reference_cost();
    println!("reference: inline naive saw {reference:.2} ns/voice-sample");
    let cases: &[(&str, &[&str])] = &[("sine", &[])];
    for (kind, inputs) in cases.iter().chain(CASES) {
        if registry::find(kind).is_none() {
            continue;
        }
        let ns = cost(kind, inputs);
        println!(
            "{kind:9} {:12} {ns:6.2} ns/voice-sample ({:.1}× reference, {:.0} voices in real time at 48 kHz)",
            format!("{inputs:?}"),
            ns / reference,
            1e9 / (48_000.0 * ns)
        );
    }
}

/// Kinds and connected inputs measured after the plain sine.
const CASES: &[(&str, &[&str])] = &[
    ("saw", &[]),
    ("saw", &["fm"]),
    ("saw", &["sync"]),
    ("pulse", &[]),
    ("pulse", &["pwm"]),
    ("sine", &["fm", "pm"]),
    ("sine", &["sync"]),
    ("triangle", &[]),
    ("sub", &[]),
    ("noise", &[]),
    ("supersaw", &[]),
];
