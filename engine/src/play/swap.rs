//! Handing schedules to the audio thread and back, without locks and without freeing memory there.
//!
//! The control side pushes a boxed [`Schedule`] into a ring. At the start of a block the engine takes the
//! newest one (older pending ones are retired unplayed), moves node state across by (node id, kind), and
//! pushes the old schedule into a second ring. When that ring is full the engine parks the old schedule in
//! a preallocated backlog and retries next block: it never drops a schedule itself.
//!
//! The engine's side is generic over its two ring ends ([`RingIn`], [`RingOut`]) only so that the model
//! check at the end of this file (`RUSTFLAGS="--cfg loom"`) can run the same `take_newest`/`retire` code
//! over rings built from loom's atomics; the engine itself always uses `rtrb`.

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

/// The receiving end of a single-producer, single-consumer ring.
pub(crate) trait RingIn<T> {
    /// The oldest item, if any. Never blocks or allocates.
    fn pop(&mut self) -> Option<T>;
}

/// The sending end of a single-producer, single-consumer ring.
pub(crate) trait RingOut<T> {
    /// Queues `item`, or hands it back when the ring is full. Never blocks or allocates.
    fn push(&mut self, item: T) -> Result<(), T>;
}

impl<T> RingIn<T> for Consumer<T> {
    fn pop(&mut self) -> Option<T> {
        Consumer::pop(self).ok()
    }
}

impl<T> RingOut<T> for Producer<T> {
    fn push(&mut self, item: T) -> Result<(), T> {
        Producer::push(self, item).map_err(|PushError::Full(item)| item)
    }
}

/// The engine's ends of the two rings, and its backlog.
pub(crate) struct EngineSide<T = Box<Schedule>, I = Consumer<T>, O = Producer<T>> {
    from_control: I,
    to_control: O,
    backlog: [Option<T>; BACKLOG],
}

/// Makes both ends. Allocates: call off the audio thread.
pub(crate) fn channel() -> (EngineSide, EngineControl) {
    let (to_engine, from_control) = RingBuffer::new(RING);
    let (to_control, retired) = RingBuffer::new(RING);
    (EngineSide::new(from_control, to_control), EngineControl { to_engine, retired })
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

impl<T, I: RingIn<T>, O: RingOut<T>> EngineSide<T, I, O> {
    /// The engine's side over the given ring ends, with an empty backlog.
    fn new(from_control: I, to_control: O) -> Self {
        EngineSide { from_control, to_control, backlog: Default::default() }
    }

    /// Takes the newest pending schedule, if any, parking every schedule it replaces. Audio thread.
    pub fn take_newest(&mut self) -> Option<T> {
        self.flush_backlog();
        let mut newest: Option<T> = None;
        // Stop while there is room for the caller's retiree plus one skipped schedule, so nothing is dropped.
        while self.backlog_free() >= 2 {
            match self.from_control.pop() {
                Some(schedule) => {
                    if let Some(skipped) = newest.replace(schedule) {
                        self.retire(skipped);
                    }
                }
                None => break,
            }
        }
        newest
    }

    /// Hands `schedule` back to the control side, or parks it. Audio thread. The caller guarantees room
    /// (`take_newest` only returns a schedule when the backlog has a free slot).
    pub fn retire(&mut self, schedule: T) {
        if let Err(schedule) = self.to_control.push(schedule) {
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
                && let Err(schedule) = self.to_control.push(schedule)
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

/// Model check of the handoff with loom (`RUSTFLAGS="--cfg loom" cargo test --release -p ferrule-engine
/// --lib swap::model`). The real [`EngineSide`] (`take_newest`, `retire`, the backlog) runs on an "audio"
/// thread against a control thread that submits and collects, over two SPSC rings built here from loom
/// atomics with rtrb's discipline (the producer publishes a slot with a release store of its tail, the
/// consumer takes it after an acquire load, and the reverse for the head). loom explores every
/// interleaving (and the weak-memory reorderings it models) and checks that:
/// - no schedule is ever dropped on the audio thread, and none is leaked or dropped twice;
/// - the return ring filling up (capacity 1 here) parks schedules in the backlog instead of losing them;
/// - only the newest pending schedule is played; every skipped one comes back to the control side.
///
/// What is not modelled: rtrb's own code (the rings here follow its algorithm but are not it), and the
/// crossfade path, which only delays a `retire` by some blocks.
#[cfg(all(test, loom))]
mod model {
    use super::{EngineSide, RingIn, RingOut};
    use loom::cell::UnsafeCell;
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use std::mem::MaybeUninit;

    /// A bounded SPSC ring over loom atomics: `head` is the next slot to read, `tail` the next to write,
    /// both counting up forever.
    struct Ring<T> {
        slots: Vec<UnsafeCell<MaybeUninit<T>>>,
        head: AtomicUsize,
        tail: AtomicUsize,
    }

    // SAFETY: one producer and one consumer; a slot is only touched by the side that owns it per head/tail.
    unsafe impl<T: Send> Send for Ring<T> {}
    unsafe impl<T: Send> Sync for Ring<T> {}

    struct Push<T>(Arc<Ring<T>>);
    struct Pop<T>(Arc<Ring<T>>);

    fn ring<T>(capacity: usize) -> (Push<T>, Pop<T>) {
        let ring = Arc::new(Ring {
            slots: (0..capacity).map(|_| UnsafeCell::new(MaybeUninit::uninit())).collect(),
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
        });
        (Push(ring.clone()), Pop(ring))
    }

    impl<T> RingOut<T> for Push<T> {
        fn push(&mut self, item: T) -> Result<(), T> {
            let r = &*self.0;
            let tail = r.tail.load(Ordering::Relaxed);
            if tail - r.head.load(Ordering::Acquire) == r.slots.len() {
                return Err(item);
            }
            // SAFETY: the slot at `tail` is free: the consumer released it (acquire above) or never had it.
            r.slots[tail % r.slots.len()].with_mut(|slot| unsafe { (*slot).write(item) });
            r.tail.store(tail + 1, Ordering::Release);
            Ok(())
        }
    }

    impl<T> RingIn<T> for Pop<T> {
        fn pop(&mut self) -> Option<T> {
            let r = &*self.0;
            let head = r.head.load(Ordering::Relaxed);
            if r.tail.load(Ordering::Acquire) == head {
                return None;
            }
            // SAFETY: the producer published this slot (acquire above) and will not touch it until released.
            let item = r.slots[head % r.slots.len()].with(|slot| unsafe { (*slot).assume_init_read() });
            r.head.store(head + 1, Ordering::Release);
            Some(item)
        }
    }

    impl<T> Drop for Ring<T> {
        fn drop(&mut self) {
            let (head, tail) = (self.head.load(Ordering::Relaxed), self.tail.load(Ordering::Relaxed));
            for i in head..tail {
                // SAFETY: slots between head and tail hold items nobody took; the ring is the last owner.
                self.slots[i % self.slots.len()].with_mut(|slot| unsafe { (*slot).assume_init_drop() });
            }
        }
    }

    loom::thread_local! {
        static AUDIO: std::cell::Cell<bool> = std::cell::Cell::new(false);
    }

    /// A stand-in for a boxed schedule: counts its drops and fails if dropped on the audio thread.
    struct Sched {
        id: usize,
        drops: Arc<AtomicUsize>,
    }

    impl Drop for Sched {
        fn drop(&mut self) {
            assert!(!AUDIO.with(|a| a.get()), "schedule {} dropped on the audio thread", self.id);
            self.drops.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `submits` schedules sent by the control thread (collecting between sends) while the audio thread
    /// runs `blocks` blocks; rings of `to_engine` and `to_control` capacity. Returns the most schedules
    /// seen parked in the backlog at the end of the audio thread's blocks, over every interleaving.
    /// `most_parked` is the caller's own record (plain std, outside the model, one per test as tests run in
    /// parallel).
    fn handoff(
        submits: usize,
        blocks: usize,
        to_engine: usize,
        to_control: usize,
        most_parked: &'static std::sync::atomic::AtomicUsize,
    ) -> usize {
        loom::model(move || {
            let drops = Arc::new(AtomicUsize::new(0));
            let (mut submit, from_control) = ring::<Sched>(to_engine);
            let (to_control_end, mut retired) = ring::<Sched>(to_control);
            let mut side = EngineSide::new(from_control, to_control_end);
            let playing = Sched { id: 0, drops: drops.clone() };

            let audio = loom::thread::spawn(move || {
                AUDIO.with(|a| a.set(true));
                let mut playing = playing;
                let mut played = vec![];
                for _ in 0..blocks {
                    if let Some(new) = side.take_newest() {
                        assert!(new.id > playing.id, "played {} after {}: newest only, in order", new.id, playing.id);
                        played.push(new.id);
                        let old = std::mem::replace(&mut playing, new);
                        side.retire(old);
                    }
                }
                AUDIO.with(|a| a.set(false));
                most_parked.fetch_max(super::BACKLOG - side.backlog_free(), std::sync::atomic::Ordering::Relaxed);
                (side, playing, played)
            });

            let mut handed_back = 0;
            let mut collected = 0;
            for id in 1..=submits {
                if let Err(back) = submit.push(Sched { id, drops: drops.clone() }) {
                    drop(back);
                    handed_back += 1;
                }
                while retired.pop().is_some() {
                    collected += 1;
                }
            }
            let (mut side, playing, played) = audio.join().unwrap();

            // Nothing was lost: what the engine parked or still holds comes back after the fact.
            let mut parked = 0;
            loop {
                let before = parked;
                side.flush_backlog();
                while retired.pop().is_some() {
                    parked += 1;
                }
                if parked == before && side.backlog_free() == super::BACKLOG {
                    break;
                }
            }
            let pending = std::iter::from_fn(|| submit_pending(&mut side)).count();
            drop(playing);
            let total = collected + parked + pending + handed_back + 1;
            assert_eq!(total, submits + 1, "every schedule accounted for (played {played:?})");
            drop(side);
            drop(submit);
            drop(retired);
            assert_eq!(drops.load(Ordering::Relaxed), submits + 1, "each schedule dropped exactly once");
        });
        most_parked.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Takes one schedule the engine never got to, from the to-engine ring.
    fn submit_pending(side: &mut EngineSide<Sched, Pop<Sched>, Push<Sched>>) -> Option<Sched> {
        side.from_control.pop()
    }

    #[test]
    fn handoff_with_a_full_return_ring_parks_and_later_returns_every_schedule() {
        // Return ring of 1: the second retire in a block (a skipped schedule plus the old one) finds it
        // full and parks.
        static MOST_PARKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        assert!(handoff(3, 2, 2, 1, &MOST_PARKED) > 0, "some interleaving parks a schedule");
    }

    #[test]
    fn handoff_with_room_returns_every_schedule_and_plays_only_the_newest() {
        static MOST_PARKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        assert_eq!(handoff(3, 2, 4, 4, &MOST_PARKED), 0, "with room, nothing is parked");
    }
}
