//! Oscillators: sound sources that follow the voice's pitch.

pub mod pulse;
pub mod saw;
pub mod sine;

use crate::spec::{ParamSpec, Unit};

/// `pitch`: every oscillator's offset from the played note, in semitones.
pub(crate) const PITCH_PARAM: ParamSpec =
    ParamSpec::new("pitch", "Offset from the played note.", Unit::Semitones, -48.0, 48.0, 0.0, 5.0);
/// `fine`: every oscillator's fine tuning, in cents.
pub(crate) const FINE_PARAM: ParamSpec = ParamSpec::new("fine", "Fine tuning.", Unit::Cents, -100.0, 100.0, 0.0, 5.0);
/// `level`: every oscillator's output amplitude.
pub(crate) const LEVEL_PARAM: ParamSpec =
    ParamSpec::new("level", "Output amplitude.", Unit::Linear, 0.0, 2.0, 1.0, 5.0);
