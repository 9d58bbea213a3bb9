//! The VST3 editor in a real X11 window, the way a VST3 host opens it: the bundled `.vst3` loaded from
//! disk, `createView("editor")`, `setFrame`, `attached` to a parent window, the parent's pixels read back
//! to check the editor drew, a knob dragged with the mouse (XTest) reaching the host's
//! `beginEdit`/`performEdit`/`endEdit`, then `removed`, and opened again many times without leaking.
//!
//! The host context here has no run loop; the frame offers one, so the controller's timer lives while
//! the view is attached. Skipped when `DISPLAY` is unset; run it under Xvfb: `xvfb-run -a cargo test
//! --release -p ferrule-plugin --test vst3_editor`. Needs `target/bundled/Ferrule.vst3` (`cargo xtask
//! bundle`).

#![allow(non_upper_case_globals)]

use std::ffi::{c_int, c_ulong, c_void};
use std::time::{Duration, Instant};

use vst3::Steinberg::Vst::{IEditControllerTrait, IHostApplication};
use vst3::Steinberg::{
    FUnknown, IPlugFrame, IPlugView, IPlugViewTrait, ViewRect, kPlatformTypeX11EmbedWindowID, kResultFalse, kResultOk,
    kResultTrue,
};
use vst3::{ComPtr, ComWrapper};
use x11_dl::xlib::{self, Xlib};
use x11_dl::xtest::Xf86vmode as XTest;

mod vst3_common;
mod x11_parent;

use vst3_common::*;

/// The parent window's background: pure white, which the editor's dark theme never draws in bulk.
const BACKGROUND: c_ulong = 0xff_ff_ff;
/// The knob pointers' colour (`ferrule_editor::knob`), 0xRRGGBB.
const KNOB_ORANGE: c_ulong = 0xf0_aa_3c;
const WIDTH: u32 = 1100;
const HEIGHT: u32 = 720;

/// A host's top-level X11 window at the screen's top-left corner, made with Xlib.
struct Parent {
    xlib: Xlib,
    display: *mut xlib::Display,
    window: c_ulong,
}

/// What the editor drew in the parent.
struct Drawn {
    /// Share of pixels that are not the background.
    covered: f64,
    /// Pixels in the knobs' pointer colour.
    orange: u64,
    /// The topmost, then leftmost, knob-orange pixel: on the first macro knob's pointer.
    first_orange: Option<(c_int, c_int)>,
}

impl Parent {
    fn open() -> Parent {
        let xlib = Xlib::open().expect("libX11 loads");
        // SAFETY: plain Xlib calls on a display this struct owns.
        unsafe {
            let display = (xlib.XOpenDisplay)(std::ptr::null());
            assert!(!display.is_null(), "cannot open the X display");
            let root = (xlib.XDefaultRootWindow)(display);
            let window = (xlib.XCreateSimpleWindow)(display, root, 0, 0, WIDTH, HEIGHT, 0, 0, BACKGROUND);
            (xlib.XMapWindow)(display, window);
            (xlib.XSync)(display, 0);
            Parent { xlib, display, window }
        }
    }

    fn read(&self) -> Drawn {
        let mut drawn = Drawn { covered: 0.0, orange: 0, first_orange: None };
        // SAFETY: the image is read within its bounds and destroyed after.
        unsafe {
            (self.xlib.XSync)(self.display, 0);
            let image = (self.xlib.XGetImage)(self.display, self.window, 0, 0, WIDTH, HEIGHT, !0, xlib::ZPixmap);
            if image.is_null() {
                return drawn;
            }
            let get = (*image).funcs.get_pixel.expect("XImage has get_pixel");
            let mut covered = 0u64;
            for y in 0..HEIGHT as c_int {
                for x in 0..WIDTH as c_int {
                    let pixel = get(image, x, y) & 0xff_ff_ff;
                    covered += u64::from(pixel != BACKGROUND);
                    if pixel == KNOB_ORANGE {
                        drawn.orange += 1;
                        drawn.first_orange.get_or_insert((x, y));
                    }
                }
            }
            (self.xlib.XDestroyImage)(image);
            drawn.covered = covered as f64 / (WIDTH * HEIGHT) as f64;
        }
        drawn
    }

    fn clear(&self) {
        // SAFETY: plain Xlib calls on the test's own window.
        unsafe {
            (self.xlib.XClearWindow)(self.display, self.window);
            (self.xlib.XSync)(self.display, 0);
        }
    }

    /// Drags with the left button from `from` upwards by `up` pixels, in small steps.
    fn drag_up(&self, xtest: &XTest, from: (c_int, c_int), up: c_int) {
        let step = |f: &dyn Fn()| {
            f();
            // SAFETY: the display is open.
            unsafe { (self.xlib.XSync)(self.display, 0) };
            // Several editor frames (33 ms apart) per step, so egui sees a press, moves and a release in
            // separate frames even on a loaded machine.
            std::thread::sleep(Duration::from_millis(120));
        };
        // SAFETY: XTest calls on an open display; the screen's root coordinates equal the parent's.
        unsafe {
            step(&|| {
                (xtest.XTestFakeMotionEvent)(self.display, -1, from.0, from.1, 0);
            });
            step(&|| {
                (xtest.XTestFakeButtonEvent)(self.display, 1, 1, 0);
            });
            for i in 1..=10 {
                step(&|| {
                    (xtest.XTestFakeMotionEvent)(self.display, -1, from.0, from.1 - up * i / 10, 0);
                });
            }
            step(&|| {
                (xtest.XTestFakeButtonEvent)(self.display, 1, 0, 0);
            });
        }
    }
}

impl Drop for Parent {
    fn drop(&mut self) {
        // SAFETY: the window and display are this struct's.
        unsafe {
            (self.xlib.XDestroyWindow)(self.display, self.window);
            (self.xlib.XCloseDisplay)(self.display);
        }
    }
}

/// An open editor view.
struct Open {
    view: ComPtr<IPlugView>,
}

/// `createView`, `setFrame`, size checks, `attached`; then waits (up to ten seconds, pumping the frame's
/// run loop; not a timing assertion) until the editor covers the parent with its knobs drawn.
fn open(plugin: &Plugin, frame: &ComWrapper<Context>, parent: &Parent) -> (Open, Drawn) {
    // SAFETY: `plugin.controller` is the plugin's live controller; the view name is a NUL-terminated literal.
    let view = unsafe { plugin.controller.createView(c"editor".as_ptr()) };
    // SAFETY: `createView` returns null or a new reference to the view, which `ComPtr` takes over (`expect` refuses
    // null).
    let view = unsafe { ComPtr::from_raw(view) }.expect("createView(\"editor\") gives a view");
    // SAFETY: `view` is a live view pointer the test holds; every pointer argument is a NUL-terminated literal, a local
    // `ViewRect`, the test's frame object (alive in `frame`) or the X11 window id of `parent`, all valid for each call.
    unsafe {
        assert_eq!(view.isPlatformTypeSupported(kPlatformTypeX11EmbedWindowID), kResultTrue);
        assert_eq!(view.isPlatformTypeSupported(c"HWND".as_ptr()), kResultFalse);
        assert_eq!(view.canResize(), kResultTrue);
        let mut small = ViewRect { left: 0, top: 0, right: 10, bottom: 10 };
        assert_eq!(view.checkSizeConstraint(&mut small), kResultTrue);
        assert!(small.right >= 640 && small.bottom >= 480, "a size too small grows to the minimum");
        let mut size = ViewRect { left: 0, top: 0, right: WIDTH as i32, bottom: HEIGHT as i32 };
        assert_eq!(view.onSize(&mut size), kResultOk);
        let mut got: ViewRect = std::mem::zeroed();
        assert_eq!(view.getSize(&mut got), kResultOk);
        assert_eq!((got.right - got.left, got.bottom - got.top), (WIDTH as i32, HEIGHT as i32));
        let frame_ptr = frame.as_com_ref::<IPlugFrame>().unwrap().as_ptr();
        assert_eq!(view.setFrame(frame_ptr), kResultOk);
        let result = view.attached(parent.window as usize as *mut c_void, kPlatformTypeX11EmbedWindowID);
        assert_eq!(result, kResultOk, "attached");
    }
    assert_eq!(frame.timers(), [50], "while attached, the controller polls on the frame's run loop");
    let end = Instant::now() + Duration::from_secs(10);
    let mut drawn = parent.read();
    while Instant::now() < end && (drawn.covered < 0.9 || drawn.orange < 100) {
        frame.fire();
        std::thread::sleep(Duration::from_millis(100));
        drawn = parent.read();
    }
    (Open { view }, drawn)
}

/// `removed`, `setFrame(null)` and the host's last release; returns the view's reference count after
/// that release (0: the view is gone).
fn close(open: Open, frame: &ComWrapper<Context>) -> u32 {
    // SAFETY: `open.view` is the live view the test holds (released only below); `setFrame` takes null to detach.
    unsafe {
        assert_eq!(open.view.removed(), kResultOk);
        assert_eq!(open.view.setFrame(std::ptr::null_mut()), kResultOk);
    }
    assert_eq!(frame.timers(), [] as [u64; 0], "the frame's timer stops with the view");
    let raw = open.view.into_raw() as *mut FUnknown;
    // SAFETY: the one reference the test held.
    unsafe { ((*(*raw).vtbl).release)(raw) }
}

fn calls_for(calls: &[Call], id: u32) -> Vec<Call> {
    calls
        .iter()
        .filter(|c| matches!(c, Call::Begin(i) | Call::Perform(i, _) | Call::End(i) if *i == id))
        .cloned()
        .collect()
}

#[test]
fn the_editor_draws_in_the_hosts_window_its_knob_reaches_the_host_and_it_opens_again() {
    if std::env::var_os("DISPLAY").is_none() {
        eprintln!("skipped: DISPLAY is unset (run under xvfb-run)");
        return;
    }
    let module = Module::load();
    let context = ComWrapper::new(PlainContext);
    let plugin = Plugin::new(&module, as_unknown::<_, IHostApplication>(&context));
    let frame = vst3_common::context();
    let parent = Parent::open();
    assert!(parent.read().covered < 0.01, "the parent starts empty");

    let (editor, drawn) = open(&plugin, &frame, &parent);
    eprintln!(
        "first opening covered {:.1} % of the parent, {} knob-orange pixels",
        drawn.covered * 100.0,
        drawn.orange
    );
    assert!(drawn.covered > 0.9, "the editor covers its window: {:.0} %", drawn.covered * 100.0);
    assert!(drawn.orange >= 100, "the knobs are drawn: {} orange pixels", drawn.orange);

    // Drag the first macro knob up with the mouse: the host hears one gesture on parameter 1.
    match XTest::open() {
        Ok(xtest) => {
            // SAFETY: `plugin.controller` is a live COM pointer to the plugin's own object, held by the test across
            // this call on the test's thread.
            let before = unsafe { plugin.controller.getParamNormalized(1) };
            let at = drawn.first_orange.expect("an orange knob pointer");
            parent.drag_up(&xtest, at, 60);
            let mut calls = Vec::new();
            let end = Instant::now() + Duration::from_secs(10);
            while !calls.iter().any(|c| matches!(c, Call::End(1))) && Instant::now() < end {
                frame.fire();
                calls.extend(plugin.handler.take());
                std::thread::sleep(Duration::from_millis(50));
            }
            let knob = calls_for(&calls, 1);
            eprintln!("the drag made {} host calls on parameter 1", knob.len());
            assert_eq!(knob.first(), Some(&Call::Begin(1)), "{knob:?}");
            assert_eq!(knob.last(), Some(&Call::End(1)), "{knob:?}");
            let Some(Call::Perform(_, value)) = knob.iter().rev().find(|c| matches!(c, Call::Perform(..))) else {
                panic!("no performEdit: {knob:?}");
            };
            // SAFETY: `plugin.controller` is a live COM pointer to the plugin's own object, held by the test across
            // this call on the test's thread.
            let now = unsafe { plugin.controller.getParamNormalized(1) };
            assert!(*value > before, "dragging up raised the macro: {before} → {value}");
            assert_eq!(*value, now, "the controller holds the value the host was sent");
        }
        Err(e) => eprintln!("knob drag skipped: XTest (libXtst) is not available: {e}"),
    }

    assert_eq!(close(editor, &frame), 0, "the host's release frees the view");
    // The window goes away on its own X connection: clear the parent until it shows (a generous wait).
    let end = Instant::now() + Duration::from_secs(5);
    let mut left = 1.0;
    while left >= 0.01 && Instant::now() < end {
        parent.clear();
        left = parent.read().covered;
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(left < 0.01, "after removed nothing is left in the parent: {:.0} % covered", left * 100.0);

    let (editor, drawn) = open(&plugin, &frame, &parent);
    assert!(drawn.covered > 0.9 && drawn.orange >= 100, "it opens again: {:.0} %", drawn.covered * 100.0);
    assert_eq!(close(editor, &frame), 0);

    // Opening and closing many times leaks no view, thread or X connection (file descriptor).
    let before = x11_parent::threads_and_files();
    for _ in 0..10 {
        let (editor, drawn) = open(&plugin, &frame, &parent);
        assert!(drawn.covered > 0.9);
        assert_eq!(close(editor, &frame), 0, "every view is freed");
    }
    x11_parent::assert_nothing_leaked(before);
    drop(plugin);
    // Never unload the library: unloading it after the editor ran crashes at process exit, which would
    // hide this test's result (as in clap_editor).
    std::mem::forget(module);
    x11_parent::exit_passed()
}
