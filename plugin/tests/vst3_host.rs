//! Ferrule's VST3 build loaded from disk by a small host written with the `vst3` crate's COM types, the
//! way a DAW loads it: scan the factory, instantiate component and controller, set up processing at
//! several rates and block sizes, play notes, automate, map MIDI, note expressions, save and restore
//! state.
//!
//! Needs `target/bundled/Ferrule.vst3` (`cargo xtask bundle`; `cargo xtask test` makes it first).

#![allow(non_upper_case_globals)]

use std::cell::RefCell;
use std::ffi::c_void;
use std::path::PathBuf;

use common::{SINE, sine_state};
use ferrule_plugin::core::state::{SavedState, encode};
use ferrule_tests::alloc_trap::count_allocations;
use ferrule_tests::measure::{cents, db, peak, pitch_hz};
use vst3::Steinberg::Vst::ControllerNumbers_::kPitchBend;
use vst3::Steinberg::Vst::Event_::EventTypes_::{
    kNoteExpressionValueEvent, kNoteOffEvent, kNoteOnEvent, kPolyPressureEvent,
};
use vst3::Steinberg::Vst::NoteExpressionTypeIDs_::{kPanTypeID, kTuningTypeID, kVolumeTypeID};
use vst3::Steinberg::Vst::*;
use vst3::Steinberg::*;
use vst3::{Class, ComPtr, ComWrapper, Interface};

mod common;

ferrule_tests::install_alloc_trap!();

// ---- host-side COM objects: a memory stream, an event list, parameter changes ----

/// A memory `IBStream`.
struct Stream {
    bytes: RefCell<Vec<u8>>,
    at: RefCell<usize>,
}

impl Class for Stream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for Stream {
    unsafe fn read(&self, buffer: *mut c_void, n: int32, read: *mut int32) -> tresult {
        let bytes = self.bytes.borrow();
        let mut at = self.at.borrow_mut();
        let n = (n.max(0) as usize).min(bytes.len() - *at);
        // SAFETY: IBStream::read's contract: the caller's `buffer` has room for the `n` bytes it asked for, and `n` was
        // cut to what is left of our own `bytes`, so both ranges are in bounds; a host buffer never overlaps our Vec.
        unsafe { std::ptr::copy_nonoverlapping(bytes[*at..].as_ptr(), buffer.cast(), n) };
        *at += n;
        if !read.is_null() {
            // SAFETY: `read` is not null (checked just above) and points at the caller's `int32` out-parameter.
            unsafe { *read = n as int32 };
        }
        kResultOk
    }
    unsafe fn write(&self, buffer: *mut c_void, n: int32, written: *mut int32) -> tresult {
        // SAFETY: IBStream::write's contract: `buffer` holds the `n` bytes the caller asks to write (a negative `n`
        // reads nothing); they are copied out before we return.
        let data = unsafe { std::slice::from_raw_parts(buffer.cast::<u8>(), n.max(0) as usize) };
        self.bytes.borrow_mut().extend_from_slice(data);
        if !written.is_null() {
            // SAFETY: `written` is not null (checked just above) and points at the caller's `int32` out-parameter.
            unsafe { *written = n };
        }
        kResultOk
    }
    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let len = self.bytes.borrow().len() as i64;
        let base = [0, *self.at.borrow() as i64, len][mode.clamp(0, 2) as usize];
        *self.at.borrow_mut() = (base + pos).clamp(0, len) as usize;
        if !result.is_null() {
            // SAFETY: `result` is not null (checked just above) and points at the caller's `int64` out-parameter.
            unsafe { *result = *self.at.borrow() as i64 };
        }
        kResultOk
    }
    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: `pos` is not null (checked just above) and points at the caller's `int64` out-parameter.
        unsafe { *pos = *self.at.borrow() as i64 };
        kResultOk
    }
}

fn stream(bytes: &[u8]) -> ComWrapper<Stream> {
    ComWrapper::new(Stream { bytes: RefCell::new(bytes.to_vec()), at: RefCell::new(0) })
}

/// An `IEventList` for one block.
struct Events(RefCell<Vec<Event>>);

impl Class for Events {
    type Interfaces = (IEventList,);
}

impl IEventListTrait for Events {
    unsafe fn getEventCount(&self) -> int32 {
        self.0.borrow().len() as int32
    }
    unsafe fn getEvent(&self, index: int32, e: *mut Event) -> tresult {
        match self.0.borrow().get(index as usize) {
            Some(event) => {
                // SAFETY: IEventList::getEvent's contract: `e` points at the caller's writable `Event`; `Event` is
                // `Copy` plain data.
                unsafe { *e = *event };
                kResultOk
            }
            None => kInvalidArgument,
        }
    }
    unsafe fn addEvent(&self, e: *mut Event) -> tresult {
        // SAFETY: IEventList::addEvent's contract: `e` points at a valid `Event`, plain `Copy` data read once.
        self.0.borrow_mut().push(unsafe { *e });
        kResultOk
    }
}

/// One parameter's points for one block.
struct Queue {
    id: ParamID,
    points: RefCell<Vec<(int32, ParamValue)>>,
}

impl Class for Queue {
    type Interfaces = (IParamValueQueue,);
}

impl IParamValueQueueTrait for Queue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.id
    }
    unsafe fn getPointCount(&self) -> int32 {
        self.points.borrow().len() as int32
    }
    unsafe fn getPoint(&self, index: int32, offset: *mut int32, value: *mut ParamValue) -> tresult {
        match self.points.borrow().get(index as usize) {
            Some(&(o, v)) => {
                // SAFETY: IParamValueQueue::getPoint's contract: `offset` and `value` point at the caller's writable
                // out-parameters.
                unsafe { (*offset, *value) = (o, v) };
                kResultOk
            }
            None => kInvalidArgument,
        }
    }
    unsafe fn addPoint(&self, offset: int32, value: ParamValue, index: *mut int32) -> tresult {
        let mut points = self.points.borrow_mut();
        points.push((offset, value));
        // SAFETY: IParamValueQueue::addPoint's contract: `index` points at the caller's writable `int32`.
        unsafe { *index = points.len() as int32 - 1 };
        kResultOk
    }
}

/// An `IParameterChanges` for one block.
struct Changes(RefCell<Vec<ComWrapper<Queue>>>);

impl Class for Changes {
    type Interfaces = (IParameterChanges,);
}

impl IParameterChangesTrait for Changes {
    unsafe fn getParameterCount(&self) -> int32 {
        self.0.borrow().len() as int32
    }
    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        self.0
            .borrow()
            .get(index as usize)
            .map_or(std::ptr::null_mut(), |q| q.as_com_ref::<IParamValueQueue>().unwrap().as_ptr())
    }
    unsafe fn addParameterData(&self, _id: *const ParamID, _index: *mut int32) -> *mut IParamValueQueue {
        std::ptr::null_mut()
    }
}

/// An `IComponentHandler` that records the controller's restart requests.
struct Handler(RefCell<Vec<int32>>);

impl Class for Handler {
    type Interfaces = (IComponentHandler,);
}

impl IComponentHandlerTrait for Handler {
    unsafe fn beginEdit(&self, _id: ParamID) -> tresult {
        kResultOk
    }
    unsafe fn performEdit(&self, _id: ParamID, _value: ParamValue) -> tresult {
        kResultOk
    }
    unsafe fn endEdit(&self, _id: ParamID) -> tresult {
        kResultOk
    }
    unsafe fn restartComponent(&self, flags: int32) -> tresult {
        self.0.borrow_mut().push(flags);
        kResultOk
    }
}

// ---- loading the bundle ----

struct Module {
    factory: ComPtr<IPluginFactory>,
    /// The loaded bundle (`None`: the factory of the plugin linked into this test, for the allocation
    /// trap, which only sees this binary's allocator).
    _library: Option<libloading::Library>,
}

fn bundle() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bundled/Ferrule.vst3");
    assert!(path.exists(), "{} is missing: run `cargo xtask bundle` (cargo xtask test does it first)", path.display());
    path
}

fn load() -> Module {
    let so = bundle().join("Contents/x86_64-linux/Ferrule.so");
    // SAFETY: loading our own plugin, built from this repository; the entry points have these signatures.
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

/// The factory of the plugin code linked into this test binary, so the allocation trap sees its heap.
fn linked() -> Module {
    // SAFETY: `GetPluginFactory` (the plugin linked into this binary) returns a new reference to its factory or null;
    // `ComPtr` takes over that one reference and `expect` refuses null.
    let factory = unsafe { ComPtr::from_raw(ferrule_plugin::vst3::GetPluginFactory()) }.expect("a factory");
    Module { factory, _library: None }
}

/// The text of a fixed-size C string field, up to its NUL (or the whole field if it has none).
fn cstr(chars: &[i8]) -> String {
    let bytes: Vec<u8> = chars.iter().map(|&c| c as u8).take_while(|&b| b != 0).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn wstr(chars: &[TChar]) -> String {
    let len = chars.iter().position(|&c| c == 0).unwrap_or(chars.len());
    String::from_utf16_lossy(&chars[..len])
}

impl Module {
    /// The class id of the class in `category`, as a DAW's scan finds it.
    fn class(&self, category: &str) -> TUID {
        // SAFETY: `self.factory` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread.
        let classes = unsafe { self.factory.countClasses() };
        for index in 0..classes {
            // SAFETY: `PClassInfo` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero
            // bytes are a valid value (zero counts, empty strings, null pointers).
            let mut info: PClassInfo = unsafe { std::mem::zeroed() };
            // SAFETY: `self.factory` is a live COM pointer to the plugin's own object, held by the test across this
            // call on the test's thread; `info` is a local valid for the call.
            assert_eq!(unsafe { self.factory.getClassInfo(index, &mut info) }, kResultOk);
            if cstr(&info.category) == category {
                return info.cid;
            }
        }
        panic!("no {category}");
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
}

// ---- an instance: component, processor and controller ----

struct Instance {
    component: ComPtr<IComponent>,
    processor: ComPtr<IAudioProcessor>,
    controller: ComPtr<IEditController>,
    /// Counts heap operations inside each `process` call and fails on any.
    trap_allocations: bool,
    /// The output bus's silence flags after the last block.
    last_silence: std::cell::Cell<u64>,
}

/// What happens at an absolute frame of a render.
#[derive(Clone, Copy)]
enum Input {
    On(u32, i16),
    Off(u32, i16),
    /// Parameter id and normalised value.
    Param(u32, u32, f64),
    /// Parameter id and normalised value, sent in a zero-frame, no-output `process` call (a VST3
    /// parameter flush) just before the block holding the frame.
    Flush(u32, u32, f64),
    /// An event exactly as given (its own sample offset, however wrong), in the block holding the frame.
    Raw(u32, Event),
}

impl Instance {
    fn new(module: &Module) -> Instance {
        let component: ComPtr<IComponent> = module.create(&module.class("Audio Module Class"));
        // SAFETY: `component` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread; null where VST3 allows it.
        assert_eq!(unsafe { component.initialize(std::ptr::null_mut()) }, kResultOk);
        let mut controller_id: TUID = [0; 16];
        // SAFETY: `component` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread; `controller_id` is a local valid for the call.
        assert_eq!(unsafe { component.getControllerClassId(&mut controller_id) }, kResultOk);
        let controller: ComPtr<IEditController> = module.create(&controller_id);
        // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread; null where VST3 allows it.
        assert_eq!(unsafe { controller.initialize(std::ptr::null_mut()) }, kResultOk);
        let processor = component.cast::<IAudioProcessor>().expect("a processor");
        Instance { component, processor, controller, trap_allocations: false, last_silence: Default::default() }
    }

    /// Loads state into the component, then (as hosts do) hands the same bytes to the controller.
    fn load_state(&self, bytes: &[u8]) -> Result<(), tresult> {
        let s = stream(bytes);
        // SAFETY: `self.component` is a live COM pointer to the plugin's own object, held by the test across this call
        // on the test's thread; the stream is a host object this test keeps alive through the call.
        match unsafe { self.component.setState(s.as_com_ref::<IBStream>().unwrap().as_ptr()) } {
            r if r == kResultOk => {}
            r => return Err(r),
        }
        let s = stream(bytes);
        assert_eq!(
            // SAFETY: `self.controller` is a live COM pointer to the plugin's own object, held by the test across this
            // call on the test's thread; the stream is a host object this test keeps alive through the call.
            unsafe { self.controller.setComponentState(s.as_com_ref::<IBStream>().unwrap().as_ptr()) },
            kResultOk
        );
        Ok(())
    }

    fn save_state(&self) -> Vec<u8> {
        let s = stream(&[]);
        // SAFETY: `self.component` is a live COM pointer to the plugin's own object, held by the test across this call
        // on the test's thread; the stream is a host object this test keeps alive through the call.
        assert_eq!(unsafe { self.component.getState(s.as_com_ref::<IBStream>().unwrap().as_ptr()) }, kResultOk);
        s.bytes.borrow().clone()
    }

    /// Sets up processing at `rate`, renders `frames` frames in blocks whose sizes cycle through `blocks`,
    /// applying `inputs` at their absolute frame, and returns the left channel.
    fn render(&self, rate: f64, blocks: &[usize], frames: usize, inputs: &[Input]) -> Vec<f32> {
        let max = *blocks.iter().max().unwrap();
        let p = &self.processor;
        let mut stereo = SpeakerArr::kStereo;
        // SAFETY: `p` is a live COM pointer to the plugin's own object, held by the test across this call on the test's
        // thread; `stereo` is a local valid for the call; null where VST3 allows it.
        assert_eq!(unsafe { p.setBusArrangements(std::ptr::null_mut(), 0, &mut stereo, 1) }, kResultTrue);
        let mut setup = ProcessSetup {
            processMode: ProcessModes_::kRealtime as int32,
            symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
            maxSamplesPerBlock: max as int32,
            sampleRate: rate,
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
        let (mut left, mut right) = (vec![0f32; max], vec![0f32; max]);
        let mut result = Vec::with_capacity(frames);
        let (mut at, mut b) = (0, 0);
        while at < frames {
            let n = blocks[b % blocks.len()].min(frames - at);
            b += 1;
            for input in inputs {
                if let Input::Flush(time, id, value) = *input
                    && (at..at + n).contains(&(time as usize))
                {
                    let changes = ComWrapper::new(Changes(RefCell::new(vec![ComWrapper::new(Queue {
                        id,
                        points: RefCell::new(vec![(0, value)]),
                    })])));
                    let mut data = ProcessData {
                        processMode: ProcessModes_::kRealtime as int32,
                        symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
                        numSamples: 0,
                        numInputs: 0,
                        numOutputs: 0,
                        inputs: std::ptr::null_mut(),
                        outputs: std::ptr::null_mut(),
                        inputParameterChanges: changes.as_com_ref::<IParameterChanges>().unwrap().as_ptr(),
                        outputParameterChanges: std::ptr::null_mut(),
                        inputEvents: std::ptr::null_mut(),
                        outputEvents: std::ptr::null_mut(),
                        processContext: std::ptr::null_mut(),
                    };
                    // SAFETY: `p` is a live pointer to the plugin's processor, set up and active; `data`'s pointers are
                    // null or point at locals (the change list) alive for the call, with no frames to render.
                    assert_eq!(unsafe { p.process(&mut data) }, kResultOk);
                }
            }
            let events = ComWrapper::new(Events(RefCell::new(Vec::new())));
            let changes = ComWrapper::new(Changes(RefCell::new(Vec::new())));
            for input in inputs {
                let (Input::On(time, _)
                | Input::Off(time, _)
                | Input::Param(time, _, _)
                | Input::Flush(time, _, _)
                | Input::Raw(time, _)) = *input;
                if !(at..at + n).contains(&(time as usize)) {
                    continue;
                }
                let offset = (time as usize - at) as int32;
                // SAFETY: `Event` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero
                // bytes are a valid value (zero counts, empty strings, null pointers).
                let mut event: Event = unsafe { std::mem::zeroed() };
                event.sampleOffset = offset;
                match *input {
                    Input::On(_, pitch) => {
                        event.r#type = kNoteOnEvent as u16;
                        event.__field0.noteOn =
                            NoteOnEvent { channel: 0, pitch, tuning: 0.0, velocity: 1.0, length: 0, noteId: -1 };
                    }
                    Input::Off(_, pitch) => {
                        event.r#type = kNoteOffEvent as u16;
                        event.__field0.noteOff =
                            NoteOffEvent { channel: 0, pitch, velocity: 0.0, noteId: -1, tuning: 0.0 };
                    }
                    Input::Flush(..) => continue,
                    Input::Raw(_, raw) => event = raw,
                    Input::Param(_, id, value) => {
                        let mut queues = changes.0.borrow_mut();
                        match queues.iter().find(|q| q.id == id) {
                            Some(q) => q.points.borrow_mut().push((offset, value)),
                            None => {
                                queues.push(ComWrapper::new(Queue { id, points: RefCell::new(vec![(offset, value)]) }))
                            }
                        }
                        continue;
                    }
                }
                events.0.borrow_mut().push(event);
            }
            let mut channels = [left.as_mut_ptr(), right.as_mut_ptr()];
            let mut bus = AudioBusBuffers {
                numChannels: 2,
                silenceFlags: 0,
                __field0: AudioBusBuffers__type0 { channelBuffers32: channels.as_mut_ptr() },
            };
            // SAFETY: `ProcessContext` is a C struct of integers, floats, fixed arrays and raw pointers, for which
            // all-zero bytes are a valid value (zero counts, empty strings, null pointers).
            let mut context: ProcessContext = unsafe { std::mem::zeroed() };
            context.sampleRate = rate;
            context.tempo = 120.0;
            context.state = ProcessContext_::StatesAndFlags_::kTempoValid;
            let mut data = ProcessData {
                processMode: ProcessModes_::kRealtime as int32,
                symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
                numSamples: n as int32,
                numInputs: 0,
                numOutputs: 1,
                inputs: std::ptr::null_mut(),
                outputs: &mut bus,
                inputParameterChanges: changes.as_com_ref::<IParameterChanges>().unwrap().as_ptr(),
                outputParameterChanges: std::ptr::null_mut(),
                inputEvents: events.as_com_ref::<IEventList>().unwrap().as_ptr(),
                outputEvents: std::ptr::null_mut(),
                processContext: &mut context,
            };
            // SAFETY: `p` is a live pointer to the plugin's processor, set up and active; every pointer in `data` (the
            // bus over `left`/`right` of `n` frames, the event and change lists, the context) points at a local alive
            // for the call.
            let (processed, allocations) = count_allocations(|| unsafe { p.process(&mut data) });
            assert_eq!(processed, kResultOk);
            assert!(!self.trap_allocations || allocations == 0, "process allocated {allocations} times in block {b}");
            self.last_silence.set(bus.silenceFlags);
            result.extend_from_slice(&left[..n]);
            at += n;
        }
        // SAFETY: `p` is a live COM pointer to the plugin's own object, held by the test across this call on the test's
        // thread.
        assert_eq!(unsafe { p.setProcessing(0) }, kResultOk);
        // SAFETY: `self.component` is a live COM pointer to the plugin's own object, held by the test across this call
        // on the test's thread.
        assert_eq!(unsafe { self.component.setActive(0) }, kResultOk);
        result
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // SAFETY: `controller` and `component` are this instance's live references; `terminate` is called once each, on
        // the thread that initialised them.
        unsafe {
            self.controller.terminate();
            self.component.terminate();
        }
    }
}

#[test]
fn the_factory_describes_an_instrument_with_a_separate_controller() {
    let module = load();
    // SAFETY: `PFactoryInfo` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero bytes
    // are a valid value (zero counts, empty strings, null pointers).
    let mut info: PFactoryInfo = unsafe { std::mem::zeroed() };
    // SAFETY: `module.factory` is a live COM pointer to the plugin's own object, held by the test across this call on
    // the test's thread; `info` is a local valid for the call.
    assert_eq!(unsafe { module.factory.getFactoryInfo(&mut info) }, kResultOk);
    assert_eq!(cstr(&info.vendor), "Ferrule");
    let factory2 = module.factory.cast::<IPluginFactory2>().expect("IPluginFactory2");
    // SAFETY: `PClassInfo2` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero bytes
    // are a valid value (zero counts, empty strings, null pointers).
    let mut class: PClassInfo2 = unsafe { std::mem::zeroed() };
    // SAFETY: `factory2` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread; `class` is a local valid for the call.
    assert_eq!(unsafe { factory2.getClassInfo2(0, &mut class) }, kResultOk);
    assert_eq!(cstr(&class.category), "Audio Module Class");
    assert_eq!(cstr(&class.name), "Ferrule");
    assert!(cstr(&class.subCategories).split('|').any(|c| c == "Instrument"), "{}", cstr(&class.subCategories));

    let instance = Instance::new(&module);
    let c = &instance.component;
    // SAFETY: `c` is a live COM pointer to the plugin's own object, held by the test across this call on the test's
    // thread.
    assert_eq!(unsafe { c.getBusCount(MediaTypes_::kAudio as i32, BusDirections_::kOutput as i32) }, 1);
    // SAFETY: `c` is a live COM pointer to the plugin's own object, held by the test across this call on the test's
    // thread.
    assert_eq!(unsafe { c.getBusCount(MediaTypes_::kAudio as i32, BusDirections_::kInput as i32) }, 0);
    // SAFETY: `c` is a live COM pointer to the plugin's own object, held by the test across this call on the test's
    // thread.
    assert_eq!(unsafe { c.getBusCount(MediaTypes_::kEvent as i32, BusDirections_::kInput as i32) }, 1);
    // SAFETY: `BusInfo` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero bytes are
    // a valid value (zero counts, empty strings, null pointers).
    let mut bus: BusInfo = unsafe { std::mem::zeroed() };
    assert_eq!(
        // SAFETY: `c` is a live COM pointer to the plugin's own object, held by the test across this call on the test's
        // thread; `bus` is a local valid for the call.
        unsafe { c.getBusInfo(MediaTypes_::kAudio as i32, BusDirections_::kOutput as i32, 0, &mut bus) },
        kResultOk
    );
    assert_eq!(bus.channelCount, 2);
    // The default patch's band-limited saws lag by their 24-tap kernel's half length.
    // SAFETY: `instance.processor` is a live COM pointer to the plugin's own object, held by the test across this call
    // on the test's thread.
    assert_eq!(unsafe { instance.processor.getLatencySamples() }, 12);

    let controller = &instance.controller;
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread.
    let count = unsafe { controller.getParameterCount() };
    let mut visible = Vec::new();
    for index in 0..count {
        // SAFETY: `ParameterInfo` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero
        // bytes are a valid value (zero counts, empty strings, null pointers).
        let mut param: ParameterInfo = unsafe { std::mem::zeroed() };
        // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread; `param` is a local valid for the call.
        assert_eq!(unsafe { controller.getParameterInfo(index, &mut param) }, kResultOk);
        assert_ne!(param.id, 0, "no parameter id 0 (JUCE hosts write MIDI CCs there)");
        if param.flags & ParameterInfo_::ParameterFlags_::kIsHidden == 0 {
            visible.push((param.id, wstr(&param.title)));
        }
    }
    assert_eq!(visible.len(), 25, "eight macros, the master volume and 16 exposed slots: {visible:?}");
    assert_eq!(visible[8], (9, "Master volume".to_string()));
    assert_eq!(visible[9], (101, "Cutoff".to_string()), "the default patch's first exposed parameter");
    assert_eq!(visible[24], (116, "Param 16 (unused)".to_string()));
    let mut text: String128 = [0; 128];
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread.
    let master_0db = unsafe { controller.plainParamToNormalized(9, 0.0) };
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread; `text` is a local valid for the call.
    assert_eq!(unsafe { controller.getParamStringByValue(9, master_0db, &mut text) }, kResultOk);
    assert_eq!(wstr(&text), "0.0 dB");
}

#[test]
fn plays_a4_in_tune_at_every_rate_and_block_size() {
    let module = load();
    for rate in [44_100.0, 48_000.0, 96_000.0] {
        for blocks in [&[1usize][..], &[64], &[512], &[4096], &[13, 200, 1, 77, 4000, 128]] {
            let plugin = Instance::new(&module);
            plugin.load_state(&sine_state(0.0)).expect("the sine patch loads");
            let frames = (rate * 0.6) as usize;
            let out = plugin.render(rate, blocks, frames, &[Input::On(100, 69)]);
            assert!(out[..100].iter().all(|&x| x == 0.0), "silent before the note ({rate} Hz, blocks {blocks:?})");
            let hz = pitch_hz(&out[(rate * 0.1) as usize..], rate as f32).expect("a tone");
            let error = cents(hz, 440.0);
            assert!(error.abs() < 0.5, "{rate} Hz, blocks {blocks:?}: {hz:.3} Hz ({error:+.3} cents)");
            assert!((peak(&out) - 0.5).abs() < 0.02, "level {}", peak(&out));
            assert_eq!(plugin.last_silence.get(), 0, "a sounding block is not flagged silent");
        }
    }
}

/// `setupProcessing` at `rate` Hz (blocks up to 512); returns its result.
fn setup_at(processor: &ComPtr<IAudioProcessor>, rate: f64) -> tresult {
    let mut setup = ProcessSetup {
        processMode: ProcessModes_::kRealtime as int32,
        symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
        maxSamplesPerBlock: 512,
        sampleRate: rate,
    };
    // SAFETY: `processor` is the plugin's live processor; `setup` is a local read during the call.
    unsafe { processor.setupProcessing(&mut setup) }
}

#[test]
fn a_sample_rate_ferrule_cannot_run_at_is_refused_at_setup_and_the_next_valid_one_plays_a4_in_tune() {
    let module = load();
    let plugin = Instance::new(&module);
    plugin.load_state(&sine_state(0.0)).expect("the sine patch loads");
    // A validator's rate, and others past either end: refused where the host can still choose another.
    for rate in [1_234_567.8, 768_000.5, 999.0, 0.0, -48_000.0, f64::NAN, f64::INFINITY] {
        assert_eq!(setup_at(&plugin.processor, rate), kResultFalse, "setupProcessing at {rate} Hz");
        // Nothing of it was kept: activation still succeeds, at the setup before it.
        // SAFETY: `plugin.component` is a live COM pointer to the plugin's own object, held by the test across this
        // call on the test's thread.
        assert_eq!(unsafe { plugin.component.setActive(1) }, kResultOk, "setActive after {rate} Hz");
        // SAFETY: `plugin.component` is a live COM pointer to the plugin's own object, held by the test across this
        // call on the test's thread.
        assert_eq!(unsafe { plugin.component.setActive(0) }, kResultOk);
    }
    // The next valid setup is the one played, in tune.
    let out = plugin.render(96_000.0, &[512], 57_600, &[Input::On(0, 69)]);
    let hz = pitch_hz(&out[9_600..], 96_000.0).expect("a tone");
    assert!(cents(hz, 440.0).abs() < 0.5, "A4 at 96 kHz after the refused setups: {hz:.3} Hz");
    assert!((peak(&out) - 0.5).abs() < 0.02, "level {}", peak(&out));
}

#[test]
fn automating_a_macro_changes_the_sound_at_its_sample() {
    let module = load();
    let plugin = Instance::new(&module);
    plugin.load_state(&sine_state(0.0)).unwrap();
    // Frame 12 000 is inside a 256-frame block (46.875 blocks in): the change must not wait for a block.
    let still = plugin.render(48_000.0, &[256], 24_000, &[Input::On(0, 69)]);
    let moved = plugin.render(48_000.0, &[256], 24_000, &[Input::On(0, 69), Input::Param(12_000, 1, 1.0)]);
    assert!(still[..12_000] == moved[..12_000], "nothing changes before the automation point");
    let first_change = (12_000..24_000).find(|&i| still[i] != moved[i]).expect("the sound changes");
    assert!(first_change < 12_002, "the change starts at frame {first_change}, not 12000");
    // Macro 1 at 1.0 takes 0.4 off the VCA's 0.5 gain.
    assert!((peak(&moved[13_000..]) - 0.1).abs() < 0.01, "after the automation: {}", peak(&moved[13_000..]));
}

#[test]
fn midi_pitch_bend_reaches_the_engine_through_the_midi_mapping() {
    let module = load();
    let plugin = Instance::new(&module);
    plugin.load_state(&sine_state(0.0)).unwrap();
    let mapping = plugin.controller.cast::<IMidiMapping>().expect("IMidiMapping");
    let mut id: ParamID = 0;
    // SAFETY: `mapping` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread; `id` is a local valid for the call.
    let found = unsafe { mapping.getMidiControllerAssignment(0, 0, kPitchBend as CtrlNumber, &mut id) };
    assert_eq!(found, kResultTrue);
    assert_ne!(id, 0);
    // Full bend up, as a host turns a MIDI pitch-bend message into a change of the mapped parameter.
    let out = plugin.render(48_000.0, &[512], 48_000, &[Input::On(0, 69), Input::Param(100, id, 1.0)]);
    let hz = pitch_hz(&out[9_600..], 48_000.0).unwrap();
    assert!(cents(hz, 440.0) > 100.0, "bent up: {hz:.2} Hz");
}

#[test]
fn a_parameter_flush_without_audio_reaches_the_next_block() {
    let module = load();
    let plugin = Instance::new(&module);
    plugin.load_state(&sine_state(0.0)).unwrap();
    // SAFETY: `plugin.controller` is a live COM pointer to the plugin's own object, held by the test across this call
    // on the test's thread.
    let master_minus_12 = unsafe { plugin.controller.plainParamToNormalized(9, -12.0) };
    let bend = 1000 + kPitchBend;
    let out = plugin.render(
        48_000.0,
        &[512],
        48_000,
        &[Input::On(0, 69), Input::Flush(10_000, 9, master_minus_12), Input::Flush(10_000, bend, 1.0)],
    );
    let level = db(peak(&out[12_000..]));
    assert!((level - (db(0.5) - 12.0)).abs() < 0.05, "master volume after the flush: {level:.2} dBFS");
    let hz = pitch_hz(&out[12_000..], 48_000.0).unwrap();
    assert!((cents(hz, 440.0) - 200.0).abs() < 0.5, "bent after the flush: {hz:.2} Hz");
}

/// The sine patch with `source` (a modulation source name) taking up to 0.4 off its 0.5 gain.
fn sine_modulated_by(source: &str) -> Vec<u8> {
    let text = SINE.replace(
        "macros: [",
        &format!("modulations: [(from: \"{source}\", to: \"amp.gain\", depth: -0.4)],\n    macros: ["),
    );
    encode(&SavedState { patch_path: None, patch_source: text, macros: [0.0; 8], master_db: 0.0, exposed: Vec::new() })
}

#[test]
fn poly_pressure_channel_pressure_and_ccs_reach_the_patch_at_their_sample() {
    let module = load();
    // SAFETY: `Event` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero bytes are a
    // valid value (zero counts, empty strings, null pointers).
    let mut pressure: Event = unsafe { std::mem::zeroed() };
    pressure.r#type = kPolyPressureEvent as u16;
    pressure.sampleOffset = (12_000 % 256) as int32;
    pressure.__field0.polyPressure = PolyPressureEvent { channel: 0, pitch: 69, pressure: 1.0, noteId: -1 };
    let mapped = |controller: u32| {
        let plugin = Instance::new(&module);
        let mapping = plugin.controller.cast::<IMidiMapping>().unwrap();
        let mut id = 0;
        assert_eq!(
            // SAFETY: `mapping` is a live COM pointer to the plugin's own object, held by the test across this call on
            // the test's thread; `id` is a local valid for the call.
            unsafe { mapping.getMidiControllerAssignment(0, 3, controller as CtrlNumber, &mut id) },
            kResultTrue
        );
        Input::Param(12_000, id, 1.0)
    };
    for (source, input) in [
        ("aftertouch", Input::Raw(12_000, pressure)),
        ("pressure", mapped(ControllerNumbers_::kAfterTouch)),
        ("cc74", mapped(74)),
    ] {
        let plugin = Instance::new(&module);
        plugin.load_state(&sine_modulated_by(source)).expect("the patch loads");
        let still = plugin.render(48_000.0, &[256], 24_000, &[Input::On(0, 69)]);
        let out = plugin.render(48_000.0, &[256], 24_000, &[Input::On(0, 69), input]);
        let first_change = (0..24_000).find(|&i| still[i] != out[i]).expect("the sound changes");
        assert!((12_000..12_002).contains(&first_change), "{source}: the change starts at frame {first_change}");
        assert!((peak(&out[13_000..]) - 0.1).abs() < 0.01, "{source}: after, {}", peak(&out[13_000..]));
    }
}

// ---- note expressions ----

/// The block size the note-expression renders use, so an event's offset in its block is known.
const BLOCK: usize = 256;

/// A note-on for `pitch` at absolute frame `frame` under the host's note id `note_id`.
fn note_on_with_id(frame: u32, pitch: i16, note_id: i32) -> Input {
    // SAFETY: `Event` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero bytes are a
    // valid value (zero counts, empty strings, null pointers).
    let mut event: Event = unsafe { std::mem::zeroed() };
    event.sampleOffset = (frame as usize % BLOCK) as int32;
    event.r#type = kNoteOnEvent as u16;
    event.__field0.noteOn = NoteOnEvent { channel: 0, pitch, tuning: 0.0, velocity: 1.0, length: 0, noteId: note_id };
    Input::Raw(frame, event)
}

/// A note expression of type `type_id` with normalised `value` for the host's note `note_id`, at `frame`.
fn expression(frame: u32, note_id: i32, type_id: u32, value: f64) -> Input {
    // SAFETY: `Event` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero bytes are a
    // valid value (zero counts, empty strings, null pointers).
    let mut event: Event = unsafe { std::mem::zeroed() };
    event.sampleOffset = (frame as usize % BLOCK) as int32;
    event.r#type = kNoteExpressionValueEvent as u16;
    event.__field0.noteExpressionValue = NoteExpressionValueEvent { typeId: type_id, noteId: note_id, value };
    Input::Raw(frame, event)
}

/// `a − b`, sample by sample: one voice's output, when `b` renders the others of `a` alone.
fn minus(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

#[test]
fn a_tuning_note_expression_retunes_only_the_note_it_names() {
    let module = load();
    let render = |inputs: &[Input]| {
        let plugin = Instance::new(&module);
        plugin.load_state(&sine_state(0.0)).expect("the sine patch loads");
        plugin.render(48_000.0, &[BLOCK], 48_000, inputs)
    };
    // +2 semitones in VST3's tuning mapping: norm = 0.5 + 2/240.
    let up_two = expression(4_800, 11, kTuningTypeID, 0.5 + 2.0 / 240.0);
    let (a4, c4) = (note_on_with_id(0, 69, 11), note_on_with_id(0, 60, 22));
    let both = render(&[a4, c4, up_two]);
    let a4_alone = render(&[a4, up_two]);
    let c4_alone = render(&[c4]);
    // The voices sum: taking one note's own render away leaves the other.
    let steady = 9_600..;
    let tuned = pitch_hz(&minus(&both, &c4_alone)[steady.clone()], 48_000.0).expect("a tone");
    let error = cents(tuned, 493.883);
    assert!(error.abs() < 1.0, "A4 two semitones up plays B4: {tuned:.3} Hz ({error:+.3} cents)");
    let other = pitch_hz(&minus(&both, &a4_alone)[steady.clone()], 48_000.0).expect("a tone");
    let error = cents(other, 261.626);
    assert!(error.abs() < 1.0, "the other held note keeps C4: {other:.3} Hz ({error:+.3} cents)");
    eprintln!("tuned A4: {tuned:.3} Hz ({:+.3} cents from B4); C4 beside it: {other:.3} Hz", cents(tuned, 493.883));
    let before = pitch_hz(&a4_alone[480..4_800], 48_000.0).expect("a tone");
    assert!(cents(before, 440.0).abs() < 1.0, "A4 before the expression: {before:.3} Hz");
}

#[test]
fn a_volume_note_expression_sets_its_notes_level_and_pan_moves_it() {
    let module = load();
    let plugin = Instance::new(&module);
    plugin.load_state(&sine_state(0.0)).unwrap();
    // Norm 0.125 is 20·log10(4·0.125) = −6.02 dB in VST3's volume mapping.
    let out = plugin.render(
        48_000.0,
        &[BLOCK],
        24_000,
        &[note_on_with_id(0, 69, 5), expression(12_000, 5, kVolumeTypeID, 0.125)],
    );
    // Volume glides with a 5 ms time constant: 125 ms later it has long arrived.
    let change = db(peak(&out[18_000..])) - db(peak(&out[6_000..12_000]));
    eprintln!("volume expression 0.125: {change:+.3} dB");
    assert!((change + 6.02).abs() < 0.1, "the note is {change:+.3} dB louder, not -6.02 dB");
    // Hard right leaves the (left) channel silent, equal power.
    let out =
        plugin.render(48_000.0, &[BLOCK], 24_000, &[note_on_with_id(0, 69, 5), expression(12_000, 5, kPanTypeID, 1.0)]);
    assert!(peak(&out[18_000..]) < 1e-4, "panned right, the left channel is silent: {}", peak(&out[18_000..]));
}

#[test]
fn a_note_expression_follows_a_note_through_its_release() {
    // Hosts keep sending a note's expressions after its note-off while it rings out: a tuning glide
    // through a one-second release must still bend the releasing voice.
    let module = load();
    let plugin = Instance::new(&module);
    let long_release = SINE.replace("\"release\": 0.01", "\"release\": 1.0");
    let state = encode(&SavedState {
        patch_path: None,
        patch_source: long_release,
        macros: [0.0; 8],
        master_db: 0.0,
        exposed: Vec::new(),
    });
    plugin.load_state(&state).expect("the long-release sine loads");
    let inputs =
        [note_on_with_id(0, 69, 5), Input::Off(4_800, 69), expression(9_600, 5, kTuningTypeID, 0.5 + 2.0 / 240.0)];
    let out = plugin.render(48_000.0, &[BLOCK], 24_000, &inputs);
    let releasing = pitch_hz(&out[12_000..20_000], 48_000.0).expect("the release still sounds");
    let error = cents(releasing, 493.883);
    eprintln!("tuning +2 st during the release: {releasing:.3} Hz ({error:+.3} cents from B4)");
    assert!(error.abs() < 1.0, "the releasing A4 bent up to B4: {releasing:.3} Hz ({error:+.3} cents)");
}

#[test]
fn an_expression_for_an_unknown_or_ended_note_id_changes_nothing() {
    let module = load();
    let plugin = Instance::new(&module);
    plugin.load_state(&sine_state(0.0)).unwrap();
    let held = [note_on_with_id(0, 69, 5), note_on_with_id(0, 64, 6), Input::Off(2_000, 64)];
    let plain = plugin.render(48_000.0, &[BLOCK], 24_000, &held);
    let mut inputs = held.to_vec();
    inputs.extend([
        expression(6_000, 99, kTuningTypeID, 1.0),
        expression(6_000, -1, kVolumeTypeID, 0.0),
        expression(7_000, 6, kTuningTypeID, 0.0),
        expression(7_000, 5, 6, 1.0),
        expression(7_000, 5, 100_000, 1.0),
    ]);
    let out = plugin.render(48_000.0, &[BLOCK], 24_000, &inputs);
    assert!(peak(&plain) > 0.1);
    assert!(out == plain, "unknown ids (99, −1, the ended note's 6) and types (text, custom) change nothing");
}

/// The text the controller shows for note expression `type_id` at `norm`.
fn expression_text(controller: &ComPtr<INoteExpressionController>, type_id: u32, norm: f64) -> String {
    let mut text: String128 = [0; 128];
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread; `text` is a local valid for the call.
    assert_eq!(unsafe { controller.getNoteExpressionStringByValue(0, 0, type_id, norm, &mut text) }, kResultOk);
    wstr(&text)
}

/// The normalised value the controller reads from `typed` for note expression `type_id`.
fn expression_value(controller: &ComPtr<INoteExpressionController>, type_id: u32, typed: &str) -> Option<f64> {
    let typed: Vec<TChar> = typed.encode_utf16().chain([0]).map(|c| c as TChar).collect();
    let mut value = -1.0;
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread; `value` is a local valid for the call; `typed` is a NUL-terminated UTF-16 buffer alive for the
    // call.
    let result = unsafe { controller.getNoteExpressionValueByString(0, 0, type_id, typed.as_ptr(), &mut value) };
    (result == kResultOk).then_some(value)
}

#[test]
fn the_controller_describes_six_note_expressions_and_reads_their_values_back() {
    let module = load();
    let plugin = Instance::new(&module);
    let controller = plugin.controller.cast::<INoteExpressionController>().expect("INoteExpressionController");
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread.
    assert_eq!(unsafe { controller.getNoteExpressionCount(0, 0) }, 6);
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread.
    assert_eq!(unsafe { controller.getNoteExpressionCount(0, 15) }, 6, "every channel");
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread.
    assert_eq!(unsafe { controller.getNoteExpressionCount(1, 0) }, 0, "there is one event bus");
    let mut listed = Vec::new();
    for index in 0..6 {
        // SAFETY: `NoteExpressionTypeInfo` is a C struct of integers, floats, fixed arrays and raw pointers, for which
        // all-zero bytes are a valid value (zero counts, empty strings, null pointers).
        let mut info: NoteExpressionTypeInfo = unsafe { std::mem::zeroed() };
        // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on
        // the test's thread; `info` is a local valid for the call.
        assert_eq!(unsafe { controller.getNoteExpressionInfo(0, 0, index, &mut info) }, kResultOk);
        let range = (info.valueDesc.minimum, info.valueDesc.maximum);
        assert_eq!(range, (0.0, 1.0), "{}: normalised over the SDK's whole range", wstr(&info.title));
        listed.push((info.typeId, wstr(&info.title), wstr(&info.units), info.valueDesc.defaultValue));
    }
    let want = [
        (0, "Volume", "dB", 0.25),
        (1, "Pan", "", 0.5),
        (2, "Tuning", "st", 0.5),
        (3, "Vibrato", "", 0.0),
        (4, "Expression", "", 0.0),
        (5, "Brightness", "", 0.0),
    ];
    let want: Vec<_> =
        want.iter().map(|&(id, title, unit, default)| (id, title.to_string(), unit.to_string(), default)).collect();
    assert_eq!(listed, want);
    // SAFETY: `NoteExpressionTypeInfo` is a C struct of integers, floats, fixed arrays and raw pointers, for which
    // all-zero bytes are a valid value (zero counts, empty strings, null pointers).
    let mut info: NoteExpressionTypeInfo = unsafe { std::mem::zeroed() };
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread; `info` is a local valid for the call.
    assert_eq!(unsafe { controller.getNoteExpressionInfo(0, 0, 6, &mut info) }, kInvalidArgument);

    for (type_id, norm, shown) in [
        (kVolumeTypeID, 0.125, "-6.0 dB"),
        (kVolumeTypeID, 0.25, "0.0 dB"),
        (kVolumeTypeID, 0.0, "-inf dB"),
        (kPanTypeID, 0.25, "L 50"),
        (kPanTypeID, 0.5, "C"),
        (kPanTypeID, 1.0, "R 100"),
        (kTuningTypeID, 0.5 + 1.0 / 240.0, "+1.00 st"),
        (kTuningTypeID, 0.0, "-120.00 st"),
        (5, 0.4, "0.40"),
    ] {
        assert_eq!(expression_text(&controller, type_id, norm), shown, "type {type_id} at {norm}");
        let back = expression_value(&controller, type_id, shown).expect("the shown text parses");
        assert_eq!(expression_text(&controller, type_id, back), shown, "type {type_id}: {shown} round trips");
        assert!((back - norm).abs() < 2e-3, "type {type_id}: {shown} reads back as {back}, not {norm}");
    }
    assert_eq!(expression_value(&controller, kTuningTypeID, "-3"), Some(0.5 - 3.0 / 240.0), "a plain number");
    assert_eq!(expression_value(&controller, kTuningTypeID, "sharp"), None, "nonsense is refused");
    assert_eq!(expression_value(&controller, 6, "0.5"), None, "text expressions are not Ferrule's");
}

#[test]
fn a_saved_state_reloads_into_a_new_instance_bit_identically() {
    let module = load();
    let first = Instance::new(&module);
    first.load_state(&sine_state(0.25)).unwrap();
    let saved = first.save_state();
    let notes = [Input::On(0, 60), Input::On(500, 67), Input::Off(9_000, 60)];
    let a = first.render(48_000.0, &[128], 20_000, &notes);
    let second = Instance::new(&module);
    second.load_state(&saved).expect("reloads");
    let b = second.render(48_000.0, &[128], 20_000, &notes);
    assert!(peak(&a) > 0.1);
    assert!(a == b, "the reloaded instance renders the same samples");
    // SAFETY: `second.controller` is a live COM pointer to the plugin's own object, held by the test across this call
    // on the test's thread.
    let shown = unsafe { second.controller.getParamNormalized(1) };
    assert_eq!(shown, 0.25, "the controller shows the loaded macro position");
    // SAFETY: `ParameterInfo` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero
    // bytes are a valid value (zero counts, empty strings, null pointers).
    let mut param: ParameterInfo = unsafe { std::mem::zeroed() };
    // SAFETY: `second.controller` is a live COM pointer to the plugin's own object, held by the test across this call
    // on the test's thread; `param` is a local valid for the call.
    assert_eq!(unsafe { second.controller.getParameterInfo(0, &mut param) }, kResultOk);
    assert_eq!(wstr(&param.title), "Level", "the controller names macros after the loaded patch");
}

#[test]
fn the_controller_lists_the_patchs_exposed_parameters_in_their_unit_and_they_move_the_sound() {
    let module = load();
    let plugin = Instance::new(&module);
    plugin.load_state(&sine_state(0.0)).unwrap();
    let controller = &plugin.controller;
    // SAFETY: `ParameterInfo` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero
    // bytes are a valid value (zero counts, empty strings, null pointers).
    let mut param: ParameterInfo = unsafe { std::mem::zeroed() };
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread; `param` is a local valid for the call.
    assert_eq!(unsafe { controller.getParameterInfo(9, &mut param) }, kResultOk);
    assert_eq!((param.id, wstr(&param.title)), (101, "Gain".to_string()), "named after the loaded patch");
    assert_eq!(param.defaultNormalizedValue, 0.5, "the file's gain 0.5 of 0..1");
    assert_ne!(param.flags & ParameterInfo_::ParameterFlags_::kCanAutomate, 0);
    let mut text: String128 = [0; 128];
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread; `text` is a local valid for the call.
    assert_eq!(unsafe { controller.getParamStringByValue(101, 0.25, &mut text) }, kResultOk);
    assert_eq!(wstr(&text), "0.25");
    let typed: Vec<TChar> = "0.8".encode_utf16().chain([0]).map(|c| c as TChar).collect();
    let mut value = 0.0;
    // SAFETY: `controller` is a live COM pointer to the plugin's own object, held by the test across this call on the
    // test's thread; `value` is a local valid for the call; `typed` is a NUL-terminated UTF-16 buffer alive for the
    // call.
    assert_eq!(unsafe { controller.getParamValueByString(101, typed.as_ptr() as *mut TChar, &mut value) }, kResultOk);
    assert!((value - 0.8).abs() < 1e-6, "{value}");

    let out = plugin.render(48_000.0, &[256], 24_000, &[Input::On(0, 69), Input::Param(12_000, 101, 1.0)]);
    assert!((peak(&out[6_000..12_000]) - 0.5).abs() < 0.01);
    assert!((peak(&out[13_000..]) - 1.0).abs() < 0.01, "id 101 at 1.0 doubles the gain: {}", peak(&out[13_000..]));
}

#[test]
fn after_a_state_load_the_controller_asks_the_host_to_rescan_names_and_values() {
    let module = load();
    let plugin = Instance::new(&module);
    let handler = ComWrapper::new(Handler(RefCell::new(Vec::new())));
    let handler_ptr = handler.as_com_ref::<IComponentHandler>().unwrap().as_ptr();
    // SAFETY: `plugin.controller` is a live COM pointer to the plugin's own object, held by the test across this call
    // on the test's thread; `handler_ptr` points at the test's handler, alive (in `handler`) as long as the plugin.
    assert_eq!(unsafe { plugin.controller.setComponentHandler(handler_ptr) }, kResultOk);
    plugin.load_state(&sine_state(0.75)).unwrap();
    let wanted = (RestartFlags_::kParamValuesChanged | RestartFlags_::kParamTitlesChanged) as int32;
    let asked = handler.0.borrow().clone();
    assert!(asked.iter().any(|&f| f & wanted == wanted), "restart requests: {asked:?}");
    let latency = RestartFlags_::kLatencyChanged as int32;
    assert!(asked.iter().any(|&f| f & latency != 0), "default patch (12 samples) to a sine (0): {asked:?}");
    // SAFETY: `plugin.processor` is a live COM pointer to the plugin's own object, held by the test across this call on
    // the test's thread.
    assert_eq!(unsafe { plugin.processor.getLatencySamples() }, 0);
    handler.0.borrow_mut().clear();
    plugin.load_state(&sine_state(0.75)).unwrap();
    let asked = handler.0.borrow().clone();
    assert!(asked.iter().all(|&f| f & latency == 0), "sine to sine: the latency did not change: {asked:?}");
    // SAFETY: `plugin.controller` is a live COM pointer to the plugin's own object, held by the test across this call
    // on the test's thread.
    assert_eq!(unsafe { plugin.controller.getParamNormalized(1) }, 0.75);
    // A refused state asks for nothing.
    handler.0.borrow_mut().clear();
    assert!(plugin.load_state(b"garbage").is_err());
    let garbage = stream(b"garbage");
    // SAFETY: `plugin.controller` is a live COM pointer to the plugin's own object, held by the test across this call
    // on the test's thread; the stream is a host object this test keeps alive through the call.
    let refused = unsafe { plugin.controller.setComponentState(garbage.as_com_ref::<IBStream>().unwrap().as_ptr()) };
    assert_eq!(refused, kResultFalse, "the controller refuses it too");
    assert!(handler.0.borrow().is_empty());
    // SAFETY: `plugin.controller` is a live COM pointer to the plugin's own object, held by the test across this call
    // on the test's thread.
    assert_eq!(unsafe { plugin.controller.getParamNormalized(1) }, 0.75, "the controller keeps its values");
}

#[test]
fn corrupt_state_is_refused_and_the_instance_keeps_its_sound() {
    let module = load();
    let plugin = Instance::new(&module);
    plugin.load_state(&sine_state(0.0)).unwrap();
    let good = sine_state(0.0);
    let broken_patch = encode(&SavedState {
        patch_path: None,
        patch_source: SINE.replace("\"sine\"", "\"sinus\""),
        macros: [0.0; 8],
        master_db: 0.0,
        exposed: Vec::new(),
    });
    for bad in
        [Vec::new(), good[..good.len() / 2].to_vec(), b"not a ferrule state".to_vec(), vec![0xff; 4096], broken_patch]
    {
        assert_eq!(plugin.load_state(&bad), Err(kResultFalse), "refused: {:?}", &bad[..bad.len().min(16)]);
    }
    let out = plugin.render(48_000.0, &[256], 24_000, &[Input::On(0, 69)]);
    let hz = pitch_hz(&out[4_800..], 48_000.0).unwrap();
    assert!(cents(hz, 440.0).abs() < 0.5, "still the sine patch: {hz} Hz");
}

#[test]
fn the_default_patch_plays_out_of_the_box() {
    let module = load();
    let plugin = Instance::new(&module);
    let out = plugin.render(
        48_000.0,
        &[512],
        72_000,
        &[Input::On(0, 60), Input::On(0, 64), Input::Off(24_000, 60), Input::Off(24_000, 64)],
    );
    assert!(peak(&out[..24_000]) > 0.05, "audible");
    assert!(peak(&out) < 1.0, "below full scale");
    assert_eq!(peak(&out[50_000..]), 0.0, "silent after the release");
    assert_eq!(plugin.last_silence.get(), 0b11, "and the host is told both channels are silent");
}

#[test]
fn process_never_allocates_with_notes_automation_midi_and_a_patch_swap() {
    let module = linked();
    let mut plugin = Instance::new(&module);
    plugin.trap_allocations = true;
    let mut inputs: Vec<Input> = (48..60).map(|key| Input::On(key as u32 * 7, key)).collect();
    for (i, frame) in (0..20_000).step_by(333).enumerate() {
        inputs.push(Input::Param(frame, 1 + (i % 8) as u32, (i % 5) as f64 / 4.0));
        inputs.push(Input::Param(frame + 5, 9, 0.5 + (i % 3) as f64 / 10.0));
        inputs.push(Input::Param(frame + 11, 1000 + (i % 130) as u32, 0.25));
    }
    inputs.extend((48..60).map(|key| Input::Off(15_000 + key as u32, key)));
    let out = plugin.render(48_000.0, &[1, 64, 512, 100, 333], 20_000, &inputs);
    assert!(peak(&out) > 0.01, "it played");
    // A state load on the main thread hands the engine a new schedule; its first blocks swap it in.
    plugin.load_state(&sine_state(0.5)).unwrap();
    let out = plugin.render(48_000.0, &[256], 4_800, &[Input::On(0, 69)]);
    assert!(peak(&out) > 0.1, "the new patch plays");
    // Note expressions find their note through the note-id table, allocation-free too.
    let expressed = [
        note_on_with_id(0, 60, 3),
        expression(BLOCK as u32, 3, kTuningTypeID, 0.7),
        expression(BLOCK as u32 + 40, 3, kVolumeTypeID, 0.1),
        expression(BLOCK as u32 + 41, 77, kPanTypeID, 0.1),
        Input::Off(2_000, 60),
    ];
    let out = plugin.render(48_000.0, &[BLOCK], 4_800, &expressed);
    assert!(peak(&out) > 0.01, "the expressed note plays");
}

#[test]
fn hostile_events_and_values_leave_the_output_finite() {
    let module = load();
    let plugin = Instance::new(&module);
    let raw = |offset: i32, kind: u32, pitch: i16, value: f32| {
        // SAFETY: `Event` is a C struct of integers, floats, fixed arrays and raw pointers, for which all-zero bytes
        // are a valid value (zero counts, empty strings, null pointers).
        let mut event: Event = unsafe { std::mem::zeroed() };
        event.sampleOffset = offset;
        event.r#type = kind as u16;
        event.__field0.noteOn =
            NoteOnEvent { channel: 99, pitch, tuning: f32::NAN, velocity: value, length: -1, noteId: 7 };
        event
    };
    let inputs = [
        Input::Raw(0, raw(-50, kNoteOnEvent, 60, 1.0)),
        Input::Raw(0, raw(1_000_000, kNoteOnEvent, 64, 0.7)),
        Input::Raw(600, raw(10, kNoteOnEvent, 300, 1.0)),
        Input::Raw(600, raw(11, kNoteOnEvent, -3, 1.0)),
        Input::Raw(700, raw(12, kNoteOnEvent, 67, f32::NAN)),
        Input::Raw(800, raw(13, kPolyPressureEvent, 60, f32::INFINITY)),
        Input::Raw(900, raw(14, 4242, 60, 1.0)),
        Input::Param(1_000, 1, f64::NAN),
        Input::Param(1_100, 9, f64::INFINITY),
        Input::Param(1_200, 2, -7.0),
        Input::Param(1_300, 0, 1.0),
        Input::Param(1_400, 77_777, 1.0),
        Input::Param(1_500, 1000 + kPitchBend, f64::NEG_INFINITY),
        Input::Raw(2_000, raw(5, kNoteOffEvent, 60, 0.0)),
        // Every note-on above used id 7: expressions find whichever key holds it last.
        expression(2_100, 7, kTuningTypeID, f64::NAN),
        expression(2_200, 7, kVolumeTypeID, f64::INFINITY),
        expression(2_300, 7, kPanTypeID, -1e300),
        expression(2_400, 7, u32::MAX, 0.5),
        expression(2_500, i32::MIN, kTuningTypeID, 1.0),
    ];
    let out = plugin.render(48_000.0, &[512, 7, 300], 9_600, &inputs);
    assert!(out.iter().all(|x| x.is_finite() && x.abs() <= 4.0), "finite and bounded");
    assert!(peak(&out) > 0.01, "the valid notes still play");
}
