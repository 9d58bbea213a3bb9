//! Pitch conversions shared by the oscillators.

use crate::spec::exp2;

/// Frequency in Hz of a pitch in semitones on the MIDI scale (69.0 = A4 = 440 Hz).
#[inline]
pub fn semitones_to_hz(semitones: f32) -> f32 {
    440.0 * exp2((semitones - 69.0) * (1.0 / 12.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a4_is_440_and_a5_is_880() {
        assert!((semitones_to_hz(69.0) - 440.0).abs() < 1e-3);
        assert!((semitones_to_hz(81.0) - 880.0).abs() < 1e-3);
        assert!((semitones_to_hz(21.0) - 27.5).abs() < 1e-4);
    }
}
