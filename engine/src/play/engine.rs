//! The engine: plays a schedule on the audio thread, block by block, with events at exact sample offsets.

use ferrule_nodes::{Controls, LANES, LaneMask, Lanes, MAX_INPUTS, MAX_OUTPUTS, Process, Transport, VoiceLanes};

use super::denormal::DenormalGuard;
use super::globals::{self, Globals};
use super::migrate::Carry;
use super::swap::{self, EngineControl, EngineSide};
use super::voices::{EndedNote, FADE_SECONDS, MAX_SLOTS, Phase, Voices};
use crate::events::{Event, EventKind, Expression};
use crate::patch::MAX_EXPOSED;
use crate::schedule::{CHUNK, Input, Op, ParamSlot, Route, RouteSource, Schedule};

/// The loudest sample the engine passes on, in linear full scale (+12 dBFS). Anything beyond is a patch
/// gone wrong; clamping protects ears and speakers.
const OUTPUT_LIMIT: f32 = 4.0;

/// Plays a schedule. Lives on the audio thread; [`Engine::process`] never allocates, locks or blocks.
pub struct Engine {
    schedule: Box<Schedule>,
    swap: EngineSide,
    voices: Voices,
    globals: Globals,
    /// Frames rendered since the engine was made. Control periods are aligned to multiples of [`CHUNK`]
    /// of this count, so renders in any block size that is a multiple of [`CHUNK`] are bit-identical.
    frames: u64,
    /// The host clock at the next frame to render.
    transport: Transport,
    /// The schedule being faded out after a swap that changed the patch's shape.
    crossfade: Option<Crossfade>,
    /// Whether the global bus's effects were still ringing (above −100 dBFS) at the end of the last block.
    tail: bool,
    /// Mutes a patch that runs away.
    guard: RunawayGuard,
    /// The host's position 0..=1 for each exposed parameter (NaN: never set, the file's value plays), kept
    /// across swaps like the macros' and re-applied to each new schedule.
    exposed: [f32; MAX_EXPOSED],
}

/// Why the engine muted a patch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Runaway {
    /// The output stayed above [`RUNAWAY_LEVEL`] for [`RUNAWAY_SECONDS`].
    TooLoud {
        /// The output's peak level when the guard tripped (linear full scale, after the ±4 clamp).
        peak: f32,
    },
}

/// Output level above which a patch counts as running away: 3.5, +10.9 dBFS, just under the ±4 (+12 dBFS)
/// clamp. Hot patches that a DAW user turns down stay well below it; a feedback loop pinned at the clamp
/// does not.
pub const RUNAWAY_LEVEL: f32 = 3.5;
/// How long the output must stay above [`RUNAWAY_LEVEL`] before the engine mutes it, in seconds.
pub const RUNAWAY_SECONDS: f32 = 0.1;
/// How long the mute (and the unmute after a new patch) fades, in seconds.
const MUTE_FADE_SECONDS: f32 = 0.005;

/// Watches the output for a patch that runs away and mutes it.
#[derive(Clone, Copy, Debug)]
struct RunawayGuard {
    /// The output's peak envelope (20 ms release), linear full scale.
    envelope: f32,
    /// Consecutive frames the envelope has been above [`RUNAWAY_LEVEL`].
    loud_frames: usize,
    /// Output gain: 1 normally, ramping to 0 when muted and back after a new patch.
    gain: f32,
    muted: Option<Runaway>,
}

impl Default for RunawayGuard {
    fn default() -> RunawayGuard {
        RunawayGuard { envelope: 0.0, loud_frames: 0, gain: 1.0, muted: None }
    }
}

impl RunawayGuard {
    /// Looks at a finished block and applies the mute gain to it. The level is a peak envelope with a 20 ms
    /// release, so the verdict does not depend on the block size or on where a waveform's peaks fall.
    fn watch(&mut self, sample_rate: f32, left: &mut [f32], right: &mut [f32]) {
        let release = 1.0 - 1.0 / (0.02 * sample_rate);
        let trip = (RUNAWAY_SECONDS * sample_rate) as usize;
        let step = 1.0 / (MUTE_FADE_SECONDS * sample_rate);
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            self.envelope = (self.envelope * release).max(l.abs()).max(r.abs());
            self.loud_frames = if self.envelope > RUNAWAY_LEVEL { self.loud_frames + 1 } else { 0 };
            if self.muted.is_none() && self.loud_frames >= trip {
                self.muted = Some(Runaway::TooLoud { peak: self.envelope });
            }
            if self.muted.is_some() {
                self.gain = (self.gain - step).max(0.0);
            } else if self.gain < 1.0 {
                self.gain = (self.gain + step).min(1.0);
            } else {
                continue;
            }
            *l *= self.gain;
            *r *= self.gain;
        }
    }

    /// A new patch arrived: lift the mute (the gain fades back in).
    fn reset(&mut self) {
        self.muted = None;
        self.loud_frames = 0;
        self.envelope = 0.0;
    }
}

/// Time constant of a voice's volume and pan following their note expressions, in seconds.
const EXPRESSION_GLIDE_SECONDS: f32 = 0.005;

/// The level below which an effect tail counts as silence: −100 dBFS.
const TAIL_THRESHOLD: f32 = 1e-5;

/// How long old and new sound crossfade (by [`fade_gains`], level-flat for alike and unrelated sounds)
/// when a swap changes the voice graph's shape or the effects chain's make-up while anything sounds, in
/// seconds.
pub(crate) const CROSSFADE_SECONDS: f32 = 0.015;

impl Engine {
    /// An engine playing `schedule`, and its control handle. Allocates: call off the audio thread, then move
    /// the engine to the audio thread.
    pub fn new(mut schedule: Schedule) -> (Engine, EngineControl) {
        let mut exposed = [f32::NAN; MAX_EXPOSED];
        schedule.rebase_exposed(None, &mut exposed);
        for p in schedule.params.iter_mut() {
            // Nothing plays yet: start positions are where the parameters are, not where they glide to.
            p.current = p.target;
            p.step = 0.0;
        }
        let (swap, control) = swap::channel();
        let globals = Globals::new(schedule.sample_rate, &schedule.macros);
        (
            Engine {
                schedule: Box::new(schedule),
                swap,
                voices: Voices::new(),
                globals,
                frames: 0,
                transport: Transport::DEFAULT,
                crossfade: None,
                tail: false,
                guard: RunawayGuard::default(),
                exposed,
            },
            control,
        )
    }

    /// Why the engine muted the playing patch, if it did: its output stayed above [`RUNAWAY_LEVEL`]
    /// (+10.9 dBFS) for [`RUNAWAY_SECONDS`] (100 ms). The engine fades the output out over 5 ms and keeps
    /// it silent until the next schedule arrives, which fades back in. Audio thread (copy it out for the
    /// editor).
    pub fn runaway(&self) -> Option<Runaway> {
        self.guard.muted
    }

    /// Whether the engine still makes sound without new notes: voices sound, or the global bus's effects
    /// (a delay's echoes, a reverb's tail) rang above −100 dBFS in the last block. A host may stop calling
    /// [`Engine::process`] while this is false. Audio thread.
    pub fn is_sounding(&self) -> bool {
        self.tail || self.voices.active_count() > 0
    }

    /// Voices currently heard (fading ones included).
    pub fn active_voices(&self) -> usize {
        self.voices.active_count()
    }

    /// The keys sounding after the last block (held, or released and still ringing out), as a 128-bit
    /// set: key `k` is bit `k % 64` of word `k / 64`. For meters; audio thread, no allocation, bounded by
    /// the voice table's size.
    pub fn sounding_notes(&self) -> [u64; 2] {
        self.voices.sounding_notes()
    }

    /// The voices that ended during the last [`Engine::process`] call (their envelope finished, their
    /// steal fade ended, or they were cut), with the frame they fell silent at, in time order per voice
    /// group. The plugin turns these into CLAP note-end events. Valid until the next call.
    pub fn ended_notes(&self) -> &[EndedNote] {
        self.voices.ended()
    }

    /// Tells the engine the host's tempo (quarter-note beats per minute) and, while its transport plays, the
    /// song position in beats at the next block's first frame. Call before [`Engine::process`], once per
    /// block, when the host provides either. A missing or non-finite tempo keeps the previous one; with no
    /// position (host stopped) the engine's own position runs on at the tempo. Audio thread; never allocates.
    pub fn set_transport(&mut self, tempo: Option<f64>, position: Option<f64>) {
        if let Some(t) = tempo.filter(|t| t.is_finite()) {
            self.transport.tempo = t.clamp(1.0, 1000.0);
        }
        self.transport.playing = position.is_some_and(f64::is_finite);
        if let Some(b) = position.filter(|b| b.is_finite()) {
            self.transport.beats = b;
        }
    }

    /// The playing schedule's latency in samples.
    pub fn latency(&self) -> u32 {
        self.schedule.latency
    }

    /// Renders one block of `left.len()` frames (`right` must be as long; the shorter length wins).
    ///
    /// Starts by taking the newest schedule the control side submitted, if any, carrying node state over
    /// by node id and kind. Then applies `events` at their frame offsets, splitting the block there, so a
    /// note at offset k sounds from frame k exactly. Events should be sorted by time; one that is late is
    /// applied at once, one past the end at the last frame. The output is always finite and within ±4.
    ///
    /// Audio thread: no allocation, no locks, no system calls, bounded time for any input.
    pub fn process(&mut self, events: &[Event], left: &mut [f32], right: &mut [f32]) {
        let _denormals = DenormalGuard::new();
        self.voices.clear_ends();
        self.take_new_schedule();
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        left.fill(0.0);
        right.fill(0.0);

        let mut next = 0;
        let mut pos = 0;
        while pos < n {
            self.voices.now = pos as u32;
            while next < events.len() && (events[next].time as usize).min(n - 1) <= pos {
                self.apply(events[next].kind);
                next += 1;
            }
            let to_grid = CHUNK - ((self.frames + pos as u64) % CHUNK as u64) as usize;
            let mut end = (pos + to_grid).min(n);
            if next < events.len() {
                end = end.min((events[next].time as usize).min(n - 1));
            }
            self.run_chunk(pos, end, left, right);
            pos = end;
        }
        for event in &events[next..] {
            self.apply(event.kind);
        }
        if n > 0 {
            self.finish_crossfade((n - 1) as u32);
        }
        self.frames += n as u64;
        self.transport.frame = self.frames;
        let mut peak = 0.0f32;
        for x in left.iter_mut().chain(right.iter_mut()) {
            *x = if x.is_finite() { x.clamp(-OUTPUT_LIMIT, OUTPUT_LIMIT) } else { 0.0 };
            peak = peak.max(x.abs());
        }
        self.tail = !self.schedule.effects.is_empty() && peak > TAIL_THRESHOLD;
        self.guard.watch(self.schedule.sample_rate, left, right);
    }

    /// Applies one event now.
    fn apply(&mut self, kind: EventKind) {
        let s = &*self.schedule;
        let has_envelopes = !s.voice_envelopes.is_empty();
        match kind {
            EventKind::NoteOn { note, velocity } if velocity > 0.0 => {
                let velocity = if velocity.is_finite() { velocity.min(1.0) } else { 1.0 };
                self.voices.note_on(note & 0x7f, velocity, &s.voice, s.slots());
            }
            EventKind::NoteOn { note, .. } | EventKind::NoteOff { note } => {
                self.voices.note_off(note & 0x7f, &s.voice, has_envelopes);
            }
            EventKind::PitchBend { value } => self.globals.set(globals::BEND, value.clamp(-1.0, 1.0)),
            EventKind::ControlChange { cc, value } => self.globals.set(globals::cc(cc & 0x7f), value.clamp(0.0, 1.0)),
            EventKind::ChannelPressure { value } => self.globals.set(globals::PRESSURE, value.clamp(0.0, 1.0)),
            EventKind::PolyPressure { note, value } => {
                self.voices.poly_pressure(note & 0x7f, if value.is_finite() { value.clamp(0.0, 1.0) } else { 0.0 })
            }
            EventKind::Macro { index, value } => self.globals.set_macro(index as usize, value, &s.macros),
            EventKind::Param { index, position } => {
                if self.schedule.set_exposed(index as usize, position) {
                    self.exposed[index as usize] = position.clamp(0.0, 1.0);
                }
            }
            EventKind::AllNotesOff => self.voices.all_notes_off(has_envelopes),
            EventKind::NoteExpression { note, expression, value } => {
                let (lo, hi) = expression.range();
                let rest = match expression {
                    Expression::Volume => 1.0,
                    Expression::Pan => 0.5,
                    _ => 0.0,
                };
                let value = if value.is_finite() { value.clamp(lo, hi) } else { rest };
                self.voices.expression(note & 0x7f, expression, value);
            }
        }
    }

    /// Takes the newest submitted schedule, carries state over, and retires the old one, or starts a
    /// crossfade from it: of the voices when the patch's voice graph changed shape while voices sound, of the
    /// effects chains when the chain changed make-up (an effect added, removed, reordered or of another
    /// kind) while anything sounds. A schedule submitted during a crossfade waits for it to end (at most
    /// [`CROSSFADE_SECONDS`]).
    fn take_new_schedule(&mut self) {
        if self.crossfade.is_some() {
            return;
        }
        let Some(mut new) = self.swap.take_newest() else { return };
        let sounding = self.voices.active_count() > 0;
        let loses_voices = (new.slots()..MAX_SLOTS).any(|i| self.voices.get(i).is_active());
        let voices_fade = sounding && (new.shape != self.schedule.shape || loses_voices);
        let effects_fade = (sounding || self.tail) && !super::migrate::same_effects(&self.schedule, &new);
        if self.guard.muted.is_some() {
            // The muted patch's state is what ran away: the new one starts fresh and without a crossfade,
            // which would play the runaway unmuted for its length (the output is silent, so nothing clicks).
            new.rebase_exposed(Some(&self.schedule), &mut self.exposed);
            let old = std::mem::replace(&mut self.schedule, new);
            self.voices.truncate(self.schedule.slots());
            self.swap.retire(old);
        } else if !voices_fade && !effects_fade {
            // Same graph and chain, new values (or nobody listening): state moves across and parameters glide.
            super::migrate::carry_over(&mut self.schedule, &mut new, Carry::Move, Carry::Move);
            new.rebase_exposed(Some(&self.schedule), &mut self.exposed);
            let old = std::mem::replace(&mut self.schedule, new);
            self.voices.truncate(self.schedule.slots());
            self.swap.retire(old);
        } else {
            // A different graph or chain: both play for a moment, the old fading out. What did not change
            // moves across and plays once, in the new schedule; what changed plays in both, from copied
            // state. Notes in slots the new schedule lacks move to free ones it has, as far as there are any.
            if voices_fade && loses_voices {
                self.voices.relocate_beyond(new.slots());
            }
            let carry = |fade: bool| if fade { Carry::Copy } else { Carry::Move };
            super::migrate::carry_over(&mut self.schedule, &mut new, carry(voices_fade), carry(effects_fade));
            new.rebase_exposed(Some(&self.schedule), &mut self.exposed);
            let old = std::mem::replace(&mut self.schedule, new);
            if !voices_fade {
                self.voices.truncate(self.schedule.slots());
            }
            let len = (CROSSFADE_SECONDS * self.schedule.sample_rate).max(1.0) as u32;
            self.crossfade = Some(Crossfade {
                old,
                pos: 0,
                len,
                voices: voices_fade,
                effects: effects_fade,
                law: FadeLaw::default(),
            });
        }
        self.globals.set_sample_rate(self.schedule.sample_rate);
        self.globals.rebase_macros(&self.schedule.macros);
        self.guard.reset();
    }

    /// Ends a finished crossfade: retires the old schedule and frees the voices the new one has no slot for.
    fn finish_crossfade(&mut self, last_frame: u32) {
        if self.crossfade.as_ref().is_some_and(|x| x.pos >= x.len) {
            let x = self.crossfade.take().expect("checked above");
            self.voices.now = last_frame;
            self.voices.truncate(self.schedule.slots());
            self.swap.retire(x.old);
        }
    }

    /// Runs every active voice group over frames `start..end` (at most one control period) and mixes them
    /// into the output.
    fn run_chunk(&mut self, start: usize, end: usize, left: &mut [f32], right: &mut [f32]) {
        let len = end - start;
        if len == 0 {
            return;
        }
        // The old schedule's voices play only while the voices crossfade; its effects only while the chains do.
        let old_groups = self.crossfade.as_ref().map_or(0, |x| if x.voices { x.old.groups } else { 0 });
        let slots = self.schedule.slots().max(old_groups * LANES);
        self.voices.advance_glides(slots, len);
        self.globals.advance(len);
        let transport = self.transport;
        self.transport = transport.advanced(len, self.schedule.sample_rate);
        advance_params(&mut self.schedule, len);
        if let Some(x) = &mut self.crossfade {
            advance_params(&mut x.old, len);
        }

        // The new schedule's voices mix into `dry`, the old one's (while they crossfade) into `old_dry`.
        let mut dry = [[0.0f32; CHUNK]; 2];
        let mut old_dry = [[0.0f32; CHUNK]; 2];
        let s = &mut *self.schedule;
        let fade_step = 1.0 / (FADE_SECONDS * s.sample_rate);
        let expression_glide = (len as f32 / (EXPRESSION_GLIDE_SECONDS * s.sample_rate)).min(1.0);
        let has_envelopes = !s.voice_envelopes.is_empty();
        for group in 0..s.groups.max(old_groups) {
            if !self.voices.group_active(group) {
                continue;
            }
            let voice = voice_lanes(&self.voices, &self.globals, s.voice.bend_range, group);
            let base = group * LANES;
            // Each voice's gain now and its per-frame change: 1 and 0 except for stolen voices fading out.
            let mut gain = [0.0f32; LANES];
            let mut step = [0.0f32; LANES];
            let mut pan = PanRamp::default();
            for l in 0..LANES {
                let v = self.voices.get_mut(base + l);
                if v.is_active() {
                    gain[l] = v.gain;
                    if v.phase == Phase::Fading {
                        step[l] = -fade_step;
                    }
                    let target = pan_gains(v.volume, v.pan);
                    // A new voice starts where its expressions put it (they may arrive with the note);
                    // afterwards volume and pan glide with a 5 ms time constant, however short the period.
                    let from = if v.start { target } else { v.mix };
                    let to = std::array::from_fn(|c| {
                        let moved = from[c] + (target[c] - from[c]) * expression_glide;
                        if (moved - target[c]).abs() < 1e-6 { target[c] } else { moved }
                    });
                    pan.set(l, from, to, len);
                    v.mix = to;
                }
            }
            let mut alive = LaneMask::NONE;
            let mut finite = LaneMask::ALL;
            let mut gain_end = gain;
            if group < s.groups {
                alive = run_group(s, &self.globals, &voice, &self.voices, &transport, group, len);
                let [l, r] = &mut dry;
                (finite, gain_end) = mix_group(s, len, &gain, &step, &pan, &mut l[..len], &mut r[..len]);
            }
            if let Some(x) = &mut self.crossfade
                && group < old_groups
            {
                let old_alive = run_group(&mut x.old, &self.globals, &voice, &self.voices, &transport, group, len);
                let [l, r] = &mut old_dry;
                let (old_finite, old_gain_end) =
                    mix_group(&x.old, len, &gain, &step, &pan, &mut l[..len], &mut r[..len]);
                finite = LaneMask(finite.0 & old_finite.0);
                if group >= s.groups {
                    // Only the old schedule has this group: its envelopes decide, its fade is the voice's.
                    alive = old_alive;
                    gain_end = old_gain_end;
                }
            }

            // Voice lifecycle: clear one-shot flags, free voices whose envelope or fade has ended and any
            // that produced NaN or infinity (their slot starts afresh next time).
            self.voices.now = (end - 1) as u32;
            for (l, &gain) in gain_end.iter().enumerate() {
                let v = self.voices.get_mut(base + l);
                if !v.is_active() {
                    continue;
                }
                v.start = false;
                v.trigger = false;
                let ended = !finite.contains(l)
                    || match v.phase {
                        Phase::Fading => {
                            v.gain = gain;
                            gain <= 0.0
                        }
                        Phase::Released => has_envelopes && !alive.contains(l),
                        _ => false,
                    };
                if ended {
                    self.voices.end(base + l);
                }
            }
        }
        let (left, right) = (&mut left[start..end], &mut right[start..end]);
        let [dry_l, dry_r] = &mut dry;
        let (dry_l, dry_r) = (&mut dry_l[..len], &mut dry_r[..len]);
        match &mut self.crossfade {
            None => {
                if !s.effects.is_empty() {
                    run_effects(s, &self.globals, &transport, dry_l, dry_r);
                }
            }
            Some(x) => {
                let [old_l, old_r] = &mut old_dry;
                let (old_l, old_r) = (&mut old_l[..len], &mut old_r[..len]);
                if !x.voices {
                    // Only the chains differ: both hear the same voices.
                    old_l.copy_from_slice(dry_l);
                    old_r.copy_from_slice(dry_r);
                }
                if x.effects {
                    if !x.old.effects.is_empty() {
                        run_effects(&mut x.old, &self.globals, &transport, old_l, old_r);
                    }
                    if !s.effects.is_empty() {
                        run_effects(s, &self.globals, &transport, dry_l, dry_r);
                    }
                    x.mix(old_l, old_r, dry_l, dry_r);
                } else {
                    // Only the voices differ: they crossfade into the one chain, which moved across.
                    x.mix(old_l, old_r, dry_l, dry_r);
                    if !s.effects.is_empty() {
                        run_effects(s, &self.globals, &transport, dry_l, dry_r);
                    }
                }
            }
        }
        left.copy_from_slice(dry_l);
        right.copy_from_slice(dry_r);
        if s.fresh_nodes {
            s.fresh_nodes = false;
            for node in s.nodes.iter_mut() {
                node.fresh = false;
            }
        }
    }
}

/// Writes the value at the end of this control period of each routed parameter `routed` lists (indices into
/// `params` and `values`) into `values`: its smoothed base plus `Σ depth × source` over its routes, in its
/// unit, clamped to its range. `source` reads a route's source. Parameters without routes are written once
/// per period by [`evaluate_unrouted`].
#[inline]
fn evaluate_params(
    params: &[ParamSlot],
    routed: &[u32],
    routes: &[Route],
    values: &mut [Lanes],
    source: impl Fn(RouteSource) -> Lanes,
) {
    for &index in routed {
        let slot = &params[index as usize];
        let mut amount = [0.0f32; LANES];
        for route in &routes[slot.routes.start as usize..slot.routes.end as usize] {
            let source = source(route.source);
            for l in 0..LANES {
                amount[l] += route.depth * source[l];
            }
        }
        let modulated = slot.unit.apply_modulation_lanes(slot.current, &amount);
        let value = &mut values[index as usize];
        for l in 0..LANES {
            // `max` then `min` (not `clamp`) so a NaN from a broken source becomes `min`.
            value[l] = modulated[l].max(slot.min).min(slot.max);
        }
    }
}

/// Writes every parameter without routes into `s.param_values`: its smoothed base, the same in every lane.
/// Once per control period, shared by every lane group (their values differ only through routes).
fn evaluate_unrouted(s: &mut Schedule) {
    for (value, slot) in s.param_values.iter_mut().zip(&s.params) {
        if slot.routes.is_empty() {
            *value = [slot.current; LANES];
        }
    }
}

/// Runs the global bus's effects in chain order over `left`/`right` (one control period), in place.
/// Effects read only shared sources (controllers, macros), so every lane of a route's source is the same.
fn run_effects(s: &mut Schedule, globals: &Globals, transport: &Transport, left: &mut [f32], right: &mut [f32]) {
    let len = left.len();
    let (a, b) = s.bus.split_at_mut(CHUNK);
    let (mut from, mut to) = (&mut a[..len], &mut b[..len]);
    for (i, frame) in from.iter_mut().enumerate() {
        *frame = [0.0; LANES];
        frame[0] = left[i];
        frame[1] = right[i];
    }
    for (entry, processor) in s.effects.iter().zip(s.effect_processors.iter_mut()) {
        let routed = &s.routed[entry.routed.start as usize..entry.routed.end as usize];
        evaluate_params(&s.params, routed, &s.routes, &mut s.param_values, |source| match source {
            RouteSource::Global(g) => [globals.value[g as usize]; LANES],
            // Validation allows only shared sources into effects.
            _ => [0.0; LANES],
        });
        let mut inputs = [None; ferrule_nodes::MAX_INPUTS];
        inputs[0] = Some(&from[..]);
        let mut outputs: [&mut [Lanes]; MAX_OUTPUTS] = Default::default();
        outputs[0] = &mut to[..];
        let mut p = Process {
            len,
            sample_rate: s.sample_rate,
            inputs,
            outputs,
            params: &s.param_values[entry.params.start as usize..entry.params.end as usize],
            voice: &VoiceLanes::IDLE,
            transport,
            last_only: 0,
        };
        processor.process(&mut p);
        std::mem::swap(&mut from, &mut to);
    }
    for (i, frame) in from.iter().enumerate() {
        left[i] = frame[0];
        right[i] = frame[1];
    }
}

/// The old schedule kept playing while its sound fades out and the new schedule's fades in.
struct Crossfade {
    old: Box<Schedule>,
    /// Frames of the crossfade done.
    pos: u32,
    /// Frames the crossfade lasts.
    len: u32,
    /// The voice graphs differ: the old schedule's voices play too (from copied state).
    voices: bool,
    /// The effects chains differ: the old chain plays too (from its own state), on the old voices when
    /// `voices`, else on the same voices as the new chain.
    effects: bool,
    law: FadeLaw,
}

impl Crossfade {
    /// Mixes one control period of the old sound (`old_l`, `old_r`) into the new (`new_l`, `new_r`, in
    /// place) with [`FadeLaw`]'s gains, and advances the fade. Audio thread; no allocation.
    fn mix(&mut self, old_l: &[f32], old_r: &[f32], new_l: &mut [f32], new_r: &mut [f32]) {
        self.law.measure(old_l, new_l);
        self.law.measure(old_r, new_r);
        let rho = self.law.correlation();
        for i in 0..new_l.len() {
            let t = ((self.pos as usize + i + 1) as f32 / self.len as f32).min(1.0);
            let (a, b) = fade_gains(t, rho);
            new_l[i] = a * old_l[i] + b * new_l[i];
            new_r[i] = a * old_r[i] + b * new_r[i];
        }
        self.pos += new_l.len() as u32;
    }
}

/// How alike the old and new sound are, from running sums since the crossfade began (both channels): their
/// energies and their cross product. Their correlation ρ chooses the crossfade law ([`fade_gains`]).
#[derive(Clone, Copy, Debug, Default)]
struct FadeLaw {
    old: f64,
    new: f64,
    cross: f64,
}

impl FadeLaw {
    /// Adds one channel of one control period.
    fn measure(&mut self, old: &[f32], new: &[f32]) {
        for (&o, &n) in old.iter().zip(new) {
            let (o, n) = (o as f64, n as f64);
            self.old += o * o;
            self.new += n * n;
            self.cross += o * n;
        }
    }

    /// The correlation so far, clamped to 0..=1 (0 while either side has been silent, or is not finite).
    fn correlation(&self) -> f32 {
        let rho = self.cross / (self.old * self.new).sqrt();
        if rho.is_finite() { rho.clamp(0.0, 1.0) as f32 } else { 0.0 }
    }
}

/// The old and new sound's gains at `t` (0..=1) through a crossfade, for sounds of correlation `rho` (0..=1):
/// `a = (1 − t)·k`, `b = t·k` with `k = 1/√((1 − t)² + t² + 2ρ·t(1 − t))`. Two sounds of equal level then sum
/// to that level all through: ρ = 1 (the same signal, phase-aligned) gives the equal-gain law, ρ = 0
/// (unrelated) an equal-power one, and anything between stays flat too. Sounds of different levels move
/// from one to the other without passing outside the two.
#[inline]
fn fade_gains(t: f32, rho: f32) -> (f32, f32) {
    let u = 1.0 - t;
    let k = 1.0 / (u * u + t * t + 2.0 * rho * t * u).sqrt();
    (u * k, t * k)
}

/// Moves every parameter's smoothed base value `len` frames towards its target, and writes the values of
/// those without routes for the coming control period ([`evaluate_unrouted`]).
fn advance_params(s: &mut Schedule, len: usize) {
    for p in s.params.iter_mut() {
        if p.current != p.target {
            let next = p.current + p.step * len as f32;
            let arrived = (p.step >= 0.0 && next >= p.target) || (p.step <= 0.0 && next <= p.target);
            p.current = if arrived { p.target } else { next };
        }
    }
    evaluate_unrouted(s);
}

/// Each voice's left and right gain over one control period, from its volume and pan expressions: where
/// it starts and how much it moves per frame.
#[derive(Clone, Copy, Debug, Default)]
struct PanRamp {
    start: [Lanes; 2],
    step: [Lanes; 2],
}

impl PanRamp {
    /// Lane `l` moves from `from` to `to` (left, right) over `len` frames.
    fn set(&mut self, l: usize, from: [f32; 2], to: [f32; 2], len: usize) {
        for c in 0..2 {
            self.start[c][l] = from[c];
            self.step[c][l] = (to[c] - from[c]) / len as f32;
        }
    }
}

/// Left and right gains for a voice at `volume` (gain factor) and `pan` (0..1): an equal-power law with the
/// centre at unity, so a voice that never pans sounds exactly as the patch makes it.
#[inline]
fn pan_gains(volume: f32, pan: f32) -> [f32; 2] {
    if pan == 0.5 {
        return [volume, volume];
    }
    let angle = pan * std::f32::consts::FRAC_PI_2;
    let scale = volume * std::f32::consts::SQRT_2;
    [scale * angle.cos(), scale * angle.sin()]
}

/// Mixes the voice output of the group `run_group` just ran into `left`/`right` (`len` frames), each
/// voice at `gain` moving by `step` per frame (never below 0), placed by `pan`. Lanes whose output is not
/// finite are left out. Returns the lanes that were finite and each lane's gain after the last frame.
fn mix_group(
    s: &Schedule,
    len: usize,
    gain: &Lanes,
    step: &Lanes,
    pan: &PanRamp,
    left: &mut [f32],
    right: &mut [f32],
) -> (LaneMask, Lanes) {
    let out_l = &s.buffers[s.output[0] as usize * CHUNK..][..len];
    let out_r = &s.buffers[s.output[1] as usize * CHUNK..][..len];
    // A mono patch's voice output is one buffer for both sides: check it and sum its lanes once.
    let mono = s.output[0] == s.output[1];
    let mut check = [0.0f32; LANES];
    for frame in out_l.iter().chain(out_r.iter().take(if mono { 0 } else { len })) {
        for l in 0..LANES {
            check[l] += frame[l] * 0.0;
        }
    }
    let mut finite = LaneMask::NONE;
    let mut g = [0.0f32; LANES];
    for l in 0..LANES {
        if check[l].is_finite() {
            finite = finite.with(l);
            g[l] = gain[l];
        }
    }
    let step: Lanes = std::array::from_fn(|l| if finite.contains(l) { step[l] } else { 0.0 });
    let (mut pan_l, mut pan_r) = (pan.start[0], pan.start[1]);
    let len = len.min(CHUNK);
    if step.iter().chain(pan.step.iter().flatten()).all(|&s| s == 0.0) {
        // Steady voices (no fade, volume and pan still; almost every period): one weight per lane for the
        // whole period, the same products the per-frame ramps below would give, without computing them.
        let w_l: Lanes = std::array::from_fn(|l| g[l].max(0.0) * pan_l[l]);
        let w_r: Lanes = std::array::from_fn(|l| g[l].max(0.0) * pan_r[l]);
        let once = mono && w_l == w_r;
        for i in 0..len {
            let sum_l = sum_lanes(&std::array::from_fn(|l| w_l[l] * out_l[i][l]));
            let sum_r = if once { sum_l } else { sum_lanes(&std::array::from_fn(|l| w_r[l] * out_r[i][l])) };
            left[i] += sum_l;
            right[i] += sum_r;
        }
        return (finite, g.map(|g| g.max(0.0)));
    }
    // Three passes, each a loop over the lanes that vectorises: every frame's gain per lane (voice gain times
    // pan), times the voice's output, then the sum across the lanes as a tree (a lane-by-lane running sum is a
    // chain of dependent scalar adds, and fusing the passes made the compiler do the products lane by lane).
    let (mut wet_l, mut wet_r) = ([[0.0f32; LANES]; CHUNK], [[0.0f32; LANES]; CHUNK]);
    for i in 0..len {
        for l in 0..LANES {
            g[l] = (g[l] + step[l]).max(0.0);
            pan_l[l] += pan.step[0][l];
            pan_r[l] += pan.step[1][l];
            wet_l[i][l] = g[l];
            wet_r[i][l] = g[l];
        }
        for l in 0..LANES {
            wet_l[i][l] *= pan_l[l];
            wet_r[i][l] *= pan_r[l];
        }
    }
    for ((w_l, w_r), (x_l, x_r)) in wet_l.iter_mut().zip(wet_r.iter_mut()).zip(out_l.iter().zip(out_r)) {
        for l in 0..LANES {
            w_l[l] *= x_l[l];
            w_r[l] *= x_r[l];
        }
    }
    for i in 0..len {
        left[i] += sum_lanes(&wet_l[i]);
        right[i] += sum_lanes(&wet_r[i]);
    }
    (finite, g)
}

/// The sum of a group's lanes, added as a tree (lanes `l` and `l + 4`, then `l` and `l + 2`, then the pair), so
/// that it compiles to two shuffles and adds rather than seven dependent scalar adds. Audio thread.
#[inline(always)]
fn sum_lanes(x: &Lanes) -> f32 {
    const { assert!(LANES == 8, "the tree below adds eight lanes") };
    const HALF: usize = LANES / 2;
    let a: [f32; HALF] = std::array::from_fn(|k| x[k] + x[k + HALF]);
    let b = [a[0] + a[2], a[1] + a[3]];
    b[0] + b[1]
}

/// What the nodes of lane group `group` see of its voices for the coming control period.
fn voice_lanes(voices: &Voices, globals: &Globals, bend_range: f32, group: usize) -> VoiceLanes {
    let bend = globals.value[globals::BEND as usize] * bend_range;
    let mut lanes = VoiceLanes::IDLE;
    lanes.controls = Controls {
        mod_wheel: globals.value[globals::MOD_WHEEL as usize],
        bend: globals.value[globals::BEND as usize],
        channel_pressure: globals.value[globals::PRESSURE as usize],
    };
    for l in 0..LANES {
        let v = voices.get(group * LANES + l);
        if !v.is_active() {
            continue;
        }
        lanes.active = lanes.active.with(l);
        lanes.pitch[l] = v.pitch + bend + v.tuning;
        lanes.velocity[l] = v.velocity;
        lanes.pressure[l] = v.pressure;
        if v.phase == Phase::Held {
            lanes.gate = lanes.gate.with(l);
        }
        if v.start {
            lanes.start = lanes.start.with(l);
        }
        if v.trigger {
            lanes.trigger = lanes.trigger.with(l);
        }
    }
    lanes
}

/// Runs every op of the schedule for one lane group over `len` frames. Returns the lanes whose voice
/// envelopes are still sounding.
fn run_group(
    s: &mut Schedule,
    globals: &Globals,
    voice: &VoiceLanes,
    voices: &Voices,
    transport: &Transport,
    group: usize,
    len: usize,
) -> LaneMask {
    let node_count = s.nodes.len();
    let groups = s.groups;
    let mut alive = LaneMask::NONE;
    let fresh_voice = VoiceLanes { start: voice.active, trigger: LaneMask(voice.active.0 & voice.gate.0), ..*voice };
    let buffers = s.buffers.as_mut_ptr();
    let buffers_len = s.buffers.len();
    for op in &s.ops {
        match *op {
            Op::Node { node, inputs, outputs, output_count, last_only } => {
                let node = node as usize;
                let entry = &s.nodes[node];
                // Routed parameters' values at the end of this control period for this group: base plus
                // modulation, clamped (the others were written once for the period).
                let routed = &s.routed[entry.routed.start as usize..entry.routed.end as usize];
                evaluate_params(&s.params, routed, &s.routes, &mut s.param_values, |source| match source {
                    RouteSource::Buffer(b) => {
                        debug_assert!((b as usize + 1) * CHUNK <= buffers_len);
                        // SAFETY: `Schedule::check` (run on every compiled schedule before it is played) proved
                        // `b < buffers.len() / CHUNK`, and `1 <= len <= CHUNK` (`run_chunk` returns early on 0), so
                        // the frame read lies inside the pool. No `&mut` into the pool is alive here: the op's
                        // output slices are made after its parameters are evaluated.
                        unsafe { *buffers.add(b as usize * CHUNK + len - 1) }
                    }
                    RouteSource::Feedback(slot) => s.feedback[(slot as usize * groups + group) * CHUNK + CHUNK - 1],
                    RouteSource::Velocity => voice.velocity,
                    RouteSource::Key => voice.pitch.map(|p| (p - 60.0) * (1.0 / 12.0)),
                    RouteSource::PolyPressure => std::array::from_fn(|l| voices.get(group * LANES + l).pressure),
                    RouteSource::Vibrato => std::array::from_fn(|l| voices.get(group * LANES + l).vibrato),
                    RouteSource::Expression => std::array::from_fn(|l| voices.get(group * LANES + l).expression),
                    RouteSource::Brightness => std::array::from_fn(|l| voices.get(group * LANES + l).brightness),
                    RouteSource::Global(g) => [globals.value[g as usize]; LANES],
                });

                // The compiler gives each op distinct output buffers, none of which is one of its input buffers
                // (outputs are allocated before inputs are released), and `Schedule::check` proves it for every
                // schedule before it is played, so the shared and mutable slices below never overlap. They all
                // die with `p` at the end of this op.
                let read = |input: Input| -> Option<&[Lanes]> {
                    match input {
                        Input::None => None,
                        Input::Buffer(b) => {
                            // SAFETY: `Schedule::check` proved `b` in bounds, so `len <= CHUNK` frames from
                            // `b * CHUNK` lie inside the pool; `b` is none of this op's outputs (checked too),
                            // so no `&mut` slice made below overlaps this shared one.
                            Some(unsafe { std::slice::from_raw_parts(buffers.add(b as usize * CHUNK), len) })
                        }
                        Input::Feedback(slot) => Some(&s.feedback[(slot as usize * groups + group) * CHUNK..][..len]),
                    }
                };
                // Only the kind's declared ports: the rest stay unconnected and empty.
                let mut wires = [None; MAX_INPUTS];
                let declared = ferrule_nodes::registry::spec(entry.kind).inputs.len().min(MAX_INPUTS);
                for (wire, &input) in wires.iter_mut().zip(&inputs).take(declared) {
                    *wire = read(input);
                }
                let mut outs: [&mut [Lanes]; MAX_OUTPUTS] = Default::default();
                for (out, &buffer) in outs.iter_mut().zip(&outputs).take(output_count as usize) {
                    // SAFETY: `Schedule::check` proved each of the op's `output_count` output buffers in bounds
                    // (`len <= CHUNK` frames fit), distinct from one another and from every input buffer, so
                    // this `&mut` slice aliases no other slice alive until `p` is dropped.
                    *out = unsafe { std::slice::from_raw_parts_mut(buffers.add(buffer as usize * CHUNK), len) };
                }
                let mut p = Process {
                    len,
                    sample_rate: s.sample_rate,
                    inputs: wires,
                    outputs: outs,
                    params: &s.param_values[entry.params.start as usize..entry.params.end as usize],
                    voice: if entry.fresh { &fresh_voice } else { voice },
                    transport,
                    last_only,
                };
                let mask = s.processors[group * node_count + node].process(&mut p);
                if entry.ends_voice {
                    alive = LaneMask(alive.0 | mask.0);
                }
            }
            Op::StoreFeedback { from, slot } => {
                // SAFETY: `Schedule::check` proved `from` in bounds, so `len <= CHUNK` frames fit; no other slice
                // of the pool is alive here, and the `&mut` below is into `feedback`, a separate allocation.
                let src = unsafe { std::slice::from_raw_parts(buffers.add(from as usize * CHUNK), len) };
                let dst = &mut s.feedback[(slot as usize * groups + group) * CHUNK..][..CHUNK];
                dst[..len].copy_from_slice(src);
                let last = src[len - 1];
                dst[len..].fill(last);
            }
        }
    }
    alive
}

#[cfg(test)]
mod tests {
    use super::{Engine, FadeLaw, fade_gains};
    use crate::{CompileSettings, Event, EventKind, PatchSource, compile};

    /// A held sine voice with `effects` on the bus and a macro that may target them.
    fn patch(effects: &str, macro_targets: &str) -> crate::Schedule {
        let text = format!(
            r#"(version: 1, nodes: {{ "osc": (kind: "sine"), "amp": (kind: "vca", params: {{ "gain": 0.3 }}) }},
                connections: [("osc", "amp.in")], output: Mono("amp.out"), effects: {{ {effects} }},
                macros: [(name: "Space", min: 0.0, max: 1.0, default: 0.5, targets: [{macro_targets}])])"#
        );
        let source = PatchSource { path: "test.ron".into(), text };
        compile(
            &source,
            &CompileSettings { sample_rate: 48_000.0, max_block: 256, polyphony: None, ..Default::default() },
        )
        .unwrap_or_else(|d| panic!("{d}"))
    }

    #[test]
    fn an_effects_only_edit_crossfades_the_chains_and_moves_the_voices() {
        // The new effect comes with a macro route into it: still an edit of the chain alone.
        let (mut engine, mut control) = Engine::new(patch("", ""));
        let (mut l, mut r) = (vec![0.0; 64], vec![0.0; 64]);
        engine.process(&[Event { time: 0, kind: EventKind::NoteOn { note: 60, velocity: 1.0 } }], &mut l, &mut r);
        let room = r#""room": (kind: "reverb"),"#;
        control.submit(patch(room, r#"(to: "room.mix", depth: 0.2)"#)).map_err(|_| "queue full").unwrap();
        engine.process(&[], &mut l, &mut r);
        let fade = engine.crossfade.as_ref().expect("the chains crossfade");
        assert!(fade.effects && !fade.voices, "chains crossfade: {}, voices too: {}", fade.effects, fade.voices);
    }

    /// A repeatable noise in −1..1 (a 32-bit LCG), so the test needs no crate.
    fn noise(seed: u32, n: usize) -> Vec<f32> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// Crossfades `old` into `new` over their length in 16-frame periods as the engine does (one channel)
    /// and returns the energy of the result and of `old` in each 80-frame stretch.
    fn fade(old: &[f32], new: &[f32]) -> (Vec<f64>, Vec<f64>) {
        let len = old.len();
        let mut law = FadeLaw::default();
        let mut out = vec![0.0f32; len];
        for start in (0..len).step_by(16) {
            let end = (start + 16).min(len);
            law.measure(&old[start..end], &new[start..end]);
            let rho = law.correlation();
            for i in start..end {
                let (a, b) = fade_gains((i + 1) as f32 / len as f32, rho);
                out[i] = a * old[i] + b * new[i];
            }
        }
        let energy = |x: &[f32]| x.chunks(80).map(|c| c.iter().map(|&v| v as f64 * v as f64).sum()).collect();
        (energy(&out), energy(old))
    }

    #[test]
    fn the_fade_law_is_level_flat_for_the_same_unrelated_and_partly_related_sounds() {
        // 15 ms at 48 kHz; pairs of independent noises of equal level mixed to each correlation, the energy
        // of each 80-frame stretch summed over 64 pairs so that the noise's own spread averages out.
        for rho in [1.0f32, 0.75, 0.5, 0.25, 0.0] {
            let (mut faded, mut old) = (vec![0.0f64; 9], vec![0.0f64; 9]);
            for pair in 0..64 {
                let (x, z) = (noise(2 * pair + 1, 720), noise(2 * pair + 2, 720));
                let y: Vec<f32> = x.iter().zip(&z).map(|(a, b)| rho * a + (1.0 - rho * rho).sqrt() * b).collect();
                let (f, o) = fade(&x, &y);
                for i in 0..9 {
                    faded[i] += f[i];
                    old[i] += o[i];
                }
            }
            let levels: Vec<f64> = faded.iter().zip(&old).map(|(f, o)| 10.0 * (f / o).log10()).collect();
            let (lo, hi) = levels.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &l| (lo.min(l), hi.max(l)));
            assert!(lo > -0.5 && hi < 0.5, "ρ = {rho}: the level moves {lo:+.2} .. {hi:+.2} dB");
        }
    }

    #[test]
    fn the_fade_law_is_equal_gain_for_one_signal_and_equal_power_for_unrelated_ones() {
        assert_eq!(fade_gains(0.5, 1.0), (0.5, 0.5));
        let (a, b) = fade_gains(0.5, 0.0);
        assert!((a - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6 && (a - b).abs() < 1e-7);
        assert_eq!(fade_gains(0.0, 0.3), (1.0, 0.0));
        assert_eq!(fade_gains(1.0, 0.3), (0.0, 1.0));
        // Silence on one side reads as unrelated, not as NaN.
        let mut law = FadeLaw::default();
        law.measure(&[0.0; 16], &[0.5; 16]);
        assert_eq!(law.correlation(), 0.0);
    }
}
