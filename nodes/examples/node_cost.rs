//! Rough CPU cost of node kinds: ns per voice-sample for one lane group (8 voices) in 16-frame calls at 48 kHz,
//! the best of 7 runs of 20 000 calls, beside the VCA as the reference measured in the same run (on a shared
//! machine the ratio holds where the absolute figure drifts; see MEASURING.md).
//!
//! `cargo run --release -p ferrule-nodes --example node_cost`; with `-- --declared`, every kind's most
//! expensive setting beside the cost it declares in its [`ferrule_nodes::NodeSpec`].

use ferrule_nodes::{
    LANES, LaneMask, Lanes, MAX_INPUTS, MAX_OUTPUTS, NodeRole, Process, Processor, Transport, Unit, VoiceLanes,
    registry,
};
use std::time::Instant;

/// ns per voice-sample of kind `kind` with parameters `set` (the rest at their defaults), every input fed a sine.
fn cost(kind: &str, set: &[(&str, f32)]) -> f64 {
    let (id, spec) = registry::find(kind).expect("kind exists");
    let mut processor = Processor::new(id, 48_000.0);
    let mut params: Vec<Lanes> = spec.params.iter().map(|p| [p.default; LANES]).collect();
    for (name, value) in set {
        params[spec.param(name).expect("param exists")] = [*value; LANES];
    }
    let voice = VoiceLanes { active: LaneMask::ALL, gate: LaneMask::ALL, ..VoiceLanes::IDLE };
    let input: Vec<Lanes> = (0..16).map(|i| [(i as f32 * 0.37).sin() * 0.8; LANES]).collect();
    let mut transport = Transport::DEFAULT;
    let calls = 20_000;
    let mut best = f64::MAX;
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..calls {
            let mut out = [[[0.0f32; LANES]; 16]; MAX_OUTPUTS];
            let mut inputs = [None; MAX_INPUTS];
            for wire in inputs.iter_mut().take(spec.inputs.len()) {
                *wire = Some(&input[..]);
            }
            let n = spec.outputs.len();
            let len = |i: usize| if i < n { 16 } else { 0 };
            let mut p = Process {
                len: 16,
                sample_rate: 48_000.0,
                inputs,
                outputs: {
                    let mut each = out.iter_mut().enumerate();
                    std::array::from_fn(|_| {
                        let (i, buf) = each.next().unwrap();
                        &mut buf[..len(i)]
                    })
                },
                params: &params,
                voice: &voice,
                transport: &transport,
                last_only: 0,
            };
            processor.process(&mut p);
            std::hint::black_box(&out);
            transport = transport.advanced(16, 48_000.0);
        }
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / (calls * 16 * LANES) as f64);
    }
    best
}

/// The most expensive of a kind's settings tried one at a time (defaults; each choice option; each numeric
/// parameter but pitches and frequencies at its maximum), in ns per voice-sample, or per stereo frame for an effect, and what it was.
fn worst(kind: &str) -> (f64, String) {
    let (_, spec) = registry::find(kind).expect("kind exists");
    let mut settings: Vec<Vec<(&str, f32)>> = vec![vec![]];
    for p in spec.params {
        if p.unit == Unit::Choice {
            settings.extend((0..p.choices.len()).map(|i| vec![(p.name, i as f32)]));
        } else if !matches!(p.unit, Unit::Hertz | Unit::Semitones | Unit::Cents) {
            // Pitch is left at its default: an oscillator at 20 kHz costs several times its usual figure
            // (a band-limiting step nearly every sample), which would make the estimate useless for real patches.
            settings.push(vec![(p.name, p.max)]);
        }
    }
    let per = if spec.role == NodeRole::Effect { LANES as f64 } else { 1.0 };
    settings
        .into_iter()
        .map(|set| (cost(kind, &set) * per, format!("{set:?}")))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .expect("at least the defaults")
}

fn main() {
    let reference = cost("vca", &[]);
    if std::env::args().any(|a| a == "--declared") {
        // Every kind's worst case beside the cost it declares (ns per voice-sample; per frame for effects).
        println!("{:<12} {:>9} {:>9} {:>9}  worst settings", "kind", "defaults", "worst", "declared");
        for spec in registry::all() {
            let per = if spec.role == NodeRole::Effect { LANES as f64 } else { 1.0 };
            let (ns, set) = worst(spec.kind);
            let default = cost(spec.kind, &[]) * per;
            println!("{:<12} {:>9.2} {:>9.2} {:>9.2}  {set}", spec.kind, default, ns, spec.cost);
        }
        println!("vca reference {reference:.2} ns per voice-sample");
        return;
    }
    println!("{:<44} {:>8} {:>8}", "kind (settings)", "ns/vs", "× vca");
    let cases: &[(&str, &[(&str, f32)])] = &[
        ("vca", &[]),
        ("saw", &[]),
        ("lfo", &[]),
        ("lfo", &[("shape", 5.0)]),
        ("lfo", &[("mode", 1.0), ("sync", 13.0)]),
        ("crossfade", &[]),
        ("math", &[("op", 1.0)]),
        ("mixer", &[]),
        ("slew", &[]),
        ("sample_hold", &[]),
        ("quantize", &[]),
        ("voice", &[]),
        ("controls", &[]),
        ("saturator", &[("mode", 0.0)]),
        ("saturator", &[("mode", 0.0), ("antialias", 1.0)]),
        ("saturator", &[("mode", 0.0), ("antialias", 2.0)]),
        ("saturator", &[("mode", 1.0), ("antialias", 2.0)]),
        ("saturator", &[("mode", 1.0)]),
        ("saturator", &[("mode", 2.0)]),
        ("bitcrush", &[]),
    ];
    for (kind, set) in cases {
        let ns = cost(kind, set);
        println!("{:<44} {:>8.2} {:>8.1}", format!("{kind} {set:?}"), ns, ns / reference);
    }
}
