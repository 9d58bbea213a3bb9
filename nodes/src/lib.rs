//! Ferrule's DSP node library.
//!
//! Each node kind lives in its own module, declares its ports and parameters once in a [`NodeSpec`], and
//! processes [`LANES`] voices per call over at most [`MAX_CHUNK`] frames. This crate knows nothing of
//! patches, graphs or plugin hosts: the engine's compiler validates patches against [`registry::all`] and its
//! runtime calls [`Processor::process`].
//!
//! ```
//! use ferrule_nodes::{registry, Unit};
//! let (_, svf) = registry::find("svf").unwrap();
//! assert_eq!(svf.params[0].name, "cutoff");
//! assert_eq!(svf.params[0].unit, Unit::Hertz);
//! ```
//!
//! Running a node for one call, as the engine does for each lane group (8 voices) and control period:
//!
//! ```
//! use ferrule_nodes::{LANES, LaneMask, Lanes, Process, Processor, Transport, VoiceLanes, registry};
//!
//! let (sine, spec) = registry::find("sine").unwrap();
//! let mut state = Processor::new(sine, 48_000.0); // off the audio thread: may allocate
//! // Every parameter at its default, the same in every lane.
//! let params: Vec<Lanes> = spec.params.iter().map(|p| [p.default; LANES]).collect();
//! // Lane 0 plays A4 from this call's first frame.
//! let mut pitch = [60.0; LANES];
//! pitch[0] = 69.0;
//! let voice = VoiceLanes { pitch, active: LaneMask::ALL, gate: LaneMask::ALL, start: LaneMask::ALL, ..VoiceLanes::IDLE };
//! let mut out = [[0.0f32; LANES]; 16];
//! let mut p = Process {
//!     len: 16,
//!     sample_rate: 48_000.0,
//!     inputs: [None; 8],
//!     outputs: [&mut out[..], &mut [], &mut [], &mut [], &mut [], &mut []],
//!     params: &params,
//!     voice: &voice,
//!     transport: &Transport::DEFAULT,
//!     last_only: 0,
//! };
//! state.process(&mut p); // audio thread: never allocates
//! // The sine starts at phase 0 and rises: sin(2π · 440 / 48000 · 15) at the last frame.
//! let want = (2.0 * std::f32::consts::PI * 440.0 / 48_000.0 * 15.0).sin();
//! assert!((out[15][0] - want).abs() < 1e-3, "{} against {want}", out[15][0]);
//! ```

// Lane loops are written `for l in 0..LANES` over several arrays at once: that is the form that autovectorises
// (see `lanes`), so the iterator style this lint asks for would obscure it.
#![allow(clippy::needless_range_loop)]

/// Implements `Clone` for a node state type so that `clone_from` copies field by field into the memory the
/// destination already owns. The engine copies node state on the audio thread (`Processor::copy_from`, for
/// crossfades), where a derived `clone_from` (clone, then drop the old value) would allocate and free for
/// boxed fields. Use it on every type that owns heap memory and on every type that contains one.
macro_rules! clone_in_place {
    ($ty:ident { $($field:tt),* $(,)? }) => {
        impl Clone for $ty {
            fn clone(&self) -> Self {
                $ty { $($field: self.$field.clone()),* }
            }

            fn clone_from(&mut self, other: &Self) {
                $(self.$field.clone_from(&other.$field);)*
            }
        }
    };
}
pub(crate) use clone_in_place;

pub mod context;
pub(crate) mod dsp;
pub mod effect;
pub mod env;
pub mod filter;
pub mod lanes;
pub mod memory;
pub mod modulator;
pub mod osc;
pub mod pitch;
pub mod reference;
pub mod registry;
pub mod shape;
pub mod sizing;
pub mod spec;
pub mod util;

pub use context::{Controls, Process, Transport, VoiceLanes};
pub use lanes::{LANES, LaneMask, Lanes, MAX_CHUNK};
pub use registry::{KindId, Processor};
pub use sizing::Sizing;
pub use spec::{MAX_INPUTS, MAX_OUTPUTS, MAX_PARAMS, NodeRole, NodeSpec, ParamSpec, PortSpec, Unit};

/// Implemented by every node kind's per-group state. The registry wraps each in [`Processor`].
pub trait NodeKind: Clone + Send + 'static {
    /// The kind's declaration.
    const SPEC: NodeSpec;

    /// Fresh state for one lane group at `sample_rate` Hz, every lane silent, with buffers sized for every
    /// value the parameters allow. Called off the audio thread; may allocate (delay lines), nothing else may.
    fn new(sample_rate: f32) -> Self;

    /// Fresh state like [`NodeKind::new`], with buffers sized for the values `sizing` says the parameters can
    /// reach rather than for every value they allow (a delay line as long as the longest time the patch can
    /// ask for). Off the audio thread. Kinds whose memory does not depend on their settings keep the default.
    fn sized(sizing: &Sizing<'_>) -> Self {
        Self::new(sizing.sample_rate)
    }

    /// Bytes of heap memory [`NodeKind::sized`] allocates for `sizing` beyond the state itself, worked out
    /// without allocating, so the compiler can refuse a patch before it builds it. Kinds that own no heap
    /// memory keep the default, 0; a test (`nodes/tests/heap_bytes.rs`) holds every kind to the truth.
    fn heap_bytes(_sizing: &Sizing<'_>) -> usize {
        0
    }

    /// Whether this state can take `other`'s across a swap (moved or copied): every buffer `other` owns is
    /// the same size as this one's. Kinds whose buffers never depend on their settings keep the default.
    /// Any thread.
    fn can_take_state_of(&self, _other: &Self) -> bool {
        true
    }

    /// Produces `p.len` frames for every lane into `p.outputs`. Lanes in `p.voice.start` reset first.
    /// Audio thread: must not allocate, lock, block or panic, and must keep its state finite.
    ///
    /// Returns the lanes that are still sounding. Only envelopes ([`NodeRole::Envelope`]) are asked; other
    /// kinds return [`LaneMask::ALL`].
    fn process(&mut self, p: &mut Process<'_>) -> LaneMask;

    /// How many samples late this kind's output follows its input and its note (a linear-phase
    /// band-limiting kernel, say), given its base parameter values in declaration order (choices as option
    /// indices) and which inputs are connected. The compiler adds these along the audio path to the
    /// patch's latency, which the plugin reports to the host. Off the audio thread.
    fn latency(_params: &[f32], _connected: &[bool]) -> u32 {
        0
    }
}
