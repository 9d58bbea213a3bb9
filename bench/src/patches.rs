//! The patches the benchmarks play: the reference voice, and generated chains of any number of nodes.

use std::fmt::Write;

use ferrule_engine::PatchSource;

/// `patches/ref-voice.ron`, the reference voice every figure is measured on (built into the benchmark so it
/// runs from any directory).
pub fn reference() -> PatchSource {
    PatchSource { path: "patches/ref-voice.ron".into(), text: include_str!("../../patches/ref-voice.ron").into() }
}

/// A generated patch of exactly `nodes` nodes (at least 3): a saw and an ADSR (the amplitude envelope), then
/// `nodes − 2` alternating SVF low-passes (cutoff modulated by the envelope, one octave) and VCAs (the first
/// one driven by the envelope) in one chain to the output, so every node is live and scheduled.
pub fn chain(nodes: usize) -> PatchSource {
    let nodes = nodes.max(3);
    let mut text = String::from(
        "(version: 1, voice: (polyphony: 8, mode: Poly, steal: ReleasedThenOldest, amp_envelope: \"env\"),\n\
         nodes: {\n  \"osc\": (kind: \"saw\"),\n  \"env\": (kind: \"adsr\", params: { \"sustain\": 0.8 }),\n",
    );
    let name = |i: usize| format!("n{i}");
    let is_svf = |i: usize| i % 2 == 0;
    for i in 0..nodes - 2 {
        let kind = if is_svf(i) { "(kind: \"svf\", params: { \"cutoff\": 4000.0 })" } else { "(kind: \"vca\")" };
        let _ = writeln!(text, "  \"{}\": {kind},", name(i));
    }
    text.push_str("},\nconnections: [\n");
    let out = |i: usize| if is_svf(i) { format!("{}.lp", name(i)) } else { format!("{}.out", name(i)) };
    let _ = writeln!(text, "  (\"osc\", \"{}.in\"),", name(0));
    for i in 1..nodes - 2 {
        let _ = writeln!(text, "  (\"{}\", \"{}.in\"),", out(i - 1), name(i));
    }
    if nodes > 3 {
        let _ = writeln!(text, "  (\"env\", \"{}.cv\"),", name(1));
    }
    text.push_str("],\nmodulations: [\n");
    for i in (0..nodes - 2).filter(|&i| is_svf(i)) {
        let _ = writeln!(text, "  (from: \"env\", to: \"{}.cutoff\", depth: 1.0),", name(i));
    }
    let _ = write!(text, "],\noutput: Mono(\"{}\"),\n)\n", out(nodes - 3));
    PatchSource { path: format!("<generated chain of {nodes} nodes>"), text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_engine::{CompileSettings, compile};

    #[test]
    fn reference_and_generated_patches_compile() {
        let settings = CompileSettings { sample_rate: 48_000.0, max_block: 128, polyphony: None, ..Default::default() };
        compile(&reference(), &settings).expect("reference patch");
        for n in [3, 4, 10, 100, 1000] {
            let p = chain(n);
            if let Err(d) = compile(&p, &settings) {
                panic!("{n} nodes: {}\n{}", d.render(false), p.text);
            }
            assert_eq!(p.text.matches("(kind: ").count(), n, "{n} nodes");
        }
    }
}
