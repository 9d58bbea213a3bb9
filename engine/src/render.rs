//! Offline rendering: plays a schedule through the same engine path the plugin uses, faster than real time.

use crate::events::EventKind;
use crate::schedule::Schedule;

/// An event at a time in seconds from the start of the render.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimedEvent {
    /// Seconds from the start.
    pub seconds: f64,
    /// What happens.
    pub kind: EventKind,
}

/// How to render.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RenderSettings {
    /// Sample rate in Hz; must match the schedule's.
    pub sample_rate: f32,
    /// Block size in frames, ≤ the schedule's `max_block`.
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

/// Renders `events` (any order; sorted here) through `schedule`.
pub fn render(schedule: Schedule, events: &[TimedEvent], settings: &RenderSettings) -> Rendered {
    let _ = (schedule, events, settings);
    todo!()
}
