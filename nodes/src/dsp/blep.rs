//! Band-limited steps and ramps: a table of windowed-sinc BLEP/BLAMP residuals and the per-group ring buffer
//! that oscillators add them into.
//!
//! An oscillator writes its naive (aliasing) waveform into a [`BlepRing`] [`LATENCY`] samples ahead of the
//! frame it is producing, and for every discontinuity (a step in value, or a corner: a step in slope) it adds
//! the difference between the band-limited and the naive shape, read from [`BlepTable`], around the instant
//! the discontinuity happened. The kernel is a Kaiser-windowed sinc [`TAPS`] samples long, symmetric (linear
//! phase), which is why the output lags the phase by [`LATENCY`] samples: the residual of a step starts
//! before the step.
//!
//! Why hand-written: the ring runs on the audio thread for every voice-sample, and the table is built once
//! from a closed-form kernel, so no crate would save code here.

use std::sync::OnceLock;

use crate::lanes::{LANES, Lanes, MAX_CHUNK};

/// Kernel half-length in samples: the residual of a discontinuity spans `HALF` samples either side of it.
pub(crate) const HALF: usize = 12;
/// Kernel length in samples.
pub(crate) const TAPS: usize = 2 * HALF;
/// Output delay of every ring-based oscillator, in samples (0.25 ms at 48 kHz).
pub(crate) const LATENCY: usize = HALF;
/// Fractional positions tabulated per sample; positions in between are interpolated linearly.
const PHASES: usize = 64;
/// Kaiser window shape: about 75 dB of stopband for this length.
const KAISER_BETA: f64 = 7.0;
/// Cutoff of the band-limiting kernel as a fraction of the sample rate (its −6 dB point). Partials above
/// fs/2 fold back, and the measured band ends at 0.4·fs, so the kernel passes 0.4·fs and stops 0.6·fs.
const CUTOFF: f64 = 0.5;
/// Ring length in frames: a chunk plus a whole kernel fit, so a call never overwrites a row it has not read.
const RING: usize = 64;
const _: () = assert!(RING.is_power_of_two() && RING > MAX_CHUNK + TAPS);

/// Residuals per fractional position: row `i` is the residual at taps `j − HALF + i/PHASES` for `j` in
/// `0..TAPS`, measured in samples from the discontinuity to each tap. Built once, off the audio thread.
pub(crate) struct BlepTable {
    /// Band-limited unit step minus the naive unit step.
    step: [[f32; TAPS]; PHASES + 1],
    /// Band-limited unit ramp (slope 1 per sample after the corner) minus the naive ramp.
    ramp: [[f32; TAPS]; PHASES + 1],
}

impl std::fmt::Debug for BlepTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlepTable").field("taps", &TAPS).field("phases", &PHASES).finish_non_exhaustive()
    }
}

/// The shared table, built on first use. Call from a node's `new` (off the audio thread) and keep the
/// reference.
///
/// The table (12 KiB) sits inline in the static, not behind a `Box`: a static's heap memory is never
/// freed, so a host that unloads and reloads the plugin would lose a table to each load.
pub(crate) fn table() -> &'static BlepTable {
    static TABLE: OnceLock<BlepTable> = OnceLock::new();
    TABLE.get_or_init(build)
}

/// Zeroth-order modified Bessel function of the first kind, by its power series (for the Kaiser window).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    while term > 1e-12 * sum {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        k += 1.0;
    }
    sum
}

/// The band-limiting kernel at `t` samples from its centre: Kaiser-windowed sinc, zero outside ±HALF.
fn kernel(t: f64) -> f64 {
    let x = t / HALF as f64;
    if x.abs() >= 1.0 {
        return 0.0;
    }
    let arg = std::f64::consts::PI * 2.0 * CUTOFF * t;
    let sinc = if arg.abs() < 1e-12 { 1.0 } else { arg.sin() / arg };
    2.0 * CUTOFF * sinc * bessel_i0(KAISER_BETA * (1.0 - x * x).sqrt()) / bessel_i0(KAISER_BETA)
}

fn build() -> BlepTable {
    // Integrate the kernel (and its integral) on a fine grid with the trapezoid rule, then sample.
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
    for s in &mut step {
        *s /= total;
    }
    let mut ramp = vec![0.0f64; points];
    for i in 1..points {
        ramp[i] = ramp[i - 1] + 0.5 * dt * (step[i - 1] + step[i]);
    }
    let mut t = BlepTable { step: [[0.0; TAPS]; PHASES + 1], ramp: [[0.0; TAPS]; PHASES + 1] };
    for i in 0..=PHASES {
        for j in 0..TAPS {
            // Tap j sits at τ = j − HALF + i/PHASES samples after the discontinuity.
            let g = j * per_sample + i * FINE;
            if g >= points {
                continue;
            }
            let tau = t_at(g);
            // The naive waveform has stepped at every frame from the one the discontinuity precedes (tap
            // HALF), including τ = 0 exactly when d = 0, but not at τ = 0 when d = 1 (tap HALF − 1).
            let naive_step = if j >= HALF { 1.0 } else { 0.0 };
            t.step[i][j] = (step[g] - naive_step) as f32;
            t.ramp[i][j] = (ramp[g] - tau.max(0.0)) as f32;
        }
    }
    t
}

/// A ring of future output frames for one lane group: the naive waveform plus every residual added so far.
/// Audio thread (except [`BlepRing::new`] and `clone`, which allocate).
///
/// The rows (2 KB) live on the heap so that every node kind's state, which the engine stores inline in one
/// arena of [`crate::Processor`]s, stays small.
#[derive(Debug)]
pub(crate) struct BlepRing {
    rows: Box<[Lanes; RING]>,
    /// Ring row of the current call's frame 0.
    pos: usize,
}

crate::clone_in_place!(BlepRing { rows, pos });

impl BlepRing {
    /// Bytes of heap memory [`BlepRing::new`] allocates.
    pub(crate) const HEAP_BYTES: usize = std::mem::size_of::<[Lanes; RING]>();

    /// An empty (silent) ring. Allocates; off the audio thread.
    pub(crate) fn new() -> BlepRing {
        BlepRing { rows: Box::new([[0.0; LANES]; RING]), pos: 0 }
    }

    #[inline(always)]
    fn row(&mut self, frame: usize) -> &mut Lanes {
        &mut self.rows[(self.pos + frame) & (RING - 1)]
    }

    /// Adds the naive waveform's value `v` for frame `frame` of this call (it comes out [`LATENCY`] frames
    /// later).
    #[inline(always)]
    pub(crate) fn naive(&mut self, frame: usize, v: &Lanes) {
        let row = self.row(frame + LATENCY);
        for l in 0..LANES {
            row[l] += v[l];
        }
    }

    /// Interpolation rows and weight for a discontinuity `d` samples (`0..=1`) before frame `frame`.
    #[inline(always)]
    fn locate(d: f32) -> (usize, f32) {
        let x = crate::dsp::clamp(d, 0.0, 1.0) * PHASES as f32;
        let i = (x as usize).min(PHASES - 1);
        (i, x - i as f32)
    }

    /// Adds a band-limited step of `height` on `lane`, happening `d` samples (`0..=1`) before frame `frame` of
    /// this call. The naive waveform must step by `height` between frames `frame − 1` and `frame`.
    #[inline]
    pub(crate) fn step(&mut self, table: &BlepTable, frame: usize, lane: usize, d: f32, height: f32) {
        let (i, a) = Self::locate(d);
        let (r0, r1) = (&table.step[i], &table.step[i + 1]);
        for j in 0..TAPS {
            let r = r0[j] + a * (r1[j] - r0[j]);
            self.row(frame + j)[lane] += height * r;
        }
    }

    /// [`BlepRing::step`] into two rings at once with heights `height` here and `other_height` in `other`
    /// (one band-limited step panned into a stereo pair), reading the table once.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(crate) fn step_pair(
        &mut self,
        other: &mut BlepRing,
        table: &BlepTable,
        frame: usize,
        lane: usize,
        d: f32,
        height: f32,
        other_height: f32,
    ) {
        let (i, a) = Self::locate(d);
        let (r0, r1) = (&table.step[i], &table.step[i + 1]);
        for j in 0..TAPS {
            let r = r0[j] + a * (r1[j] - r0[j]);
            self.row(frame + j)[lane] += height * r;
            other.row(frame + j)[lane] += other_height * r;
        }
    }

    /// Adds a band-limited corner on `lane`: the naive waveform's slope changes by `slope` per sample,
    /// `d` samples (`0..=1`) before frame `frame` of this call.
    #[inline]
    pub(crate) fn corner(&mut self, table: &BlepTable, frame: usize, lane: usize, d: f32, slope: f32) {
        let (i, a) = Self::locate(d);
        let (r0, r1) = (&table.ramp[i], &table.ramp[i + 1]);
        for j in 0..TAPS {
            let r = r0[j] + a * (r1[j] - r0[j]);
            self.row(frame + j)[lane] += slope * r;
        }
    }

    /// Takes frame `frame`'s finished output and clears its row for reuse.
    #[inline(always)]
    pub(crate) fn take(&mut self, frame: usize) -> Lanes {
        std::mem::take(self.row(frame))
    }

    /// Moves on by `frames` frames at the end of a call.
    #[inline]
    pub(crate) fn advance(&mut self, frames: usize) {
        self.pos = (self.pos + frames) & (RING - 1);
    }

    /// Silences `lane` in every pending frame (a fresh voice starts from silence).
    pub(crate) fn clear_lane(&mut self, lane: usize) {
        for row in self.rows.iter_mut() {
            row[lane] = 0.0;
        }
    }

    /// Silences every lane.
    pub(crate) fn clear(&mut self) {
        *self.rows = [[0.0; LANES]; RING];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residuals_vanish_at_both_ends_and_step_is_half_at_the_edge() {
        let t = table();
        for i in 0..=PHASES {
            assert!(t.step[i][0].abs() < 1e-3, "row {i} starts at {}", t.step[i][0]);
            assert!(t.step[i][TAPS - 1].abs() < 1e-3, "row {i} ends at {}", t.step[i][TAPS - 1]);
            assert!(t.ramp[i][0].abs() < 1e-3 && t.ramp[i][TAPS - 1].abs() < 1e-3, "ramp row {i}");
        }
        // At the discontinuity itself the band-limited step is halfway: residual −0.5 just after.
        assert!((t.step[0][HALF] + 0.5).abs() < 1e-3, "{}", t.step[0][HALF]);
    }
}
