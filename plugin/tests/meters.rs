//! The meters the editor shows, as the audio core publishes them: a sine's oscilloscope has the note's
//! period and level, the sounding-note set follows the held keys, the CPU load of a normal block is a
//! sensible share of its deadline, the runaway guard is reported, and publishing never allocates on the
//! audio thread.

mod common;

use std::sync::Arc;

use ferrule_engine::EventKind;
use ferrule_plugin::core::{AudioCore, Meters, NoteTag, PluginCore, SharedParams};
use ferrule_tests::alloc_trap::count_allocations;
use ferrule_tests::measure::{cents, db, note_hz, peak, pitch_hz};

ferrule_tests::install_alloc_trap!();

const BLOCK: usize = 256;

/// A core playing the test sine (peak 0.5, −6.0 dBFS) at `rate` Hz.
fn sine_core(rate: f64) -> (PluginCore, AudioCore) {
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    core.load_state(&common::sine_state(0.0)).expect("the sine state loads");
    let audio = core.activate(rate, BLOCK as u32).expect("the sine compiles");
    (core, audio)
}

/// Renders `blocks` blocks, publishing each to `meters`; returns the allocations the audio thread made.
fn play(audio: &mut AudioCore, meters: &Meters, blocks: usize, events: &[(u32, EventKind)]) -> usize {
    let (mut left, mut right) = ([0.0f32; BLOCK], [0.0f32; BLOCK]);
    let mut caught = 0;
    for b in 0..blocks {
        caught += count_allocations(|| {
            audio.begin();
            if b == 0 {
                for &(time, kind) in events {
                    match kind {
                        EventKind::NoteOn { note, velocity } => audio.note_on(time, note, velocity, NoteTag::UNKNOWN),
                        other => audio.event(time, other),
                    }
                }
            }
            audio.render(&mut left, &mut right);
            meters.publish(audio, &left, &right);
        })
        .1;
    }
    caught
}

fn note_on(note: u8) -> (u32, EventKind) {
    (0, EventKind::NoteOn { note, velocity: 1.0 })
}

#[test]
fn the_scope_holds_the_notes_period_and_level_at_every_rate() {
    for rate in [44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        let (mut core, mut audio) = sine_core(rate);
        let meters = Meters::default();
        // 200 ms: well past the attack, and the ring holds only the newest 40 ms.
        let blocks = (0.2 * rate) as usize / BLOCK;
        assert_eq!(play(&mut audio, &meters, blocks, &[note_on(69)]), 0, "publishing allocated");
        let mut scope = Vec::new();
        let points_per_second = meters.read_scope(&mut scope);
        assert!(scope.len() <= 512 && scope.len() >= 400, "{rate} Hz: {} points", scope.len());
        let seconds = scope.len() as f32 / points_per_second;
        assert!((0.03..=0.041).contains(&seconds), "{rate} Hz: the scope covers {seconds} s");
        let hz = pitch_hz(&scope, points_per_second).expect("a periodic signal");
        let off = cents(hz, note_hz(69.0));
        assert!(off.abs() < 10.0, "{rate} Hz: the scope's period is {hz:.2} Hz, {off:.1} cents from A4");
        let level = db(peak(&scope)) - db(0.5);
        eprintln!(
            "{rate} Hz: {} points, {:.1} ms, {hz:.2} Hz ({off:+.2} cents), level {level:+.3} dB",
            scope.len(),
            seconds * 1e3
        );
        assert!(level.abs() < 1.0, "{rate} Hz: the scope's level is {level:.2} dB from the sine's −6.0 dBFS");
        core.deactivate();
    }
}

#[test]
fn the_sounding_notes_follow_the_held_keys() {
    let (mut core, mut audio) = sine_core(48_000.0);
    let meters = Meters::default();
    assert_eq!(meters.read().note_list(), Vec::<u8>::new());
    let chord = [note_on(54), note_on(60), note_on(64), note_on(127), note_on(0)];
    assert_eq!(play(&mut audio, &meters, 4, &chord), 0);
    let reading = meters.read();
    assert_eq!(reading.note_list(), vec![0, 54, 60, 64, 127]);
    assert_eq!(reading.voices, 5);
    // Releasing two keys: once their 10 ms release has rung out, they are gone from the set.
    let off = [(0, EventKind::NoteOff { note: 60 }), (10, EventKind::NoteOff { note: 0 })];
    assert_eq!(play(&mut audio, &meters, 20, &off), 0);
    assert_eq!(meters.read().note_list(), vec![54, 64, 127]);
    core.deactivate();
}

#[test]
fn a_normal_block_uses_a_share_of_its_deadline() {
    let (mut core, mut audio) = sine_core(48_000.0);
    let meters = Meters::default();
    assert_eq!(play(&mut audio, &meters, 50, &[note_on(69)]), 0);
    let reading = meters.read();
    eprintln!(
        "CPU load of a 256-frame block at 48 kHz, one sine voice: peak {:.4}, smoothed {:.4}",
        reading.cpu_peak, reading.cpu_smoothed
    );
    // One sine voice in a 5.3 ms block: far under the deadline even on a busy shared machine, never zero.
    assert!(reading.cpu_peak > 0.0 && reading.cpu_peak < 1.0, "peak load {}", reading.cpu_peak);
    assert!(reading.cpu_smoothed > 0.0 && reading.cpu_smoothed < 1.0, "smoothed load {}", reading.cpu_smoothed);
    assert_eq!(meters.read().cpu_peak, 0.0, "reading resets the peak");
    assert!((reading.level_db - -6.0).abs() < 0.5, "level {} dBFS", reading.level_db);
    assert_eq!(reading.runaway_db, None, "a sine does not run away");
    core.deactivate();
}

/// A patch that feeds back until it pins the output: the meters report the runaway mute until the next
/// patch arrives.
#[test]
fn the_runaway_guard_is_reported_until_a_good_patch_arrives() {
    const LOUD: &str = ferrule_tests::patch::SCREAMER;
    let dir = tempfile::tempdir().unwrap();
    let loud = dir.path().join("loud.ron");
    std::fs::write(&loud, LOUD).unwrap();
    let (mut core, mut audio) = sine_core(48_000.0);
    core.load_patch_file(&loud).expect("the loud patch compiles");
    let meters = Meters::default();
    // 200 ms pinned at +12 dBFS: the guard trips after 100 ms.
    assert_eq!(play(&mut audio, &meters, 40, &[note_on(69)]), 0);
    let reading = meters.read();
    let tripped = reading.runaway_db.expect("the runaway is reported");
    assert!(tripped > 10.0, "it tripped at {tripped} dBFS");
    assert!(reading.level_db > 10.0, "the block peak before the mute");
    assert_eq!(play(&mut audio, &meters, 4, &[]), 0);
    assert!(meters.read().level_db < -100.0, "muted");

    core.load_state(&common::sine_state(0.0)).expect("a good patch");
    assert_eq!(play(&mut audio, &meters, 4, &[]), 0);
    assert_eq!(meters.read().runaway_db, None, "the next good patch lifts the mute");
    core.deactivate();
}
