//! Memory the audio thread will write, made resident before it gets there.
//!
//! A fresh allocation of zeros is usually not memory yet: the allocator hands out pages the kernel has only
//! promised (`calloc` of a new `mmap` or heap top skips writing them), and the first write to each page traps
//! into the kernel to map it. On the audio thread that trap can wait on the memory-map lock that any other
//! thread's `mmap`/`munmap` holds. So everything a schedule owns is allocated by these functions, off the audio
//! thread, and written once, page by page.
//!
//! Written by hand: it is a loop of volatile writes, and the point is that the optimiser must not remove it.

/// The smallest page size Ferrule runs on (x86-64, AArch64 Linux and macOS have 4 KiB or larger); touching one
/// element every this many bytes reaches every page.
const PAGE: usize = 4096;

/// `len` copies of `value`, every page of them written (see the module notes). Allocates; call off the audio
/// thread.
pub fn resident_vec<T: Copy>(value: T, len: usize) -> Vec<T> {
    let mut v = vec![value; len];
    make_resident(&mut v);
    v
}

/// Writes one element of every page `items` spans back to itself, so that each page is mapped now and not on
/// the audio thread's first write. Call off the audio thread.
pub fn make_resident<T: Copy>(items: &mut [T]) {
    let step = (PAGE / std::mem::size_of::<T>().max(1)).max(1);
    for i in (0..items.len()).step_by(step) {
        let item = items[i];
        // SAFETY: `&mut items[i]` is a valid, aligned, exclusive reference to an initialised `T`. The write is
        // volatile only so that it is not optimised away as writing a value the memory already holds.
        unsafe { std::ptr::write_volatile(&mut items[i], item) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_values_are_what_was_asked_for() {
        let v = resident_vec(1.5f32, 10_000);
        assert_eq!(v.len(), 10_000);
        assert!(v.iter().all(|&x| x == 1.5));
        let mut w = vec![[0.0f32; 8]; 3];
        make_resident(&mut w);
        assert_eq!(w, vec![[0.0f32; 8]; 3]);
        assert!(resident_vec(0u8, 0).is_empty());
    }
}
