//! Every factory patch, as a player first meets it: a four-note chord (C3 E3 G3 C4) at velocity 100 held for
//! two seconds, then released. Each `.ron` file in `patches/` is found with `read_dir`, so a new patch is
//! covered without touching this file. Each must
//!
//! - compile;
//! - be audible: RMS over the held two seconds (both channels) above [`AUDIBLE_FLOOR_DB`];
//! - never clip: no sample of the whole render (effects tails included) above 1.0 (0 dBFS);
//! - fall silent after release: every sample below [`SILENCE_DB`] from at most [`tail_bound`] seconds after
//!   the note-off on, where the bound is computed from the patch itself (its envelopes and its effects) and
//!   never exceeds [`MAX_TAIL`].
//!
//! Every macro is also turned fully down and fully up: the chord must stay finite and unclipped, and the
//! macro must change what is heard. The whole file runs in a few seconds in release mode on two cores.
//!
//! `cargo test --release -p ferrule-tests --test factory_patches -- --nocapture` prints each patch's figures.

use std::path::{Path, PathBuf};

use ferrule_engine::patch::model::{NodeDecl, ParamValue};
use ferrule_engine::patch::{Patch, parse};
use ferrule_engine::render::{RenderSettings, Rendered, TimedEvent, render};
use ferrule_engine::{CompileSettings, EventKind, PatchSource, compile};
use ferrule_tests::measure::{db, peak, rms};
use ferrule_tests::patch::{off, on};

const RATE: f32 = 48_000.0;
/// Host block size of the renders, in frames.
const BLOCK: usize = 256;
/// The chord: C3 E3 G3 C4.
const CHORD: [u8; 4] = [48, 52, 55, 60];
/// MIDI velocity 100 on the engine's 0..1 scale.
const VELOCITY: f32 = 100.0 / 127.0;
/// How long the chord is held, in seconds.
const HOLD: f64 = 2.0;
/// A patch is audible when the RMS of its held chord is above this, in dBFS. A one-shot percussion voice
/// counts too: its hits are averaged over the whole hold.
const AUDIBLE_FLOOR_DB: f32 = -40.0;
/// Silence: every sample below this, in dBFS.
const SILENCE_DB: f32 = -90.0;
/// Patches excused from the clip bar, each with the reason; every other bar still applies to them. The test
/// fails if an excused patch no longer clips, so the list cannot outlive its reason.
/// The longest any factory patch may take to fall silent after release, whatever its envelopes and
/// effects declare, in seconds: a patch that rings longer than this is a mistake, not a sound.
const MAX_TAIL: f64 = 20.0;
/// How long the macro renders hold the chord, in seconds.
const MACRO_HOLD: f64 = 0.8;
/// The tempo the renders run at (the engine's default without a host), for synced delays.
const TEMPO: f64 = 120.0;

/// What one patch measured.
struct Figures {
    name: String,
    peak_db: f32,
    held_rms_db: f32,
    /// Seconds from the note-off to the last sample at or above [`SILENCE_DB`].
    to_silence: f64,
    /// The bound `to_silence` must stay within.
    bound: f64,
}

/// Every `.ron` file in `patches/`, sorted by name.
fn factory_patch_paths() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../patches");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    paths.sort();
    paths
}

fn number(node: &NodeDecl, param: &str, default: f64) -> f64 {
    match node.params.get(param) {
        Some(ParamValue::Number(v)) => *v,
        _ => default,
    }
}

/// Seconds of a note value such as `1/8`, `1/8d` (dotted) or `1/4t` (triplet) at [`TEMPO`]; `None` for `off`.
fn note_value_seconds(name: &str) -> Option<f64> {
    let (body, factor) = match name.as_bytes().last() {
        Some(b'd') => (&name[..name.len() - 1], 1.5),
        Some(b't') => (&name[..name.len() - 1], 2.0 / 3.0),
        _ => (name, 1.0),
    };
    let (num, den) = body.split_once('/')?;
    let whole_notes = num.parse::<f64>().ok()? / den.parse::<f64>().ok()?;
    Some(whole_notes * 4.0 * 60.0 / TEMPO * factor)
}

/// How long after the note-off `patch` may take to fall below [`SILENCE_DB`], computed generously from what
/// it declares, in seconds:
///
/// - the voices: twice the longest release of any `adsr`/`dahdsr`/`ar` (or decay of an `ad`), so a route
///   or macro that lengthens it by up to an octave is covered;
/// - then each effect in the chain adds its own tail: a reverb 100/60 of its RT60 (time to fall 100 dB,
///   more than the 90 dB needed from full scale) plus its pre-delay; a delay enough repeats at its
///   feedback to fall 100 dB (`time` or its synced note value each); a chorus its longest copy, 20 ms;
/// - plus a quarter of a second;
/// - and never more than [`MAX_TAIL`].
fn tail_bound(patch: &Patch) -> f64 {
    let voice = patch
        .nodes
        .values()
        .map(|n| match n.kind.as_str() {
            "adsr" | "dahdsr" | "ar" => number(n, "release", 0.3),
            "ad" => number(n, "attack", 0.002) + number(n, "decay", 0.3),
            _ => 0.0,
        })
        .fold(0.005, f64::max)
        * 2.0;
    let effects: f64 = patch
        .effects
        .values()
        .map(|e| match e.kind.as_str() {
            "reverb" => number(e, "decay", 2.0) * 100.0 / 60.0 + number(e, "predelay", 0.01),
            "delay" => {
                let synced = match e.params.get("sync") {
                    Some(ParamValue::Name(s)) => note_value_seconds(s),
                    _ => None,
                };
                let time = synced.unwrap_or_else(|| number(e, "time", 0.375)).min(4.0);
                let feedback = number(e, "feedback", 0.4).max(1e-3);
                let repeats = (1e-5f64.ln() / feedback.ln()).ceil().max(1.0);
                time * (repeats + 1.0)
            }
            _ => 0.02,
        })
        .sum();
    (voice + effects + 0.25).min(MAX_TAIL)
}

/// The four-note chord held for [`HOLD`] seconds.
fn chord() -> Vec<TimedEvent> {
    CHORD.iter().flat_map(|&n| [on(0.0, n, VELOCITY), off(HOLD, n)]).collect()
}

/// Seconds from `from` (a frame) to the last sample of either channel at or above `threshold`; 0 when none.
fn last_above(audio: &Rendered, from: usize, threshold: f32) -> f64 {
    let last = |x: &[f32]| x.iter().rposition(|s| s.abs() >= threshold).map_or(0, |i| i + 1);
    let end = last(&audio.left[from..]).max(last(&audio.right[from..]));
    end as f64 / RATE as f64
}

/// Renders `text` and measures it; `Err` names every bar it misses.
fn check(name: &str, text: &str) -> Result<Figures, String> {
    let source = PatchSource { path: name.into(), text: text.into() };
    let (patch, _) = parse(&source).map_err(|d| format!("{name} does not parse:\n{d}"))?;
    let bound = tail_bound(&patch);
    let settings = CompileSettings { sample_rate: RATE, max_block: BLOCK, polyphony: None, ..Default::default() };
    let schedule = compile(&source, &settings).map_err(|d| format!("{name} does not compile:\n{d}"))?;
    let audio = render(schedule, &chord(), &RenderSettings { block: BLOCK, seconds: HOLD + bound + 0.5 });
    let off_frame = (HOLD * RATE as f64) as usize;
    let both: Vec<f32> = audio.left.iter().chain(&audio.right).copied().collect();
    let held: Vec<f32> = audio.left[..off_frame].iter().chain(&audio.right[..off_frame]).copied().collect();
    let figures = Figures {
        name: name.into(),
        peak_db: db(peak(&both)),
        held_rms_db: db(rms(&held)),
        to_silence: last_above(&audio, off_frame, 10f32.powf(SILENCE_DB / 20.0)),
        bound,
    };
    let mut misses = Vec::new();
    if both.iter().any(|s| !s.is_finite()) {
        misses.push("a sample is not finite".to_string());
    }
    if peak(&both) > 1.0 {
        misses.push(format!("clips: peak {:+.2} dBFS > 0 dBFS", figures.peak_db));
    }
    if figures.held_rms_db.is_nan() || figures.held_rms_db <= AUDIBLE_FLOOR_DB {
        misses.push(format!("too quiet: held RMS {:.1} dBFS ≤ {AUDIBLE_FLOOR_DB} dBFS", figures.held_rms_db));
    }
    if figures.to_silence > bound {
        misses.push(format!(
            "still sounding {:.2} s after release (bound {bound:.2} s, silence < {SILENCE_DB} dBFS)",
            figures.to_silence
        ));
    }
    if misses.is_empty() { Ok(figures) } else { Err(format!("{name}: {}", misses.join("; "))) }
}

#[test]
fn every_factory_patch_compiles_is_audible_never_clips_and_falls_silent() {
    let count = factory_patch_paths().len();
    assert!(count >= 13, "the factory set has at least 13 patches, found {count}");
    let results = over_factory_patches(check);

    println!("| patch | peak dBFS | held RMS dBFS | silent after release (s) | bound (s) |");
    println!("|---|---|---|---|---|");
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(f) => {
                println!(
                    "| {} | {:.1} | {:.1} | {:.2} | {:.2} |",
                    f.name, f.peak_db, f.held_rms_db, f.to_silence, f.bound
                );
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "factory patches that miss a bar:\n{}", failures.join("\n"));
}

/// The same chord-and-release patch shape with the given amplifier gain and release, for showing that
/// each bar can fail.
fn probe(gain: f64, release: f64) -> String {
    format!(
        r#"(
    version: 1,
    voice: (amp_envelope: "env"),
    nodes: {{
        "osc": (kind: "saw"),
        "env": (kind: "adsr", params: {{ "attack": 0.01, "sustain": 1.0, "release": {release:?} }}),
        "amp": (kind: "vca", params: {{ "gain": {gain:?} }}),
    }},
    connections: [("osc", "amp.in"), ("env", "amp.cv")],
    output: Mono("amp.out"),
)"#
    )
}

#[test]
fn the_bars_catch_a_loud_a_quiet_and_a_lingering_patch() {
    let fine = check("fine.ron", &probe(0.15, 0.3)).expect("a moderate saw chord passes");
    assert!(fine.to_silence > 0.2 && fine.to_silence <= fine.bound, "{} s", fine.to_silence);
    let loud = check("loud.ron", &probe(1.0, 0.3)).err().expect("four full-scale saws clip");
    assert!(loud.contains("clips"), "{loud}");
    let quiet = check("quiet.ron", &probe(0.001, 0.3)).err().expect("−60 dB saws are too quiet");
    assert!(quiet.contains("too quiet"), "{quiet}");
    // An envelope whose release a velocity route stretches far past its written value outlasts the bound.
    let lingering = probe(0.15, 0.3).replace(
        "output:",
        r#"modulations: [(from: "velocity", to: "env.release", depth: 6.0)],
    output:"#,
    );
    let lingering = check("lingering.ron", &lingering).err().expect("a 15 s release outlasts the bound");
    assert!(lingering.contains("still sounding"), "{lingering}");
    let endless = check("endless.ron", &probe(0.15, 25.0)).err().expect("a 25 s release outlasts MAX_TAIL");
    assert!(endless.contains("still sounding"), "{endless}");
    let broken = check("broken.ron", &probe(0.15, 0.3).replace("\"saw\"", "\"sawz\"")).err().expect("no such kind");
    assert!(broken.contains("broken.ron does not compile") && broken.contains("sawz"), "{broken}");
}

/// The chord held for one second with macro `index` set to `position` (0..1) before it starts.
fn macro_render(text: &str, index: Option<u8>, position: f32) -> Result<Rendered, String> {
    let source = PatchSource { path: "macro.ron".into(), text: text.into() };
    let settings = CompileSettings { sample_rate: RATE, max_block: BLOCK, polyphony: None, ..Default::default() };
    let schedule = compile(&source, &settings).map_err(|d| d.to_string())?;
    let mut events: Vec<TimedEvent> = index
        .map(|index| TimedEvent { seconds: 0.0, kind: EventKind::Macro { index, value: position } })
        .into_iter()
        .collect();
    events.extend(CHORD.iter().flat_map(|&n| [on(0.0, n, VELOCITY), off(MACRO_HOLD, n)]));
    Ok(render(schedule, &events, &RenderSettings { block: BLOCK, seconds: MACRO_HOLD + 0.75 }))
}

/// A macro moves its patch when, at one end of its range or the other, the chord differs from the chord at
/// the macro's default by more than this RMS level, in dBFS (left channel).
const MACRO_AUDIBLE_DB: f32 = -50.0;

/// Checks every macro of one patch at both ends of its range; `Err` names each that misses a bar.
fn check_macros(name: &str, text: &str) -> Result<Vec<String>, String> {
    let (patch, _) =
        parse(&PatchSource { path: name.into(), text: text.into() }).map_err(|d| format!("{name}: {d}"))?;
    let plain = macro_render(text, None, 0.0).map_err(|d| format!("{name}: {d}"))?;
    let mut lines = Vec::new();
    let mut misses = Vec::new();
    for (index, m) in patch.macros.iter().enumerate() {
        let mut line = format!("{name} {}:", m.name);
        let mut largest_change = f32::NEG_INFINITY;
        for position in [0.0f32, 1.0] {
            let moved = macro_render(text, Some(index as u8), position).map_err(|d| format!("{name}: {d}"))?;
            let all: Vec<f32> = moved.left.iter().chain(&moved.right).copied().collect();
            let diff: Vec<f32> = moved.left.iter().zip(&plain.left).map(|(a, b)| a - b).collect();
            let change = db(rms(&diff));
            largest_change = largest_change.max(change);
            line += &format!(" at {position}: peak {:+.1} dBFS, change {change:.1} dB;", db(peak(&all)));
            if all.iter().any(|x| !x.is_finite()) || peak(&all) > 1.0 {
                misses.push(format!("{name}: macro {} at {position} clips or is not finite", m.name));
            }
        }
        if largest_change <= MACRO_AUDIBLE_DB {
            misses.push(format!("{name}: macro {} changes nothing audible ({largest_change:.1} dB)", m.name));
        }
        lines.push(line);
    }
    if misses.is_empty() { Ok(lines) } else { Err(misses.join("\n")) }
}

/// Runs `check` over every factory patch, half on each of two threads (the build machine has two cores).
fn over_factory_patches<T: Send>(check: impl Fn(&str, &str) -> T + Sync) -> Vec<T> {
    let texts: Vec<(String, String)> = factory_patch_paths()
        .iter()
        .map(|p| {
            let name = p.file_name().expect("a file name").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        })
        .collect();
    let (first, second) = texts.split_at(texts.len() / 2);
    let run = |set: &[(String, String)]| -> Vec<T> { set.iter().map(|(name, text)| check(name, text)).collect() };
    std::thread::scope(|s| {
        let a = s.spawn(|| run(first));
        let b = run(second);
        let mut all = a.join().expect("the first half rendered");
        all.extend(b);
        all
    })
}

/// Every macro, turned fully down and fully up before a held chord (velocity 100, one second): the patch
/// stays finite and at or under 0 dBFS, and the macro changes what is heard.
#[test]
fn every_macro_moves_its_patch_and_keeps_it_finite_and_unclipped_at_both_ends() {
    let mut failures = Vec::new();
    for result in over_factory_patches(check_macros) {
        match result {
            Ok(lines) => lines.iter().for_each(|l| println!("{l}")),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "macros that miss a bar:\n{}", failures.join("\n"));
}
