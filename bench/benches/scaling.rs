//! Issue 7, benchmarks 3 and 4: compile time of generated patches, and cost against active voices and against
//! node count, including what idle voices cost.
//!
//! Run: `cargo bench -p ferrule-bench --bench scaling`; `-- compile` runs only the compile-time table (about
//! 10 s), `-- voices` and `-- nodes` only theirs.

use ferrule_bench::hand::Voices;
use ferrule_bench::held::{Held, schedule, spread};
use ferrule_bench::measure::{median, median_call, percentile, time_ns};
use ferrule_bench::{BLOCK, DEADLINE_NS, RATE, machine, patches, voices_realtime};
use ferrule_engine::{CompileSettings, compile};

/// Blocks timed per figure (two seconds of audio), each block one repetition.
const BLOCKS: usize = 2 * RATE as usize / BLOCK;

/// Median ns per call of `block` over [`BLOCKS`] calls, after a warm-up.
fn per_block(block: impl FnMut()) -> f64 {
    median_call(BLOCKS, block)
}

/// The drift reference: 64 voices of the hand-written SIMD voice, ns per voice-sample.
fn reference() -> f64 {
    let mut groups: Vec<Voices<8>> = (0..8).map(|_| Voices::new()).collect();
    for i in 0..64 {
        groups[i / 8].note_on(i % 8, (36 + i) as u8);
    }
    let mut out = [0.0f32; BLOCK];
    per_block(|| {
        for g in groups.iter_mut() {
            g.process(&mut out);
        }
        std::hint::black_box(&out);
    }) / (64 * BLOCK) as f64
}

/// Ferrule holding `voices` notes (keys spread as [`spread`] does) of `source` with polyphony `polyphony`:
/// ns per block.
fn held_block_ns(source: &ferrule_engine::PatchSource, polyphony: usize, voices: usize) -> f64 {
    keys_block_ns(source, polyphony, &spread(voices))
}

/// Ferrule holding `keys` of `source` with polyphony `polyphony`: ns per block.
fn keys_block_ns(source: &ferrule_engine::PatchSource, polyphony: usize, keys: &[u8]) -> f64 {
    let mut held = Held::with_keys(schedule(source, Some(polyphony)), keys);
    held.run(BLOCKS / 4);
    per_block(|| {
        std::hint::black_box(held.block(&[]));
    })
}

/// This thread's CPU time in ns (`CLOCK_THREAD_CPUTIME_ID`, page faults included): unlike the wall clock, it
/// leaves out the time the OS gave other processes on this shared machine. (Same as the worst-case bench's.)
fn thread_cpu_ns() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// Compiles `source` `runs` times (after one untimed compile) and prints its row of the compile-time table.
fn compile_row(label: &str, source: &ferrule_engine::PatchSource, nodes: usize, runs: usize, goal: &str) {
    let settings =
        CompileSettings { sample_rate: RATE as f32, max_block: BLOCK, polyphony: None, ..Default::default() };
    let _ = compile(source, &settings).expect("benchmark patch compiles");
    let (mut wall, mut cpu) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let cpu_start = thread_cpu_ns();
        wall.push(time_ns(|| {
            std::hint::black_box(compile(source, &settings).ok());
        }));
        cpu.push(thread_cpu_ns() - cpu_start);
    }
    let (med, p90, min) = (median(&mut wall), percentile(&mut wall, 90.0), percentile(&mut wall, 0.0));
    let cpu = median(&mut cpu);
    let per_node = cpu / 1e3 / nodes as f64;
    println!("{label},{runs},{:.3},{:.3},{:.3},{:.3},{per_node:.2},{goal}", med / 1e6, p90 / 1e6, min / 1e6, cpu / 1e6);
}

fn compile_times() {
    println!("# Compile time (issue 7 benchmark 3): generated chains (saw, adsr, then alternating svf and vca, every");
    println!("# svf's cutoff modulated by the adsr), compile() from RON text to a Schedule, 8 voices, {RATE} Hz.");
    println!(
        "# Wall clock (median, 90th percentile, minimum) and this thread's CPU time (median; leaves out time the OS"
    );
    println!(
        "# ran other processes); us_per_node from the CPU median. 2,000 and 4,000 nodes (the limit is 4,096) show"
    );
    println!("# whether the cost per node stays flat as patches grow.");
    println!("nodes,runs,median_ms,p90_ms,min_ms,cpu_median_ms,us_per_node,goal_ms");
    for (nodes, runs, goal) in [(10, 101, ""), (100, 51, "1"), (1000, 21, "20"), (2000, 11, ""), (4000, 11, "")] {
        compile_row(&nodes.to_string(), &patches::chain(nodes), nodes, runs, goal);
    }
    compile_row("ref-voice.ron (8)", &patches::reference(), 8, 51, "");
}

fn voices_scaling() {
    let source = patches::reference();
    println!();
    println!("# Cost against active voices (issue 7 benchmark 4): ref-voice.ron, polyphony = voices, held notes,");
    println!(
        "# {RATE} Hz, block {BLOCK}; median block of 2 s after a warm-up. MAX_POLYPHONY is 128, so 256 voices are two"
    );
    println!("# engines of 128 (two instances of the patch) rendered one after the other on this core. Keys: up to 64");
    println!(
        "# voices spread evenly over C2..D#7 (the 64-voice chord's range, same pitch mix); 128 and 256: keys 0..127."
    );
    println!("voices,ns_per_block,ns_per_voice_sample,%_of_one_core");
    // Wakes the core and faults the engine's pages in before the first row.
    held_block_ns(&source, 8, 8);
    for voices in [1usize, 2, 4, 8, 16, 32, 64, 128] {
        let ns = held_block_ns(&source, voices, voices);
        println!("{voices},{ns:.0},{:.2},{:.1}", ns / (voices * BLOCK) as f64, ns / DEADLINE_NS * 100.0);
    }
    let mut a = Held::with_keys(schedule(&source, Some(128)), &spread(128));
    let mut b = Held::with_keys(schedule(&source, Some(128)), &spread(128));
    let ns = per_block(|| {
        std::hint::black_box(a.block(&[]) + b.block(&[]));
    });
    println!("256,{ns:.0},{:.2},{:.1}", ns / (256 * BLOCK) as f64, ns / DEADLINE_NS * 100.0);

    println!();
    println!("# Idle voices cost nothing: the same held notes in a patch compiled for 128 voices");
    println!("case,ns_per_block");
    let one_of_one = held_block_ns(&source, 1, 1);
    let one_of_128 = held_block_ns(&source, 128, 1);
    let none_of_128 = held_block_ns(&source, 128, 0);
    let eight_of_8 = held_block_ns(&source, 8, 8);
    let eight_of_128 = held_block_ns(&source, 128, 8);
    println!("1 voice, polyphony 1,{one_of_one:.0}");
    println!("1 voice, polyphony 128,{one_of_128:.0}");
    println!("8 voices, polyphony 8,{eight_of_8:.0}");
    println!("8 voices, polyphony 128,{eight_of_128:.0}");
    println!("0 voices, polyphony 128,{none_of_128:.0}");
    println!();
    println!("# Cost against pitch: 8 voices (one lane group) on 8 adjacent keys");
    println!("keys,ns_per_voice_sample");
    for low in [24u8, 48, 72, 96] {
        let keys: Vec<u8> = (low..low + 8).collect();
        let ns = keys_block_ns(&source, 8, &keys) / (8 * BLOCK) as f64;
        println!("{}..{},{ns:.2}", low, low + 7);
    }
    println!("# Idle lane groups are skipped; an idle lane inside a playing group of 8 is computed with it (1 voice");
    println!("# costs what 8 do).");
}

fn nodes_scaling() {
    println!();
    println!("# Cost against node count: generated chains, 8 held voices (one lane group), {RATE} Hz, block {BLOCK}");
    println!("nodes,ns_per_voice_sample,ns_per_node_voice_sample,voices_realtime_one_core");
    for nodes in [3usize, 10, 30, 100, 300, 1000] {
        let ns = held_block_ns(&patches::chain(nodes), 8, 8) / (8 * BLOCK) as f64;
        println!("{nodes},{ns:.2},{:.3},{:.0}", ns / nodes as f64, voices_realtime(ns));
    }
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument picks tables by name.
    let picked: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let run = |table: &str| picked.is_empty() || picked.iter().any(|p| p == table);
    println!("# machine: {}", machine());
    let before = reference();
    if run("compile") {
        compile_times();
    }
    if run("voices") {
        voices_scaling();
    }
    if run("nodes") {
        nodes_scaling();
    }
    let after = reference();
    println!();
    println!(
        "# drift reference (hand-written SIMD voice, 64 voices): {before:.2} ns per voice-sample before, {after:.2} after"
    );
}
