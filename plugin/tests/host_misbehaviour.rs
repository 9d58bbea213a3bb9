//! Hosts that break the rules, through the built plugin: calls out of order (process before activate or
//! before start_processing), zero-frame and maximum-size blocks, a sample-rate change between
//! activations, events out of order or past the block's end, parameter values out of range or NaN, many
//! activations in a row, and main-thread calls made from the audio thread. None may crash; each has a
//! defined outcome a user would notice (silence, a refusal, the right pitch and level).
//!
//! CLAP through clack-host loading `target/bundled/Ferrule.clap` (`cargo xtask bundle`), except the
//! activation-cycle test, which loads the plugin linked into this binary so that it can count the
//! engine's live schedules. VST3 checks of the same kinds load `target/bundled/Ferrule.vst3`.

#![allow(non_upper_case_globals)]

use std::ffi::c_void;
use std::path::PathBuf;
use std::sync::Mutex;
use std::thread::ThreadId;

use clack_extensions::params::PluginParams;
use clack_extensions::state::PluginState;
use clack_extensions::thread_check::{HostThreadCheck, HostThreadCheckImpl};
use clack_host::events::Match;
use clack_host::events::event_types::{NoteOnEvent, ParamValueEvent};
use clack_host::prelude::*;
use clap_sys::audio_buffer::clap_audio_buffer;
use clap_sys::process::{CLAP_PROCESS_ERROR, clap_process, clap_process_status};

mod clap_common;
mod common;

use clap_common::*;
use common::sine_state;
use ferrule_tests::measure::{cents, db, peak, pitch_hz};

// ---- a CLAP instance with raw and typed access ----

/// A host instance of the plugin, generic over the host's handlers.
struct Instance<H: HostHandlers> {
    plugin: PluginInstance<H>,
}

/// An event at a block-relative frame, as the test host sends it (in the order given, however wrong).
#[derive(Clone, Copy)]
enum Input {
    On(u32, u16),
    Param(u32, u32, f64),
}

fn push(events: &mut EventBuffer, input: Input) {
    match input {
        Input::On(t, key) => events.push(&NoteOnEvent::new(t, Pckn::new(0u16, 0u16, key, Match::All), 1.0)),
        Input::Param(t, id, v) => events.push(&ParamValueEvent::new(t, ClapId::new(id), Pckn::match_all(), v)),
    }
}

impl Instance<Handlers> {
    fn new(entry: &PluginEntry) -> Self {
        let info = HostInfo::new("ferrule-misbehaving-host", "Ferrule", "", "0").unwrap();
        let plugin = PluginInstance::<Handlers>::new(|_| Shared, |_| MainThread, entry, c"org.ferrule.ferrule", &info)
            .expect("instantiates");
        Instance { plugin }
    }

    fn activate(&mut self, rate: f64, max: u32) -> Result<StoppedPluginAudioProcessor<Handlers>, PluginInstanceError> {
        let config = PluginAudioConfiguration { sample_rate: rate, min_frames_count: 1, max_frames_count: max };
        self.plugin.activate(|_, _| AudioThread, config)
    }
}

impl<H: HostHandlers> Instance<H> {
    fn load_state(&mut self, bytes: &[u8]) -> Result<(), ()> {
        let handle = self.plugin.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("state extension");
        state.load(&handle, &mut &bytes[..]).map_err(|_| ())
    }

    fn save_state(&mut self) -> Result<Vec<u8>, ()> {
        let handle = self.plugin.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("state extension");
        let mut out = Vec::new();
        state.save(&handle, &mut out).map_err(|_| ())?;
        Ok(out)
    }

    /// Calls the plugin's `process` directly, as a host that ignores the activation state would, with one
    /// stereo output of `left.len()` frames and no events. Returns the raw status.
    fn raw_process(&self, left: &mut [f32], right: &mut [f32]) -> clap_process_status {
        let frames = left.len().min(right.len()) as u32;
        let mut channels = [left.as_mut_ptr(), right.as_mut_ptr()];
        let mut output = clap_audio_buffer {
            data32: channels.as_mut_ptr(),
            data64: std::ptr::null_mut(),
            channel_count: 2,
            latency: 0,
            constant_mask: 0,
        };
        let input_events = EventBuffer::new();
        let mut output_events = EventBuffer::new();
        let input_events = input_events.as_input();
        let mut output_events = output_events.as_output();
        let process = clap_process {
            steady_time: -1,
            frames_count: frames,
            transport: std::ptr::null(),
            audio_inputs: std::ptr::null(),
            audio_outputs: &mut output,
            audio_inputs_count: 0,
            audio_outputs_count: 1,
            in_events: input_events.as_raw(),
            out_events: output_events.as_raw(),
        };
        let raw = self.plugin.raw_instance();
        // SAFETY: a valid plugin and process description for this call; the buffers outlive it.
        unsafe { raw.process.expect("a process function")(raw, &process) }
    }
}

/// Renders one block of `frames` frames (0 allowed) with `inputs` pushed in the order given; returns the
/// left channel.
fn block<H: HostHandlers>(processor: &mut StartedPluginAudioProcessor<H>, frames: usize, inputs: &[Input]) -> Vec<f32> {
    let (mut left, mut right) = (vec![f32::NAN; frames], vec![f32::NAN; frames]);
    let mut events = EventBuffer::with_capacity(inputs.len());
    for &input in inputs {
        push(&mut events, input);
    }
    let mut output_events = EventBuffer::with_capacity(64);
    clap_common::process_stereo(processor, &events.as_input(), &mut left, &mut right, &mut output_events);
    left
}

/// Renders `frames` frames in blocks of `size`, with `first` in the first block; returns the left channel.
fn render<H: HostHandlers>(
    processor: &mut StartedPluginAudioProcessor<H>,
    size: usize,
    frames: usize,
    first: &[Input],
) -> Vec<f32> {
    let mut out = Vec::with_capacity(frames);
    while out.len() < frames {
        let inputs = if out.is_empty() { first } else { &[] };
        out.extend(block(processor, size.min(frames - out.len()), inputs));
    }
    out
}

/// Pitch error of a steady A4 in `x` (skipping its first 50 ms), in cents.
fn a4_error(x: &[f32], rate: f64) -> f64 {
    let hz = pitch_hz(&x[(rate * 0.05) as usize..], rate as f32).expect("a tone");
    cents(hz, 440.0)
}

// ---- CLAP ----

#[test]
fn process_before_activate_or_before_start_processing_is_refused_or_silent() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    plugin.load_state(&sine_state(0.0)).unwrap();
    // Before activation there is no audio side: the call is refused, and the buffers left alone.
    let (mut left, mut right) = (vec![0.25f32; 256], vec![0.25f32; 256]);
    assert_eq!(plugin.raw_process(&mut left, &mut right), CLAP_PROCESS_ERROR, "process before activate");
    // Activated but not started: either refused, or a block of silence.
    let stopped = plugin.activate(48_000.0, 256).expect("activates");
    let status = plugin.raw_process(&mut left, &mut right);
    assert!(
        status == CLAP_PROCESS_ERROR || left.iter().chain(&right).all(|&x| x == 0.0),
        "process before start_processing: status {status}, peak {}",
        peak(&left)
    );
    // And the instance still works the proper way afterwards.
    let mut processor = stopped.start_processing().expect("starts");
    let out = render(&mut processor, 256, 24_000, &[Input::On(0, 69)]);
    assert!(a4_error(&out, 48_000.0).abs() < 0.5);
    plugin.plugin.deactivate(processor.stop_processing());
    // Deactivated again: refused again.
    assert_eq!(plugin.raw_process(&mut left, &mut right), CLAP_PROCESS_ERROR, "process after deactivate");
}

#[test]
fn zero_frame_blocks_are_harmless_and_their_events_still_arrive() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    plugin.load_state(&sine_state(0.0)).unwrap();
    let mut processor = plugin.activate(48_000.0, 512).unwrap().start_processing().unwrap();
    let silent = block(&mut processor, 0, &[]);
    assert!(silent.is_empty());
    // A note and a macro move sent in a zero-frame block (a host flushing events) play from the next one.
    block(&mut processor, 0, &[Input::On(0, 69), Input::Param(0, 1, 1.0)]);
    let mut out = Vec::new();
    for _ in 0..100 {
        out.extend(block(&mut processor, 480, &[]));
        block(&mut processor, 0, &[]);
    }
    assert!(onset(&out).is_some_and(|at| at < 4), "the note starts with the next block: {:?}", onset(&out));
    assert!(a4_error(&out, 48_000.0).abs() < 0.5);
    // Macro 1 at 1.0 takes 0.4 off the 0.5 gain: −20 dBFS.
    let level = db(peak(&out[4_800..]));
    assert!((level - db(0.1)).abs() < 0.1, "the macro moved: {level:.2} dBFS");
    plugin.plugin.deactivate(processor.stop_processing());
}

#[test]
fn a_block_of_the_activated_maximum_size_plays_in_tune() {
    let entry = entry();
    for max in [1u32, 4_096, 65_536] {
        let mut plugin = Instance::new(&entry);
        plugin.load_state(&sine_state(0.0)).unwrap();
        let mut processor = plugin.activate(48_000.0, max).unwrap().start_processing().unwrap();
        let out = render(&mut processor, max as usize, 65_536, &[Input::On(0, 69)]);
        assert!(out.iter().all(|x| x.is_finite()));
        let error = a4_error(&out, 48_000.0);
        assert!(error.abs() < 0.5, "blocks of {max}: {error:+.3} cents");
        assert!((db(peak(&out)) - db(0.5)).abs() < 0.2, "blocks of {max}: level {:.2} dBFS", db(peak(&out)));
        plugin.plugin.deactivate(processor.stop_processing());
    }
}

#[test]
fn impossible_activation_settings_are_refused_and_the_instance_still_activates() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    plugin.load_state(&sine_state(0.0)).unwrap();
    for rate in [0.0, -48_000.0, f64::NAN, f64::INFINITY, 10.0, 1_234_567.8, 10_000_000.0] {
        assert!(plugin.activate(rate, 512).is_err(), "activation at {rate} Hz is refused");
    }
    // A one-frame or huge maximum block is not a reason to fail (nothing is sized by it).
    for max in [1, u32::MAX] {
        let stopped = plugin.activate(48_000.0, max).unwrap_or_else(|e| panic!("max {max}: {e}"));
        plugin.plugin.deactivate(stopped);
    }
    let mut processor = plugin.activate(48_000.0, 512).unwrap().start_processing().unwrap();
    let out = render(&mut processor, 512, 24_000, &[Input::On(0, 69)]);
    assert!(a4_error(&out, 48_000.0).abs() < 0.5);
    plugin.plugin.deactivate(processor.stop_processing());
}

#[test]
fn a_sample_rate_change_between_activations_keeps_a4_in_tune() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    plugin.load_state(&sine_state(0.0)).unwrap();
    for rate in [44_100.0, 192_000.0, 48_000.0, 96_000.0, 44_100.0] {
        let mut processor = plugin.activate(rate, 512).unwrap().start_processing().unwrap();
        let out = render(&mut processor, 512, (rate * 0.5) as usize, &[Input::On(0, 69)]);
        let error = a4_error(&out, rate);
        assert!(error.abs() < 0.5, "at {rate} Hz after a rate change: {error:+.3} cents");
        plugin.plugin.deactivate(processor.stop_processing());
    }
}

/// The first frame whose sample is not zero.
fn onset(x: &[f32]) -> Option<usize> {
    x.iter().position(|&s| s != 0.0)
}

#[test]
fn events_out_of_order_play_at_their_frame_and_late_ones_in_the_next_block() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    plugin.load_state(&sine_state(0.0)).unwrap();
    let mut processor = plugin.activate(48_000.0, 512).unwrap().start_processing().unwrap();
    // E5 at frame 100 is sent after A4 at frame 300: it still starts at frame 100, not 300.
    let out = block(&mut processor, 512, &[Input::On(300, 69), Input::On(100, 76)]);
    let at = onset(&out);
    assert!(at.is_some_and(|at| (100..104).contains(&at)), "the out-of-order note starts at frame {at:?}, not 300");
    plugin.plugin.deactivate(processor.stop_processing());

    let mut processor = plugin.activate(48_000.0, 512).unwrap().start_processing().unwrap();
    // A note stamped past the block's end (and one at the largest frame a u32 holds) is not lost: it
    // starts with the next block, and nothing overflows.
    let first = block(&mut processor, 512, &[Input::On(5_000, 69), Input::On(u32::MAX, 69)]);
    assert_eq!(onset(&first), None, "nothing sounds in the block the late note was sent in");
    let mut rest = Vec::new();
    for _ in 0..50 {
        rest.extend(block(&mut processor, 512, &[]));
    }
    assert!(onset(&rest).is_some_and(|at| at < 4), "the late note starts with the next block: {:?}", onset(&rest));
    assert!(a4_error(&rest, 48_000.0).abs() < 0.5);
    plugin.plugin.deactivate(processor.stop_processing());
}

#[test]
fn parameter_values_out_of_range_are_clamped_and_nan_is_ignored() {
    let entry = entry();
    let mut plugin = Instance::new(&entry);
    plugin.load_state(&sine_state(0.0)).unwrap();
    let mut processor = plugin.activate(48_000.0, 512).unwrap().start_processing().unwrap();
    // Macro 1 ("Level", 0..1) takes 0.4 off the 0.5 gain at 1.0; master volume is −60..+6 dB.
    // Master volume at its bottom (−60 dB) is off.
    let steps: [(&[Input], f32, &str); 7] = [
        (&[Input::Param(0, 1, 7.0)], db(0.1), "macro 7.0 acts as 1.0"),
        (&[Input::Param(0, 1, f64::NAN)], db(0.1), "macro NaN is ignored"),
        (&[Input::Param(0, 1, -3.0)], db(0.5), "macro −3.0 acts as 0.0"),
        (&[Input::Param(0, 9, f64::INFINITY)], db(0.5), "master +inf is ignored"),
        (&[Input::Param(0, 9, 1e300)], db(0.5) + 6.0, "master 1e300 dB acts as +6 dB"),
        (&[Input::Param(0, 0, 1.0), Input::Param(0, 4_000_000, f64::NAN)], db(0.5) + 6.0, "unknown ids do nothing"),
        (&[Input::Param(0, 9, f64::NAN), Input::Param(0, 9, -1e300)], db(0.0), "master −1e300 dB acts as −60 dB (off)"),
    ];
    let mut out = render(&mut processor, 512, 4_800, &[Input::On(0, 69)]);
    for (inputs, expected, what) in steps {
        let now = render(&mut processor, 512, 9_600, inputs);
        assert!(now.iter().all(|x| x.is_finite()), "{what}: finite");
        let level = db(peak(&now[4_800..]));
        assert!((level - expected).abs() < 0.1, "{what}: {level:.2} dBFS, expected {expected:.2}");
        out.extend(now);
    }
    plugin.plugin.deactivate(processor.stop_processing());
    // The host reads back values inside the ranges it was told.
    let handle = plugin.plugin.plugin_handle();
    let params = handle.get_extension::<PluginParams>().expect("params");
    assert_eq!(params.get_value(&handle, ClapId::new(1)), Some(0.0));
    assert_eq!(params.get_value(&handle, ClapId::new(9)), Some(-60.0));
}

#[test]
fn fifty_activations_in_a_row_leave_no_schedule_behind() {
    // The plugin linked into this binary, so its engine's schedule count is this process's. No other test
    // here uses it, so the count is not disturbed by tests running in parallel.
    let path = std::ffi::CString::new(bundle().to_string_lossy().as_bytes()).unwrap();
    // SAFETY: our own entry, linked into this binary.
    let entry = unsafe { PluginEntry::load_from_raw(&ferrule_plugin::clap_entry, &path) }.expect("the entry loads");
    let mut plugin = Instance::new(&entry);
    let mut after_first = None;
    for cycle in 0..50 {
        let rate = [44_100.0, 48_000.0, 96_000.0][cycle % 3];
        let mut processor = plugin.activate(rate, 256).unwrap().start_processing().unwrap();
        let out = render(&mut processor, 256, 2_048, &[Input::On(0, 60), Input::On(10, 64)]);
        // A state load while active sends the engine a new schedule; the next blocks swap it in.
        plugin.load_state(&sine_state((cycle % 2) as f32)).unwrap();
        render(&mut processor, 256, 1_024, &[]);
        plugin.plugin.deactivate(processor.stop_processing());
        assert!(out.iter().all(|x| x.is_finite()) && peak(&out) > 0.01, "cycle {cycle} played");
        let live = ferrule_engine::Schedule::live_count();
        match after_first {
            None => after_first = Some(live),
            Some(first) => assert_eq!(live, first, "schedules alive after cycle {cycle}"),
        }
    }
    eprintln!("live schedules after each of 50 activations: {}", after_first.unwrap());
}

// ---- CLAP: calls from the wrong thread, with a host that implements thread-check ----

/// A host that knows its threads: the one that made the instance is main; one chosen thread is audio.
struct CheckingShared {
    main: ThreadId,
    audio: Mutex<Option<ThreadId>>,
}
struct CheckingHandlers;

impl SharedHandler<'_> for CheckingShared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}
impl HostThreadCheckImpl for CheckingShared {
    fn is_main_thread(&self) -> bool {
        std::thread::current().id() == self.main
    }
    fn is_audio_thread(&self) -> bool {
        *self.audio.lock().unwrap() == Some(std::thread::current().id())
    }
}
impl HostHandlers for CheckingHandlers {
    type Shared<'a> = CheckingShared;
    type MainThread<'a> = MainThread;
    type AudioProcessor<'a> = AudioThread;

    fn declare_extensions(builder: &mut HostExtensions<Self>, _shared: &Self::Shared<'_>) {
        builder.register::<HostThreadCheck>();
    }
}

/// Lets a scoped thread borrow the instance while the main thread waits for it (the call under test is
/// exactly a host breaking the threading rules; nothing else touches the instance meanwhile).
struct OnAnotherThread<'a>(&'a mut Instance<CheckingHandlers>);
// SAFETY: only one thread uses the instance at a time: the main thread blocks in `scope` until it ends.
unsafe impl Send for OnAnotherThread<'_> {}

#[test]
fn main_thread_calls_from_the_audio_thread_are_refused_when_the_host_can_tell() {
    let entry = entry();
    let info = HostInfo::new("ferrule-thread-checking-host", "Ferrule", "", "0").unwrap();
    let plugin = PluginInstance::<CheckingHandlers>::new(
        |_| CheckingShared { main: std::thread::current().id(), audio: Mutex::new(None) },
        |_| MainThread,
        &entry,
        c"org.ferrule.ferrule",
        &info,
    )
    .expect("instantiates");
    let mut plugin = Instance { plugin };
    plugin.load_state(&sine_state(0.0)).expect("a state load on the main thread is accepted");
    let saved = plugin.save_state().expect("a save on the main thread is accepted");
    let other = sine_state(1.0);
    let (loaded, saved_there, activated) = std::thread::scope(|scope| {
        let wrapper = OnAnotherThread(&mut plugin);
        scope
            .spawn(move || {
                let wrapper = wrapper;
                let plugin = wrapper.0;
                let id = std::thread::current().id();
                plugin.plugin.access_shared_handler(|shared| *shared.audio.lock().unwrap() = Some(id));
                let loaded = plugin.load_state(&other);
                let saved = plugin.save_state();
                let config =
                    PluginAudioConfiguration { sample_rate: 48_000.0, min_frames_count: 1, max_frames_count: 256 };
                let activated = plugin.plugin.activate(|_, _| AudioThread, config).map(|_| ());
                plugin.plugin.access_shared_handler(|shared| *shared.audio.lock().unwrap() = None);
                (loaded.is_ok(), saved.is_ok(), activated.is_ok())
            })
            .join()
            .expect("the plugin did not panic")
    });
    assert!(!loaded, "a state load from the audio thread is refused");
    assert!(!saved_there, "a state save from the audio thread is refused");
    assert!(!activated, "activation from the audio thread is refused");
    // The refused load changed nothing: the saved state is still the first one and plays at full level.
    assert_eq!(plugin.save_state().unwrap(), saved);
    let config = PluginAudioConfiguration { sample_rate: 48_000.0, min_frames_count: 1, max_frames_count: 256 };
    let mut processor =
        plugin.plugin.activate(|_, _| AudioThread, config).expect("activates").start_processing().unwrap();
    let out = render(&mut processor, 256, 9_600, &[Input::On(0, 69)]);
    assert!((db(peak(&out)) - db(0.5)).abs() < 0.1, "still macro 0: {:.2} dBFS", db(peak(&out)));
    plugin.plugin.deactivate(processor.stop_processing());
}

// ---- VST3: the same rules where the format gives us the calls ----

mod vst3_host {
    use super::*;
    use vst3::Steinberg::Vst::*;
    use vst3::Steinberg::*;
    use vst3::{ComPtr, Interface};

    pub struct Module {
        pub factory: ComPtr<IPluginFactory>,
        _library: libloading::Library,
    }

    fn bundle() -> PathBuf {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bundled/Ferrule.vst3");
        assert!(path.exists(), "{} is missing: run `cargo xtask bundle`", path.display());
        path.join("Contents/x86_64-linux/Ferrule.so")
    }

    pub fn load() -> Module {
        // SAFETY: loading our own plugin, built from this repository; the entry points have these
        // signatures.
        unsafe {
            let library = libloading::Library::new(bundle()).expect("the bundle's library loads");
            let entry: libloading::Symbol<extern "system" fn(*mut c_void) -> bool> =
                library.get(b"ModuleEntry").expect("exports ModuleEntry");
            assert!(entry(std::ptr::null_mut()));
            let get_factory: libloading::Symbol<extern "system" fn() -> *mut IPluginFactory> =
                library.get(b"GetPluginFactory").expect("exports GetPluginFactory");
            let factory = ComPtr::from_raw(get_factory()).expect("a factory");
            Module { factory, _library: library }
        }
    }

    /// The component and its processor interface.
    pub struct Component {
        pub component: ComPtr<IComponent>,
        pub processor: ComPtr<IAudioProcessor>,
    }

    impl Drop for Component {
        fn drop(&mut self) {
            // SAFETY: our own valid instance.
            unsafe { self.component.terminate() };
        }
    }

    impl Module {
        pub fn component(&self) -> Component {
            // SAFETY: the factory's documented calls with valid out pointers.
            unsafe {
                let mut cid = None;
                for index in 0..self.factory.countClasses() {
                    let mut info: PClassInfo = std::mem::zeroed();
                    assert_eq!(self.factory.getClassInfo(index, &mut info), kResultOk);
                    if std::ffi::CStr::from_ptr(info.category.as_ptr()).to_bytes() == b"Audio Module Class" {
                        cid = Some(info.cid);
                    }
                }
                let cid = cid.expect("an audio module class");
                let mut obj = std::ptr::null_mut();
                let iid = IComponent::IID.as_ptr() as FIDString;
                assert_eq!(self.factory.createInstance(cid.as_ptr(), iid, &mut obj), kResultOk);
                let component = ComPtr::from_raw(obj as *mut IComponent).expect("a component");
                assert_eq!(component.initialize(std::ptr::null_mut()), kResultOk);
                let processor = component.cast::<IAudioProcessor>().expect("a processor");
                Component { component, processor }
            }
        }
    }

    impl Component {
        /// One `process` call of `left.len()` frames with no events; returns the result code.
        pub fn process(&self, left: &mut [f32], right: &mut [f32]) -> tresult {
            let mut channels = [left.as_mut_ptr(), right.as_mut_ptr()];
            let mut bus = AudioBusBuffers {
                numChannels: 2,
                silenceFlags: 0,
                __field0: AudioBusBuffers__type0 { channelBuffers32: channels.as_mut_ptr() },
            };
            let mut data = ProcessData {
                processMode: ProcessModes_::kRealtime as int32,
                symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
                numSamples: left.len() as int32,
                numInputs: 0,
                numOutputs: 1,
                inputs: std::ptr::null_mut(),
                outputs: &mut bus,
                inputParameterChanges: std::ptr::null_mut(),
                outputParameterChanges: std::ptr::null_mut(),
                inputEvents: std::ptr::null_mut(),
                outputEvents: std::ptr::null_mut(),
                processContext: std::ptr::null_mut(),
            };
            // SAFETY: valid process data whose buffers outlive the call.
            unsafe { self.processor.process(&mut data) }
        }

        pub fn set_active(&self, active: bool) -> tresult {
            // SAFETY: our own valid instance.
            unsafe { self.component.setActive(active as TBool) }
        }

        pub fn set_processing(&self, processing: bool) -> tresult {
            // SAFETY: our own valid instance.
            unsafe { self.processor.setProcessing(processing as TBool) }
        }

        pub fn setup(&self, rate: f64, max: i32) -> tresult {
            let mut setup = ProcessSetup {
                processMode: ProcessModes_::kRealtime as int32,
                symbolicSampleSize: SymbolicSampleSizes_::kSample32 as int32,
                maxSamplesPerBlock: max,
                sampleRate: rate,
            };
            // SAFETY: a valid setup.
            unsafe { self.processor.setupProcessing(&mut setup) }
        }
    }
}

#[test]
fn vst3_process_before_set_active_or_set_processing_gives_silence() {
    use vst3::Steinberg::{kResultFalse, kResultOk};
    let module = vst3_host::load();
    let c = module.component();
    let (mut left, mut right) = (vec![0.25f32; 512], vec![0.25f32; 512]);
    // Not set up, not active: a silent block, not a crash.
    assert_eq!(c.process(&mut left, &mut right), kResultOk);
    assert!(left.iter().chain(&right).all(|&x| x == 0.0), "silence before setupProcessing");
    // Set up but not active: silence.
    assert_eq!(c.setup(48_000.0, 512), kResultOk);
    left.fill(0.25);
    assert_eq!(c.process(&mut left, &mut right), kResultOk);
    assert!(left.iter().all(|&x| x == 0.0), "silence before setActive");
    // Active but not processing: a block without notes is silent.
    assert_eq!(c.set_active(true), kResultOk);
    left.fill(0.25);
    assert_eq!(c.process(&mut left, &mut right), kResultOk);
    assert!(left.iter().all(|&x| x == 0.0), "silence before setProcessing");
    // A block larger than the maximum set up, and a zero-frame one, are survived.
    let (mut big_l, mut big_r) = (vec![0.25f32; 4_096], vec![0.25f32; 4_096]);
    assert_eq!(c.process(&mut big_l, &mut big_r), kResultOk);
    assert!(big_l.iter().all(|&x| x == 0.0));
    assert_eq!(c.process(&mut [], &mut []), kResultOk);
    assert_eq!(c.set_active(false), kResultOk);
    // A sample rate the engine cannot run at is refused at setup, never in process; the setup before it
    // stays, so activation still succeeds (and a block without notes is silent).
    assert_eq!(c.setup(f64::NAN, 512), kResultFalse);
    assert_eq!(c.setup(10.0, 512), kResultFalse);
    assert_eq!(c.set_active(true), kResultOk);
    left.fill(0.25);
    assert_eq!(c.process(&mut left, &mut right), kResultOk);
    assert!(left.iter().all(|&x| x == 0.0), "silence after a refused setup");
    assert_eq!(c.set_active(false), kResultOk);
}

#[test]
fn vst3_fifty_activations_at_changing_rates_each_succeed() {
    use vst3::Steinberg::kResultOk;
    let module = vst3_host::load();
    let c = module.component();
    let (mut left, mut right) = (vec![0.0f32; 256], vec![0.0f32; 256]);
    for cycle in 0..50 {
        let rate = [44_100.0, 48_000.0, 96_000.0][cycle % 3];
        assert_eq!(c.setup(rate, 256), kResultOk);
        assert_eq!(c.set_active(true), kResultOk, "cycle {cycle}");
        assert_eq!(c.set_processing(true), kResultOk);
        assert_eq!(c.process(&mut left, &mut right), kResultOk);
        assert_eq!(c.set_processing(false), kResultOk);
        assert_eq!(c.set_active(false), kResultOk);
    }
}
