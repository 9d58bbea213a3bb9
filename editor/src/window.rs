//! The real editor window (feature `window`): an egui-baseview OpenGL window embedded in a host's X11
//! window, running [`EditorState`] on its own thread.
//!
//! The plugin adapter and the window share an [`EditorLink`]: the adapter publishes [`Snapshot`]s into
//! it and drains [`Intent`]s from it, both on the host's main thread; the window thread reads the
//! snapshot (cloning it only when it changed) and posts intents. The audio thread never touches the link.
//!
//! For hosts that give the adapter no timer, a link made with [`EditorLink::with_waker`] calls its waker
//! from the window thread on every frame (about 30 times a second, and only while the window is open): the
//! adapter asks the host for a main-thread callback there, and carries out the intents and publishes a
//! fresh snapshot in it.

use std::ffi::c_ulong;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use egui_baseview::baseview::dpi::LogicalSize;
use egui_baseview::baseview::{self, Window};
use egui_baseview::{EguiWindow, EguiWindowSettings, Frame};
use raw_window_handle::{HandleError, HasWindowHandle, RawWindowHandle, WindowHandle, XlibWindowHandle};

use crate::{EditorState, Intent, Snapshot};

/// The editor's size when it opens, in logical points.
pub const DEFAULT_SIZE: (u32, u32) = (1100, 720);
/// How often the window redraws for the meters, in milliseconds.
const METER_PERIOD_MS: u64 = 33;

/// What the adapter and the window share. Made by the adapter, which keeps it across window openings.
pub struct EditorLink {
    snapshot: Mutex<Snapshot>,
    /// Bumped on every publish, so the window clones the snapshot only when it changed.
    generation: AtomicU64,
    intents_in: Mutex<Sender<Intent>>,
    intents_out: Mutex<Receiver<Intent>>,
    /// Asks the adapter's host for a main-thread callback (hosts without timers); see the module docs.
    waker: Option<Waker>,
}

/// A function the window thread calls when it wants the adapter's main thread to run: to carry out
/// intents and publish a fresh snapshot. Must be cheap and thread-safe (CLAP's `request_callback` is).
pub type Waker = Box<dyn Fn() + Send + Sync>;

impl Default for EditorLink {
    fn default() -> Self {
        EditorLink::new(None)
    }
}

impl EditorLink {
    fn new(waker: Option<Waker>) -> EditorLink {
        let (tx, rx) = channel();
        EditorLink {
            snapshot: Mutex::new(Snapshot::default()),
            generation: AtomicU64::new(1),
            intents_in: Mutex::new(tx),
            intents_out: Mutex::new(rx),
            waker,
        }
    }

    /// A link whose window calls `waker` on every frame while it is open (for hosts without timers: the
    /// adapter asks the host for a main-thread callback there). The waker must stay valid until every
    /// window using the link is closed.
    pub fn with_waker(waker: Waker) -> EditorLink {
        EditorLink::new(Some(waker))
    }

    /// Calls the waker, if the link has one. Any thread.
    pub fn wake(&self) {
        if let Some(waker) = &self.waker {
            waker();
        }
    }

    /// Shows `snapshot` in the window (if one is open) from its next frame. Main thread.
    pub fn publish(&self, snapshot: Snapshot) {
        *self.snapshot.lock().unwrap_or_else(|e| e.into_inner()) = snapshot;
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// The intents the user produced since the last call, oldest first. Main thread.
    pub fn take_intents(&self) -> Vec<Intent> {
        self.intents_out.lock().unwrap_or_else(|e| e.into_inner()).try_iter().collect()
    }

    /// Queues intents as if the user made them (the window does this every frame). Any thread; never
    /// blocks for longer than another `post` or `take_intents`.
    pub fn post(&self, intents: Vec<Intent>) {
        let tx = self.intents_in.lock().unwrap_or_else(|e| e.into_inner());
        for intent in intents {
            // The receiver lives in this same link, so sending cannot fail.
            let _ = tx.send(intent);
        }
    }
}

/// Why the window could not be made.
#[derive(Debug)]
pub enum WindowError {
    /// The parent window id was 0.
    NoParent,
    /// baseview refused (no X server, no OpenGL).
    Baseview(String),
}

impl std::fmt::Display for WindowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WindowError::NoParent => write!(f, "the host gave no parent window"),
            WindowError::Baseview(e) => write!(f, "cannot open the editor window: {e}"),
        }
    }
}

impl std::error::Error for WindowError {}

/// A host's X11 window, by id.
struct X11Parent(NonZeroU32);

impl HasWindowHandle for X11Parent {
    fn window_handle(&self) -> Result<WindowHandle<'_>, HandleError> {
        let raw = RawWindowHandle::Xlib(XlibWindowHandle::new(self.0.get() as c_ulong));
        // SAFETY: the host keeps its window alive while the editor is embedded in it (CLAP and VST3 both
        // require it), and baseview only reads the id.
        Ok(unsafe { WindowHandle::borrow_raw(raw) })
    }
}

/// An open editor window. Not `Send`: create, use and close it on the host's main thread.
pub struct EditorWindow {
    window: Window,
    /// Disconnected once the window's thread has finished (see [`ThreadExit`]).
    exited: Receiver<()>,
}

/// How long [`EditorWindow::close`] waits for the window's thread to finish, at most.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Held in a thread-local of the window's thread; dropping it, the last thing that thread does (after
/// the window, its OpenGL context and its X connection are gone), tells [`EditorWindow::close`] the thread
/// has finished.
///
/// Why: baseview 0.4.2's `Window` drop asks the window thread to `Show` before joining it, and when the
/// thread is already stopping, that request fails and the join is skipped. The thread then tears down
/// OpenGL and X on its own, possibly while the process exits: the rare exit-time SIGSEGV the window test
/// used to see.
struct ThreadExit(#[allow(dead_code)] Sender<()>);

thread_local! {
    static THREAD_EXIT: std::cell::RefCell<Option<ThreadExit>> = const { std::cell::RefCell::new(None) };
}

impl EditorWindow {
    /// Makes a window of `size` logical points that waits for its parent ([`EditorWindow::set_parent`])
    /// before it appears: the CLAP order (create, set_parent, show). Main thread.
    pub fn create(link: Arc<EditorLink>, size: (u32, u32)) -> Result<EditorWindow, WindowError> {
        let settings = EguiWindowSettings::new()
            .with_title("Ferrule")
            .with_size(LogicalSize { width: size.0 as f64, height: size.1 as f64 })
            .with_resizable(true)
            .wait_for_parent();
        EditorWindow::open(settings, link)
    }

    /// Makes a window of `size` logical points inside the X11 window `parent`: the VST3 order
    /// (`attached` hands the parent first). Main thread.
    pub fn create_in(link: Arc<EditorLink>, size: (u32, u32), parent: u32) -> Result<EditorWindow, WindowError> {
        let parent = X11Parent(NonZeroU32::new(parent).ok_or(WindowError::NoParent)?);
        let settings = EguiWindowSettings::new()
            .with_title("Ferrule")
            .with_size(LogicalSize { width: size.0 as f64, height: size.1 as f64 })
            .with_resizable(true)
            .with_parent(&parent);
        let window = EditorWindow::open(settings, link)?;
        window.show()?;
        Ok(window)
    }

    fn open(settings: EguiWindowSettings, link: Arc<EditorLink>) -> Result<EditorWindow, WindowError> {
        let mut state = EditorState::default();
        if let Some(picker) = file_dialog() {
            state.set_file_picker(picker);
        }
        let (exit, exited) = channel();
        let app = EditorApp { state, link, seen: 0, exit: Some(exit) };
        let window = EguiWindow::create(settings, app).map_err(|e| WindowError::Baseview(format!("{e:?}")))?;
        Ok(EditorWindow { window, exited })
    }

    /// Embeds the window in the host's X11 window `parent`. Main thread.
    pub fn set_parent(&self, parent: u32) -> Result<(), WindowError> {
        let parent = X11Parent(NonZeroU32::new(parent).ok_or(WindowError::NoParent)?);
        self.window.set_parent(&parent).map_err(baseview_error)
    }

    /// Shows the window. Main thread.
    pub fn show(&self) -> Result<(), WindowError> {
        self.window.show().map_err(baseview_error)
    }

    /// Hides the window (it keeps its state). Main thread.
    pub fn hide(&self) -> Result<(), WindowError> {
        self.window.hide().map_err(baseview_error)
    }

    /// Resizes the window to `size` logical points. Main thread.
    pub fn resize(&self, size: (u32, u32)) -> Result<(), WindowError> {
        self.window.resize(LogicalSize { width: size.0 as f64, height: size.1 as f64 }).map_err(baseview_error)
    }

    /// The window's size in logical points.
    pub fn size(&self) -> (u32, u32) {
        let logical = self.window.size().logical;
        (logical.width.round() as u32, logical.height.round() as u32)
    }

    /// Whether the window still exists (the X connection or the host may have closed it).
    pub fn is_open(&self) -> bool {
        self.window.is_open()
    }

    /// Closes the window and waits (up to 5 s) until its thread has finished, so no OpenGL or X work of
    /// the editor outlives this call; held notes get their note-offs through the link. Main thread.
    pub fn close(self) {
        self.window.close();
        // `Err(Disconnected)` is the signal; a timeout means the thread hangs, and waiting longer would
        // hang the host too.
        let _ = self.exited.recv_timeout(CLOSE_TIMEOUT);
    }
}

/// The desktop's file dialog, if this session can show one: through the XDG desktop portal (needs a
/// D-Bus session bus) or rfd's fallback, the `zenity` program. `None` otherwise; the editor then offers
/// its path field and user patch list only.
///
/// Each dialog runs on a thread of its own, so neither the host's main thread, the audio thread nor the
/// window's thread waits for the user; the chosen path arrives through a channel whose receiver the
/// window's [`EditorState`] owns. The thread is not joined, because joining would block the host until
/// the user answers: closing the editor drops the receiver, the dialog stays on screen, and its answer is
/// dropped when the user gives it (a failed send, nothing else), which ends the thread. rfd offers no way
/// to cancel a portal or zenity dialog from here, so such a thread may outlive the editor, and even the
/// plugin instance: starting one therefore keeps the plugin's library loaded for the rest of the process
/// (`keep_library_loaded`), so a host that unloads the plugin meanwhile cannot pull the thread's code
/// from under it.
pub fn file_dialog() -> Option<crate::FilePicker> {
    let session_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| std::path::Path::new(&dir).join("bus").exists());
    let zenity = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("zenity").is_file()));
    if !session_bus && !zenity {
        return None;
    }
    Some(Box::new(|start: Option<std::path::PathBuf>| {
        let (answer, answered) = channel();
        keep_library_loaded();
        let spawned = std::thread::Builder::new().name("ferrule file dialog".into()).spawn(move || {
            let mut dialog =
                rfd::FileDialog::new().set_title("Open a Ferrule patch").add_filter("Ferrule patch", &["ron"]);
            if let Some(dir) = start {
                dialog = dialog.set_directory(dir);
            }
            let _ = answer.send(dialog.pick_file());
        });
        // A thread that cannot start drops `answer`: the editor sees the dialog end with no file.
        drop(spawned);
        answered
    }))
}

/// Keeps the shared library this code is linked into (the plugin's `.so`) mapped until the process
/// ends, from the first call on: a later `dlclose` by the host leaves it loaded. For threads that are
/// not joined ([`file_dialog`]'s), which may run after the host unloaded the plugin. glibc's
/// `RTLD_NOLOAD | RTLD_NODELETE` marks the already loaded library so (and the handle it returns is never
/// closed); a failure leaves things as they were. Costs one `dladdr` and one `dlopen` per process. Any
/// thread but audio.
fn keep_library_loaded() {
    static KEPT: std::sync::Once = std::sync::Once::new();
    KEPT.call_once(|| {
        let here = keep_library_loaded as fn() as *const libc::c_void;
        // SAFETY: `dladdr` reads the address of this function and fills `info` with the path of the object
        // holding it (a string owned by the loader, valid while that object is loaded, which it is);
        // `dlopen` with `RTLD_NOLOAD` loads nothing new: it marks that already loaded object and returns a
        // handle to it, deliberately never closed.
        unsafe {
            let mut info: libc::Dl_info = std::mem::zeroed();
            if libc::dladdr(here, &mut info) != 0 && !info.dli_fname.is_null() {
                let _ = libc::dlopen(info.dli_fname, libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE);
            }
        }
    });
}

fn baseview_error(e: baseview::Error) -> WindowError {
    WindowError::Baseview(format!("{e:?}"))
}

/// The egui app running on the window's thread.
struct EditorApp {
    state: EditorState,
    link: Arc<EditorLink>,
    /// The snapshot generation shown.
    seen: u64,
    /// Moved into the window thread's [`THREAD_EXIT`] on the first frame.
    exit: Option<Sender<()>>,
}

impl egui_baseview::App for EditorApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        if let Some(exit) = self.exit.take() {
            THREAD_EXIT.with(|slot| *slot.borrow_mut() = Some(ThreadExit(exit)));
        }
        let generation = self.link.generation.load(Ordering::Acquire);
        if generation != self.seen {
            self.seen = generation;
            let snapshot = self.link.snapshot.lock().unwrap_or_else(|e| e.into_inner()).clone();
            self.state.set_snapshot(snapshot);
        }
        self.state.ui(ui);
        self.link.post(self.state.take_intents());
        // The intents just posted, and fresh meters for the next frame, need the adapter's main thread.
        self.link.wake();
        ui.ctx().request_repaint_after(Duration::from_millis(METER_PERIOD_MS));
    }
}

impl Drop for EditorApp {
    fn drop(&mut self) {
        self.state.close();
        self.link.post(self.state.take_intents());
    }
}
