//! The patch-file watcher: every way an editor saves produces exactly the reloads a user expects, a broken
//! save keeps the last good patch, and a file moved away is reported and picked up again when it returns.
//!
//! Waits here are generous upper bounds for an event to arrive (or, after it, for stray ones to show up);
//! nothing asserts how fast anything happens. The save-to-sound figure is printed, never asserted.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ferrule_engine::{CompileSettings, Engine, Event, EventKind, PatchSource, compile};
use ferrule_reload::{EngineSlot, ReloadEvent, ReloadOptions, Reloader};

/// Longest wait for an expected event.
const EVENT_WAIT: Duration = Duration::from_secs(10);
/// How long to keep listening after the expected events, to catch any extra reload.
const SETTLE: Duration = Duration::from_millis(600);
/// A debounce well above any scheduling hiccup of a busy machine, so a burst of saves is one burst.
const TEST_DEBOUNCE: Duration = Duration::from_millis(100);

fn sine(gain: f32) -> String {
    ferrule_tests::patch::SINE.replace("0.5", &format!("{gain:?}"))
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    reloader: Reloader,
}

/// A patch file holding `sine(0.5)`, watched with no engine attached (saves are compiled and reported).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("patch.ron");
    std::fs::write(&path, sine(0.5)).unwrap();
    let playing = PatchSource::read(&path).unwrap();
    let options = ReloadOptions { debounce: TEST_DEBOUNCE, ..ReloadOptions::default() };
    let reloader = Reloader::watch(&path, EngineSlot::new(), Some(playing), options).unwrap();
    Fixture { _dir: dir, path, reloader }
}

/// Waits for the next event.
fn next(reloader: &Reloader) -> ReloadEvent {
    reloader.wait(EVENT_WAIT).expect("an event within the generous wait")
}

/// Waits for the next event and checks it is a reload of `text`.
fn expect_reload(reloader: &Reloader, text: &str) -> ferrule_reload::Reloaded {
    match next(reloader) {
        ReloadEvent::Reloaded(r) => {
            assert_eq!(r.source.text, text, "reloaded the saved text");
            r
        }
        other => panic!("expected a reload, got: {other}"),
    }
}

/// Every event arriving within [`SETTLE`].
fn stragglers(reloader: &Reloader) -> Vec<String> {
    let end = Instant::now() + SETTLE;
    let mut seen = Vec::new();
    while let Some(event) = reloader.wait(end.saturating_duration_since(Instant::now())) {
        seen.push(event.to_string());
    }
    seen
}

#[test]
fn writing_the_file_in_place_reloads_it_once() {
    let f = fixture();
    assert_eq!(stragglers(&f.reloader), Vec::<String>::new(), "an unchanged file is not reloaded at start");
    std::fs::write(&f.path, sine(0.25)).unwrap();
    expect_reload(&f.reloader, &sine(0.25));
    assert_eq!(stragglers(&f.reloader), Vec::<String>::new());
    assert_eq!(f.reloader.status().reloads, 1);
}

#[test]
fn a_temporary_file_renamed_over_the_patch_reloads_it_once() {
    let f = fixture();
    // What vim, VS Code, Emacs and most "atomic save" editors do.
    let temp = f.path.with_file_name(".patch.ron.tmp");
    std::fs::write(&temp, sine(0.3)).unwrap();
    std::fs::rename(&temp, &f.path).unwrap();
    expect_reload(&f.reloader, &sine(0.3));
    assert_eq!(stragglers(&f.reloader), Vec::<String>::new());
    // A second atomic save after the first works too (the watch survived the inode change).
    std::fs::write(&temp, sine(0.4)).unwrap();
    std::fs::rename(&temp, &f.path).unwrap();
    expect_reload(&f.reloader, &sine(0.4));
    assert_eq!(stragglers(&f.reloader), Vec::<String>::new());
}

/// Waits for the reload of `text`, letting through one report of the file missing first: on a busy machine
/// the watcher may see a deletion on its own before the new file appears. Checks it was one reload.
fn expect_one_reload_maybe_after_missing(reloader: &Reloader, text: &str) {
    match next(reloader) {
        ReloadEvent::Reloaded(r) => assert_eq!(r.source.text, text),
        ReloadEvent::Missing { .. } => {
            expect_reload(reloader, text);
        }
        ReloadEvent::Failed(e) => panic!("unexpected failure: {}", e.message),
    }
    assert_eq!(stragglers(reloader), Vec::<String>::new());
    assert_eq!(reloader.status().reloads, 1);
}

#[test]
fn a_deleted_and_recreated_file_reloads_once() {
    let f = fixture();
    std::fs::remove_file(&f.path).unwrap();
    std::fs::write(&f.path, sine(0.2)).unwrap();
    expect_one_reload_maybe_after_missing(&f.reloader, &sine(0.2));
}

#[test]
fn a_backup_then_write_save_reloads_once() {
    // vim's default: move the original to a backup, write a new file, delete the backup.
    let f = fixture();
    let backup = f.path.with_file_name("patch.ron~");
    std::fs::rename(&f.path, &backup).unwrap();
    std::fs::write(&f.path, sine(0.15)).unwrap();
    std::fs::remove_file(&backup).unwrap();
    expect_one_reload_maybe_after_missing(&f.reloader, &sine(0.15));
}

#[test]
fn each_save_reloads_once_and_a_burst_of_saves_reloads_once_with_the_last() {
    let f = fixture();
    for i in 1..=5 {
        std::fs::write(&f.path, sine(0.1 * i as f32)).unwrap();
        expect_reload(&f.reloader, &sine(0.1 * i as f32));
    }
    assert_eq!(stragglers(&f.reloader), Vec::<String>::new());
    // An editor flushing in pieces, or a script saving twenty times in a row: one reload, of the last.
    for i in 0..20 {
        std::fs::write(&f.path, sine(0.01 * i as f32)).unwrap();
    }
    expect_reload(&f.reloader, &sine(0.19));
    assert_eq!(stragglers(&f.reloader), Vec::<String>::new());
    assert_eq!(f.reloader.status().reloads, 6);
}

#[test]
fn saving_without_changes_does_not_reload() {
    let f = fixture();
    std::fs::write(&f.path, sine(0.5)).unwrap();
    assert_eq!(stragglers(&f.reloader), Vec::<String>::new());
    assert_eq!(f.reloader.status().reloads, 0);
}

#[test]
fn a_broken_save_keeps_the_last_good_patch_and_the_next_good_save_recovers() {
    let f = fixture();
    std::fs::write(&f.path, sine(0.5).replace("\"vca\"", "\"vcaa\"")).unwrap();
    match next(&f.reloader) {
        ReloadEvent::Failed(e) => {
            let first = e.message.lines().next().unwrap();
            assert_eq!(first, format!("{}:5:23: error: unknown node kind `vcaa`", f.path.display()));
            assert!(e.diagnostics.is_some());
            let shown = ReloadEvent::Failed(e).to_string();
            assert!(shown.ends_with("still playing the last good patch"), "{shown}");
        }
        other => panic!("expected the compile error, got: {other}"),
    }
    let status = f.reloader.status();
    assert_eq!(status.last_good.map(|s| s.text), Some(sine(0.5)), "rollback target is the good source");
    assert_eq!((status.reloads, status.failures), (0, 1));
    std::fs::write(&f.path, sine(0.125)).unwrap();
    expect_reload(&f.reloader, &sine(0.125));
    assert_eq!(f.reloader.last_good().map(|s| s.text), Some(sine(0.125)));
    assert_eq!(stragglers(&f.reloader), Vec::<String>::new());
}

#[test]
fn a_file_moved_away_is_reported_and_reloaded_when_it_comes_back() {
    let f = fixture();
    let away = f.path.with_file_name("elsewhere.ron");
    std::fs::rename(&f.path, &away).unwrap();
    match next(&f.reloader) {
        ReloadEvent::Missing { path, .. } => assert_eq!(path, f.path),
        other => panic!("expected the file reported missing, got: {other}"),
    }
    let shown = f.reloader.status().last_event.unwrap().to_string();
    assert_eq!(shown, format!("patch file moved or deleted: {}; still playing the last good patch", f.path.display()));
    assert!(f.reloader.status().missing);
    assert_eq!(stragglers(&f.reloader), Vec::<String>::new());
    // Back, edited meanwhile.
    std::fs::write(&away, sine(0.0625)).unwrap();
    std::fs::rename(&away, &f.path).unwrap();
    let r = expect_reload(&f.reloader, &sine(0.0625));
    assert!(r.reappeared);
    assert!(!f.reloader.status().missing);
    assert_eq!(stragglers(&f.reloader), Vec::<String>::new());
}

#[test]
fn a_file_changed_before_watching_started_is_loaded_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("patch.ron");
    std::fs::write(&path, sine(0.75)).unwrap();
    let stale = PatchSource { path: path.display().to_string(), text: sine(0.5) };
    let reloader = Reloader::watch(&path, EngineSlot::new(), Some(stale), ReloadOptions::default()).unwrap();
    expect_reload(&reloader, &sine(0.75));
}

/// A patch of `n` nodes: a sine through a chain of unity-gain VCAs into a final VCA at `gain`.
fn chain(n: usize, gain: f32) -> String {
    let mut nodes = String::from("\"osc\": (kind: \"sine\"),\n");
    let mut wires = String::new();
    let mut prev = "osc".to_string();
    for i in 0..n - 2 {
        nodes += &format!("\"v{i}\": (kind: \"vca\", params: {{ \"gain\": 1.0 }}),\n");
        wires += &format!("(\"{prev}.out\", \"v{i}.in\"),\n");
        prev = format!("v{i}");
    }
    nodes += &format!("\"amp\": (kind: \"vca\", params: {{ \"gain\": {gain:?} }}),\n");
    wires += &format!("(\"{prev}.out\", \"amp.in\"),\n");
    format!("(version: 1, nodes: {{ {nodes} }}, connections: [ {wires} ], output: Mono(\"amp.out\"))")
}

/// Save-to-new-sound latency for a 100-node patch: from just before the file is written to the first
/// block in which an engine, run on its own thread at the pace of 64-frame blocks at 48 kHz, plays the new
/// patch. Prints the figures (run with `--nocapture`); asserts only that the new sound arrives.
#[test]
fn save_to_new_sound_latency_for_a_100_node_patch() {
    const BLOCK: usize = 64;
    let settings = CompileSettings { sample_rate: 48_000.0, max_block: BLOCK, polyphony: None, ..Default::default() };
    let mut figures = Vec::new();
    for _ in 0..7 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.ron");
        std::fs::write(&path, chain(100, 0.0)).unwrap();
        let silent = PatchSource::read(&path).unwrap();
        let (mut engine, control) = Engine::new(compile(&silent, &settings).unwrap());
        let slot = EngineSlot::new();
        slot.attach(settings, control);
        let reloader = Reloader::watch(&path, slot.clone(), Some(silent), ReloadOptions::default()).unwrap();
        std::thread::sleep(Duration::from_millis(200)); // let the watch settle before the timed save
        let audio = std::thread::spawn(move || {
            let note = [Event { time: 0, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } }];
            let (mut left, mut right) = ([0.0f32; BLOCK], [0.0f32; BLOCK]);
            engine.process(&note, &mut left, &mut right);
            let deadline = Instant::now() + EVENT_WAIT;
            while Instant::now() < deadline {
                engine.process(&[], &mut left, &mut right);
                if left.iter().any(|x| x.abs() > 1e-6) {
                    return Some(Instant::now());
                }
                std::thread::sleep(Duration::from_secs_f64(BLOCK as f64 / 48_000.0));
            }
            None
        });
        let saved = Instant::now();
        write_file(&path, &chain(100, 0.5));
        let heard = audio.join().unwrap().expect("the new patch is heard");
        let event = match next(&reloader) {
            ReloadEvent::Reloaded(r) => r,
            other => panic!("{other}"),
        };
        figures.push((
            heard.duration_since(saved).as_secs_f64() * 1e3,
            event.changed_at.saturating_duration_since(saved).as_secs_f64() * 1e3,
            event.submitted_at.saturating_duration_since(event.changed_at).as_secs_f64() * 1e3,
        ));
        slot.collect_retired();
    }
    figures.sort_by(|a, b| a.0.total_cmp(&b.0));
    let source = PatchSource { path: "big.ron".into(), text: chain(100, 0.5) };
    let compiles: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            compile(&source, &settings).unwrap();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    println!(
        "compiling the 100-node patch alone: {:.2} ms (fastest of 7)",
        compiles.iter().fold(f64::MAX, |a, &b| a.min(b))
    );
    for (total, to_event, to_submit) in &figures {
        println!(
            "save-to-sound {total:6.1} ms  (save→fs event {to_event:5.1} ms, debounce+read+compile+submit {to_submit:5.1} ms)"
        );
    }
    println!(
        "save-to-new-sound, 100-node patch, 64-frame blocks at 48 kHz: median {:.1} ms, worst {:.1} ms of {}",
        figures[figures.len() / 2].0,
        figures[figures.len() - 1].0,
        figures.len()
    );
}

fn write_file(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_save_that_is_not_utf8_or_too_large_is_refused_with_its_reason_and_the_patch_plays_on() {
    let f = fixture();
    // A Latin-1 `é` (0xE9) in a comment on line 2: the editor saved in the wrong encoding.
    let mut bytes = b"// patch\n// caf".to_vec();
    bytes.push(0xe9);
    bytes.extend_from_slice(b"\n");
    bytes.extend_from_slice(sine(0.25).as_bytes());
    std::fs::write(&f.path, &bytes).unwrap();
    match next(&f.reloader) {
        ReloadEvent::Failed(e) => assert_eq!(
            e.message,
            format!(
                "{}: error: the file is not UTF-8 text: byte 15 (line 2, column 7) is 0xe9; save it as UTF-8",
                f.path.display()
            )
        ),
        other => panic!("expected the encoding error, got: {other}"),
    }
    // A runaway script appending to the patch: refused before it is read whole.
    let mut huge = sine(0.25);
    huge.push_str(&"// padding\n".repeat(400_000));
    std::fs::write(&f.path, &huge).unwrap();
    match next(&f.reloader) {
        ReloadEvent::Failed(e) => {
            assert!(e.message.ends_with("a patch file may be at most 4 MiB (4194304 bytes)"), "{}", e.message)
        }
        other => panic!("expected the size error, got: {other}"),
    }
    assert_eq!(f.reloader.last_good().map(|s| s.text), Some(sine(0.5)), "the good patch plays on");
}
