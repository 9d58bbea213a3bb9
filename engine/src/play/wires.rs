//! The wire-buffer pool as the audio thread sees it: the one place Ferrule makes slices of it from raw
//! pointers.
//!
//! Each op of a schedule reads some wire buffers and writes others of one pool (`Schedule::buffers`,
//! [`CHUNK`] frames per buffer). Rust's borrows cannot express "these slices of one `Vec` are disjoint"
//! for ids known only at run time, and checking it per op on the audio thread would cost more than the
//! small nodes it feeds. The compiler proves it instead: [`crate::Schedule::check`] runs on every schedule
//! before it can be played and refuses one whose ops read or write a buffer out of bounds, write one twice
//! or read one they write. Given that, the slices below never overlap a mutable one.

use std::marker::PhantomData;

use ferrule_nodes::{Lanes, MAX_INPUTS, MAX_OUTPUTS};

use crate::schedule::{BufferId, CHUNK};

/// A checked schedule's wire buffers, lent out `len` frames at a time. Audio thread.
pub(crate) struct WirePool<'a> {
    base: *mut Lanes,
    /// Buffers in the pool.
    count: usize,
    /// Frames each slice spans, `1..=CHUNK`.
    len: usize,
    _pool: PhantomData<&'a mut [Lanes]>,
}

impl<'a> WirePool<'a> {
    /// The pool `buffers` (a whole number of [`CHUNK`]-frame buffers of a schedule that passed
    /// `Schedule::check`), lending slices of `len` frames (clamped to `1..=CHUNK`).
    pub(crate) fn new(buffers: &'a mut [Lanes], len: usize) -> WirePool<'a> {
        debug_assert_eq!(buffers.len() % CHUNK, 0);
        WirePool {
            base: buffers.as_mut_ptr(),
            count: buffers.len() / CHUNK,
            len: len.clamp(1, CHUNK),
            _pool: PhantomData,
        }
    }

    /// The last frame buffer `b` holds this period (what a modulation route reads).
    #[inline]
    pub(crate) fn last(&self, b: BufferId) -> Lanes {
        self.read(b)[self.len - 1]
    }

    /// Buffer `b`'s frames, shared.
    #[inline]
    pub(crate) fn read(&self, b: BufferId) -> &[Lanes] {
        debug_assert!((b as usize) < self.count, "buffer {b} of {}", self.count);
        // SAFETY: `Schedule::check` proved `b < count`, so the `len ≤ CHUNK` frames from `b * CHUNK` lie within
        // the pool this struct borrows mutably for `'a`. No mutable slice of `b` exists while this one lives:
        // mutable slices are made only by `op`, which borrows `self` mutably, so they cannot outlive a call
        // that overlaps this shared borrow.
        unsafe { std::slice::from_raw_parts(self.base.add(b as usize * CHUNK), self.len) }
    }

    /// One op's view of the pool: shared slices of the buffers it reads (`None` stays `None`) and mutable
    /// slices of the `writes.len() ≤ MAX_OUTPUTS` buffers it writes, in order.
    #[inline]
    pub(crate) fn op(
        &mut self,
        reads: [Option<BufferId>; MAX_INPUTS],
        writes: &[BufferId],
    ) -> ([Option<&[Lanes]>; MAX_INPUTS], [&mut [Lanes]; MAX_OUTPUTS]) {
        debug_assert!(writes.len() <= MAX_OUTPUTS);
        debug_assert!(writes.iter().enumerate().all(|(i, w)| !writes[..i].contains(w)), "an op writes a buffer twice");
        debug_assert!(reads.iter().flatten().all(|r| !writes.contains(r)), "an op reads a buffer it writes");
        let (base, count, len) = (self.base, self.count, self.len);
        let shared = reads.map(|r| {
            r.map(|b| {
                debug_assert!((b as usize) < count);
                // SAFETY: in bounds as in `read`; `Schedule::check` proved no buffer this op reads is one it
                // writes, so none of these overlaps the mutable slices made below.
                unsafe { std::slice::from_raw_parts(base.add(b as usize * CHUNK) as *const Lanes, len) }
            })
        });
        let mut mutable: [&mut [Lanes]; MAX_OUTPUTS] = Default::default();
        for (out, &b) in mutable.iter_mut().zip(writes) {
            debug_assert!((b as usize) < count);
            // SAFETY: in bounds as in `read`; `Schedule::check` proved the buffers one op writes are distinct
            // and none is one it reads, so these mutable slices overlap nothing else lent out by this call,
            // and `&mut self` keeps every other lending call out while they live.
            *out = unsafe { std::slice::from_raw_parts_mut(base.add(b as usize * CHUNK), len) };
        }
        (shared, mutable)
    }
}
