//! The engine every band-limited oscillator shares: a phase per lane driven by the voice pitch, linear
//! through-zero FM and hard sync, a naive waveform ([`Shape`]) written into a [`BlepRing`], and a
//! band-limited step or corner added for every discontinuity: wraps, shape edges (a pulse's falling edge)
//! and sync resets.
//!
//! A call runs in three passes so the per-sample work vectorises across the eight lanes:
//! 1. per frame, every lane at once: advance the phase (FM, sync), write the naive value, flag the lanes whose
//!    phase crossed an edge or was reset;
//! 2. per flagged lane only (a few per cycle): find each discontinuity's exact instant and height, and add
//!    its residual (the only divisions and table reads);
//! 3. per frame, every lane: read the finished frame from the ring, apply the level.
//!
//! The output lags the phase by [`crate::dsp::blep::LATENCY`] samples (0.25 ms at 48 kHz), the price of a linear-phase kernel.

use crate::context::Process;
use crate::dsp::blep::{BlepRing, BlepTable, table};
use crate::dsp::phasor::{CYCLE, MAX_RATIO, Phasor, Tuning, param, to_i32};
use crate::dsp::{clamp, input, ramp};
use crate::lanes::{LANES, Lanes, MAX_CHUNK};

/// One cycle of a naive waveform, as pure functions of the phase, so the core can evaluate it anywhere.
/// `aux` is a per-frame shape control (a pulse's width, a sine's phase offset), `0.0` for shapes without one.
pub(crate) trait Shape {
    /// How many edges (discontinuities in value or slope inside the cycle, the wrap at phase 0 included)
    /// [`Shape::edge`] describes.
    const EDGES: usize;
    /// The naive value at `phase` (2⁻³² cycles). Must compile to selects, not branches.
    fn value(phase: u32, aux: f32) -> f32;
    /// The naive slope at `phase`, in value per cycle.
    fn slope(phase: u32, aux: f32) -> f32;
    /// Edge `i` (`0..EDGES`): its phase in 2⁻³² cycles, and the jumps in value and in slope (per cycle) as the
    /// phase passes it going forward.
    fn edge(i: usize, aux: f32) -> (u32, f32, f32);
    /// Which side of its inner edges (other than the wrap) `phase` is on; a change between frames flags the
    /// lane for pass 2. Shapes whose only edge is the wrap return `false`.
    fn region(phase: u32, aux: f32) -> bool;
}

/// Where an oscillator kind's modulation inputs are, and the parameters that scale them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mods {
    /// The `fm` input port index (Hz per unit, times the `fm_depth` parameter).
    pub(crate) fm: usize,
    /// The `fm_depth` parameter index.
    pub(crate) fm_depth: usize,
    /// The `sync` input port index.
    pub(crate) sync: usize,
}

/// Per-group state of a ring-based oscillator.
#[derive(Clone, Debug)]
pub(crate) struct Core {
    /// Pitch to increment; its `phase` is the phase of the last frame produced.
    phasor: Phasor,
    ring: BlepRing,
    table: &'static BlepTable,
    /// The sync input's last sample, per lane (finite).
    sync_prev: Lanes,
    /// The shape control of the last frame produced, per lane.
    aux_prev: Lanes,
    /// Where a voice starts and where sync resets to.
    start_phase: u32,
    /// Whether the last call went through the ring (see [`Core::run`]'s `direct`).
    ringing: bool,
}

/// What pass 1 leaves for pass 2, per frame and lane.
struct Scratch {
    /// Phase of the previous frame.
    prev: [[u32; LANES]; MAX_CHUNK],
    /// Phase increment into this frame, signed (through-zero FM runs backwards).
    inc: [[i32; LANES]; MAX_CHUNK],
    /// For a sync reset in this frame: how long before the frame it happened, in samples `(0, 1]`; else −1.
    reset: [Lanes; MAX_CHUNK],
    /// Whether the lane needs pass 2 in this frame (0 = no).
    flag: [[u32; LANES]; MAX_CHUNK],
}

/// The whole of a direct call (see [`Core::run`]): advance the phase, write the naive value. `FM` says whether
/// `fm` holds a wire. Audio thread.
#[inline(always)]
fn direct_walk<S: Shape, const FM: bool>(
    phase: &mut [u32; LANES],
    mut base: [u32; LANES],
    sweep: &crate::dsp::phasor::Sweep,
    fm: &[Lanes],
    fm_scale: Lanes,
    aux: &[Lanes],
    out: &mut [Lanes],
) {
    let max_inc = (MAX_RATIO as f64 * CYCLE) as f32;
    for ((frame, aux_k), k) in out.iter_mut().zip(aux).zip(0..) {
        // Read outside the lane loop, so the loop has no bounds check and vectorises.
        let fm_k = if FM { fm.get(k).copied().unwrap_or([0.0; LANES]) } else { [0.0; LANES] };
        for l in 0..LANES {
            base[l] = base[l].wrapping_add(sweep.inc_step[l]);
            let mut inc = base[l] as i32;
            if FM {
                // In float, so it vectorises (f32 keeps the increment to 0.001 cent); NaN clamps to −max: bounded.
                let hz = inc as f32 + fm_k[l] * fm_scale[l];
                inc = to_i32(clamp(hz, -max_inc, max_inc));
            }
            phase[l] = phase[l].wrapping_add(inc as u32);
            frame[l] = S::value(phase[l], aux_k[l]);
        }
    }
}

/// Pass 1's running state.
struct Walk {
    phase: [u32; LANES],
    base: [u32; LANES],
    inc_step: [u32; LANES],
    aux_prev: Lanes,
    sync_prev: Lanes,
    fm_scale: Lanes,
    start_phase: u32,
}

impl Walk {
    /// Pass 1 over `aux.len()` frames: advances the phases, writes the naive values into `naive` and fills
    /// `s`. `FM` and `SYNC` say whether `fm` and `sync` hold a wire (else they are empty). Audio thread.
    #[inline(always)]
    fn run<S: Shape, const FM: bool, const SYNC: bool>(
        &mut self,
        aux: &[Lanes],
        fm: &[Lanes],
        sync: &[Lanes],
        s: &mut Scratch,
        naive: &mut [Lanes; MAX_CHUNK],
    ) {
        let max_inc = (MAX_RATIO as f64 * CYCLE) as f32;
        for (k, aux_k) in aux.iter().enumerate().take(MAX_CHUNK) {
            // Read outside the lane loop, so the loop has no bounds check and vectorises.
            let fm_k = if FM { fm.get(k).copied().unwrap_or([0.0; LANES]) } else { [0.0; LANES] };
            let sync_k = if SYNC { sync.get(k).copied().unwrap_or([0.0; LANES]) } else { [0.0; LANES] };
            for l in 0..LANES {
                self.base[l] = self.base[l].wrapping_add(self.inc_step[l]);
                let mut inc = self.base[l] as i32;
                if FM {
                    // In float, so it vectorises (f32 keeps the increment to 0.001 cent); NaN clamps to −max: bounded.
                    let hz = inc as f32 + fm_k[l] * self.fm_scale[l];
                    inc = to_i32(clamp(hz, -max_inc, max_inc));
                }
                let prev = self.phase[l];
                let mut next = prev.wrapping_add(inc as u32);
                let mut hit = false;
                if SYNC {
                    let now = sync_k[l];
                    let before = self.sync_prev[l];
                    hit = before <= 0.0 && now > 0.0;
                    // Fraction of the sample since the crossing, by linear interpolation of the sync wire.
                    let after = clamp(now / (now - before).max(1e-20), 0.0, 1.0);
                    let reset_to = self.start_phase.wrapping_add(to_i32(after * inc as f32) as u32);
                    next = if hit { reset_to } else { next };
                    s.reset[k][l] = if hit { after } else { -1.0 };
                    self.sync_prev[l] = clamp(now, -1e9, 1e9);
                }
                let wrapped = if inc >= 0 { next < prev } else { next > prev };
                let crossed = S::region(next, aux_k[l]) != S::region(prev, self.aux_prev[l]);
                s.flag[k][l] = (wrapped | crossed | hit) as u32;
                s.prev[k][l] = prev;
                s.inc[k][l] = inc;
                naive[k][l] = S::value(next, aux_k[l]);
                self.phase[l] = next;
                self.aux_prev[l] = aux_k[l];
            }
        }
    }
}

impl Core {
    /// A silent core whose voices start (and sync resets) at `start_phase`. Off the audio thread.
    pub(crate) fn new(start_phase: u32) -> Core {
        Core {
            phasor: Phasor::new(start_phase),
            ring: BlepRing::new(),
            table: table(),
            sync_prev: [0.0; LANES],
            aux_prev: [0.0; LANES],
            start_phase,
            ringing: true,
        }
    }

    /// Produces `n` frames of shape `S` into `out`, scaled by `level` ramped from `level_from` to `level_to`
    /// (per lane), with `aux[k]` the shape control at frame `k`.
    ///
    /// With `direct`, for smooth shapes only (a sine without sync), the naive waveform goes straight to `out`:
    /// no residuals and no delay. Audio thread.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run<S: Shape>(
        &mut self,
        p: &Process<'_>,
        tuning: Tuning,
        mods: Option<Mods>,
        aux: &[Lanes],
        level_from: &Lanes,
        level_to: &Lanes,
        out: &mut [Lanes],
        direct: bool,
    ) {
        let n = out.len().min(aux.len()).min(MAX_CHUNK);
        if n == 0 {
            return;
        }
        if !direct && !self.ringing {
            // Whatever the ring held is from before a direct stretch: stale.
            self.ring.clear();
        }
        self.ringing = !direct;
        let sweep = self.phasor.begin(p, tuning, n, self.start_phase);
        let fm = mods.and_then(|m| input(p, m.fm, n));
        let sync = mods.and_then(|m| input(p, m.sync, n));
        // FM in phase units per sample per unit of input.
        let fm_scale = {
            let depth = mods.map(|m| param(p, m.fm_depth)).unwrap_or([0.0; LANES]);
            let hz_to_inc = (CYCLE / p.sample_rate.max(1.0) as f64) as f32;
            let mut s = [0.0; LANES];
            for l in 0..LANES {
                s[l] = clamp(depth[l], 0.0, 1e6) * hz_to_inc;
            }
            s
        };
        let start = p.voice.start;
        let mut phase = self.phasor.phase;
        for l in 0..LANES {
            if start.contains(l) {
                self.ring.clear_lane(l);
                self.aux_prev[l] = aux[0][l];
                self.sync_prev[l] = 0.0;
                // One frame before the start phase, so frame 0 lands on it (exactly unless FM moves it).
                phase[l] = self.start_phase.wrapping_sub(self.phasor.inc[l].wrapping_add(sweep.inc_step[l]));
            }
        }

        if direct {
            match fm {
                Some(fm) => direct_walk::<S, true>(&mut phase, self.phasor.inc, &sweep, fm, fm_scale, aux, out),
                None => direct_walk::<S, false>(&mut phase, self.phasor.inc, &sweep, &[], fm_scale, aux, out),
            }
            self.finish_direct(phase, aux[n - 1], &sweep, level_from, level_to, &mut out[..n]);
            return;
        }

        // Pass 1, in one of four loops so that none tests for an unconnected input per sample.
        let mut s = Scratch {
            prev: [[0; LANES]; MAX_CHUNK],
            inc: [[0; LANES]; MAX_CHUNK],
            reset: [[-1.0; LANES]; MAX_CHUNK],
            flag: [[0; LANES]; MAX_CHUNK],
        };
        let mut naive = [[0.0; LANES]; MAX_CHUNK];
        let mut walk = Walk {
            phase,
            base: self.phasor.inc,
            inc_step: sweep.inc_step,
            aux_prev: self.aux_prev,
            sync_prev: self.sync_prev,
            fm_scale,
            start_phase: self.start_phase,
        };
        let aux = &aux[..n];
        match (fm, sync) {
            (None, None) => walk.run::<S, false, false>(aux, &[], &[], &mut s, &mut naive),
            (Some(fm), None) => walk.run::<S, true, false>(aux, fm, &[], &mut s, &mut naive),
            (None, Some(sync)) => walk.run::<S, false, true>(aux, &[], sync, &mut s, &mut naive),
            (Some(fm), Some(sync)) => walk.run::<S, true, true>(aux, fm, sync, &mut s, &mut naive),
        }
        let Walk { phase, aux_prev, sync_prev, .. } = walk;
        for l in 0..LANES {
            if start.contains(l) {
                // The start is handled below as a step from silence, not as a wrap or an edge.
                s.flag[0][l] = 0;
            }
        }
        for k in 0..n {
            self.ring.naive(k, &naive[k]);
        }
        let level_step = ramp::step(level_from, level_to, n);
        let mut level = *level_from;

        // Pass 2: the exact instant and size of every discontinuity, on flagged lanes only.
        let table = self.table;
        for l in 0..LANES {
            if start.contains(l) {
                // The voice starts from silence at frame 0: a step to the start value and a corner into its
                // slope, at the frame itself.
                let t = self.start_phase;
                let inc = s.inc[0][l] as f32 * (1.0 / CYCLE as f32);
                self.ring.step(table, 0, l, 0.0, S::value(t, aux[0][l]));
                self.ring.corner(table, 0, l, 0.0, S::slope(t, aux[0][l]) * inc);
            }
        }
        let mut aux_before = self.aux_prev;
        for k in 0..n {
            // Most frames have no event on any lane: one vector test skips them.
            if s.flag[k].iter().fold(0, |any, &f| any | f) == 0 {
                aux_before = aux[k];
                continue;
            }
            for l in 0..LANES {
                if s.flag[k][l] != 0 {
                    let next = if k + 1 < n { s.prev[k + 1][l] } else { phase[l] };
                    self.events::<S>(k, l, s.prev[k][l], next, s.inc[k][l], aux_before[l], aux[k][l], s.reset[k][l]);
                }
            }
            aux_before = aux[k];
        }

        // Pass 3.
        for (k, frame) in out[..n].iter_mut().enumerate() {
            let v = self.ring.take(k);
            for l in 0..LANES {
                level[l] += level_step[l];
                frame[l] = level[l] * v[l];
            }
        }
        self.ring.advance(n);
        self.phasor.phase = phase;
        self.phasor.end(&sweep);
        self.aux_prev = aux_prev;
        self.sync_prev = sync_prev;
    }

    /// Ends a direct call: applies the level ramp to `out` and stores the state.
    fn finish_direct(
        &mut self,
        phase: [u32; LANES],
        aux_last: Lanes,
        sweep: &crate::dsp::phasor::Sweep,
        level_from: &Lanes,
        level_to: &Lanes,
        out: &mut [Lanes],
    ) {
        let level_step = ramp::step(level_from, level_to, out.len());
        let mut level = *level_from;
        for frame in out.iter_mut() {
            for l in 0..LANES {
                level[l] += level_step[l];
                frame[l] *= level[l];
            }
        }
        self.phasor.phase = phase;
        self.phasor.end(sweep);
        self.aux_prev = aux_last;
        self.sync_prev = [0.0; LANES];
    }

    /// Adds the residuals for everything that happened on `lane` between frame `k − 1` (phase `prev`) and
    /// frame `k` (phase `next`), the phase moving by `inc` per sample, a sync reset `reset` samples before
    /// frame `k` if `reset ≥ 0`.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn events<S: Shape>(
        &mut self,
        k: usize,
        lane: usize,
        prev: u32,
        next: u32,
        inc: i32,
        aux_prev: f32,
        aux: f32,
        reset: f32,
    ) {
        let rate = inc as f32 * (1.0 / CYCLE as f32);
        if reset >= 0.0 {
            let at = 1.0 - reset;
            let before = (inc as f32 * at) as i32;
            let old = prev.wrapping_add(before as u32);
            self.segment::<S>(k, lane, prev, before, aux_prev, aux, 0.0, at, rate);
            let (t_old, t_new) = (old, self.start_phase);
            let jump = S::value(t_new, aux) - S::value(t_old, aux);
            let bend = (S::slope(t_new, aux) - S::slope(t_old, aux)) * rate;
            self.ring.step(self.table, k, lane, reset, jump);
            self.ring.corner(self.table, k, lane, reset, bend);
            self.segment::<S>(
                k,
                lane,
                self.start_phase,
                next.wrapping_sub(self.start_phase) as i32,
                aux,
                aux,
                at,
                1.0,
                rate,
            );
        } else {
            self.segment::<S>(k, lane, prev, next.wrapping_sub(prev) as i32, aux_prev, aux, 0.0, 1.0, rate);
        }
    }

    /// Residuals for every edge the phase crosses while moving from `from` by `delta` (2⁻³² cycles, signed),
    /// between times `t0` and `t1` (fractions of the sample after frame `k − 1`).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn segment<S: Shape>(
        &mut self,
        k: usize,
        lane: usize,
        from: u32,
        delta: i32,
        aux_from: f32,
        aux_to: f32,
        t0: f32,
        t1: f32,
        rate: f32,
    ) {
        let to = from.wrapping_add(delta as u32);
        for e in 0..S::EDGES {
            let (edge_from, jump, bend) = S::edge(e, aux_from);
            let (edge_to, _, _) = S::edge(e, aux_to);
            // Phase relative to the edge; the edge is crossed when this wraps.
            let a = from.wrapping_sub(edge_from);
            let b = to.wrapping_sub(edge_to);
            let motion = b.wrapping_sub(a) as i32;
            let (fraction, sign) = if motion > 0 && b < a {
                (a.wrapping_neg() as f32 / motion as f32, 1.0)
            } else if motion < 0 && b > a {
                (a as f32 / -(motion as f32), -1.0)
            } else {
                continue;
            };
            let when = t0 + clamp(fraction, 0.0, 1.0) * (t1 - t0);
            let d = 1.0 - when;
            if jump != 0.0 {
                self.ring.step(self.table, k, lane, d, sign * jump);
            }
            if bend != 0.0 {
                self.ring.corner(self.table, k, lane, d, bend * rate.abs());
            }
        }
    }
}
