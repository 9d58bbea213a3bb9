//! The VST3 editor: an `IPlugView` that embeds the same editor window as CLAP
//! ([`EditorWindow::create_in`], VST3's order: the parent comes with `attached`, then the window shows).
//!
//! The view only opens, sizes and closes the window. The plumbing between window and instrument lives in
//! the instance's [`crate::editor_host::EditorHost`]; the controller's main-thread timer
//! ([`super::link`]) carries out the editor's intents and refreshes what it shows. All methods run on the
//! host's main thread; the view is not shared across threads (the window is not `Send`).

use std::cell::RefCell;
use std::ffi::{CStr, c_void};
use std::sync::Arc;

use ferrule_editor::window::EditorWindow;
use vst3::Steinberg::Linux::IRunLoop;
use vst3::Steinberg::*;
use vst3::{Class, ComPtr, ComRef};

use super::guarded;
use super::link::ControllerLink;

/// The smallest editor, in pixels.
const MIN_SIZE: (u32, u32) = (640, 480);

/// One editor view, from `createView("editor")` until the host releases it.
pub struct View {
    link: Arc<ControllerLink>,
    window: RefCell<Option<EditorWindow>>,
    frame: RefCell<Option<ComPtr<IPlugFrame>>>,
}

impl Class for View {
    type Interfaces = (IPlugView, IPlugViewContentScaleSupport);
}

impl View {
    /// A view of the controller linked by `link`. Main thread.
    pub fn new(link: Arc<ControllerLink>) -> View {
        View { link, window: RefCell::new(None), frame: RefCell::new(None) }
    }

    /// Closes the window if open. Main thread.
    fn close(&self) {
        if let Some(window) = self.window.borrow_mut().take() {
            window.close();
            self.link.window_opened(false);
        }
    }
}

impl Drop for View {
    fn drop(&mut self) {
        // A host that releases the view without `removed` still gets the window closed.
        let _ = crate::guard(|| self.close());
    }
}

/// Whether `kind` is the platform type Ferrule embeds in.
///
/// # Safety
/// `kind` is null or a NUL-terminated string valid for this call.
unsafe fn is_x11(kind: FIDString) -> bool {
    // SAFETY: `kind` is not null here (checked first), so by this function's contract it is a NUL-terminated
    // string valid for this call; the borrowed `CStr` is only compared, never kept.
    !kind.is_null() && unsafe { CStr::from_ptr(kind) } == c"X11EmbedWindowID"
}

fn rect(size: (u32, u32)) -> ViewRect {
    ViewRect { left: 0, top: 0, right: size.0 as i32, bottom: size.1 as i32 }
}

/// The size of `rect` in pixels, at least [`MIN_SIZE`].
fn size_of(rect: &ViewRect) -> (u32, u32) {
    let width = u32::try_from(rect.right.saturating_sub(rect.left)).unwrap_or(0);
    let height = u32::try_from(rect.bottom.saturating_sub(rect.top)).unwrap_or(0);
    (width.max(MIN_SIZE.0), height.max(MIN_SIZE.1))
}

impl IPlugViewTrait for View {
    unsafe fn isPlatformTypeSupported(&self, kind: FIDString) -> tresult {
        // SAFETY: the host passes a C string or null.
        if unsafe { is_x11(kind) } { kResultTrue } else { kResultFalse }
    }

    unsafe fn attached(&self, parent: *mut c_void, kind: FIDString) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a C string or null.
            if !unsafe { is_x11(kind) } {
                return kResultFalse;
            }
            // An X11 window id travels in the pointer.
            let Ok(parent) = u32::try_from(parent as usize) else { return kInvalidArgument };
            let Some(instance) = self.link.instance() else { return kResultFalse };
            self.close();
            let link = crate::vst3::lock(&instance.main).editor.link().clone();
            let Ok(window) = EditorWindow::create_in(link, self.link.size(), parent) else { return kResultFalse };
            *self.window.borrow_mut() = Some(window);
            self.link.window_opened(true);
            instance.editor_opened();
            // A host without a context run loop may offer one through the frame.
            if let Some(run_loop) = self.frame.borrow().as_ref().and_then(|f| f.cast::<IRunLoop>()) {
                self.link.start_view_timer(run_loop);
            }
            kResultOk
        })
    }

    unsafe fn removed(&self) -> tresult {
        guarded(|| {
            self.close();
            kResultOk
        })
    }

    unsafe fn onWheel(&self, _distance: f32) -> tresult {
        kResultFalse
    }

    unsafe fn onKeyDown(&self, _key: char16, _key_code: int16, _modifiers: int16) -> tresult {
        kResultFalse
    }

    unsafe fn onKeyUp(&self, _key: char16, _key_code: int16, _modifiers: int16) -> tresult {
        kResultFalse
    }

    unsafe fn getSize(&self, size: *mut ViewRect) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable rect or null.
            let Some(size) = (unsafe { size.as_mut() }) else { return kInvalidArgument };
            *size = rect(self.window.borrow().as_ref().map_or(self.link.size(), EditorWindow::size));
            kResultOk
        })
    }

    unsafe fn onSize(&self, new_size: *mut ViewRect) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a valid rect or null.
            let Some(new_size) = (unsafe { new_size.as_ref() }) else { return kInvalidArgument };
            let size = size_of(new_size);
            self.link.set_size(size);
            match &*self.window.borrow() {
                Some(window) if window.resize(size).is_err() => kResultFalse,
                _ => kResultOk,
            }
        })
    }

    unsafe fn onFocus(&self, _state: TBool) -> tresult {
        kResultOk
    }

    unsafe fn setFrame(&self, frame: *mut IPlugFrame) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a valid frame or null; we keep our own reference.
            *self.frame.borrow_mut() = unsafe { ComRef::from_raw(frame) }.map(|f| f.to_com_ptr());
            kResultOk
        })
    }

    unsafe fn canResize(&self) -> tresult {
        kResultTrue
    }

    unsafe fn checkSizeConstraint(&self, rect_: *mut ViewRect) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable rect or null.
            let Some(r) = (unsafe { rect_.as_mut() }) else { return kInvalidArgument };
            let (width, height) = size_of(r);
            r.right = r.left.saturating_add(width as i32);
            r.bottom = r.top.saturating_add(height as i32);
            kResultTrue
        })
    }
}

impl IPlugViewContentScaleSupportTrait for View {
    unsafe fn setContentScaleFactor(&self, _factor: IPlugViewContentScaleSupport_::ScaleFactor) -> tresult {
        // Sizes stay in pixels and baseview reads the screen's scale itself: nothing to change.
        kResultOk
    }
}
