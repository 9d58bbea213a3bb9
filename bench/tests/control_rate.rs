//! Control-rate outputs change nothing anyone hears: in `patches/ref-voice.ron` the LFO and the filter envelope
//! feed modulation routes only, so the compiler asks them for each control period's last frame alone. The same
//! patch with both also wired (at gain 0, an exact no-op) into the mixer's spare inputs, where every frame is
//! read, must render the same samples through attacks, decays, releases and retriggers, in blocks of 128 and in
//! blocks that cut the control periods short: the envelope to the bit; the LFO, whose phase then moves in closed
//! form, within −120 dB of the render's peak.

use ferrule_bench::held::schedule;
use ferrule_bench::patches;
use ferrule_engine::{Engine, Event, EventKind, PatchSource};

/// `ref-voice.ron` with the vibrato LFO and the filter envelope also read at audio rate, by nothing audible.
fn audio_rate_modulators() -> PatchSource {
    let mut source = patches::reference();
    let text = source
        .text
        .replace(r#""mix": (kind: "mixer"),"#, r#""mix": (kind: "mixer", params: { "gain3": 0.0, "gain4": 0.0 }),"#)
        .replace(
            r#"("amp_env", "amp.cv"),"#,
            r#"("amp_env", "amp.cv"), ("vibrato", "mix.in3"), ("filter_env", "mix.in4"),"#,
        );
    assert_ne!(text, source.text, "the reference patch changed: update this test's edits");
    source.text = text;
    source
}

/// Eight notes held, three released after 0.4 s, two of them retriggered at 0.7 s; 1.2 s in `block` frames.
fn render(source: &PatchSource, block: usize) -> Vec<f32> {
    let (mut engine, _control) = Engine::new(schedule(source, Some(16)));
    let frames = 57_600;
    let (mut left, mut right) = (vec![0.0; block], vec![0.0; block]);
    let mut out = Vec::with_capacity(frames + block);
    let mut at = 0;
    while at < frames {
        let mut events = Vec::new();
        let mut note = |frame: usize, kind: EventKind| {
            if (at..at + block).contains(&frame) {
                events.push(Event { time: (frame - at) as u32, kind });
            }
        };
        for (i, key) in [36u8, 43, 48, 55, 60, 67, 72, 79].into_iter().enumerate() {
            note(i * 37, EventKind::NoteOn { note: key, velocity: 0.8 });
        }
        for key in [43u8, 60, 79] {
            note(19_200, EventKind::NoteOff { note: key });
        }
        for key in [43u8, 79] {
            note(33_611, EventKind::NoteOn { note: key, velocity: 0.5 });
        }
        engine.process(&events, &mut left, &mut right);
        out.extend_from_slice(&left);
        at += block;
    }
    out
}

#[test]
fn modulators_read_only_by_routes_render_the_same_sound() {
    let (routes_only, audio_rate) = (patches::reference(), audio_rate_modulators());
    for block in [128, 100, 7] {
        let (a, b) = (render(&routes_only, block), render(&audio_rate, block));
        assert!(a.iter().any(|x| x.abs() > 0.1), "block {block}: the render is silent");
        let peak = a.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let worst = a.iter().zip(&b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
        let db = 20.0 * (worst.max(1e-30) / peak).log10();
        println!("block {block}: largest difference {worst:e} ({db:.1} dB of the peak {peak})");
        assert!(db <= -120.0, "block {block}: routes only vs audio rate differ by {db:.1} dB of the peak");
    }
}
