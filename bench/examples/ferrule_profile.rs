//! For instruction counts: 64 held voices of `patches/ref-voice.ron` through `Engine::process` for 1.5 s of
//! audio (0.5 s warm-up + 1 s), the same work as `examples/hand_profile.rs` does with the hand-written voice.
//!
//! `valgrind --tool=callgrind target/release/examples/ferrule_profile`; instructions per voice-sample are
//! the total divided by 64 × 72,000.

use ferrule_bench::held::{Held, schedule};
use ferrule_bench::{BLOCK, RATE, patches};

fn main() {
    let mut held = Held::new(schedule(&patches::reference(), Some(64)), 64);
    held.run((3 * RATE as usize / 2).div_ceil(BLOCK) - 1);
    std::hint::black_box(held.last_left());
}
