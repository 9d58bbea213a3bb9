//! Issue 7, benchmark 2: the worst block, not the average.
//!
//! 64 voices of the reference patch at 48 kHz in blocks of 128, for 60 s of audio, with notes changing (one
//! voice released and another started every 50 ms), modulation (a pitch-bend sweep every block) and schedule
//! swaps every second (alternately a new cutoff, which glides, and a new filter-envelope depth, a new shape,
//! which crossfades), while two other threads allocate and free memory as fast as they can. Every
//! `Engine::process` call is timed by the wall clock and by the thread's CPU clock: on a shared machine the
//! wall clock also counts time the OS gave to other processes; the CPU clock counts only the engine's own work.
//! A quiet run (no allocating threads) of the same events is printed beside it. Blocks are paced in real time
//! (each starts at its deadline), so the run takes as long as the audio.
//!
//! Run: `cargo bench -p ferrule-bench --bench worst_case` (`FERRULE_WORST_SECONDS` changes the 60 s).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ferrule_bench::held::{Held, schedule};
use ferrule_bench::measure::{median, percentile};
use ferrule_bench::{BLOCK, DEADLINE_NS, RATE, machine, patches};
use ferrule_engine::{Event, EventKind, PatchSource};

const VOICES: usize = 64;

/// This thread's CPU time in ns (`CLOCK_THREAD_CPUTIME_ID`): excludes time the thread was not running.
fn thread_cpu_ns() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// Asks for real-time (SCHED_FIFO) priority for this thread, as hosts give their audio threads; returns whether
/// the OS granted it. The thread sleeps between blocks, so it cannot starve the machine.
fn realtime_priority() -> bool {
    // SAFETY: plain syscall wrappers on the calling thread with a valid, initialised sched_param.
    unsafe {
        let param = libc::sched_param { sched_priority: 10 };
        libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) == 0
    }
}

/// Back to normal scheduling for this thread.
fn normal_priority() {
    // SAFETY: as in `realtime_priority`.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_OTHER, &param);
    }
}

/// A variant of the reference patch for swap number `i`: even swaps change the cutoff (same shape, values
/// glide), odd swaps change the filter-envelope depth (a new shape: both schedules play for a 15 ms crossfade).
fn variant(i: usize) -> PatchSource {
    let mut p = patches::reference();
    if i % 2 == 0 {
        let cutoff = if i % 4 == 0 { "1500.0" } else { "1200.0" };
        p.text = p.text.replace("\"cutoff\": 1200.0", &format!("\"cutoff\": {cutoff}"));
    } else {
        let depth = if i % 4 == 1 { "2.5" } else { "3.0" };
        p.text = p.text.replace("depth: 3.0", &format!("depth: {depth}"));
    }
    p
}

/// Two threads allocating and freeing blocks of 16 B to 1 MiB (touching every page) until `stop`; counts
/// allocations into the returned counter.
fn pressure(stop: &Arc<AtomicBool>) -> (Vec<std::thread::JoinHandle<()>>, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let threads = (0..2u64)
        .map(|t| {
            let (stop, count) = (stop.clone(), count.clone());
            std::thread::spawn(move || {
                let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ t;
                let mut live: Vec<Vec<u8>> = Vec::with_capacity(64);
                while !stop.load(Ordering::Relaxed) {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let size = 16usize << (seed % 17);
                    let mut v = vec![0u8; size];
                    for b in v.iter_mut().step_by(4096) {
                        *b = 1;
                    }
                    if live.len() == 64 {
                        live.swap_remove((seed >> 20) as usize % 64);
                    }
                    live.push(v);
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    (threads, count)
}

struct Run {
    wall: Vec<f64>,
    cpu: Vec<f64>,
    /// Per block: 2 within 8 blocks (21 ms) of a swap submission, else 1 with a note event, else 0.
    kind: Vec<u8>,
    swaps: usize,
}

/// Plays `seconds` of the scenario; returns per-block wall and CPU times in ns.
fn play(seconds: f64) -> Run {
    let mut held = Held::new(schedule(&patches::reference(), Some(VOICES)), VOICES);
    let blocks = (seconds * RATE as f64 / BLOCK as f64) as usize;
    let mut run = Run {
        wall: Vec::with_capacity(blocks),
        cpu: Vec::with_capacity(blocks),
        kind: Vec::with_capacity(blocks),
        swaps: 0,
    };
    let mut since_swap = usize::MAX;
    let blocks_per_second = RATE as usize / BLOCK;
    let notes_every = (0.05 * RATE as f64 / BLOCK as f64).round() as usize;
    let mut events: Vec<Event> = Vec::with_capacity(4);
    // Keys playing, oldest first; the next note cycles through two octaves above the chord.
    let mut playing: std::collections::VecDeque<u8> = (0..VOICES).map(|i| (36 + i) as u8).collect();
    let mut next_key = 0u8;
    let start = Instant::now();
    for b in 0..blocks {
        events.clear();
        let bend = (b as f32 * 0.01).sin();
        events.push(Event { time: 0, kind: EventKind::PitchBend { value: bend } });
        if b % notes_every == notes_every - 1 {
            if let Some(old) = playing.pop_front() {
                events.push(Event { time: 17, kind: EventKind::NoteOff { note: old } });
            }
            let key = loop {
                let k = 36 + next_key % 80;
                next_key = next_key.wrapping_add(1);
                if !playing.contains(&k) {
                    break k;
                }
            };
            playing.push_back(key);
            events.push(Event { time: 93, kind: EventKind::NoteOn { note: key, velocity: 0.8 } });
        }
        if b % blocks_per_second == blocks_per_second / 2 {
            // Compiled here, on this thread but outside the timed call, as a control thread would.
            if held.control.submit(schedule(&variant(run.swaps), Some(VOICES))).is_ok() {
                run.swaps += 1;
                since_swap = 0;
            }
        }
        run.kind.push(if since_swap < 8 { 2 } else { u8::from(events.len() > 1) });
        since_swap = since_swap.saturating_add(1);
        let (c0, t0) = (thread_cpu_ns(), Instant::now());
        held.block(&events);
        run.wall.push(t0.elapsed().as_nanos() as f64);
        run.cpu.push(thread_cpu_ns() - c0);
        // Paced like an audio callback: the next block starts at its deadline, so the other threads run (and
        // evict caches) between blocks as they would between a host's callbacks.
        let due = start + Duration::from_nanos(((b + 1) as f64 * DEADLINE_NS) as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    run
}

fn row(label: &str, times: &mut [f64]) {
    let share = |t: f64| t / DEADLINE_NS * 100.0;
    let (med, p999, max) = (median(times), percentile(times, 99.9), percentile(times, 100.0));
    println!(
        "{label},{:.1},{:.1},{:.1},{:.2},{:.2},{:.2}",
        med / 1e3,
        p999 / 1e3,
        max / 1e3,
        share(med),
        share(p999),
        share(max)
    );
}

fn main() {
    let seconds: f64 = std::env::var("FERRULE_WORST_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60.0);
    let mut quiet = play(seconds.min(10.0));
    let stop = Arc::new(AtomicBool::new(false));
    let (threads, allocations) = pressure(&stop);
    let started = Instant::now();
    let mut loaded = play(seconds);
    let elapsed = started.elapsed().as_secs_f64();
    let allocated = allocations.load(Ordering::Relaxed);
    // The same under load with the audio thread at real-time priority, if the OS allows it.
    let realtime = realtime_priority();
    let mut loaded_rt = if realtime { Some(play(seconds)) } else { None };
    normal_priority();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }

    println!("# Worst case (issue 7 benchmark 2)");
    println!("# machine: {}", machine());
    println!(
        "# {VOICES} voices of patches/ref-voice.ron, {RATE} Hz, block {BLOCK} (deadline {:.0} us); note change every \
         50 ms, pitch bend every block, a schedule swap every second ({} swaps under load)",
        DEADLINE_NS / 1e3,
        loaded.swaps
    );
    println!(
        "# under load: two threads made {} allocations of 16 B..1 MiB ({:.0} per second) while {seconds:.0} s of audio played",
        allocated,
        allocated as f64 / elapsed
    );
    println!("run,median_us,p99.9_us,max_us,median_%deadline,p99.9_%deadline,max_%deadline");
    row(&format!("quiet {:.0} s wall clock", seconds.min(10.0)), &mut quiet.wall);
    row(&format!("quiet {:.0} s thread CPU", seconds.min(10.0)), &mut quiet.cpu);
    row(&format!("allocation pressure {seconds:.0} s wall clock"), &mut loaded.wall);
    row(&format!("allocation pressure {seconds:.0} s thread CPU"), &mut loaded.cpu);
    match loaded_rt.as_mut() {
        Some(rt) => {
            row(&format!("allocation pressure, SCHED_FIFO {seconds:.0} s wall clock"), &mut rt.wall);
            row(&format!("allocation pressure, SCHED_FIFO {seconds:.0} s thread CPU"), &mut rt.cpu);
        }
        None => println!("# real-time priority (SCHED_FIFO) was not granted: no real-time rows"),
    }
    println!();
    println!("# where the slow blocks are: thread CPU under load, by what the block held");
    println!("blocks,count,median_us,p99.9_us,max_us,max_%deadline");
    for (kind, label) in [(0u8, "steady"), (1, "note off+on"), (2, "within 21 ms of a swap")] {
        let mut t: Vec<f64> =
            loaded.cpu.iter().zip(&loaded.kind).filter(|&(_, &k)| k == kind).map(|(&t, _)| t).collect();
        let n = t.len();
        let (med, p999, max) = (median(&mut t), percentile(&mut t, 99.9), percentile(&mut t, 100.0));
        println!("{label},{n},{:.1},{:.1},{:.1},{:.2}", med / 1e3, p999 / 1e3, max / 1e3, max / DEADLINE_NS * 100.0);
    }
    println!("# goal: max <= 30 % of the deadline (wall clock rows at normal priority include the OS running other");
    println!("# processes on this shared 2-core machine; the thread CPU rows are the engine's own time)");
}
