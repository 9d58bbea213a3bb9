//! Oscillators: sound sources that follow the voice's pitch.
//!
//! The band-limited ones (`saw`, `pulse`, `triangle`, `sub`, `supersaw`, and `sine` with `sync` connected)
//! share one crate-private core: windowed-sinc BLEP/BLAMP residuals 24 samples long, which keep every aliased
//! partial at least 60 dB under the fundamental up to 2 kHz at 48 kHz (40 dB up to 5 kHz is the bar; they
//! measure better than 60 there too), at the cost of a fixed output delay of 12 samples (0.25 ms at 48 kHz,
//! 0.125 ms at 96 kHz). `sine` without `sync`, and `noise`, have no delay.

pub(crate) mod core;
pub mod noise;
pub mod pulse;
pub mod saw;
pub mod sine;
pub mod sub;
pub mod supersaw;
pub mod triangle;

use crate::spec::{ParamSpec, PortSpec, Unit};

/// `pitch`: every oscillator's offset from the played note, in semitones.
pub(crate) const PITCH_PARAM: ParamSpec = ParamSpec::new(
    "pitch",
    "Offset from the played note (or from `freq` when set), in semitones, −48..48.",
    Unit::Semitones,
    -48.0,
    48.0,
    0.0,
    5.0,
);
/// `fine`: every oscillator's fine tuning, in cents.
pub(crate) const FINE_PARAM: ParamSpec =
    ParamSpec::new("fine", "Fine tuning in cents, −100..100.", Unit::Cents, -100.0, 100.0, 0.0, 5.0);
/// `level`: every oscillator's output amplitude.
pub(crate) const LEVEL_PARAM: ParamSpec =
    ParamSpec::new("level", "Output amplitude (linear gain), 0..2.", Unit::Linear, 0.0, 2.0, 1.0, 5.0);
/// `freq`: a fixed frequency in Hz that replaces the played note when above zero.
pub(crate) const FREQ_PARAM: ParamSpec = ParamSpec::new(
    "freq",
    "Fixed frequency in Hz, 0..20000; 0 follows the played note, above 0 ignores it (`pitch` and `fine` still \
     offset it).",
    Unit::Hertz,
    0.0,
    20_000.0,
    0.0,
    5.0,
);
/// `fm_depth`: how many Hz one unit on the `fm` input adds.
pub(crate) const FM_DEPTH_PARAM: ParamSpec = ParamSpec::new(
    "fm_depth",
    "Linear FM depth in Hz per unit of the `fm` input, 0..20000; the frequency may pass through zero and run \
     backwards.",
    Unit::Linear,
    0.0,
    20_000.0,
    0.0,
    5.0,
);
/// `fm`: the linear (through-zero) FM input.
pub(crate) const FM_PORT: PortSpec =
    PortSpec { name: "fm", doc: "linear FM, any value; adds input × `fm_depth` Hz to the frequency, per sample" };
/// `sync`: the hard-sync input.
pub(crate) const SYNC_PORT: PortSpec = PortSpec {
    name: "sync",
    doc: "hard sync, any signal; each rising zero crossing restarts the cycle (band-limited at the reset)",
};
/// `out`: the main output of an oscillator.
pub(crate) const OUT_PORT: PortSpec = PortSpec { name: "out", doc: "audio, ±level" };
