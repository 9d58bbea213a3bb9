//! The instrument's host parameters: eight macros and the master volume. Ids are stable across patch
//! reloads and never 0 (JUCE-based hosts write MIDI CCs into parameter 0).

use std::sync::atomic::{AtomicU32, Ordering};

/// How many macro parameters the instrument always exposes, named by the patch.
pub const MACRO_COUNT: usize = 8;
/// The master volume's parameter id.
pub const MASTER_ID: u32 = 9;
/// Master volume range in dB.
pub const MASTER_MIN_DB: f64 = -60.0;
/// Master volume range in dB.
pub const MASTER_MAX_DB: f64 = 6.0;
/// Every parameter id, in display order.
pub const PARAM_IDS: [u32; MACRO_COUNT + 1] = [1, 2, 3, 4, 5, 6, 7, 8, MASTER_ID];

/// What a parameter id controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// Macro `n` (0-based): its control position 0..=1.
    Macro(usize),
    /// Master volume in dB.
    Master,
}

impl Param {
    /// The parameter with host id `id`.
    pub fn from_id(id: u32) -> Option<Param> {
        match id {
            1..=8 => Some(Param::Macro(id as usize - 1)),
            MASTER_ID => Some(Param::Master),
            _ => None,
        }
    }

    /// The host id.
    pub fn id(self) -> u32 {
        match self {
            Param::Macro(i) => i as u32 + 1,
            Param::Master => MASTER_ID,
        }
    }

    /// Range `(min, max)` of the value the host sees.
    pub fn range(self) -> (f64, f64) {
        match self {
            Param::Macro(_) => (0.0, 1.0),
            Param::Master => (MASTER_MIN_DB, MASTER_MAX_DB),
        }
    }

    /// `value` as the host shows it (`42 %`, `-6.0 dB`).
    pub fn format(self, value: f64) -> String {
        match self {
            Param::Macro(_) => format!("{:.0} %", value * 100.0),
            Param::Master => format!("{value:.1} dB"),
        }
    }

    /// Parses text typed into the host (`42`, `42 %`, `-6 dB`).
    pub fn parse(self, text: &str) -> Option<f64> {
        let text = text.trim();
        let value = match self {
            Param::Macro(_) => text.trim_end_matches('%').trim().parse::<f64>().ok()? / 100.0,
            Param::Master => text.trim_end_matches("dB").trim().parse::<f64>().ok()?,
        };
        let (min, max) = self.range();
        value.is_finite().then(|| value.clamp(min, max))
    }
}

/// Current parameter values, shared by the main thread, the audio thread and the host. Lock-free.
#[derive(Debug)]
pub struct SharedParams {
    values: [AtomicU32; MACRO_COUNT + 1],
}

impl Default for SharedParams {
    fn default() -> Self {
        SharedParams { values: std::array::from_fn(|_| AtomicU32::new(0f32.to_bits())) }
    }
}

impl SharedParams {
    fn slot(param: Param) -> usize {
        match param {
            Param::Macro(i) => i,
            Param::Master => MACRO_COUNT,
        }
    }

    /// The value of `param`. Any thread.
    pub fn get(&self, param: Param) -> f64 {
        f32::from_bits(self.values[Self::slot(param)].load(Ordering::Relaxed)) as f64
    }

    /// Sets `param`, clamped to its range; non-finite values are ignored. Any thread.
    pub fn set(&self, param: Param, value: f64) {
        if value.is_finite() {
            let (min, max) = param.range();
            self.values[Self::slot(param)].store((value.clamp(min, max) as f32).to_bits(), Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_zero_is_unused() {
        assert_eq!(Param::from_id(0), None);
        for id in PARAM_IDS {
            assert_eq!(Param::from_id(id).map(Param::id), Some(id));
        }
    }

    #[test]
    fn text_round_trips() {
        assert_eq!(Param::Macro(0).parse(&Param::Macro(0).format(0.42)), Some(0.42));
        assert_eq!(Param::Master.parse("-6.5 dB"), Some(-6.5));
        assert_eq!(Param::Master.parse("99"), Some(MASTER_MAX_DB));
        assert_eq!(Param::Master.parse("loud"), None);
    }
}
