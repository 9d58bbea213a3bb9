//! `ferrule graph`: the patch as Graphviz DOT.

use std::path::Path;
use std::process::ExitCode;

/// Prints the DOT graph, or the diagnostics and exit 1.
pub fn run(path: &Path) -> Result<ExitCode, String> {
    let source = crate::read_patch(path)?;
    match ferrule_engine::graph_dot(&source) {
        Ok(dot) => {
            print!("{dot}");
            Ok(ExitCode::SUCCESS)
        }
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(crate::color()));
            Ok(ExitCode::from(1))
        }
    }
}
