//! Schroeder all-pass diffuser: a delay line with feedforward and feedback of equal and opposite gain. It
//! passes every frequency at unit gain and smears an impulse into a dense burst, which is what a reverb's
//! input needs before it enters the feedback network.

use crate::dsp::delay_line::DelayLine;

/// One all-pass section of fixed length, `y[n] = −g·w[n] + w[n−D]` with `w[n] = x[n] + g·w[n−D]`. The length
/// is fixed at construction (off the audio thread); [`Allpass::process`] is audio-thread safe.
#[derive(Debug)]
pub(crate) struct Allpass {
    line: DelayLine,
    length: usize,
    gain: f32,
}

crate::clone_in_place!(Allpass { line, length, gain });

impl Allpass {
    /// A section delaying by `length` samples (at least 1) with feedback gain `gain` (`|gain| < 1`).
    /// Allocates.
    pub(crate) fn new(length: usize, gain: f32) -> Allpass {
        let length = length.max(1);
        Allpass { line: DelayLine::new(length), length, gain: gain.clamp(-0.95, 0.95) }
    }

    /// Filters one sample. Audio thread.
    #[inline(always)]
    pub(crate) fn process(&mut self, x: f32) -> f32 {
        let delayed = self.line.tap(self.length);
        let w = crate::effect::flush(x + self.gain * delayed);
        self.line.push(w);
        delayed - self.gain * w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_all_energy() {
        let mut ap = Allpass::new(37, 0.6);
        let energy: f64 = (0..20_000).map(|i| ap.process(if i == 0 { 1.0 } else { 0.0 }) as f64).map(|y| y * y).sum();
        assert!((energy - 1.0).abs() < 1e-4, "impulse energy {energy}");
    }
}
