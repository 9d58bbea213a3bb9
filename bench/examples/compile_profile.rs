//! For instruction counts: compiles a generated chain (1,000 nodes, or the count given) three times (or the
//! number of times given second).
//!
//! `valgrind --tool=callgrind --toggle-collect='ferrule_engine::compile::compile'
//! target/release/examples/compile_profile [NODES [TIMES]]`

use ferrule_engine::{CompileSettings, compile};

fn main() {
    let nodes = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let times = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(3);
    let settings = CompileSettings { sample_rate: 48_000.0, max_block: 128, polyphony: None, ..Default::default() };
    let patch = ferrule_bench::patches::chain(nodes);
    for _ in 0..times {
        std::hint::black_box(compile(&patch, &settings).ok());
    }
}
