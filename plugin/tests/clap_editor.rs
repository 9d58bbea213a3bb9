//! The editor in a real X11 window, the way a CLAP host opens it: the bundled `.clap` loaded through
//! clack-host, the editor embedded in a parent window (create, set_parent, show), the parent's pixels
//! read back to check the editor drew, then destroyed and opened again.
//!
//! Skipped when `DISPLAY` is unset; run it under Xvfb: `xvfb-run -a cargo test --release -p ferrule-plugin
//! --test clap_editor`. Needs `target/bundled/Ferrule.clap` (`cargo xtask bundle`). With
//! `FERRULE_EDITOR_SCREENSHOT=docs/editor.png` it also writes the README's screenshot.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clack_extensions::gui::{GuiApiType, GuiConfiguration, GuiSize, PluginGui, Window};
use clack_host::prelude::*;
mod clap_common;
mod x11_parent;

use clap_common::*;
use x11_parent::{HEIGHT, Parent, WIDTH};

/// Opens the editor in `parent` and returns how much of it the editor covered once it drew (waiting up
/// to ten seconds for the window thread's first frames; not a timing assertion).
fn open_and_measure(plugin: &mut PluginInstance<Handlers>, gui: &PluginGui, parent: &Parent) -> (f64, u64) {
    let config = GuiConfiguration { api_type: GuiApiType::X11, is_floating: false };
    let handle = plugin.plugin_handle();
    assert!(gui.is_api_supported(&handle, config));
    gui.create(&handle, config).expect("create");
    assert!(gui.can_resize(&handle));
    gui.set_size(&handle, GuiSize { width: WIDTH, height: HEIGHT }).expect("set_size");
    assert_eq!(gui.get_size(&handle), Some(GuiSize { width: WIDTH, height: HEIGHT }));
    // SAFETY: the parent window outlives the editor (destroyed before `parent` drops).
    unsafe { gui.set_parent(&handle, Window::from_x11_handle(parent.window)) }.expect("set_parent");
    gui.show(&handle).expect("show");
    let end = Instant::now() + Duration::from_secs(10);
    let mut seen = (0.0, 0);
    while Instant::now() < end && (seen.0 < 0.9 || seen.1 < 100) {
        std::thread::sleep(Duration::from_millis(100));
        seen = parent.read();
    }
    // `FERRULE_EDITOR_SCREENSHOT=docs/editor.png` keeps what the editor drew (paths relative to the
    // repository root).
    if let Some(path) = std::env::var_os("FERRULE_EDITOR_SCREENSHOT") {
        parent.save_png(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(path));
    }
    gui.hide(&handle).expect("hide");
    gui.destroy(&handle);
    seen
}

#[test]
fn the_editor_draws_in_the_hosts_window_and_opens_again() {
    if std::env::var_os("DISPLAY").is_none() {
        eprintln!("skipped: DISPLAY is unset (run under xvfb-run)");
        return;
    }
    let entry = entry();
    let info = HostInfo::new("ferrule-editor-test", "Ferrule", "", "0").unwrap();
    let mut plugin = PluginInstance::<Handlers>::new(|_| Shared, |_| MainThread, &entry, c"org.ferrule.ferrule", &info)
        .expect("instantiates");
    let gui = plugin.plugin_handle().get_extension::<PluginGui>().expect("the gui extension");
    let parent = Parent::open();
    assert!(parent.covered() < 0.01, "the parent starts empty");

    let (first, orange) = open_and_measure(&mut plugin, &gui, &parent);
    eprintln!("first opening covered {:.1} % of the parent, {orange} knob-orange pixels", first * 100.0);
    assert!(first > 0.9, "the editor covers its window: {:.0} %", first * 100.0);
    assert!(orange >= 100, "the knobs are drawn: {orange} orange pixels");
    // The editor is gone: drawing over the parent again with its background clears it.
    // SAFETY: plain Xlib calls on the test's own window.
    unsafe {
        (parent.xlib.XClearWindow)(parent.display, parent.window);
    }
    assert!(parent.covered() < 0.01, "after destroy nothing is left in the parent");

    let (second, orange) = open_and_measure(&mut plugin, &gui, &parent);
    eprintln!("second opening covered {:.1} % of the parent, {orange} knob-orange pixels", second * 100.0);
    assert!(second > 0.9 && orange >= 100, "it opens again: {:.0} %, {orange} orange pixels", second * 100.0);

    // Opening and closing many times leaks no thread and no X connection (file descriptor).
    let before = x11_parent::threads_and_files();
    for _ in 0..10 {
        let (covered, _) = open_and_measure(&mut plugin, &gui, &parent);
        assert!(covered > 0.9);
    }
    x11_parent::assert_nothing_leaked(before);
    drop(plugin);
    // Never unload the library: unloading it after the editor ran crashes at process exit, which would
    // hide this test's result.
    std::mem::forget(entry);
    x11_parent::exit_passed()
}
