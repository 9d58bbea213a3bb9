//! VST3 note expressions: which of the SDK's predefined types Ferrule plays, and how their normalised
//! values (always 0..1 on the wire) map onto the engine's [`Expression`] units.
//!
//! The mapping is the SDK's, from `pluginterfaces/vst/ivstnoteexpression.h` (`NoteExpressionTypeIDs`):
//! - `kVolumeTypeID`: plain = 20·log10(4·norm) dB (0 = −∞, 0.25 = 0 dB, 0.5 = +6 dB, 1 = +12 dB), so the
//!   engine's linear gain is 4·norm;
//! - `kPanTypeID`: 0 left, 0.5 centre, 1 right, which is the engine's pan as is;
//! - `kTuningTypeID`: semitones = 240·(norm − 0.5), ten octaves either way;
//! - `kVibratoTypeID`, `kExpressionTypeID`, `kBrightnessTypeID`: 0..1, as is.
//!
//! Text and typing go through [`crate::core::expression`], in the engine's units, so CLAP and VST3 read
//! a value the same way. Pressure has no VST3 note expression type: it arrives as `kPolyPressureEvent`.

use ferrule_engine::Expression;
use vst3::Steinberg::Vst::NoteExpressionTypeIDs_::{
    kBrightnessTypeID, kExpressionTypeID, kPanTypeID, kTuningTypeID, kVibratoTypeID, kVolumeTypeID,
};
use vst3::Steinberg::Vst::NoteExpressionTypeInfo_::NoteExpressionTypeFlags_::{kIsAbsolute, kIsBipolar};
use vst3::Steinberg::Vst::{NoteExpressionTypeID, NoteExpressionTypeInfo, NoteExpressionValueDescription};

use super::text;
use crate::core::expression;

/// The note expressions Ferrule answers to, in the order the controller lists them: type id, engine
/// expression, title, short title.
const TYPES: [(NoteExpressionTypeID, Expression, &str, &str); 6] = [
    (kVolumeTypeID, Expression::Volume, "Volume", "Vol"),
    (kPanTypeID, Expression::Pan, "Pan", "Pan"),
    (kTuningTypeID, Expression::Tuning, "Tuning", "Tune"),
    (kVibratoTypeID, Expression::Vibrato, "Vibrato", "Vib"),
    (kExpressionTypeID, Expression::Expression, "Expression", "Expr"),
    (kBrightnessTypeID, Expression::Brightness, "Brightness", "Bright"),
];

/// How many note expressions the controller lists (per channel of the one event bus).
pub const COUNT: i32 = TYPES.len() as i32;

/// The engine expression a VST3 type id stands for; `None` for types Ferrule does not play (text,
/// phonemes, custom ids).
pub fn expression(type_id: NoteExpressionTypeID) -> Option<Expression> {
    TYPES.iter().find(|t| t.0 == type_id).map(|t| t.1)
}

/// The engine value (its unit, see [`Expression`]) for the host's normalised `norm`, clamped to 0..1;
/// `None` when `norm` is not finite. Audio thread: no allocation.
pub fn plain(expression: Expression, norm: f64) -> Option<f32> {
    if !norm.is_finite() {
        return None;
    }
    // In f64 until the end, so a tuning of 0.5 + 2/240 is 2 semitones, not 1.999998.
    let norm = norm.clamp(0.0, 1.0);
    let value = match expression {
        Expression::Volume => 4.0 * norm,
        Expression::Tuning => 240.0 * (norm - 0.5),
        _ => norm,
    };
    Some(value as f32)
}

/// The normalised (0..1) form of `value`, an engine value in `expression`'s unit. Any thread.
pub fn normalized(expression: Expression, value: f32) -> f64 {
    let value = value as f64;
    let norm = match expression {
        Expression::Volume => value / 4.0,
        Expression::Tuning => value / 240.0 + 0.5,
        _ => value,
    };
    if norm.is_finite() { norm.clamp(0.0, 1.0) } else { 0.0 }
}

/// The description of the note expression at list position `index`, as `getNoteExpressionInfo` fills
/// it: titles, unit, the normalised default (the engine's rest value: volume 0.25 = 0 dB, pan and tuning
/// 0.5, the others 0) over the whole 0..1 range. `None` past the list. Main thread.
pub fn info(index: i32) -> Option<NoteExpressionTypeInfo> {
    let &(type_id, e, title, short) = TYPES.get(usize::try_from(index).ok()?)?;
    // SAFETY: plain C data (integers, floats and UTF-16 arrays); all zero is a valid value.
    let mut info: NoteExpressionTypeInfo = unsafe { std::mem::zeroed() };
    info.typeId = type_id;
    text::copy_wstring(title, &mut info.title);
    text::copy_wstring(short, &mut info.shortTitle);
    text::copy_wstring(expression::unit(e), &mut info.units);
    info.unitId = -1;
    info.valueDesc = NoteExpressionValueDescription {
        defaultValue: normalized(e, expression::rest(e)),
        minimum: 0.0,
        maximum: 1.0,
        stepCount: 0,
    };
    let bipolar = if matches!(e, Expression::Pan | Expression::Tuning) { kIsBipolar } else { 0 };
    // Every value replaces the note's last one (not an offset to it).
    info.flags = (bipolar | kIsAbsolute) as i32;
    Some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_mapping_holds() {
        assert_eq!(plain(Expression::Volume, 0.25), Some(1.0), "0 dB");
        assert_eq!(plain(Expression::Volume, 0.125), Some(0.5), "-6 dB");
        assert_eq!(plain(Expression::Tuning, 0.5 + 2.0 / 240.0), Some(2.0));
        assert_eq!(plain(Expression::Tuning, 0.0), Some(-120.0));
        assert_eq!(plain(Expression::Pan, 1.0), Some(1.0));
        assert_eq!(plain(Expression::Brightness, 7.0), Some(1.0), "clamped");
        assert_eq!(plain(Expression::Vibrato, f64::NAN), None);
        for (_, e, ..) in TYPES {
            for norm in [0.0, 0.125, 0.3, 0.5, 1.0] {
                let back = normalized(e, plain(e, norm).unwrap());
                assert!((back - norm).abs() < 1e-6, "{e:?} {norm} → {back}");
            }
        }
        assert_eq!(expression(kTuningTypeID), Some(Expression::Tuning));
        assert_eq!(expression(6), None, "text");
    }

    #[test]
    fn defaults_are_each_expressions_rest() {
        let defaults: Vec<f64> = (0..COUNT).map(|i| info(i).unwrap().valueDesc.defaultValue).collect();
        assert_eq!(defaults, [0.25, 0.5, 0.5, 0.0, 0.0, 0.0]);
        assert!(info(COUNT).is_none() && info(-1).is_none());
    }
}
