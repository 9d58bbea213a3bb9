//! Build tasks: `cargo xtask install` and `cargo xtask test` (the README's two commands).

use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "install" => install(),
        "test" => test(),
        "bundle" => bundle().map(|_| ()),
        _ => Err("usage: cargo xtask <install|bundle|test>".to_string()),
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

/// Format check, lints, the plugin bundle (its tests load it from disk as a host would), then every test
/// (built with the release profile: the DSP tests run much faster).
fn test() -> Result<(), String> {
    cargo("format", &["fmt", "--all", "--", "--check"])?;
    cargo("lint", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    bundle()?;
    cargo("test", &["test", "--workspace", "--release"])
}

/// Builds the plugin and writes `target/bundled/Ferrule.clap`. Returns the bundle's path.
fn bundle() -> Result<std::path::PathBuf, String> {
    cargo("plugin", &["build", "--release", "-p", "ferrule-plugin"])?;
    let built = root().join("target/release/libferrule_plugin.so");
    let dir = root().join("target/bundled");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let clap = dir.join("Ferrule.clap");
    std::fs::copy(&built, &clap).map_err(|e| format!("copying {} to {}: {e}", built.display(), clap.display()))?;
    println!("==> bundled {}", clap.display());
    Ok(clap)
}

/// Builds the CLAP plugin and installs it into `~/.clap`, builds the `ferrule` CLI and installs it into
/// `~/.local/bin`, and renders the demo so a machine without speakers shows it works.
fn install() -> Result<(), String> {
    let clap = bundle()?;
    let home = std::env::var_os("HOME").ok_or("HOME is not set: cannot find ~/.clap")?;
    let clap_dir = std::path::Path::new(&home).join(".clap");
    std::fs::create_dir_all(&clap_dir).map_err(|e| format!("{}: {e}", clap_dir.display()))?;
    let installed_clap = clap_dir.join("Ferrule.clap");
    std::fs::copy(&clap, &installed_clap).map_err(|e| format!("copying to {}: {e}", installed_clap.display()))?;
    println!("==> installed {}", installed_clap.display());
    cargo("build", &["build", "--release", "-p", "ferrule-cli"])?;
    let built = root().join("target/release/ferrule");
    let home = std::env::var_os("HOME").ok_or("HOME is not set: cannot find ~/.local/bin")?;
    let bin_dir = std::path::Path::new(&home).join(".local/bin");
    std::fs::create_dir_all(&bin_dir).map_err(|e| format!("{}: {e}", bin_dir.display()))?;
    let installed = bin_dir.join("ferrule");
    std::fs::copy(&built, &installed).map_err(|e| format!("copying to {}: {e}", installed.display()))?;
    println!("==> installed {}", installed.display());
    let on_path = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d == bin_dir));
    if !on_path {
        println!("    (add {} to PATH to run `ferrule` directly)", bin_dir.display());
    }
    let demo = root().join("target/demo.wav");
    println!("==> rendering the demo phrase through patches/default.ron");
    let status = Command::new(&built)
        .args(["render", "patches/default.ron", "-o"])
        .arg(&demo)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", built.display()))?;
    if !status.success() {
        return Err("rendering the demo failed".into());
    }
    println!("==> demo: {}", demo.display());
    Ok(())
}
