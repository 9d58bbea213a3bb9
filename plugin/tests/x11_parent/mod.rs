//! A host's top-level X11 window for the real-window editor tests: made with Xlib, read back pixel by
//! pixel to see what the editor drew in it.
#![allow(dead_code)] // Each test file uses its own subset.

use std::ffi::{c_int, c_uint, c_ulong};

use x11_dl::xlib::{self, Xlib};

/// The parent window's background: pure white, which the editor's dark theme never draws in bulk.
pub const BACKGROUND: c_ulong = 0xff_ff_ff;
/// The knob pointers' colour (`ferrule_editor::knob`), 0xRRGGBB.
pub const KNOB_ORANGE: c_ulong = 0xf0_aa_3c;
pub const WIDTH: u32 = 1100;
pub const HEIGHT: u32 = 720;

/// A host's top-level X11 window, made with Xlib.
pub struct Parent {
    pub xlib: Xlib,
    pub display: *mut xlib::Display,
    pub window: c_ulong,
}

impl Parent {
    pub fn open() -> Parent {
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

    /// The share of the parent's pixels that are not its background (what the editor covered).
    pub fn covered(&self) -> f64 {
        self.read().0
    }

    /// The share of pixels that are not the background, and how many pixels have the knobs' orange
    /// pointer colour (proof that egui painted widgets, not just cleared the window).
    pub fn read(&self) -> (f64, u64) {
        // SAFETY: the image is read within its bounds and destroyed after.
        unsafe {
            (self.xlib.XSync)(self.display, 0);
            let image = (self.xlib.XGetImage)(
                self.display,
                self.window,
                0,
                0,
                WIDTH as c_uint,
                HEIGHT as c_uint,
                !0,
                xlib::ZPixmap,
            );
            if image.is_null() {
                return (0.0, 0);
            }
            let get = (*image).funcs.get_pixel.expect("XImage has get_pixel");
            let (mut covered, mut orange) = (0u64, 0u64);
            for y in 0..HEIGHT as c_int {
                for x in 0..WIDTH as c_int {
                    let pixel = get(image, x, y) & 0xff_ff_ff;
                    covered += u64::from(pixel != BACKGROUND);
                    orange += u64::from(pixel == KNOB_ORANGE);
                }
            }
            (self.xlib.XDestroyImage)(image);
            (covered as f64 / (WIDTH * HEIGHT) as f64, orange)
        }
    }
}

impl Parent {
    /// The parent's pixels as 8-bit RGB rows, top to bottom.
    pub fn capture(&self) -> Vec<u8> {
        let mut rgb = Vec::with_capacity((WIDTH * HEIGHT * 3) as usize);
        // SAFETY: the image is read within its bounds and destroyed after.
        unsafe {
            (self.xlib.XSync)(self.display, 0);
            let image = (self.xlib.XGetImage)(self.display, self.window, 0, 0, WIDTH, HEIGHT, !0, xlib::ZPixmap);
            assert!(!image.is_null(), "XGetImage failed");
            let get = (*image).funcs.get_pixel.expect("XImage has get_pixel");
            for y in 0..HEIGHT as c_int {
                for x in 0..WIDTH as c_int {
                    let pixel = get(image, x, y);
                    rgb.extend_from_slice(&[(pixel >> 16) as u8, (pixel >> 8) as u8, pixel as u8]);
                }
            }
            (self.xlib.XDestroyImage)(image);
        }
        rgb
    }

    /// Writes the parent's pixels to `path` as a PNG (the README's screenshot).
    pub fn save_png(&self, path: &std::path::Path) {
        let file = std::io::BufWriter::new(std::fs::File::create(path).expect("create the screenshot"));
        let mut encoder = png::Encoder::new(file, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("png header");
        writer.write_image_data(&self.capture()).expect("png data");
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

/// This process's threads and open files: what an editor that leaks per opening would grow.
pub fn threads_and_files() -> (usize, usize) {
    let count = |folder: &str| std::fs::read_dir(folder).map_or(0, |d| d.count());
    (count("/proc/self/task"), count("/proc/self/fd"))
}

/// Asserts that ten openings and closings since `before` ([`threads_and_files`]) left no more threads and
/// files than one may linger: Mesa's worker threads and a closing window's last file come and go on their
/// own, so this allows a little slack and waits up to 5 s for them to settle; a leak per opening would add
/// ten of each.
pub fn assert_nothing_leaked(before: (usize, usize)) {
    let settled = |(threads, files): (usize, usize)| threads <= before.0 + 2 && files <= before.1 + 3;
    let end = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut after = threads_and_files();
    while !settled(after) && std::time::Instant::now() < end {
        std::thread::sleep(std::time::Duration::from_millis(100));
        after = threads_and_files();
    }
    eprintln!("threads and file descriptors before ten openings {before:?}, after {after:?}");
    assert!(settled(after), "(threads, file descriptors) grew: {before:?} → {after:?}");
}

/// Ends a window test whose checks all passed, at once, skipping exit-time teardown: about one run in
/// twelve, Mesa's or the X connection's teardown raced a window thread and crashed (SIGSEGV) after the
/// test had passed. Each window test file holds one test for this reason. The crash is an open issue
/// (issue 6): baseview 0.4.2 returned from closing a window before its thread had finished in 30 of 36
/// closings measured here, which `EditorWindow::close` now waits out; the crash did not recur in 78 runs
/// without this exit (with and without that wait), so it stays until the cause is confirmed. Call it after
/// forgetting the plugin library (unloading it after the editor ran crashes at exit too).
pub fn exit_passed() -> ! {
    use std::io::Write as _;
    let _ = std::io::stderr().flush();
    let _ = std::io::stdout().flush();
    // SAFETY: `_exit` ends the process at once; nothing after it runs.
    unsafe { libc::_exit(0) }
}
