//! The live meters the editor shows, published by the audio thread without ever waiting: output peak,
//! voice count and which notes sound, CPU load of the audio core, the runaway guard's state, and an
//! oscilloscope of the last few tens of milliseconds.
//!
//! Shared by both format adapters: the audio thread calls [`Meters::publish`] after
//! [`AudioCore::render`] (or the older [`Meters::record`] for level and voices only); the main thread reads
//! with [`Meters::take`] / [`Meters::read`]. Everything is a plain atomic or a fixed ring of atomics, so
//! the audio side neither allocates, locks nor makes a system call, and a slow reader only ever sees
//! older values. Hand-written rather than a crate because it is a handful of atomics and must be
//! wait-free on the audio thread.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};

use super::AudioCore;

/// Points the oscilloscope ring holds.
pub const SCOPE_POINTS: usize = 512;
/// How much time the oscilloscope reading covers, in seconds (fewer points at 192 kHz, where
/// [`SCOPE_POINTS`] hold 40 ms): twice the 20 ms the editor shows, so the editor can start its view at a
/// rising zero crossing and still fill it.
pub const SCOPE_SECONDS: f32 = 0.04;

/// What the main thread reads: one meter period's worth (peaks reset on reading).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeterReading {
    /// Output peak since the last reading, dBFS (−120 for silence).
    pub level_db: f32,
    /// Voices sounding after the last block.
    pub voices: u32,
    /// Keys sounding after the last block: key `k` is bit `k % 64` of word `k / 64`.
    pub notes: [u64; 2],
    /// Largest CPU load of one block since the last reading, as a share of the block's deadline (1.0 is a
    /// whole block's time; above it the host would drop out).
    pub cpu_peak: f32,
    /// CPU load smoothed over about 300 ms, same unit.
    pub cpu_smoothed: f32,
    /// While the engine's runaway guard holds the patch muted: the output's peak level when it tripped,
    /// in dBFS.
    pub runaway_db: Option<f32>,
}

impl MeterReading {
    /// The sounding keys, lowest first.
    pub fn note_list(&self) -> Vec<u8> {
        (0..128u8).filter(|&k| self.notes[k as usize / 64] & (1u64 << (k % 64)) != 0).collect()
    }
}

/// The meters, written by the audio thread and read by the main thread. Lock-free; see the module docs.
#[derive(Debug)]
pub struct Meters {
    /// Largest output peak since the main thread last read it, as `f32` bits (non-negative floats order
    /// like their bits, so `fetch_max` keeps the largest).
    peak: AtomicU32,
    /// Voices sounding after the last block.
    voices: AtomicU32,
    /// Sounding keys, 128 bits.
    notes: [AtomicU64; 2],
    /// Largest block load since the last reading, `f32` bits.
    cpu_peak: AtomicU32,
    /// Smoothed load, `f32` bits.
    cpu_smoothed: AtomicU32,
    /// 0 while playing; the runaway peak's `f32` bits (always > 0) while muted.
    runaway: AtomicU32,
    scope: Scope,
}

impl Default for Meters {
    fn default() -> Self {
        Meters {
            peak: AtomicU32::new(0),
            voices: AtomicU32::new(0),
            notes: [AtomicU64::new(0), AtomicU64::new(0)],
            cpu_peak: AtomicU32::new(0),
            cpu_smoothed: AtomicU32::new(0),
            runaway: AtomicU32::new(0),
            scope: Scope::default(),
        }
    }
}

/// Converts a linear peak to dBFS, −120 for silence.
fn to_db(peak: f32) -> f32 {
    20.0 * peak.max(1e-6).log10()
}

impl Meters {
    /// Records one block's output peak and the voice count. Audio thread; bounded by the block length.
    pub fn record(&self, left: &[f32], right: &[f32], voices: usize) {
        let peak = left.iter().chain(right).fold(0.0f32, |p, x| p.max(x.abs()));
        if peak.is_finite() {
            self.peak.fetch_max(peak.to_bits(), Ordering::Relaxed);
        }
        self.voices.store(voices as u32, Ordering::Relaxed);
    }

    /// Records everything about the block `core` just rendered into `left` and `right`: level, voices,
    /// sounding notes, CPU load, runaway state and the oscilloscope. Audio thread; no allocation, locks
    /// or system calls; bounded by the block length.
    pub fn publish(&self, core: &AudioCore, left: &[f32], right: &[f32]) {
        self.record(left, right, core.active_voices());
        let notes = core.sounding_notes();
        self.notes[0].store(notes[0], Ordering::Relaxed);
        self.notes[1].store(notes[1], Ordering::Relaxed);
        let (load, smoothed) = core.cpu_load();
        if load.is_finite() {
            self.cpu_peak.fetch_max(load.max(0.0).to_bits(), Ordering::Relaxed);
            self.cpu_smoothed.store(smoothed.max(0.0).to_bits(), Ordering::Relaxed);
        }
        let runaway = core.runaway_peak().map_or(0, |p| p.max(f32::MIN_POSITIVE).to_bits());
        self.runaway.store(runaway, Ordering::Relaxed);
        self.scope.write(core.sample_rate(), left, right);
    }

    /// The peak since the last call (or [`Meters::read`]), in dBFS, and the voice count. Main thread.
    pub fn take(&self) -> (f32, u32) {
        let peak = f32::from_bits(self.peak.swap(0, Ordering::Relaxed));
        (to_db(peak), self.voices.load(Ordering::Relaxed))
    }

    /// Everything but the scope; resets the level and CPU peaks. Main thread.
    pub fn read(&self) -> MeterReading {
        let (level_db, voices) = self.take();
        let runaway = self.runaway.load(Ordering::Relaxed);
        MeterReading {
            level_db,
            voices,
            notes: [self.notes[0].load(Ordering::Relaxed), self.notes[1].load(Ordering::Relaxed)],
            cpu_peak: f32::from_bits(self.cpu_peak.swap(0, Ordering::Relaxed)),
            cpu_smoothed: f32::from_bits(self.cpu_smoothed.load(Ordering::Relaxed)),
            runaway_db: (runaway != 0).then(|| to_db(f32::from_bits(runaway))),
        }
    }

    /// Copies the oscilloscope into `out` (cleared first): the newest points of the mono sum, oldest first,
    /// the last [`SCOPE_SECONDS`] (at most [`SCOPE_POINTS`]). Returns the points per second. Points
    /// the audio thread overwrote while copying are left out, so `out` is always one stretch of time. Main
    /// thread (or any thread but audio: it may grow `out`).
    pub fn read_scope(&self, out: &mut Vec<f32>) -> f32 {
        self.scope.read(out)
    }
}

/// The oscilloscope ring: the mono sum, each point the mean of `step` samples, written with a claim
/// counter before and a publish counter after, like a sequence lock, so the reader can tell which points
/// it may have seen half-replaced.
#[derive(Debug)]
struct Scope {
    points: [AtomicU32; SCOPE_POINTS],
    /// Points claimed for writing (the writer bumps it before it overwrites a slot).
    claimed: AtomicU64,
    /// Points completely written.
    written: AtomicU64,
    /// Points per second, `f32` bits.
    rate: AtomicU32,
    /// Writer-only decimation state: samples per point, running sum (`f32` bits) and count. Atomics only
    /// so `Meters` can be shared; one thread writes them.
    step: AtomicU32,
    sum: AtomicU32,
    count: AtomicU32,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            points: std::array::from_fn(|_| AtomicU32::new(0)),
            claimed: AtomicU64::new(0),
            written: AtomicU64::new(0),
            rate: AtomicU32::new(0),
            step: AtomicU32::new(0),
            sum: AtomicU32::new(0),
            count: AtomicU32::new(0),
        }
    }
}

impl Scope {
    /// Appends one block. Audio thread.
    fn write(&self, sample_rate: f32, left: &[f32], right: &[f32]) {
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return;
        }
        // Samples per point so that SCOPE_POINTS cover at least SCOPE_SECONDS: 4 at 44.1 and 48 kHz, 15
        // at 192 kHz.
        let step = ((sample_rate * SCOPE_SECONDS / SCOPE_POINTS as f32).ceil() as u32).max(1);
        let (mut sum, mut count) = if self.step.load(Ordering::Relaxed) == step {
            (f32::from_bits(self.sum.load(Ordering::Relaxed)), self.count.load(Ordering::Relaxed))
        } else {
            self.step.store(step, Ordering::Relaxed);
            self.rate.store((sample_rate / step as f32).to_bits(), Ordering::Relaxed);
            (0.0, 0)
        };
        let mut next = self.written.load(Ordering::Relaxed);
        for (l, r) in left.iter().zip(right) {
            sum += 0.5 * (l + r);
            count += 1;
            if count == step {
                let point = sum / step as f32;
                let point = if point.is_finite() { point } else { 0.0 };
                self.claimed.store(next + 1, Ordering::Relaxed);
                fence(Ordering::Release);
                self.points[(next % SCOPE_POINTS as u64) as usize].store(point.to_bits(), Ordering::Relaxed);
                next += 1;
                self.written.store(next, Ordering::Release);
                sum = 0.0;
                count = 0;
            }
        }
        self.sum.store(sum.to_bits(), Ordering::Relaxed);
        self.count.store(count, Ordering::Relaxed);
    }

    fn read(&self, out: &mut Vec<f32>) -> f32 {
        out.clear();
        let rate = f32::from_bits(self.rate.load(Ordering::Relaxed));
        let written = self.written.load(Ordering::Acquire);
        let span = ((rate * SCOPE_SECONDS).round() as u64).clamp(1, SCOPE_POINTS as u64);
        let first = written.saturating_sub(span);
        out.extend(
            (first..written)
                .map(|i| f32::from_bits(self.points[(i % SCOPE_POINTS as u64) as usize].load(Ordering::Relaxed))),
        );
        // Any slot seen overwritten was claimed before this fence: points older than the newest claim
        // minus the ring's size may be torn, so drop them.
        fence(Ordering::Acquire);
        let claimed = self.claimed.load(Ordering::Relaxed);
        let stale = claimed.saturating_sub(SCOPE_POINTS as u64).saturating_sub(first).min(out.len() as u64);
        out.drain(..stale as usize);
        rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meters_keep_the_block_peak_in_dbfs() {
        let meters = Meters::default();
        meters.record(&[0.0, 0.5, -0.25], &[0.1, 0.0, 0.0], 3);
        meters.record(&[0.0; 3], &[0.0; 3], 2);
        let (db, voices) = meters.take();
        assert!((db - -6.02).abs() < 0.01, "{db}");
        assert_eq!(voices, 2);
        assert!(meters.take().0 <= -119.0, "reading resets the peak");
    }

    #[test]
    fn the_scope_keeps_the_newest_points_in_order() {
        let scope = Scope::default();
        // 12.8 kHz: one sample per point, so the ring covers exactly SCOPE_SECONDS.
        let rate = SCOPE_POINTS as f32 / SCOPE_SECONDS;
        let ramp: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0).collect();
        scope.write(rate, &ramp, &ramp);
        let mut out = Vec::new();
        assert_eq!(scope.read(&mut out), rate);
        assert_eq!(out.len(), SCOPE_POINTS);
        assert_eq!(out.first(), Some(&ramp[1000 - SCOPE_POINTS]));
        assert_eq!(out.last(), Some(&ramp[999]));
    }
}
