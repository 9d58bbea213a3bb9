//! The VST3 adapter's main-thread life, through a host that offers a Linux run loop: the controller
//! registers a 50 ms timer; after a patch file is chosen in the editor and saved, the host is told to
//! rescan parameter titles (and sees the new names); knob gestures from the editor reach the host's
//! `beginEdit`/`performEdit`/`endEdit`; notes from the on-screen keyboard sound in the next blocks, which
//! allocate nothing; a patch loaded in the editor (or its "back to the last good patch") and a hot reload mark
//! the host's project changed through `IComponentHandler2::setDirty`, a knob drag and a broken save do not. Without a run loop the
//! controller still polls when the host reads values.
//!
//! The editor's intents are posted directly (`ferrule_plugin::vst3::post_editor_intents`, as the
//! window posts them), so the plugin is the one linked into this test rather than the bundle. Every
//! instance in the process receives them: the tests here run one at a time.
//!
//! `kLatencyChanged` is checked both ways: sent when a load or save moves the latency (the default
//! patch's 12 samples to a sine's 0, a sine to a saw's 12), not sent when it stays the same.

#![allow(non_upper_case_globals)]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use ferrule_editor::{EditorParam, Intent};
use ferrule_plugin::vst3::post_editor_intents;
use ferrule_tests::alloc_trap::count_allocations;
use vst3::ComWrapper;
use vst3::Steinberg::Linux::IRunLoop;
use vst3::Steinberg::Vst::RestartFlags_::{kLatencyChanged, kParamTitlesChanged};
use vst3::Steinberg::Vst::{IAudioProcessorTrait, IEditControllerTrait, IHostApplication};

mod vst3_common;

use vst3_common::*;

ferrule_tests::install_alloc_trap!();

/// The tests post intents to every instance in the process: one test at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn patch(macro_name: &str) -> String {
    format!(
        r#"(
    version: 1,
    nodes: {{ "osc": (kind: "sine"), "amp": (kind: "vca", params: {{ "gain": 0.5 }}) }},
    connections: [("osc", "amp.in")],
    macros: [(name: "{macro_name}", min: 0.0, max: 1.0, default: 0.5)],
    output: Mono("amp.out"),
)"#
    )
}

/// Saves `text` at `path` the way editors do: a new file renamed over the old one, so the watcher sees one
/// change.
fn save(path: &std::path::Path, text: &str) {
    let temporary = path.with_extension("ron.tmp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// Fires the host's timers (as its run loop does every 50 ms) until the plugin asks for a restart, and
/// returns every call the handler received meanwhile; a generous wait for the file watcher, not a timing
/// assertion.
fn calls_until_restart(context: &Context, plugin: &Plugin) -> Vec<Call> {
    let end = Instant::now() + Duration::from_secs(10);
    let mut calls = Vec::new();
    loop {
        calls.extend(plugin.handler.take());
        if !restarts(&calls).is_empty() {
            return calls;
        }
        assert!(Instant::now() < end, "nothing arrived within 10 s");
        context.fire();
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn restarts(calls: &[Call]) -> Vec<i32> {
    calls.iter().filter_map(|c| if let Call::Restart(flags) = c { Some(*flags) } else { None }).collect()
}

#[test]
fn a_saved_patch_file_renames_the_parameters_through_the_run_loop_timer() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let module = Module::linked();
    let context = context();
    let plugin = Plugin::new(&module, as_unknown::<_, IHostApplication>(&context));
    assert_eq!(context.timers(), [50], "the controller polls on a 50 ms timer from the host's run loop");
    plugin.activate();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.ron");
    std::fs::write(&path, patch("Tone")).unwrap();
    post_editor_intents(vec![Intent::LoadFile(path.clone())]);
    context.fire();
    let flags = restarts(&plugin.handler.take());
    assert_eq!(flags.len(), 1, "one restart after loading the file: {flags:?}");
    assert_ne!(flags[0] & kParamTitlesChanged, 0, "titles changed: {:#x}", flags[0]);
    assert_ne!(flags[0] & kLatencyChanged, 0, "the default patch's 12 samples became the sine's 0");
    assert_eq!(plugin.title(0), "Tone");

    // The user saves the file with a renamed macro: the watcher reloads it, the timer tells the host.
    save(&path, &patch("Colour"));
    let calls = calls_until_restart(&context, &plugin);
    let flags = restarts(&calls);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_ne!(flags[0] & kParamTitlesChanged, 0, "titles changed: {:#x}", flags[0]);
    assert_eq!(flags[0] & kLatencyChanged, 0, "the latency stayed 0");
    assert_eq!(plugin.title(0), "Colour", "the host reads the new name");
    // The project saves the patch's source: closing it unsaved would reopen the old sound.
    assert_eq!(dirty(&calls), [Call::Dirty(1)], "the reload marks the project changed once: {calls:?}");

    // A save that swaps the sine for a band-limited saw makes the output 12 samples late: the host is told.
    save(&path, &patch("Colour").replace("\"sine\"", "\"saw\""));
    let calls = calls_until_restart(&context, &plugin);
    let flags = restarts(&calls);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_ne!(flags[0] & kLatencyChanged, 0, "the saw's latency is announced: {:#x}", flags[0]);
    // SAFETY: `plugin.processor` is a live COM pointer to the plugin's own object, held by the test across this call on
    // the test's thread.
    assert_eq!(unsafe { plugin.processor.getLatencySamples() }, 12, "and the host reads it");

    // A broken save changes no name: no restart.
    save(&path, &patch("Colour").replace("\"sine\"", "\"sien\""));
    std::thread::sleep(Duration::from_millis(500));
    for _ in 0..10 {
        context.fire();
    }
    let calls = plugin.handler.take();
    assert_eq!(restarts(&calls), [] as [i32; 0]);
    assert_eq!(dirty(&calls), [], "a broken save changes neither the sound nor the project");
    assert_eq!(plugin.title(0), "Colour");
}

#[test]
fn editor_gestures_reach_the_host_and_keyboard_notes_sound() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let module = Module::linked();
    let context = context();
    let plugin = Plugin::new(&module, as_unknown::<_, IRunLoop>(&context));
    plugin.activate();
    let silent = plugin.render(256);
    assert!(silent.iter().all(|&x| x == 0.0), "nothing plays yet");

    post_editor_intents(vec![
        Intent::BeginGesture(EditorParam::Macro(1)),
        Intent::SetParam(EditorParam::Macro(1), 0.25),
        Intent::SetParam(EditorParam::Macro(1), 0.75),
        Intent::EndGesture(EditorParam::Macro(1)),
        Intent::NoteOn { key: 69, velocity: 1.0 },
    ]);
    context.fire();
    assert_eq!(
        plugin.handler.take(),
        [Call::Begin(2), Call::Perform(2, 0.25), Call::Perform(2, 0.75), Call::End(2)],
        "macro 2 (id 2) moved in one gesture"
    );
    // SAFETY: `plugin.controller` is a live COM pointer to the plugin's own object, held by the test across this call
    // on the test's thread.
    assert_eq!(unsafe { plugin.controller.getParamNormalized(2) }, 0.75, "the controller shows the new value");
    // The note went to the audio thread through the ring: the next blocks play it, allocation-free.
    let (mut left, mut right) = (vec![0f32; 256], vec![0f32; 256]);
    let mut peak = 0.0f32;
    for _ in 0..8 {
        let ((), allocations) = count_allocations(|| plugin.render_into(&mut left, &mut right));
        assert_eq!(allocations, 0, "process allocated while playing the editor's note");
        peak = peak.max(left.iter().fold(0.0, |p, x| p.max(x.abs())));
    }
    assert!(peak > 0.01, "the on-screen keyboard's note sounds: peak {peak}");
}

fn dirty(calls: &[Call]) -> Vec<Call> {
    calls.iter().filter(|c| matches!(c, Call::Dirty(_))).cloned().collect()
}

#[test]
fn an_editor_load_marks_the_project_changed_once_and_a_knob_drag_does_not() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let module = Module::linked();
    let context = context();
    let plugin = Plugin::new(&module, as_unknown::<_, IHostApplication>(&context));
    plugin.activate();

    // A knob drag reaches the host as parameter edits, which it tracks itself.
    post_editor_intents(vec![
        Intent::BeginGesture(EditorParam::Macro(0)),
        Intent::SetParam(EditorParam::Macro(0), 0.3),
        Intent::EndGesture(EditorParam::Macro(0)),
    ]);
    context.fire();
    context.fire();
    let calls = plugin.handler.take();
    assert_eq!(calls.len(), 3, "the drag's begin, edit and end: {calls:?}");
    assert_eq!(dirty(&calls), [], "a drag does not mark the project itself");

    // A patch loaded in the editor: the project now saves another patch.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chosen.ron");
    std::fs::write(&path, patch("Tone")).unwrap();
    post_editor_intents(vec![Intent::LoadFile(path.clone())]);
    for _ in 0..3 {
        context.fire();
    }
    let calls = plugin.handler.take();
    assert_eq!(dirty(&calls), [Call::Dirty(1)], "exactly one setDirty(true): {calls:?}");
    let restart = calls.iter().position(|c| matches!(c, Call::Restart(_)));
    let marked = calls.iter().position(|c| matches!(c, Call::Dirty(_)));
    assert!(restart < marked, "after the restart, so the host saves the new names: {calls:?}");

    // "Back to the last good patch" plays a patch too.
    post_editor_intents(vec![Intent::Rollback]);
    context.fire();
    context.fire();
    assert_eq!(dirty(&plugin.handler.take()), [Call::Dirty(1)]);

    // A file that cannot be loaded leaves the project as it was.
    post_editor_intents(vec![Intent::LoadFile(dir.path().join("missing.ron"))]);
    context.fire();
    assert_eq!(plugin.handler.take(), []);
}

#[test]
fn without_a_run_loop_the_controller_polls_when_the_host_reads_values() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let module = Module::linked();
    let context = ComWrapper::new(PlainContext);
    let plugin = Plugin::new(&module, as_unknown::<_, IHostApplication>(&context));
    post_editor_intents(vec![
        Intent::BeginGesture(EditorParam::Master),
        Intent::SetParam(EditorParam::Master, 6.0),
        Intent::EndGesture(EditorParam::Master),
    ]);
    let mut calls = Vec::new();
    let end = Instant::now() + Duration::from_secs(10);
    while calls.len() < 3 && Instant::now() < end {
        // SAFETY: `plugin.controller` is a live COM pointer to the plugin's own object, held by the test across this
        // call on the test's thread.
        unsafe { plugin.controller.getParamNormalized(1) };
        calls.extend(plugin.handler.take());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(calls, [Call::Begin(9), Call::Perform(9, 1.0), Call::End(9)], "master volume to +6 dB (the top)");
}
