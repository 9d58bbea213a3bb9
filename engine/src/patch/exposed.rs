//! A patch's exposed parameters: node and effect parameters the host automates directly, each a 0..1
//! control position mapped onto a value in the parameter's own unit.
//!
//! Declared in the patch's `params` section, checked by validation, carried by the compiled
//! [`crate::Schedule`] and moved by [`crate::EventKind::Param`]. The helpers here (position ↔ value, value
//! ↔ text) are what a plugin shows and parses; any thread.

use ferrule_nodes::Unit;

use crate::diagnostics::Diagnostics;
use crate::patch::PatchSource;

/// Most parameters a patch may expose.
pub const MAX_EXPOSED: usize = 16;

/// One exposed parameter as the host sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExposedParam {
    /// The name the host shows (`Cutoff`).
    pub name: String,
    /// The parameter it moves, `"node.param"`.
    pub target: String,
    /// The parameter's unit (never [`Unit::Choice`]: choices cannot be exposed).
    pub unit: Unit,
    /// The value at position 0, in `unit`.
    pub min: f32,
    /// The value at position 1, in `unit`; above `min`.
    pub max: f32,
    /// The file's value of the parameter, in `unit`, within `min..=max`.
    pub default: f32,
}

impl ExposedParam {
    /// Whether positions map logarithmically: hertz and seconds with `min > 0` (equal steps of the control
    /// are equal ratios, as the ear hears them); every other parameter maps linearly.
    pub fn is_logarithmic(&self) -> bool {
        matches!(self.unit, Unit::Hertz | Unit::Seconds) && self.min > 0.0
    }

    /// The value, in `unit`, at control position `position` (clamped to 0..=1; a non-finite position gives
    /// the default). The default's own position gives the file's value exactly, so a host that sends the
    /// default changes nothing. Allocation-free; the engine calls it on the audio thread.
    pub fn value(&self, position: f32) -> f32 {
        if !position.is_finite() {
            return self.default;
        }
        let p = position.clamp(0.0, 1.0);
        if p == self.default_position() {
            return self.default;
        }
        let value = if self.is_logarithmic() {
            self.min * ((self.max / self.min).ln() * p).exp()
        } else {
            self.min + (self.max - self.min) * p
        };
        value.clamp(self.min, self.max)
    }

    /// The control position 0..=1 of `value` (in `unit`, clamped to `min..=max`).
    pub fn position(&self, value: f32) -> f32 {
        if !value.is_finite() || self.max <= self.min {
            return 0.0;
        }
        let v = value.clamp(self.min, self.max);
        let p = if self.is_logarithmic() {
            (v / self.min).ln() / (self.max / self.min).ln()
        } else {
            (v - self.min) / (self.max - self.min)
        };
        p.clamp(0.0, 1.0)
    }

    /// The default's control position: what the host shows as the parameter's default.
    pub fn default_position(&self) -> f32 {
        self.position(self.default)
    }

    /// `value` (in `unit`) as a host shows it: `1200 Hz`, `45.5 Hz`, `0.35 s`, `-6.0 dB`, `7.0 st`, `0.60`.
    ///
    /// The number of decimals depends on the magnitude (hertz below 100 and seconds below 0.1 get more),
    /// judged on the value as rounded for display, so text and value agree: 99.96 Hz shows as `100 Hz`,
    /// never `100.0 Hz`, and [`ExposedParam::parse`] of a shown text shows the same text again.
    pub fn format(&self, value: f32) -> String {
        let (symbol, decimals) = match self.unit {
            Unit::Hertz => (" Hz", fixed(value, &[(100.0, 1)], 0)),
            Unit::Seconds => (" s", fixed(value, &[(0.1, 3)], 2)),
            Unit::Decibels => (" dB", 1),
            Unit::Semitones => (" st", 1),
            Unit::Cents => (" ct", 0),
            Unit::Linear | Unit::Choice => ("", 2),
        };
        let text = format!("{value:.decimals$}");
        // `-0.0` reads back as 0 and shows as `0.0`: show it as that in the first place.
        let text = match text.strip_prefix('-') {
            Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
            _ => text,
        };
        format!("{text}{symbol}")
    }

    /// Parses text typed into the host: a number, optionally followed by the unit (`1200`, `1200 Hz`,
    /// `1.2 kHz`, `350 ms`, `-6 dB`). Returns the value in `unit`, clamped to `min..=max`; `None` when it
    /// is not a number.
    pub fn parse(&self, text: &str) -> Option<f32> {
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        let (number, scale) = match self.unit {
            Unit::Hertz if lower.ends_with("khz") => (&text[..text.len() - 3], 1000.0),
            Unit::Hertz if lower.ends_with("hz") => (&text[..text.len() - 2], 1.0),
            Unit::Seconds if lower.ends_with("ms") => (&text[..text.len() - 2], 0.001),
            Unit::Seconds if lower.ends_with('s') => (&text[..text.len() - 1], 1.0),
            Unit::Decibels if lower.ends_with("db") => (&text[..text.len() - 2], 1.0),
            Unit::Semitones if lower.ends_with("st") => (&text[..text.len() - 2], 1.0),
            Unit::Cents if lower.ends_with("ct") => (&text[..text.len() - 2], 1.0),
            _ => (text, 1.0),
        };
        let value = (number.trim().parse::<f64>().ok()? * scale) as f32;
        value.is_finite().then(|| value.clamp(self.min, self.max))
    }

    /// Whether `other` is the same control for the host: same name, default and range. A reload that
    /// keeps an exposed parameter the same keeps the host's position for it; one that changes any of
    /// these (a sound designer edited the number in the file) makes it start at the new default.
    pub fn same_control(&self, other: &ExposedParam) -> bool {
        self.name == other.name && self.default == other.default && self.min == other.min && self.max == other.max
    }
}

/// How many decimals to show `value` with: the decimals of the first `(below, decimals)` whose threshold
/// the value, rounded to those decimals, stays below in magnitude; `otherwise` past them all.
fn fixed(value: f32, thresholds: &[(f64, usize)], otherwise: usize) -> usize {
    for &(below, decimals) in thresholds {
        let scale = 10f64.powi(decimals as i32);
        let rounded = (f64::from(value.abs()) * scale).round() / scale;
        // Compared in decimal (`0.1`, not `0.1f32` widened, which is a little above 0.1).
        if rounded < below {
            return decimals;
        }
    }
    otherwise
}

/// The exposed parameters `source` declares, in order, or its diagnostics when it does not validate. For
/// a caller that has the source but not the schedule (a plugin following a hot reload compiled on another
/// thread). Any thread but the audio thread.
pub fn exposed_params(source: &PatchSource) -> Result<Vec<ExposedParam>, Diagnostics> {
    Ok(crate::compile::validate::parse_and_validate(source)?.exposed.iter().map(|e| e.param.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cutoff() -> ExposedParam {
        ExposedParam {
            name: "Cutoff".into(),
            target: "filter.cutoff".into(),
            unit: Unit::Hertz,
            min: 20.0,
            max: 20_000.0,
            default: 632.455_5,
        }
    }

    #[test]
    fn hertz_map_logarithmically_and_round_trip() {
        let c = cutoff();
        assert_eq!(c.value(0.0), 20.0);
        assert_eq!(c.value(1.0), 20_000.0);
        assert!((c.value(0.5) - 632.455_5).abs() < 0.05, "the middle is the geometric mean");
        assert!((c.default_position() - 0.5).abs() < 1e-5);
        for p in [0.0, 0.1, 0.37, 0.9, 1.0] {
            assert!((c.position(c.value(p)) - p).abs() < 1e-5);
        }
        assert_eq!(c.value(f32::NAN), c.default);
    }

    #[test]
    fn other_units_map_linearly() {
        let mix = ExposedParam { unit: Unit::Linear, min: 0.0, max: 0.6, default: 0.3, ..cutoff() };
        assert!((mix.value(0.5) - 0.3).abs() < 1e-6);
        let from_zero = ExposedParam { unit: Unit::Seconds, min: 0.0, max: 2.0, default: 1.0, ..cutoff() };
        assert!(!from_zero.is_logarithmic(), "a range from 0 s cannot be logarithmic");
        assert!((from_zero.value(0.25) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn text_in_the_parameters_unit() {
        let c = cutoff();
        assert_eq!(c.format(1200.0), "1200 Hz");
        assert_eq!(c.parse("1200 Hz"), Some(1200.0));
        assert_eq!(c.parse("1.2 kHz"), Some(1200.0));
        assert_eq!(c.parse("99999"), Some(20_000.0));
        assert_eq!(c.parse("bright"), None);
        let time = ExposedParam { unit: Unit::Seconds, min: 0.001, max: 10.0, default: 0.35, ..cutoff() };
        assert_eq!(time.format(0.35), "0.35 s");
        assert_eq!(time.parse("350 ms"), Some(0.35));
        let gain = ExposedParam { unit: Unit::Decibels, min: -60.0, max: 6.0, default: -6.0, ..cutoff() };
        assert_eq!(gain.format(-6.0), "-6.0 dB");
        assert_eq!(gain.parse("-6 dB"), Some(-6.0));
    }
}
