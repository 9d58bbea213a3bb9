//! The VST3 edit controller: lists the parameters, converts their values and text, follows the
//! component's state, maps MIDI controllers to the hidden MIDI parameters, and describes the note
//! expressions the component plays (`INoteExpressionController`, see [`super::note_expression`]).
//!
//! It keeps its own [`PluginCore`] (never activated) so names, defaults and values come from the same
//! code as the component's; the host keeps the two in step by handing it the component's state, and
//! after a hot reload or a patch chosen in the editor the controller's main-thread timer does
//! ([`super::link`]). Once the host connects it to its component (`IConnectionPoint`), it opens the
//! editor ([`super::view`]).

use std::ffi::CStr;
use std::sync::{Arc, Mutex};

use vst3::Steinberg::Linux::IRunLoop;
use vst3::Steinberg::Vst::ParameterInfo_::ParameterFlags_::{kCanAutomate, kIsHidden, kIsReadOnly};
use vst3::Steinberg::Vst::RestartFlags_::{kLatencyChanged, kParamTitlesChanged, kParamValuesChanged};
use vst3::Steinberg::Vst::*;
use vst3::Steinberg::*;
use vst3::{Class, ComPtr, ComRef};

use super::instance::Instance;
use super::link::ControllerLink;
use super::params::{MIDI_PARAM_COUNT, Vst3Param};
use super::view::View;
use super::{guarded, lock, message, note_expression, stream, text};
use crate::core::{PluginCore, SharedParams, expression};

/// Main-thread state of the controller.
pub struct ControllerState {
    /// The core naming the parameters and holding the controller's view of their values.
    pub core: PluginCore,
    /// Normalised values of the hidden MIDI parameters.
    midi: [f64; MIDI_PARAM_COUNT as usize],
    handler: Option<ComPtr<IComponentHandler>>,
}

/// Ferrule's VST3 edit controller. All its methods run on the host's main thread; the mutex makes that
/// sound even for a host that breaks the rule.
pub struct Controller {
    state: Arc<Mutex<ControllerState>>,
    /// The component's instance, the host's run loop and the editor's size.
    link: Arc<ControllerLink>,
}

impl Class for Controller {
    type Interfaces = (IEditController, IMidiMapping, INoteExpressionController, IConnectionPoint);
}

impl Controller {
    /// A controller showing the embedded default patch. Main thread.
    pub fn new() -> Controller {
        let midi = std::array::from_fn(|n| Vst3Param::midi_default(n as u8));
        let core = PluginCore::new(Arc::new(SharedParams::default()));
        let state = Arc::new(Mutex::new(ControllerState { core, midi, handler: None }));
        let link = ControllerLink::new(Arc::downgrade(&state));
        Controller { state, link }
    }
}

impl IPluginBaseTrait for Controller {
    unsafe fn initialize(&self, context: *mut FUnknown) -> tresult {
        guarded(|| {
            // SAFETY: the host passes its live context or null.
            if let Some(run_loop) = unsafe { ComRef::from_raw(context) }.and_then(|c| c.cast::<IRunLoop>()) {
                self.link.start_context_timer(run_loop);
            }
            kResultOk
        })
    }

    unsafe fn terminate(&self) -> tresult {
        guarded(|| {
            // Drops the host's handler and run loop so no reference cycle outlives the host's release.
            lock(&self.state).handler = None;
            self.link.shut_down();
            kResultOk
        })
    }
}

impl IConnectionPointTrait for Controller {
    unsafe fn connect(&self, _other: *mut IConnectionPoint) -> tresult {
        // The component speaks first: it sends its instance key when the host connects it.
        kResultOk
    }

    unsafe fn disconnect(&self, _other: *mut IConnectionPoint) -> tresult {
        guarded(|| {
            self.link.set_instance(None);
            kResultOk
        })
    }

    unsafe fn notify(&self, message: *mut IMessage) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a valid message or null.
            match unsafe { message::instance_key(message) }.and_then(Instance::find) {
                Some(instance) => {
                    self.link.set_instance(Some(instance));
                    kResultOk
                }
                None => kResultFalse,
            }
        })
    }
}

impl IEditControllerTrait for Controller {
    unsafe fn setComponentState(&self, state: *mut IBStream) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a valid stream or null.
            let Ok(bytes) = (unsafe { stream::read_to_end(state) }) else { return kInvalidArgument };
            let mut guard = lock(&self.state);
            let latency = guard.core.latency();
            if guard.core.load_state(&bytes).is_err() {
                return kResultFalse;
            }
            let mut flags = kParamValuesChanged | kParamTitlesChanged;
            if guard.core.latency() != latency {
                flags |= kLatencyChanged;
            }
            let handler = guard.handler.clone();
            // Not under the lock: the host answers by calling back into this controller.
            drop(guard);
            if let Some(handler) = handler {
                // SAFETY: the handler the host gave us, still referenced.
                unsafe { handler.restartComponent(flags as int32) };
            }
            kResultOk
        })
    }

    unsafe fn setState(&self, _state: *mut IBStream) -> tresult {
        // Everything lives in the component's state.
        kResultOk
    }

    unsafe fn getState(&self, _state: *mut IBStream) -> tresult {
        kResultOk
    }

    unsafe fn getParameterCount(&self) -> int32 {
        Vst3Param::count()
    }

    unsafe fn getParameterInfo(&self, param_index: int32, info: *mut ParameterInfo) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable ParameterInfo or null.
            let (Some(param), Some(info)) = (Vst3Param::from_index(param_index), unsafe { info.as_mut() }) else {
                return kInvalidArgument;
            };
            let state = lock(&self.state);
            info.id = param.id();
            info.stepCount = 0;
            info.unitId = 0;
            match param {
                Vst3Param::Core(core_param) => {
                    text::copy_wstring(&state.core.param_name(core_param), &mut info.title);
                    text::copy_wstring(&state.core.param_name(core_param), &mut info.shortTitle);
                    text::copy_wstring(state.core.param_unit(core_param), &mut info.units);
                    info.defaultNormalizedValue = param.normalize(state.core.param_default(core_param));
                    info.flags = kCanAutomate;
                }
                Vst3Param::Midi(n) => {
                    text::copy_wstring(&Vst3Param::midi_name(n), &mut info.title);
                    text::copy_wstring(&Vst3Param::midi_name(n), &mut info.shortTitle);
                    text::copy_wstring("", &mut info.units);
                    info.defaultNormalizedValue = Vst3Param::midi_default(n);
                    info.flags = kIsHidden | kIsReadOnly;
                }
            }
            kResultOk
        })
    }

    unsafe fn getParamStringByValue(
        &self,
        id: ParamID,
        value_normalized: ParamValue,
        string: *mut String128,
    ) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable String128 or null.
            let (Some(param), Some(string)) = (Vst3Param::from_id(id), unsafe { string.as_mut() }) else {
                return kInvalidArgument;
            };
            let shown = match param {
                Vst3Param::Core(core_param) => {
                    lock(&self.state).core.param_text(core_param, param.denormalize(value_normalized))
                }
                Vst3Param::Midi(_) => format!("{:.0} %", param.denormalize(value_normalized) * 100.0),
            };
            text::copy_wstring(&shown, string);
            kResultOk
        })
    }

    unsafe fn getParamValueByString(
        &self,
        id: ParamID,
        string: *mut TChar,
        value_normalized: *mut ParamValue,
    ) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a NUL-terminated string (at most 128 units) or null.
            let typed = unsafe { text::read_wstring(string, 128) };
            // SAFETY: the host passes a writable value or null.
            let out = unsafe { value_normalized.as_mut() };
            let (Some(Vst3Param::Core(core_param)), Some(typed), Some(out)) = (Vst3Param::from_id(id), typed, out)
            else {
                return kInvalidArgument;
            };
            let parsed = lock(&self.state).core.param_from_text(core_param, &typed);
            match parsed {
                Some(value) => {
                    *out = Vst3Param::Core(core_param).normalize(value);
                    kResultOk
                }
                None => kResultFalse,
            }
        })
    }

    unsafe fn normalizedParamToPlain(&self, id: ParamID, value_normalized: ParamValue) -> ParamValue {
        Vst3Param::from_id(id).map_or(0.0, |p| p.denormalize(value_normalized))
    }

    unsafe fn plainParamToNormalized(&self, id: ParamID, plain_value: ParamValue) -> ParamValue {
        Vst3Param::from_id(id).map_or(0.0, |p| p.normalize(plain_value))
    }

    unsafe fn getParamNormalized(&self, id: ParamID) -> ParamValue {
        crate::guard(|| {
            self.link.poll_if_due();
            let state = lock(&self.state);
            match Vst3Param::from_id(id) {
                Some(param @ Vst3Param::Core(core_param)) => param.normalize(state.core.params().get(core_param)),
                Some(Vst3Param::Midi(n)) => state.midi[n as usize],
                None => 0.0,
            }
        })
        .unwrap_or(0.0)
    }

    unsafe fn setParamNormalized(&self, id: ParamID, value: ParamValue) -> tresult {
        guarded(|| {
            let mut state = lock(&self.state);
            match Vst3Param::from_id(id) {
                Some(param @ Vst3Param::Core(core_param)) => {
                    state.core.params().set(core_param, param.denormalize(value));
                    kResultOk
                }
                Some(param @ Vst3Param::Midi(n)) => {
                    state.midi[n as usize] = param.denormalize(value);
                    kResultOk
                }
                None => kInvalidArgument,
            }
        })
    }

    unsafe fn setComponentHandler(&self, handler: *mut IComponentHandler) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a valid handler or null; we keep our own reference.
            let handler = unsafe { ComRef::from_raw(handler) }.map(|h| h.to_com_ptr());
            self.link.set_handler(handler.clone());
            lock(&self.state).handler = handler;
            kResultOk
        })
    }

    unsafe fn createView(&self, name: FIDString) -> *mut IPlugView {
        crate::guard(|| {
            // SAFETY: the host passes a C string or null.
            let editor = !name.is_null() && unsafe { CStr::from_ptr(name) } == c"editor";
            // Without its component's instance the editor would have nothing to show or play.
            if !editor || self.link.instance().is_none() {
                return std::ptr::null_mut();
            }
            vst3::ComWrapper::new(View::new(self.link.clone()))
                .to_com_ptr::<IPlugView>()
                .map_or(std::ptr::null_mut(), |view| view.into_raw())
        })
        .unwrap_or(std::ptr::null_mut())
    }
}

impl IMidiMappingTrait for Controller {
    unsafe fn getMidiControllerAssignment(
        &self,
        bus_index: int32,
        _channel: int16,
        midi_controller_number: CtrlNumber,
        id: *mut ParamID,
    ) -> tresult {
        guarded(|| {
            // Every channel maps to the same parameters: the engine's controllers are channel-wide.
            // SAFETY: the host passes a writable id or null.
            match (bus_index, u8::try_from(midi_controller_number), unsafe { id.as_mut() }) {
                (0, Ok(n), Some(id)) if (n as u32) < MIDI_PARAM_COUNT => {
                    *id = Vst3Param::Midi(n).id();
                    kResultTrue
                }
                _ => kResultFalse,
            }
        })
    }
}

impl INoteExpressionControllerTrait for Controller {
    unsafe fn getNoteExpressionCount(&self, bus_index: int32, _channel: int16) -> int32 {
        // The same expressions on every channel of the one event bus.
        if bus_index == 0 { note_expression::COUNT } else { 0 }
    }

    unsafe fn getNoteExpressionInfo(
        &self,
        bus_index: int32,
        _channel: int16,
        note_expression_index: int32,
        info: *mut NoteExpressionTypeInfo,
    ) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable info or null.
            match (bus_index, note_expression::info(note_expression_index), unsafe { info.as_mut() }) {
                (0, Some(found), Some(info)) => {
                    *info = found;
                    kResultOk
                }
                _ => kInvalidArgument,
            }
        })
    }

    unsafe fn getNoteExpressionStringByValue(
        &self,
        bus_index: int32,
        _channel: int16,
        id: NoteExpressionTypeID,
        value_normalized: NoteExpressionValue,
        string: *mut String128,
    ) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable String128 or null.
            let (0, Some(e), Some(string)) = (bus_index, note_expression::expression(id), unsafe { string.as_mut() })
            else {
                return kInvalidArgument;
            };
            let Some(value) = note_expression::plain(e, value_normalized) else { return kInvalidArgument };
            text::copy_wstring(&expression::format(e, value), string);
            kResultOk
        })
    }

    unsafe fn getNoteExpressionValueByString(
        &self,
        bus_index: int32,
        _channel: int16,
        id: NoteExpressionTypeID,
        string: *const TChar,
        value_normalized: *mut NoteExpressionValue,
    ) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a NUL-terminated string (at most 128 units) or null.
            let typed = unsafe { text::read_wstring(string, 128) };
            // SAFETY: the host passes a writable value or null.
            let out = unsafe { value_normalized.as_mut() };
            let (0, Some(e), Some(typed), Some(out)) = (bus_index, note_expression::expression(id), typed, out) else {
                return kInvalidArgument;
            };
            match expression::parse(e, &typed) {
                Some(value) => {
                    *out = note_expression::normalized(e, value);
                    kResultOk
                }
                None => kResultFalse,
            }
        })
    }
}
