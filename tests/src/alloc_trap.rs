//! An allocator that counts allocations and deallocations made by one thread inside a trapped scope.
//!
//! Each test binary that uses it installs it once with [`install_alloc_trap!`]. Unlike `assert_no_alloc`,
//! which aborts the process, it counts, so a test can also prove that the trap does catch an allocation.
//! The flag and counter are `const`-initialised thread-locals, which themselves never allocate.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static TRAPPED: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: Cell<usize> = const { Cell::new(0) };
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

// SAFETY: forwards every call to the system allocator unchanged; only counts on the side.
unsafe impl GlobalAlloc for TrapAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        unsafe { System.realloc(ptr, layout, new_size) }
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
/// current thread made meanwhile. Only meaningful in a binary that used [`install_alloc_trap!`].
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    CAUGHT.with(|c| c.set(0));
    TRAPPED.with(|t| t.set(true));
    let result = f();
    TRAPPED.with(|t| t.set(false));
    (result, CAUGHT.with(|c| c.get()))
}
