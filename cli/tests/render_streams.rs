//! A render streams: the engine's render core holds the same memory whatever the length, and the `ferrule
//! render` process's peak memory does not grow with the length of the file it writes.

mod common;

use common::{SINE, scratch};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ferrule_engine::render::{RenderSettings, Renderer, TimedEvent, render};
use ferrule_engine::{CompileSettings, EventKind, PatchSource, Schedule, compile};

thread_local! {
    /// Whether this thread's allocations are being measured, the bytes they hold now, and the most held.
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    static HELD: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// The system allocator, keeping the measuring thread's peak of bytes held.
struct PeakBytes;

fn held(change: isize) {
    // `try_with`: an allocation during thread teardown is never a problem.
    let _ = MEASURING.try_with(|m| {
        if m.get() {
            let now = HELD.with(|h| h.get()) + change;
            HELD.with(|h| h.set(now));
            PEAK.with(|p| p.set(p.get().max(now)));
        }
    });
}

// SAFETY: forwards every call to the system allocator unchanged; only counts on the side.
unsafe impl GlobalAlloc for PeakBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        held(layout.size() as isize);
        // SAFETY: our caller upholds `GlobalAlloc::alloc`'s contract (non-zero size) and `layout` goes to `System`
        // unchanged; `held` touches only thread-locals (no allocation, no re-entry).
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        held(-(layout.size() as isize));
        // SAFETY: every block this allocator hands out comes from `System`, and our caller passes `ptr` with the
        // layout it was allocated with.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        held(layout.size() as isize);
        // SAFETY: our caller upholds `GlobalAlloc::alloc_zeroed`'s contract (non-zero size) and `layout` goes to
        // `System` unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        held(new_size as isize - layout.size() as isize);
        // SAFETY: `ptr` came from `System` (every block here does) with `layout`, and our caller upholds
        // `GlobalAlloc::realloc`'s contract for `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static PEAK_BYTES: PeakBytes = PeakBytes;

/// Runs `f` and returns its result with the most bytes this thread's allocations held meanwhile (above
/// what they held when it started).
fn peak_bytes<R>(f: impl FnOnce() -> R) -> (R, isize) {
    HELD.with(|h| h.set(0));
    PEAK.with(|p| p.set(0));
    MEASURING.with(|m| m.set(true));
    let result = f();
    MEASURING.with(|m| m.set(false));
    (result, PEAK.with(|p| p.get()))
}

fn sine_schedule() -> Schedule {
    let source = PatchSource { path: "sine.ron".into(), text: SINE.into() };
    compile(&source, &CompileSettings { sample_rate: 48_000.0, max_block: 256, polyphony: None, ..Default::default() })
        .unwrap()
}

const A4: [TimedEvent; 1] = [TimedEvent { seconds: 0.0, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } }];

/// Peak bytes held while preparing and playing a whole render of `seconds` of a held note, block by block
/// through the streaming core, and the frames it produced.
fn streamed(seconds: f64) -> (isize, u64) {
    let schedule = sine_schedule();
    let ((frames, heard), peak) = peak_bytes(|| {
        let mut renderer = Renderer::new(schedule, Vec::new(), &A4, &RenderSettings { block: 256, seconds });
        let (mut frames, mut heard) = (0u64, false);
        while let Some((left, _)) = renderer.next_block() {
            frames += left.len() as u64;
            heard |= left.iter().any(|x| x.abs() > 0.4);
        }
        (frames, heard)
    });
    assert!(heard, "the note is heard");
    (peak, frames)
}

#[test]
fn the_render_core_holds_the_same_memory_for_a_render_ten_times_longer() {
    let (short, short_frames) = streamed(1.0);
    let (long, long_frames) = streamed(10.0);
    assert_eq!((short_frames, long_frames), (48_000, 480_000));
    assert_eq!(long, short, "peak bytes held for 10 s against 1 s");
    // The measure sees a render held in memory: `render` keeps 8 bytes a frame.
    let (_, in_memory) =
        peak_bytes(|| render(sine_schedule(), &A4, &RenderSettings { block: 256, seconds: 10.0 }).left.len());
    assert!(in_memory >= 480_000 * 8, "render() held {in_memory} bytes at most");
}

/// Peak resident memory of one `ferrule render` of `seconds` of a sine at 192 kHz, in kB, from the
/// kernel's account of that child process (`wait4`).
#[cfg(target_os = "linux")]
fn peak_rss_kb_of_a_render(seconds: &str) -> i64 {
    let patch = scratch("rss-sine.ron");
    std::fs::write(&patch, SINE).unwrap();
    let out = scratch(&format!("rss-{seconds}.wav"));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ferrule"))
        .args(["render", patch.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .args(["--notes", "A4@0+1", "--rate", "192000", "--seconds", seconds])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("ferrule runs");
    // SAFETY: `usage` and `status` are valid and writable; the pid is our own child, not yet waited for
    // (the `Child` is forgotten so nothing else reaps it).
    let (status, usage) = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let mut status = 0;
        let pid = child.id() as libc::pid_t;
        std::mem::forget(child);
        assert_eq!(libc::wait4(pid, &mut status, 0, &mut usage), pid);
        (status, usage)
    };
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the render succeeds");
    let _ = std::fs::remove_file(&out);
    usage.ru_maxrss
}

#[cfg(target_os = "linux")]
#[test]
fn the_cli_peak_memory_stays_the_same_for_a_render_ten_times_longer() {
    // 4 s and 40 s at 192 kHz: holding the longer render in memory would take 61 MB more than the shorter.
    let short = peak_rss_kb_of_a_render("4");
    let long = peak_rss_kb_of_a_render("40");
    eprintln!("peak RSS {short} kB for 4 s, {long} kB for 40 s");
    assert!(long - short < 8_000, "peak RSS {short} kB for 4 s, {long} kB for 40 s");
}
