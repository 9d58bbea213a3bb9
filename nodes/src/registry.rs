//! The list of node kinds and the one enum that holds any of them.
//!
//! [`Processor`] is an enum rather than a `Box<dyn _>` so that a schedule's per-voice node state lives in one
//! contiguous arena (`Vec<Processor>`), and so that one call dispatches with a `match` per node per chunk,
//! never per sample.

use crate::NodeKind;
use crate::context::Process;
use crate::lanes::LaneMask;
use crate::sizing::Sizing;
use crate::spec::NodeSpec;

macro_rules! node_kinds {
    ($($variant:ident => $ty:path),* $(,)?) => {
        /// The state of one node for one lane group, whatever its kind.
        // Variants differ in size by design: processors live inline in one arena, never boxed.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug)]
        pub enum Processor {
            $(
                #[doc = concat!("A `", stringify!($variant), "` node.")]
                $variant($ty),
            )*
        }

        /// Every node kind's declaration, in the order of [`KindId`].
        static SPECS: &[NodeSpec] = &[$(<$ty as NodeKind>::SPEC),*];

        /// Every node kind's Rust type path (`crate :: osc :: saw :: Saw`), in the order of [`KindId`]; its
        /// module names the kind's family in the reference.
        static PATHS: &[&str] = &[$(stringify!($ty)),*];

        /// Every node kind's [`NodeKind::latency`], in the order of [`KindId`].
        static LATENCIES: &[fn(&[f32], &[bool]) -> u32] = &[$(<$ty as NodeKind>::latency),*];

        impl Processor {
            /// A fresh processor of kind `kind` for a lane group at `sample_rate` Hz, its buffers sized for every
            /// value its parameters allow. Allocates only for kinds that own buffers (delay lines); call off the
            /// audio thread.
            pub fn new(kind: KindId, sample_rate: f32) -> Processor {
                let constructors: &[fn(f32) -> Processor] = &[$(|sr| Processor::$variant(<$ty as NodeKind>::new(sr))),*];
                constructors[kind.0 as usize](sample_rate)
            }

            /// A fresh processor of kind `kind` with its buffers sized for `sizing` ([`NodeKind::sized`]).
            /// Allocates [`Processor::heap_bytes`] of heap memory; call off the audio thread.
            pub fn sized(kind: KindId, sizing: &Sizing<'_>) -> Processor {
                let constructors: &[fn(&Sizing<'_>) -> Processor] =
                    &[$(|s| Processor::$variant(<$ty as NodeKind>::sized(s))),*];
                constructors[kind.0 as usize](sizing)
            }

            /// Bytes of heap memory [`Processor::sized`] would allocate for `kind` and `sizing`, without
            /// allocating ([`NodeKind::heap_bytes`]). Any thread.
            pub fn heap_bytes(kind: KindId, sizing: &Sizing<'_>) -> usize {
                let sizes: &[fn(&Sizing<'_>) -> usize] = &[$(<$ty as NodeKind>::heap_bytes),*];
                sizes[kind.0 as usize](sizing)
            }

            /// Runs one call; see [`NodeKind::process`]. Audio thread; never allocates.
            #[inline]
            pub fn process(&mut self, p: &mut Process<'_>) -> LaneMask {
                match self {
                    $(Processor::$variant(node) => node.process(p),)*
                }
            }

            /// Copies `other`'s state into this processor when both are of the same kind (made at the same
            /// sample rate); returns whether it did. Audio thread: it never allocates when both own buffers of
            /// the same sizes (same kind, same rate; ask [`Processor::can_take_state_of`] first), because every
            /// kind's `Clone::clone_from` copies into the memory it already has (kinds that own heap memory
            /// implement it field by field; a test holds every kind, effects included, to it under an
            /// allocation trap).
            pub fn copy_from(&mut self, other: &Processor) -> bool {
                match (self, other) {
                    $((Processor::$variant(a), Processor::$variant(b)) => {
                        a.clone_from(b);
                        true
                    })*
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }

            /// Whether `other`'s state can be carried into this processor across a swap (moved or copied):
            /// both are the same kind and every buffer `other` owns fits this one's (a delay line sized for a
            /// shorter time cannot hold a longer one's contents). Any thread.
            pub fn can_take_state_of(&self, other: &Processor) -> bool {
                match (self, other) {
                    $((Processor::$variant(a), Processor::$variant(b)) => a.can_take_state_of(b),)*
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }

            /// This processor's kind.
            pub fn kind(&self) -> KindId {
                let mut index = 0u16;
                $(
                    if let Processor::$variant(_) = self {
                        return KindId(index);
                    }
                    index += 1;
                )*
                let _ = index;
                unreachable!("every variant is listed")
            }
        }
    };
}

node_kinds! {
    Sine => crate::osc::sine::Sine,
    Vca => crate::util::vca::Vca,
    Saw => crate::osc::saw::Saw,
    Pulse => crate::osc::pulse::Pulse,
    Adsr => crate::env::adsr::Adsr,
    Svf => crate::filter::svf::Svf,
    Mixer => crate::util::mixer::Mixer,
    Lfo => crate::modulator::lfo::Lfo,
    Delay => crate::effect::delay::Delay,
    Chorus => crate::effect::chorus::Chorus,
    Reverb => crate::effect::reverb::Reverb,
    Crossfade => crate::util::crossfade::Crossfade,
    Math => crate::util::math::Math,
    Slew => crate::util::slew::Slew,
    SampleHold => crate::util::sample_hold::SampleHold,
    Quantize => crate::util::quantize::Quantize,
    Voice => crate::util::voice::Voice,
    Controls => crate::util::controls::ControlSignals,
    Saturator => crate::shape::saturator::Saturator,
    Bitcrush => crate::shape::bitcrush::Bitcrush,
    Ladder => crate::filter::ladder::Ladder,
    Dahdsr => crate::env::dahdsr::Dahdsr,
    Ad => crate::env::ad::Ad,
    Ar => crate::env::ar::Ar,
    Triangle => crate::osc::triangle::Triangle,
    Sub => crate::osc::sub::Sub,
    Noise => crate::osc::noise::Noise,
    Supersaw => crate::osc::supersaw::Supersaw,
}

/// Identifies a node kind: an index into [`all`]. Stable within one build of the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KindId(pub u16);

/// Every node kind's declaration, in [`KindId`] order.
pub fn all() -> &'static [NodeSpec] {
    SPECS
}

/// The kind called `name` (as written in patches) and its declaration.
pub fn find(name: &str) -> Option<(KindId, &'static NodeSpec)> {
    SPECS.iter().position(|s| s.kind == name).map(|i| (KindId(i as u16), &SPECS[i]))
}

/// The family kind `kind` belongs to, from its module: `osc`, `env`, `filter`, `modulator`, `util`, `shape`,
/// `effect`.
pub fn family(kind: KindId) -> &'static str {
    PATHS[kind.0 as usize].split("::").map(str::trim).nth(1).unwrap_or("other")
}

/// How many samples late a node of kind `kind` with base parameter values `params` (declaration order) and
/// connected inputs `connected` (by input index) delivers its output; see [`NodeKind::latency`].
pub fn latency(kind: KindId, params: &[f32], connected: &[bool]) -> u32 {
    LATENCIES[kind.0 as usize](params, connected)
}

/// The declaration of kind `kind`.
pub fn spec(kind: KindId) -> &'static NodeSpec {
    &SPECS[kind.0 as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{MAX_INPUTS, MAX_OUTPUTS, MAX_PARAMS, Unit};

    #[test]
    fn every_declaration_is_within_limits_and_consistent() {
        for (i, spec) in all().iter().enumerate() {
            assert!(spec.inputs.len() <= MAX_INPUTS, "{}", spec.kind);
            assert!(!spec.outputs.is_empty() && spec.outputs.len() <= MAX_OUTPUTS, "{}", spec.kind);
            assert!(spec.params.len() <= MAX_PARAMS, "{}", spec.kind);
            assert_eq!(Processor::new(KindId(i as u16), 48_000.0).kind(), KindId(i as u16));
            for p in spec.params {
                assert!(p.min <= p.default && p.default <= p.max, "{}.{} default outside range", spec.kind, p.name);
                assert_eq!(p.unit == Unit::Choice, !p.choices.is_empty(), "{}.{}", spec.kind, p.name);
            }
            assert_eq!(find(spec.kind).map(|(k, _)| k), Some(KindId(i as u16)), "kind names are unique");
        }
    }
}
