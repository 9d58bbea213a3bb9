//! A mono delay line: a power-of-two ring buffer written one sample at a time and read at integer or
//! fractional delays.
//!
//! Written by hand rather than taken from a crate because it runs per sample on the audio thread inside
//! feedback loops, where it must never allocate, branch on capacity or panic: every index is masked, every
//! fractional delay is clamped into the buffer.

/// A ring buffer of `f32` samples. The buffer is allocated by [`DelayLine::new`] (off the audio thread);
/// every other method is audio-thread safe.
///
/// Reads follow "read, then push": within one sample period a node first reads the delayed signal (which may
/// feed back into what it writes) and then pushes the new sample, so a read at delay `d` returns the sample
/// pushed `d` periods before the one about to be pushed (`d ≥ 1`).
pub(crate) struct DelayLine {
    buf: Vec<f32>,
    mask: usize,
    /// Index the next push writes to.
    write: usize,
}

// `Vec::clone_from` copies into the buffer it has when the lengths match (lines made for the same
// delay at the same rate), which is when the engine copies one line into another.
crate::clone_in_place!(DelayLine { buf, mask, write });

impl std::fmt::Debug for DelayLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The contents would be megabytes of numbers; the capacity is what tells lines apart.
        f.debug_struct("DelayLine").field("capacity", &self.buf.len()).finish()
    }
}

impl DelayLine {
    /// A silent line that can delay by at least `max_delay` samples with any interpolation below. Allocates;
    /// call off the audio thread.
    pub(crate) fn new(max_delay: usize) -> DelayLine {
        let capacity = Self::capacity_for(max_delay);
        DelayLine { buf: crate::memory::resident_vec(0.0, capacity), mask: capacity - 1, write: 0 }
    }

    /// The samples [`DelayLine::new`] allocates for `max_delay`: a power of two with room for interpolation.
    fn capacity_for(max_delay: usize) -> usize {
        max_delay.saturating_add(4).checked_next_power_of_two().unwrap_or(usize::MAX)
    }

    /// Bytes of heap memory [`DelayLine::new`] allocates for `max_delay`, without allocating. Any thread.
    pub(crate) fn bytes_for(max_delay: usize) -> usize {
        Self::capacity_for(max_delay).saturating_mul(std::mem::size_of::<f32>())
    }

    /// How many samples this line holds (a power of two). Any thread.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The longest delay in samples that every read method serves exactly; longer requests are clamped to it.
    #[inline]
    pub(crate) fn max_delay(&self) -> f32 {
        (self.buf.len() - 3) as f32
    }

    /// Appends one sample. Audio thread.
    #[inline(always)]
    pub(crate) fn push(&mut self, x: f32) {
        self.buf[self.write & self.mask] = x;
        self.write = (self.write + 1) & self.mask;
    }

    /// The sample pushed `d` periods before the next push (`d` is clamped to `1..=capacity`). Audio thread.
    #[inline(always)]
    pub(crate) fn tap(&self, d: usize) -> f32 {
        self.buf[self.write.wrapping_sub(d.max(1)) & self.mask]
    }

    /// The signal `d` samples back, linearly interpolated (`d` clamped to `1..=max_delay`; NaN reads at 1).
    /// Exact when `d` is whole. Audio thread.
    #[inline(always)]
    pub(crate) fn linear(&self, d: f32) -> f32 {
        let d = crate::dsp::clamp(d, 1.0, self.max_delay());
        let whole = d as usize;
        let t = d - whole as f32;
        let a = self.tap(whole);
        let b = self.tap(whole + 1);
        a + t * (b - a)
    }

    /// The signal `d` samples back, by 4-point cubic Hermite interpolation (`d` clamped to `2..=max_delay`;
    /// NaN reads at 2). Flatter in frequency than [`DelayLine::linear`] when `d` sweeps, so a modulated
    /// delay does not flutter in brightness. Exact when `d` is whole. Audio thread.
    #[inline(always)]
    pub(crate) fn hermite(&self, d: f32) -> f32 {
        let d = crate::dsp::clamp(d, 2.0, self.max_delay());
        let whole = d as usize;
        let t = d - whole as f32;
        let (ym1, y0, y1, y2) = (self.tap(whole - 1), self.tap(whole), self.tap(whole + 1), self.tap(whole + 2));
        let c1 = 0.5 * (y1 - ym1);
        let c2 = ym1 - 2.5 * y0 + 2.0 * y1 - 0.5 * y2;
        let c3 = 0.5 * (y2 - ym1) + 1.5 * (y0 - y1);
        ((c3 * t + c2) * t + c1) * t + y0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_delays_are_exact_and_fractions_interpolate() {
        let mut line = DelayLine::new(100);
        for i in 0..300 {
            line.push(i as f32);
        }
        // The last push was 299, so `d` back from the next push is 300 − d.
        assert_eq!(line.tap(1), 299.0);
        assert_eq!(line.linear(10.0), 290.0);
        assert_eq!(line.hermite(10.0), 290.0);
        assert!((line.linear(10.25) - 289.75).abs() < 1e-4);
        // A ramp is a cubic, so Hermite reproduces it.
        assert!((line.hermite(10.25) - 289.75).abs() < 1e-4);
        // Out-of-range and NaN delays are clamped, never out of bounds.
        assert!(line.hermite(f32::NAN).is_finite() && line.linear(1e9).is_finite() && line.tap(usize::MAX) >= 0.0);
    }
}
