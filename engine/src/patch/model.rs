//! The patch language's data model: what a `.ron` patch file says, as plain data.
//!
//! Parsing is serde + RON ([`crate::patch::parse`]); nothing here checks that names exist or values are in
//! range — that is the compiler's validation step, which reports every problem with its position.
//! See `patches/README.md` for the language reference with an annotated example.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The patch-language version this build reads and writes.
pub const PATCH_VERSION: u32 = 1;

/// A whole patch file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// Patch-language version; must be [`PATCH_VERSION`].
    pub version: u32,
    /// How notes become voices.
    #[serde(default)]
    pub voice: VoiceSettings,
    /// The nodes of one voice, keyed by their id (the name connections and routes use), in file order.
    pub nodes: IndexMap<String, NodeDecl>,
    /// Audio connections `("from_node.port", "to_node.port")`. A bare node id means its first output (as a
    /// source) or its first input (as a destination).
    #[serde(default)]
    pub connections: Vec<(String, String)>,
    /// Audio connections that close a loop. They carry the source's output one control period late, which
    /// is what makes a loop computable.
    #[serde(default)]
    pub feedback: Vec<(String, String)>,
    /// Modulation routes: a source moves a parameter by `depth`, in the parameter's modulation unit.
    #[serde(default)]
    pub modulations: Vec<ModulationDecl>,
    /// Macros the host can automate (at most eight).
    #[serde(default)]
    pub macros: Vec<MacroDecl>,
    /// What the voice sends to the instrument's output. Required: a patch without it is reported by
    /// validation (with its position) rather than by the parser.
    #[serde(default)]
    pub output: Option<OutputDecl>,
    /// Stereo effects on the global bus, keyed by id, run in file order on the sum of every voice (a
    /// chain: the first takes the voices, the last feeds the instrument's output). Only effect kinds
    /// (`delay`, `chorus`, `reverb`) belong here; their parameters take routes from controllers and macros.
    #[serde(default)]
    pub effects: IndexMap<String, NodeDecl>,
    /// Node and effect parameters the host automates directly, in the order the host lists them (at most
    /// [`crate::patch::exposed::MAX_EXPOSED`]). The file's value of each parameter is its default.
    #[serde(default)]
    pub params: Vec<ExposedDecl>,
}

/// One parameter exposed to the host: `(name: "Cutoff", to: "filter.cutoff")`, optionally narrowed with
/// `min` and `max` (in the parameter's unit, within its own range).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposedDecl {
    /// The name the host shows.
    pub name: String,
    /// The parameter, `"node.param"` (a voice node or an effect).
    pub to: String,
    /// The value at the control's lowest position, in the parameter's unit; its own minimum when unset.
    #[serde(default)]
    pub min: Option<f64>,
    /// The value at the control's highest position, in the parameter's unit; its own maximum when unset.
    #[serde(default)]
    pub max: Option<f64>,
}

/// One node: its kind and the parameters it sets (the rest keep their defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeDecl {
    /// The node kind, as listed by `ferrule nodes` (`saw`, `svf`, `adsr`).
    pub kind: String,
    /// Parameter values by name, in the parameter's unit; choices by option name.
    #[serde(default)]
    pub params: IndexMap<String, ParamValue>,
}

/// A parameter value as written: a number, or the name of an option for choice parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A number in the parameter's unit.
    Number(f64),
    /// An option name, for choice parameters.
    Name(String),
}

/// A modulation route.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModulationDecl {
    /// The source: a node output (`"lfo.out"`, or `"lfo"` for its first output) or a voice or controller
    /// source: `velocity`, `key`, `aftertouch` (the voice's own pressure: poly aftertouch, MPE or CLAP
    /// note pressure), `pressure` (channel), `modwheel`, `bend`, the per-note expressions `note_vibrato`,
    /// `note_expression` and `timbre` (MPE CC 74, CLAP brightness), `cc1`…`cc127`.
    pub from: String,
    /// The destination parameter, `"node.param"`.
    pub to: String,
    /// How far the source moves the parameter at full scale, in the parameter's modulation unit (octaves
    /// for frequencies, pitch and times; dB for decibel parameters; the parameter's own unit otherwise).
    pub depth: f64,
    /// Marks a route that closes a loop: it reads the source one control period late.
    #[serde(default)]
    pub feedback: bool,
}

/// A macro: one host-automatable control that moves several parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacroDecl {
    /// The name the host shows.
    pub name: String,
    /// Value at the control's lowest position.
    #[serde(default)]
    pub min: f64,
    /// Value at the control's highest position.
    #[serde(default = "one")]
    pub max: f64,
    /// Value when a patch loads, within `min..=max`.
    #[serde(default)]
    pub default: f64,
    /// Parameters it moves: each by `depth × value`, in that parameter's modulation unit.
    #[serde(default)]
    pub targets: Vec<MacroTarget>,
}

fn one() -> f64 {
    1.0
}

/// One parameter a macro moves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacroTarget {
    /// The parameter, `"node.param"`.
    pub to: String,
    /// Modulation depth per unit of macro value, in the parameter's modulation unit.
    pub depth: f64,
}

/// The voice output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OutputDecl {
    /// One output port, sent to both channels.
    Mono(String),
    /// Left and right output ports.
    Stereo(String, String),
}

/// How notes become voices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VoiceSettings {
    /// How many notes sound at once, 1..=[`MAX_POLYPHONY`]. Mono and legato modes use one voice. Any
    /// number parses; one that is not a whole number of voices is a parse error saying so.
    #[serde(deserialize_with = "voice_count")]
    pub polyphony: u32,
    /// Poly, mono or legato.
    pub mode: VoiceMode,
    /// Glide (portamento) time in seconds from the previous note's pitch; 0 for none.
    pub glide: f64,
    /// Which voice a note takes when all are busy.
    pub steal: StealPolicy,
    /// Pitch-bend range in semitones, each way.
    pub bend_range: f64,
    /// The envelope whose end frees the voice. When unset, a voice is freed once every envelope in it has
    /// ended (or, with no envelope at all, a short fade after note-off).
    pub amp_envelope: Option<String>,
}

/// The start of a parse error raised by this model's own checks of a value (rather than by RON); the rest
/// is the message for the user, and the parser points at the whole value.
pub(crate) const VALUE_ERROR: &str = "ferrule value: ";

/// `polyphony`: any number, so that `8.5` or `-1` is told what a voice count is rather than what RON
/// expected at that character. The range 1..=[`MAX_POLYPHONY`] is checked by validation.
fn voice_count<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = f64::deserialize(deserializer)?;
    if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
        return Ok(value as u32);
    }
    Err(serde::de::Error::custom(format!(
        "{VALUE_ERROR}polyphony must be a whole number of voices, 1 to {MAX_POLYPHONY} (got {})",
        crate::diagnostics::number(value)
    )))
}

/// Most voices a patch may ask for.
pub const MAX_POLYPHONY: u32 = 128;

impl Default for VoiceSettings {
    fn default() -> Self {
        VoiceSettings {
            polyphony: 8,
            mode: VoiceMode::Poly,
            glide: 0.0,
            steal: StealPolicy::ReleasedThenOldest,
            bend_range: 2.0,
            amp_envelope: None,
        }
    }
}

/// Voice modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VoiceMode {
    /// Each note gets its own voice.
    Poly,
    /// One voice; every note retriggers the envelopes; releasing a key returns to the last held note.
    Mono,
    /// One voice; notes played while another is held glide there without retriggering the envelopes.
    Legato,
}

/// Which voice a new note takes when every voice is busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StealPolicy {
    /// The oldest released voice, else the oldest held one.
    ReleasedThenOldest,
    /// The oldest voice, released or not.
    Oldest,
    /// The voice playing the lowest note.
    Lowest,
    /// The voice playing the highest note.
    Highest,
    /// None: the new note is not played.
    Never,
}
