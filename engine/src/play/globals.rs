//! Values shared by every voice: MIDI controllers, pitch bend, channel pressure and macros, each with its own
//! smoother (there is no shared pool of smoothers that could run out).

use crate::schedule::MacroInfo;

/// Globals 0..=127 are MIDI controllers (CC 1 is the mod wheel).
pub(crate) const MOD_WHEEL: u16 = 1;
/// Pitch bend, −1..=1.
pub(crate) const BEND: u16 = 128;
/// Channel pressure, 0..=1.
pub(crate) const PRESSURE: u16 = 129;
/// First macro; macros take `MAX_MACROS` indices from here.
const MACRO0: u16 = 130;
/// Most macros a patch may have.
pub(crate) const MAX_MACROS: usize = 8;
/// How many globals there are.
pub(crate) const COUNT: usize = MACRO0 as usize + MAX_MACROS;

/// The global index of MIDI controller `cc`.
pub(crate) const fn cc(cc: u8) -> u16 {
    cc as u16
}

/// The global index of macro `index`.
pub(crate) const fn macro_index(index: usize) -> u16 {
    MACRO0 + index as u16
}

/// How long a controller, bend, pressure or macro change takes to reach its new value, in seconds. Long
/// enough to hide 7-bit MIDI steps, short enough to feel immediate.
const SMOOTHING_SECONDS: f32 = 0.005;

/// The shared values and their smoothers. Audio thread.
#[derive(Clone, Debug)]
pub(crate) struct Globals {
    /// Smoothed values, read by routes once per control period.
    pub value: [f32; COUNT],
    target: [f32; COUNT],
    step: [f32; COUNT],
    /// Macro control positions 0..=1, kept across swaps.
    macro_position: [f32; MAX_MACROS],
    smoothing_samples: f32,
}

impl Globals {
    /// All controllers at 0, bend centred, macros at their defaults.
    pub fn new(sample_rate: f32, macros: &[MacroInfo]) -> Globals {
        let mut g = Globals {
            value: [0.0; COUNT],
            target: [0.0; COUNT],
            step: [0.0; COUNT],
            macro_position: [0.0; MAX_MACROS],
            smoothing_samples: (SMOOTHING_SECONDS * sample_rate).max(1.0),
        };
        for (i, m) in macros.iter().enumerate().take(MAX_MACROS) {
            g.macro_position[i] = if m.max > m.min { (m.default - m.min) / (m.max - m.min) } else { 0.0 };
            let at = macro_index(i) as usize;
            g.value[at] = m.default;
            g.target[at] = m.default;
        }
        g
    }

    /// Follows a sample-rate change (a swap to a schedule compiled for another rate).
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.smoothing_samples = (SMOOTHING_SECONDS * sample_rate).max(1.0);
    }

    /// Sets global `index` to glide to `value`.
    pub fn set(&mut self, index: u16, value: f32) {
        let i = index as usize;
        if i < COUNT && value.is_finite() {
            self.target[i] = value;
            self.step[i] = (value - self.value[i]) / self.smoothing_samples;
        }
    }

    /// Moves macro `index` to control position `position` (0..=1) within its range in `macros`.
    pub fn set_macro(&mut self, index: usize, position: f32, macros: &[MacroInfo]) {
        if let (Some(m), true) = (macros.get(index), position.is_finite()) {
            let position = position.clamp(0.0, 1.0);
            self.macro_position[index] = position;
            self.set(macro_index(index), m.min + position * (m.max - m.min));
        }
    }

    /// After a swap: keeps each macro's control position, mapped into the new patch's range.
    pub fn rebase_macros(&mut self, macros: &[MacroInfo]) {
        for i in 0..MAX_MACROS {
            let at = macro_index(i) as usize;
            match macros.get(i) {
                Some(m) => {
                    let v = m.min + self.macro_position[i] * (m.max - m.min);
                    self.target[at] = v;
                    self.step[at] = (v - self.value[at]) / self.smoothing_samples;
                }
                None => {
                    self.value[at] = 0.0;
                    self.target[at] = 0.0;
                    self.step[at] = 0.0;
                }
            }
        }
    }

    /// Advances every smoother by `frames` samples.
    #[inline]
    pub fn advance(&mut self, frames: usize) {
        let n = frames as f32;
        for i in 0..COUNT {
            if self.value[i] != self.target[i] {
                let next = self.value[i] + self.step[i] * n;
                let arrived =
                    (self.step[i] >= 0.0 && next >= self.target[i]) || (self.step[i] <= 0.0 && next <= self.target[i]);
                self.value[i] = if arrived { self.target[i] } else { next };
            }
        }
    }
}
