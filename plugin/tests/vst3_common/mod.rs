//! What the VST3 main-thread and editor tests share: a host context that offers a Linux run loop (its
//! timers fire when the test says), a component handler that records every call, and an instance set up
//! the way a DAW sets it up (both halves initialised with the context, connected, handler given).
#![allow(dead_code, non_upper_case_globals)]

use std::cell::RefCell;
use std::ffi::c_void;
use std::path::PathBuf;

use vst3::Steinberg::Linux::{
    FileDescriptor, IEventHandler, IRunLoop, IRunLoopTrait, ITimerHandler, ITimerHandlerTrait, TimerInterval,
};
use vst3::Steinberg::Vst::*;
use vst3::Steinberg::*;
use vst3::{Class, ComPtr, ComRef, ComWrapper, Interface};

/// The host context (`IHostApplication`) with a Linux run loop (`IRunLoop`); it also serves as the
/// editor's frame (`IPlugFrame`), which hosts may offer the run loop through instead.
pub struct Context {
    timers: RefCell<Vec<(ComPtr<ITimerHandler>, TimerInterval)>>,
}

impl Class for Context {
    type Interfaces = (IHostApplication, IRunLoop, IPlugFrame);
}

impl IPlugFrameTrait for Context {
    unsafe fn resizeView(&self, _view: *mut IPlugView, _new_size: *mut ViewRect) -> tresult {
        kResultOk
    }
}

impl IHostApplicationTrait for Context {
    unsafe fn getName(&self, _name: *mut String128) -> tresult {
        kNotImplemented
    }
    unsafe fn createInstance(&self, _cid: *mut TUID, _iid: *mut TUID, _obj: *mut *mut c_void) -> tresult {
        kNotImplemented
    }
}

impl IRunLoopTrait for Context {
    unsafe fn registerEventHandler(&self, _handler: *mut IEventHandler, _fd: FileDescriptor) -> tresult {
        kNotImplemented
    }
    unsafe fn unregisterEventHandler(&self, _handler: *mut IEventHandler) -> tresult {
        kNotImplemented
    }
    unsafe fn registerTimer(&self, handler: *mut ITimerHandler, milliseconds: TimerInterval) -> tresult {
        // The run loop keeps its own reference until the timer is unregistered.
        // SAFETY: IRunLoop::registerTimer's contract: `handler` is null or a live timer handler for the call; we keep
        // our own reference (`to_com_ptr`) before returning.
        match unsafe { ComRef::from_raw(handler) }.map(|h| h.to_com_ptr()) {
            Some(handler) => {
                self.timers.borrow_mut().push((handler, milliseconds));
                kResultOk
            }
            None => kInvalidArgument,
        }
    }
    unsafe fn unregisterTimer(&self, handler: *mut ITimerHandler) -> tresult {
        let before = self.timers.borrow().len();
        self.timers.borrow_mut().retain(|(h, _)| h.as_ptr() != handler);
        if self.timers.borrow().len() < before { kResultOk } else { kResultFalse }
    }
}

/// A host context with a run loop.
pub fn context() -> ComWrapper<Context> {
    ComWrapper::new(Context { timers: RefCell::new(Vec::new()) })
}

impl Context {
    /// The periods of the registered timers, in milliseconds.
    pub fn timers(&self) -> Vec<u64> {
        self.timers.borrow().iter().map(|(_, ms)| *ms).collect()
    }

    /// Fires every registered timer once, as the host's run loop would.
    pub fn fire(&self) {
        let timers: Vec<ComPtr<ITimerHandler>> = self.timers.borrow().iter().map(|(h, _)| h.clone()).collect();
        for timer in timers {
            // SAFETY: `timer` is a counted reference to the plugin's timer handler, cloned out of the list so the
            // handler may register or unregister timers while it runs.
            unsafe { timer.onTimer() };
        }
    }
}

/// A host context without a run loop.
pub struct PlainContext;

impl Class for PlainContext {
    type Interfaces = (IHostApplication,);
}

impl IHostApplicationTrait for PlainContext {
    unsafe fn getName(&self, _name: *mut String128) -> tresult {
        kNotImplemented
    }
    unsafe fn createInstance(&self, _cid: *mut TUID, _iid: *mut TUID, _obj: *mut *mut c_void) -> tresult {
        kNotImplemented
    }
}

/// One call the plugin made to the host's component handler.
#[derive(Clone, Debug, PartialEq)]
pub enum Call {
    Begin(ParamID),
    Perform(ParamID, ParamValue),
    End(ParamID),
    Restart(int32),
    /// `IComponentHandler2::setDirty` with this state.
    Dirty(TBool),
}

/// An `IComponentHandler` (and `IComponentHandler2`, as DAWs offer) that records every call.
pub struct Handler(pub RefCell<Vec<Call>>);

impl Class for Handler {
    type Interfaces = (IComponentHandler, IComponentHandler2);
}

impl IComponentHandler2Trait for Handler {
    unsafe fn setDirty(&self, state: TBool) -> tresult {
        self.0.borrow_mut().push(Call::Dirty(state));
        kResultOk
    }
    unsafe fn requestOpenEditor(&self, _name: FIDString) -> tresult {
        kNotImplemented
    }
    unsafe fn startGroupEdit(&self) -> tresult {
        kNotImplemented
    }
    unsafe fn finishGroupEdit(&self) -> tresult {
        kNotImplemented
    }
}

impl IComponentHandlerTrait for Handler {
    unsafe fn beginEdit(&self, id: ParamID) -> tresult {
        self.0.borrow_mut().push(Call::Begin(id));
        kResultOk
    }
    unsafe fn performEdit(&self, id: ParamID, value: ParamValue) -> tresult {
        self.0.borrow_mut().push(Call::Perform(id, value));
        kResultOk
    }
    unsafe fn endEdit(&self, id: ParamID) -> tresult {
        self.0.borrow_mut().push(Call::End(id));
        kResultOk
    }
    unsafe fn restartComponent(&self, flags: int32) -> tresult {
        self.0.borrow_mut().push(Call::Restart(flags));
        kResultOk
    }
}

impl Handler {
    /// Takes the calls recorded so far.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// A connection proxy, as some hosts put between component and controller: it forwards messages to the
/// other side, so neither side ever sees the other's own object.
pub struct Proxy(ComPtr<IConnectionPoint>);

impl Class for Proxy {
    type Interfaces = (IConnectionPoint,);
}

impl IConnectionPointTrait for Proxy {
    unsafe fn connect(&self, _other: *mut IConnectionPoint) -> tresult {
        kResultOk
    }
    unsafe fn disconnect(&self, _other: *mut IConnectionPoint) -> tresult {
        kResultOk
    }
    unsafe fn notify(&self, message: *mut IMessage) -> tresult {
        // SAFETY: `self.0` is a live connection point of the plugin; `message` is the plugin's message, valid for this
        // call, passed through unchanged.
        unsafe { self.0.notify(message) }
    }
}

/// A plugin factory, from the bundle on disk or linked into the test.
pub struct Module {
    pub factory: ComPtr<IPluginFactory>,
    _library: Option<libloading::Library>,
}

/// `target/bundled/Ferrule.vst3`, which `cargo xtask bundle` (and `cargo xtask test`) writes.
pub fn bundle() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bundled/Ferrule.vst3");
    assert!(path.exists(), "{} is missing: run `cargo xtask bundle` (cargo xtask test does it first)", path.display());
    path
}

impl Module {
    /// The bundle's library, loaded from disk the way a DAW loads it.
    pub fn load() -> Module {
        let so = bundle().join("Contents/x86_64-linux/Ferrule.so");
        // SAFETY: loading our own plugin, built from this repository; the entry points have these types.
        unsafe {
            let library = libloading::Library::new(&so).expect("the bundle's library loads");
            let entry: libloading::Symbol<extern "system" fn(*mut c_void) -> bool> =
                library.get(b"ModuleEntry").expect("exports ModuleEntry");
            assert!(entry(std::ptr::null_mut()));
            let get_factory: libloading::Symbol<extern "system" fn() -> *mut IPluginFactory> =
                library.get(b"GetPluginFactory").expect("exports GetPluginFactory");
            let factory = ComPtr::from_raw(get_factory()).expect("a factory");
            Module { factory, _library: Some(library) }
        }
    }

    /// The factory of the plugin code linked into this test binary (so the test can reach it directly).
    pub fn linked() -> Module {
        // SAFETY: `GetPluginFactory` (the plugin linked into this binary) returns a new reference to its factory or
        // null; `ComPtr` takes over that one reference and `expect` refuses null.
        let factory = unsafe { ComPtr::from_raw(ferrule_plugin::vst3::GetPluginFactory()) }.expect("a factory");
        Module { factory, _library: None }
    }

    fn create<I: Interface>(&self, cid: &TUID) -> ComPtr<I> {
        let mut obj = std::ptr::null_mut();
        // SAFETY: `self.factory` is a live factory pointer this module owns; `cid` and the IID are 16-byte ids alive
        // for the call and `obj` is a local out-pointer.
        let result = unsafe { self.factory.createInstance(cid.as_ptr(), I::IID.as_ptr() as FIDString, &mut obj) };
        assert_eq!(result, kResultOk);
        // SAFETY: `createInstance` returned `kResultOk` (asserted above), so `obj` holds one new reference to an object
        // implementing `I` (the IID we asked for), which `ComPtr` takes over.
        unsafe { ComPtr::from_raw(obj as *mut I) }.expect("an instance")
    }

    /// The component's class id.
    fn component_class(&self) -> TUID {
        // SAFETY: `PClassInfo` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero
        // bytes are a valid value (zero counts, empty strings, null pointers).
        let mut info: PClassInfo = unsafe { std::mem::zeroed() };
        // SAFETY: `self.factory` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread; `info` is a local valid for the call.
        assert_eq!(unsafe { self.factory.getClassInfo(0, &mut info) }, kResultOk);
        info.cid
    }
}

/// Component and controller, initialised with `context`, connected, the controller given `handler`.
pub struct Plugin {
    pub component: ComPtr<IComponent>,
    pub processor: ComPtr<IAudioProcessor>,
    pub controller: ComPtr<IEditController>,
    pub handler: ComWrapper<Handler>,
    component_point: ComPtr<IConnectionPoint>,
    controller_point: ComPtr<IConnectionPoint>,
}

impl Plugin {
    /// Sets up an instance as a DAW does; `context` is the host context handed to both halves.
    pub fn new(module: &Module, context: *mut FUnknown) -> Plugin {
        let component: ComPtr<IComponent> = module.create(&module.component_class());
        // SAFETY: `component` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread; `context` is null or the test's host context, alive for the whole test.
        assert_eq!(unsafe { component.initialize(context) }, kResultOk);
        let mut controller_id: TUID = [0; 16];
        // SAFETY: `component` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread; `controller_id` is a local valid for the call.
        assert_eq!(unsafe { component.getControllerClassId(&mut controller_id) }, kResultOk);
        let controller: ComPtr<IEditController> = module.create(&controller_id);
        // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread; `context` is null or the test's host context, alive for the whole test.
        assert_eq!(unsafe { controller.initialize(context) }, kResultOk);
        let component_point = component.cast::<IConnectionPoint>().expect("the component is a connection point");
        let controller_point = controller.cast::<IConnectionPoint>().expect("the controller is a connection point");
        // Hosts connect both ways, here through proxies; the order varies between hosts.
        let to_component = ComWrapper::new(Proxy(component_point.clone()));
        let to_controller = ComWrapper::new(Proxy(controller_point.clone()));
        let to_component = to_component.as_com_ref::<IConnectionPoint>().unwrap().as_ptr();
        let to_controller = to_controller.as_com_ref::<IConnectionPoint>().unwrap().as_ptr();
        // SAFETY: `controller_point` is a live COM pointer to the plugin's own object, held by the test across this
        // call on the test's thread; the proxy it is given is kept alive by the `Plugin` it builds.
        assert_eq!(unsafe { controller_point.connect(to_component) }, kResultOk);
        // SAFETY: `component_point` is a live COM pointer to the plugin's own object, held by the test across this call
        // on the test's thread; the proxy it is given is kept alive by the `Plugin` it builds.
        assert_eq!(unsafe { component_point.connect(to_controller) }, kResultOk);
        let handler = ComWrapper::new(Handler(RefCell::new(Vec::new())));
        let handler_ptr = handler.as_com_ref::<IComponentHandler>().unwrap().as_ptr();
        // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread; `handler_ptr` points at the test's handler, alive (in `handler`) as long as the plugin.
        assert_eq!(unsafe { controller.setComponentHandler(handler_ptr) }, kResultOk);
        let processor = component.cast::<IAudioProcessor>().expect("a processor");
        Plugin { component, processor, controller, handler, component_point, controller_point }
    }

    /// Sets up processing (48 kHz, blocks up to 512) and activates.
    pub fn activate(&self) {
        let mut stereo = SpeakerArr::kStereo;
        let p = &self.processor;
        // SAFETY: `p` is a live COM pointer to the plugin's own object, held by the test across this call on the test's
        // thread; `stereo` is a local valid for the call; null where VST3 allows it.
        assert_eq!(unsafe { p.setBusArrangements(std::ptr::null_mut(), 0, &mut stereo, 1) }, kResultTrue);
        let mut setup = ProcessSetup {
            processMode: ProcessModes_::kRealtime as int32,
            symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
            maxSamplesPerBlock: 512,
            sampleRate: 48_000.0,
        };
        // SAFETY: `p` is a live COM pointer to the plugin's own object, held by the test across this call on the test's
        // thread; `setup` is a local valid for the call.
        assert_eq!(unsafe { p.setupProcessing(&mut setup) }, kResultOk);
        // SAFETY: `self.component` is a live COM pointer to the plugin's own object, held by the test across this call
        // on the test's thread.
        assert_eq!(unsafe { self.component.setActive(1) }, kResultOk);
        // SAFETY: `p` is a live COM pointer to the plugin's own object, held by the test across this call on the test's
        // thread.
        assert_eq!(unsafe { p.setProcessing(1) }, kResultOk);
    }

    /// Renders one block of `frames` with no host events and returns its left channel.
    pub fn render(&self, frames: usize) -> Vec<f32> {
        let (mut left, mut right) = (vec![0f32; frames], vec![0f32; frames]);
        self.render_into(&mut left, &mut right);
        left
    }

    /// Renders one block with no host events into `left` and `right` (same length). Allocation-free on
    /// the host's side, for the allocation trap.
    pub fn render_into(&self, left: &mut [f32], right: &mut [f32]) {
        let frames = left.len().min(right.len());
        let mut channels = [left.as_mut_ptr(), right.as_mut_ptr()];
        // SAFETY: `AudioBusBuffers` is a C struct of integers, floats, fixed arrays and raw pointers, for which
        // all-zero bytes are a valid value (zero counts, empty strings, null pointers).
        let mut output: AudioBusBuffers = unsafe { std::mem::zeroed() };
        output.numChannels = 2;
        output.__field0.channelBuffers32 = channels.as_mut_ptr();
        // SAFETY: `ProcessData` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero
        // bytes are a valid value (zero counts, empty strings, null pointers).
        let mut data: ProcessData = unsafe { std::mem::zeroed() };
        data.processMode = ProcessModes_::kRealtime as int32;
        data.symbolicSampleSize = SymbolicSampleSizes_::kSample32 as int32;
        data.numSamples = frames as int32;
        data.numOutputs = 1;
        data.outputs = &mut output;
        // SAFETY: `self.processor` is the plugin's live processor, set up and active; `data.outputs` points at
        // `output`, whose two channel pointers are `left` and `right`, distinct and `frames` long, all alive for the
        // call.
        assert_eq!(unsafe { self.processor.process(&mut data) }, kResultOk);
    }

    /// The title the controller gives parameter `index`.
    pub fn title(&self, index: i32) -> String {
        // SAFETY: `ParameterInfo` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero
        // bytes are a valid value (zero counts, empty strings, null pointers).
        let mut info: ParameterInfo = unsafe { std::mem::zeroed() };
        // SAFETY: `self.controller` is a live COM pointer to the plugin's own object, held by the test across this call
        // on the test's thread; `info` is a local valid for the call.
        assert_eq!(unsafe { self.controller.getParameterInfo(index, &mut info) }, kResultOk);
        let len = info.title.iter().position(|&c| c == 0).unwrap_or(info.title.len());
        String::from_utf16_lossy(&info.title[..len])
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        // SAFETY: every pointer here is one of this `Plugin`'s live references, torn down in the order a host uses
        // (stop, deactivate, disconnect, terminate) on the thread that made them.
        unsafe {
            self.processor.setProcessing(0);
            self.component.setActive(0);
            self.component_point.disconnect(self.controller_point.as_ptr());
            self.controller_point.disconnect(self.component_point.as_ptr());
            self.controller.terminate();
            self.component.terminate();
        }
    }
}

/// A pointer to `context` as the `FUnknown` hosts pass to `initialize`.
pub fn as_unknown<C: Class, I: Interface>(context: &ComWrapper<C>) -> *mut FUnknown {
    context.as_com_ref::<I>().expect("the context has the interface").as_ptr() as *mut FUnknown
}
