//! Voice stealing: the right voice goes, and it goes without a click.

use ferrule_tests::measure::{max_step, step_percentile_999};
use ferrule_tests::patch::{on, render_text};

fn patch(polyphony: usize) -> String {
    format!(
        r#"(
    version: 1,
    voice: (polyphony: {polyphony}, steal: ReleasedThenOldest),
    nodes: {{
        "osc": (kind: "sine"),
        "amp": (kind: "vca", params: {{ "gain": 0.2 }}),
    }},
    connections: [("osc.out", "amp.in")],
    output: Mono("amp.out"),
)"#
    )
}

/// Four held notes, then a fifth at 0.5 s steals the oldest. The stolen voice fades out over 5 ms while
/// the new one starts on time. The largest step within 10 ms of the steal stays within 3× the 99.9th
/// percentile step of the same render with room for all five notes (MEASURING.md's click measure).
#[test]
fn a_steal_fades_the_old_voice_instead_of_cutting_it() {
    let notes = [on(0.0, 48, 1.0), on(0.1, 55, 1.0), on(0.2, 60, 1.0), on(0.3, 64, 1.0), on(0.5, 79, 1.0)];
    let stolen = render_text(&patch(4), &notes, 48_000.0, 64, 1.0);
    let roomy = render_text(&patch(5), &notes, 48_000.0, 64, 1.0);
    let at = 24_000;
    let click = max_step(&stolen.left[at - 480..at + 480]);
    let baseline = step_percentile_999(&roomy.left);
    println!("largest step around the steal {click:.4}, baseline {baseline:.4}");
    assert!(click <= 3.0 * baseline, "steal step {click} vs baseline {baseline}");
    // After the fade, the stolen note (C3, 130.8 Hz) is gone: the stolen render equals the roomy render minus
    // that voice, so their difference after the fade is exactly the C3 voice.
    let diff: Vec<f32> = roomy.left[at + 480..].iter().zip(&stolen.left[at + 480..]).map(|(a, b)| a - b).collect();
    let crossings = diff.windows(2).filter(|w| w[0] <= 0.0 && w[1] > 0.0).count() as f64;
    let hz = crossings / (diff.len() as f64 / 48_000.0);
    assert!((hz - 130.8).abs() < 3.0, "the voice that went was the oldest (C3): {hz:.1} Hz");
}
