//! Flush-to-zero for the duration of a block.
//!
//! Denormal floats make some CPUs fifty times slower; decaying filters and envelopes produce them. The guard
//! sets the FPU's flush-to-zero and denormals-are-zero modes and restores the host's modes when dropped, so
//! the host's own code is unaffected. Written by hand (a few lines of inline assembly) because it runs on the
//! audio thread on every block and the std intrinsics for it are deprecated.

/// While alive, denormals are flushed to zero on this thread. Audio thread; no syscalls.
pub(crate) struct DenormalGuard {
    #[allow(dead_code)]
    saved: u64,
}

impl DenormalGuard {
    /// Turns flush-to-zero on, remembering the previous mode.
    #[inline]
    pub fn new() -> DenormalGuard {
        DenormalGuard { saved: set_flush_to_zero() }
    }
}

impl Drop for DenormalGuard {
    #[inline]
    fn drop(&mut self) {
        restore(self.saved);
    }
}

#[cfg(target_arch = "x86_64")]
fn set_flush_to_zero() -> u64 {
    const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);
    let mut csr: u32 = 0;
    // SAFETY: stmxcsr/ldmxcsr read and write the SSE control register of this thread only.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
        let on = csr | FTZ_DAZ;
        std::arch::asm!("ldmxcsr [{}]", in(reg) &on, options(nostack, readonly));
    }
    csr as u64
}

#[cfg(target_arch = "x86_64")]
fn restore(saved: u64) {
    let csr = saved as u32;
    // SAFETY: ldmxcsr writes only this thread's SSE control register, reading 4 bytes from `&csr`, a live local
    // (`readonly`, no stack use). `saved` is only ever the value `stmxcsr` read in `set_flush_to_zero` (the guard's
    // field is private), so no reserved bit is set and ldmxcsr cannot fault; it changes no memory Rust can see.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly)) };
}

#[cfg(target_arch = "aarch64")]
fn set_flush_to_zero() -> u64 {
    const FZ: u64 = 1 << 24;
    let fpcr: u64;
    // SAFETY: reads and writes this thread's floating-point control register.
    unsafe {
        std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack));
        std::arch::asm!("msr fpcr, {}", in(reg) fpcr | FZ, options(nomem, nostack));
    }
    fpcr
}

#[cfg(target_arch = "aarch64")]
fn restore(saved: u64) {
    // SAFETY: restores the value read by `set_flush_to_zero`.
    unsafe { std::arch::asm!("msr fpcr, {}", in(reg) saved, options(nomem, nostack)) };
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn set_flush_to_zero() -> u64 {
    0
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn restore(_saved: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    fn denormals_flush_inside_the_guard_and_not_after() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        {
            let _guard = DenormalGuard::new();
            assert_eq!(std::hint::black_box(tiny) * std::hint::black_box(0.5), 0.0);
        }
        assert!(std::hint::black_box(tiny) * std::hint::black_box(0.5) > 0.0, "the host's mode is restored");
    }
}
