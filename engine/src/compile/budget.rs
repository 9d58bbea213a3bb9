//! The resource budget: the memory a schedule will hold and the CPU it will cost, worked out from the patch
//! before anything is built, so that a patch over either limit is refused with an error instead of taking
//! the process (and the DAW around it) down.
//!
//! Memory counts everything the schedule owns: every voice group's node state, the heap each node kind
//! declares for the values its parameters can reach ([`Processor::heap_bytes`]; a delay line as long as the
//! longest time its `time` can be modulated or automated to, not the longest the kind allows), the wire,
//! feedback and effect-bus buffers, and the parameter and routing tables. CPU is an estimate of the
//! fraction of one core the patch takes with every voice playing, from each kind's declared cost
//! ([`ferrule_nodes::NodeSpec::cost`]) plus the engine's per-node overhead.

use std::ops::Range;

use ferrule_nodes::{LANES, Lanes, Processor, Sizing, Unit, registry};

use crate::compile::graph::Incoming;
use crate::compile::resolved::{ModSource, ResolvedPatch};
use crate::diagnostics::Diagnostic;
use crate::schedule::{CHUNK, Op, ParamSlot, Route};

/// The most memory a compiled patch may hold by default: 256 MiB.
pub const DEFAULT_MEMORY: usize = 256 << 20;

/// The most CPU a patch may be estimated to take by default, as a fraction of one core with every voice
/// playing: 4.0 (400 %). The estimate errs high, about 5× for the reference voice (each kind's cost is
/// measured at its most expensive settings with every input connected), so a patch near the limit still
/// plays on one core of the reference machine; one far above it could not play on any machine. The
/// reference voice at 64 voices estimates 17 % at 48 kHz and 272 % at 768 kHz.
pub const DEFAULT_LOAD: f32 = 4.0;

/// The engine's cost per node and voice-sample beyond the node's own work (calling it, evaluating its
/// parameters, reading and writing its wires), in ns on the reference machine (`bench/README.md`: about
/// 1 ns per node per voice-sample in the scaling bench).
const OVERHEAD_NS: f32 = 1.0;

/// The largest magnitude a built-in modulation source reaches: velocity, pressure, controllers and note
/// expressions are 0..1, pitch bend −1..1; key tracking is (note − 60) / 12, at most 67/12 octaves.
const KEY_REACH: f32 = 67.0 / 12.0;

/// What a compile may use. Part of [`crate::CompileSettings`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// The most memory the schedule may hold, in bytes.
    pub memory: usize,
    /// The most CPU the patch may be estimated to take with every voice playing, as a fraction of one core
    /// (1.0 = 100 %).
    pub load: f32,
}

impl Budget {
    /// [`DEFAULT_MEMORY`] and [`DEFAULT_LOAD`].
    pub const DEFAULT: Budget = Budget { memory: DEFAULT_MEMORY, load: DEFAULT_LOAD };
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::DEFAULT
    }
}

/// What one node will hold and cost.
#[derive(Clone, Debug)]
struct Consumer {
    /// Index into the patch's nodes.
    node: usize,
    /// Bytes of memory: its state for every voice group and the heap that state owns.
    bytes: usize,
    /// Fraction of one core.
    load: f32,
}

/// The memory and CPU a patch will take, worked out before it is built.
#[derive(Clone, Debug)]
pub(crate) struct Estimate {
    consumers: Vec<Consumer>,
    /// Bytes of the wire, feedback and bus buffers and the parameter, routing and op tables.
    tables: usize,
    /// Voices assumed to play at once: the polyphony.
    voices: usize,
    sample_rate: f32,
}

/// How a schedule will be laid out: its voice groups and rate, and the sizes of the tables it holds
/// besides node state, as counts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    /// Lane groups of voice state.
    pub groups: usize,
    /// Voices that play at once.
    pub polyphony: usize,
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// Wire buffers.
    pub buffers: usize,
    /// Feedback slots.
    pub feedback: usize,
    /// Parameter slots.
    pub params: usize,
    /// Modulation routes.
    pub routes: usize,
    /// Ops.
    pub ops: usize,
}

impl Estimate {
    /// The estimate for `patch` with `voice_nodes` (live voice nodes) held for `layout.groups` lane groups
    /// and played by `layout.polyphony` voices at once, and `effects` on the bus, each node's buffers sized
    /// for `reach[node]` (see [`reach`]).
    pub(crate) fn new(
        patch: &ResolvedPatch,
        voice_nodes: &[usize],
        effects: &[usize],
        layout: Layout,
        reach: &[Vec<f32>],
    ) -> Estimate {
        let Layout { groups, polyphony, sample_rate, .. } = layout;
        let node_bytes = |n: usize| {
            let sizing = Sizing { sample_rate, max: &reach[n] };
            std::mem::size_of::<Processor>().saturating_add(Processor::heap_bytes(patch.nodes[n].kind, &sizing))
        };
        // Voices play a lane group at a time: a group with one voice in it costs as much as a full one.
        let lanes_playing = polyphony.div_ceil(LANES) * LANES;
        let mut consumers = Vec::with_capacity(voice_nodes.len() + effects.len());
        for &n in voice_nodes {
            let cost = registry::spec(patch.nodes[n].kind).cost + OVERHEAD_NS;
            let load = cost * lanes_playing as f32 * sample_rate * 1e-9;
            consumers.push(Consumer { node: n, bytes: node_bytes(n).saturating_mul(groups), load });
        }
        for &n in effects {
            let load = (registry::spec(patch.nodes[n].kind).cost + OVERHEAD_NS) * sample_rate * 1e-9;
            consumers.push(Consumer { node: n, bytes: node_bytes(n), load });
        }
        let lanes = std::mem::size_of::<Lanes>();
        let tables = [
            layout.buffers.max(1) * CHUNK * lanes,
            layout.feedback * groups * CHUNK * lanes,
            2 * CHUNK * lanes,
            layout.params * (lanes + std::mem::size_of::<ParamSlot>() + 4),
            layout.routes * std::mem::size_of::<Route>(),
            layout.ops * std::mem::size_of::<Op>(),
        ]
        .iter()
        .fold(0usize, |a, &b| a.saturating_add(b));
        Estimate { consumers, tables, voices: polyphony, sample_rate }
    }

    /// Bytes the schedule will hold in all.
    pub(crate) fn bytes(&self) -> usize {
        self.consumers.iter().fold(self.tables, |a, c| a.saturating_add(c.bytes))
    }

    /// The estimated fraction of one core with every voice playing.
    pub(crate) fn load(&self) -> f32 {
        self.consumers.iter().map(|c| c.load).sum()
    }

    /// Errors for each limit of `budget` the patch goes over, pointing at its largest consumer.
    pub(crate) fn check(&self, patch: &ResolvedPatch, budget: &Budget) -> Vec<Diagnostic> {
        let mut errors = Vec::new();
        let bytes = self.bytes();
        if bytes > budget.memory {
            let top = largest(&self.consumers, |c| c.bytes as f64);
            let message = match top {
                Some(c) => format!(
                    "`{}` needs {} of memory; this patch needs {} in all, the limit is {}",
                    patch.nodes[c.node].id,
                    size(c.bytes),
                    size(bytes),
                    size(budget.memory)
                ),
                None => format!("this patch needs {} of memory, the limit is {}", size(bytes), size(budget.memory)),
            };
            let help = format!(
                "{}; shorten delay times, remove nodes or lower the polyphony, or raise the limit (`ferrule \
                 --memory-limit MIB`, or FERRULE_MEMORY_LIMIT=MIB for the plugin)",
                self.biggest(patch, |c| c.bytes as f64, |v| size(v as usize))
            );
            errors.push(self.at(patch, top, message, help));
        }
        let load = self.load();
        if load > budget.load || !load.is_finite() {
            let top = largest(&self.consumers, |c| c.load as f64);
            let voices = self.voices;
            let message = format!(
                "this patch would take about {} of one core at {} Hz with all {voices} voices playing; the limit \
                 is {}",
                percent(load),
                self.sample_rate,
                percent(budget.load)
            );
            let help = format!(
                "{}; remove nodes or lower the polyphony, or raise the limit (`ferrule --cpu-limit PERCENT`, or \
                 FERRULE_CPU_LIMIT=PERCENT for the plugin)",
                self.biggest(patch, |c| c.load as f64, |v| percent(v as f32))
            );
            errors.push(self.at(patch, top, message, help));
        }
        errors
    }

    /// A diagnostic at `top`'s node (or at no place).
    fn at(&self, patch: &ResolvedPatch, top: Option<&Consumer>, message: String, help: String) -> Diagnostic {
        let span: Option<Range<usize>> = top.map(|c| patch.nodes[c.node].span.clone());
        Diagnostic { message, span, help: Some(help) }
    }

    /// The three largest consumers by `measure` and the kind that takes most in all, in words:
    /// "the most: `a` (delay) 2.0 MiB, `b` (delay) 2.0 MiB, …; 4000 delay nodes take 8.0 GiB".
    fn biggest(
        &self,
        patch: &ResolvedPatch,
        measure: impl Fn(&Consumer) -> f64,
        show: impl Fn(f64) -> String,
    ) -> String {
        let mut order: Vec<&Consumer> = self.consumers.iter().collect();
        // Stable: the first of equals stays first.
        order.sort_by(|a, b| measure(b).total_cmp(&measure(a)));
        let kind_name = |c: &Consumer| registry::spec(patch.nodes[c.node].kind).kind;
        let top: Vec<String> = order
            .iter()
            .take(3)
            .map(|c| format!("`{}` ({}) {}", patch.nodes[c.node].id, kind_name(c), show(measure(c))))
            .collect();
        let mut by_kind: Vec<(&str, usize, f64)> = Vec::new();
        for c in &self.consumers {
            match by_kind.iter_mut().find(|k| k.0 == kind_name(c)) {
                Some(k) => {
                    k.1 += 1;
                    k.2 += measure(c);
                }
                None => by_kind.push((kind_name(c), 1, measure(c))),
            }
        }
        let mut text = format!("the most: {}", top.join(", "));
        if let Some((kind, count, total)) = by_kind.iter().max_by(|a, b| a.2.total_cmp(&b.2))
            && *count > 1
        {
            text.push_str(&format!("; {count} `{kind}` nodes take {} in all", show(*total)));
        }
        text
    }
}

/// For each parameter of node `n`, the largest value it can reach: its base value (or, when the host can
/// move it as an exposed parameter, the top of that range), moved by every route and macro aimed at it at
/// full depth, within the declared range. A route from a node's output (whose level nothing bounds) can take
/// the parameter anywhere in its range. Choices cannot be modulated: their value is fixed.
pub(crate) fn reach(patch: &ResolvedPatch, incoming: &Incoming<'_>, n: usize) -> Vec<f32> {
    let node = &patch.nodes[n];
    let spec = registry::spec(node.kind);
    let mut max: Vec<f32> = node.params.clone();
    let mut amount = vec![0.0f32; spec.params.len()];
    let mut unbounded = vec![false; spec.params.len()];
    for route in incoming.routes(n) {
        let Some(a) = amount.get_mut(route.param) else { continue };
        let magnitude = match route.source {
            ModSource::Node(_) => {
                unbounded[route.param] = true;
                continue;
            }
            ModSource::Key => KEY_REACH,
            _ => 1.0,
        };
        *a += route.depth.abs() * magnitude;
    }
    for (m, param, depth) in incoming.macro_targets(n) {
        let mac = &patch.macros[m];
        if let Some(a) = amount.get_mut(param) {
            *a += depth.abs() * mac.min.abs().max(mac.max.abs());
        }
    }
    for e in patch.exposed.iter().filter(|e| e.node == n) {
        if let Some(v) = max.get_mut(e.index) {
            *v = v.max(e.param.max);
        }
    }
    for (i, p) in spec.params.iter().enumerate() {
        if p.unit == Unit::Choice {
            continue;
        }
        max[i] = if unbounded[i] { p.max } else { p.unit.apply_modulation(max[i], amount[i]).clamp(p.min, p.max) };
        if !max[i].is_finite() {
            max[i] = p.max;
        }
    }
    max
}

/// The consumer with the largest `measure`, the first of equals (in patch order: voice nodes, then effects).
fn largest(consumers: &[Consumer], measure: impl Fn(&Consumer) -> f64) -> Option<&Consumer> {
    consumers.iter().fold(None, |best: Option<&Consumer>, c| match best {
        Some(b) if measure(b) >= measure(c) => Some(b),
        _ => Some(c),
    })
}

/// `bytes` for people: `512 B`, `16.0 KiB`, `2.0 MiB`, `8.0 GiB`. Any thread.
pub fn size(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A fraction of one core as a percentage: `0.5` → `50 %`, `0.0027` → `0.3 %`, `42.0` → `4200 %`. Any thread.
pub fn percent(load: f32) -> String {
    match load * 100.0 {
        p if !p.is_finite() => "more cores than exist".into(),
        p if p < 9.95 => format!("{p:.1} %"),
        p => format!("{p:.0} %"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_percentages_read_as_people_write_them() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(2 << 20), "2.0 MiB");
        assert_eq!(size(DEFAULT_MEMORY), "256.0 MiB");
        assert_eq!(size(8_600_000_000), "8.0 GiB");
        assert_eq!(percent(0.5), "50 %");
        assert_eq!(percent(0.0027), "0.3 %");
        assert_eq!(percent(42.0), "4200 %");
    }
}
