//! Every node kind's [`Processor::heap_bytes`] is the truth: the engine's compiler refuses patches by it
//! before building them, so a kind that allocated more than it declares could exhaust the memory budget
//! unseen. Counted with a global allocator that tallies the bytes allocated on this test's thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ferrule_nodes::{KindId, Processor, Sizing, registry};

struct Counting;

thread_local! {
    static BYTES: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; only counts on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = BYTES.try_with(|b| b.set(b.get() + layout.size()));
        // SAFETY: our caller upholds `GlobalAlloc::alloc`'s contract (`layout` has a non-zero size) and `layout` goes
        // to `System` unchanged; counting touches only a thread-local integer, so it cannot allocate or re-enter.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: every block this allocator hands out comes from `System` (in `alloc` or `realloc`), and our
        // caller passes `ptr` with the layout it was allocated with, so `System` may free it.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = BYTES.try_with(|b| b.set(b.get() + new_size));
        // SAFETY: `ptr` came from `System` (every block here does) with `layout`, and our caller upholds
        // `GlobalAlloc::realloc`'s contract for `new_size` (non-zero, no overflow when rounded to the alignment).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap bytes allocated while building one processor of `kind` for `sizing`.
fn allocated(kind: KindId, sizing: &Sizing<'_>) -> usize {
    let before = BYTES.with(Cell::get);
    let processor = Processor::sized(kind, sizing);
    let after = BYTES.with(Cell::get);
    drop(processor);
    after - before
}

#[test]
fn every_kind_declares_the_heap_memory_it_allocates() {
    for (i, spec) in registry::all().iter().enumerate() {
        let kind = KindId(i as u16);
        // Shared tables (the band-limiting kernel) are built once per process on first use, not per node.
        drop(Processor::new(kind, 48_000.0));
        for rate in [8_000.0, 44_100.0, 48_000.0, 192_000.0, 768_000.0] {
            // Every parameter at its minimum, its default and its maximum.
            let at = |f: fn(&ferrule_nodes::ParamSpec) -> f32| spec.params.iter().map(f).collect::<Vec<f32>>();
            for max in [at(|p| p.min), at(|p| p.default), at(|p| p.max)] {
                let sizing = Sizing { sample_rate: rate, max: &max };
                assert_eq!(
                    allocated(kind, &sizing),
                    Processor::heap_bytes(kind, &sizing),
                    "{} at {rate} Hz sized for {max:?}",
                    spec.kind
                );
            }
        }
    }
}

#[test]
fn a_delay_owns_memory_for_the_time_it_can_reach_not_for_the_longest_it_allows() {
    let (delay, spec) = registry::find("delay").unwrap();
    let time = spec.param("time").unwrap();
    let sync = spec.param("sync").unwrap();
    let mut max: Vec<f32> = spec.params.iter().map(|p| p.default).collect();
    max[sync] = 0.0;
    max[time] = 0.25;
    let short = Processor::heap_bytes(delay, &Sizing { sample_rate: 48_000.0, max: &max });
    // 0.25 s at 48 kHz is 12,000 samples: a 16,384-sample line per channel.
    assert_eq!(short, 2 * 16_384 * 4);
    let full = Processor::heap_bytes(delay, &Sizing::full(48_000.0));
    assert_eq!(full, 2 * 262_144 * 4, "4 s at 48 kHz");
    // Synced to the tempo, any note value can reach the longest time.
    max[sync] = 7.0;
    assert_eq!(Processor::heap_bytes(delay, &Sizing { sample_rate: 48_000.0, max: &max }), full);
}

#[test]
fn state_moves_only_between_delays_whose_lines_are_the_same_length() {
    let (delay, spec) = registry::find("delay").unwrap();
    let time = spec.param("time").unwrap();
    let sync = spec.param("sync").unwrap();
    let mut max: Vec<f32> = spec.params.iter().map(|p| p.default).collect();
    max[sync] = 0.0;
    let with_time = |t: f32, max: &mut Vec<f32>| {
        max[time] = t;
        Processor::sized(delay, &Sizing { sample_rate: 48_000.0, max })
    };
    let (a, b, c) = (with_time(0.2, &mut max), with_time(0.3, &mut max), with_time(2.0, &mut max));
    // 0.2 s and 0.3 s both round up to a 16,384-sample line; 2 s needs 131,072.
    assert!(a.can_take_state_of(&b) && b.can_take_state_of(&a));
    assert!(!a.can_take_state_of(&c) && !c.can_take_state_of(&a));
    let (saw, _) = registry::find("saw").unwrap();
    assert!(!a.can_take_state_of(&Processor::new(saw, 48_000.0)), "kinds differ");
}
