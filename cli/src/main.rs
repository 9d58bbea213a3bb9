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
use ferrule_engine::compile::Budget;

/// Ferrule: a modular synthesizer whose patches are RON text files.
#[derive(Parser)]
#[command(name = "ferrule", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The most memory a compiled patch may hold, in MiB (default 256): a patch that needs more is refused.
    #[arg(long, global = true, value_name = "MIB")]
    memory_limit: Option<u64>,
    /// The most CPU a patch may be estimated to take with every voice playing, in percent of one core
    /// (default 400): a patch estimated above it is refused.
    #[arg(long, global = true, value_name = "PERCENT")]
    cpu_limit: Option<f64>,
}

/// The resource budget every compile in this process uses: the engine's defaults unless `--memory-limit`
/// or `--cpu-limit` changed them.
static BUDGET: std::sync::OnceLock<Budget> = std::sync::OnceLock::new();

/// The resource budget for this run's compiles.
fn budget() -> Budget {
    BUDGET.get().copied().unwrap_or_default()
}

/// The budget `--memory-limit` and `--cpu-limit` ask for, or why they are out of range.
fn budget_from(memory_limit: Option<u64>, cpu_limit: Option<f64>) -> Result<Budget, String> {
    let mut budget = Budget::default();
    if let Some(mib) = memory_limit {
        if !(1..=MAX_MEMORY_LIMIT_MIB).contains(&mib) {
            return Err(format!("--memory-limit {mib} must be 1 to {MAX_MEMORY_LIMIT_MIB} MiB"));
        }
        budget.memory = usize::try_from(mib << 20)
            .map_err(|_| format!("--memory-limit {mib} MiB is more than this machine can address"))?;
    }
    if let Some(percent) = cpu_limit {
        if !(percent.is_finite() && (1.0..=MAX_CPU_LIMIT_PERCENT).contains(&percent)) {
            return Err(format!("--cpu-limit {percent} must be 1 to {MAX_CPU_LIMIT_PERCENT} percent"));
        }
        budget.load = (percent / 100.0) as f32;
    }
    Ok(budget)
}

/// The largest `--memory-limit`: 1 TiB.
const MAX_MEMORY_LIMIT_MIB: u64 = 1 << 20;
/// The largest `--cpu-limit`: a thousand cores' worth.
const MAX_CPU_LIMIT_PERCENT: f64 = 100_000.0;

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
    match budget_from(cli.memory_limit, cli.cpu_limit) {
        Ok(budget) => {
            let _ = BUDGET.set(budget);
        }
        Err(message) => {
            eprintln!("ferrule: error: {message}");
            return ExitCode::FAILURE;
        }
    }
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
