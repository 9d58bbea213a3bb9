//! `ferrule render`: a patch and notes (or a MIDI file, or the demo phrase) to a WAV file.

use std::path::PathBuf;
use std::process::ExitCode;

use ferrule_engine::render::{RenderSettings, render, render_with_swaps};
use ferrule_engine::{CompileSettings, EventKind, Schedule, compile};

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
    /// Swap to another patch mid-render, as a hot reload would: SECONDS:PATCH (repeatable). Held notes
    /// carry on; the new patch takes over at that frame, through the same engine path as a live reload.
    #[arg(long = "swap-at", value_name = "SECONDS:PATCH")]
    swap_at: Vec<String>,
}

/// One `--swap-at`: when, and which patch.
struct Swap {
    seconds: f64,
    patch: PathBuf,
}

/// Parses `SECONDS:PATCH`.
fn parse_swap(spec: &str) -> Result<Swap, String> {
    let bad = |why: &str| format!("bad --swap-at \"{spec}\": {why} (write SECONDS:PATCH, e.g. 1.5:other.ron)");
    let (seconds, patch) = spec.split_once(':').ok_or_else(|| bad("missing :PATCH"))?;
    let seconds = match seconds.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => s,
        _ => return Err(bad(&format!("`{}` is not a number of seconds ≥ 0", seconds.trim()))),
    };
    if patch.is_empty() {
        return Err(bad("missing PATCH"));
    }
    Ok(Swap { seconds, patch: PathBuf::from(patch) })
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

    let mut swaps = args.swap_at.iter().map(|s| parse_swap(s)).collect::<Result<Vec<_>, _>>()?;
    swaps.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));

    let settings = CompileSettings {
        sample_rate: args.rate as f32,
        max_block: args.block,
        polyphony: None,
        budget: crate::budget(),
    };
    // Every patch is compiled before rendering starts, so a broken one stops the render with its errors.
    let mut failed = false;
    let mut compile_file = |path: &std::path::Path| -> Result<Option<Schedule>, String> {
        match compile(&crate::read_patch(path)?, &settings) {
            Ok(schedule) => Ok(Some(schedule)),
            Err(diagnostics) => {
                eprint!("{}", diagnostics.render(crate::color()));
                failed = true;
                Ok(None)
            }
        }
    };
    let schedule = compile_file(&args.patch)?;
    let mut timed = Vec::with_capacity(swaps.len());
    for swap in &swaps {
        if let Some(schedule) = compile_file(&swap.patch)? {
            timed.push((swap.seconds, schedule));
        }
    }
    let Some(schedule) = schedule.filter(|_| !failed) else {
        return Ok(ExitCode::from(1));
    };
    let settings = RenderSettings { block: args.block, seconds };
    let audio = if timed.is_empty() {
        render(schedule, &events, &settings)
    } else {
        render_with_swaps(schedule, timed, &events, &settings)
    };
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
