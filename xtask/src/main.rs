//! Build tasks: `cargo xtask install` and `cargo xtask test` (the README's two commands).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "install" => install(),
        "test" => test(),
        "bundle" => bundle().map(|_| ()),
        "screenshot" => screenshot(),
        _ => Err("usage: cargo xtask <install|bundle|test|screenshot>".to_string()),
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
    cargo_env(step, &[], args)
}

/// Runs `cargo ARGS` from the workspace root with the environment variables `env` set, printing the step and
/// how long it took.
fn cargo_env(step: &str, env: &[(&str, &str)], args: &[&str]) -> Result<(), String> {
    let mut command = Command::new(env!("CARGO"));
    command.args(args).envs(env.iter().copied());
    let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}=\"{v}\" ")).collect();
    run(step, &format!("{}cargo {}", shown.concat(), args.join(" ")), command)
}

/// Runs `command` (shown as `shown`) from the workspace root, printing the step and how long it took.
fn run(step: &str, shown: &str, mut command: Command) -> Result<(), String> {
    println!("==> {step}: {shown}");
    let start = Instant::now();
    let status = command.current_dir(root()).status().map_err(|e| format!("{step}: cannot run {shown}: {e}"))?;
    println!(
        "==> {step}: {} in {:.1} s",
        if status.success() { "ok" } else { "FAILED" },
        start.elapsed().as_secs_f64()
    );
    if status.success() { Ok(()) } else { Err(format!("{step} failed")) }
}

/// Installs the system packages the build needs (ALSA headers and pkg-config for `ferrule play`) if they are
/// missing, through `.ci/setup-deps`, so a fresh machine needs nothing beyond Rust.
fn system_packages() -> Result<(), String> {
    println!("==> system packages: .ci/setup-deps");
    let status = Command::new("bash")
        .arg(root().join(".ci/setup-deps"))
        .status()
        .map_err(|e| format!("cannot run .ci/setup-deps: {e}"))?;
    if status.success() { Ok(()) } else { Err("installing system packages failed (see above)".into()) }
}

/// Regenerates `docs/editor.png`: the bundled plugin's editor opened in a real (Xvfb) window by the
/// editor's window test, which writes what it reads back.
fn screenshot() -> Result<(), String> {
    system_packages()?;
    bundle()?;
    let out = root().join("docs/editor.png");
    println!("==> screenshot: the editor under xvfb-run into {}", out.display());
    let status = Command::new("xvfb-run")
        .args(["-a", env!("CARGO"), "test", "--release", "-p", "ferrule-plugin", "--test", "clap_editor"])
        .env("FERRULE_EDITOR_SCREENSHOT", &out)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run xvfb-run: {e}"))?;
    if status.success() && out.is_file() { Ok(()) } else { Err("the screenshot was not written".into()) }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// The cross-crate tests that drive the audio path hardest, run again with debug assertions on (with the
/// engine's and the nodes' own tests) by `cargo xtask test`.
const DEBUG_ASSERTION_TESTS: &[&str] =
    &["swap", "shape_change", "reload_clicks", "audio_thread_alloc", "properties", "determinism", "migration"];

/// Format check, lints, the API docs with warnings as errors, the plugin bundles (their tests load them from
/// disk as a host would), then every test (built with the release profile: the DSP tests run much faster).
/// The pedalboard test makes its Python venv under `target/` on its first run (from PyPI) and reuses it
/// after. Then the audio path's tests again with debug assertions and overflow checks on (profile
/// `ci-debug`), the `loom` model of the schedule handoff (its own target folder, `target/loom`, as
/// `--cfg loom` rebuilds everything), and `engine/examples/memcheck.rs` under valgrind memcheck.
fn test() -> Result<(), String> {
    system_packages()?;
    cargo("format", &["fmt", "--all", "--", "--check"])?;
    cargo("lint", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    cargo_env("docs", &[("RUSTDOCFLAGS", "-D warnings")], &["doc", "--workspace", "--no-deps"])?;
    bundle()?;
    // The editor's real-window test needs an X server: without a display, run the tests under Xvfb.
    let headless = std::env::var_os("DISPLAY").is_none();
    let xvfb = Command::new("xvfb-run").arg("--help").output().is_ok();
    if headless && xvfb {
        let mut command = Command::new("xvfb-run");
        command.args(["-a", env!("CARGO"), "test", "--workspace", "--release"]);
        run("test", "(no DISPLAY) xvfb-run -a cargo test --workspace --release", command)?;
    } else {
        cargo("test", &["test", "--workspace", "--release"])?;
    }
    let debug = ["test", "--profile", "ci-debug"];
    cargo("debug assertions", &[&debug[..], &["-p", "ferrule-engine", "-p", "ferrule-nodes"]].concat())?;
    let cross: Vec<&str> = DEBUG_ASSERTION_TESTS.iter().flat_map(|t| ["--test", t]).collect();
    cargo("debug assertions", &[&debug[..], &["-p", "ferrule-tests"], &cross].concat())?;
    let loom_dir = root().join("target/loom");
    // No debug info there: nobody debugs the model's build, and it is rebuilt whenever the engine changes.
    let loom_env = [
        ("RUSTFLAGS", "--cfg loom"),
        ("CARGO_TARGET_DIR", loom_dir.to_str().ok_or("non-UTF-8 path")?),
        ("CARGO_PROFILE_RELEASE_DEBUG", "0"),
    ];
    cargo_env("loom", &loom_env, &["test", "--release", "-p", "ferrule-engine", "--lib", "swap::model"])?;
    memcheck()
}

/// Builds `engine/examples/memcheck.rs` (notes, shape-changing swaps with crossfades, everything dropped)
/// and runs it under valgrind memcheck: any invalid read or write, use of uninitialised memory or definite
/// leak fails the step.
fn memcheck() -> Result<(), String> {
    cargo("memcheck", &["build", "--release", "-p", "ferrule-engine", "--example", "memcheck"])?;
    let mut command = Command::new("valgrind");
    let args = [
        "--error-exitcode=1",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite",
        "target/release/examples/memcheck",
    ];
    command.args(args);
    run("memcheck", &format!("valgrind {}", args.join(" ")), command)
}

/// The bundles `cargo xtask bundle` writes.
struct Bundles {
    /// `target/bundled/Ferrule.clap` (the library itself).
    clap: PathBuf,
    /// `target/bundled/Ferrule.vst3` (a folder holding `Contents/x86_64-linux/Ferrule.so`).
    vst3: PathBuf,
}

/// Copies `from` to `to`, creating `to`'s folder.
fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::copy(from, to).map(|_| ()).map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

/// Builds the plugin library (one file exporting both formats' entry points) and writes both bundles.
fn bundle() -> Result<Bundles, String> {
    cargo("plugin", &["build", "--release", "-p", "ferrule-plugin"])?;
    let built = root().join("target/release/libferrule_plugin.so");
    let dir = root().join("target/bundled");
    let clap = dir.join("Ferrule.clap");
    copy(&built, &clap)?;
    println!("==> bundled {}", clap.display());
    let vst3 = dir.join("Ferrule.vst3");
    // The library's name must match the bundle's.
    copy(&built, &vst3.join(VST3_LIBRARY))?;
    println!("==> bundled {}", vst3.display());
    Ok(Bundles { clap, vst3 })
}

/// Where a Linux VST3 bundle keeps its library.
const VST3_LIBRARY: &str = "Contents/x86_64-linux/Ferrule.so";

/// The user's home folder.
fn home() -> Result<PathBuf, String> {
    std::env::var_os("HOME").map(PathBuf::from).ok_or_else(|| "HOME is not set: cannot find ~/.clap or ~/.vst3".into())
}

/// Builds the plugin and installs it into `~/.clap` and `~/.vst3`, builds the `ferrule` CLI and installs it into
/// `~/.local/bin`, and renders the demo so a machine without speakers shows it works.
fn install() -> Result<(), String> {
    system_packages()?;
    let bundles = bundle()?;
    let installed_clap = home()?.join(".clap/Ferrule.clap");
    copy(&bundles.clap, &installed_clap)?;
    println!("==> installed {}", installed_clap.display());
    let installed_vst3 = home()?.join(".vst3/Ferrule.vst3");
    copy(&bundles.vst3.join(VST3_LIBRARY), &installed_vst3.join(VST3_LIBRARY))?;
    println!("==> installed {}", installed_vst3.display());
    cargo("build", &["build", "--release", "-p", "ferrule-cli"])?;
    let built = root().join("target/release/ferrule");
    let home = std::env::var_os("HOME").ok_or("HOME is not set: cannot find ~/.local/bin")?;
    let bin_dir = Path::new(&home).join(".local/bin");
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
