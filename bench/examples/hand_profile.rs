//! For instruction counts: 64 voices of the hand-written SIMD voice for 1.5 s of audio, the same work as
//! `ferrule bench patches/ref-voice.ron --voices 64 --seconds 1` does (0.5 s warm-up + 1 s).
//!
//! `valgrind --tool=callgrind target/release/examples/hand_profile`

use ferrule_bench::hand::Voices;
use ferrule_bench::{BLOCK, RATE};

fn main() {
    let mut groups: Vec<Voices<8>> = (0..8).map(|_| Voices::new()).collect();
    for i in 0..64 {
        groups[i / 8].note_on(i % 8, (36 + i) as u8);
    }
    let mut out = [0.0f32; BLOCK];
    for _ in 0..(3 * RATE as usize / 2).div_ceil(BLOCK) {
        out.fill(0.0);
        for g in groups.iter_mut() {
            g.process(&mut out);
        }
        std::hint::black_box(&out);
    }
}
