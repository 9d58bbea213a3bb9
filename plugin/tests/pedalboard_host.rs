//! Ferrule's VST3 bundle in a real third-party host: pedalboard (PyPI), which is built on JUCE. The
//! committed script `pedalboard_render.py` loads `target/bundled/Ferrule.vst3`, renders a MIDI phrase and
//! writes the audio; this test measures it with the same helpers as every other Ferrule test.
//!
//! On first use the test makes a Python venv under `target/pedalboard-venv` and installs the pinned
//! `pedalboard_requirements.txt` into it (needs `python3` and PyPI; a failure fails the test, loudly).
//! Later runs reuse the venv while the pins are unchanged.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ferrule_tests::measure::{cents, db, peak, pitch_hz, rms};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bundle() -> PathBuf {
    let path = root().join("target/bundled/Ferrule.vst3");
    assert!(path.exists(), "{} is missing: run `cargo xtask bundle` (cargo xtask test does it first)", path.display());
    path
}

/// Runs `command`, panicking with its output if it fails.
fn run(mut command: Command, what: &str) -> String {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: cannot start {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The venv's Python with pedalboard installed, made on first use.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = root().join("target/pedalboard-venv");
        let requirements = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/pedalboard_requirements.txt");
        let pins = std::fs::read_to_string(&requirements).expect("the pinned requirements");
        let stamp = venv.join("ferrule-requirements.txt");
        let python = venv.join("bin/python");
        if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == pins) {
            return python;
        }
        let mut make = Command::new("python3");
        make.args(["-m", "venv", "--clear"]).arg(&venv);
        run(make, "making the pedalboard venv (needs python3 with venv)");
        let mut install = Command::new(&python);
        install.args(["-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r"]).arg(&requirements);
        run(install, "installing pedalboard from PyPI (the pedalboard test needs PyPI on its first run)");
        std::fs::write(&stamp, pins).expect("writing the venv stamp");
        python
    })
}

/// Writes a `.vstpreset` whose component state is `state` (VST3 SDK preset layout: header with the
/// component's class id, the `Comp` chunk, the chunk list).
fn write_preset(path: &Path, state: &[u8]) {
    let class_id: String = ferrule_plugin::vst3::COMPONENT_CID.iter().map(|&b| format!("{:02X}", b as u8)).collect();
    const HEADER: i64 = 4 + 4 + 32 + 8;
    let mut out = b"VST3".to_vec();
    out.extend(1i32.to_le_bytes());
    out.extend(class_id.as_bytes());
    out.extend((HEADER + state.len() as i64).to_le_bytes());
    out.extend(state);
    out.extend(b"List");
    out.extend(1i32.to_le_bytes());
    out.extend(b"Comp");
    out.extend(HEADER.to_le_bytes());
    out.extend((state.len() as i64).to_le_bytes());
    std::fs::write(path, out).expect("writing the preset");
}

/// Renders `phrase` (see the script) at `rate` in pedalboard, after loading the sine patch if `sine` and
/// setting `parameters` (`name=value`). Returns the left channel and what the host reported.
fn render(phrase: &str, rate: u32, sine: bool, parameters: &[&str]) -> (Vec<f32>, String) {
    let dir = root().join("target/pedalboard");
    std::fs::create_dir_all(&dir).unwrap();
    let preset = if sine {
        let path = dir.join(format!("sine-{phrase}-{rate}.vstpreset"));
        write_preset(&path, &common::sine_state(0.0));
        path.display().to_string()
    } else {
        "-".to_string()
    };
    let out =
        dir.join(format!("{phrase}-{rate}-{}{}.f32", if sine { "sine" } else { "default" }, parameters.join(",")));
    let mut command = Command::new(python());
    command
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/pedalboard_render.py"))
        .arg(bundle())
        .arg(&preset)
        .arg(phrase)
        .arg(rate.to_string())
        .arg(&out)
        .args(parameters);
    let report = run(command, "rendering in pedalboard");
    let bytes = std::fs::read(&out).expect("the rendered audio");
    let audio = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    (audio, report)
}

fn seconds(x: &[f32], rate: u32, from: f64, to: f64) -> &[f32] {
    &x[(from * rate as f64) as usize..(to * rate as f64) as usize]
}

#[test]
fn pedalboard_plays_a4_in_tune_on_time_and_at_the_patch_level() {
    for rate in [44_100, 48_000] {
        let (out, report) = render("a4", rate, true, &[]);
        println!("pedalboard reports: {report}");
        assert!(report.contains("\"is_instrument\": true"), "{report}");
        assert!(report.contains("\"level\""), "the controller shows the preset's macro name: {report}");
        assert_eq!(out.len(), 2 * rate as usize);
        let onset = out.iter().position(|&x| x != 0.0).expect("sound");
        let expected = rate as usize / 4;
        assert!(onset.abs_diff(expected) <= 1, "{rate} Hz: the note starts at frame {onset}, not {expected}");
        let hz = pitch_hz(seconds(&out, rate, 0.35, 1.65), rate as f32).expect("a tone");
        let error = cents(hz, 440.0);
        let level = db(peak(seconds(&out, rate, 0.35, 1.65)));
        println!("pedalboard, A4 at {rate} Hz: {hz:.4} Hz ({error:+.4} cents), peak {level:.2} dBFS");
        assert!(error.abs() < 0.5, "{rate} Hz: {hz:.4} Hz is {error:+.3} cents from A4");
        assert!((level - db(0.5)).abs() < 0.1, "{rate} Hz: peak {level:.2} dBFS, the patch plays at -6.02");
        assert_eq!(peak(seconds(&out, rate, 1.85, 2.0)), 0.0, "{rate} Hz: silent after the release");
    }
}

#[test]
fn pedalboard_sets_the_master_volume_in_db() {
    let rate = 48_000;
    let (out, _) = render("a4", rate, true, &["master_volume_db=-12"]);
    let level = db(peak(seconds(&out, rate, 0.35, 1.65)));
    println!("pedalboard, master volume -12 dB: peak {level:.2} dBFS");
    assert!((level - (db(0.5) - 12.0)).abs() < 0.1, "peak {level:.2} dBFS, expected -18.02");
}

#[test]
fn pedalboard_midi_pitch_bend_reaches_ferrule() {
    let rate = 48_000;
    let (out, _) = render("bend", rate, true, &[]);
    // JUCE applies a mapped controller at the start of the host block holding it (pedalboard's blocks are
    // 8192 frames), not at its sample: measure well away from the change.
    let before = pitch_hz(seconds(&out, rate, 0.1, 0.8), rate as f32).unwrap();
    let after = pitch_hz(seconds(&out, rate, 1.3, 1.85), rate as f32).unwrap();
    println!("pedalboard, pitch bend: {before:.3} Hz before, {after:.3} Hz at full bend");
    assert!(cents(before, 440.0).abs() < 0.5, "unbent: {before:.3} Hz");
    assert!((cents(after, 440.0) - 200.0).abs() < 0.5, "full bend is +2 semitones: {after:.3} Hz");
}

#[test]
fn pedalboard_plays_a_phrase_on_the_default_patch_at_a_sensible_level() {
    let rate = 48_000;
    let (out, report) = render("phrase", rate, false, &[]);
    println!("pedalboard reports: {report}");
    assert!(report.contains("\"brightness\""), "the default patch's macros: {report}");
    assert!(out.iter().all(|x| x.is_finite()));
    let (chord_peak, chord_rms) = (db(peak(seconds(&out, rate, 0.0, 1.0))), db(rms(seconds(&out, rate, 0.0, 1.0))));
    let melody_rms = db(rms(seconds(&out, rate, 1.0, 3.0)));
    let whole_peak = db(peak(&out));
    println!(
        "pedalboard, default patch: chord peak {chord_peak:.1} dBFS, RMS {chord_rms:.1} dBFS; melody RMS \
         {melody_rms:.1} dBFS; peak {whole_peak:.1} dBFS"
    );
    assert!((-30.0..-1.0).contains(&whole_peak), "headroom, and audible: peak {whole_peak:.1} dBFS");
    assert!(chord_rms > -40.0 && melody_rms > -40.0, "both parts are heard");
    assert!(db(peak(seconds(&out, rate, 3.8, 4.0))) < -60.0, "the release dies away");
}
