//! An allocator that counts allocations and deallocations made by one thread inside a trapped scope.
//!
//! Each test binary that uses it installs it once with [`install_alloc_trap!`](crate::install_alloc_trap). Unlike `assert_no_alloc`,
//! which aborts the process, it counts, so a test can also prove that the trap does catch an allocation.
//! The flag and counter are `const`-initialised thread-locals, which themselves never allocate.
//!
//! The same allocator also measures memory: [`peak_bytes`] reports the most bytes the current thread held
//! at once during a closure (what a compile costs, beyond what it returns).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static TRAPPED: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: Cell<usize> = const { Cell::new(0) };
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    /// Bytes allocated minus bytes freed by this thread since [`peak_bytes`] began (negative when it frees
    /// memory allocated before).
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The largest [`LIVE`] seen since [`peak_bytes`] began.
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// The system allocator, counting what the current thread does inside [`count_allocations`].
pub struct TrapAllocator;

fn note() {
    // `try_with` so an allocation during thread teardown is never a problem.
    let _ = TRAPPED.try_with(|t| {
        if t.get() {
            let _ = CAUGHT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

/// Adds `delta` bytes to the live count of a [`peak_bytes`] measurement, if one is running.
fn track(delta: isize) {
    let _ = MEASURING.try_with(|m| {
        if m.get() {
            let _ = LIVE.try_with(|live| {
                let now = live.get().saturating_add(delta);
                live.set(now);
                let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
            });
        }
    });
}

// SAFETY: forwards every call to the system allocator unchanged; only counts on the side.
unsafe impl GlobalAlloc for TrapAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: our caller upholds `GlobalAlloc::alloc`'s contract (`layout` has a non-zero size), which is
        // all `System.alloc` requires.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            track(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        track(-(layout.size() as isize));
        // SAFETY: every block this allocator hands out comes from `System` (alloc, alloc_zeroed, realloc here),
        // so `ptr` was allocated by `System` with this `layout`, as `System.dealloc` requires.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: as for `alloc`: `layout` has a non-zero size (our caller's contract).
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            track(layout.size() as isize);
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: `ptr` came from `System` with `layout` (every block here does), and our caller guarantees
        // `new_size` is non-zero and does not overflow `isize` once rounded to `layout`'s alignment.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            track(new_size as isize - layout.size() as isize);
        }
        new
    }
}

/// Installs [`TrapAllocator`] as the test binary's global allocator.
#[macro_export]
macro_rules! install_alloc_trap {
    () => {
        #[global_allocator]
        static ALLOC_TRAP: $crate::alloc_trap::TrapAllocator = $crate::alloc_trap::TrapAllocator;
    };
}

/// Runs `f` and returns its result with the number of allocations, reallocations and deallocations the
/// current thread made meanwhile. Only meaningful in a binary that used [`install_alloc_trap!`](crate::install_alloc_trap).
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    CAUGHT.with(|c| c.set(0));
    TRAPPED.with(|t| t.set(true));
    let result = f();
    TRAPPED.with(|t| t.set(false));
    (result, CAUGHT.with(|c| c.get()))
}

/// Runs `f` and returns its result with the most bytes the current thread had allocated and not yet freed
/// at any moment meanwhile (counted from zero when `f` starts; memory freed that was allocated before does
/// not count against it). Includes what `f` returns. Only meaningful in a binary that used
/// [`install_alloc_trap!`](crate::install_alloc_trap); other threads' allocations are not counted. Not reentrant.
pub fn peak_bytes<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    MEASURING.with(|m| m.set(true));
    let result = f();
    MEASURING.with(|m| m.set(false));
    (result, PEAK.with(|p| p.get()).max(0) as usize)
}
