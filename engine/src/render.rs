//! Offline rendering: plays a schedule through the same engine path the plugin uses, faster than real time.
//!
//! [`Renderer`] is the one implementation: it hands out the render a block at a time from buffers it
//! allocated up front, so a render of any length runs in constant memory (the CLI streams each block to
//! its WAV file). [`render`] and [`render_with_swaps`] collect its blocks into a [`Rendered`], for short
//! renders held in memory (tests, examples).

use std::collections::VecDeque;

use crate::events::{Event, EventKind};
use crate::play::{Engine, EngineControl};
use crate::schedule::Schedule;

/// The largest block [`Renderer`] runs, in frames: a larger [`RenderSettings::block`] is played in blocks
/// of this size (hosts use 32 to 8192).
pub const MAX_RENDER_BLOCK: usize = 65_536;

/// Frames [`render`] reserves up front at most; a longer render grows its buffers as it goes.
const MAX_RESERVE: u64 = 1 << 22;

/// An event at a time in seconds from the start of the render.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimedEvent {
    /// Seconds from the start (negative counts as 0).
    pub seconds: f64,
    /// What happens.
    pub kind: EventKind,
}

/// How to render.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RenderSettings {
    /// Block size in frames (1 to [`MAX_RENDER_BLOCK`]; outside that range the nearest is used), the host
    /// block size being simulated.
    pub block: usize,
    /// Length in seconds (negative or NaN counts as 0). Nothing here caps it: a caller taking it from a
    /// user bounds it first.
    pub seconds: f64,
}

/// A stereo render.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendered {
    /// Left channel.
    pub left: Vec<f32>,
    /// Right channel.
    pub right: Vec<f32>,
}

/// Frame nearest `seconds` at `sample_rate` Hz; negative and NaN times are frame 0, times past any
/// render the last representable frame.
fn frame_of(seconds: f64, sample_rate: f64) -> u64 {
    // `as` saturates: NaN → 0, +∞ → u64::MAX.
    (seconds.max(0.0) * sample_rate).round() as u64
}

/// A render in progress: the engine, the events and schedule swaps still to come, and one block of
/// output. Each [`Renderer::next_block`] plays the next block into buffers allocated by
/// [`Renderer::new`], so memory stays the same whatever the length. Any thread but an audio thread (it
/// owns an engine and drops retired schedules itself).
pub struct Renderer {
    engine: Engine,
    control: EngineControl,
    /// Events by frame, sorted (stably), and the next one to apply.
    events: Vec<(u64, EventKind)>,
    next_event: usize,
    /// Schedules to submit, by the frame they take over at, in time order.
    swaps: VecDeque<(u64, Schedule)>,
    /// One block's events, with room for all of them.
    block_events: Vec<Event>,
    left: Vec<f32>,
    right: Vec<f32>,
    /// Frames rendered so far, and in all.
    position: u64,
    frames: u64,
}

impl Renderer {
    /// Prepares to render `events` (any order; sorted here, stably) through `schedule` at the schedule's
    /// sample rate, in blocks of `settings.block` frames, each event on the frame nearest its time. Each
    /// `(seconds, schedule)` in `swaps` is handed to the engine's control side just before the block that
    /// starts at that frame (a block is cut short to start there), exactly as a hot reload does live:
    /// `EngineControl::submit`, then `Engine::process` takes it at its next block boundary. Of several
    /// swaps due at one frame only the last is heard. Allocates everything the render will need.
    pub fn new(
        schedule: Schedule,
        swaps: Vec<(f64, Schedule)>,
        events: &[TimedEvent],
        settings: &RenderSettings,
    ) -> Renderer {
        let sample_rate = schedule.sample_rate() as f64;
        let mut timed: Vec<(u64, EventKind)> =
            events.iter().map(|e| (frame_of(e.seconds, sample_rate), e.kind)).collect();
        timed.sort_by_key(|e| e.0);
        let mut swaps: Vec<(u64, Schedule)> =
            swaps.into_iter().map(|(s, schedule)| (frame_of(s, sample_rate), schedule)).collect();
        swaps.sort_by_key(|s| s.0);
        let block = settings.block.clamp(1, MAX_RENDER_BLOCK);
        let (engine, control) = Engine::new(schedule);
        Renderer {
            engine,
            control,
            block_events: Vec::with_capacity(timed.len()),
            events: timed,
            next_event: 0,
            swaps: swaps.into(),
            left: vec![0.0; block],
            right: vec![0.0; block],
            position: 0,
            frames: frame_of(settings.seconds, sample_rate),
        }
    }

    /// The render's whole length in frames.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames rendered so far.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Renders the next block and returns its left and right channels (equal lengths, at most the block
    /// size), or `None` once the whole length is rendered. Never allocates except to drop a schedule a
    /// swap retired.
    pub fn next_block(&mut self) -> Option<(&[f32], &[f32])> {
        let start = self.position;
        if start >= self.frames {
            return None;
        }
        // The engine drained the queue last block, so there is room for the one swap submitted here.
        let mut due = None;
        while self.swaps.front().is_some_and(|s| s.0 <= start) {
            due = self.swaps.pop_front().map(|s| s.1);
        }
        if let Some(schedule) = due {
            let _ = self.control.submit(schedule);
        }
        let mut end = (start + self.left.len() as u64).min(self.frames);
        if let Some(&(at, _)) = self.swaps.front() {
            end = end.min(at.max(start + 1));
        }
        self.block_events.clear();
        while let Some(&(at, kind)) = self.events.get(self.next_event).filter(|e| e.0 < end) {
            self.block_events.push(Event { time: (at.max(start) - start) as u32, kind });
            self.next_event += 1;
        }
        let n = (end - start) as usize;
        let (left, right) = (&mut self.left[..n], &mut self.right[..n]);
        self.engine.process(&self.block_events, left, right);
        self.control.collect_retired();
        self.position = end;
        Some((&self.left[..n], &self.right[..n]))
    }
}

/// Renders `events` (any order; sorted here, stably) through `schedule` at the schedule's sample rate, in
/// blocks of `settings.block` frames, into memory. Each event lands on the frame nearest its time. For
/// short renders; a long one streams through [`Renderer`] instead.
pub fn render(schedule: Schedule, events: &[TimedEvent], settings: &RenderSettings) -> Rendered {
    render_with_swaps(schedule, Vec::new(), events, settings)
}

/// Renders like [`render`], swapping schedules as [`Renderer::new`] describes.
pub fn render_with_swaps(
    schedule: Schedule,
    swaps: Vec<(f64, Schedule)>,
    events: &[TimedEvent],
    settings: &RenderSettings,
) -> Rendered {
    let mut renderer = Renderer::new(schedule, swaps, events, settings);
    let reserve = renderer.frames().min(MAX_RESERVE) as usize;
    let mut out = Rendered { left: Vec::with_capacity(reserve), right: Vec::with_capacity(reserve) };
    while let Some((left, right)) = renderer.next_block() {
        out.left.extend_from_slice(left);
        out.right.extend_from_slice(right);
    }
    out
}
