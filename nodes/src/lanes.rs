//! Voices processed side by side.
//!
//! Every node processes [`LANES`] voices at once: each sample of a wire is a [`Lanes`] value holding that
//! sample for eight voices. Loops written `for l in 0..LANES` over plain arrays autovectorise to SIMD
//! without intrinsics, which is how one node call serves a whole group of voices.

/// How many voices one node call processes together (one SIMD-friendly group).
pub const LANES: usize = 8;

/// One sample for each of the [`LANES`] voices of a group.
pub type Lanes = [f32; LANES];

/// The longest run of frames the engine hands a node in one call, in samples.
///
/// It is also the control period: parameter values (base value plus modulation) are computed once per call,
/// for the call's last frame, and nodes ramp linearly towards them across the call. At 48 kHz this is
/// 0.33 ms, fast enough that envelope and LFO modulation is inaudibly smooth. Audio-rate modulation goes
/// through audio input ports instead.
pub const MAX_CHUNK: usize = 16;

/// A set of lanes, one bit per lane (bit `l` is lane `l`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LaneMask(pub u8);

impl LaneMask {
    /// No lane.
    pub const NONE: LaneMask = LaneMask(0);
    /// Every lane.
    pub const ALL: LaneMask = LaneMask(u8::MAX);

    /// Whether lane `lane` is in the set.
    #[inline]
    pub fn contains(self, lane: usize) -> bool {
        self.0 & (1 << lane) != 0
    }

    /// The set with lane `lane` added.
    #[inline]
    pub fn with(self, lane: usize) -> LaneMask {
        LaneMask(self.0 | (1 << lane))
    }

    /// Whether the set is empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A [`Lanes`] value with every lane set to `value`.
#[inline]
pub const fn splat(value: f32) -> Lanes {
    [value; LANES]
}
