//! For instruction counts: compiles the generated 1,000-node chain three times.
//!
//! `valgrind --tool=callgrind target/release/examples/compile_profile`

use ferrule_engine::{CompileSettings, compile};

fn main() {
    let settings = CompileSettings { sample_rate: 48_000.0, max_block: 128, polyphony: None };
    let patch = ferrule_bench::patches::chain(1000);
    for _ in 0..3 {
        std::hint::black_box(compile(&patch, &settings).ok());
    }
}
