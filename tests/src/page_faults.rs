//! Counting the page faults a thread takes, to hold the audio path to taking none (see
//! `tests/tests/page_faults.rs` for why a page fault matters there).

/// Minor page faults the calling thread has taken so far (`getrusage(RUSAGE_THREAD)`); the difference of two
/// readings on one thread is what that thread took in between. Linux only, like the counter.
#[cfg(target_os = "linux")]
pub fn taken_so_far() -> i64 {
    // SAFETY: `usage` is a valid, writable rusage; RUSAGE_THREAD reports on the calling thread only.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
        usage.ru_minflt
    }
}
