//! The instrument's host parameters: eight macros, the master volume and sixteen slots for the patch's
//! exposed parameters. Ids are stable across patch reloads and never 0 (JUCE-based hosts write MIDI CCs
//! into parameter 0).

use std::sync::atomic::{AtomicU32, Ordering};

/// How many macro parameters the instrument always exposes, named by the patch.
pub const MACRO_COUNT: usize = 8;
/// The master volume's parameter id.
pub const MASTER_ID: u32 = 9;
/// The master volume's lowest value in dB (silence); the range is [`ferrule_editor::MASTER_RANGE_DB`].
pub const MASTER_MIN_DB: f64 = ferrule_editor::MASTER_RANGE_DB.0;
/// The master volume's highest value in dB.
pub const MASTER_MAX_DB: f64 = ferrule_editor::MASTER_RANGE_DB.1;
/// How many exposed-parameter slots the instrument always lists; slot `n` is the patch's `n`-th entry
/// under `params` (unused slots do nothing).
pub const EXPOSED_COUNT: usize = ferrule_engine::patch::MAX_EXPOSED;
/// The id of exposed slot 0; slot `n` has id `EXPOSED_BASE_ID + n` (101..=116).
pub const EXPOSED_BASE_ID: u32 = 101;
/// How many host parameters there are.
pub const PARAM_COUNT: usize = MACRO_COUNT + 1 + EXPOSED_COUNT;
/// Every parameter id, in display order: macros, master, exposed slots.
pub const PARAM_IDS: [u32; PARAM_COUNT] = param_ids();

const fn param_ids() -> [u32; PARAM_COUNT] {
    let mut ids = [0; PARAM_COUNT];
    let mut i = 0;
    while i < MACRO_COUNT {
        ids[i] = i as u32 + 1;
        i += 1;
    }
    ids[MACRO_COUNT] = MASTER_ID;
    let mut n = 0;
    while n < EXPOSED_COUNT {
        ids[MACRO_COUNT + 1 + n] = EXPOSED_BASE_ID + n as u32;
        n += 1;
    }
    ids
}

/// What a parameter id controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// Macro `n` (0-based): its control position 0..=1.
    Macro(usize),
    /// Master volume in dB.
    Master,
    /// Exposed slot `n` (0-based): the control position 0..=1 of the patch's `n`-th exposed parameter.
    Exposed(usize),
}

impl Param {
    /// The parameter with host id `id`.
    pub fn from_id(id: u32) -> Option<Param> {
        match id {
            1..=8 => Some(Param::Macro(id as usize - 1)),
            MASTER_ID => Some(Param::Master),
            _ => match id.checked_sub(EXPOSED_BASE_ID) {
                Some(n) if (n as usize) < EXPOSED_COUNT => Some(Param::Exposed(n as usize)),
                _ => None,
            },
        }
    }

    /// The host id.
    pub fn id(self) -> u32 {
        match self {
            Param::Macro(i) => i as u32 + 1,
            Param::Master => MASTER_ID,
            Param::Exposed(n) => EXPOSED_BASE_ID + n as u32,
        }
    }

    /// Range `(min, max)` of the value the host sees.
    pub fn range(self) -> (f64, f64) {
        match self {
            Param::Macro(_) | Param::Exposed(_) => (0.0, 1.0),
            Param::Master => (MASTER_MIN_DB, MASTER_MAX_DB),
        }
    }

    /// `value` as the host shows it (`42 %`, `-6.0 dB`). An exposed parameter's text in its own unit
    /// needs the patch: see `PluginCore::param_text`; here it shows as a percentage.
    pub fn format(self, value: f64) -> String {
        match self {
            Param::Macro(_) | Param::Exposed(_) => format!("{:.0} %", value * 100.0),
            Param::Master => format!("{value:.1} dB"),
        }
    }

    /// Parses text typed into the host (`42`, `42 %`, `-6 dB`).
    pub fn parse(self, text: &str) -> Option<f64> {
        let text = text.trim();
        let value = match self {
            Param::Macro(_) | Param::Exposed(_) => text.trim_end_matches('%').trim().parse::<f64>().ok()? / 100.0,
            Param::Master => text.trim_end_matches("dB").trim().parse::<f64>().ok()?,
        };
        let (min, max) = self.range();
        value.is_finite().then(|| value.clamp(min, max))
    }
}

/// Current parameter values, shared by the main thread, the audio thread and the host. Lock-free.
#[derive(Debug)]
pub struct SharedParams {
    values: [AtomicU32; PARAM_COUNT],
}

impl Default for SharedParams {
    fn default() -> Self {
        SharedParams { values: std::array::from_fn(|_| AtomicU32::new(0f32.to_bits())) }
    }
}

impl SharedParams {
    fn slot(param: Param) -> usize {
        match param {
            Param::Macro(i) if i < MACRO_COUNT => i,
            Param::Master => MACRO_COUNT,
            Param::Exposed(n) if n < EXPOSED_COUNT => MACRO_COUNT + 1 + n,
            // Out-of-range indices name no value.
            Param::Macro(_) | Param::Exposed(_) => usize::MAX,
        }
    }

    /// The value of `param`. Any thread.
    pub fn get(&self, param: Param) -> f64 {
        self.values.get(Self::slot(param)).map_or(0.0, |v| f32::from_bits(v.load(Ordering::Relaxed)) as f64)
    }

    /// Sets `param`, clamped to its range; non-finite values and unknown slots are ignored. Any thread.
    pub fn set(&self, param: Param, value: f64) {
        if Self::slot(param) >= PARAM_COUNT {
            return;
        }
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
        assert_eq!(Param::from_id(101), Some(Param::Exposed(0)));
        assert_eq!(Param::from_id(116), Some(Param::Exposed(15)));
        assert_eq!(Param::from_id(117), None);
        assert_eq!(Param::from_id(100), None);
    }

    #[test]
    fn text_round_trips() {
        assert_eq!(Param::Macro(0).parse(&Param::Macro(0).format(0.42)), Some(0.42));
        assert_eq!(Param::Master.parse("-6.5 dB"), Some(-6.5));
        assert_eq!(Param::Master.parse("99"), Some(MASTER_MAX_DB));
        assert_eq!(Param::Master.parse("loud"), None);
    }
}
