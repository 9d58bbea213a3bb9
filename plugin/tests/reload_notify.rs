//! A plugin core on a host without timers is told when a reload result waits: the reload thread calls
//! the core's notify hook once per save, after the result is published, so the adapter's main-thread
//! callback (CLAP `request_callback` → `on_main_thread`) finds it at once, and never polls for nothing.
//!
//! Waits are generous upper bounds for the hook to fire; nothing asserts how fast.

use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::Duration;

use ferrule_plugin::core::{Param, PluginCore, ReloadEvent, SharedParams};

const WAIT: Duration = Duration::from_secs(10);
const SETTLE: Duration = Duration::from_millis(600);

fn patch(macro_name: &str) -> String {
    format!(
        r#"(
    version: 1,
    nodes: {{ "osc": (kind: "sine"), "amp": (kind: "vca", params: {{ "gain": 0.25 }}) }},
    connections: [("osc", "amp.in")],
    macros: [(name: "{macro_name}", min: 0.0, max: 1.0, default: 0.5)],
    output: Mono("amp.out"),
)"#
    )
}

#[test]
fn each_save_calls_the_hook_once_and_the_result_is_there_to_poll() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.ron");
    std::fs::write(&path, patch("Tone")).unwrap();
    let mut core = PluginCore::new(Arc::new(SharedParams::default()));
    let (fired, hook) = channel();
    core.set_reload_notify(Some(Arc::new(move || {
        let _ = fired.send(());
    })));
    core.load_patch_file(&path).unwrap();
    assert!(hook.recv_timeout(SETTLE).is_err(), "choosing the file is no reload");
    assert!(core.poll_reload().is_none());

    for name in ["Colour", "Edge"] {
        std::fs::write(&path, patch(name)).unwrap();
        hook.recv_timeout(WAIT).expect("the hook fires for the save");
        // What the adapter's callback does: the result is already there.
        assert!(matches!(core.poll_reload(), Some(ReloadEvent::Reloaded(_))));
        assert_eq!(core.param_name(Param::Macro(0)), name);
    }
    assert!(hook.recv_timeout(SETTLE).is_err(), "once per save");

    core.stop_watching();
    std::fs::write(&path, patch("Unheard")).unwrap();
    assert!(hook.recv_timeout(SETTLE).is_err(), "no call once the watch is stopped");
}
