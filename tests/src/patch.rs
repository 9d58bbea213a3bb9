//! Compiling and rendering patches in tests.

use ferrule_engine::render::{RenderSettings, Rendered, TimedEvent, render};
use ferrule_engine::{CompileSettings, EventKind, PatchSource, Schedule, compile};

/// Compiles patch text at `sample_rate`, panicking with the diagnostics if it does not compile.
pub fn schedule(text: &str, sample_rate: f32) -> Schedule {
    let source = PatchSource { path: "test.ron".into(), text: text.into() };
    match compile(&source, &CompileSettings { sample_rate, max_block: 4096, polyphony: None, ..Default::default() }) {
        Ok(s) => s,
        Err(d) => panic!("test patch does not compile:\n{d}"),
    }
}

/// The text of `patches/NAME` in the repository.
pub fn factory_patch(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../patches").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A note-on at `seconds`.
pub fn on(seconds: f64, note: u8, velocity: f32) -> TimedEvent {
    TimedEvent { seconds, kind: EventKind::NoteOn { note, velocity } }
}

/// A note-off at `seconds`.
pub fn off(seconds: f64, note: u8) -> TimedEvent {
    TimedEvent { seconds, kind: EventKind::NoteOff { note } }
}

/// Renders `text` at `sample_rate` for `seconds` in blocks of `block`.
pub fn render_text(text: &str, events: &[TimedEvent], sample_rate: f32, block: usize, seconds: f64) -> Rendered {
    render(schedule(text, sample_rate), events, &RenderSettings { block, seconds })
}

/// A sine through a VCA at gain 0.5, no envelope: the simplest audible patch.
pub const SINE: &str = r#"(
    version: 1,
    nodes: {
        "osc": (kind: "sine"),
        "amp": (kind: "vca", params: { "gain": 0.5 }),
    },
    connections: [("osc.out", "amp.in")],
    output: Mono("amp.out"),
)"#;

/// A patch that runs away: two saws at double level into a mixer at double gain into a VCA at 4×, far
/// past the output clamp. What the runaway guard must mute.
pub const SCREAMER: &str = r#"(
    version: 1,
    nodes: {
        "a": (kind: "saw", params: { "level": 2.0 }),
        "b": (kind: "saw", params: { "level": 2.0, "fine": 3.0 }),
        "mix": (kind: "mixer", params: { "gain1": 2.0, "gain2": 2.0 }),
        "amp": (kind: "vca", params: { "gain": 4.0 }),
    },
    connections: [("a", "mix.in1"), ("b", "mix.in2"), ("mix", "amp.in")],
    output: Mono("amp.out"),
)"#;

/// A saw through a low-pass whose cutoff is exposed ("Cutoff", 200 Hz to 8 kHz, written in the file as
/// `cutoff` Hz) and a VCA whose gain is exposed ("Level", 0 to `level_max`, file value 0.3).
pub fn exposed_filter(cutoff: f32, level_max: f32) -> String {
    format!(
        r#"(
    version: 1,
    nodes: {{
        "osc": (kind: "saw"),
        "filter": (kind: "svf", params: {{ "cutoff": {cutoff:?} }}),
        "amp": (kind: "vca", params: {{ "gain": 0.3 }}),
    }},
    connections: [("osc.out", "filter.in"), ("filter.lp", "amp.in")],
    output: Mono("amp.out"),
    params: [
        (name: "Cutoff", to: "filter.cutoff", min: 200.0, max: 8000.0),
        (name: "Level", to: "amp.gain", min: 0.0, max: {level_max:?}),
    ],
)"#
    )
}
