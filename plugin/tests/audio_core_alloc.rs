//! The plugin core's audio path (events, parameters, exposed parameters, master volume, patch swaps from
//! state loads) never allocates on the audio thread.

use std::sync::Arc;

use ferrule_engine::EventKind;
use ferrule_plugin::core::{NoteTag, Param, PluginCore, SharedParams};
use ferrule_tests::alloc_trap::count_allocations;

ferrule_tests::install_alloc_trap!();

#[test]
fn blocks_with_notes_automation_and_a_patch_swap_do_not_allocate() {
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    let mut audio = core.activate(48_000.0, 512).expect("the default patch compiles");
    let mut left = vec![0.0f32; 512];
    let mut right = vec![0.0f32; 512];
    let mut block = |audio: &mut ferrule_plugin::core::AudioCore, first: bool| {
        count_allocations(|| {
            audio.begin();
            if first {
                for key in 48..60 {
                    audio.note_on(key as u32, key, 0.8, NoteTag::UNKNOWN);
                }
            }
            audio.param(100, 1, 0.7);
            audio.param(200, Param::Master.id(), -12.0);
            audio.param(250, Param::Exposed(0).id(), 0.3);
            audio.param(260, Param::Exposed(15).id(), 0.5);
            audio.event(300, EventKind::PitchBend { value: 0.3 });
            audio.event(400, EventKind::NoteOff { note: 50 });
            audio.render(&mut left, &mut right);
            audio.ended_notes().count()
        })
        .1
    };
    assert_eq!(block(&mut audio, true), 0);
    for i in 0..20 {
        // An exposed parameter moved from another thread (the editor, a flush) reaches the engine at frame 0.
        core.params().set(Param::Exposed(1), i as f64 / 20.0);
        assert_eq!(block(&mut audio, false), 0);
    }
    // The main thread loads a state (a new schedule is submitted); the next block swaps it in.
    let saved = core.save_state();
    core.load_state(&saved).expect("reloads its own state");
    for _ in 0..5 {
        assert_eq!(block(&mut audio, false), 0, "swap block");
    }
    assert!(left.iter().any(|&x| x != 0.0), "still sounding after the swap");
    core.collect_garbage();
}

#[test]
fn a_host_sending_events_out_of_order_costs_no_allocation_and_keeps_same_frame_order() {
    // 2,000 events in reverse time order: the core puts them in order without allocating, and a note-off
    // before a note-on of the same key at the same frame stays first (the note sounds).
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    let mut audio = core.activate(48_000.0, 512).expect("the default patch compiles");
    let (mut left, mut right) = (vec![0.0f32; 512], vec![0.0f32; 512]);
    let ((), caught) = count_allocations(|| {
        audio.begin();
        for i in (1..2000u32).rev() {
            audio.event(i % 500 + 10, EventKind::ControlChange { cc: 74, value: (i % 128) as f32 / 127.0 });
        }
        audio.event(5, EventKind::NoteOff { note: 60 });
        audio.note_on(5, 60, 0.8, NoteTag::UNKNOWN);
        audio.render(&mut left, &mut right);
    });
    assert_eq!(caught, 0, "sorting a backwards block allocated {caught} times");
    assert!(left[100..].iter().any(|&x| x != 0.0), "the note-on after its same-frame note-off plays");
}

#[test]
fn midi_with_an_mpe_zone_and_host_tempo_do_not_allocate() {
    // Raw MIDI through the core's translator: an MPE Configuration Message, member-channel notes with their
    // bend, pressure and CC 74 (per-note expressions), plain channel-1 controllers, and host tempo and
    // position every block.
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    let mut audio = core.activate(48_000.0, 256).expect("the default patch compiles");
    let (mut left, mut right) = (vec![0.0f32; 256], vec![0.0f32; 256]);
    for block in 0..20u32 {
        let ((), caught) = count_allocations(|| {
            audio.begin();
            audio.set_transport(Some(128.0), Some(block as f64 * 0.5));
            if block == 0 {
                for msg in [[0xb0, 101, 0], [0xb0, 100, 6], [0xb0, 6, 15]] {
                    audio.midi(0, msg);
                }
            }
            let ch = 1 + (block % 4) as u8;
            audio.midi(1, [0xe0 | ch, 0, 0x50]);
            audio.midi(2, [0x90 | ch, 60 + block as u8, 100]);
            audio.midi(30, [0xd0 | ch, 90, 0]);
            audio.midi(40, [0xb0 | ch, 74, 64]);
            audio.midi(50, [0xe0, 0, 0x30]);
            audio.midi(60, [0xb0, 1, 100]);
            audio.midi(200, [0x80 | ch, 60 + block as u8, 0]);
            audio.render(&mut left, &mut right);
        });
        assert_eq!(caught, 0, "block {block}: MIDI allocated {caught} times");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_first_crowded_block_takes_no_page_faults() {
    // The event list has room for EVENT_CAPACITY events; a block that fills it for the first time must find
    // every page already mapped (a page fault is a kernel trip that can wait on another thread's mmap).
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    let mut audio = core.activate(48_000.0, 512).expect("the default patch compiles");
    let (mut left, mut right) = (vec![0.0f32; 512], vec![0.0f32; 512]);
    audio.begin();
    audio.render(&mut left, &mut right);
    let before = ferrule_tests::page_faults::taken_so_far();
    audio.begin();
    for i in 0..ferrule_plugin::core::audio::EVENT_CAPACITY as u32 {
        audio.event(i % 512, EventKind::PitchBend { value: (i % 7) as f32 / 7.0 });
    }
    audio.render(&mut left, &mut right);
    let taken = ferrule_tests::page_faults::taken_so_far() - before;
    assert_eq!(taken, 0, "the audio thread took {taken} page faults filling the event list");
}
