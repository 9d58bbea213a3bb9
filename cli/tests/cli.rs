//! The `ferrule` command as a user runs it.

use std::process::Command;

mod common;

use common::{SINE, ferrule, read_wav, repo, scratch, stderr};

#[test]
fn render_writes_a_stereo_float_wav_of_the_asked_length() {
    let out = scratch("default.wav");
    let run = ferrule(&[
        "render",
        "patches/default.ron",
        "-o",
        out.to_str().unwrap(),
        "--notes",
        "C3@0+1,E3@0.25+0.75*80",
        "--seconds",
        "1.5",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (spec, samples) = read_wav(&out);
    assert_eq!((spec.channels, spec.bits_per_sample, spec.sample_rate), (2, 32, 48_000));
    assert_eq!(spec.sample_format, hound::SampleFormat::Float);
    assert_eq!(samples.len(), 2 * 72_000);
    assert!(samples.iter().any(|x| x.abs() > 0.05), "audible");
}

#[test]
fn render_plays_the_note_asked_for() {
    let patch = scratch("sine.ron");
    std::fs::write(&patch, SINE).unwrap();
    let out = scratch("a4.wav");
    let run = ferrule(&[
        "render",
        patch.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--notes",
        "A4@0+1",
        "--rate",
        "44100",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (_, samples) = read_wav(&out);
    let left: Vec<f32> = samples.iter().step_by(2).copied().take(44_100).collect();
    let ups: Vec<usize> = (1..left.len()).filter(|&i| left[i - 1] <= 0.0 && left[i] > 0.0).collect();
    let hz = (ups.len() - 1) as f64 * 44_100.0 / (ups[ups.len() - 1] - ups[0]) as f64;
    assert!((1200.0 * (hz / 440.0).log2()).abs() < 1.0, "{hz} Hz");
}

#[test]
fn check_accepts_the_factory_patches_and_rejects_a_broken_one_with_its_position() {
    let good = ferrule(&["check", "patches/default.ron", "patches/ref-voice.ron"]);
    assert!(good.status.success(), "{}", stderr(&good));
    let said = String::from_utf8_lossy(&good.stdout);
    assert!(
        said.contains("patches/ref-voice.ron: ok (8 nodes, polyphony 64, latency 12 samples, "),
        "check names what it compiled: {said}"
    );
    let broken = scratch("broken.ron");
    std::fs::write(&broken, SINE.replace("\"vca\"", "\"vcaa\"")).unwrap();
    let bad = ferrule(&["check", broken.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    let first = stderr(&bad).lines().next().unwrap_or_default().to_string();
    assert_eq!(first, format!("{}:5:23: error: unknown node kind `vcaa`", broken.display()));
}

#[test]
fn input_mistakes_are_one_line_and_a_failing_exit() {
    let cases: [(&[&str], &str); 4] = [
        (&["check", "missing.ron"], "missing.ron: error: No such file or directory (os error 2)\n"),
        (
            &["render", "patches/default.ron", "-o", "/tmp/x.wav", "--notes", "C4@0"],
            "ferrule: error: bad note \"C4@0\": missing +DURATION (write NOTE@START+DURATION[*VELOCITY], e.g. C4@0.5+1*90)\n",
        ),
        (
            &["render", "patches/default.ron", "-o", "/tmp/x.wav", "--rate", "0"],
            "ferrule: error: --rate 0 must be a whole number from 8000 to 768000 Hz\n",
        ),
        (
            &["render", "patches/default.ron", "-o", "/tmp/x.wav", "--midi", "nothere.mid"],
            "ferrule: error: nothere.mid: No such file or directory (os error 2)\n",
        ),
    ];
    for (args, message) in cases {
        let run = ferrule(args);
        assert!(!run.status.success(), "{args:?}");
        assert_eq!(stderr(&run), message, "{args:?}");
    }
    let both = ferrule(&["render", "patches/default.ron", "-o", "/tmp/x.wav", "--notes", "C4@0+1", "--midi", "a.mid"]);
    assert!(!both.status.success());
    assert!(stderr(&both).contains("cannot be used with"), "{}", stderr(&both));
}

#[test]
fn graph_prints_dot() {
    let run = ferrule(&["graph", "patches/ref-voice.ron"]);
    let dot = String::from_utf8_lossy(&run.stdout);
    assert!(dot.starts_with("digraph patch {"));
    assert!(dot.contains("\"filter_env\" -> \"filter\" [label=\"cutoff +3\", style=dashed"), "{dot}");
}

#[test]
fn bench_ends_with_the_voices_it_plays_in_real_time() {
    let run = ferrule(&["bench", "patches/ref-voice.ron", "--voices", "8", "--seconds", "0.2"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = String::from_utf8_lossy(&run.stdout);
    let last = text.lines().last().unwrap_or_default();
    let voices: u64 = last.strip_prefix("voices_realtime=").and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(voices > 0, "{text}");
}

#[test]
fn render_swap_at_changes_the_patch_mid_note_without_restarting_it() {
    let loud = scratch("swap-loud.ron");
    std::fs::write(&loud, SINE).unwrap();
    let quiet = scratch("swap-quiet.ron");
    std::fs::write(&quiet, SINE.replace("0.5", "0.125")).unwrap();
    let out = scratch("swap.wav");
    let swap = format!("0.5:{}", quiet.display());
    let run = ferrule(&[
        "render",
        loud.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--notes",
        "A4@0+1",
        "--seconds",
        "1",
        "--swap-at",
        &swap,
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (_, samples) = read_wav(&out);
    let left: Vec<f32> = samples.iter().step_by(2).copied().collect();
    let peak = |x: &[f32]| x.iter().fold(0.0f32, |a, s| a.max(s.abs()));
    assert!((peak(&left[..24_000]) - 0.5).abs() < 0.01, "the first patch until 0.5 s");
    assert!((peak(&left[25_000..48_000]) - 0.125).abs() < 0.01, "the second after it");
    // The note carried on through the swap: the step there is no bigger than the sine's own.
    let step = |x: &[f32]| x.windows(2).fold(0.0f32, |a, w| a.max((w[1] - w[0]).abs()));
    assert!(step(&left[23_900..24_200]) <= step(&left[..23_900]) * 1.01);
}

/// Frequency of a steady sine from its upward zero crossings, in Hz.
fn zero_crossing_hz(x: &[f32], rate: f64) -> f64 {
    let ups: Vec<usize> = (1..x.len()).filter(|&i| x[i - 1] <= 0.0 && x[i] > 0.0).collect();
    (ups.len() - 1) as f64 * rate / (ups[ups.len() - 1] - ups[0]) as f64
}

#[test]
fn render_swap_at_a_broken_patch_reports_it_and_the_old_patch_plays_on() {
    let good = scratch("swap-keep.ron");
    std::fs::write(&good, SINE).unwrap();
    let broken = scratch("swap-broken.ron");
    std::fs::write(&broken, SINE.replace("\"vca\"", "\"vcaa\"")).unwrap();
    let out = scratch("swap-broken.wav");
    let swap = format!("0.5:{}", broken.display());
    let run = ferrule(&[
        "render",
        good.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--notes",
        "A4@0+1",
        "--seconds",
        "1",
        "--swap-at",
        &swap,
    ]);
    let said = stderr(&run);
    assert!(run.status.success(), "a broken swap does not stop the render: {said}");
    let mut lines = said.lines();
    assert_eq!(lines.next().unwrap_or_default(), format!("{}:5:23: error: unknown node kind `vcaa`", broken.display()));
    assert!(
        said.contains(&format!("ferrule: {} not swapped in at 0.5 s: the patch before it plays on", broken.display())),
        "{said}"
    );
    let (_, samples) = read_wav(&out);
    let left: Vec<f32> = samples.iter().step_by(2).copied().collect();
    assert_eq!(left.len(), 48_000);
    // After the swap time the first patch still plays its note: same level, same pitch, not silence.
    let after = &left[24_000..48_000];
    let peak = after.iter().fold(0.0f32, |a, s| a.max(s.abs()));
    assert!((peak - 0.5).abs() < 0.01, "peak {peak} after the broken swap");
    let hz = zero_crossing_hz(after, 48_000.0);
    assert!((1200.0 * (hz / 440.0).log2()).abs() < 1.0, "{hz} Hz after the broken swap");
}

#[test]
fn render_swap_at_an_unreadable_patch_or_a_bad_spec_is_a_one_line_error() {
    let missing = ferrule(&["render", "patches/default.ron", "-o", "/tmp/x.wav", "--swap-at", "0.5:nothere.ron"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(stderr(&missing), "ferrule: error: nothere.ron: No such file or directory (os error 2)\n");
    let bad = ferrule(&["render", "patches/default.ron", "-o", "/tmp/x.wav", "--swap-at", "soon:x.ron"]);
    assert_eq!(
        stderr(&bad),
        "ferrule: error: bad --swap-at \"soon:x.ron\": `soon` is not a number of seconds ≥ 0 (write SECONDS:PATCH, e.g. 1.5:other.ron)\n"
    );
}

#[test]
fn play_without_the_audio_device_says_so_and_fails() {
    let run = ferrule(&["play", "patches/default.ron", "--device", "nosuch"]);
    assert_eq!(run.status.code(), Some(1));
    let last = stderr(&run).lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with("ferrule: error: no audio output device named `nosuch` (available: "), "{last}");
}

/// `ferrule play` on ALSA's `null` device (present wherever alsa-lib is): a save is reloaded, a broken
/// save prints its error with file:line:col and keeps playing, the next good save recovers.
#[cfg(target_os = "linux")]
#[test]
fn play_reloads_each_save_and_prints_errors_as_they_happen() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let patch = scratch("play.ron");
    std::fs::write(&patch, SINE).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrule"))
        .args(["play", patch.to_str().unwrap(), "--device", "alsa:null"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Generous waits for each line; none of them is a timing assertion.
    let wait_for = |wanted: &str| -> String {
        loop {
            match lines.recv_timeout(Duration::from_secs(20)) {
                Ok(line) if line.contains(wanted) => return line,
                Ok(_) => {}
                Err(_) => panic!("`ferrule play` never printed a line containing {wanted:?}"),
            }
        }
    };
    wait_for("watching for saves");
    std::fs::write(&patch, SINE.replace("0.5", "0.25")).unwrap();
    let reloaded = wait_for("reloaded");
    assert!(reloaded.starts_with(&format!("{}: reloaded", patch.display())), "{reloaded}");
    std::fs::write(&patch, SINE.replace("\"vca\"", "\"vcaa\"")).unwrap();
    let error = wait_for("error");
    assert_eq!(error, format!("{}:5:23: error: unknown node kind `vcaa`", patch.display()));
    wait_for("still playing the last good patch");
    std::fs::write(&patch, SINE.replace("0.5", "0.125")).unwrap();
    wait_for("reloaded");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn nodes_lists_every_kind_and_markdown_is_the_committed_reference() {
    let out = ferrule(&["nodes"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Oscillators") && text.contains("  saw  "), "{text}");
    assert!(text.contains("par  cutoff"), "parameters are listed");
    let md = ferrule(&["nodes", "--markdown"]);
    let committed = std::fs::read_to_string(repo().join("docs/nodes.md")).unwrap();
    assert_eq!(String::from_utf8(md.stdout).unwrap(), committed, "`ferrule nodes --markdown` writes docs/nodes.md");
}

#[test]
fn check_warns_about_a_node_that_is_never_heard_but_still_passes() {
    let path = scratch("unheard.ron");
    let text = SINE.replace(r#""osc": (kind: "sine"),"#, r#""osc": (kind: "sine"), "sub": (kind: "sub"),"#);
    assert_ne!(text, SINE, "the test patch gained a node");
    std::fs::write(&path, text).unwrap();
    let out = ferrule(&["check", path.to_str().unwrap()]);
    assert!(out.status.success(), "a warning does not fail the check");
    let first = stderr(&out).lines().next().unwrap_or_default().to_string();
    assert!(first.ends_with(": warning: `sub` is never heard: nothing connects it to the output"), "{}", stderr(&out));
    let clean = ferrule(&["check", "patches/default.ron"]);
    assert!(!stderr(&clean).contains("warning"), "factory patches have no unheard nodes");
}
