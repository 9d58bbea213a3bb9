//! Counter-based random numbers: a value is a pure function of an index, so a sequence can be replayed,
//! skipped ahead, or shared by every voice that agrees on the index (global LFOs) without shared state.

/// A uniform value in `[-1, 1)` for index `k`: an integer hash (the `lowbias32` finaliser, after
/// Chris Wellons' hash-prospector) of both halves of `k`, its top 24 bits scaled. Deterministic, no state, a
/// few integer multiplies; adjacent indices give unrelated values. Audio thread.
#[inline(always)]
pub(crate) fn uniform(k: u64) -> f32 {
    let mut x = (k as u32) ^ ((k >> 32) as u32).wrapping_mul(0x9E37_79B9);
    x ^= x >> 16;
    x = x.wrapping_mul(0x7FEB_352D);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846C_A68B);
    x ^= x >> 16;
    (x >> 8) as f32 * (2.0 / 16_777_216.0) - 1.0
}

/// A well-mixed 64-bit seed from two numbers (a frame count and a lane), for per-voice random sequences
/// that differ from note to note yet repeat exactly when a render is repeated. SplitMix64's finaliser.
/// Audio thread.
#[inline]
pub(crate) fn seed(a: u64, b: u64) -> u64 {
    let mut z = a.wrapping_add(b.wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of a per-voice random sequence for the voice starting in lane `lane` at engine frame `frame` with
/// pitch `pitch` (MIDI semitones): different for every note (voices in different lane groups can share a lane
/// and a start frame, never a key, since a repeated key retriggers its voice), and the same when a render is
/// repeated. Audio thread.
#[inline]
pub(crate) fn voice_seed(frame: u64, lane: usize, pitch: f32) -> u64 {
    seed(frame ^ ((pitch.to_bits() as u64) << 32), lane as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_in_range_and_roughly_flat() {
        let mut buckets = [0u32; 10];
        for k in 0..100_000u64 {
            let v = uniform(k.wrapping_mul(7) ^ (k << 35));
            assert!((-1.0..1.0).contains(&v), "{v}");
            buckets[((v + 1.0) * 5.0) as usize] += 1;
        }
        for b in buckets {
            assert!((9_000..11_000).contains(&b), "{buckets:?}");
        }
    }
}
