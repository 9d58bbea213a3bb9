//! `ferrule check`: compile each patch, print diagnostics.

use std::path::PathBuf;
use std::process::ExitCode;

use ferrule_engine::{CompileSettings, compile};

/// Compiles every patch; exit 0 when all compile, 1 when any has errors. Warnings (nodes never heard) are
/// printed but do not fail.
pub fn run(patches: &[PathBuf]) -> Result<ExitCode, String> {
    let mut failed = false;
    for path in patches {
        match crate::read_patch(path) {
            Err(e) => {
                eprintln!("{}: error: {}", path.display(), e.split_once(": ").map_or(e.as_str(), |(_, r)| r));
                failed = true;
            }
            Ok(source) => match compile(&source, &CompileSettings { budget: crate::budget(), ..Default::default() }) {
                Ok(schedule) => {
                    println!(
                        "{}: ok ({} nodes, polyphony {}, latency {} samples, {} of memory, CPU about {} of one \
                         core with every voice playing)",
                        path.display(),
                        schedule.node_count(),
                        schedule.polyphony(),
                        schedule.latency(),
                        ferrule_engine::compile::budget::size(schedule.memory_bytes()),
                        ferrule_engine::compile::budget::percent(schedule.estimated_load()),
                    );
                    if let Ok(warnings) = ferrule_engine::warnings(&source) {
                        eprint!("{}", warnings.render_as("warning", crate::color()));
                    }
                }
                Err(diagnostics) => {
                    eprint!("{}", diagnostics.render(crate::color()));
                    failed = true;
                }
            },
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
