//! The edit controller's main-thread life: its link to the component's [`Instance`], the host's run
//! loop and the 50 ms timer on it, and passing what a poll found on to the host.
//!
//! **Where the timer comes from.** On Linux a VST3 plugin gets timers from the host's
//! `Steinberg::Linux::IRunLoop`. The controller asks the host context it is initialised with; if that
//! has none, an open editor asks its `IPlugFrame`, and that timer runs while an editor is open.
//! **Without a run loop** (no context run loop and no editor open) the controller polls whenever the
//! host calls `getParamNormalized` on the main thread, at most every 50 ms, and the component polls the
//! reload results in `setActive` and `getState`; the controller then passes them on at its next poll.
//!
//! **What a poll does** ([`ControllerLink::poll`]): the component's core takes in hot-reload results;
//! the editor's intents are carried out (a file, a rollback, knob gestures, notes); then, with no lock
//! held, the host hears `restartComponent(kParamTitlesChanged [| kParamValuesChanged] [|
//! kLatencyChanged])` after the controller's own core caught up with the component's state, then
//! `IComponentHandler2::setDirty(true)` when the editor loaded a patch or went back to the last good one,
//! or a hot reload swapped in a save (the project now saves another patch; a host whose handler lacks `IComponentHandler2` is not told),
//! and each knob gesture as `beginEdit`/`performEdit`/`endEdit`. A poll never nests: the host may call
//! back in while it answers `restartComponent`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use vst3::Steinberg::Linux::{IRunLoop, IRunLoopTrait, ITimerHandler, ITimerHandlerTrait};
use vst3::Steinberg::Vst::{IComponentHandler, IComponentHandler2, IComponentHandler2Trait, IComponentHandlerTrait};
use vst3::Steinberg::{kResultOk, tresult};
use vst3::{Class, ComPtr, ComWrapper};

use super::controller::ControllerState;
use super::instance::Instance;
use super::lock;
use super::params::Vst3Param;
use crate::core::Param;
use crate::editor_host::GuiEvent;

/// How often the main thread looks for hot-reload results and editor intents, in milliseconds.
pub const POLL_MS: u64 = 50;

/// A timer registered with a host run loop; unregistered when dropped.
pub struct Timer {
    run_loop: ComPtr<IRunLoop>,
    handler: ComPtr<ITimerHandler>,
}

impl Timer {
    /// Registers a [`POLL_MS`] timer that polls `link` (weakly held: the run loop keeps the handler).
    fn start(run_loop: ComPtr<IRunLoop>, link: Weak<ControllerLink>) -> Option<Timer> {
        let handler = ComWrapper::new(TimerHandler(link)).to_com_ptr::<ITimerHandler>()?;
        // SAFETY: a live run loop the host handed over and a live handler we hold a reference to.
        let registered = unsafe { run_loop.registerTimer(handler.as_ptr(), POLL_MS) } == kResultOk;
        registered.then_some(Timer { run_loop, handler })
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        // SAFETY: the handler registered in `start`, with the same run loop.
        let _ = crate::guard(|| unsafe { self.run_loop.unregisterTimer(self.handler.as_ptr()) });
    }
}

/// What the host's run loop calls.
struct TimerHandler(Weak<ControllerLink>);

impl Class for TimerHandler {
    type Interfaces = (ITimerHandler,);
}

impl ITimerHandlerTrait for TimerHandler {
    unsafe fn onTimer(&self) {
        let _ = crate::guard(|| {
            if let Some(link) = self.0.upgrade() {
                link.poll();
            }
        });
    }
}

/// The controller's main-thread connections. Shared (`Arc`) by the controller, its views and, weakly,
/// the timer handlers.
pub struct ControllerLink {
    /// The controller's own core, which names the parameters; caught up with the component's state
    /// whenever the component's patch changes.
    state: Weak<Mutex<ControllerState>>,
    instance: Mutex<Option<Arc<Instance>>>,
    handler: Mutex<Option<ComPtr<IComponentHandler>>>,
    /// The timer on the host context's run loop, for the controller's whole life.
    context_timer: Mutex<Option<Timer>>,
    /// The timer on an open view's frame's run loop, while no context timer exists and a window is open.
    view_timer: Mutex<Option<Timer>>,
    last_poll: Mutex<Option<Instant>>,
    polling: AtomicBool,
    /// Editor windows open now.
    windows: AtomicUsize,
    /// The editor's size in pixels, kept across openings.
    size: Mutex<(u32, u32)>,
}

impl ControllerLink {
    /// A link for the controller whose state (with the core naming the parameters) is `state`. Main
    /// thread.
    pub fn new(state: Weak<Mutex<ControllerState>>) -> Arc<ControllerLink> {
        Arc::new(ControllerLink {
            state,
            instance: Mutex::new(None),
            handler: Mutex::new(None),
            context_timer: Mutex::new(None),
            view_timer: Mutex::new(None),
            last_poll: Mutex::new(None),
            polling: AtomicBool::new(false),
            windows: AtomicUsize::new(0),
            size: Mutex::new(ferrule_editor::window::DEFAULT_SIZE),
        })
    }

    /// Links to the component's instance (`None` on disconnect). Main thread.
    pub fn set_instance(&self, instance: Option<Arc<Instance>>) {
        *lock(&self.instance) = instance;
    }

    /// The component's instance, once the host connected the two.
    pub fn instance(&self) -> Option<Arc<Instance>> {
        lock(&self.instance).clone()
    }

    /// Keeps the host's component handler for restarts and gestures (`None` drops it). Main thread.
    pub fn set_handler(&self, handler: Option<ComPtr<IComponentHandler>>) {
        *lock(&self.handler) = handler;
    }

    /// Starts the controller-lifetime timer on the host context's run loop. Main thread.
    pub fn start_context_timer(self: &Arc<Self>, run_loop: ComPtr<IRunLoop>) {
        *lock(&self.context_timer) = Timer::start(run_loop, Arc::downgrade(self));
    }

    /// Starts a timer on an open view's frame's run loop, unless the context's timer runs. Main thread.
    pub fn start_view_timer(self: &Arc<Self>, run_loop: ComPtr<IRunLoop>) {
        if lock(&self.context_timer).is_none() && lock(&self.view_timer).is_none() {
            *lock(&self.view_timer) = Timer::start(run_loop, Arc::downgrade(self));
        }
    }

    /// Stops the view's timer (the last view closed). Main thread.
    fn stop_view_timer(&self) {
        let timer = lock(&self.view_timer).take();
        drop(timer);
    }

    /// Whether a run-loop timer polls (otherwise [`ControllerLink::poll_if_due`] does).
    pub fn has_timer(&self) -> bool {
        lock(&self.context_timer).is_some() || lock(&self.view_timer).is_some()
    }

    /// Stops every timer and forgets the host and the instance (the controller terminates). Main thread.
    pub fn shut_down(&self) {
        let timers = (lock(&self.context_timer).take(), lock(&self.view_timer).take());
        drop(timers);
        self.set_handler(None);
        self.set_instance(None);
    }

    /// A window opened (`true`) or closed. The view timer stops when the last window closes. Main thread.
    pub fn window_opened(&self, open: bool) {
        if open {
            self.windows.fetch_add(1, Ordering::Relaxed);
        } else {
            let before = self.windows.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
            if before.is_ok_and(|n| n <= 1) {
                self.stop_view_timer();
            }
        }
    }

    /// The editor's size in pixels.
    pub fn size(&self) -> (u32, u32) {
        *lock(&self.size)
    }

    /// Remembers the editor's size in pixels.
    pub fn set_size(&self, size: (u32, u32)) {
        *lock(&self.size) = size;
    }

    /// Polls when no run-loop timer does and the last poll is [`POLL_MS`] old. Main thread.
    pub fn poll_if_due(&self) {
        let due = lock(&self.last_poll).is_none_or(|t| t.elapsed() >= Duration::from_millis(POLL_MS));
        if due && !self.has_timer() {
            self.poll();
        }
    }

    /// One main-thread tick; see the module docs. Main thread.
    pub fn poll(&self) {
        if self.polling.swap(true, Ordering::AcqRel) {
            return;
        }
        *lock(&self.last_poll) = Some(Instant::now());
        if let Some(instance) = self.instance() {
            self.poll_instance(&instance);
        }
        self.polling.store(false, Ordering::Release);
    }

    fn poll_instance(&self, instance: &Instance) {
        instance.poll_reload();
        let gestures = instance.tick_editor(self.windows.load(Ordering::Relaxed) > 0);
        let flags = instance.take_restart();
        let dirty = instance.take_dirty();
        if let Some(state) = self.state.upgrade() {
            let core = &mut lock(&state).core;
            if flags != 0 {
                // The controller's core takes the component's patch (names, defaults, latency) and values.
                let _ = core.load_state(&instance.save_state());
            }
            for event in &gestures {
                if let &GuiEvent::Value { id, value } = event
                    && let Some(param) = Param::from_id(id)
                {
                    core.params().set(param, value);
                }
            }
        }
        // No lock is held from here: the host answers by calling back into the controller.
        let Some(handler) = lock(&self.handler).clone() else { return };
        if flags != 0 {
            // SAFETY: the handler the host gave us, still referenced.
            unsafe { handler.restartComponent(flags) };
        }
        if dirty && let Some(handler2) = handler.cast::<IComponentHandler2>() {
            // SAFETY: the host's handler, queried for its second interface; we hold the reference.
            unsafe { handler2.setDirty(1) };
        }
        for event in gestures {
            // SAFETY: `handler` is a counted reference (`ComPtr`) to the host's `IComponentHandler`, so it stays
            // alive through these calls; we are on the main thread (the host's timer), where VST3 allows
            // `beginEdit`/`performEdit`/`endEdit`; and no lock of ours is held, so the host may call back in.
            let _: tresult = unsafe {
                match event {
                    GuiEvent::Gesture { id, begin: true } => handler.beginEdit(id),
                    GuiEvent::Gesture { id, begin: false } => handler.endEdit(id),
                    GuiEvent::Value { id, value } => match Vst3Param::from_id(id) {
                        Some(param) => handler.performEdit(id, param.normalize(value)),
                        None => continue,
                    },
                    GuiEvent::NoteOn { .. } | GuiEvent::NoteOff { .. } => continue,
                }
            };
        }
    }
}
