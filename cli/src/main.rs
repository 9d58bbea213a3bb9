//! `ferrule`: check, render, graph, benchmark and play patches from the command line.

mod bench;
mod check;
mod graph;
mod midi;
mod notes;
mod play;
mod render;
mod wav;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Ferrule: a modular synthesizer whose patches are RON text files.
#[derive(Parser)]
#[command(name = "ferrule", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile patches and report every error as PATH:LINE:COL: error: MESSAGE.
    Check {
        /// Patch files.
        #[arg(required = true)]
        patches: Vec<PathBuf>,
    },
    /// Render a patch to a stereo 32-bit float WAV file.
    Render(render::Args),
    /// Print a patch's graph as Graphviz DOT (pipe into `dot -Tsvg`).
    Graph {
        /// Patch file.
        patch: PathBuf,
    },
    /// Measure how many voices of a patch one core plays in real time.
    Bench(bench::Args),
    /// Play a patch live: audio out, MIDI and computer-keyboard in, reloaded on every save.
    Play(play::Args),
    /// List every node kind with its ports and parameters (units, ranges, defaults).
    Nodes {
        /// Print the patch-language reference in Markdown (what `docs/nodes.md` holds).
        #[arg(long)]
        markdown: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { patches } => check::run(&patches),
        Command::Render(args) => render::run(&args),
        Command::Graph { patch } => graph::run(&patch),
        Command::Bench(args) => bench::run(&args),
        Command::Play(args) => play::run(&args),
        Command::Nodes { markdown } => {
            let reference =
                if markdown { ferrule_nodes::reference::markdown() } else { ferrule_nodes::reference::text() };
            print!("{reference}");
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("ferrule: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads a patch file, with a one-line error naming it.
fn read_patch(path: &std::path::Path) -> Result<ferrule_engine::PatchSource, String> {
    if path.is_dir() {
        return Err(format!("{}: is a directory, not a patch file", path.display()));
    }
    ferrule_engine::PatchSource::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Whether stderr is a terminal (diagnostics in colour).
fn color() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
