//! Ferrule's performance benchmarks (issue 7), shared by the `cargo bench -p ferrule-bench` targets.
//!
//! - [`measure`]: medians, percentiles and interleaved repetitions (the conventions of `MEASURING.md`).
//! - [`patches`]: the reference patch and generated patches of any size.
//! - [`held`]: Ferrule playing N held notes of a patch, block by block.
//! - [`hand`]: the same voice hand-written, fused and allocation-free, scalar or 8 voices per SIMD lane group.
//!
//! Nothing here runs on a real audio thread; everything is single-threaded benchmark code.

pub mod hand;
pub mod held;
pub mod measure;
pub mod patches;

/// Sample rate of every benchmark, in Hz.
pub const RATE: u32 = 48_000;
/// Block size of every benchmark, in frames.
pub const BLOCK: usize = 128;
/// The block deadline at [`RATE`] and [`BLOCK`], in nanoseconds (2.67 ms).
pub const DEADLINE_NS: f64 = BLOCK as f64 / RATE as f64 * 1e9;

/// Voices in real time on one core for a cost of `ns` per voice-sample at [`RATE`].
pub fn voices_realtime(ns: f64) -> f64 {
    1e9 / (RATE as f64 * ns)
}

/// The machine the figures were measured on: CPU model and logical CPU count from `/proc/cpuinfo`.
pub fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split(':').nth(1)))
        .map(|m| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{model}, {cpus} logical CPUs")
}
