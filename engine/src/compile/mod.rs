//! The patch compiler: text → parse → validate → graph → flat [`Schedule`]. Pure; any thread but the
//! audio thread. Every allocation the audio thread will need happens here.

pub mod resolved;
pub mod validate;

use crate::diagnostics::Diagnostics;
use crate::patch::PatchSource;
use crate::schedule::Schedule;

/// What the host (or the CLI) fixes before a patch is compiled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompileSettings {
    /// Sample rate in Hz (44,100 to 192,000 in practice; anything from 8,000 to 768,000 works).
    pub sample_rate: f32,
    /// The largest block, in frames, the host will ever pass to [`crate::Engine::process`].
    pub max_block: usize,
    /// Overrides the patch's polyphony (benchmarks); `None` keeps the patch's own.
    pub polyphony: Option<usize>,
}

impl Default for CompileSettings {
    fn default() -> Self {
        CompileSettings { sample_rate: 48_000.0, max_block: 4096, polyphony: None }
    }
}

/// Compiles a patch into a schedule ready to hand to the engine, or returns every problem found.
pub fn compile(source: &PatchSource, settings: &CompileSettings) -> Result<Schedule, Diagnostics> {
    let _ = (source, settings);
    todo!("compiler")
}

/// The patch's graph in Graphviz DOT: nodes, audio wires (solid), modulation routes (dashed, labelled with
/// their depth) and the output.
pub fn graph_dot(source: &PatchSource) -> Result<String, Diagnostics> {
    let _ = source;
    todo!("graph_dot")
}
