//! A small, complete run of the engine for memory checkers (`cargo xtask test` runs it under valgrind
//! memcheck; it runs under Miri too where a nightly toolchain with Miri is installed): compiles three factory
//! patches of different shapes, plays a chord, swaps to a patch of another shape while the notes sound (so the
//! voices and the effect chains crossfade), swaps again, releases the notes, collects the retired schedules and
//! drops everything. Exits non-zero, saying why, if the engine goes silent, produces a non-finite sample or
//! does not hand a retired schedule back.
//!
//! `cargo build --release -p ferrule-engine --example memcheck && valgrind target/release/examples/memcheck`

use std::process::ExitCode;

use ferrule_engine::{CompileSettings, Engine, Event, EventKind, PatchSource, Schedule, compile};

/// The sample rate everything is compiled and played at, in Hz.
const RATE: f32 = 48_000.0;
/// Frames per `process` call: one host block.
const BLOCK: usize = 64;
/// Blocks played after each step: 40 ms, longer than the 15 ms crossfade.
const BLOCKS: usize = 30;

/// Compiles `patches/NAME` from the repository (main thread).
fn schedule(name: &str) -> Result<Schedule, String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../patches").join(name);
    let source = PatchSource::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let settings = CompileSettings { sample_rate: RATE, max_block: BLOCK, ..Default::default() };
    compile(&source, &settings).map_err(|d| format!("{name} does not compile:\n{d}"))
}

/// Plays `BLOCKS` blocks, `events` at the start of the first; returns the peak level (linear) or why it failed.
fn play(engine: &mut Engine, events: &[Event], left: &mut [f32], right: &mut [f32]) -> Result<f32, String> {
    let mut peak = 0.0f32;
    for block in 0..BLOCKS {
        engine.process(if block == 0 { events } else { &[] }, left, right);
        for &x in left.iter().chain(right.iter()) {
            if !x.is_finite() {
                return Err(format!("a non-finite sample ({x}) in block {block}"));
            }
            peak = peak.max(x.abs());
        }
    }
    Ok(peak)
}

/// The whole run; `Err` says what went wrong.
fn run() -> Result<(), String> {
    let (mut engine, mut control) = Engine::new(schedule("default.ron")?);
    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    let chord: Vec<Event> = [57u8, 60, 64, 69]
        .iter()
        .enumerate()
        .map(|(i, &note)| Event { time: 7 * i as u32, kind: EventKind::NoteOn { note, velocity: 0.8 } })
        .collect();
    let peak = play(&mut engine, &chord, &mut left, &mut right)?;
    if peak < 1e-3 {
        return Err(format!("the chord is silent on default.ron (peak {peak})"));
    }
    // Another shape (other nodes, an effect chain): voices and effects crossfade while the chord sounds.
    for name in ["keys.ron", "pad.ron"] {
        control.submit(schedule(name)?).map_err(|_| format!("the swap queue refused {name}"))?;
        let peak = play(&mut engine, &[], &mut left, &mut right)?;
        if peak < 1e-3 {
            return Err(format!("the held chord went silent across the swap to {name} (peak {peak})"));
        }
        if control.collect_retired() != 1 {
            return Err(format!("the schedule replaced by {name} was not handed back after the crossfade"));
        }
    }
    let release: Vec<Event> = chord
        .iter()
        .map(|e| match e.kind {
            EventKind::NoteOn { note, .. } => Event { time: 0, kind: EventKind::NoteOff { note } },
            kind => Event { time: 0, kind },
        })
        .collect();
    play(&mut engine, &release, &mut left, &mut right)?;
    drop(engine);
    drop(control);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => {
            println!("memcheck: notes, two shape-changing swaps with crossfades, release and drop: ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("memcheck: {e}");
            ExitCode::FAILURE
        }
    }
}
