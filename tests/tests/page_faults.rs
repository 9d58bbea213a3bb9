//! The audio thread takes no page faults. A page fault is a trip into the kernel that can wait on the process's
//! memory-map lock, which another thread calling `mmap`/`munmap` (any allocator under pressure) holds: the same
//! stall an allocation would cause, without allocating. Every buffer a schedule owns (wire buffers, node state,
//! delay lines of seconds) must therefore be resident when the compiler hands it over, not zero pages the kernel
//! maps in on the audio thread's first write, one page every 1,024 samples of a delay line.
//!
//! Counted with `getrusage(RUSAGE_THREAD)` around the audio path only; Linux-only, like the counter.

#![cfg(target_os = "linux")]

use ferrule_engine::{Engine, Event, EventKind};
use ferrule_tests::page_faults::taken_so_far as faults;
use ferrule_tests::patch::{factory_patch, schedule};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 128;

/// Every factory patch that has effects (delay lines up to seconds long) or long-lived voice state.
const PATCHES: &[&str] = &["default.ron", "drone.ron", "pad.ron", "keys.ron", "lead.ron", "pluck.ron", "fm-bell.ron"];

/// Plays a four-note chord for `seconds` (notes re-struck every second) and returns the page faults taken.
fn faults_while_playing(engine: &mut Engine, seconds: f64, left: &mut [f32], right: &mut [f32]) -> i64 {
    let chord = [48u8, 55, 60, 64];
    let blocks = (seconds * f64::from(RATE) / BLOCK as f64) as usize;
    let per_second = RATE as usize / BLOCK;
    let mut events: Vec<Event> = Vec::with_capacity(8);
    let before = faults();
    for b in 0..blocks {
        events.clear();
        if b % per_second == 0 {
            events.extend(chord.iter().map(|&note| Event { time: 5, kind: EventKind::NoteOn { note, velocity: 0.9 } }));
        } else if b % per_second == per_second / 2 {
            events.extend(chord.iter().map(|&note| Event { time: 9, kind: EventKind::NoteOff { note } }));
        }
        engine.process(&events, left, right);
    }
    faults() - before
}

#[test]
fn playing_a_factory_patch_takes_no_page_faults() {
    let mut left = vec![0.0f32; BLOCK];
    let mut right = vec![0.0f32; BLOCK];
    // The program's code is mapped in from its file on first execution, fault by fault, like any program's:
    // run every patch's code once on throwaway engines so that only the schedules' own memory is measured.
    for name in PATCHES {
        let (mut engine, _control) = Engine::new(schedule(&factory_patch(name), RATE));
        faults_while_playing(&mut engine, 1.0, &mut left, &mut right);
    }
    for name in PATCHES {
        let (mut engine, _control) = Engine::new(schedule(&factory_patch(name), RATE));
        let taken = faults_while_playing(&mut engine, 6.0, &mut left, &mut right);
        assert_eq!(taken, 0, "{name}: the audio thread took {taken} page faults in 6 s of playing");
    }
}

#[test]
fn a_swapped_in_schedule_takes_no_page_faults() {
    let mut left = vec![0.0f32; BLOCK];
    let mut right = vec![0.0f32; BLOCK];
    let (mut engine, mut control) = Engine::new(schedule(&factory_patch("lead.ron"), RATE));
    engine.process(&[], &mut left, &mut right);
    faults_while_playing(&mut engine, 1.0, &mut left, &mut right);
    for name in PATCHES {
        // Compiled on this thread, as the reload thread would, then handed over: its delay lines and buffers
        // must already be resident when the audio thread first writes them.
        assert!(control.submit(schedule(&factory_patch(name), RATE)).is_ok(), "{name}: the swap ring was full");
        let taken = faults_while_playing(&mut engine, 6.0, &mut left, &mut right);
        assert_eq!(taken, 0, "{name}: the audio thread took {taken} page faults in 6 s after the swap");
        control.collect_retired();
    }
}
