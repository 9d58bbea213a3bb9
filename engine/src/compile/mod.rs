//! The patch compiler: text → parse → validate → graph → flat [`Schedule`]. Pure; any thread but the
//! audio thread. Every allocation the audio thread will need happens here.

pub mod budget;
pub(crate) mod buffers;
mod dot;
pub(crate) mod graph;
mod latency;
mod lower;
pub mod resolved;
pub mod validate;
pub mod view;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::patch::PatchSource;
use crate::schedule::Schedule;
pub use budget::Budget;
use resolved::ResolvedPatch;

/// What the host (or the CLI) fixes before a patch is compiled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompileSettings {
    /// Sample rate in Hz, 1,000 to 768,000 (hosts use 44,100 to 192,000).
    pub sample_rate: f32,
    /// The largest block, in frames, the host will pass to [`crate::Engine::process`] (at least 1). The
    /// engine works in control periods of 16 frames whatever the block size, so this only bounds what the
    /// host may ask for.
    pub max_block: usize,
    /// Overrides the patch's polyphony (benchmarks); `None` keeps the patch's own.
    pub polyphony: Option<usize>,
    /// The most memory and CPU the compiled patch may take; a patch over it is refused with an error naming
    /// its largest consumers.
    pub budget: Budget,
}

impl Default for CompileSettings {
    fn default() -> Self {
        CompileSettings { sample_rate: 48_000.0, max_block: 4096, polyphony: None, budget: Budget::default() }
    }
}

/// Compiles a patch into a schedule ready to hand to the engine, or returns every problem found.
/// Any thread but the audio thread.
pub fn compile(source: &PatchSource, settings: &CompileSettings) -> Result<Schedule, Diagnostics> {
    let fail = |items: Vec<Diagnostic>| Diagnostics { path: source.path.clone(), source: source.text.clone(), items };
    if !(1_000.0..=768_000.0).contains(&settings.sample_rate) || settings.max_block == 0 {
        return Err(fail(vec![Diagnostic {
            message: format!(
                "cannot compile for {} Hz with blocks of {} frames (needs 1000 to 768000 Hz and at least 1 frame)",
                settings.sample_rate, settings.max_block
            ),
            span: None,
            help: None,
        }]));
    }
    let resolved = resolve(source)?;
    compile_resolved(&resolved, settings).map_err(fail)
}

/// Parses and validates a patch.
pub(crate) fn resolve(source: &PatchSource) -> Result<ResolvedPatch, Diagnostics> {
    validate::parse_and_validate(source)
}

/// Orders and lowers a validated patch.
pub(crate) fn compile_resolved(patch: &ResolvedPatch, settings: &CompileSettings) -> Result<Schedule, Vec<Diagnostic>> {
    let order = graph::execution_order(patch)?;
    let schedule = lower::lower(patch, &order, settings)?;
    // A schedule that breaks the audio thread's assumptions is the compiler's fault, never played.
    schedule.check().map_err(|broken| {
        vec![Diagnostic {
            message: format!(
                "internal error: the compiled patch breaks the engine's rules ({broken}); please report it"
            ),
            span: None,
            help: None,
        }]
    })?;
    Ok(schedule)
}

/// Things in a patch that compiles but probably does not do what its author meant, as `PATH:LINE:COL`
/// diagnostics (the caller prints them as warnings): voice nodes that nothing connects to the output, so
/// they are never heard and never run. Errors when the patch does not compile. Any thread but audio.
pub fn warnings(source: &PatchSource) -> Result<Diagnostics, Diagnostics> {
    let resolved = resolve(source)?;
    let live = graph::live_nodes(&resolved);
    let items = resolved
        .nodes
        .iter()
        .zip(&live)
        .filter(|(node, live)| !**live && !node.effect)
        .map(|(node, _)| {
            Diagnostic::new(
                format!("`{}` is never heard: nothing connects it to the output", node.id),
                node.span.clone(),
            )
            .with_help("wire it into the signal path or a modulation route, or remove it")
        })
        .collect();
    Ok(Diagnostics { path: source.path.clone(), source: source.text.clone(), items })
}

/// The patch's graph in Graphviz DOT: nodes, audio wires (solid), feedback wires (dotted), modulation
/// routes (dashed, labelled with their depth) and the output.
pub fn graph_dot(source: &PatchSource) -> Result<String, Diagnostics> {
    let resolved = resolve(source)?;
    Ok(dot::to_dot(&resolved))
}

/// The patch's graph as plain data for drawing (the editor): nodes with their parameters, audio wires,
/// modulation routes and macro targets with their depths, and the output. Any thread but the audio thread.
pub fn graph_view(source: &PatchSource) -> Result<view::PatchGraph, Diagnostics> {
    Ok(view::to_graph(&resolve(source)?))
}
