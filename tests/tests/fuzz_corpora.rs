//! Replays every committed fuzz corpus file (`fuzz/corpus/<target>/`) through the same functions the
//! cargo-fuzz targets call, so CI checks on stable what the fuzzers found interesting, and a crash the
//! fuzzer found stays fixed once its input is added to the corpus.

use std::path::PathBuf;

use ferrule_tests::fuzz::{compile_patch_bytes, event_engine, play_event_bytes};

ferrule_tests::install_alloc_trap!();

/// Every file in `fuzz/corpus/<target>/`, with its name. Panics if there are none, so a moved corpus fails
/// the test rather than passing it silently.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    files
}

/// Runs `f` on each file, naming the file that fails.
fn replay(target: &str, f: impl Fn(&[u8])) {
    for (path, bytes) in corpus(target) {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&bytes))).is_err() {
            panic!(
                "{target}: {} fails; reproduce with `cargo +nightly fuzz run {target} {}`",
                path.display(),
                path.display()
            );
        }
    }
}

#[test]
fn patch_compile_corpus() {
    replay("patch_compile", compile_patch_bytes);
}

#[test]
fn patch_language_corpus() {
    replay("patch_language", |bytes| {
        ferrule_tests::patch_check::assert_invariants(&ferrule_tests::patch_gen::generate(bytes))
    });
}

#[test]
fn state_decode_corpus() {
    replay("state_decode", |bytes| {
        if let Ok(state) = ferrule_plugin::core::state::decode(bytes) {
            compile_patch_bytes(state.patch_source.as_bytes());
        }
    });
}

#[test]
fn event_stream_corpus() {
    replay("event_stream", |bytes| play_event_bytes(&mut event_engine(), bytes));
}
