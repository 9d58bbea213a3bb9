//! The hand-written voice is only a fair reference if it is the same sound: one held note of it and of
//! `patches/ref-voice.ron` played by Ferrule must have the same level and the same spectrum's pitch.

use ferrule_bench::hand::Voices;
use ferrule_bench::held::{Held, schedule};
use ferrule_bench::{BLOCK, RATE, patches};

const SECONDS: usize = 1;

fn ferrule(note: u8) -> Vec<f32> {
    let mut held = Held::with_keys(schedule(&patches::reference(), Some(1)), &[note]);
    let mut out = Vec::new();
    let (mut left, mut right) = (vec![0.0; BLOCK], vec![0.0; BLOCK]);
    out.extend_from_slice(held.last_left());
    while out.len() < SECONDS * RATE as usize {
        held.engine.process(&[], &mut left, &mut right);
        out.extend_from_slice(&left);
    }
    out
}

fn hand(note: u8) -> Vec<f32> {
    let mut v = Voices::<8>::new();
    v.note_on(0, note);
    let mut out = vec![0.0; SECONDS * RATE as usize];
    v.process(&mut out);
    out
}

fn rms_db(x: &[f32]) -> f32 {
    10.0 * (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).log10()
}

/// Strongest autocorrelation lag between 40 and 1000 Hz, as a frequency.
fn pitch(x: &[f32]) -> f32 {
    let corr = |lag: usize| (0..8192).map(|i| x[i] * x[i + lag]).sum::<f32>();
    let lag = (RATE as usize / 1000..RATE as usize / 40).max_by(|&a, &b| corr(a).total_cmp(&corr(b))).unwrap_or(1);
    RATE as f32 / lag as f32
}

#[test]
fn held_notes_match_ferrule_in_level_and_pitch() {
    for note in [45u8, 69] {
        let (f, h) = (ferrule(note), hand(note));
        // The sustained part: past attack (5 ms) and decays (0.3 s).
        let (f, h) = (&f[RATE as usize / 2..], &h[RATE as usize / 2..]);
        let (lf, lh) = (rms_db(f), rms_db(h));
        assert!((lf - lh).abs() < 0.1, "note {note}: Ferrule {lf:.2} dB, hand-written {lh:.2} dB");
        let (pf, ph) = (pitch(f), pitch(h));
        assert!((pf / ph - 1.0).abs() < 0.01, "note {note}: Ferrule {pf:.1} Hz, hand-written {ph:.1} Hz");
    }
}
