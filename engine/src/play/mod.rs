//! The audio-thread side: the engine that plays schedules, and the control-side handle that feeds it.

use crate::events::Event;
use crate::schedule::Schedule;

/// Plays a schedule. Lives on the audio thread; every method is real-time safe.
pub struct Engine {}

/// The control side of an [`Engine`]: submits new schedules and drops retired ones. Any thread but the
/// audio thread.
pub struct EngineControl {}

impl Engine {
    /// An engine playing `schedule`, and its control handle.
    pub fn new(schedule: Schedule) -> (Engine, EngineControl) {
        let _ = schedule;
        todo!()
    }

    /// Renders one block: applies `events` (sorted by time) at their frame offsets and writes
    /// `left.len()` frames (≤ the schedule's `max_block`; `right` has the same length) of output.
    pub fn process(&mut self, events: &[Event], left: &mut [f32], right: &mut [f32]) {
        let _ = (events, left, right);
        todo!()
    }
}

impl EngineControl {
    /// Queues `schedule` to replace the playing one at the start of the next block. Hands it back when
    /// the queue is full.
    pub fn submit(&mut self, schedule: Schedule) -> Result<(), Schedule> {
        Err(schedule)
    }

    /// Drops schedules the engine has retired; returns how many.
    pub fn collect_retired(&mut self) -> usize {
        0
    }
}
