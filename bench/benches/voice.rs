//! Issue 7, benchmark 1: the reference voice side by side in one run (64 held voices, 48 kHz, blocks of 128).
//!
//! Ferrule (`patches/ref-voice.ron` through `Engine::process`), the hand-written fused voice (scalar and 8 voices
//! per SIMD lane group, `ferrule_bench::hand`), and FunDSP's static combinators and dynamic `Net`. Each
//! repetition renders one second of audio per contender, round-robin, after a warm-up; the table shows medians.
//!
//! Run: `cargo bench -p ferrule-bench --bench voice`.

use fundsp::prelude32::*;

use ferrule_bench::hand::{AMP, FILTER, VCA_GAIN, Voices};
use ferrule_bench::held::{Held, schedule};
use ferrule_bench::measure::{Contender, interleaved};
use ferrule_bench::{BLOCK, RATE, machine, patches, voices_realtime};

/// Voices held.
const VOICES: usize = 64;
/// Rounds (each one second of audio per contender).
const REPS: usize = 10;
/// Blocks per repetition: one second.
const BLOCKS: usize = RATE as usize / BLOCK;

/// MIDI note of voice `i`: distinct keys from C2, as `held::chord` presses them.
fn note(i: usize) -> u8 {
    ((36 + i) % 128) as u8
}

fn hz(note: u8) -> f32 {
    440.0 * ((note as f32 - 69.0) / 12.0).exp2()
}

/// The vibrato of the reference voice, in octaves, at `t` seconds: 5 Hz, ±10 cents.
fn vibrato(t: f32) -> f32 {
    (10.0 / 1200.0) * (std::f32::consts::TAU * 5.0 * t).sin()
}

/// Filter envelope value → cutoff in Hz: 1200 Hz moved up by 3 octaves per unit, below 0.48 × fs.
fn cutoff(env: f32) -> f32 {
    (1200.0 * (3.0 * env).exp2()).min(0.48 * RATE as f32)
}

/// The reference voice at `f` Hz in FunDSP's static combinators. FunDSP's `saw` is a band-limited wavetable
/// oscillator; `lfo` is evaluated every 2 ms and interpolated; `lowpass` is its Simper SVF with the cutoff an
/// audio input (the filter envelope, per sample); `adsr_live` gated by a constant 1 holds the note.
fn fundsp_voice(f: f32) -> An<impl AudioNode<Inputs = U0, Outputs = U1>> {
    let osc1 = lfo(move |t: f32| f * exp2(vibrato(t))) >> saw();
    let osc2 = lfo(move |t: f32| f * exp2(7.0 / 1200.0 + vibrato(t))) >> saw();
    let mix = (osc1 + osc2) * 0.5;
    let filter_env = dc(1.0)
        >> adsr_live(FILTER.attack, FILTER.decay, FILTER.sustain, FILTER.release)
        >> map(|x: &Frame<f32, U1>| cutoff(x[0]));
    let filter = (mix | filter_env | dc(1.4)) >> lowpass();
    let amp = dc(1.0) >> adsr_live(AMP.attack, AMP.decay, AMP.sustain, AMP.release);
    filter * amp * VCA_GAIN
}

/// The same voice as a dynamic `Net`: every unit its own node behind `dyn AudioUnit`, wired by the `Net`
/// operators (what a patch loaded at run time would build).
fn fundsp_net_voice(f: f32) -> Net {
    let w = |u: Box<dyn AudioUnit>| Net::wrap(u);
    let osc1 = w(Box::new(lfo(move |t: f32| f * exp2(vibrato(t))))) >> w(Box::new(saw()));
    let osc2 = w(Box::new(lfo(move |t: f32| f * exp2(7.0 / 1200.0 + vibrato(t))))) >> w(Box::new(saw()));
    let mix = (osc1 + osc2) >> w(Box::new(mul(0.5)));
    let filter_env = w(Box::new(dc(1.0)))
        >> w(Box::new(adsr_live(FILTER.attack, FILTER.decay, FILTER.sustain, FILTER.release)))
        >> w(Box::new(map(|x: &Frame<f32, U1>| cutoff(x[0]))));
    let filter = (mix | filter_env | w(Box::new(dc(1.4)))) >> w(Box::new(lowpass()));
    let amp = w(Box::new(dc(1.0))) >> w(Box::new(adsr_live(AMP.attack, AMP.decay, AMP.sustain, AMP.release)));
    let mut net = filter * amp * VCA_GAIN;
    net.set_sample_rate(RATE as f64);
    net.allocate();
    net
}

/// Renders `blocks` blocks of 128 frames from every unit in `voices` (in FunDSP's 64-frame buffers), summing
/// into one mono block; returns voice-samples rendered.
fn run_fundsp<U: AudioUnit>(voices: &mut [U], blocks: usize) -> f64 {
    let mut out = BufferArray::<U1>::new();
    let mut mix = [0.0f32; BLOCK];
    for _ in 0..blocks {
        mix.fill(0.0);
        for v in voices.iter_mut() {
            for m in mix.chunks_mut(MAX_BUFFER_SIZE) {
                v.process(m.len(), &BufferRef::empty(), &mut out.buffer_mut());
                for (y, x) in m.iter_mut().zip(out.channel_f32(0)) {
                    *y += x;
                }
            }
        }
        std::hint::black_box(&mix);
    }
    (blocks * BLOCK * voices.len()) as f64
}

/// Renders `blocks` blocks from `N`-lane groups of the hand-written voice; returns voice-samples rendered.
fn run_hand<const N: usize>(groups: &mut [Voices<N>], blocks: usize) -> f64 {
    let mut out = [0.0f32; BLOCK];
    for _ in 0..blocks {
        out.fill(0.0);
        for g in groups.iter_mut() {
            g.process(&mut out);
        }
        std::hint::black_box(&out);
    }
    (blocks * BLOCK * groups.len() * N) as f64
}

fn hand_voices<const N: usize>() -> Vec<Voices<N>> {
    let mut groups: Vec<Voices<N>> = (0..VOICES / N).map(|_| Voices::new()).collect();
    for i in 0..VOICES {
        groups[i / N].note_on(i % N, note(i));
    }
    groups
}

fn main() {
    let mut ferrule = Held::new(schedule(&patches::reference(), Some(VOICES)), VOICES);
    let mut scalar = hand_voices::<1>();
    let mut simd = hand_voices::<8>();
    let mut fs_static: Vec<_> = (0..VOICES)
        .map(|i| {
            let mut v = fundsp_voice(hz(note(i)));
            v.set_sample_rate(RATE as f64);
            v.allocate();
            v
        })
        .collect();
    let mut fs_net: Vec<Net> = (0..VOICES).map(|i| fundsp_net_voice(hz(note(i)))).collect();
    // Past the attacks and decays, as the held notes of the issue are.
    ferrule.run(BLOCKS / 2);
    run_hand(&mut scalar, BLOCKS / 2);
    run_hand(&mut simd, BLOCKS / 2);
    run_fundsp(&mut fs_static, BLOCKS / 2);
    run_fundsp(&mut fs_net, BLOCKS / 2);
    assert!(ferrule.peak() > 0.0 && ferrule.engine.active_voices() == VOICES, "Ferrule must be playing all voices");

    let names = [
        "ferrule (ref-voice.ron, Engine::process)",
        "hand-written scalar (fused, 24-tap BLEP)",
        "hand-written SIMD 8 voices/lanes (fused, 24-tap BLEP)",
        "fundsp static combinators",
        "fundsp Net (dynamic)",
    ];
    let mut contenders = vec![
        Contender { name: names[0].into(), block: Box::new(|| ferrule.run(1)) },
        Contender { name: names[1].into(), block: Box::new(|| run_hand(&mut scalar, 1)) },
        Contender { name: names[2].into(), block: Box::new(|| run_hand(&mut simd, 1)) },
        Contender { name: names[3].into(), block: Box::new(|| run_fundsp(&mut fs_static, 1)) },
        Contender { name: names[4].into(), block: Box::new(|| run_fundsp(&mut fs_net, 1)) },
    ];
    let figures = interleaved(&mut contenders, REPS, BLOCKS);
    let ns: Vec<f64> = figures.iter().map(|f| f.median).collect();

    println!("# Reference voice, side by side (issue 7 benchmark 1)");
    println!("# machine: {}", machine());
    println!(
        "# {VOICES} held voices of patches/ref-voice.ron, {RATE} Hz, block {BLOCK}; {REPS} interleaved rounds of \
         1 s of audio per contender after warm-up, every block timed; figures are the median block (the mean, OS \
         preemption on this shared machine included, in the last column)"
    );
    println!(
        "implementation,ns_per_voice_sample,voices_realtime_one_core,relative_to_ferrule,mean_ns_per_voice_sample"
    );
    for (c, f) in contenders.iter().zip(&figures) {
        println!("{},{:.2},{:.0},{:.2},{:.2}", c.name, f.median, voices_realtime(f.median), f.median / ns[0], f.mean);
    }
    println!();
    println!("ratio,value,goal");
    println!("ferrule / hand-written SIMD (ns),{:.2},<= 1.00", ns[0] / ns[2]);
    println!("ferrule / hand-written scalar (ns),{:.2},", ns[0] / ns[1]);
    println!("fundsp Net / ferrule (ns),{:.2},>= 3.00", ns[4] / ns[0]);
    println!("fundsp static / ferrule (ns),{:.2},", ns[3] / ns[0]);
    println!("ferrule voices in real time on one core,{:.0},>= 1000", voices_realtime(ns[0]));
    println!();
    println!(
        "# Notes: the hand-written voices use the same 24-tap windowed-sinc BLEP table, Cytomic SVF and ADSR \
         algorithms as the nodes (LFO and coefficients once per 16-frame period, as the engine), fused into one \
         loop, both saws into one BLEP ring; they skip smoothers, pan/volume, voice allocation and safety guards. \
         FunDSP uses its own band-limited wavetable saw (not a BLEP), a 2 ms-interpolated lfo for the vibrato, \
         and recomputes its SVF coefficients per sample from the filter envelope."
    );
}
