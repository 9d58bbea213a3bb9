//! `ferrule render`: a patch and notes (or a MIDI file, or the demo phrase) to a WAV file.
//!
//! Every length, time and rate is checked before any work, with a one-line error; then the render streams
//! to the file a block at a time ([`ferrule_engine::render::Renderer`]), so memory stays the same whatever
//! the length.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ferrule_engine::render::{RenderSettings, Renderer, TimedEvent};
use ferrule_engine::{CompileSettings, EventKind, compile};

/// Release tail rendered after the last note-off when `--seconds` is not given, in seconds (cut short at
/// [`MAX_SECONDS`]).
const TAIL_SECONDS: f64 = 2.0;

/// The longest render, in seconds; no note, MIDI event or swap may come later.
pub const MAX_SECONDS: f64 = 3600.0;

/// The largest MIDI file read, in bytes (real files are well under 1 MB; this bounds the memory its
/// events take to about 150 MB).
const MAX_MIDI_BYTES: u64 = 4 << 20;

/// The largest number of frames a WAV file holds: its RIFF size field counts at most 4 GiB of data plus
/// hound's 68-byte header (stereo 32-bit float, 8 bytes a frame).
const MAX_WAV_FRAMES: u64 = (u32::MAX as u64 - 68) / 8;

/// `ferrule render` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Patch file.
    patch: PathBuf,
    /// Output WAV file (stereo, 32-bit float).
    #[arg(short, long)]
    output: PathBuf,
    /// Notes: comma-separated `NOTE@START+DURATION[*VELOCITY]`, e.g. "C3@0+2,E3@0.5+1.5*80"; every note ends
    /// by 3600 s.
    #[arg(long, conflicts_with = "midi")]
    notes: Option<String>,
    /// A Standard MIDI File (at most 4 MB) to play instead of --notes.
    #[arg(long)]
    midi: Option<PathBuf>,
    /// Length in seconds, at most 3600 (default: the last note-off plus a 2 s tail).
    #[arg(long)]
    seconds: Option<f64>,
    /// Sample rate in Hz, 8000 to 768000.
    #[arg(long, default_value_t = 48_000.0)]
    rate: f64,
    /// Block size in frames, 1 to 65536.
    #[arg(long, default_value_t = 256.0)]
    block: f64,
    /// Swap to another patch mid-render, as a hot reload would: SECONDS:PATCH (repeatable). Held notes
    /// carry on; the new patch takes over at that frame, through the same engine path as a live reload. A
    /// patch with errors is reported and the previous one plays on, as with a broken save.
    #[arg(long = "swap-at", value_name = "SECONDS:PATCH")]
    swap_at: Vec<String>,
}

/// One `--swap-at`: when, and which patch.
struct Swap {
    seconds: f64,
    patch: PathBuf,
}

/// A number of seconds, Hz or frames as an error message shows it: as typed for ordinary values, in
/// exponent form when huge (never hundreds of digits).
pub fn shown(x: f64) -> String {
    if x.is_finite() && x.abs() >= 1e7 { format!("{x:e}") } else { format!("{x}") }
}

/// Parses `SECONDS:PATCH`, with the time at most [`MAX_SECONDS`].
fn parse_swap(spec: &str) -> Result<Swap, String> {
    let bad = |why: &str| format!("bad --swap-at \"{spec}\": {why} (write SECONDS:PATCH, e.g. 1.5:other.ron)");
    let (seconds, patch) = spec.split_once(':').ok_or_else(|| bad("missing :PATCH"))?;
    let seconds = match seconds.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => s,
        _ => return Err(bad(&format!("`{}` is not a number of seconds ≥ 0", seconds.trim()))),
    };
    if seconds > MAX_SECONDS {
        return Err(bad(&format!("{} s is after the {MAX_SECONDS} s a render may last", shown(seconds))));
    }
    if patch.is_empty() {
        return Err(bad("missing PATCH"));
    }
    Ok(Swap { seconds, patch: PathBuf::from(patch) })
}

/// Reads a MIDI file of at most [`MAX_MIDI_BYTES`] into events.
fn read_midi(path: &Path) -> Result<Vec<TimedEvent>, String> {
    use std::io::Read;
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(fail)?;
    let mut bytes = Vec::new();
    file.take(MAX_MIDI_BYTES + 1).read_to_end(&mut bytes).map_err(fail)?;
    if bytes.len() as u64 > MAX_MIDI_BYTES {
        return Err(format!("{}: larger than the {} MB a MIDI file may be", path.display(), MAX_MIDI_BYTES >> 20));
    }
    crate::midi::events(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Everything `ferrule render` was asked, checked.
struct Plan {
    rate: u32,
    block: usize,
    seconds: f64,
    events: Vec<TimedEvent>,
    swaps: Vec<Swap>,
}

/// Checks every argument before any work: rate, block, length (given or implied by the notes or MIDI
/// file), note and swap times, and the size of the WAV file.
fn plan(args: &Args) -> Result<Plan, String> {
    let rate = check_rate(args.rate)?;
    let block = check_block(args.block)?;
    if let Some(s) = args.seconds
        && !(s.is_finite() && s > 0.0 && s <= MAX_SECONDS)
    {
        return Err(format!("--seconds {} must be more than 0 and at most {MAX_SECONDS}", shown(s)));
    }
    let mut swaps = args.swap_at.iter().map(|s| parse_swap(s)).collect::<Result<Vec<_>, _>>()?;
    swaps.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let events = match (&args.notes, &args.midi) {
        (Some(spec), _) => crate::notes::events(&crate::notes::parse_spec(spec)?),
        (None, Some(path)) => read_midi(path)?,
        (None, None) => crate::notes::events(&crate::notes::demo()),
    };
    let last =
        events.iter().filter(|e| matches!(e.kind, EventKind::NoteOff { .. })).map(|e| e.seconds).fold(0.0, f64::max);
    let seconds = match args.seconds {
        Some(s) => s,
        // Notes are checked to end by the cap as they are parsed; a MIDI file is checked here, and only
        // when it sets the length (with --seconds its events past the end are simply not played).
        None if last > MAX_SECONDS => {
            let from = args.midi.as_ref().map_or(String::new(), |p| format!("{}: ", p.display()));
            return Err(format!(
                "{from}the last note ends at {} s, after the {MAX_SECONDS} s a render may last; give --seconds to \
                 render its start",
                shown(last.round())
            ));
        }
        None => (last + TAIL_SECONDS).min(MAX_SECONDS),
    };
    if let Some(late) = swaps.iter().find(|s| s.seconds >= seconds) {
        return Err(format!(
            "--swap-at {} s is not before the end of the render ({seconds:.2} s)",
            shown(late.seconds)
        ));
    }
    let frames = (seconds * rate as f64).round() as u64;
    if frames > MAX_WAV_FRAMES {
        return Err(format!(
            "{seconds:.2} s at {rate} Hz is {:.1} GB of audio, more than the 4 GiB a WAV file holds (at most \
             {:.1} s at this rate)",
            frames as f64 * 8.0 / 1e9,
            (MAX_WAV_FRAMES / rate as u64) as f64
        ));
    }
    Ok(Plan { rate, block, seconds, events, swaps })
}

/// Renders and writes the WAV file.
pub fn run(args: &Args) -> Result<ExitCode, String> {
    let plan = plan(args)?;
    let settings = CompileSettings {
        sample_rate: plan.rate as f32,
        max_block: plan.block,
        polyphony: None,
        budget: crate::budget(),
    };
    let schedule = match compile(&crate::read_patch(&args.patch)?, &settings) {
        Ok(schedule) => schedule,
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(crate::color()));
            return Ok(ExitCode::from(1));
        }
    };
    // Swaps are compiled up front; one that does not compile is reported, and the patch before it plays
    // on, as after a broken save while playing. An unreadable file is a mistake on the command line: fatal.
    let mut timed = Vec::with_capacity(plan.swaps.len());
    for swap in &plan.swaps {
        match compile(&crate::read_patch(&swap.patch)?, &settings) {
            Ok(schedule) => timed.push((swap.seconds, schedule)),
            Err(diagnostics) => {
                eprint!("{}", diagnostics.render(crate::color()));
                eprintln!(
                    "ferrule: {} not swapped in at {} s: the patch before it plays on",
                    swap.patch.display(),
                    shown(swap.seconds)
                );
            }
        }
    }
    let mut renderer =
        Renderer::new(schedule, timed, &plan.events, &RenderSettings { block: plan.block, seconds: plan.seconds });
    let peak = crate::wav::stream(&args.output, plan.rate, &mut renderer)?;
    let peak_db = if peak > 0.0 { format!("{:.1} dBFS", 20.0 * peak.log10()) } else { "silent".into() };
    println!("{}: {:.2} s at {} Hz, peak {peak_db}", args.output.display(), plan.seconds, plan.rate);
    Ok(ExitCode::SUCCESS)
}

/// A whole number `value` of `name` within `range`, or a one-line error in `unit`.
fn whole(name: &str, value: f64, range: std::ops::RangeInclusive<u32>, unit: &str) -> Result<u32, String> {
    if value.fract() == 0.0 && value >= *range.start() as f64 && value <= *range.end() as f64 {
        Ok(value as u32)
    } else {
        Err(format!("{name} {} must be a whole number from {} to {} {unit}", shown(value), range.start(), range.end()))
    }
}

/// A sample rate any host would use, 8,000 to 768,000 Hz.
pub fn check_rate(rate: f64) -> Result<u32, String> {
    whole("--rate", rate, 8_000..=768_000, "Hz")
}

/// A block size from 1 to 65,536 frames.
pub fn check_block(block: f64) -> Result<usize, String> {
    whole("--block", block, 1..=65_536, "frames").map(|b| b as usize)
}
