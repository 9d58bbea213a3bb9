//! Build tasks: `cargo xtask install` and `cargo xtask test` (the README's two commands).

use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "install" => install(),
        "test" => test(),
        _ => Err("usage: cargo xtask <install|test>".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `cargo ARGS` from the workspace root, printing the step and how long it took.
fn cargo(step: &str, args: &[&str]) -> Result<(), String> {
    println!("==> {step}: cargo {}", args.join(" "));
    let start = Instant::now();
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| format!("{step}: cannot run cargo: {e}"))?;
    println!(
        "==> {step}: {} in {:.1} s",
        if status.success() { "ok" } else { "FAILED" },
        start.elapsed().as_secs_f64()
    );
    if status.success() { Ok(()) } else { Err(format!("{step} failed")) }
}

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// Format check, lints, then every test (built with the release profile: the DSP tests run much faster).
fn test() -> Result<(), String> {
    cargo("format", &["fmt", "--all", "--", "--check"])?;
    cargo("lint", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    cargo("test", &["test", "--workspace", "--release"])
}

/// Builds the release binaries and the CLI.
fn install() -> Result<(), String> {
    cargo("build", &["build", "--release", "--workspace"])
}
