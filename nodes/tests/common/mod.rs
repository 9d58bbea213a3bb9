//! Helpers shared by the node tests: run a node kind over many frames in chunks, and measure what a listener
//! would notice (level, pitch, aliasing, steps).
#![allow(dead_code)]

use ferrule_nodes::lanes::LANES;
use ferrule_nodes::{
    LaneMask, Lanes, MAX_CHUNK, MAX_INPUTS, MAX_OUTPUTS, Process, Processor, Transport, VoiceLanes, registry,
};
use ferrule_nodes::{NodeSpec, pitch::semitones_to_hz};

/// One node of a kind, driven the way the engine drives it: parameters per lane, the voice state of its lane
/// group, and calls of at most [`MAX_CHUNK`] frames.
pub struct Rig {
    pub spec: &'static NodeSpec,
    pub processor: Processor,
    pub sample_rate: f32,
    /// Parameter values per lane, in declaration order; set with [`Rig::set`].
    pub params: Vec<Lanes>,
    /// Voice state for the next call. `start` and `trigger` are cleared after each call.
    pub voice: VoiceLanes,
    /// Chunk lengths to cycle through (each `1..=MAX_CHUNK`).
    pub chunks: Vec<usize>,
    next_chunk: usize,
    /// What the last call returned.
    pub sounding: LaneMask,
    /// The host clock for the next call; advanced by each call's length. Set `tempo` or `beats` to test sync.
    pub transport: Transport,
    /// Outputs whose last frame alone is asked for in each call ([`Process::last_only`]); 0: every frame.
    pub last_only: u8,
    /// Where each call so far ended, in frames since the rig was made (the frame after each call's last).
    pub ends: Vec<usize>,
}

impl Rig {
    /// A node of kind `kind` at `sample_rate`, parameters at their defaults, every lane holding a fresh voice
    /// at A4 (pitch 69) with velocity 1 and gate held; calls of 16 frames.
    pub fn new(kind: &str, sample_rate: f32) -> Rig {
        let (id, spec) = registry::find(kind).unwrap_or_else(|| panic!("no kind {kind}"));
        Rig {
            spec,
            processor: Processor::new(id, sample_rate),
            sample_rate,
            params: spec.params.iter().map(|p| [p.default; LANES]).collect(),
            voice: VoiceLanes {
                pitch: [69.0; LANES],
                velocity: [1.0; LANES],
                gate: LaneMask::ALL,
                start: LaneMask::ALL,
                trigger: LaneMask::ALL,
                active: LaneMask::ALL,
                ..VoiceLanes::IDLE
            },
            chunks: vec![MAX_CHUNK],
            next_chunk: 0,
            sounding: LaneMask::ALL,
            transport: Transport::DEFAULT,
            last_only: 0,
            ends: Vec::new(),
        }
    }

    /// Sets parameter `name` to `value` on every lane.
    pub fn set(&mut self, name: &str, value: f32) -> &mut Rig {
        let i = self.spec.param(name).unwrap_or_else(|| panic!("{} has no param {name}", self.spec.kind));
        self.params[i] = [value; LANES];
        self
    }

    /// Sets parameter `name` to `value` on lane `lane` only.
    pub fn set_lane(&mut self, name: &str, lane: usize, value: f32) -> &mut Rig {
        let i = self.spec.param(name).unwrap_or_else(|| panic!("{} has no param {name}", self.spec.kind));
        self.params[i][lane] = value;
        self
    }

    /// Sets the voice pitch (MIDI semitones) on every lane.
    pub fn pitch(&mut self, semitones: f32) -> &mut Rig {
        self.voice.pitch = [semitones; LANES];
        self
    }

    /// Makes the calls cycle through these lengths (irregular lengths exercise the ramps).
    pub fn chunks(&mut self, lengths: &[usize]) -> &mut Rig {
        self.chunks = lengths.to_vec();
        self
    }

    /// One call of `len` frames with the given input wires (`None` = unconnected), returning every declared
    /// output's frames.
    pub fn call(&mut self, len: usize, inputs: &[Option<&[Lanes]>]) -> Vec<Vec<Lanes>> {
        assert!((1..=MAX_CHUNK).contains(&len));
        let mut bufs = [[[f32::NAN; LANES]; MAX_CHUNK]; MAX_OUTPUTS];
        let mut wires: [Option<&[Lanes]>; MAX_INPUTS] = [None; MAX_INPUTS];
        for (w, i) in wires.iter_mut().zip(inputs) {
            *w = *i;
        }
        let outputs = self.spec.outputs.len();
        let mut each = bufs.iter_mut();
        let mut outs: [&mut [Lanes]; MAX_OUTPUTS] = std::array::from_fn(|_| &mut each.next().unwrap()[..]);
        for (i, o) in outs.iter_mut().enumerate() {
            let full = std::mem::take(o);
            *o = if i < outputs { &mut full[..len] } else { &mut full[..0] };
        }
        let mut p = Process {
            len,
            sample_rate: self.sample_rate,
            inputs: wires,
            outputs: outs,
            params: &self.params,
            voice: &self.voice,
            transport: &self.transport,
            last_only: self.last_only,
        };
        self.sounding = self.processor.process(&mut p);
        self.ends.push(self.ends.last().copied().unwrap_or(0) + len);
        self.transport = self.transport.advanced(len, self.sample_rate);
        self.voice.start = LaneMask::NONE;
        self.voice.trigger = LaneMask::NONE;
        bufs[..outputs].iter().map(|b| b[..len].to_vec()).collect()
    }

    /// Runs `frames` frames in calls of the configured lengths, feeding `inputs` (one full-length wire per
    /// input port, `None` = unconnected), and returns every output over all frames.
    pub fn run_with(&mut self, frames: usize, inputs: &[Option<&[Lanes]>]) -> Vec<Vec<Lanes>> {
        let mut out = vec![Vec::with_capacity(frames); self.spec.outputs.len()];
        let mut done = 0;
        while done < frames {
            let len = self.chunks[self.next_chunk % self.chunks.len()].min(frames - done);
            self.next_chunk += 1;
            let wires: Vec<Option<&[Lanes]>> = inputs.iter().map(|w| w.map(|w| &w[done..done + len])).collect();
            for (o, chunk) in out.iter_mut().zip(self.call(len, &wires)) {
                o.extend(chunk);
            }
            done += len;
        }
        out
    }

    /// Runs `frames` frames with nothing connected and returns output 0.
    pub fn run(&mut self, frames: usize) -> Vec<Lanes> {
        self.run_with(frames, &[]).swap_remove(0)
    }
}

/// Asserts that asking for only the last frame of output 0 ([`Process::last_only`], what the engine does
/// when modulation routes are the output's only readers) changes nothing a route can tell: `drive` plays the
/// same thing on a rig from `make` asked for every frame and on one asked for the last frame only, returning
/// output 0 (one lane, every frame), and each call's last frame must agree within `tolerance` (0: to the bit;
/// 1e-6: −120 dB of full scale).
pub fn assert_last_frames_match(
    what: &str,
    tolerance: f64,
    make: impl Fn() -> Rig,
    drive: impl Fn(&mut Rig) -> Vec<f64>,
) {
    let (mut full, mut last) = (make(), make());
    last.last_only = 1;
    let (a, b) = (drive(&mut full), drive(&mut last));
    assert_eq!(full.ends, last.ends, "{what}: both rigs make the same calls");
    assert!(full.ends.len() >= 10, "{what}: too few calls to tell");
    for &end in &full.ends {
        let (want, got) = (a[end - 1], b[end - 1]);
        let same = if tolerance == 0.0 { got.to_bits() == want.to_bits() } else { (got - want).abs() <= tolerance };
        assert!(same, "{what}: last frame of the call ending at {end}: {got}, want {want}");
    }
}

/// One lane of a multi-lane signal, as f64.
pub fn lane(signal: &[Lanes], l: usize) -> Vec<f64> {
    signal.iter().map(|f| f[l] as f64).collect()
}

/// A wire holding `f(frame)` on every lane.
pub fn wire(frames: usize, f: impl Fn(usize) -> f32) -> Vec<Lanes> {
    (0..frames).map(|i| [f(i); LANES]).collect()
}

/// Root mean square.
pub fn rms(x: &[f64]) -> f64 {
    (x.iter().map(|v| v * v).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Mean.
pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len().max(1) as f64
}

/// The largest absolute sample-to-sample step.
pub fn max_step(x: &[f64]) -> f64 {
    x.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f64::max)
}

/// Gain in dB of an amplitude ratio.
pub fn db(ratio: f64) -> f64 {
    20.0 * ratio.max(1e-30).log10()
}

/// Cents from `want` to `got` (Hz).
pub fn cents(got: f64, want: f64) -> f64 {
    1200.0 * (got / want).log2()
}

/// Asserts that every sample of every output is finite and not subnormal.
pub fn assert_clean(outputs: &[Vec<Lanes>], what: &str) {
    for (o, signal) in outputs.iter().enumerate() {
        for (i, frame) in signal.iter().enumerate() {
            for (l, &v) in frame.iter().enumerate() {
                assert!(v.is_finite(), "{what}: output {o} frame {i} lane {l} is {v}");
                assert!(v == 0.0 || v.is_normal(), "{what}: output {o} frame {i} lane {l} is subnormal ({v:e})");
            }
        }
    }
}

/// In-place radix-2 complex FFT; `re.len()` must be a power of two.
pub fn fft(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    assert!(n.is_power_of_two() && im.len() == n);
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let ang = -2.0 * std::f64::consts::PI / len as f64;
        let (wr, wi) = (ang.cos(), ang.sin());
        for start in (0..n).step_by(len) {
            let (mut cr, mut ci) = (1.0, 0.0);
            for k in 0..len / 2 {
                let (a, b) = (start + k, start + k + len / 2);
                let tr = re[b] * cr - im[b] * ci;
                let ti = re[b] * ci + im[b] * cr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
                let next = cr * wr - ci * wi;
                ci = cr * wi + ci * wr;
                cr = next;
            }
        }
        len <<= 1;
    }
}

/// Blackman window of length `n`.
pub fn blackman(n: usize) -> Vec<f64> {
    let m = (n - 1) as f64;
    (0..n)
        .map(|i| {
            let x = 2.0 * std::f64::consts::PI * i as f64 / m;
            0.42 - 0.5 * x.cos() + 0.08 * (2.0 * x).cos()
        })
        .collect()
}

/// Complex spectrum of `x` (length a power of two) under a Blackman window, zero-padded to `size`.
pub fn windowed_spectrum(x: &[f64], size: usize) -> (Vec<f64>, Vec<f64>) {
    let w = blackman(x.len());
    let mut re = vec![0.0; size];
    let mut im = vec![0.0; size];
    for (i, (v, w)) in x.iter().zip(&w).enumerate() {
        re[i] = v * w;
    }
    fft(&mut re, &mut im);
    (re, im)
}

/// Magnitude spectrum (bins `0..=n/2`) of `x` under a Blackman window; `x.len()` a power of two.
pub fn magnitudes(x: &[f64]) -> Vec<f64> {
    let (re, im) = windowed_spectrum(x, x.len());
    (0..=x.len() / 2).map(|k| re[k].hypot(im[k])).collect()
}

/// The aliasing figure of MEASURING.md: Blackman-windowed magnitude spectrum of `x` (a power of two, at least
/// 2^16 samples), ignoring bins below 20 Hz and above 0.4·fs and ±6 bins around every harmonic of `f0`; the
/// loudest remaining bin in dB relative to the loudest bin.
pub fn aliasing_db(x: &[f64], sample_rate: f64, f0: f64) -> f64 {
    assert!(x.len() >= 1 << 16 && x.len().is_power_of_two());
    let mag = magnitudes(x);
    let bin_hz = sample_rate / x.len() as f64;
    let loudest = mag.iter().cloned().fold(0.0, f64::max);
    let mut masked = vec![false; mag.len()];
    let mut h = f0;
    while h < sample_rate / 2.0 {
        let centre = (h / bin_hz).round() as i64;
        for k in centre - 6..=centre + 6 {
            if k >= 0 && (k as usize) < masked.len() {
                masked[k as usize] = true;
            }
        }
        h += f0;
    }
    let lo = (20.0 / bin_hz).ceil() as usize;
    let hi = (0.4 * sample_rate / bin_hz).floor() as usize;
    let worst = (lo..=hi).filter(|&k| !masked[k]).map(|k| mag[k]).fold(0.0, f64::max);
    db(worst / loudest)
}

/// Fundamental frequency (Hz) of a steady tone, per MEASURING.md: the loudest bin of a Blackman-windowed
/// spectrum between 20 Hz and 0.45·fs, refined by the phase advance of that bin between two windows `hop`
/// samples apart. `x` needs at least `2 × n` samples, `n` a power of two.
pub fn pitch_hz(x: &[f64], sample_rate: f64, n: usize) -> f64 {
    assert!(x.len() >= 2 * n);
    let hop = n;
    let (re0, im0) = windowed_spectrum(&x[..n], n);
    let (re1, im1) = windowed_spectrum(&x[hop..hop + n], n);
    let bin_hz = sample_rate / n as f64;
    let lo = (20.0 / bin_hz).ceil() as usize;
    let hi = (0.45 * sample_rate / bin_hz) as usize;
    let k = (lo..=hi).max_by(|&a, &b| re0[a].hypot(im0[a]).total_cmp(&re0[b].hypot(im0[b]))).unwrap();
    // Advance of bin k's phase over `hop` samples, relative to the bin centre's (a whole number of turns,
    // since hop = n), wrapped to ±π: the offset of the true frequency from the bin centre in turns per hop.
    let advance = im1[k].atan2(re1[k]) - im0[k].atan2(re0[k]);
    let wrapped = (advance + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU) - std::f64::consts::PI;
    (k as f64 + wrapped / std::f64::consts::TAU) * bin_hz
}

/// The frequency (Hz) of MIDI note `note`.
pub fn note_hz(note: f32) -> f64 {
    semitones_to_hz(note) as f64
}

/// A naive (not band-limited) rising saw at `f0`, f64 phase, for comparison.
pub fn naive_saw(frames: usize, sample_rate: f64, f0: f64) -> Vec<f64> {
    let mut phase = 0.5f64;
    (0..frames)
        .map(|_| {
            let v = 2.0 * phase - 1.0;
            phase = (phase + f0 / sample_rate).fract();
            v
        })
        .collect()
}

/// The fundamentals (Hz) the aliasing bar is checked at, each with its bar (dB relative to the fundamental):
/// −60 dB up to 2 kHz, −40 dB up to 5 kHz (issue 3).
pub const ALIASING_BARS: [(f64, f64); 13] = [
    (110.0, -60.0),
    (220.0, -60.0),
    (440.0, -60.0),
    (659.3, -60.0),
    (880.0, -60.0),
    (1318.5, -60.0),
    (1760.0, -60.0),
    (1990.0, -60.0),
    (2637.0, -40.0),
    (3136.0, -40.0),
    (3520.0, -40.0),
    (4186.0, -40.0),
    (5000.0, -40.0),
];

/// The MIDI note (fractional) of `hz`.
pub fn hz_note(hz: f64) -> f32 {
    (69.0 + 12.0 * (hz / 440.0).log2()) as f32
}

/// Parameter values to try for the no-NaN tests: every parameter at its minimum, then at its maximum.
pub fn extremes(spec: &NodeSpec) -> [Vec<f32>; 2] {
    [spec.params.iter().map(|p| p.min).collect(), spec.params.iter().map(|p| p.max).collect()]
}

/// Runs `kind` with every parameter at its minimum and then its maximum, every input fed `input(frame)`, at
/// pitches from very low to very high, and asserts that no output is NaN, infinite or subnormal.
pub fn assert_finite_at_extremes(kind: &str, input: impl Fn(usize) -> f32) {
    for sample_rate in [44_100.0, 192_000.0] {
        for values in extremes(registry::find(kind).unwrap().1) {
            for pitch in [-200.0, 0.0, 127.0, 300.0] {
                let mut rig = Rig::new(kind, sample_rate);
                rig.pitch(pitch).chunks(&[16, 1, 7, 16, 3]);
                for (i, v) in values.iter().enumerate() {
                    rig.params[i] = [*v; LANES];
                }
                let frames = 8192;
                let x = wire(frames, &input);
                let inputs: Vec<Option<&[Lanes]>> = rig.spec.inputs.iter().map(|_| Some(&x[..])).collect();
                let out = rig.run_with(frames, &inputs);
                assert_clean(&out, &format!("{kind} at {values:?}, pitch {pitch}, {sample_rate} Hz"));
                // Then silence on every input, long enough for anything to decay, and a release.
                rig.voice.gate = LaneMask::NONE;
                let silence = wire(frames * 4, |_| 0.0);
                let inputs: Vec<Option<&[Lanes]>> = rig.spec.inputs.iter().map(|_| Some(&silence[..])).collect();
                let out = rig.run_with(frames * 4, &inputs);
                assert_clean(&out, &format!("{kind} at {values:?} into silence, {sample_rate} Hz"));
            }
        }
    }
}

/// Extreme input: ±1e6 alternating in bursts, a full-scale worst case for filters.
pub fn extreme_input(frame: usize) -> f32 {
    if (frame / 37) % 2 == 0 { 1e6 } else { -1e6 }
}

/// The band-limited oscillators' fixed output delay, in samples.
pub const OSC_LATENCY: usize = 12;

/// Extreme modulation for the oscillators' inputs: ±1e6 in bursts, with NaN and infinities mixed in.
pub fn wild_input(frame: usize) -> f32 {
    match frame % 11 {
        0 => f32::NAN,
        1 => f32::INFINITY,
        2 => f32::NEG_INFINITY,
        _ => extreme_input(frame),
    }
}

/// Renders `kind` at `note` (48 kHz) with the named inputs fed the given wires, returning lane 0 of output
/// `output` after a settle of `settle` frames.
pub fn render_with(rig: &mut Rig, wires: &[(&str, &[Lanes])], settle: usize, frames: usize, output: usize) -> Vec<f64> {
    let total = settle + frames;
    let inputs: Vec<Option<&[Lanes]>> = rig
        .spec
        .inputs
        .iter()
        .map(|port| wires.iter().find(|(name, _)| *name == port.name).map(|(_, w)| &w[..total]))
        .collect();
    let out = rig.run_with(total, &inputs);
    lane(&out[output][settle..], 0)
}

/// A sine wire at `hz` (sample rate `sr`), amplitude 1, on every lane.
pub fn sine_wire(frames: usize, sr: f64, hz: f64) -> Vec<Lanes> {
    wire(frames, |i| (std::f64::consts::TAU * hz * i as f64 / sr).sin() as f32)
}

/// The largest difference between `x` and `x` shifted by `period` samples: 0 for a signal periodic in it.
pub fn periodicity_error(x: &[f64], period: usize) -> f64 {
    x.iter().zip(&x[period..]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
}
