//! Helpers shared by the CLI's tests: running `ferrule` as a user does, scratch files, WAV reading.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `ferrule` with `args` from the repository's root and waits for it.
pub fn ferrule(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferrule")).args(args).current_dir(repo()).output().expect("ferrule runs")
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A path named `name` in this test process's scratch directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrule-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// What the run printed to stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A sine at half scale, mono to both channels.
pub const SINE: &str = r#"(
    version: 1,
    nodes: {
        "osc": (kind: "sine"),
        "amp": (kind: "vca", params: { "gain": 0.5 }),
    },
    connections: [("osc.out", "amp.in")],
    output: Mono("amp.out"),
)"#;

/// A WAV file's format and its interleaved samples.
pub fn read_wav(path: &Path) -> (hound::WavSpec, Vec<f32>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    (spec, reader.samples::<f32>().map(Result::unwrap).collect())
}
