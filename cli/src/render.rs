//! `ferrule render`: a patch and notes (or a MIDI file, or the demo phrase) to a WAV file.

use std::path::PathBuf;
use std::process::ExitCode;

use ferrule_engine::render::{RenderSettings, render};
use ferrule_engine::{CompileSettings, EventKind, compile};

/// Release tail rendered after the last note-off when `--seconds` is not given, in seconds.
const TAIL_SECONDS: f64 = 2.0;

/// `ferrule render` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Patch file.
    patch: PathBuf,
    /// Output WAV file (stereo, 32-bit float).
    #[arg(short, long)]
    output: PathBuf,
    /// Notes: comma-separated NOTE@START+DURATION[*VELOCITY], e.g. "C3@0+2,E3@0.5+1.5*80".
    #[arg(long, conflicts_with = "midi")]
    notes: Option<String>,
    /// A Standard MIDI File to play instead of --notes.
    #[arg(long)]
    midi: Option<PathBuf>,
    /// Length in seconds (default: the last note-off plus a 2 s tail).
    #[arg(long)]
    seconds: Option<f64>,
    /// Sample rate in Hz.
    #[arg(long, default_value_t = 48_000)]
    rate: u32,
    /// Block size in frames.
    #[arg(long, default_value_t = 256)]
    block: usize,
}

/// Renders and writes the WAV file.
pub fn run(args: &Args) -> Result<ExitCode, String> {
    check_rate_and_block(args.rate, args.block)?;
    if let Some(s) = args.seconds
        && !(s.is_finite() && s > 0.0 && s <= 3600.0)
    {
        return Err(format!("--seconds {s} must be more than 0 and at most 3600"));
    }
    let events = match (&args.notes, &args.midi) {
        (Some(spec), _) => crate::notes::events(&crate::notes::parse_spec(spec)?),
        (None, Some(path)) => {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            crate::midi::events(&bytes).map_err(|e| format!("{}: {e}", path.display()))?
        }
        (None, None) => crate::notes::events(&crate::notes::demo()),
    };
    let last =
        events.iter().filter(|e| matches!(e.kind, EventKind::NoteOff { .. })).map(|e| e.seconds).fold(0.0, f64::max);
    let seconds = args.seconds.unwrap_or(last + TAIL_SECONDS);

    let source = crate::read_patch(&args.patch)?;
    let settings = CompileSettings { sample_rate: args.rate as f32, max_block: args.block, polyphony: None };
    let schedule = match compile(&source, &settings) {
        Ok(schedule) => schedule,
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(crate::color()));
            return Ok(ExitCode::from(1));
        }
    };
    let audio = render(schedule, &events, &RenderSettings { block: args.block, seconds });
    crate::wav::write(&args.output, &audio, args.rate)?;
    let peak = audio.left.iter().chain(&audio.right).fold(0.0f32, |a, x| a.max(x.abs()));
    let peak_db = if peak > 0.0 { format!("{:.1} dBFS", 20.0 * peak.log10()) } else { "silent".into() };
    println!("{}: {seconds:.2} s at {} Hz, peak {peak_db}", args.output.display(), args.rate);
    Ok(ExitCode::SUCCESS)
}

/// Rejects sample rates and block sizes no host would use.
pub fn check_rate_and_block(rate: u32, block: usize) -> Result<(), String> {
    if !(8_000..=768_000).contains(&rate) {
        return Err(format!("--rate {rate} must be 8000 to 768000 Hz"));
    }
    if !(1..=65_536).contains(&block) {
        return Err(format!("--block {block} must be 1 to 65536 frames"));
    }
    Ok(())
}
