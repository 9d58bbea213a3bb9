//! A validated patch: every name resolved to an index, every value in range and in its unit.
//!
//! Produced by [`crate::compile::validate`], consumed by the graph and lowering steps. Spans are byte ranges
//! into the patch source, kept so later steps (cycle detection) can point at the text.

use std::ops::Range;

use ferrule_nodes::KindId;

use crate::patch::model::{StealPolicy, VoiceMode};

/// A byte range in the patch source.
pub type Span = Range<usize>;

/// A validated patch.
#[derive(Clone, Debug)]
pub struct ResolvedPatch {
    /// Voice nodes in file order, then the global bus's effects in chain order (flagged
    /// [`ResolvedNode::effect`]); `PortRef::node` and friends index this.
    pub nodes: Vec<ResolvedNode>,
    /// Audio connections, feedback ones included (flagged).
    pub connections: Vec<ResolvedConnection>,
    /// Modulation routes.
    pub modulations: Vec<ResolvedRoute>,
    /// Macros in file order (at most eight).
    pub macros: Vec<ResolvedMacro>,
    /// Output ports for the left and right channel (the same port twice for a mono output).
    pub output: [PortRef; 2],
    /// Voice settings.
    pub voice: ResolvedVoice,
    /// Parameters exposed to the host, in file order (at most [`crate::patch::MAX_EXPOSED`]).
    pub exposed: Vec<ResolvedExposed>,
}

/// A validated exposed parameter.
#[derive(Clone, Debug)]
pub struct ResolvedExposed {
    /// What the host sees: name, unit, range and default.
    pub param: crate::patch::ExposedParam,
    /// The node whose parameter it sets (index into [`ResolvedPatch::nodes`]).
    pub node: usize,
    /// Index of the parameter in that node kind's declaration.
    pub index: usize,
}

/// A validated node.
#[derive(Clone, Debug)]
pub struct ResolvedNode {
    /// Its id in the patch.
    pub id: String,
    /// Its kind.
    pub kind: KindId,
    /// Every parameter's base value in its unit, in the kind's declaration order (defaults filled in,
    /// choices as option indices).
    pub params: Vec<f32>,
    /// Where the node's id is written.
    pub span: Span,
    /// An effect on the global bus (declared under `effects`) rather than a node of the voice.
    pub effect: bool,
}

/// A node's port: output or input depending on where it is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortRef {
    /// Index into [`ResolvedPatch::nodes`].
    pub node: usize,
    /// Index into that kind's outputs or inputs.
    pub port: usize,
}

/// A validated audio connection.
#[derive(Clone, Debug)]
pub struct ResolvedConnection {
    /// The output it reads.
    pub from: PortRef,
    /// The input it feeds. Each input has at most one connection.
    pub to: PortRef,
    /// Whether it was declared in `feedback` (read one control period late, allowed to close a loop).
    pub feedback: bool,
    /// Where the connection is written.
    pub span: Span,
}

/// A modulation source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ModSource {
    /// A node output, read at the control rate.
    Node(PortRef),
    /// Note-on velocity, 0..1.
    Velocity,
    /// Key tracking: (pitch − 60) / 12, in octaves from middle C.
    Key,
    /// Polyphonic pressure, 0..1.
    PolyPressure,
    /// The voice's vibrato note expression, 0..1.
    Vibrato,
    /// The voice's expression note expression, 0..1.
    Expression,
    /// The voice's brightness note expression (MPE timbre), 0..1.
    Brightness,
    /// Channel pressure, 0..1.
    ChannelPressure,
    /// Mod wheel (CC 1), 0..1.
    ModWheel,
    /// Pitch bend, −1..1.
    PitchBend,
    /// MIDI controller `n` (1..=127), 0..1.
    Cc(u8),
}

impl ModSource {
    /// Every source a route names with a word rather than a node or a controller, as written in patches. The
    /// one table of these names: validation reads it, the graph views print it.
    pub const BUILTIN: [(&'static str, ModSource); 9] = [
        ("velocity", ModSource::Velocity),
        ("key", ModSource::Key),
        ("aftertouch", ModSource::PolyPressure),
        ("pressure", ModSource::ChannelPressure),
        ("modwheel", ModSource::ModWheel),
        ("bend", ModSource::PitchBend),
        ("note_vibrato", ModSource::Vibrato),
        ("note_expression", ModSource::Expression),
        ("timbre", ModSource::Brightness),
    ];

    /// The built-in source called `name` ([`ModSource::BUILTIN`]); `None` for anything else, node ids and
    /// controllers included.
    pub fn builtin(name: &str) -> Option<ModSource> {
        Self::BUILTIN.iter().find(|(n, _)| *n == name).map(|&(_, source)| source)
    }

    /// The name a patch writes for this source (`velocity`, `cc74`); empty for a node output, which is
    /// named by its node and port.
    pub fn name(self) -> String {
        match self {
            ModSource::Node(_) => String::new(),
            ModSource::Cc(n) => format!("cc{n}"),
            builtin => {
                Self::BUILTIN.iter().find(|(_, s)| *s == builtin).map_or_else(String::new, |(n, _)| n.to_string())
            }
        }
    }
}

/// A validated modulation route.
#[derive(Clone, Debug)]
pub struct ResolvedRoute {
    /// What moves the parameter.
    pub source: ModSource,
    /// The node whose parameter moves.
    pub node: usize,
    /// Index of the parameter in that node kind's declaration.
    pub param: usize,
    /// Depth in the parameter's modulation unit.
    pub depth: f32,
    /// Declared `feedback: true`.
    pub feedback: bool,
    /// Where the route is written.
    pub span: Span,
}

/// A validated macro.
#[derive(Clone, Debug)]
pub struct ResolvedMacro {
    /// Its name.
    pub name: String,
    /// Value range, `min < max`.
    pub min: f32,
    /// Value range, `min < max`.
    pub max: f32,
    /// Initial value, within the range.
    pub default: f32,
    /// `(node, param, depth)` for each target.
    pub targets: Vec<(usize, usize, f32)>,
}

/// Validated voice settings.
#[derive(Clone, Debug)]
pub struct ResolvedVoice {
    /// Voices, 1..=MAX_POLYPHONY (1 in mono and legato modes).
    pub polyphony: usize,
    /// Voice mode.
    pub mode: VoiceMode,
    /// Glide time in seconds.
    pub glide: f32,
    /// Steal policy.
    pub steal: StealPolicy,
    /// Bend range in semitones.
    pub bend_range: f32,
    /// The amplitude envelope node, if named.
    pub amp_envelope: Option<usize>,
}
