//! The CLAP adapter (clack): translates CLAP calls and events to the plugin core and back. No logic of
//! its own beyond translation. The editor window lives in `window` (`clap/window.rs`).

mod wake;
mod window;

use std::cell::{Cell, RefCell};
use std::ffi::{CStr, CString};
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::sync::Arc;

use clack_extensions::audio_ports::{
    AudioPortFlags, AudioPortInfo, AudioPortInfoWriter, AudioPortType, PluginAudioPorts, PluginAudioPortsImpl,
};
use clack_extensions::gui::PluginGui;
use clack_extensions::latency::{HostLatency, PluginLatency, PluginLatencyImpl};
use clack_extensions::log::{HostLog, LogSeverity};
use clack_extensions::note_ports::{
    NoteDialect, NoteDialects, NotePortInfo, NotePortInfoWriter, PluginNotePorts, PluginNotePortsImpl,
};
use clack_extensions::params::{
    HostParams, ParamDisplayWriter, ParamInfo, ParamInfoFlags, ParamInfoWriter, ParamRescanFlags,
    PluginAudioProcessorParams, PluginMainThreadParams, PluginParams,
};
use clack_extensions::state::{HostState, PluginState, PluginStateImpl};
use clack_extensions::thread_check::HostThreadCheck;
use clack_extensions::timer::{HostTimer, PluginTimer, PluginTimerImpl, TimerId};
use clack_plugin::events::event_types::{
    NoteEndEvent, NoteExpressionType, ParamGestureBeginEvent, ParamGestureEndEvent, ParamValueEvent, TransportFlags,
};
use clack_plugin::events::spaces::CoreEventSpace;
use clack_plugin::events::{Match, Pckn};
use clack_plugin::prelude::*;
use clack_plugin::stream::{InputStream, OutputStream};
use ferrule_reload::ReloadEvent;

use ferrule_engine::{EventKind, Expression};

use crate::core::Meters;
use crate::core::params::PARAM_IDS;
use crate::core::{AudioCore, NoteTag, Param, PluginCore, SharedParams};
use crate::editor_host::{GuiEvent, play_editor_events};
use crate::midi;
use wake::Wake;
use window::ClapGui;

/// Ferrule as a CLAP plugin.
pub struct FerruleClap;

impl Plugin for FerruleClap {
    type AudioProcessor<'a> = ClapAudio<'a>;
    type Shared<'a> = ClapShared;
    type MainThread<'a> = ClapMainThread<'a>;

    fn declare_extensions(builder: &mut PluginExtensions<Self>, _shared: Option<&ClapShared>) {
        builder
            .register::<PluginAudioPorts>()
            .register::<PluginNotePorts>()
            .register::<PluginParams>()
            .register::<PluginState>()
            .register::<PluginLatency>()
            .register::<PluginTimer>()
            .register::<PluginGui>();
    }
}

impl DefaultPluginFactory for FerruleClap {
    fn get_descriptor() -> PluginDescriptor {
        use clack_plugin::plugin::features::{INSTRUMENT, STEREO, SYNTHESIZER};
        PluginDescriptor::new(crate::PLUGIN_ID, crate::PLUGIN_NAME)
            .with_vendor(crate::VENDOR)
            .with_version(env!("CARGO_PKG_VERSION"))
            .with_description("A modular synthesizer whose patches are text files you can edit while you play.")
            .with_features([INSTRUMENT, SYNTHESIZER, STEREO])
    }

    fn new_shared(_host: HostSharedHandle) -> Result<ClapShared, PluginError> {
        Ok(ClapShared { params: Arc::new(SharedParams::default()), meters: Meters::default() })
    }

    fn new_main_thread<'a>(
        host: HostMainThreadHandle<'a>,
        shared: &'a ClapShared,
    ) -> Result<ClapMainThread<'a>, PluginError> {
        let mut core = crate::guard(|| PluginCore::new(shared.params.clone()))
            .ok_or(PluginError::Message("Ferrule failed to start"))?;
        // A main-thread tick brings hot-reload results to the host; hosts without timers still get them
        // through `on_main_thread` whenever the plugin asks for a callback.
        let timer =
            host.get_extension::<HostTimer>().and_then(|timer| timer.register_timer(&host, RELOAD_POLL_MS).ok());
        // SAFETY: the wake's holders (the editor window, the core's reload thread) are closed and joined
        // in `drop`, before the host destroys the instance.
        let wake = timer.is_none().then(|| unsafe { wake::host_wake(host.shared()) });
        // Without a timer, the reload thread asks for the callback exactly when it has a result.
        core.set_reload_notify(wake.clone());
        Ok(ClapMainThread {
            host,
            shared,
            core: RefCell::new(core),
            timer,
            latency: Cell::new(None),
            restart_requested: Cell::new(false),
            gui: ClapGui::new(wake.clone()),
            wake,
        })
    }
}

/// What the main and audio threads share: the parameter values and the editor's meters.
pub struct ClapShared {
    params: Arc<SharedParams>,
    meters: Meters,
}

impl PluginShared<'_> for ClapShared {}

/// How often the main thread looks for hot-reload results, in milliseconds.
const RELOAD_POLL_MS: u32 = 50;

/// The main-thread side: the plugin core.
pub struct ClapMainThread<'a> {
    host: HostMainThreadHandle<'a>,
    shared: &'a ClapShared,
    core: RefCell<PluginCore>,
    /// The reload-poll timer, when the host has timers.
    timer: Option<TimerId>,
    /// The latency last reported to the host, in samples; `None` until the host asks (a host that never
    /// asks does not compensate, so there is nothing to announce to it).
    latency: Cell<Option<u32>>,
    /// A restart was asked for because the latency changed, and the host has not reactivated yet.
    restart_requested: Cell<bool>,
    /// The editor window and its link to the instrument.
    gui: ClapGui,
    /// Asks the host for an `on_main_thread` call; only on hosts without timers (see [`wake`]). The
    /// editor window and the core's reload thread hold copies.
    wake: Option<Wake>,
}

impl ClapMainThread<'_> {
    /// Brings hot-reload results to the host: parameter names and values are rescanned after a reload, and
    /// a latency change asks the host to restart the plugin (it then reads the new latency while the
    /// plugin is deactivated, as the latency extension requires). Main thread.
    fn poll(&self) {
        let mut core = self.core.borrow_mut();
        core.collect_garbage();
        let mut reloaded = false;
        while let Some(event) = core.poll_reload() {
            let severity = match event {
                ReloadEvent::Reloaded(_) => {
                    reloaded = true;
                    LogSeverity::Info
                }
                ReloadEvent::Failed(_) => LogSeverity::Error,
                ReloadEvent::Missing { .. } => LogSeverity::Warning,
            };
            // The host's log shows what happened to the patch file (the editor shows it too).
            if let (Some(log), Ok(text)) = (self.host.get_extension::<HostLog>(), CString::new(event.to_string())) {
                log.log(&self.host.shared(), severity, &text);
            }
        }
        // The editor's intents (a new file, a rollback, knob moves, notes) and a fresh snapshot for it.
        reloaded |= self.gui.tick(&mut core, &self.shared.meters, Some(&self.host.shared()));
        if reloaded && let Some(params) = self.host.get_extension::<HostParams>() {
            params.rescan(&self.host, ParamRescanFlags::VALUES | ParamRescanFlags::TEXT | ParamRescanFlags::INFO);
        }
        // Another patch plays (editor or hot reload) and the project saves its source: the host must mark
        // the project changed, or closing it unsaved reopens the old sound.
        let changed = core.take_patch_changed();
        drop(core);
        if changed && let Some(state) = self.host.get_extension::<HostState>() {
            state.mark_dirty(&self.host);
        }
        self.announce_latency();
    }

    /// Asks the host for a restart (once) when the patch's latency differs from what the host was told; the
    /// host then deactivates and reactivates, and activation announces the new figure. Main thread.
    fn announce_latency(&self) {
        let current = self.core.borrow().latency();
        if self.latency.get().is_some_and(|told| told != current) && !self.restart_requested.replace(true) {
            self.host.request_restart();
        }
    }
}

impl ClapMainThread<'_> {
    /// Whether the host's thread-check extension says this main-thread-only call came from its audio
    /// thread (and not from a thread that is both, as in offline rendering). Such a call is refused: it
    /// would compile patches and allocate on the audio thread, and race the main thread for the core.
    /// Hosts without thread-check are trusted. Any thread.
    fn called_from_audio_thread(&self) -> bool {
        let Some(check) = self.host.get_extension::<HostThreadCheck>() else { return false };
        let host = self.host.shared();
        check.is_audio_thread(&host) == Some(true) && check.is_main_thread(&host) != Some(true)
    }
}

impl<'a> PluginMainThread<'a, ClapShared> for ClapMainThread<'a> {
    fn on_main_thread(&self) {
        let _ = crate::guard(|| self.poll());
    }
}

impl Drop for ClapMainThread<'_> {
    fn drop(&mut self) {
        // Every thread that may ask the host for a callback stops here, while the host handle is valid:
        // the editor window, and the reload thread (dropping the watch joins it).
        self.gui.close();
        self.core.get_mut().stop_watching();
        if let (Some(id), Some(timer)) = (self.timer, self.host.get_extension::<HostTimer>()) {
            let _ = timer.unregister_timer(&self.host, id);
        }
    }
}

impl PluginTimerImpl for ClapMainThread<'_> {
    fn on_timer(&self, timer_id: TimerId) {
        if Some(timer_id) == self.timer {
            let _ = crate::guard(|| self.poll());
        }
    }
}

/// The audio-thread side: the audio core.
pub struct ClapAudio<'a> {
    core: AudioCore,
    shared: &'a ClapShared,
    /// Notes and parameter gestures from the editor (wait-free ring).
    gui_events: Option<rtrb::Consumer<GuiEvent>>,
}

impl<'a> PluginAudioProcessor<'a, ClapShared, ClapMainThread<'a>> for ClapAudio<'a> {
    fn activate(
        _host: HostAudioProcessorHandle<'a>,
        main_thread: &ClapMainThread<'a>,
        shared: &'a ClapShared,
        config: PluginAudioConfiguration,
    ) -> Result<Self, PluginError> {
        if main_thread.called_from_audio_thread() {
            return Err(PluginError::Message("activation is a main-thread call, not an audio-thread one"));
        }
        let mut core = main_thread.core.borrow_mut();
        match crate::guard(|| core.activate(config.sample_rate, config.max_frames_count)) {
            Some(Ok(audio)) => {
                // A reload changed the latency while active: the host restarted us, and activation is
                // where CLAP lets the plugin say so.
                main_thread.restart_requested.set(false);
                if main_thread.latency.get().is_some_and(|told| told != core.latency())
                    && let Some(latency) = main_thread.host.get_extension::<HostLatency>()
                {
                    latency.changed(&main_thread.host);
                }
                Ok(ClapAudio { core: audio, shared, gui_events: main_thread.gui.take_audio_end() })
            }
            Some(Err(_)) | None => Err(PluginError::Message("the patch could not be compiled for this sample rate")),
        }
    }

    fn process(&mut self, process: Process, mut audio: Audio, events: Events) -> Result<ProcessStatus, PluginError> {
        self.core.begin();
        if let Some(t) = process.transport {
            let tempo = t.flags.contains(TransportFlags::HAS_TEMPO).then_some(t.tempo);
            let playing = t.flags.contains(TransportFlags::HAS_BEATS_TIMELINE | TransportFlags::IS_PLAYING);
            self.core.set_transport(tempo, playing.then(|| f64::from(t.song_pos_beats)));
        }
        // The editor's notes play at frame 0: queue them first so the host's events stay in time order.
        self.editor_events(events.output);
        for event in events.input {
            translate(&mut self.core, event);
        }
        let mut port = audio.output_port(0).ok_or(PluginError::Message("no output port"))?;
        let mut channels = port.channels()?.into_f32().ok_or(PluginError::Message("expected f32 output"))?;
        let (mut first, mut rest) = channels.split_at_mut(1);
        let left = first.channel_mut(0).ok_or(PluginError::Message("no left channel"))?;
        // The output port is declared stereo; a host that gives fewer channels broke the contract.
        let right = rest.channel_mut(0).ok_or(PluginError::Message("expected a stereo output"))?;
        self.core.render(left, right);
        self.shared.meters.publish(&self.core, left, right);
        for (time, key, tag) in self.core.ended_notes() {
            let pckn = Pckn::new(
                if tag.port < 0 { Match::All } else { Match::Specific(tag.port as u16) },
                if tag.channel < 0 { Match::All } else { Match::Specific(tag.channel as u16) },
                Match::Specific(key as u16),
                if tag.note_id < 0 { Match::All } else { Match::Specific(tag.note_id as u32) },
            );
            let _ = events.output.try_push(NoteEndEvent::new(time, pckn));
        }
        Ok(if self.core.is_sounding() { ProcessStatus::Continue } else { ProcessStatus::Sleep })
    }

    fn deactivate(self, main_thread: &ClapMainThread<'a>) {
        main_thread.core.borrow_mut().deactivate();
        main_thread.gui.return_audio_end(self.gui_events);
    }
}

impl ClapAudio<'_> {
    /// Plays the editor's notes at frame 0 and forwards its parameter gestures to the host. Audio thread:
    /// bounded by the ring's capacity, no allocation.
    fn editor_events(&mut self, output: &mut OutputEvents) {
        if let Some(ring) = self.gui_events.as_mut() {
            play_editor_events(ring, &mut self.core, |event| gui_param_event(event, output));
        }
    }
}

/// Tells the host about an editor gesture or value change. Other events are ignored. Any thread.
fn gui_param_event(event: GuiEvent, output: &mut OutputEvents) {
    // A full output queue drops the report; the value itself is already stored.
    let _ = match event {
        GuiEvent::Gesture { id, begin: true } => output.try_push(ParamGestureBeginEvent::new(0, ClapId::new(id))),
        GuiEvent::Gesture { id, begin: false } => output.try_push(ParamGestureEndEvent::new(0, ClapId::new(id))),
        GuiEvent::Value { id, value } => {
            output.try_push(ParamValueEvent::new(0, ClapId::new(id), Pckn::match_all(), value))
        }
        GuiEvent::NoteOn { .. } | GuiEvent::NoteOff { .. } => Ok(()),
    };
}

/// Hands one CLAP event to the audio core.
fn translate(core: &mut AudioCore, event: &UnknownEvent) {
    let time = event.header().time();
    match event.as_core_event() {
        Some(CoreEventSpace::NoteOn(e)) => {
            if let Match::Specific(key) = e.pckn().key {
                let tag = NoteTag {
                    note_id: e.pckn().raw_note_id(),
                    channel: e.pckn().raw_channel(),
                    port: e.pckn().raw_port_index(),
                };
                core.note_on(time, key.min(127) as u8, e.velocity() as f32, tag);
            }
        }
        Some(CoreEventSpace::NoteOff(e)) => match e.pckn().key {
            Match::Specific(key) => core.event(time, EventKind::NoteOff { note: key.min(127) as u8 }),
            Match::All => core.event(time, EventKind::AllNotesOff),
        },
        Some(CoreEventSpace::NoteChoke(e)) => match e.pckn().key {
            Match::Specific(key) => core.event(time, EventKind::NoteOff { note: key.min(127) as u8 }),
            Match::All => core.event(time, EventKind::AllNotesOff),
        },
        Some(CoreEventSpace::ParamValue(e)) => {
            if let Some(id) = e.param_id() {
                core.param(time, id.get(), e.value());
            }
        }
        Some(CoreEventSpace::Midi(e)) => midi::translate(core, time, e.data()),
        Some(CoreEventSpace::NoteExpression(e)) => {
            // Expressions for every key at once (a wildcard key) are not supported; hosts address notes.
            if let (Match::Specific(key), Some(kind)) = (e.pckn().key, e.expression_type()) {
                let expression = match kind {
                    NoteExpressionType::Volume => Expression::Volume,
                    NoteExpressionType::Pan => Expression::Pan,
                    NoteExpressionType::Tuning => Expression::Tuning,
                    NoteExpressionType::Vibrato => Expression::Vibrato,
                    NoteExpressionType::Expression => Expression::Expression,
                    NoteExpressionType::Brightness => Expression::Brightness,
                    NoteExpressionType::Pressure => Expression::Pressure,
                    _ => return,
                };
                let note = key.min(127) as u8;
                core.event(time, EventKind::NoteExpression { note, expression, value: e.value() as f32 });
            }
        }
        _ => {}
    }
}

impl PluginAudioProcessorParams for ClapAudio<'_> {
    fn flush(&mut self, input: &InputEvents, _output: &mut OutputEvents) {
        // The editor's events wait for the next block: a note queued here would be cleared by `begin`.
        // No audio is rendered here: store the values; the next block applies them at its frame 0.
        for event in input {
            if let Some(CoreEventSpace::ParamValue(e)) = event.as_core_event()
                && let Some(param) = e.param_id().and_then(|id| Param::from_id(id.get()))
            {
                self.core.params().set(param, e.value());
            }
        }
    }
}

impl PluginMainThreadParams for ClapMainThread<'_> {
    fn count(&self) -> u32 {
        PARAM_IDS.len() as u32
    }

    fn get_info(&self, index: u32, info: &mut ParamInfoWriter) {
        let Some(param) = PARAM_IDS.get(index as usize).and_then(|&id| Param::from_id(id)) else { return };
        let core = self.core.borrow();
        let name = core.param_name(param);
        let (min, max) = param.range();
        info.set(&ParamInfo {
            id: ClapId::new(param.id()),
            flags: ParamInfoFlags::IS_AUTOMATABLE,
            cookie: Default::default(),
            name: name.as_bytes(),
            module: match param {
                Param::Macro(_) => b"Macros",
                Param::Master => b"",
                Param::Exposed(_) => b"Parameters",
            },
            min_value: min,
            max_value: max,
            default_value: core.param_default(param),
        });
    }

    fn get_value(&self, id: ClapId) -> Option<f64> {
        Param::from_id(id.get()).map(|p| self.core.borrow().params().get(p))
    }

    fn value_to_text(&self, id: ClapId, value: f64, writer: &mut ParamDisplayWriter) -> std::fmt::Result {
        let param = Param::from_id(id.get()).ok_or(std::fmt::Error)?;
        write!(writer, "{}", self.core.borrow().param_text(param, value))
    }

    fn text_to_value(&self, id: ClapId, text: &CStr) -> Option<f64> {
        self.core.borrow().param_from_text(Param::from_id(id.get())?, text.to_str().ok()?)
    }

    fn flush(&self, input: &InputEvents, output: &mut OutputEvents) {
        // Inactive: nothing plays, so the editor's notes are dropped; its gestures go to the host.
        for event in self.gui.drain_inactive() {
            gui_param_event(event, output);
        }
        let core = self.core.borrow();
        for event in input {
            if let Some(CoreEventSpace::ParamValue(e)) = event.as_core_event()
                && let Some(param) = e.param_id().and_then(|id| Param::from_id(id.get()))
            {
                core.params().set(param, e.value());
            }
        }
    }
}

impl PluginStateImpl for ClapMainThread<'_> {
    fn save(&self, output: &mut OutputStream) -> Result<(), PluginError> {
        if self.called_from_audio_thread() {
            return Err(PluginError::Message("state is saved on the main thread, not the audio thread"));
        }
        let bytes =
            crate::guard(|| self.core.borrow().save_state()).ok_or(PluginError::Message("saving state failed"))?;
        output.write_all(&bytes)?;
        Ok(())
    }

    fn load(&self, input: &mut InputStream) -> Result<(), PluginError> {
        if self.called_from_audio_thread() {
            return Err(PluginError::Message("state is loaded on the main thread, not the audio thread"));
        }
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes)?;
        match crate::guard(|| self.core.borrow_mut().load_state(&bytes)) {
            Some(Ok(())) => {
                if let Some(params) = self.host.get_extension::<HostParams>() {
                    params
                        .rescan(&self.host, ParamRescanFlags::VALUES | ParamRescanFlags::TEXT | ParamRescanFlags::INFO);
                }
                // The project's patch may have another latency than the one playing before.
                self.announce_latency();
                Ok(())
            }
            Some(Err(_)) => Err(PluginError::Message("the state was refused; the previous sound is kept")),
            None => Err(PluginError::Message("loading state failed")),
        }
    }
}

impl PluginLatencyImpl for ClapMainThread<'_> {
    fn get(&self) -> u32 {
        let latency = self.core.borrow().latency();
        self.latency.set(Some(latency));
        latency
    }
}

impl PluginAudioPortsImpl for ClapMainThread<'_> {
    fn count(&self, is_input: bool) -> u32 {
        if is_input { 0 } else { 1 }
    }

    fn get(&self, index: u32, is_input: bool, writer: &mut AudioPortInfoWriter) {
        if !is_input && index == 0 {
            writer.set(&AudioPortInfo {
                id: ClapId::new(0),
                name: b"Output",
                channel_count: 2,
                flags: AudioPortFlags::IS_MAIN,
                port_type: Some(AudioPortType::STEREO),
                in_place_pair: None,
            });
        }
    }
}

impl PluginNotePortsImpl for ClapMainThread<'_> {
    fn count(&self, is_input: bool) -> u32 {
        if is_input { 1 } else { 0 }
    }

    fn get(&self, index: u32, is_input: bool, writer: &mut NotePortInfoWriter) {
        if is_input && index == 0 {
            writer.set(&NotePortInfo {
                id: ClapId::new(0),
                name: b"Notes",
                preferred_dialect: Some(NoteDialect::Clap),
                supported_dialects: NoteDialects::CLAP | NoteDialects::MIDI | NoteDialects::MIDI_MPE,
            });
        }
    }
}
