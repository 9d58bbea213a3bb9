//! The reload thread's event hook: it fires once for every event, after the event is published, so an
//! owner without a timer (a CLAP plugin on a host without `timer-support`) can poll exactly when there is
//! something to poll.
//!
//! Waits are generous upper bounds for an event to arrive; nothing asserts how fast anything happens.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use ferrule_engine::PatchSource;
use ferrule_reload::{EngineSlot, ReloadEvent, ReloadOptions, Reloader};

/// Longest wait for an expected event.
const EVENT_WAIT: Duration = Duration::from_secs(10);
/// How long to keep listening after the expected events, to catch a stray one.
const SETTLE: Duration = Duration::from_millis(600);

fn sine(gain: f32) -> String {
    format!(
        r#"(
    version: 1,
    nodes: {{ "osc": (kind: "sine"), "amp": (kind: "vca", params: {{ "gain": {gain:?} }}) }},
    connections: [("osc", "amp.in")],
    output: Mono("amp.out"),
)"#
    )
}

/// Waits for the hook, then takes the event it announced: it must already be there.
fn announced(hook: &Receiver<()>, reloader: &Reloader) -> ReloadEvent {
    hook.recv_timeout(EVENT_WAIT).expect("the hook fires within the generous wait");
    reloader.poll().expect("the announced event is already published")
}

#[test]
fn the_hook_fires_once_per_event_after_it_is_published() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("patch.ron");
    std::fs::write(&path, sine(0.5)).unwrap();
    let playing = PatchSource::read(&path).unwrap();
    let (fired, hook) = channel();
    let options = ReloadOptions {
        debounce: Duration::from_millis(100),
        on_event: Some(Arc::new(move || {
            let _ = fired.send(());
        })),
        ..ReloadOptions::default()
    };
    let reloader = Reloader::watch(&path, EngineSlot::new(), Some(playing), options).unwrap();
    assert!(hook.recv_timeout(SETTLE).is_err(), "watching a file that holds what plays announces nothing");

    std::fs::write(&path, sine(0.25)).unwrap();
    assert!(matches!(announced(&hook, &reloader), ReloadEvent::Reloaded(r) if r.source.text == sine(0.25)));

    std::fs::write(&path, sine(0.25).replace("\"sine\"", "\"sien\"")).unwrap();
    assert!(matches!(announced(&hook, &reloader), ReloadEvent::Failed(_)));

    std::fs::remove_file(&path).unwrap();
    assert!(matches!(announced(&hook, &reloader), ReloadEvent::Missing { .. }));

    assert!(hook.recv_timeout(SETTLE).is_err(), "no call without an event");
    assert!(reloader.poll().is_none(), "no event without a call");
    drop(reloader);
    assert!(hook.try_recv().is_err(), "nothing after the reloader is dropped (its thread was joined)");
}
