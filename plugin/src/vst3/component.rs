//! The VST3 audio component: buses, activation, state and `process`, translated to the plugin core.

use std::sync::atomic::Ordering;
use std::sync::{Arc, TryLockError};

use vst3::Steinberg::Vst::BusDirections_::{kInput, kOutput};
use vst3::Steinberg::Vst::Event_::EventTypes_::{
    kNoteExpressionValueEvent, kNoteOffEvent, kNoteOnEvent, kPolyPressureEvent,
};
use vst3::Steinberg::Vst::IProcessContextRequirements_::Flags_::{
    kNeedProjectTimeMusic, kNeedTempo, kNeedTransportState,
};
use vst3::Steinberg::Vst::MediaTypes_::{kAudio, kEvent};
use vst3::Steinberg::Vst::ProcessContext_::StatesAndFlags_::{kPlaying, kProjectTimeMusicValid, kTempoValid};
use vst3::Steinberg::Vst::SymbolicSampleSizes_::kSample32;
use vst3::Steinberg::Vst::*;
use vst3::Steinberg::*;
use vst3::{Class, ComRef};

use ferrule_engine::EventKind;

use super::instance::{AudioState, Instance};
use super::note_ids::NoteIds;
use super::params::Vst3Param;
use super::{guarded, lock, message, note_expression, stream, text};
use crate::core::{AudioCore, NoteTag, check_sample_rate};
use crate::editor_host::play_editor_events;

/// Most parameter queues one block's changes are merged from; the instrument has far fewer parameters,
/// so only a host repeating ids or sending unknown ones reaches it (the extra queues are ignored).
const MAX_QUEUES: usize = 256;

/// Ferrule's VST3 component and audio processor. Its state lives in the [`Instance`] it shares with its
/// controller (see [`super::instance`] for how the controller finds it).
pub struct Component {
    instance: Arc<Instance>,
}

impl Class for Component {
    type Interfaces = (IComponent, IAudioProcessor, IProcessContextRequirements, IConnectionPoint);
}

impl Component {
    /// A component playing the embedded default patch. Main thread.
    pub fn new() -> Component {
        Component { instance: Instance::new() }
    }

    /// Drops the audio-thread core (here, on the main thread, never in `process`) and takes the editor's
    /// ring back. Main thread.
    fn deactivate(&self) {
        let audio = lock(&self.instance.audio).take();
        let mut main = lock(&self.instance.main);
        if let Some(AudioState { core, editor, .. }) = audio {
            drop(core);
            main.editor.return_audio_end(editor);
        }
        main.core.deactivate();
    }

    /// Renders one block. Audio thread; allocation-free.
    ///
    /// # Safety
    /// `data` is null or the host's valid `ProcessData` for this call.
    unsafe fn process_block(&self, data: *mut ProcessData) -> tresult {
        // SAFETY: the host passes valid process data or null.
        let Some(data) = (unsafe { data.as_ref() }) else { return kInvalidArgument };
        let mut audio = match self.instance.audio.try_lock() {
            Ok(audio) => audio,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                // SAFETY: `data` is the host's valid `ProcessData` for this call (our caller's promise), so its
                // output pointers are valid for `numSamples` frames or null, as `silence` requires.
                unsafe { silence(data) };
                return kResultOk;
            }
        };
        let Some(AudioState { core, editor, note_ids }) = audio.as_mut() else {
            // SAFETY: `data` is the host's valid `ProcessData` for this call (our caller's promise), so its
            // output pointers are valid for `numSamples` frames or null, as `silence` requires.
            unsafe { silence(data) };
            return kResultOk;
        };
        // SAFETY: `data` is the host's valid `ProcessData`, so `inputParameterChanges` is null or a live
        // `IParameterChanges` for this call; `changes` (borrowing `data`) does not outlive the call.
        let changes = unsafe { ComRef::from_raw(data.inputParameterChanges) };
        // SAFETY: likewise `inputEvents` is null or a live `IEventList` for this call, borrowed no longer.
        let events = unsafe { ComRef::from_raw(data.inputEvents) };
        // SAFETY: `data` is valid for this call, so its output pointers are valid for `numSamples` frames or
        // null, and a VST3 host gives each channel its own buffer (`stereo_output` also refuses equal pointers).
        let output = unsafe { stereo_output(data) };
        let has_output = output.is_some();
        // No frames: a parameter flush (or a host ignoring the stereo arrangement). Its events and values
        // still reach the engine, through an empty render.
        let (left, right) = output.unwrap_or((&mut [], &mut []));
        core.begin();
        // SAFETY: `processContext` of the host's valid `ProcessData` is null or a `ProcessContext` the host keeps
        // alive and unchanged for this call; it is only read.
        if let Some(context) = unsafe { data.processContext.as_ref() } {
            let tempo = (context.state & kTempoValid != 0).then_some(context.tempo);
            let playing = context.state & (kPlaying | kProjectTimeMusicValid) == kPlaying | kProjectTimeMusicValid;
            core.set_transport(tempo, playing.then_some(context.projectTimeMusic));
        }
        // The editor's notes play at frame 0: queued first so the host's events stay in time order. Its
        // gestures never come this way (the controller tells the host on the main thread).
        if let Some(ring) = editor.as_mut() {
            play_editor_events(ring, core, |_| {});
        }
        // SAFETY: `events` and `changes` came from this call's valid `ProcessData` just above, as `feed` requires.
        unsafe { feed(core, note_ids, events, changes) };
        core.render(left, right);
        self.instance.meters.publish(core, left, right);
        if has_output {
            let silent = left.iter().chain(right.iter()).all(|&x| x == 0.0);
            // SAFETY: `stereo_output` found the first output bus; only its flags are written.
            unsafe { (*data.outputs).silenceFlags = if silent { 0b11 } else { 0 } };
        }
        kResultOk
    }
}

/// Zeroes whatever output buffers the host gave.
///
/// # Safety
/// `data`'s output pointers are valid for `numSamples` frames, or null.
unsafe fn silence(data: &ProcessData) {
    // SAFETY: by this function's contract `data`'s output pointers are valid for `numSamples` frames or null,
    // which is what `stereo_output` needs; it returns two distinct channels (it refuses equal pointers).
    if let Some((left, right)) = unsafe { stereo_output(data) } {
        left.fill(0.0);
        right.fill(0.0);
    }
}

/// The first output bus's two channels, if the host gave a 32-bit stereo output with frames in it.
///
/// # Safety
/// `data`'s output pointers are valid for `numSamples` frames, or null; the two channels do not overlap.
unsafe fn stereo_output<'a>(data: &ProcessData) -> Option<(&'a mut [f32], &'a mut [f32])> {
    let frames = usize::try_from(data.numSamples).ok().filter(|&n| n > 0)?;
    if data.numOutputs < 1 || data.symbolicSampleSize != kSample32 as i32 {
        return None;
    }
    // SAFETY: numOutputs ≥ 1, so the first bus is readable.
    let bus = unsafe { data.outputs.as_ref() }?;
    if bus.numChannels < 2 {
        return None;
    }
    // SAFETY: a 32-bit bus uses the 32-bit buffer pointers.
    let channels = unsafe { bus.__field0.channelBuffers32 };
    if channels.is_null() {
        return None;
    }
    // SAFETY: the bus has at least two channel pointers.
    let (left, right) = unsafe { (*channels, *channels.add(1)) };
    if left.is_null() || right.is_null() || left == right {
        return None;
    }
    // SAFETY: each channel holds `frames` samples and they are distinct buffers.
    Some(unsafe { (std::slice::from_raw_parts_mut(left, frames), std::slice::from_raw_parts_mut(right, frames)) })
}

/// Where one parameter queue's merge has got to.
#[derive(Clone, Copy)]
struct Cursor {
    /// The queue's position in the block's list.
    queue: i32,
    id: u32,
    next: i32,
    count: i32,
    /// The offset and value of point `next`.
    offset: i32,
    value: f64,
}

/// Reads point `index` of the queue at `queue` in `changes`, if the host has it.
///
/// # Safety
/// `changes` is the host's valid list for this block.
unsafe fn point(changes: ComRef<'_, IParameterChanges>, queue: i32, index: i32) -> Option<(i32, f64)> {
    // SAFETY: valid list for this block.
    let queue = unsafe { ComRef::from_raw(changes.getParameterData(queue)) }?;
    let (mut offset, mut value) = (0, 0.0);
    // SAFETY: valid queue; the out pointers are locals.
    (unsafe { queue.getPoint(index, &mut offset, &mut value) } == kResultOk).then_some((offset, value))
}

/// Hands the block's note events and parameter points to the audio core in time order (VST3 keeps them
/// in separate lists, one parameter queue per id, each in time order). Allocation-free: the merge state
/// lives on the stack, and each step costs one pass over the queues.
///
/// # Safety
/// `events` and `changes` are the host's valid lists for this block.
unsafe fn feed(
    core: &mut AudioCore,
    note_ids: &mut NoteIds,
    events: Option<ComRef<'_, IEventList>>,
    changes: Option<ComRef<'_, IParameterChanges>>,
) {
    let mut cursors = [Cursor { queue: 0, id: 0, next: 0, count: 0, offset: 0, value: 0.0 }; MAX_QUEUES];
    let mut queues = 0;
    if let Some(changes) = changes {
        // SAFETY: valid list for this block.
        let count = unsafe { changes.getParameterCount() }.clamp(0, MAX_QUEUES as i32);
        for queue in 0..count {
            // SAFETY: `changes` is the host's valid list for this block (our caller's promise); `getParameterData`
            // returns null or a queue the list owns for the block, and `queue` is below its count.
            let Some(data) = (unsafe { ComRef::from_raw(changes.getParameterData(queue)) }) else { continue };
            // SAFETY: valid queue for this block.
            let (id, count) = unsafe { (data.getParameterId(), data.getPointCount()) };
            // SAFETY: `changes` is the host's valid list for this block, as `point` requires.
            if let Some((offset, value)) = unsafe { point(changes, queue, 0) } {
                cursors[queues] = Cursor { queue, id, next: 0, count, offset, value };
                queues += 1;
            }
        }
    }
    // SAFETY: valid list for this block.
    let event_count = events.map_or(0, |list| unsafe { list.getEventCount() }.max(0));
    let mut next_event = 0;
    let mut pending: Option<Event> = None;
    // Each pass applies one point or one event, or ends: at most (points + events + 1) passes.
    loop {
        while pending.is_none() && next_event < event_count {
            // SAFETY: `Event` is plain data (integers, floats and pointers) the host fills in.
            let mut e: Event = unsafe { std::mem::zeroed() };
            // SAFETY: valid list; `e` is a local.
            if events.is_some_and(|list| unsafe { list.getEvent(next_event, &mut e) } == kResultOk) {
                pending = Some(e);
            }
            next_event += 1;
        }
        let earliest = cursors[..queues].iter_mut().filter(|c| c.next < c.count).min_by_key(|c| c.offset);
        match (earliest, pending) {
            (Some(cursor), Some(e)) if cursor.offset <= e.sampleOffset => {
                // SAFETY: `changes` is the host's valid list for this block (our caller's promise).
                unsafe { apply_point(core, changes, cursor) }
            }
            (Some(cursor), None) => {
                // SAFETY: `changes` is the host's valid list for this block (our caller's promise).
                unsafe { apply_point(core, changes, cursor) }
            }
            (_, Some(e)) => {
                // SAFETY: the union member read matches the event's type.
                unsafe { apply_event(core, note_ids, &e) };
                pending = None;
            }
            (None, None) => return,
        }
    }
}

/// Applies the cursor's current point and moves it on.
///
/// # Safety
/// `changes` is the host's valid list for this block.
unsafe fn apply_point(core: &mut AudioCore, changes: Option<ComRef<'_, IParameterChanges>>, cursor: &mut Cursor) {
    let time = cursor.offset.max(0) as u32;
    match Vst3Param::from_id(cursor.id) {
        Some(param @ Vst3Param::Core(_)) => core.param(time, cursor.id, param.denormalize(cursor.value)),
        Some(Vst3Param::Midi(n)) => crate::midi::translate(core, time, Vst3Param::midi_message(n, cursor.value)),
        None => {}
    }
    cursor.next += 1;
    if cursor.next >= cursor.count {
        return;
    }
    // SAFETY: `changes` is the host's valid list for this block (our caller's promise), as `point` requires.
    match changes.and_then(|changes| unsafe { point(changes, cursor.queue, cursor.next) }) {
        Some((offset, value)) => {
            // Points are in time order; a host that breaks that has them applied as they come.
            cursor.offset = offset.max(cursor.offset);
            cursor.value = value;
        }
        None => cursor.next = cursor.count,
    }
}

/// Hands one VST3 event to the audio core, keeping `note_ids` (which key each host note id plays) up to
/// date for the note expressions that name them.
///
/// # Safety
/// The union member read matches `event.type`.
unsafe fn apply_event(core: &mut AudioCore, note_ids: &mut NoteIds, event: &Event) {
    let time = event.sampleOffset.max(0) as u32;
    let key = |pitch: i16| u8::try_from(pitch).ok().filter(|&k| k < 128);
    match event.r#type as u32 {
        kNoteOnEvent => {
            // SAFETY: the type says note-on.
            let e = unsafe { &event.__field0.noteOn };
            if let Some(key) = key(e.pitch) {
                let tag = NoteTag { note_id: e.noteId, channel: e.channel, port: event.busIndex as i16 };
                note_ids.note_on(key, e.noteId);
                core.note_on(time, key, e.velocity.clamp(0.0, 1.0), tag);
            }
        }
        kNoteOffEvent => {
            // SAFETY: the type says note-off.
            let e = unsafe { &event.__field0.noteOff };
            if let Some(note) = key(e.pitch) {
                // The key keeps its note id: expressions may follow the note through its release.
                core.event(time, EventKind::NoteOff { note });
            }
        }
        kPolyPressureEvent => {
            // SAFETY: the type says poly pressure.
            let e = unsafe { &event.__field0.polyPressure };
            if let Some(note) = key(e.pitch) {
                core.event(time, EventKind::PolyPressure { note, value: e.pressure.clamp(0.0, 1.0) });
            }
        }
        kNoteExpressionValueEvent => {
            // SAFETY: the type says note expression value.
            let e = unsafe { &event.__field0.noteExpressionValue };
            // The event names the host's note id only (no pitch): an id no key has (−1 or unknown) changes
            // nothing, and one whose voice has ended finds nothing to change.
            let expression = note_expression::expression(e.typeId);
            if let (Some(note), Some(expression)) = (note_ids.key(e.noteId), expression)
                && let Some(value) = note_expression::plain(expression, e.value)
            {
                core.event(time, EventKind::NoteExpression { note, expression, value });
            }
        }
        _ => {}
    }
}

impl IPluginBaseTrait for Component {
    unsafe fn initialize(&self, _context: *mut FUnknown) -> tresult {
        kResultOk
    }

    unsafe fn terminate(&self) -> tresult {
        guarded(|| {
            self.deactivate();
            kResultOk
        })
    }
}

impl IComponentTrait for Component {
    unsafe fn getControllerClassId(&self, class_id: *mut TUID) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable TUID or null.
            match unsafe { class_id.as_mut() } {
                Some(class_id) => {
                    *class_id = super::CONTROLLER_CID;
                    kResultOk
                }
                None => kInvalidArgument,
            }
        })
    }

    unsafe fn setIoMode(&self, _mode: IoMode) -> tresult {
        kResultOk
    }

    unsafe fn getBusCount(&self, media_type: MediaType, dir: BusDirection) -> int32 {
        match (media_type as u32, dir as u32) {
            (kAudio, kOutput) | (kEvent, kInput) => 1,
            _ => 0,
        }
    }

    unsafe fn getBusInfo(&self, media_type: MediaType, dir: BusDirection, index: int32, bus: *mut BusInfo) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable BusInfo or null.
            let Some(bus) = (unsafe { bus.as_mut() }) else { return kInvalidArgument };
            let (name, channels) = match (media_type as u32, dir as u32, index) {
                (kAudio, kOutput, 0) => ("Output", 2),
                (kEvent, kInput, 0) => ("Notes", 16),
                _ => return kInvalidArgument,
            };
            bus.mediaType = media_type;
            bus.direction = dir;
            bus.channelCount = channels;
            text::copy_wstring(name, &mut bus.name);
            bus.busType = BusTypes_::kMain as BusType;
            bus.flags = BusInfo_::BusFlags_::kDefaultActive;
            kResultOk
        })
    }

    unsafe fn getRoutingInfo(&self, _in_info: *mut RoutingInfo, _out_info: *mut RoutingInfo) -> tresult {
        kNotImplemented
    }

    unsafe fn activateBus(&self, _media_type: MediaType, _dir: BusDirection, _index: int32, _state: TBool) -> tresult {
        kResultOk
    }

    unsafe fn setActive(&self, state: TBool) -> tresult {
        guarded(|| {
            // Without a run loop this is one of the main-thread calls that brings reload results in.
            self.instance.poll_reload();
            if state == 0 {
                self.deactivate();
                return kResultOk;
            }
            let mut main = lock(&self.instance.main);
            let (rate, max) = (main.sample_rate, main.max_block);
            match main.core.activate(rate, max) {
                Ok(core) => {
                    self.instance.latency.store(main.core.latency(), Ordering::Relaxed);
                    let mut audio = lock(&self.instance.audio);
                    // Activated again without a deactivation: the old core's ring end moves over.
                    let old = audio.take().and_then(|old| old.editor);
                    let editor = old.or_else(|| main.editor.take_audio_end());
                    *audio = Some(AudioState { core, editor, note_ids: NoteIds::default() });
                    kResultOk
                }
                Err(_) => kResultFalse,
            }
        })
    }

    unsafe fn setState(&self, state: *mut IBStream) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a valid stream or null.
            let Ok(bytes) = (unsafe { stream::read_to_end(state) }) else { return kInvalidArgument };
            let mut main = lock(&self.instance.main);
            match main.core.load_state(&bytes) {
                Ok(()) => {
                    self.instance.latency.store(main.core.latency(), Ordering::Relaxed);
                    kResultOk
                }
                Err(_) => kResultFalse,
            }
        })
    }

    unsafe fn getState(&self, state: *mut IBStream) -> tresult {
        guarded(|| {
            self.instance.poll_reload();
            let bytes = self.instance.save_state();
            // SAFETY: the host passes a valid stream or null.
            match unsafe { stream::write_all(state, &bytes) } {
                Ok(()) => kResultOk,
                Err(_) => kResultFalse,
            }
        })
    }
}

impl IAudioProcessorTrait for Component {
    unsafe fn setBusArrangements(
        &self,
        _inputs: *mut SpeakerArrangement,
        num_ins: int32,
        outputs: *mut SpeakerArrangement,
        num_outs: int32,
    ) -> tresult {
        guarded(|| {
            // SAFETY: the host passes `num_outs` arrangements.
            let stereo = num_outs == 1 && unsafe { outputs.as_ref() }.is_some_and(|&a| a == SpeakerArr::kStereo);
            if num_ins == 0 && stereo { kResultTrue } else { kResultFalse }
        })
    }

    unsafe fn getBusArrangement(&self, dir: BusDirection, index: int32, arr: *mut SpeakerArrangement) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable arrangement or null.
            match (dir as u32, index, unsafe { arr.as_mut() }) {
                (kOutput, 0, Some(arr)) => {
                    *arr = SpeakerArr::kStereo;
                    kResultOk
                }
                _ => kInvalidArgument,
            }
        })
    }

    unsafe fn canProcessSampleSize(&self, symbolic_sample_size: int32) -> tresult {
        if symbolic_sample_size == kSample32 as i32 { kResultTrue } else { kResultFalse }
    }

    unsafe fn getLatencySamples(&self) -> uint32 {
        self.instance.latency.load(Ordering::Relaxed)
    }

    unsafe fn setupProcessing(&self, setup: *mut ProcessSetup) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a valid setup or null.
            let Some(setup) = (unsafe { setup.as_ref() }) else { return kInvalidArgument };
            // Refused before anything is kept, so the setup before it stays and the next valid one recovers
            // (keeping a rate the engine cannot run at failed every later activation).
            if setup.symbolicSampleSize != kSample32 as i32
                || check_sample_rate(setup.sampleRate).is_err()
                || setup.maxSamplesPerBlock < 1
            {
                return kResultFalse;
            }
            let mut main = lock(&self.instance.main);
            main.sample_rate = setup.sampleRate;
            main.max_block = setup.maxSamplesPerBlock as u32;
            kResultOk
        })
    }

    unsafe fn setProcessing(&self, _state: TBool) -> tresult {
        kResultOk
    }

    unsafe fn process(&self, data: *mut ProcessData) -> tresult {
        // SAFETY: forwarded host pointer.
        guarded(|| unsafe { self.process_block(data) })
    }

    unsafe fn getTailSamples(&self) -> uint32 {
        0
    }
}

impl IProcessContextRequirementsTrait for Component {
    unsafe fn getProcessContextRequirements(&self) -> uint32 {
        kNeedTempo | kNeedProjectTimeMusic | kNeedTransportState
    }
}

impl IConnectionPointTrait for Component {
    unsafe fn connect(&self, other: *mut IConnectionPoint) -> tresult {
        guarded(|| {
            // SAFETY: the host passes its (or the controller's) live connection point, or null.
            match unsafe { ComRef::from_raw(other) } {
                Some(other) => message::send_instance_key(other, self.instance.key()),
                None => kInvalidArgument,
            }
        })
    }

    unsafe fn disconnect(&self, _other: *mut IConnectionPoint) -> tresult {
        kResultOk
    }

    unsafe fn notify(&self, _message: *mut IMessage) -> tresult {
        // The controller sends nothing: it reaches the instance directly.
        kResultFalse
    }
}
