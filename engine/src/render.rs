//! Offline rendering: plays a schedule through the same engine path the plugin uses, faster than real time.

use crate::events::{Event, EventKind};
use crate::play::Engine;
use crate::schedule::Schedule;

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
    /// Block size in frames (at least 1), the host block size being simulated.
    pub block: usize,
    /// Length in seconds.
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

/// Renders `events` (any order; sorted here, stably) through `schedule` at the schedule's sample rate, in
/// blocks of `settings.block` frames. Each event lands on the frame nearest its time.
pub fn render(schedule: Schedule, events: &[TimedEvent], settings: &RenderSettings) -> Rendered {
    render_with_swaps(schedule, Vec::new(), events, settings)
}

/// Renders like [`render`], handing each `(seconds, schedule)` to the engine's control side just before
/// the block that starts at that frame (a block is cut short to start there), exactly as a hot reload does
/// live: `EngineControl::submit`, then `Engine::process` takes it at its next block boundary.
pub fn render_with_swaps(
    schedule: Schedule,
    swaps: Vec<(f64, Schedule)>,
    events: &[TimedEvent],
    settings: &RenderSettings,
) -> Rendered {
    let sample_rate = schedule.sample_rate() as f64;
    let frames = (settings.seconds.max(0.0) * sample_rate).round() as usize;
    let frame_of = |seconds: f64| (seconds.max(0.0) * sample_rate).round() as usize;
    let mut timed: Vec<(usize, EventKind)> = events.iter().map(|e| (frame_of(e.seconds), e.kind)).collect();
    timed.sort_by_key(|e| e.0);
    let mut swaps: std::collections::VecDeque<(usize, Schedule)> =
        swaps.into_iter().map(|(s, schedule)| (frame_of(s), schedule)).collect();

    let (mut engine, mut control) = Engine::new(schedule);
    let mut out = Rendered { left: vec![0.0; frames], right: vec![0.0; frames] };
    let mut block_events: Vec<Event> = Vec::with_capacity(timed.len());
    let mut next = 0;
    let mut start = 0;
    while start < frames {
        // Of several swaps due at this frame only the last would be heard: submit just that one. The
        // engine drained the queue last block, so there is room.
        let mut due = None;
        while swaps.front().is_some_and(|s| s.0 <= start) {
            due = swaps.pop_front().map(|s| s.1);
        }
        if let Some(schedule) = due {
            let _ = control.submit(schedule);
        }
        let mut end = (start + settings.block.max(1)).min(frames);
        if let Some(&(at, _)) = swaps.front() {
            end = end.min(at.max(start + 1));
        }
        block_events.clear();
        while next < timed.len() && timed[next].0 < end {
            block_events.push(Event { time: (timed[next].0.max(start) - start) as u32, kind: timed[next].1 });
            next += 1;
        }
        engine.process(&block_events, &mut out.left[start..end], &mut out.right[start..end]);
        control.collect_retired();
        start = end;
    }
    out
}
