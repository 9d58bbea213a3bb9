//! What a node kind declares about itself: its ports and parameters, with units, ranges and defaults.
//!
//! Every node kind has exactly one [`NodeSpec`] (a `const` in its own module). The patch compiler validates
//! patches against these declarations, the documentation generator prints them, and the engine uses them to
//! evaluate and smooth parameters. Nothing here knows about patches.

use crate::lanes::{LANES, Lanes};

/// The unit a parameter's value (and a modulation depth aimed at it) is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Frequency in hertz. Modulation depth is in octaves: the value is multiplied by `2^(depth × source)`.
    Hertz,
    /// Pitch offset in semitones. Modulation depth is in octaves: `12 × depth × source` semitones are added.
    Semitones,
    /// Pitch offset in cents. Modulation depth is in cents.
    Cents,
    /// Time in seconds. Modulation depth is in octaves: the time is multiplied by `2^(depth × source)`.
    Seconds,
    /// Gain in decibels. Modulation depth is in decibels.
    Decibels,
    /// A plain number (gain factor, level, amount, ratio). Modulation depth is in the same plain number.
    Linear,
    /// A choice among named options (see [`ParamSpec::choices`]); the value is the option's index. Not modulatable.
    Choice,
}

impl Unit {
    /// The short name used in documentation and diagnostics (`Hz`, `st`, `ct`, `s`, `dB`, ``, `choice`).
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Hertz => "Hz",
            Unit::Semitones => "st",
            Unit::Cents => "ct",
            Unit::Seconds => "s",
            Unit::Decibels => "dB",
            Unit::Linear => "",
            Unit::Choice => "choice",
        }
    }

    /// The unit a modulation depth aimed at a parameter of this unit is written in.
    pub fn modulation_unit(self) -> &'static str {
        match self {
            Unit::Hertz | Unit::Semitones | Unit::Seconds => "octaves",
            Unit::Cents => "cents",
            Unit::Decibels => "dB",
            Unit::Linear => "linear",
            Unit::Choice => "not modulatable",
        }
    }

    /// Applies a summed modulation `amount` (already `Σ depth × source`, in [`Unit::modulation_unit`]) to
    /// a base value in this unit. The caller clamps the result to the parameter's range.
    #[inline]
    pub fn apply_modulation(self, base: f32, amount: f32) -> f32 {
        match self {
            Unit::Hertz | Unit::Seconds => base * exp2(amount),
            Unit::Semitones => base + 12.0 * amount,
            Unit::Cents | Unit::Decibels | Unit::Linear => base + amount,
            Unit::Choice => base,
        }
    }
}

impl Unit {
    /// [`Unit::apply_modulation`] for each of a lane group's summed amounts, with the unit chosen once for all
    /// lanes rather than per lane, so the loop vectorises. Audio thread (the engine, once per parameter per
    /// control period).
    #[inline]
    pub fn apply_modulation_lanes(self, base: f32, amount: &Lanes) -> Lanes {
        #[inline(always)]
        fn each(unit: Unit, base: f32, amount: &Lanes) -> Lanes {
            let mut value = [0.0; LANES];
            for l in 0..LANES {
                value[l] = unit.apply_modulation(base, amount[l]);
            }
            value
        }
        match self {
            Unit::Hertz => each(Unit::Hertz, base, amount),
            Unit::Seconds => each(Unit::Seconds, base, amount),
            Unit::Semitones => each(Unit::Semitones, base, amount),
            Unit::Cents => each(Unit::Cents, base, amount),
            Unit::Decibels => each(Unit::Decibels, base, amount),
            Unit::Linear => each(Unit::Linear, base, amount),
            Unit::Choice => [base; LANES],
        }
    }
}

/// `2^x`, accurate to about 3e-7 relative (0.0005 cent as a pitch), without the cost of `f32::powf`.
///
/// Written by hand because the engine evaluates it per voice at control rate for every exponential
/// parameter, and `powf` is several times slower. Branch-free and without library calls (no `round`, which
/// is a call into libm on baseline x86-64), so a loop over a lane group's eight values vectorises. NaN gives
/// `2^-126`.
#[inline]
pub fn exp2(x: f32) -> f32 {
    // `max` then `min`: NaN becomes −126, so the conversion below always has a finite value in range.
    let x = crate::dsp::clamp(x, -126.0, 126.0);
    // Nearest integer (ties to even) by the 1.5·2²³ trick: exact for |x| < 2²², and plain adds that vectorise.
    const ROUND: f32 = 12_582_912.0;
    let xi = (x + ROUND) - ROUND;
    let f = x - xi;
    // Cephes' exp2f polynomial for 2^f on [-0.5, 0.5], max relative error about 2e-7.
    let p = 1.0
        + f * (6.931_472e-1
            + f * (2.402_264_8e-1
                + f * (5.550_332_5e-2 + f * (9.618_437e-3 + f * (1.339_887_4e-3 + f * 1.535_336_2e-4)))));
    // SAFETY: `xi` is a whole number within −126..=126, so the conversion is exact and in range.
    let e = unsafe { xi.to_int_unchecked::<i32>() };
    p * f32::from_bits(((e + 127) as u32) << 23)
}

/// One input or output port of a node kind.
#[derive(Clone, Copy, Debug)]
pub struct PortSpec {
    /// The port's name as written in patches (`in`, `out`, `fm`, `lp`).
    pub name: &'static str,
    /// One line saying what the port carries, with its signal range (`audio, ±1`, `gain, 0..1`).
    pub doc: &'static str,
}

/// One parameter of a node kind.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// The parameter's name as written in patches (`cutoff`, `attack`).
    pub name: &'static str,
    /// One line saying what it does.
    pub doc: &'static str,
    /// The unit of its value; also decides how modulation applies (see [`Unit`]).
    pub unit: Unit,
    /// Smallest allowed value, in `unit`. Values from patches outside `min..=max` are errors; modulated
    /// values are clamped to it.
    pub min: f32,
    /// Largest allowed value, in `unit`.
    pub max: f32,
    /// Value when the patch does not set it, in `unit`.
    pub default: f32,
    /// How long a change of the base value (a macro, host automation, a hot reload) takes to glide to the
    /// new value, in milliseconds. `0.0` jumps (used for choices and times that are read at note start).
    pub smoothing_ms: f32,
    /// For [`Unit::Choice`] parameters, the option names in index order; empty otherwise.
    pub choices: &'static [&'static str],
}

impl ParamSpec {
    /// A numeric parameter with the given unit, range, default and smoothing time (ms).
    pub const fn new(
        name: &'static str,
        doc: &'static str,
        unit: Unit,
        min: f32,
        max: f32,
        default: f32,
        smoothing_ms: f32,
    ) -> ParamSpec {
        ParamSpec { name, doc, unit, min, max, default, smoothing_ms, choices: &[] }
    }

    /// A choice parameter whose value is the index into `choices`; `default` is an index.
    pub const fn choice(
        name: &'static str,
        doc: &'static str,
        choices: &'static [&'static str],
        default: usize,
    ) -> ParamSpec {
        ParamSpec {
            name,
            doc,
            unit: Unit::Choice,
            min: 0.0,
            max: (choices.len() - 1) as f32,
            default: default as f32,
            smoothing_ms: 0.0,
            choices,
        }
    }
}

/// What kind of role a node plays for the voice around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRole {
    /// Produces or transforms signals.
    Signal,
    /// An envelope: reports per lane whether it is still sounding, so the engine can free a voice whose
    /// amplitude envelope has ended.
    Envelope,
    /// A stereo effect on the instrument's global (post-voice) bus, such as a delay or a reverb. It runs once
    /// for the whole instrument, after the voices are summed: every input and output carries **left in lane
    /// 0 and right in lane 1** (other lanes are ignored and should be written as 0). The voice fields of
    /// [`crate::Process::voice`] are idle for it; it reads [`crate::Process::transport`] for tempo sync.
    /// Patches may place it only in their `effects` chain, never in a voice.
    Effect,
}

/// Everything a node kind declares about itself.
#[derive(Clone, Copy, Debug)]
pub struct NodeSpec {
    /// The kind's name as written in patches (`saw`, `svf`, `adsr`).
    pub kind: &'static str,
    /// One or two sentences on what it does and how it sounds.
    pub doc: &'static str,
    /// Audio-rate inputs, in order. At most [`MAX_INPUTS`].
    pub inputs: &'static [PortSpec],
    /// Audio-rate outputs, in order. At most [`MAX_OUTPUTS`]. The first is the default when a patch names
    /// the node without a port.
    pub outputs: &'static [PortSpec],
    /// Parameters, in order. At most [`MAX_PARAMS`].
    pub params: &'static [ParamSpec],
    /// Whether this is an envelope.
    pub role: NodeRole,
    /// Estimated CPU time in nanoseconds per voice-sample (for an [`NodeRole::Effect`], per stereo frame) at
    /// the kind's most expensive settings, on the reference machine of `bench/README.md`. The engine's
    /// compiler adds these up to estimate a patch's load and refuse one no machine could play. Measured by
    /// `cargo run --release -p ferrule-nodes --example node_cost`, which prints each kind's figure beside
    /// this declaration.
    pub cost: f32,
}

impl NodeSpec {
    /// The index of the input port called `name`.
    pub fn input(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|p| p.name == name)
    }

    /// The index of the output port called `name`.
    pub fn output(&self, name: &str) -> Option<usize> {
        self.outputs.iter().position(|p| p.name == name)
    }

    /// The index of the parameter called `name`.
    pub fn param(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// The index of the parameter called `name`, for a kind's own index constants
    /// (`const TIME: usize = SPEC.param_index("time");`), so they follow the declaration instead of being
    /// kept in step with it by hand. Evaluated at compile time there: a name the declaration lacks fails
    /// the build.
    pub const fn param_index(&self, name: &str) -> usize {
        let mut i = 0;
        while i < self.params.len() {
            if same(self.params[i].name, name) {
                return i;
            }
            i += 1;
        }
        panic!("no parameter of that name in this declaration")
    }

    /// The index of the input port called `name`; see [`NodeSpec::param_index`].
    pub const fn input_index(&self, name: &str) -> usize {
        port_index(self.inputs, name)
    }

    /// The index of the output port called `name`; see [`NodeSpec::param_index`].
    pub const fn output_index(&self, name: &str) -> usize {
        port_index(self.outputs, name)
    }
}

/// The index of the port called `name` in `ports`; a missing name panics (a build error in const context).
const fn port_index(ports: &[PortSpec], name: &str) -> usize {
    let mut i = 0;
    while i < ports.len() {
        if same(ports[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("no port of that name in this declaration")
}

/// `a == b` for strings, usable in const context.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Most audio inputs a node kind may declare.
pub const MAX_INPUTS: usize = 8;
/// Most audio outputs a node kind may declare.
pub const MAX_OUTPUTS: usize = 6;
/// Most parameters a node kind may declare.
pub const MAX_PARAMS: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp2_matches_std_within_half_a_millionth() {
        let mut x = -20.0f32;
        while x < 20.0 {
            let want = (x as f64).exp2();
            let got = exp2(x) as f64;
            assert!(((got - want) / want).abs() < 5e-7, "exp2({x}) = {got}, want {want}");
            x += 0.0137;
        }
    }

    #[test]
    fn hertz_modulation_is_in_octaves() {
        assert!((Unit::Hertz.apply_modulation(1000.0, 1.0) - 2000.0).abs() < 1e-2);
        assert!((Unit::Semitones.apply_modulation(0.0, -1.0) + 12.0).abs() < 1e-6);
    }
}
