//! What a host may ask the plugin to run at: the one check of a processing setup that both formats use,
//! before anything is kept (VST3's `setupProcessing`) or compiled (activation in either format).

use std::ops::RangeInclusive;

/// The sample rates Ferrule runs at, in Hz: those the engine's compiler accepts (hosts use 44,100 to
/// 192,000; validators try far more).
pub const SAMPLE_RATES: RangeInclusive<f64> = 1_000.0..=768_000.0;

/// Why a host's processing setup is refused. The plugin keeps the setup it had.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SetupError {
    /// A sample rate outside [`SAMPLE_RATES`] (or not a number), in Hz.
    SampleRate(f64),
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::SampleRate(rate) => write!(
                f,
                "cannot run at {rate} Hz: Ferrule runs at {} to {} Hz",
                SAMPLE_RATES.start(),
                SAMPLE_RATES.end()
            ),
        }
    }
}

impl std::error::Error for SetupError {}

/// Checks a host's sample rate, in Hz, before it is kept or compiled for. The maximum block size needs
/// no check: nothing is sized by it (any size from 1 frame is played, in pieces where needed). Any thread;
/// no allocation.
pub fn check_sample_rate(sample_rate: f64) -> Result<(), SetupError> {
    if SAMPLE_RATES.contains(&sample_rate) { Ok(()) } else { Err(SetupError::SampleRate(sample_rate)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_engine::{CompileSettings, PatchSource, compile};

    /// Whether the engine's compiler accepts `rate`, for the default patch.
    fn compiles_at(rate: f64) -> bool {
        let source = PatchSource { path: "default".into(), text: crate::core::DEFAULT_PATCH.into() };
        compile(
            &source,
            &CompileSettings { sample_rate: rate as f32, max_block: 512, polyphony: None, ..Default::default() },
        )
        .is_ok()
    }

    #[test]
    fn the_rates_accepted_are_the_rates_the_compiler_accepts() {
        for rate in [1_000.0, 44_100.0, 768_000.0, 999.0, 769_000.0, 1_234_567.8] {
            assert_eq!(check_sample_rate(rate).is_ok(), compiles_at(rate), "{rate} Hz");
        }
        for rate in [0.0, -48_000.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(check_sample_rate(rate), Err(SetupError::SampleRate(_))), "{rate} Hz");
        }
        assert_eq!(
            check_sample_rate(1_234_567.8).unwrap_err().to_string(),
            "cannot run at 1234567.8 Hz: Ferrule runs at 1000 to 768000 Hz"
        );
    }
}
