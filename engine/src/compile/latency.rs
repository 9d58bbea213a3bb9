//! The patch's latency: how many samples its output lags the notes and events that make it, which the
//! plugin reports to the host so it can line the instrument up with the rest of the session.

use ferrule_nodes::{MAX_INPUTS, registry};

use crate::compile::resolved::ResolvedPatch;

/// The longest audio path's delay, in samples: each node's own latency ([`registry::latency`]) plus the
/// latest of the nodes feeding its audio inputs, read at the voice output, then the global bus's effects
/// in chain order. Feedback connections and modulation routes do not count: they are one control period
/// late by design, and a route's delay moves a parameter, not the note's onset. `order` is the live
/// nodes, sources first.
pub(crate) fn of(patch: &ResolvedPatch, order: &[usize]) -> u32 {
    let mut arrives = vec![0u32; patch.nodes.len()];
    for &n in order {
        let node = &patch.nodes[n];
        let mut connected = [false; MAX_INPUTS];
        let mut inputs_at = 0;
        for c in patch.connections.iter().filter(|c| c.to.node == n && !c.feedback) {
            if let Some(slot) = connected.get_mut(c.to.port) {
                *slot = true;
            }
            inputs_at = inputs_at.max(arrives[c.from.node]);
        }
        arrives[n] = inputs_at + registry::latency(node.kind, &node.params, &connected);
    }
    let voice = patch.output.iter().map(|p| arrives[p.node]).max().unwrap_or(0);
    let bus: u32 = patch
        .nodes
        .iter()
        .filter(|n| n.effect)
        .map(|n| registry::latency(n.kind, &n.params, &[true; MAX_INPUTS]))
        .sum();
    voice + bus
}

#[cfg(test)]
mod tests {
    use crate::compile::{Budget, CompileSettings, compile};
    use crate::patch::PatchSource;

    const SETTINGS: CompileSettings =
        CompileSettings { sample_rate: 48_000.0, max_block: 512, polyphony: None, budget: Budget::DEFAULT };

    fn latency(nodes: &str, connections: &str, output: &str) -> u32 {
        let text = format!(
            "(version: 1, nodes: {{ {nodes} }}, connections: [{connections}], output: Some(Mono(\"{output}\")))"
        );
        let source = PatchSource { path: "test.ron".into(), text };
        compile(&source, &SETTINGS).unwrap_or_else(|e| panic!("{e}")).latency()
    }

    #[test]
    fn a_free_running_sine_is_on_time() {
        assert_eq!(latency(r#""s": (kind: "sine")"#, "", "s"), 0);
    }

    #[test]
    fn band_limited_oscillators_are_twelve_samples_late() {
        for kind in ["saw", "pulse", "triangle", "sub"] {
            assert_eq!(latency(&format!(r#""o": (kind: "{kind}")"#), "", "o"), 12, "{kind}");
        }
    }

    #[test]
    fn a_synced_sine_goes_through_the_ring() {
        let nodes = r#""m": (kind: "saw"), "s": (kind: "sine")"#;
        // The master saw's edges arrive 12 samples late, and the synced sine adds its own ring.
        assert_eq!(latency(nodes, r#"("m", "s.sync")"#, "s"), 24);
    }

    #[test]
    fn delays_add_along_a_path_and_the_longest_path_counts() {
        let nodes = r#""o": (kind: "saw"), "q": (kind: "sine"),
            "d": (kind: "saturator", params: { "antialias": "adaa_2x" }), "m": (kind: "mixer")"#;
        // saw (12) → saturator 2× (19) → mixer, beside a sine (0) straight into the mixer.
        let wires = r#"("o", "d"), ("d", "m.in1"), ("q", "m.in2")"#;
        assert_eq!(latency(nodes, wires, "m"), 31);
    }

    #[test]
    fn an_oscillator_heard_only_through_a_route_adds_nothing() {
        let nodes = r#""o": (kind: "sine"), "l": (kind: "saw"), "v": (kind: "vca")"#;
        let text = format!(
            "(version: 1, nodes: {{ {nodes} }}, connections: [(\"o\", \"v\")], \
             modulations: [(from: \"l\", to: \"v.gain\", depth: 0.5)], output: Some(Mono(\"v\")))"
        );
        let source = PatchSource { path: "test.ron".into(), text };
        assert_eq!(compile(&source, &SETTINGS).unwrap().latency(), 0);
    }
}
