//! `ferrule play`: a standalone instrument for sound designers without a DAW. Live audio out, MIDI in from
//! every port and from the computer keyboard, and hot reload: save the patch in any editor and hear it,
//! with errors printed as they happen and the last good patch playing on.
//!
//! Threads: the audio device's callback owns the engine ([`audio`]); MIDI ports ([`midi_in`]) and the
//! keyboard (this module's loop) feed it through one `rtrb` ring each; the reload thread
//! ([`ferrule_reload::Reloader`]) compiles saves and submits them; this loop prints what happens.

mod audio;
mod keyboard;
mod midi_in;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{self, KeyboardEnhancementFlags, PushKeyboardEnhancementFlags};
use crossterm::terminal;
use ferrule_engine::{CompileSettings, Engine, EventKind, compile};
use ferrule_reload::{EngineSlot, ReloadEvent, ReloadOptions, Reloader};
use rtrb::RingBuffer;

use keyboard::{Action, Keyboard};

/// How often the loop looks for keys, reload events and retired schedules.
const TICK: Duration = Duration::from_millis(10);

/// `ferrule play` arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Patch file; saved changes are heard at once.
    patch: PathBuf,
    /// Audio output device, by name or id (default: the system's default output).
    #[arg(long)]
    device: Option<String>,
}

/// Plays until `q` (or, without a terminal, until interrupted).
pub fn run(args: &Args) -> Result<ExitCode, String> {
    let source = crate::read_patch(&args.patch)?;
    let output = audio::find(args.device.as_deref())?;
    let settings = CompileSettings {
        sample_rate: output.sample_rate() as f32,
        max_block: audio::MAX_BLOCK,
        polyphony: None,
        budget: crate::budget(),
    };
    let schedule = match compile(&source, &settings) {
        Ok(s) => s,
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(crate::color()));
            return Ok(ExitCode::from(1));
        }
    };
    let (engine, control) = Engine::new(schedule);
    let slot = EngineSlot::new();
    slot.attach(settings, control);

    let dropped = Arc::new(AtomicUsize::new(0));
    let (midi, mut inputs, warnings) = midi_in::open_all(dropped.clone());
    let (mut keys, keys_out) = RingBuffer::new(256);
    inputs.push(keys_out);
    let stream_errors = Arc::new(AtomicUsize::new(0));
    let _stream = audio::start(&output, engine, inputs, stream_errors.clone())?;
    let reloader = Reloader::watch(&args.patch, slot.clone(), Some(source), ReloadOptions::default())
        .map_err(|e| e.to_string())?;

    let interactive = std::io::stdin().is_terminal();
    let mut term = Terminal::new(interactive);
    term.say(&format!(
        "ferrule play: {} on `{}` at {} Hz; watching for saves",
        args.patch.display(),
        output.name,
        output.sample_rate()
    ));
    for w in &warnings {
        term.say(&format!("warning: {w}"));
    }
    if !midi.names.is_empty() {
        term.say(&format!("MIDI in: {}", midi.names.join(", ")));
    }
    let mut keyboard = Keyboard::new(term.releases);
    if interactive {
        term.say("keys: z s x d c v g b h n j m , play C3 to C4 (s d g h j are the black keys)   - = octave down   = = octave up   space = all notes off   q = quit");
    }

    let mut reported_drops = 0;
    let mut reported_errors = 0;
    loop {
        let now = Instant::now();
        let mut send = |kind: EventKind| {
            if keys.push(kind).is_err() {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
        };
        if interactive {
            if event::poll(TICK).map_err(|e| format!("keyboard: {e}"))?
                && let event::Event::Key(key) = event::read().map_err(|e| format!("keyboard: {e}"))?
            {
                let octave = keyboard.octave();
                if keyboard.key(key, now, &mut send) == Action::Quit {
                    break;
                }
                if keyboard.octave() != octave {
                    term.say(&format!("octave: C{}", 3 + keyboard.octave()));
                }
            }
            keyboard.tick(now, &mut send);
        } else {
            std::thread::sleep(TICK);
        }
        while let Some(event) = reloader.poll() {
            term.say(&describe(&event));
        }
        slot.collect_retired();
        let drops = dropped.load(Ordering::Relaxed);
        if drops > reported_drops {
            term.say(&format!("warning: {} note events dropped (input queue full)", drops - reported_drops));
            reported_drops = drops;
        }
        let errors = stream_errors.load(Ordering::Relaxed);
        if errors > reported_errors {
            term.say(&format!("warning: the audio device reported {} errors (dropouts)", errors - reported_errors));
            reported_errors = errors;
        }
    }
    term.say("ferrule play: bye");
    Ok(ExitCode::SUCCESS)
}

/// A reload event as printed: with the time from save to hand-over for a reload.
fn describe(event: &ReloadEvent) -> String {
    match event {
        ReloadEvent::Reloaded(r) => {
            let ms = r.submitted_at.saturating_duration_since(r.changed_at).as_secs_f64() * 1e3;
            format!("{event} ({ms:.0} ms after the save)")
        }
        _ => event.to_string(),
    }
}

/// The terminal in raw mode (so single keys arrive), restored on drop.
struct Terminal {
    raw: bool,
    /// Whether the terminal reports key releases.
    releases: bool,
}

impl Terminal {
    fn new(interactive: bool) -> Terminal {
        let raw = interactive && terminal::enable_raw_mode().is_ok();
        let releases = raw
            && terminal::supports_keyboard_enhancement().unwrap_or(false)
            && crossterm::execute!(
                std::io::stdout(),
                PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::REPORT_EVENT_TYPES)
            )
            .is_ok();
        Terminal { raw, releases }
    }

    /// Prints a message (lines ending in CR LF while in raw mode).
    fn say(&mut self, message: &str) {
        let mut out = std::io::stdout().lock();
        for line in message.lines() {
            let _ = write!(out, "{line}{}", if self.raw { "\r\n" } else { "\n" });
        }
        let _ = out.flush();
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if self.releases {
            let _ = crossterm::execute!(std::io::stdout(), crossterm::event::PopKeyboardEnhancementFlags);
        }
        if self.raw {
            let _ = terminal::disable_raw_mode();
        }
    }
}
