//! VST3's view of the instrument's parameters: the core's macros and master volume (normalised to
//! 0..=1 as VST3 wants), plus hidden parameters that stand for MIDI controllers.
//!
//! VST3 has no MIDI CC, pitch bend or channel pressure events: a host turns them into parameter changes
//! on whatever parameter the controller's `IMidiMapping` names. Ferrule names one hidden parameter per
//! controller and turns its changes back into MIDI bytes for [`crate::midi::translate`], so CCs reach
//! the engine exactly as they do through CLAP. (Without such a mapping, JUCE-based hosts write CCs into
//! parameter id 0, which is why no parameter has id 0.)

use vst3::Steinberg::Vst::ControllerNumbers_::{kAfterTouch, kCountCtrlNumber, kPitchBend};

use crate::core::Param;
use crate::core::params::PARAM_IDS;

/// The id of the hidden parameter for MIDI controller 0; controller `n` (VST3 numbering: 0..=127 CCs,
/// 128 channel pressure, 129 pitch bend) has id `MIDI_PARAM_BASE + n`.
pub const MIDI_PARAM_BASE: u32 = 1000;
/// How many MIDI controllers are mapped (VST3's `kCountCtrlNumber`: 128 CCs, aftertouch, pitch bend).
pub const MIDI_PARAM_COUNT: u32 = kCountCtrlNumber;

/// A VST3 parameter id, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vst3Param {
    /// One of the core's parameters.
    Core(Param),
    /// The hidden parameter for MIDI controller `n` (VST3 numbering).
    Midi(u8),
}

impl Vst3Param {
    /// Decodes a VST3 parameter id.
    pub fn from_id(id: u32) -> Option<Vst3Param> {
        if let Some(param) = Param::from_id(id) {
            return Some(Vst3Param::Core(param));
        }
        let n = id.checked_sub(MIDI_PARAM_BASE)?;
        (n < MIDI_PARAM_COUNT).then_some(Vst3Param::Midi(n as u8))
    }

    /// The parameter at list position `index` (the core's in their order, then the MIDI ones).
    pub fn from_index(index: i32) -> Option<Vst3Param> {
        let index = usize::try_from(index).ok()?;
        match PARAM_IDS.get(index) {
            Some(&id) => Param::from_id(id).map(Vst3Param::Core),
            None => {
                let n = index - PARAM_IDS.len();
                (n < MIDI_PARAM_COUNT as usize).then_some(Vst3Param::Midi(n as u8))
            }
        }
    }

    /// How many parameters the controller lists.
    pub fn count() -> i32 {
        (PARAM_IDS.len() as u32 + MIDI_PARAM_COUNT) as i32
    }

    /// The VST3 parameter id.
    pub fn id(self) -> u32 {
        match self {
            Vst3Param::Core(param) => param.id(),
            Vst3Param::Midi(n) => MIDI_PARAM_BASE + n as u32,
        }
    }

    /// The normalised (0..=1) form of `plain`, a value in the parameter's own range.
    pub fn normalize(self, plain: f64) -> f64 {
        match self {
            Vst3Param::Core(param) => {
                let (min, max) = param.range();
                ((plain - min) / (max - min)).clamp(0.0, 1.0)
            }
            Vst3Param::Midi(_) => plain.clamp(0.0, 1.0),
        }
    }

    /// The value in the parameter's own range for the normalised `normalized`.
    pub fn denormalize(self, normalized: f64) -> f64 {
        let normalized = if normalized.is_finite() { normalized.clamp(0.0, 1.0) } else { 0.0 };
        match self {
            Vst3Param::Core(param) => {
                let (min, max) = param.range();
                min + normalized * (max - min)
            }
            Vst3Param::Midi(_) => normalized,
        }
    }

    /// The MIDI 1.0 message (channel 1) a hidden MIDI parameter at `normalized` stands for.
    pub fn midi_message(controller: u8, normalized: f64) -> [u8; 3] {
        let normalized = if normalized.is_finite() { normalized.clamp(0.0, 1.0) } else { 0.0 };
        let seven = (normalized * 127.0).round() as u8;
        match controller as u32 {
            kAfterTouch => [0xd0, seven, 0],
            kPitchBend => {
                let bend = (normalized * 16383.0).round() as u16;
                [0xe0, (bend & 0x7f) as u8, (bend >> 7) as u8]
            }
            cc => [0xb0, cc as u8 & 0x7f, seven],
        }
    }

    /// The name hosts show for a hidden MIDI parameter.
    pub fn midi_name(controller: u8) -> String {
        match controller as u32 {
            kAfterTouch => "MIDI channel pressure".into(),
            kPitchBend => "MIDI pitch bend".into(),
            cc => format!("MIDI CC {cc}"),
        }
    }

    /// The normalised default of a hidden MIDI parameter (pitch bend rests in the middle).
    pub fn midi_default(controller: u8) -> f64 {
        if controller as u32 == kPitchBend { 0.5 } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_indices_round_trip_and_zero_is_unused() {
        assert_eq!(Vst3Param::from_id(0), None);
        for index in 0..Vst3Param::count() {
            let param = Vst3Param::from_index(index).unwrap();
            assert_eq!(Vst3Param::from_id(param.id()), Some(param));
        }
        assert_eq!(Vst3Param::from_index(Vst3Param::count()), None);
        assert_eq!(Vst3Param::from_id(MIDI_PARAM_BASE + MIDI_PARAM_COUNT), None);
    }

    #[test]
    fn master_volume_normalises_over_its_db_range() {
        let master = Vst3Param::Core(Param::Master);
        assert_eq!(master.denormalize(0.0), -60.0);
        assert_eq!(master.denormalize(1.0), 6.0);
        assert!((master.normalize(0.0) - 60.0 / 66.0).abs() < 1e-12);
        assert_eq!(master.denormalize(f64::NAN), -60.0);
    }

    #[test]
    fn midi_parameters_become_midi_messages() {
        assert_eq!(Vst3Param::midi_message(1, 1.0), [0xb0, 1, 127]);
        assert_eq!(Vst3Param::midi_message(128, 0.5), [0xd0, 64, 0]);
        assert_eq!(Vst3Param::midi_message(129, 0.5), [0xe0, 0, 64]);
        assert_eq!(Vst3Param::midi_message(129, 1.0), [0xe0, 0x7f, 0x7f]);
    }
}
