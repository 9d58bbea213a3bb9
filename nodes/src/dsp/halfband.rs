//! 2× oversampling with a polyphase half-band FIR: up to twice the rate, run a nonlinearity there, and back.
//!
//! The filter is a 39-tap half-band low-pass (windowed sinc, Kaiser β = 6), designed for 48 kHz material: at
//! the doubled rate it passes 0..0.2·fs₂ (0..19.2 kHz) within 0.01 dB and stops 0.3·fs₂..0.5·fs₂
//! (28.8..48 kHz) by 60 dB, so neither the upsampler's images nor the harmonics a shaper makes between 28.8 and
//! 48 kHz reach the audible band. Half its taps are zero and the centre tap is ½, so each direction costs 20
//! multiplies per lane per input sample. Both directions together delay the signal by
//! [`LATENCY`] samples at the input rate.
//!
//! Polyphase form (`h` the filter, centre `h[19] = ½`, nonzero side taps at even indices):
//! up: `u[2n] = 2·Σᵢ h[2i]·x[n − i]`, `u[2n + 1] = x[n − 9]`;
//! down: `y[n] = ½·w[2n − 18] + Σᵢ h[2i]·w[2n + 1 − 2i]`, for `i` in `0..20`.

use crate::lanes::{LANES, Lanes};

/// The first ten side taps `h[0], h[2], …, h[18]` (the other ten mirror them), normalised so that they sum to
/// ½ and the DC gain is exactly 1.
const SIDE: [f32; 10] = [
    -2.491_815e-4,
    1.052_878_6e-3,
    -2.717_897_8e-3,
    5.707_912_4e-3,
    -1.064_907_e-2,
    1.848_745_6e-2,
    -3.098_618_5e-2,
    5.251_087_4e-2,
    -9.906_878e-2,
    3.159_12e-1,
];

/// Taps per polyphase branch.
const TAPS: usize = 20;

/// Ring length (a power of two at least [`TAPS`]); each history is stored twice over so a window of
/// [`TAPS`] values is always contiguous.
const RING: usize = 32;

/// Delay of up- and downsampling together, in samples at the input rate: 37 samples at the doubled rate.
pub(crate) const LATENCY: f32 = 18.5;

/// Tap `i` of the 20-tap branch (`h[2i]`), mirrored from [`SIDE`].
#[inline(always)]
fn tap(i: usize) -> f32 {
    if i < 10 { SIDE[i] } else { SIDE[TAPS - 1 - i] }
}

/// The histories of one lane group's 2× oversampler. Audio thread (created off it; holds no heap memory).
#[derive(Clone, Debug)]
pub(crate) struct Oversampler {
    /// Recent input samples, newest at `pos`, each stored at `pos` and `pos + RING`.
    input: [Lanes; 2 * RING],
    /// Recent odd-phase processed samples `w[2n + 1]`, stored like `input`.
    odd: [Lanes; 2 * RING],
    /// Recent even-phase processed samples `w[2n]`, stored like `input`.
    even: [Lanes; 2 * RING],
    /// Where the newest sample is (counts down, so older samples sit at higher indices).
    pos: usize,
}

impl Oversampler {
    /// Silent histories.
    pub(crate) fn new() -> Oversampler {
        Oversampler {
            input: [[0.0; LANES]; 2 * RING],
            odd: [[0.0; LANES]; 2 * RING],
            even: [[0.0; LANES]; 2 * RING],
            pos: 0,
        }
    }

    /// Clears lane `l` (a fresh voice).
    pub(crate) fn reset_lane(&mut self, l: usize) {
        for buf in [&mut self.input, &mut self.odd, &mut self.even] {
            for v in buf.iter_mut() {
                v[l] = 0.0;
            }
        }
    }

    /// Takes input sample `x[n]` and returns the two samples at the doubled rate, `(u[2n], u[2n + 1])`.
    /// Audio thread.
    #[inline(always)]
    pub(crate) fn up(&mut self, x: Lanes) -> (Lanes, Lanes) {
        self.pos = (self.pos + RING - 1) % RING;
        self.input[self.pos] = x;
        self.input[self.pos + RING] = x;
        let window = &self.input[self.pos..self.pos + TAPS];
        let mut even = [0.0f32; LANES];
        for (i, past) in window.iter().enumerate() {
            let c = 2.0 * tap(i);
            for l in 0..LANES {
                even[l] += c * past[l];
            }
        }
        (even, window[9])
    }

    /// Takes the two processed samples `(w[2n], w[2n + 1])` of the frame just upsampled and returns output
    /// `y[n]`. Call once after each [`Oversampler::up`]. Audio thread.
    #[inline(always)]
    pub(crate) fn down(&mut self, w_even: Lanes, w_odd: Lanes) -> Lanes {
        let p = self.pos;
        self.even[p] = w_even;
        self.even[p + RING] = w_even;
        self.odd[p] = w_odd;
        self.odd[p + RING] = w_odd;
        let centre = self.even[p + 9];
        let mut y = [0.0f32; LANES];
        for l in 0..LANES {
            y[l] = 0.5 * centre[l];
        }
        for (i, past) in self.odd[p..p + TAPS].iter().enumerate() {
            let c = tap(i);
            for l in 0..LANES {
                y[l] += c * past[l];
            }
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Magnitude response in dB of the full 39-tap filter at `f` (a fraction of the doubled rate).
    fn response_db(f: f64) -> f64 {
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for n in 0..39usize {
            let h = if n == 19 {
                0.5
            } else if n % 2 == 0 {
                tap(n / 2) as f64
            } else {
                0.0
            };
            re += h * (std::f64::consts::TAU * f * n as f64).cos();
            im += h * (std::f64::consts::TAU * f * n as f64).sin();
        }
        20.0 * re.hypot(im).max(1e-30).log10()
    }

    #[test]
    fn passes_the_audible_band_and_stops_the_images() {
        for k in 0..=200 {
            let f = k as f64 * 0.001;
            assert!(response_db(f).abs() < 0.01, "passband at {f}: {} dB", response_db(f));
        }
        for k in 300..=500 {
            let f = k as f64 * 0.001;
            assert!(response_db(f) < -60.0, "stopband at {f}: {} dB", response_db(f));
        }
    }

    /// Up then straight down reproduces a 1 kHz tone at 48 kHz, delayed by `LATENCY` samples, within −80 dB.
    #[test]
    fn round_trip_is_a_pure_delay_in_the_passband() {
        let mut os = Oversampler::new();
        let f = 1000.0 / 48_000.0;
        let x = |n: f64| (std::f64::consts::TAU * f * n).sin();
        let mut worst = 0.0f64;
        for n in 0..4000 {
            let (a, b) = os.up([x(n as f64) as f32; LANES]);
            let y = os.down(a, b);
            if n > 100 {
                worst = worst.max((y[3] as f64 - x(n as f64 - LATENCY as f64)).abs());
            }
        }
        assert!(worst < 1e-4, "round trip error {worst}");
    }
}
