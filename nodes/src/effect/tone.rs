//! One-pole low- and high-pass filters (trapezoidal, zero-delay feedback) that colour a delay's repeats.
//! 6 dB/octave: gentle enough that a repeat darkens a little more each time round the loop, as on tape.

use crate::dsp::approx::tan_pi;
use crate::dsp::clamp;

/// The gain `G = g / (1 + g)`, `g = tan(π·cutoff/fs)`, of a one-pole TPT filter at `cutoff` Hz. Per call.
#[inline]
pub(crate) fn one_pole_gain(cutoff: f32, sample_rate: f32) -> f32 {
    let g = tan_pi(clamp(cutoff / sample_rate.max(1.0), 1e-6, 0.49));
    g / (1.0 + g)
}

/// A one-pole filter's memory. Its gain is passed per sample so that callers can ramp it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OnePole {
    state: f32,
}

impl OnePole {
    /// The low-pass output for input `x` at gain `gain` (from [`one_pole_gain`]); unity gain at DC. Audio
    /// thread.
    #[inline(always)]
    pub(crate) fn low_pass(&mut self, x: f32, gain: f32) -> f32 {
        let v = (x - self.state) * gain;
        let y = v + self.state;
        self.state = crate::effect::flush(y + v);
        y
    }

    /// The high-pass output (`x` minus the low-pass) at gain `gain`; unity gain at Nyquist. Audio thread.
    #[inline(always)]
    pub(crate) fn high_pass(&mut self, x: f32, gain: f32) -> f32 {
        x - self.low_pass(x, gain)
    }
}
