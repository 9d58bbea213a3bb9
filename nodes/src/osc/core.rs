//! The engine every band-limited oscillator shares: a phase per lane driven by the voice pitch, linear
//! through-zero FM and hard sync, a naive waveform ([`Shape`]) written into a [`BlepRing`], and a
//! band-limited step or corner added for every discontinuity: wraps, shape edges (a pulse's falling edge)
//! and sync resets.
//!
//! Each frame runs in three steps so the per-sample work vectorises across the eight lanes:
//! 1. every lane at once: advance the phase (FM, sync), write the naive value, flag the lanes whose phase
//!    crossed an edge or was reset;
//! 2. per flagged lane only (a few per cycle): find each discontinuity's exact instant and height, and add
//!    its residual (the only divisions and table reads);
//! 3. every lane: read the finished frame from the ring, apply the level.
//!
//! The output lags the phase by [`crate::dsp::blep::LATENCY`] samples (0.25 ms at 48 kHz), the price of a linear-phase kernel.

use crate::context::Process;
use crate::dsp::blep::{BlepRing, BlepTable, table};
use crate::dsp::phasor::{CYCLE, MAX_RATIO, Phasor, Tuning, param, to_i32};
use crate::dsp::{clamp, input, ramp};
use crate::lanes::{LANES, LaneMask, Lanes, MAX_CHUNK};

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
#[derive(Debug)]
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

crate::clone_in_place!(Core { phasor, ring, table, sync_prev, aux_prev, start_phase, ringing });

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

impl Core {
    /// Bytes of heap memory [`Core::new`] allocates (its band-limiting ring).
    pub(crate) const HEAP_BYTES: usize = crate::dsp::blep::BlepRing::HEAP_BYTES;

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

        // One of four loops, so that none tests for an unconnected input per sample.
        self.phasor.phase = phase;
        let aux = &aux[..n];
        let out = &mut out[..n];
        match (fm, sync) {
            (None, None) => {
                self.walk::<S, false, false>(&sweep, aux, &[], &[], fm_scale, start, level_from, level_to, out)
            }
            (Some(fm), None) => {
                self.walk::<S, true, false>(&sweep, aux, fm, &[], fm_scale, start, level_from, level_to, out)
            }
            (None, Some(sync)) => {
                self.walk::<S, false, true>(&sweep, aux, &[], sync, fm_scale, start, level_from, level_to, out)
            }
            (Some(fm), Some(sync)) => {
                self.walk::<S, true, true>(&sweep, aux, fm, sync, fm_scale, start, level_from, level_to, out)
            }
        }
        self.ring.advance(n);
        self.phasor.end(&sweep);
    }

    /// The ring path of [`Core::run`], frame by frame: advance every lane's phase (FM, sync) and write its naive
    /// value (a loop over lanes that vectorises), add the residuals of whatever happened on the lanes flagged in
    /// this frame (rare), then read the finished frame. `FM` and `SYNC` say whether `fm` and `sync` hold a wire
    /// (else they are empty); `aux` and `out` have the call's length. Audio thread.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn walk<S: Shape, const FM: bool, const SYNC: bool>(
        &mut self,
        sweep: &crate::dsp::phasor::Sweep,
        aux: &[Lanes],
        fm: &[Lanes],
        sync: &[Lanes],
        fm_scale: Lanes,
        start: LaneMask,
        level_from: &Lanes,
        level_to: &Lanes,
        out: &mut [Lanes],
    ) {
        let max_inc = (MAX_RATIO as f64 * CYCLE) as f32;
        let level_step = ramp::step(level_from, level_to, out.len());
        let mut level = *level_from;
        let mut phase = self.phasor.phase;
        let mut base = self.phasor.inc;
        let mut aux_prev = self.aux_prev;
        let mut sync_prev = self.sync_prev;
        let start_phase = self.start_phase;
        let table = self.table;
        for ((k, frame), aux_k) in out.iter_mut().enumerate().zip(aux) {
            // Read outside the lane loop, so the loop has no bounds check and vectorises.
            let fm_k = if FM { fm.get(k).copied().unwrap_or([0.0; LANES]) } else { [0.0; LANES] };
            let sync_k = if SYNC { sync.get(k).copied().unwrap_or([0.0; LANES]) } else { [0.0; LANES] };
            let aux_before = aux_prev;
            let mut naive = [0.0; LANES];
            let mut prev = [0u32; LANES];
            let mut incs = [0i32; LANES];
            let mut reset = [-1.0f32; LANES];
            let mut flag = [0u32; LANES];
            for l in 0..LANES {
                base[l] = base[l].wrapping_add(sweep.inc_step[l]);
                let mut inc = base[l] as i32;
                if FM {
                    // In float, so it vectorises (f32 keeps the increment to 0.001 cent); NaN clamps to −max.
                    let hz = inc as f32 + fm_k[l] * fm_scale[l];
                    inc = to_i32(clamp(hz, -max_inc, max_inc));
                }
                let from = phase[l];
                let mut next = from.wrapping_add(inc as u32);
                let mut hit = false;
                if SYNC {
                    let now = sync_k[l];
                    let before = sync_prev[l];
                    hit = before <= 0.0 && now > 0.0;
                    // Fraction of the sample since the crossing, by linear interpolation of the sync wire.
                    let after = clamp(now / (now - before).max(1e-20), 0.0, 1.0);
                    let reset_to = start_phase.wrapping_add(to_i32(after * inc as f32) as u32);
                    next = if hit { reset_to } else { next };
                    reset[l] = if hit { after } else { -1.0 };
                    sync_prev[l] = clamp(now, -1e9, 1e9);
                }
                // The phase wrapped (carry or borrow out of the top bit, as |inc| < half a cycle): forward, the
                // top bit went from 1 to 0; backward, from 0 to 1. Bit operations only, which vectorise.
                let back = (inc >> 31) as u32;
                let wrapped = ((from ^ back) & !(next ^ back)) >> 31;
                let crossed = S::region(next, aux_k[l]) != S::region(from, aux_prev[l]);
                flag[l] = wrapped | (crossed | hit) as u32;
                prev[l] = from;
                incs[l] = inc;
                naive[l] = S::value(next, aux_k[l]);
                phase[l] = next;
                aux_prev[l] = aux_k[l];
            }
            self.ring.naive(k, &naive);
            if k == 0 && !start.is_empty() {
                for l in 0..LANES {
                    if start.contains(l) {
                        // The voice starts from silence at frame 0: a step to the start value and a corner into
                        // its slope, at the frame itself, instead of whatever the phase seemed to cross.
                        flag[l] = 0;
                        let rate = incs[l] as f32 * (1.0 / CYCLE as f32);
                        self.ring.step(table, 0, l, 0.0, S::value(start_phase, aux_k[l]));
                        self.ring.corner(table, 0, l, 0.0, S::slope(start_phase, aux_k[l]) * rate);
                    }
                }
            }
            // Most frames have no event on any lane: one vector test skips them.
            if flag.iter().fold(0, |any, &f| any | f) != 0 {
                for l in 0..LANES {
                    if flag[l] != 0 {
                        self.events::<S>(k, l, prev[l], phase[l], incs[l], aux_before[l], aux_k[l], reset[l]);
                    }
                }
            }
            let v = self.ring.take(k);
            for l in 0..LANES {
                level[l] += level_step[l];
                frame[l] = level[l] * v[l];
            }
        }
        self.phasor.phase = phase;
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

/// Where an oscillator's `level` parameter ramps from and to over one call: a fresh voice starts at its
/// target (no fade-in from the last note's level), then each call ramps from the last call's value.
pub(crate) fn level_ramp(level: &mut Lanes, p: &Process<'_>, index: usize) -> (Lanes, Lanes) {
    let target = param(p, index);
    for l in 0..LANES {
        if p.voice.start.contains(l) {
            level[l] = target[l];
        }
    }
    let from = *level;
    *level = target;
    (from, target)
}

/// The parameter and input layout every single-output oscillator shares (`pitch`, `fine`, `level`, `freq`,
/// `fm_depth`; inputs `fm`, `sync`), as in [`super::saw::SPEC`].
pub(crate) const STANDARD_TUNING: Tuning = Tuning { pitch: 0, fine: 1, freq: Some(3), offset: 0.0 };
/// The standard `level` parameter index.
pub(crate) const STANDARD_LEVEL: usize = 2;
/// The standard FM and sync wiring.
pub(crate) const STANDARD_MODS: Mods = Mods { fm: 0, fm_depth: 4, sync: 1 };

/// The auxiliary input of shapes that have none: silence, shared rather than zeroed on the stack per call.
static NO_AUX: [Lanes; MAX_CHUNK] = [[0.0; LANES]; MAX_CHUNK];

/// One call of a standard oscillator of shape `S` (saw, triangle): level ramp, FM and sync, band-limited
/// output into output 0. Audio thread.
pub(crate) fn run_standard<S: Shape>(core: &mut Core, level: &mut Lanes, p: &mut Process<'_>) -> LaneMask {
    let n = crate::dsp::frames(p);
    let (from, to) = level_ramp(level, p, STANDARD_LEVEL);
    let out = std::mem::take(&mut p.outputs[0]);
    core.run::<S>(p, STANDARD_TUNING, Some(STANDARD_MODS), &NO_AUX[..n], &from, &to, &mut out[..n], false);
    p.outputs[0] = out;
    LaneMask::ALL
}
