//! A patch's exposed parameters as a player hears them: the host's position moves the sound (a cutoff
//! opens), gets there in the parameter's smoothing time rather than jumping, survives a hot reload of the
//! same file, gives way to a default the sound designer changed in the file, and starts over for another
//! patch. The audio path stays allocation-free throughout.

use ferrule_engine::render::{RenderSettings, Rendered, TimedEvent, render, render_with_swaps};
use ferrule_engine::{Engine, Event, EventKind};
use ferrule_tests::alloc_trap::count_allocations;
use ferrule_tests::measure::{db, peak, rms};
use ferrule_tests::patch::{on, schedule};

ferrule_tests::install_alloc_trap!();

const RATE: f32 = 48_000.0;

fn filtered(cutoff: f32) -> String {
    ferrule_tests::patch::exposed_filter(cutoff, 0.5)
}

fn param(seconds: f64, index: u8, position: f32) -> TimedEvent {
    TimedEvent { seconds, kind: EventKind::Param { index, position } }
}

fn frame(seconds: f64) -> usize {
    (seconds * RATE as f64).round() as usize
}

/// Brightness of `x`: RMS of its first difference (a 6 dB/octave high-pass) over its RMS. A saw through
/// a low-pass reads higher the more the filter lets through.
fn brightness(x: &[f32]) -> f32 {
    let diff: Vec<f32> = x.windows(2).map(|w| w[1] - w[0]).collect();
    rms(&diff) / rms(x)
}

fn between(out: &Rendered, from: f64, to: f64) -> &[f32] {
    &out.left[frame(from)..frame(to)]
}

#[test]
fn the_host_position_opens_the_cutoff() {
    let text = filtered(1200.0);
    let play = |position: f32| {
        let events = [on(0.0, 48, 1.0), param(0.0, 0, position)];
        let out = render(schedule(&text, RATE), &events, &RenderSettings { block: 64, seconds: 0.5 });
        brightness(between(&out, 0.1, 0.5))
    };
    let (dark, bright) = (play(0.0), play(1.0));
    println!("brightness at position 0: {dark:.4}, at position 1: {bright:.4}");
    assert!(bright > 4.0 * dark, "8 kHz is audibly brighter than 200 Hz: {bright} vs {dark}");
}

#[test]
fn a_move_takes_the_smoothing_time_not_a_jump() {
    // A 5 kHz sine (MIDI 111) through the low-pass. The cutoff (smoothed over 5 ms) moves from 200 Hz,
    // where the tone is 50 dB down, to 8 kHz. A jump would open the filter within a fraction of a
    // millisecond; smoothed, the tone is still well down 1 ms after the move and fully there by 7 ms.
    let text = filtered(1200.0).replace(r#"(kind: "saw")"#, r#"(kind: "sine")"#);
    let at = 0.2;
    let events = [on(0.0, 111, 1.0), param(0.0, 0, 0.0), param(at, 0, 1.0)];
    let out = render(schedule(&text, RATE), &events, &RenderSettings { block: 256, seconds: 0.3 });
    let level = |from_ms: f64| peak(between(&out, at + from_ms * 1e-3, at + (from_ms + 0.4) * 1e-3));
    let (before, after_1ms, after_7ms, settled) = (level(-1.0), level(1.0), level(7.0), level(50.0));
    println!(
        "level before {:.1} dB, 1 ms after {:.1} dB, 7 ms after {:.1} dB, settled {:.1} dB",
        db(before),
        db(after_1ms),
        db(after_7ms),
        db(settled)
    );
    assert!(db(before / settled) < -40.0, "closed, the tone is far down");
    assert!(db(after_1ms / settled) < -6.0, "1 ms after the move the filter is still opening");
    assert!(db(after_7ms / settled) > -0.5, "7 ms after (5 ms smoothing + a control period) it is there");
}

#[test]
fn a_hot_reload_keeps_the_hosts_position() {
    // The host turns the cutoff down; the sound designer saves the same file with another change (the
    // level's range). The position holds: brightness does not move across the swap.
    let text = filtered(1200.0);
    let saved = text.replace("max: 0.5)", "max: 0.6)").replace(r#""gain": 0.3"#, r#""gain": 0.3 "#);
    let events = [on(0.0, 48, 1.0), param(0.0, 0, 0.1)];
    let swap = 0.4;
    let out = render_with_swaps(
        schedule(&text, RATE),
        vec![(swap, schedule(&saved, RATE))],
        &events,
        &RenderSettings { block: 64, seconds: 0.8 },
    );
    let (before, after) = (brightness(between(&out, 0.1, swap)), brightness(between(&out, swap + 0.05, 0.8)));
    let (level_before, level_after) = (rms(between(&out, 0.1, swap)), rms(between(&out, swap + 0.05, 0.8)));
    let file_default = {
        let out = render(schedule(&text, RATE), &events[..1], &RenderSettings { block: 64, seconds: 0.4 });
        brightness(between(&out, 0.1, 0.4))
    };
    println!("brightness before {before:.4}, after {after:.4}; the file's own value would be {file_default:.4}");
    assert!((after / before - 1.0).abs() < 0.02, "brightness holds across the reload: {before} → {after}");
    assert!(db(level_after / level_before).abs() < 0.2, "and so does the level");
    assert!(file_default > 1.5 * before, "(the file's own cutoff would sound brighter, so the test can fail)");
}

#[test]
fn a_changed_file_default_is_heard_after_a_reload() {
    // The host set the cutoff; then the sound designer edits the cutoff's number in the file. That new
    // number is what plays after the reload.
    let events = [on(0.0, 48, 1.0), param(0.0, 0, 0.1)];
    let swap = 0.4;
    let out = render_with_swaps(
        schedule(&filtered(1200.0), RATE),
        vec![(swap, schedule(&filtered(4000.0), RATE))],
        &events,
        &RenderSettings { block: 64, seconds: 0.8 },
    );
    let new_file = {
        let out = render(schedule(&filtered(4000.0), RATE), &events[..1], &RenderSettings { block: 64, seconds: 0.4 });
        brightness(between(&out, 0.1, 0.4))
    };
    let (before, after) = (brightness(between(&out, 0.1, swap)), brightness(between(&out, swap + 0.05, 0.8)));
    println!("brightness at the host's position {before:.4}, after the edit {after:.4}, new file alone {new_file:.4}");
    assert!((after / new_file - 1.0).abs() < 0.02, "the edited default plays: {after} vs {new_file}");
    assert!(after > 1.5 * before);
}

#[test]
fn another_patch_starts_at_its_own_values() {
    // Loading a different patch (here: the same parameter names, marked as a fresh start) forgets the
    // host's positions, so its cutoff is the file's.
    let events = [on(0.0, 48, 1.0), param(0.0, 0, 0.1)];
    let mut other = schedule(&filtered(1200.0), RATE);
    other.start_exposed_at_defaults();
    let swap = 0.4;
    let out = render_with_swaps(
        schedule(&filtered(1200.0), RATE),
        vec![(swap, other)],
        &events,
        &RenderSettings { block: 64, seconds: 0.8 },
    );
    let own = {
        let out = render(schedule(&filtered(1200.0), RATE), &events[..1], &RenderSettings { block: 64, seconds: 0.4 });
        brightness(between(&out, 0.1, 0.4))
    };
    let after = brightness(between(&out, swap + 0.05, 0.8));
    assert!((after / own - 1.0).abs() < 0.02, "the new patch plays its own cutoff: {after} vs {own}");
}

#[test]
fn a_restored_project_starts_at_its_saved_positions_even_mid_session() {
    // A saved project's positions ride on the schedule itself: at the engine's start, and at a swap
    // whatever positions the engine had kept.
    let text = filtered(1200.0);
    let settings = RenderSettings { block: 64, seconds: 0.4 };
    let host_set = render(schedule(&text, RATE), &[on(0.0, 48, 1.0), param(0.0, 0, 0.1)], &settings);
    let mut restored = schedule(&text, RATE);
    restored.start_exposed_at(&[0.1]);
    let at_start = render(restored, &[on(0.0, 48, 1.0)], &settings);
    let (restored_b, host_b) = (brightness(between(&at_start, 0.1, 0.4)), brightness(between(&host_set, 0.1, 0.4)));
    assert!((restored_b / host_b - 1.0).abs() < 0.01, "as if the host set it at frame 0: {restored_b} vs {host_b}");

    let mut restored = schedule(&text, RATE);
    restored.start_exposed_at(&[0.1]);
    let events = [on(0.0, 48, 1.0), param(0.0, 0, 0.9)];
    let swap = 0.2;
    let out = render_with_swaps(
        schedule(&text, RATE),
        vec![(swap, restored)],
        &events,
        &RenderSettings { block: 64, seconds: 0.6 },
    );
    let after = brightness(between(&out, swap + 0.05, 0.6));
    let want = brightness(between(&host_set, 0.1, 0.4));
    assert!((after / want - 1.0).abs() < 0.02, "the restored position plays: {after} vs {want}");
}

#[test]
fn unused_and_out_of_range_positions_change_nothing_and_stay_finite() {
    let text = filtered(1200.0);
    let plain = render(schedule(&text, RATE), &[on(0.0, 48, 1.0)], &RenderSettings { block: 64, seconds: 0.2 });
    let events =
        [on(0.0, 48, 1.0), param(0.0, 2, 1.0), param(0.0, 15, 0.0), param(0.0, 255, 1.0), param(0.0, 0, f32::NAN)];
    let out = render(schedule(&text, RATE), &events, &RenderSettings { block: 64, seconds: 0.2 });
    assert_eq!(out, plain, "indices the patch does not expose and a NaN position are ignored");
    let wild = [on(0.0, 48, 1.0), param(0.0, 0, 1e9), param(0.0, 1, -1e9), param(0.1, 0, f32::INFINITY)];
    let out = render(schedule(&text, RATE), &wild, &RenderSettings { block: 64, seconds: 0.2 });
    assert!(out.left.iter().all(|x| x.is_finite()) && peak(&out.left) <= 1.0, "clamped to the range");
}

#[test]
fn moving_exposed_parameters_and_reloading_do_not_allocate() {
    let text = filtered(1200.0);
    let (mut engine, mut control) = Engine::new(schedule(&text, RATE));
    let (mut left, mut right) = (vec![0.0f32; 512], vec![0.0f32; 512]);
    let events = [
        Event { time: 0, kind: EventKind::NoteOn { note: 48, velocity: 1.0 } },
        Event { time: 3, kind: EventKind::Param { index: 0, position: 0.25 } },
        Event { time: 100, kind: EventKind::Param { index: 1, position: 0.9 } },
        Event { time: 101, kind: EventKind::Param { index: 9, position: 0.5 } },
    ];
    let ((), caught) = count_allocations(|| engine.process(&events, &mut left, &mut right));
    assert_eq!(caught, 0, "moving exposed parameters allocated {caught} times");
    for (round, cutoff) in [1200.0, 4000.0, 4000.0, 900.0].into_iter().enumerate() {
        let mut next = schedule(&filtered(cutoff), RATE);
        if round == 3 {
            next.start_exposed_at_defaults();
        }
        control.submit(next).map_err(|_| "queue full").unwrap();
        let ((), caught) = count_allocations(|| {
            for _ in 0..4 {
                engine.process(&events[1..], &mut left, &mut right);
            }
        });
        assert_eq!(caught, 0, "round {round}: the swap with exposed positions allocated {caught} times");
        control.collect_retired();
    }
    assert!(left.iter().any(|&x| x != 0.0), "the note still sounds");
}
