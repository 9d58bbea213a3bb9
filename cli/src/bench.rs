//! `ferrule bench`: how many voices of a patch one core plays in real time.
//!
//! Holds N notes on distinct keys in one engine and times every `process` call over a stretch of audio.
//! The last line, `voices_realtime=N`, is for scripts.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use ferrule_engine::{CompileSettings, Engine, Event, EventKind, compile};

/// `ferrule bench` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Patch file.
    patch: PathBuf,
    /// Voices to hold (distinct keys from C2 up), 1 to 128.
    #[arg(long, default_value_t = 64.0)]
    voices: f64,
    /// Seconds of audio to time, after 0.5 s of warm-up; more than 0 and at most 600.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Block size in frames, 1 to 65536.
    #[arg(long, default_value_t = 128.0)]
    block: f64,
    /// Sample rate in Hz, 8000 to 768000.
    #[arg(long, default_value_t = 48_000.0)]
    rate: f64,
}

/// The most blocks one run times (their times are kept for the median): 8 MB of timings.
const MAX_TIMED_BLOCKS: u64 = 1 << 20;

/// Runs the benchmark and prints its figures.
pub fn run(args: &Args) -> Result<ExitCode, String> {
    let (rate, block) = (crate::render::check_rate(args.rate)?, crate::render::check_block(args.block)?);
    if !(args.voices.fract() == 0.0 && (1.0..=128.0).contains(&args.voices)) {
        return Err(format!("--voices {} must be a whole number from 1 to 128", crate::render::shown(args.voices)));
    }
    let voices = args.voices as usize;
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= 600.0) {
        return Err(format!("--seconds {} must be more than 0 and at most 600", crate::render::shown(args.seconds)));
    }
    let blocks = |seconds: f64| ((seconds * rate as f64) / block as f64).ceil() as usize;
    if blocks(args.seconds) as u64 > MAX_TIMED_BLOCKS {
        return Err(format!(
            "--seconds {} in blocks of {block} frames at {rate} Hz is {} blocks to time, more than the {} a run \
             keeps: time fewer seconds or larger blocks",
            crate::render::shown(args.seconds),
            blocks(args.seconds),
            MAX_TIMED_BLOCKS
        ));
    }
    let source = crate::read_patch(&args.patch)?;
    let settings = CompileSettings {
        sample_rate: rate as f32,
        max_block: block,
        polyphony: Some(voices),
        budget: crate::budget(),
    };
    let schedule = match compile(&source, &settings) {
        Ok(s) => s,
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(crate::color()));
            return Ok(ExitCode::from(1));
        }
    };
    let (mut engine, _control) = Engine::new(schedule);
    // Distinct keys from C2 (36), wrapping below into the low keys: a repeated key would retrigger a voice.
    let notes: Vec<Event> = (0..voices)
        .map(|i| Event { time: 0, kind: EventKind::NoteOn { note: ((36 + i) % 128) as u8, velocity: 0.8 } })
        .collect();
    let mut left = vec![0.0f32; block];
    let mut right = vec![0.0f32; block];
    engine.process(&notes, &mut left, &mut right);
    let mut peak = 0.0f32;
    for _ in 0..blocks(0.5) {
        engine.process(&[], &mut left, &mut right);
    }
    let mut times = Vec::with_capacity(blocks(args.seconds));
    let start = Instant::now();
    for _ in 0..blocks(args.seconds) {
        let t = Instant::now();
        engine.process(&[], &mut left, &mut right);
        times.push(t.elapsed().as_nanos() as f64);
        peak = peak.max(left.iter().fold(0.0, |a, x| a.max(x.abs())));
    }
    let total = start.elapsed().as_nanos() as f64;
    if engine.active_voices() < voices {
        return Err(format!(
            "only {} of {} voices were still playing at the end: the patch's voices ended or could not all start",
            engine.active_voices(),
            voices
        ));
    }
    if peak == 0.0 {
        return Err("the patch was silent: a benchmark of silence measures nothing".into());
    }
    times.sort_by(f64::total_cmp);
    let voice_samples = (voices * block) as f64;
    let median = times[times.len() / 2] / voice_samples;
    let overall = total / (voice_samples * times.len() as f64);
    let deadline = block as f64 / rate as f64 * 1e9;
    let worst = times.last().copied().unwrap_or(0.0) / deadline * 100.0;
    let realtime = (1e9 / (rate as f64 * overall)).floor() as u64;
    println!("patch: {}", args.patch.display());
    println!("voices: {}, rate: {} Hz, block: {} frames, timed: {:.1} s of audio", voices, rate, block, args.seconds);
    println!("ns per voice-sample: {median:.2} (median block), {overall:.2} (overall)");
    println!("worst block: {worst:.1} % of the {:.0} µs deadline", deadline / 1e3);
    println!("voices_realtime={realtime}");
    Ok(ExitCode::SUCCESS)
}
