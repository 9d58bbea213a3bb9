//! The reference voice written by hand: fused into one loop, allocation-free while it plays, with the same
//! algorithms as Ferrule's nodes, for `N` voices side by side (`N = 1`: scalar; `N = 8`: one SIMD lane per
//! voice, plain `[f32; N]` loops that autovectorise, as in `nodes/src/lanes.rs`).
//!
//! The same DSP as `patches/ref-voice.ron` played by Ferrule:
//! - two saws on 32-bit phases, band-limited with the same 24-tap Kaiser-windowed-sinc BLEP table (64
//!   fractional positions, linear interpolation, 12-sample delay); fused, both saws write one ring (the mixer
//!   happens before the band-limiting, which is linear);
//! - a 5 Hz sine LFO per voice, ±10 cents on both saws (+7 cents on the second), evaluated once per 16-frame
//!   control period, the phase increment ramping linearly across the period as in Ferrule;
//! - an ADSR filter envelope (3 octaves on a 1200 Hz, Q 1.4 Cytomic SVF low-pass) whose value at the end of each
//!   period sets the SVF coefficients, interpolated per sample; an amplitude ADSR per sample into the VCA;
//!   linear attack, exponential decay and release aiming −60 dB past their end, as `nodes/src/env/contour.rs`
//!   (but in f32 and without stage-time bookkeeping beyond what a held note needs).
//!
//! What it leaves out, compared with the engine: parameter smoothers, per-voice pan and volume, voice
//! allocation and stealing, per-voice NaN guards and the runaway detector. It is the practical limit for this
//! voice, not a drop-in engine.

// Lane loops index several arrays by lane, as the nodes do: that is the form that autovectorises.
#![allow(clippy::needless_range_loop)]

use std::f32::consts::PI;

use crate::RATE;

/// Control period in frames (Ferrule's `MAX_CHUNK`).
const PERIOD: usize = 16;
/// BLEP kernel half-length in samples (the output delay).
const HALF: usize = 12;
/// BLEP kernel length in samples.
const TAPS: usize = 2 * HALF;
/// Tabulated fractional positions per sample.
const PHASES: usize = 64;
/// Ring length in frames: a period plus a kernel fit.
const RING: usize = 64;
/// The exponential stages aim this fraction of their span past their end (−60 dB).
const OVERSHOOT: f32 = 1e-3;
/// Filter memory below this is set to 0 (no denormals).
const FLUSH: f32 = 1e-20;

/// One envelope's settings in seconds (attack, decay, release) and sustain level 0..1.
#[derive(Clone, Copy, Debug)]
pub struct Adsr {
    /// Attack time, s.
    pub attack: f32,
    /// Decay time, s.
    pub decay: f32,
    /// Sustain level, 0..1.
    pub sustain: f32,
    /// Release time, s.
    pub release: f32,
}

/// The reference patch's VCA gain (`amp.gain`).
pub const VCA_GAIN: f32 = 0.3;

/// The reference patch's amplitude envelope.
pub const AMP: Adsr = Adsr { attack: 0.005, decay: 0.2, sustain: 0.7, release: 0.3 };
/// The reference patch's filter envelope.
pub const FILTER: Adsr = Adsr { attack: 0.005, decay: 0.3, sustain: 0.2, release: 0.3 };

/// Envelope stages.
const IDLE: u32 = 0;
const ATTACK: u32 = 1;
const DECAY: u32 = 2;
const SUSTAIN: u32 = 3;
const RELEASE: u32 = 4;

/// Per-sample constants of one envelope.
#[derive(Clone, Copy, Debug)]
struct EnvCoefs {
    attack_add: f32,
    decay_factor: f32,
    decay_add: f32,
    sustain: f32,
    release_factor: f32,
}

impl EnvCoefs {
    fn new(a: Adsr) -> EnvCoefs {
        let fs = RATE as f32;
        let rate = ((1.0 + OVERSHOOT) / OVERSHOOT).ln();
        let decay_factor = (-rate / (a.decay * fs).max(1.0)).exp();
        EnvCoefs {
            attack_add: 1.0 / (a.attack * fs).max(1.0),
            decay_factor,
            decay_add: (a.sustain - OVERSHOOT * (1.0 - a.sustain)) * (1.0 - decay_factor),
            sustain: a.sustain,
            release_factor: (-rate / (a.release * fs).max(1.0)).exp(),
        }
    }
}

/// `N` envelopes, one per lane.
#[derive(Clone, Copy, Debug)]
struct Env<const N: usize> {
    c: EnvCoefs,
    level: [f32; N],
    stage: [u32; N],
    /// Per-sample addend of the release (−overshoot × level at key-up × (1 − factor)).
    release_add: [f32; N],
    /// Level at which the release ends (−140 dB below where it started).
    silence: [f32; N],
}

impl<const N: usize> Env<N> {
    fn new(a: Adsr) -> Self {
        Env { c: EnvCoefs::new(a), level: [0.0; N], stage: [IDLE; N], release_add: [0.0; N], silence: [0.0; N] }
    }

    /// One sample for every lane, branch-free (selects), so it vectorises.
    #[inline(always)]
    fn tick(&mut self) -> [f32; N] {
        let c = self.c;
        for l in 0..N {
            let y = self.level[l];
            let st = self.stage[l];
            let att = (y + c.attack_add).min(1.0);
            let dec = (y * c.decay_factor + c.decay_add).max(c.sustain);
            let rel = (y * c.release_factor + self.release_add[l]).max(0.0);
            let rel = if rel < self.silence[l] { 0.0 } else { rel };
            let next = if st == ATTACK {
                att
            } else if st == DECAY {
                dec
            } else if st == SUSTAIN {
                c.sustain
            } else if st == RELEASE {
                rel
            } else {
                0.0
            };
            let to_decay = st == ATTACK && att >= 1.0;
            let to_sustain = st == DECAY && dec <= c.sustain;
            let to_idle = st == RELEASE && rel == 0.0;
            self.stage[l] = if to_decay {
                DECAY
            } else if to_sustain {
                SUSTAIN
            } else if to_idle {
                IDLE
            } else {
                st
            };
            self.level[l] = next;
        }
        self.level
    }

    fn gate_on(&mut self, lane: usize) {
        self.level[lane] = 0.0;
        self.stage[lane] = ATTACK;
    }

    fn gate_off(&mut self, lane: usize) {
        let from = self.level[lane];
        self.stage[lane] = RELEASE;
        self.release_add[lane] = -OVERSHOOT * from * (1.0 - self.c.release_factor);
        self.silence[lane] = from * 1e-7 + 1e-30;
    }
}

/// The BLEP residual table, built as `nodes/src/dsp/blep.rs` builds its own (the same kernel and grid).
struct Table {
    step: [[f32; TAPS]; PHASES + 1],
}

/// Zeroth-order modified Bessel function of the first kind (Kaiser window).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    while term > 1e-12 * sum {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        k += 1.0;
    }
    sum
}

impl Table {
    /// The table every group shares, built on first use.
    fn shared() -> &'static Table {
        static TABLE: std::sync::OnceLock<Box<Table>> = std::sync::OnceLock::new();
        TABLE.get_or_init(Table::new)
    }

    fn new() -> Box<Table> {
        let kernel = |t: f64| {
            let x = t / HALF as f64;
            if x.abs() >= 1.0 {
                return 0.0;
            }
            let arg = std::f64::consts::PI * t;
            let sinc = if arg.abs() < 1e-12 { 1.0 } else { arg.sin() / arg };
            sinc * bessel_i0(7.0 * (1.0 - x * x).sqrt()) / bessel_i0(7.0)
        };
        const FINE: usize = 16;
        let per_sample = PHASES * FINE;
        let points = TAPS * per_sample + 1;
        let dt = 1.0 / per_sample as f64;
        let t_at = |i: usize| i as f64 * dt - HALF as f64;
        let mut step = vec![0.0f64; points];
        for i in 1..points {
            step[i] = step[i - 1] + 0.5 * dt * (kernel(t_at(i - 1)) + kernel(t_at(i)));
        }
        let total = step[points - 1];
        let mut t = Box::new(Table { step: [[0.0; TAPS]; PHASES + 1] });
        for i in 0..=PHASES {
            for j in 0..TAPS {
                let g = j * per_sample + i * FINE;
                if g < points {
                    t.step[i][j] = (step[g] / total - if j >= HALF { 1.0 } else { 0.0 }) as f32;
                }
            }
        }
        t
    }
}

/// `N` reference voices side by side. Allocates only in [`Voices::new`].
pub struct Voices<const N: usize> {
    /// The shared residual table (one for every group, as in the nodes).
    table: &'static Table,
    /// Future output frames of the mixed saws, naive plus residuals.
    ring: Box<[[f32; N]; RING]>,
    pos: usize,
    phase: [[u32; N]; 2],
    inc: [[u32; N]; 2],
    note_hz: [f32; N],
    lfo_phase: [f32; N],
    amp: Env<N>,
    filter_env: Env<N>,
    ic1: [f32; N],
    ic2: [f32; N],
    a: [[f32; N]; 3],
    /// The amplitude envelope of the current period.
    amp_buf: [[f32; N]; PERIOD],
}

impl<const N: usize> Default for Voices<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Voices<N> {
    /// `N` silent voices. Allocates (the table and the ring).
    pub fn new() -> Self {
        Voices {
            table: Table::shared(),
            ring: Box::new([[0.0; N]; RING]),
            pos: 0,
            phase: [[1 << 31; N]; 2],
            inc: [[1; N]; 2],
            note_hz: [440.0; N],
            lfo_phase: [0.0; N],
            amp: Env::new(AMP),
            filter_env: Env::new(FILTER),
            ic1: [0.0; N],
            ic2: [0.0; N],
            a: [[0.0; N]; 3],
            amp_buf: [[0.0; N]; PERIOD],
        }
    }

    /// Starts a note of MIDI number `note` on `lane`.
    pub fn note_on(&mut self, lane: usize, note: u8) {
        self.note_hz[lane] = 440.0 * ((note as f32 - 69.0) / 12.0).exp2();
        self.lfo_phase[lane] = 0.0;
        for o in 0..2 {
            self.phase[o][lane] = 1 << 31;
            self.inc[o][lane] = (self.note_hz[lane] / RATE as f32 * 4_294_967_296.0) as u32;
        }
        self.ic1[lane] = 0.0;
        self.ic2[lane] = 0.0;
        for row in self.ring.iter_mut() {
            row[lane] = 0.0;
        }
        self.amp.gate_on(lane);
        self.filter_env.gate_on(lane);
    }

    /// Releases the note on `lane`.
    pub fn note_off(&mut self, lane: usize) {
        self.amp.gate_off(lane);
        self.filter_env.gate_off(lane);
    }

    /// Adds every voice's output to `out` (mono). Audio-thread safe: no allocation, bounded loops.
    pub fn process(&mut self, out: &mut [f32]) {
        for chunk in out.chunks_mut(PERIOD) {
            self.period(chunk);
        }
    }

    /// One control period of `out.len()` (1..=16) frames.
    fn period(&mut self, out: &mut [f32]) {
        let n = out.len();
        let fs = RATE as f32;
        // Control rate: LFO → pitch; envelopes for the period; filter envelope's last value → cutoff.
        let mut inc_step = [[0u32; N]; 2];
        for l in 0..N {
            self.lfo_phase[l] += 5.0 * n as f32 / fs;
            self.lfo_phase[l] -= self.lfo_phase[l].floor();
            let vib = 10.0 * (2.0 * PI * self.lfo_phase[l]).sin();
            for (o, detune) in [0.0f32, 7.0].into_iter().enumerate() {
                let hz = self.note_hz[l] * ((vib + detune) / 1200.0).exp2();
                let target = (hz / fs * 4_294_967_296.0) as u32;
                inc_step[o][l] = ((target as i64 - self.inc[o][l] as i64) / n as i64) as i32 as u32;
            }
        }
        let mut fenv = [0.0; N];
        for k in 0..n {
            self.amp_buf[k] = self.amp.tick();
            fenv = self.filter_env.tick();
        }
        let mut a_step = [[0.0; N]; 3];
        for l in 0..N {
            let ratio = (1200.0 * (3.0 * fenv[l]).exp2() / fs).min(0.48);
            let g = (PI * ratio).tan();
            let k = 1.0 / 1.4;
            let a1 = 1.0 / (1.0 + g * (g + k));
            let target = [a1, g * a1, g * g * a1];
            for c in 0..3 {
                a_step[c][l] = (target[c] - self.a[c][l]) / n as f32;
            }
        }
        // Audio rate, fused: both saws into the ring, residuals on wraps, SVF, VCA, sum.
        for (k, y) in out.iter_mut().enumerate() {
            let mut naive = [0.0f32; N];
            let mut wrapped = [[false; N]; 2];
            for o in 0..2 {
                for l in 0..N {
                    self.inc[o][l] = self.inc[o][l].wrapping_add(inc_step[o][l]);
                    let next = self.phase[o][l].wrapping_add(self.inc[o][l]);
                    wrapped[o][l] = next < self.phase[o][l];
                    self.phase[o][l] = next;
                    // Each saw at level 0.5: 0.5 × (2·phase − 1).
                    naive[l] += (next >> 8) as f32 * (1.0 / 16_777_216.0) - 0.5;
                }
            }
            let row = &mut self.ring[(self.pos + k + HALF) & (RING - 1)];
            for l in 0..N {
                row[l] += naive[l];
            }
            for o in 0..2 {
                if wrapped[o].iter().any(|&w| w) {
                    for l in 0..N {
                        if wrapped[o][l] {
                            // Samples since the wrap, then a step of −1 (level 0.5 × jump −2) there.
                            let d = self.phase[o][l] as f32 / self.inc[o][l].max(1) as f32;
                            let x = d.clamp(0.0, 1.0) * PHASES as f32;
                            let i = (x as usize).min(PHASES - 1);
                            let w = x - i as f32;
                            let (r0, r1) = (&self.table.step[i], &self.table.step[i + 1]);
                            for j in 0..TAPS {
                                self.ring[(self.pos + k + j) & (RING - 1)][l] -= r0[j] + w * (r1[j] - r0[j]);
                            }
                        }
                    }
                }
            }
            let v = std::mem::replace(&mut self.ring[(self.pos + k) & (RING - 1)], [0.0; N]);
            let amp = self.amp_buf[k];
            let mut sum = 0.0;
            for l in 0..N {
                for c in 0..3 {
                    self.a[c][l] += a_step[c][l];
                }
                let (a1, a2, a3) = (self.a[0][l], self.a[1][l], self.a[2][l]);
                let (ic1, ic2) = (self.ic1[l], self.ic2[l]);
                let v3 = v[l] - ic2;
                let v1 = a1 * ic1 + a2 * v3;
                let v2 = ic2 + a2 * ic1 + a3 * v3;
                let n1 = 2.0 * v1 - ic1;
                let n2 = 2.0 * v2 - ic2;
                self.ic1[l] = if n1.abs() < FLUSH { 0.0 } else { n1 };
                self.ic2[l] = if n2.abs() < FLUSH { 0.0 } else { n2 };
                sum += v2 * (amp[l] * VCA_GAIN);
            }
            *y += sum;
        }
        self.pos = (self.pos + n) & (RING - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written voice must be the same sound, or its speed means nothing: a held A2 has its pitch
    /// (zero crossings of the filtered saw) and a sensible level, in the scalar and the 8-lane version alike.
    #[test]
    fn held_note_sounds_at_its_pitch_in_both_widths() {
        fn render<const N: usize>() -> Vec<f32> {
            let mut v = Voices::<N>::new();
            v.note_on(0, 45); // A2, 110 Hz
            let mut out = vec![0.0; RATE as usize];
            v.process(&mut out);
            out
        }
        for out in [render::<1>(), render::<8>()] {
            let tail = &out[RATE as usize / 2..];
            // The autocorrelation's strongest lag between 50 and 400 Hz is the period.
            let corr = |lag: usize| (0..8192).map(|i| tail[i] * tail[i + lag]).sum::<f32>();
            let lag = (RATE as usize / 400..RATE as usize / 50).max_by(|&a, &b| corr(a).total_cmp(&corr(b))).unwrap();
            let hz = RATE as f32 / lag as f32;
            assert!((hz - 110.0).abs() < 2.0, "{hz} Hz");
            let peak = tail.iter().fold(0.0f32, |a, x| a.max(x.abs()));
            assert!(peak > 0.1 && peak < 1.5, "peak {peak}");
        }
    }
}
