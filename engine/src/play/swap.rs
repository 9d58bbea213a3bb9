//! Handing schedules to the audio thread and back, without locks and without freeing memory there.
//!
//! The control side pushes a boxed [`Schedule`] into a ring. At the start of a block the engine takes the
//! newest one (older pending ones are retired unplayed), moves node state across by (node id, kind), and
//! pushes the old schedule into a second ring. When that ring is full the engine parks the old schedule in
//! a preallocated backlog and retries next block: it never drops a schedule itself.

use rtrb::{Consumer, Producer, PushError, RingBuffer};

use crate::schedule::Schedule;

/// How many schedules can wait for the engine, and how many it can hand back before parking them.
const RING: usize = 8;
/// Retired schedules the engine can park while the return ring is full.
pub(crate) const BACKLOG: usize = 4;

/// The control side of an [`crate::Engine`]: submits new schedules and drops retired ones. Any thread but
/// the audio thread.
pub struct EngineControl {
    to_engine: Producer<Box<Schedule>>,
    retired: Consumer<Box<Schedule>>,
}

/// The engine's ends of the two rings, and its backlog.
pub(crate) struct EngineSide {
    from_control: Consumer<Box<Schedule>>,
    to_control: Producer<Box<Schedule>>,
    backlog: [Option<Box<Schedule>>; BACKLOG],
}

/// Makes both ends. Allocates: call off the audio thread.
pub(crate) fn channel() -> (EngineSide, EngineControl) {
    let (to_engine, from_control) = RingBuffer::new(RING);
    let (to_control, retired) = RingBuffer::new(RING);
    (EngineSide { from_control, to_control, backlog: Default::default() }, EngineControl { to_engine, retired })
}

impl EngineControl {
    /// Queues `schedule` to replace the playing one at the start of the engine's next block. When several
    /// are queued, only the newest is played. Hands the schedule back when the queue is full (the engine is
    /// not running, or is many blocks behind), boxed as it was queued.
    pub fn submit(&mut self, schedule: Schedule) -> Result<(), Box<Schedule>> {
        match self.to_engine.push(Box::new(schedule)) {
            Ok(()) => Ok(()),
            Err(PushError::Full(schedule)) => Err(schedule),
        }
    }

    /// Drops the schedules the engine has finished with; returns how many. Call regularly (a timer, or
    /// before each submit).
    pub fn collect_retired(&mut self) -> usize {
        let mut dropped = 0;
        while let Ok(schedule) = self.retired.pop() {
            drop(schedule);
            dropped += 1;
        }
        dropped
    }
}

impl EngineSide {
    /// Takes the newest pending schedule, if any, parking every schedule it replaces. Audio thread.
    pub fn take_newest(&mut self) -> Option<Box<Schedule>> {
        self.flush_backlog();
        let mut newest: Option<Box<Schedule>> = None;
        // Stop while there is room for the caller's retiree plus one skipped schedule, so nothing is dropped.
        while self.backlog_free() >= 2 {
            match self.from_control.pop() {
                Ok(schedule) => {
                    if let Some(skipped) = newest.replace(schedule) {
                        self.retire(skipped);
                    }
                }
                Err(_) => break,
            }
        }
        newest
    }

    /// Hands `schedule` back to the control side, or parks it. Audio thread. The caller guarantees room
    /// (`take_newest` only returns a schedule when the backlog has a free slot).
    pub fn retire(&mut self, schedule: Box<Schedule>) {
        if let Err(PushError::Full(schedule)) = self.to_control.push(schedule) {
            if let Some(slot) = self.backlog.iter_mut().find(|s| s.is_none()) {
                *slot = Some(schedule);
            } else {
                // Unreachable by construction; leaking beats freeing on the audio thread.
                std::mem::forget(schedule);
            }
        }
    }

    fn flush_backlog(&mut self) {
        for slot in self.backlog.iter_mut() {
            if let Some(schedule) = slot.take()
                && let Err(PushError::Full(schedule)) = self.to_control.push(schedule)
            {
                *slot = Some(schedule);
                return;
            }
        }
    }

    fn backlog_free(&self) -> usize {
        self.backlog.iter().filter(|s| s.is_none()).count()
    }
}
