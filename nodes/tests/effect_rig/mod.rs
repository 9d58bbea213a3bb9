//! Helpers shared by the effect tests (delay, chorus, reverb): stereo wires in lanes 0 and 1, a check that
//! an effect leaves the other lanes silent, seeded noise, and a print-only cost measurement.
#![allow(dead_code)]

use crate::common::Rig;
use ferrule_nodes::lanes::LANES;
use ferrule_nodes::{LaneMask, Lanes, MAX_CHUNK, MAX_INPUTS, MAX_OUTPUTS, Process, Processor, VoiceLanes, registry};

/// A stereo wire: `f(frame)` gives (left, right), carried in lanes 0 and 1; other lanes hold garbage (7.0)
/// that an effect must ignore.
pub fn stereo(frames: usize, f: impl Fn(usize) -> (f32, f32)) -> Vec<Lanes> {
    (0..frames)
        .map(|i| {
            let (l, r) = f(i);
            let mut frame = [7.0; LANES];
            frame[0] = l;
            frame[1] = r;
            frame
        })
        .collect()
}

/// Runs `rig` over `input` and returns (left, right) of output 0, asserting that lanes 2.. are 0.
pub fn run_stereo(rig: &mut Rig, input: &[Lanes]) -> (Vec<f64>, Vec<f64>) {
    let out = rig.run_with(input.len(), &[Some(input)]).swap_remove(0);
    for (i, frame) in out.iter().enumerate() {
        assert!(frame[2..].iter().all(|&v| v == 0.0), "{}: frame {i} writes lanes past 1: {frame:?}", rig.spec.kind);
    }
    (out.iter().map(|f| f[0] as f64).collect(), out.iter().map(|f| f[1] as f64).collect())
}

/// A deterministic white-noise source, uniform in ±1.
pub struct Noise(u64);

impl Noise {
    /// A source seeded with `seed`.
    pub fn new(seed: u64) -> Noise {
        Noise(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next sample.
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// `frames` frames of independent noise on left and right.
pub fn stereo_noise(frames: usize, seed: u64) -> Vec<Lanes> {
    let mut noise = Noise::new(seed);
    let samples: Vec<(f32, f32)> = (0..frames).map(|_| (noise.next(), noise.next())).collect();
    stereo(frames, |i| samples[i])
}

/// Index of the largest absolute sample in `x[from..to]`.
pub fn peak_index(x: &[f64], from: usize, to: usize) -> usize {
    (from..to).max_by(|&a, &b| x[a].abs().total_cmp(&x[b].abs())).unwrap()
}

/// RMS level in dB (re 1.0) of `x[from..to]`.
pub fn level_db(x: &[f64], from: usize, to: usize) -> f64 {
    crate::common::db(crate::common::rms(&x[from..to]))
}

/// Garbage an effect must survive: NaN, ±∞ and ±1e6 scattered through a noise signal.
pub fn garbage(frame: usize) -> f32 {
    match frame % 97 {
        3 => f32::NAN,
        11 => f32::INFINITY,
        17 => f32::NEG_INFINITY,
        23..=40 => 1e6,
        41..=60 => -1e6,
        _ => ((frame * 7919) % 2000) as f32 / 1000.0 - 1.0,
    }
}

/// Runs `kind` once with `input` and once with the same input where every NaN/±∞ sample is replaced by 0,
/// under settings `params`, and asserts that the outputs are identical and clean: a non-finite input sample
/// is read as silence and leaves no trace in the effect's state.
pub fn assert_non_finite_reads_as_silence(kind: &str, sample_rate: f32, params: &[(&str, f32)], input: &[Lanes]) {
    let cleaned: Vec<Lanes> = input.iter().map(|f| f.map(|v| if v.is_finite() { v } else { 0.0 })).collect();
    let mut outs = Vec::new();
    for wire in [input, &cleaned[..]] {
        let mut rig = Rig::new(kind, sample_rate);
        rig.chunks(&[16, 3, 16, 9, 1]);
        for (name, value) in params {
            rig.set(name, *value);
        }
        let (l, r) = run_stereo(&mut rig, wire);
        for (i, v) in l.iter().chain(&r).enumerate() {
            assert!(v.is_finite() && (*v == 0.0 || v.abs() > 1e-30), "{kind}: sample {i} is {v:e}");
        }
        outs.push((l, r));
    }
    assert!(outs[0] == outs[1], "{kind}: NaN/∞ input changed the output beyond reading it as silence");
}

/// Median ns per stereo sample of `kind` at 48 kHz with `params` set, fed stereo noise in calls of
/// [`MAX_CHUNK`] frames with buffers allocated once, beside the `svf` kind's ns per voice-sample (8 voices
/// per call) measured the same way, interleaved with it in the same run so that both see the same load.
/// Print-only: the machine is shared, so no figure is asserted; the ratio to the reference is the figure that
/// holds.
pub fn print_cost(kind: &str, params: &[(&str, f32)]) {
    let mut effect = Timer::new(kind, params);
    let mut svf = Timer::new("svf", &[]);
    // Warm-up.
    effect.pass();
    svf.pass();
    // Many short passes (4096 frames, well under a scheduler time slice), so that on a shared machine most
    // run unpreempted and the median is the undisturbed cost.
    let (mut effect_ns, mut svf_ns) = (Vec::new(), Vec::new());
    for _ in 0..401 {
        effect_ns.push(effect.pass());
        svf_ns.push(svf.pass() / LANES as f64);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (cost, reference) = (median(effect_ns), median(svf_ns));
    println!(
        "{kind}: {cost:.1} ns per stereo sample at 48 kHz ({:.0}× real time on one core); reference svf in the \
         same run: {reference:.2} ns per voice-sample; ratio {:.1}",
        1e9 / (48_000.0 * cost),
        cost / reference
    );
}

/// One node driven over 4096 frames of stereo noise at 48 kHz per [`Timer::pass`].
struct Timer {
    processor: Processor,
    values: Vec<Lanes>,
    input: Vec<Lanes>,
    bufs: [[Lanes; MAX_CHUNK]; MAX_OUTPUTS],
}

impl Timer {
    fn new(kind: &str, params: &[(&str, f32)]) -> Timer {
        let (id, spec) = registry::find(kind).unwrap();
        let mut values: Vec<Lanes> = spec.params.iter().map(|p| [p.default; LANES]).collect();
        for (name, value) in params {
            values[spec.param(name).unwrap()] = [*value; LANES];
        }
        Timer {
            processor: Processor::new(id, 48_000.0),
            values,
            input: stereo_noise(4096, 99),
            bufs: [[[0.0; LANES]; MAX_CHUNK]; MAX_OUTPUTS],
        }
    }

    /// Runs 4096 frames; returns ns per frame.
    fn pass(&mut self) -> f64 {
        let voice = VoiceLanes { active: LaneMask::ALL, gate: LaneMask::ALL, ..VoiceLanes::IDLE };
        let transport = ferrule_nodes::Transport::DEFAULT;
        let frames = self.input.len();
        let start = std::time::Instant::now();
        let mut done = 0;
        while done + MAX_CHUNK <= frames {
            let mut each = self.bufs.iter_mut();
            let outputs: [&mut [Lanes]; MAX_OUTPUTS] = std::array::from_fn(|_| &mut each.next().unwrap()[..]);
            let mut inputs: [Option<&[Lanes]>; MAX_INPUTS] = [None; MAX_INPUTS];
            inputs[0] = Some(&self.input[done..done + MAX_CHUNK]);
            let mut p = Process {
                len: MAX_CHUNK,
                sample_rate: 48_000.0,
                inputs,
                outputs,
                params: &self.values,
                voice: &voice,
                transport: &transport,
                last_only: 0,
            };
            self.processor.process(&mut p);
            std::hint::black_box(&self.bufs);
            done += MAX_CHUNK;
        }
        start.elapsed().as_nanos() as f64 / done as f64
    }
}
