//! A compiled patch: flat, preallocated, ready for the audio thread.
//!
//! Everything the audio thread touches while playing is here and sized up front: the op list in
//! topological order, the wire buffers (one control period long, shared between wires by liveness), every
//! voice group's node state in one arena, parameter slots with their smoothers, modulation routes and
//! feedback buffers. The engine only reads and writes these; it never resizes them.

use std::ops::Range;

use ferrule_nodes::{KindId, Lanes, MAX_CHUNK, MAX_INPUTS, MAX_OUTPUTS, Processor, Unit};

use crate::patch::ExposedParam;
use crate::patch::exposed::MAX_EXPOSED;
use crate::patch::model::{StealPolicy, VoiceMode};

/// Index of a wire buffer (each holds [`MAX_CHUNK`] frames of [`Lanes`]).
pub(crate) type BufferId = u16;

/// A compiled patch. Built by [`crate::compile()`] on any thread, handed to the engine, played on the audio
/// thread, and dropped back on a non-audio thread.
pub struct Schedule {
    pub(crate) sample_rate: f32,
    pub(crate) max_block: usize,
    pub(crate) voice: VoiceConfig,
    /// Lane groups of voices; `groups × LANES` voice slots.
    pub(crate) groups: usize,
    pub(crate) nodes: Vec<NodeEntry>,
    /// `(key, node index)` sorted by key, for matching nodes across a swap without allocating.
    pub(crate) node_keys: Vec<(u64, u32)>,
    pub(crate) ops: Vec<Op>,
    /// Node state, group-major: `processors[group * nodes.len() + node]`.
    pub(crate) processors: Vec<Processor>,
    /// Every node's parameters, node after node (`NodeEntry::params` indexes this).
    pub(crate) params: Vec<ParamSlot>,
    /// Modulation routes grouped by destination (`ParamSlot::routes` indexes this).
    pub(crate) routes: Vec<Route>,
    /// Macro ranges and defaults, in patch order.
    pub(crate) macros: Vec<MacroInfo>,
    /// Wire buffers: `buffer_count × MAX_CHUNK` frames.
    pub(crate) buffers: Vec<Lanes>,
    /// Feedback buffers: `[slot][group]`, each `MAX_CHUNK` frames.
    pub(crate) feedback: Vec<Lanes>,
    /// Every parameter's value for the current control period, one per `params` slot. Parameters without
    /// routes are written once per period (the same for every lane group, see
    /// `play::engine::evaluate_unrouted`); routed ones are rewritten for each lane group just before their
    /// node runs.
    pub(crate) param_values: Vec<Lanes>,
    /// The `params` slots that have at least one route, node after node (`NodeEntry::routed` and
    /// `EffectEntry::routed` index this): the only parameters evaluated per lane group.
    pub(crate) routed: Vec<u32>,
    /// Buffers holding the voice output, left and right.
    pub(crate) output: [BufferId; 2],
    /// Nodes whose envelope decides when a voice ends (empty: a voice ends with a short fade after note-off).
    pub(crate) voice_envelopes: Vec<u32>,
    /// Whether nodes that did not exist before the last swap still need their first (reset) call.
    pub(crate) fresh_nodes: bool,
    pub(crate) latency: u32,
    /// A digest of the voice graph, everything but parameter values: nodes (ids and kinds), ops and wiring,
    /// routes into nodes and their depths, output, envelopes and voice groups (the effects chain is compared
    /// on its own, by `play::migrate::same_effects`). Two schedules with the same shape differ only in base
    /// parameter values, which a swap glides through; a different shape makes the engine crossfade.
    pub(crate) shape: u64,
    /// The global bus's effects, in chain order. Their parameters are in `params` after the nodes'.
    pub(crate) effects: Vec<EffectEntry>,
    /// One processor per effect (lane 0 left, lane 1 right), owning its delay lines.
    pub(crate) effect_processors: Vec<Processor>,
    /// Two stereo buffers of [`CHUNK`] frames the effect chain passes the signal through.
    pub(crate) bus: Vec<Lanes>,
    /// The parameters the patch exposes to the host, in order.
    pub(crate) exposed: Vec<ExposedParam>,
    /// The `params` slot each exposed parameter sets (`u32::MAX`: its node is not scheduled).
    pub(crate) exposed_slots: Vec<u32>,
    /// Set by [`Schedule::start_exposed_at`]: the host positions (NaN: the file's value) this schedule
    /// starts with when swapped in, replacing the ones the engine kept.
    pub(crate) exposed_start: Option<[f32; MAX_EXPOSED]>,
    /// Bytes this schedule holds, as the compiler's budget counted them.
    pub(crate) memory: usize,
    /// The compiler's estimate of the fraction of one core this patch takes with every voice slot playing.
    pub(crate) load: f32,
}

/// One effect of the global bus.
#[derive(Clone, Debug)]
pub(crate) struct EffectEntry {
    pub id: String,
    pub kind: KindId,
    /// Its parameters in `Schedule::params`.
    pub params: Range<u32>,
    /// Its routed parameters in `Schedule::routed`.
    pub routed: Range<u32>,
}

/// Schedules alive in this process (made and not yet dropped). Tests use it to prove that every retired
/// schedule is dropped.
static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Schedule {
    /// Counts a new schedule; called once by the compiler for each schedule it makes.
    pub(crate) fn count_new() {
        LIVE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many schedules exist in this process right now: compiled and not yet dropped. Any thread.
    pub fn live_count() -> usize {
        LIVE.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for Schedule {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Voice settings as the engine applies them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VoiceConfig {
    pub polyphony: usize,
    pub mode: VoiceMode,
    /// Glide time in samples (0: none).
    pub glide_samples: f32,
    pub steal: StealPolicy,
    pub bend_range: f32,
}

/// One node of the patch.
#[derive(Clone, Debug)]
pub(crate) struct NodeEntry {
    pub id: String,
    pub kind: KindId,
    /// Its parameters in `Schedule::params`.
    pub params: Range<u32>,
    /// Its routed parameters in `Schedule::routed`.
    pub routed: Range<u32>,
    /// Created by the last swap rather than carried over: gets `start` on its first call.
    pub fresh: bool,
    /// One of the envelopes whose end frees a voice.
    pub ends_voice: bool,
}

/// One step of the schedule.
#[derive(Clone, Copy, Debug, Hash)]
pub(crate) enum Op {
    /// Run a node.
    Node {
        node: u32,
        /// Where each input port reads; ports the kind does not declare are always [`Input::None`].
        inputs: [Input; MAX_INPUTS],
        outputs: [BufferId; MAX_OUTPUTS],
        output_count: u8,
        /// Outputs (bit per port) that no audio input and not the voice output reads, only modulation routes
        /// (or nothing): the node is asked for their last frame alone (`Process::last_only`).
        last_only: u8,
    },
    /// Keep a copy of a wire for readers that run before its writer (feedback).
    StoreFeedback { from: BufferId, slot: u16 },
}

/// Where a node input reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Input {
    /// Unconnected.
    None,
    /// A wire written earlier in this control period.
    Buffer(BufferId),
    /// A feedback slot: the source's output from the previous control period.
    Feedback(u16),
}

/// One parameter of one node: its base value, smoother and routes.
#[derive(Clone, Debug)]
pub(crate) struct ParamSlot {
    pub unit: Unit,
    pub min: f32,
    pub max: f32,
    /// The value the patch (or a host parameter) asks for, in `unit`.
    pub target: f32,
    /// The smoothed base value, moving linearly towards `target`.
    pub current: f32,
    /// How far `current` moves per sample, in `unit` (set when `target` changes).
    pub step: f32,
    /// Smoothing time in samples.
    pub smoothing_samples: f32,
    /// Routes into this parameter.
    pub routes: Range<u32>,
}

/// A modulation route into a parameter.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Route {
    pub source: RouteSource,
    /// Depth in the parameter's modulation unit.
    pub depth: f32,
}

/// Where a route reads from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum RouteSource {
    /// A wire's last frame in this control period.
    Buffer(BufferId),
    /// A feedback slot's last frame (the previous control period).
    Feedback(u16),
    /// Note velocity.
    Velocity,
    /// (pitch − 60) / 12.
    Key,
    /// Polyphonic pressure.
    PolyPressure,
    /// The voice's vibrato expression.
    Vibrato,
    /// The voice's expression expression.
    Expression,
    /// The voice's brightness expression.
    Brightness,
    /// A value shared by all voices (controllers, bend, pressure, macros): index into the engine's globals.
    Global(u16),
}

/// A macro's range and default.
#[derive(Clone, Debug)]
pub(crate) struct MacroInfo {
    pub name: String,
    pub min: f32,
    pub max: f32,
    pub default: f32,
}

impl Schedule {
    /// Sample rate in Hz this schedule was compiled for.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// The largest block, in frames, the host promised to pass.
    pub fn max_block(&self) -> usize {
        self.max_block
    }

    /// Voices that sound at once.
    pub fn polyphony(&self) -> usize {
        self.voice.polyphony
    }

    /// Nodes in the patch.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Names of the patch's macros, in order (at most eight).
    pub fn macro_names(&self) -> impl Iterator<Item = &str> {
        self.macros.iter().map(|m| m.name.as_str())
    }

    /// Each macro's default as a control position 0..=1 (what the host shows as its default).
    pub fn macro_defaults(&self) -> impl Iterator<Item = f32> + '_ {
        self.macros.iter().map(|m| if m.max > m.min { (m.default - m.min) / (m.max - m.min) } else { 0.0 })
    }

    /// The parameters the patch exposes to the host, in order (at most [`MAX_EXPOSED`]): names, units,
    /// ranges and defaults, with position ↔ value ↔ text helpers. Any thread.
    pub fn exposed(&self) -> &[ExposedParam] {
        &self.exposed
    }

    /// Names of the exposed parameters, in order.
    pub fn exposed_names(&self) -> impl Iterator<Item = &str> {
        self.exposed.iter().map(|e| e.name.as_str())
    }

    /// Each exposed parameter's default as a control position 0..=1 (what the host shows as its default).
    pub fn exposed_defaults(&self) -> impl Iterator<Item = f32> + '_ {
        self.exposed.iter().map(ExposedParam::default_position)
    }

    /// Makes this schedule start every exposed parameter at the patch's own value when the engine takes
    /// it, forgetting the positions the host set for the schedule before (for loading a different patch;
    /// a reload of the same patch keeps them). Call before submitting. Any thread but audio.
    pub fn start_exposed_at_defaults(&mut self) {
        self.exposed_start = Some([f32::NAN; MAX_EXPOSED]);
    }

    /// Makes this schedule start exposed parameter `i` at host position `positions[i]` (0..=1; NaN or
    /// missing: the patch's own value) when the engine takes it, whatever positions the engine kept (for
    /// restoring a saved project). Applied at the swap itself, so no block plays other values in between.
    /// Call before submitting or before [`crate::Engine::new`]. Any thread but audio.
    pub fn start_exposed_at(&mut self, positions: &[f32]) {
        let mut start = [f32::NAN; MAX_EXPOSED];
        for (to, from) in start.iter_mut().zip(positions) {
            *to = if from.is_finite() { from.clamp(0.0, 1.0) } else { f32::NAN };
        }
        self.exposed_start = Some(start);
    }

    /// Moves exposed parameter `index` to control position `position` (clamped to 0..=1): its slot's base
    /// value glides there through the parameter's own smoother. Returns false (and changes nothing) for an
    /// index the patch does not expose or a non-finite position. Audio thread; allocation-free.
    pub(crate) fn set_exposed(&mut self, index: usize, position: f32) -> bool {
        let (Some(param), Some(&slot)) = (self.exposed.get(index), self.exposed_slots.get(index)) else {
            return false;
        };
        if !position.is_finite() {
            return false;
        }
        if let Some(slot) = self.params.get_mut(slot as usize) {
            slot.target = param.value(position);
            slot.step = (slot.target - slot.current) / slot.smoothing_samples;
        }
        true
    }

    /// After a swap from `old` to `self` (`None` for the engine's first schedule): re-applies each host
    /// `positions[i]` (NaN: never set) to this schedule, so a reload does not jump the host's value. A
    /// position is forgotten (the parameter follows the file) when parameter `i` is not the same control
    /// as `old`'s ([`ExposedParam::same_control`]); positions given by [`Schedule::start_exposed_at`]
    /// replace them all. Audio thread; allocation-free.
    pub(crate) fn rebase_exposed(&mut self, old: Option<&Schedule>, positions: &mut [f32; MAX_EXPOSED]) {
        let start = self.exposed_start.take();
        for (i, position) in positions.iter_mut().enumerate() {
            let same = match (old.and_then(|o| o.exposed.get(i)), self.exposed.get(i)) {
                (Some(a), Some(b)) => a.same_control(b),
                _ => false,
            };
            if let Some(start) = &start {
                *position = start[i];
            } else if !same {
                *position = f32::NAN;
            }
            if position.is_finite() && !self.set_exposed(i, *position) {
                *position = f32::NAN;
            }
        }
    }

    /// Bytes of memory this schedule holds (node state, delay lines, buffers, tables), as the compiler's
    /// budget counted them before building it. Any thread.
    pub fn memory_bytes(&self) -> usize {
        self.memory
    }

    /// The compiler's estimate of the CPU this patch takes with every voice slot playing, as a fraction of
    /// one core of the reference machine (1.0 = 100 %). Any thread.
    pub fn estimated_load(&self) -> f32 {
        self.load
    }

    /// The output's delay relative to its input events, in samples. Reported to the host.
    pub fn latency(&self) -> u32 {
        self.latency
    }

    /// The voice slots (polyphony plus room for voices fading out after a steal).
    pub(crate) fn slots(&self) -> usize {
        self.groups * ferrule_nodes::LANES
    }
}

/// Frames per wire buffer.
pub(crate) const CHUNK: usize = MAX_CHUNK;
