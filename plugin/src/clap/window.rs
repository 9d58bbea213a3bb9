//! The CLAP `gui` extension: the editor window embedded in the host's X11 window (create, set_parent,
//! show, hide, destroy). The plumbing between the window and the instrument is shared with VST3 in
//! [`crate::editor_host`]; this file only follows CLAP's order and passes the editor's requests on to the
//! host (a block for a new note, a parameter flush for a gesture).

use std::cell::{Cell, RefCell};

use clack_extensions::gui::{GuiApiType, GuiConfiguration, GuiSize, PluginGuiImpl, Window};
use clack_extensions::params::HostParams;
use clack_plugin::prelude::*;
use ferrule_editor::window::{DEFAULT_SIZE, EditorWindow};

use super::ClapMainThread;
use super::wake::Wake;
use crate::core::Meters;
use crate::core::PluginCore;
use crate::editor_host::{EditorHost, GuiEvent};

/// The main thread's editor state: the shared plumbing and the window while it exists.
pub struct ClapGui {
    host: EditorHost,
    window: RefCell<Option<EditorWindow>>,
    size: Cell<(u32, u32)>,
}

impl Default for ClapGui {
    fn default() -> Self {
        ClapGui::new(None)
    }
}

impl ClapGui {
    /// The editor's main-thread state. With `wake` (hosts without timers), the open window asks for a
    /// main-thread callback on every frame instead of waiting for the adapter's timer.
    pub fn new(wake: Option<Wake>) -> ClapGui {
        let waker = wake.map(|wake| -> ferrule_editor::window::Waker { Box::new(move || wake()) });
        ClapGui { host: EditorHost::new(waker), window: RefCell::new(None), size: Cell::new(DEFAULT_SIZE) }
    }

    /// Hands the ring's consuming end to a new audio processor. Main thread (activate).
    pub fn take_audio_end(&self) -> Option<rtrb::Consumer<GuiEvent>> {
        self.host.take_audio_end()
    }

    /// Takes the consuming end back from a deactivated audio processor. Main thread.
    pub fn return_audio_end(&self, consumer: Option<rtrb::Consumer<GuiEvent>>) {
        self.host.return_audio_end(consumer)
    }

    /// Drains the events for the audio thread outside processing; see [`EditorHost::drain_inactive`].
    /// Main thread.
    pub fn drain_inactive(&self) -> Vec<GuiEvent> {
        self.host.drain_inactive()
    }

    /// Carries out the editor's intents on `core` and publishes a fresh snapshot. Gestures go to the
    /// audio thread, which reports them to the host in its next block or flush. Returns whether the patch
    /// changed (the adapter then rescans parameter names). Main thread, on the reload timer. `host` is
    /// `None` in tests.
    pub fn tick(&self, core: &mut PluginCore, meters: &Meters, host: Option<&HostSharedHandle>) -> bool {
        let tick = self.host.tick(core, meters, self.window.borrow().is_some());
        let wants_flush = !tick.params.is_empty();
        for event in tick.params {
            self.host.send_to_audio(event);
        }
        // The host then calls process or flush, which hands the gesture events over (safe either way).
        // A sleeping plugin gets no blocks until the host has events for it: ask for one so the note sounds.
        if tick.note_started
            && let Some(host) = host
        {
            host.request_process();
        }
        if wants_flush
            && let Some(host) = host
            && let Some(params) = host.get_extension::<HostParams>()
        {
            params.request_flush(host);
        }
        tick.patch_changed
    }

    /// Closes the window if it is open. Main thread.
    pub fn close(&self) {
        if let Some(window) = self.window.borrow_mut().take() {
            window.close();
        }
    }
}

impl PluginGuiImpl for ClapMainThread<'_> {
    fn is_api_supported(&self, configuration: GuiConfiguration) -> bool {
        configuration.api_type == GuiApiType::X11 && !configuration.is_floating
    }

    fn get_preferred_api(&self) -> Option<GuiConfiguration<'_>> {
        Some(GuiConfiguration { api_type: GuiApiType::X11, is_floating: false })
    }

    fn create(&self, configuration: GuiConfiguration) -> Result<(), PluginError> {
        if !self.is_api_supported(configuration) {
            return Err(PluginError::Message("Ferrule's editor embeds in an X11 window only"));
        }
        let gui = &self.gui;
        if let Some(old) = gui.window.borrow_mut().take() {
            old.close();
        }
        let window = crate::guard(|| EditorWindow::create(gui.host.link().clone(), gui.size.get()))
            .ok_or(PluginError::Message("the editor panicked while opening"))?
            .map_err(|_| PluginError::Message("cannot open the editor window"))?;
        *gui.window.borrow_mut() = Some(window);
        // Show the current state from the first frame.
        gui.host.opened(&self.core.borrow(), &self.shared.meters);
        Ok(())
    }

    fn destroy(&self) {
        if let Some(window) = self.gui.window.borrow_mut().take() {
            let _ = crate::guard(|| window.close());
        }
        // Closing ended the keyboard's held notes: on a host without timers, ask for the callback that
        // carries the note-offs out.
        if let Some(wake) = &self.wake {
            wake();
        }
    }

    fn set_scale(&self, _scale: f64) -> Result<(), PluginError> {
        // X11 sizes are physical pixels; baseview reads the screen's scale itself.
        Err(PluginError::Message("the editor follows the system scale"))
    }

    fn get_size(&self) -> Option<GuiSize> {
        let (width, height) = match &*self.gui.window.borrow() {
            Some(window) => window.size(),
            None => self.gui.size.get(),
        };
        Some(GuiSize { width, height })
    }

    fn can_resize(&self) -> bool {
        true
    }

    fn adjust_size(&self, size: GuiSize) -> Option<GuiSize> {
        Some(GuiSize { width: size.width.max(640), height: size.height.max(480) })
    }

    fn set_size(&self, size: GuiSize) -> Result<(), PluginError> {
        let size = (size.width.max(640), size.height.max(480));
        self.gui.size.set(size);
        match &*self.gui.window.borrow() {
            Some(window) => window.resize(size).map_err(|_| PluginError::Message("cannot resize the editor")),
            None => Ok(()),
        }
    }

    fn set_parent(&self, window: Window) -> Result<(), PluginError> {
        let id = window.as_x11_handle().ok_or(PluginError::Message("not an X11 window"))?;
        let id = u32::try_from(id).map_err(|_| PluginError::Message("X11 window id out of range"))?;
        match &*self.gui.window.borrow() {
            Some(editor) => editor.set_parent(id).map_err(|_| PluginError::Message("cannot embed the editor")),
            None => Err(PluginError::Message("set_parent before create")),
        }
    }

    fn set_transient(&self, _window: Window) -> Result<(), PluginError> {
        Err(PluginError::Message("the editor is embedded only"))
    }

    fn show(&self) -> Result<(), PluginError> {
        match &*self.gui.window.borrow() {
            Some(window) => window.show().map_err(|_| PluginError::Message("cannot show the editor")),
            None => Err(PluginError::Message("show before create")),
        }
    }

    fn hide(&self) -> Result<(), PluginError> {
        match &*self.gui.window.borrow() {
            Some(window) => window.hide().map_err(|_| PluginError::Message("cannot hide the editor")),
            None => Ok(()),
        }
    }
}
