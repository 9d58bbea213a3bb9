//! Soak: a long session rendered faster than real time — random notes, automation (macros, mod wheel,
//! bend, pressure), random block sizes and a patch reload every half second, alternating patches of
//! different shapes so reloads both migrate state and crossfade.
//!
//! Checked on every block: output finite, within ±4 and free of denormals; no allocation or deallocation
//! in `Engine::process`; the runaway guard never fires; schedules in flight stay bounded (every reload's
//! old schedule comes back to be dropped), and the instrument is still heard at the end.
//! Per-block render times are printed as percentiles for the first and last tenth of the run (to see a
//! denormal or leak slowdown by eye), never asserted.
//!
//! CI runs 10 s of audio. The full hour is one command:
//! `FERRULE_SOAK_SECONDS=3600 cargo test --release -p ferrule-tests --test soak -- --nocapture`

use std::time::Instant;

use ferrule_engine::{CompileSettings, Engine, Event, EventKind, PatchSource, Schedule, compile};
use ferrule_tests::alloc_trap::count_allocations;
use ferrule_tests::patch::{SINE, factory_patch};

ferrule_tests::install_alloc_trap!();

const RATE: f32 = 48_000.0;
const MAX_BLOCK: usize = 2048;
/// Seconds of audio between reloads.
const RELOAD_EVERY: f64 = 0.5;

/// A small xorshift generator: the same session on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn compile_text(text: &str) -> Schedule {
    let source = PatchSource { path: "soak.ron".into(), text: text.into() };
    compile(
        &source,
        &CompileSettings { sample_rate: RATE, max_block: MAX_BLOCK, polyphony: None, ..Default::default() },
    )
    .unwrap_or_else(|d| panic!("{d}"))
}

/// Resident set size in KiB, where the platform says (Linux); printed, not asserted.
fn rss_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

/// Block render times in a fixed log-spaced histogram (8 buckets per octave of nanoseconds, so about 9 %
/// resolution), so that measuring does not itself grow memory over an hour.
struct Histogram {
    counts: [u64; 256],
    max_ns: u64,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram { counts: [0; 256], max_ns: 0 }
    }
    fn add(&mut self, ns: u64) {
        let bucket = ((ns.max(1) as f64).log2() * 8.0) as usize;
        self.counts[bucket.min(255)] += 1;
        self.max_ns = self.max_ns.max(ns);
    }
    fn percentile_us(&self, p: f64) -> f64 {
        let total: u64 = self.counts.iter().sum();
        let want = (total as f64 * p).ceil() as u64;
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= want.max(1) {
                return 2f64.powf((bucket + 1) as f64 / 8.0).min(self.max_ns as f64) / 1000.0;
            }
        }
        0.0
    }
    fn summary(&self) -> String {
        format!(
            "p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
            self.percentile_us(0.5),
            self.percentile_us(0.99),
            self.percentile_us(0.999),
            self.max_ns as f64 / 1000.0
        )
    }
}

#[test]
fn a_long_session_with_notes_automation_and_reloads_stays_finite_silent_of_leaks_and_playable() {
    let seconds: f64 = std::env::var("FERRULE_SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10.0);
    let total_frames = (seconds * RATE as f64) as u64;

    let default = factory_patch("default.ron");
    let patches = [
        default.clone(),
        factory_patch("ref-voice.ron"),
        default.replace("\"cutoff\": 900.0", "\"cutoff\": 2400.0"),
        SINE.to_string(),
    ];
    let (mut engine, mut control) = Engine::new(compile_text(&patches[0]));
    let mut rng = Rng(0x005e_ed0f_f311_u64);
    let (mut left, mut right) = (vec![0.0f32; MAX_BLOCK], vec![0.0f32; MAX_BLOCK]);
    let mut events: Vec<Event> = Vec::with_capacity(8);
    let mut held: Vec<u8> = Vec::with_capacity(128);

    let (mut submitted, mut collected, mut most_in_flight) = (0usize, 0usize, 0usize);
    let (mut frames, mut next_reload, mut reloads) = (0u64, RELOAD_EVERY, 0usize);
    let (mut notes, mut peak_seen) = (0usize, 0.0f32);
    let tenth = total_frames / 10;
    let (mut first, mut last, mut blocks) = (Histogram::new(), Histogram::new(), 0usize);
    let mut rss_early = None;
    let started = Instant::now();

    while frames < total_frames {
        // Control side, between blocks: reload on schedule and drop what the engine retired.
        if frames as f64 / RATE as f64 >= next_reload {
            next_reload += RELOAD_EVERY;
            reloads += 1;
            let schedule = compile_text(&patches[reloads % patches.len()]);
            assert!(control.submit(schedule).is_ok(), "the engine takes every reload");
            submitted += 1;
        }
        collected += control.collect_retired();
        most_in_flight = most_in_flight.max(submitted - collected);

        // A host's block: random size, a few sorted events.
        let block = match rng.below(4) {
            0 => 1 + rng.below(16) as usize,
            1 => 1 + rng.below(MAX_BLOCK as u64) as usize,
            _ => [64, 128, 256, 512][rng.below(4) as usize],
        };
        events.clear();
        for _ in 0..rng.below(4) {
            let time = rng.below(block as u64) as u32;
            let kind = match rng.below(10) {
                0..=2 => {
                    let note = 36 + rng.below(60) as u8;
                    held.push(note);
                    notes += 1;
                    EventKind::NoteOn { note, velocity: 0.2 + 0.8 * rng.unit() }
                }
                3..=4 if !held.is_empty() => {
                    let i = rng.below(held.len() as u64) as usize;
                    EventKind::NoteOff { note: held.swap_remove(i) }
                }
                5 => EventKind::Macro { index: rng.below(4) as u8, value: rng.unit() },
                6 => EventKind::ControlChange { cc: 1, value: rng.unit() },
                7 => EventKind::PitchBend { value: rng.unit() * 2.0 - 1.0 },
                8 => EventKind::ChannelPressure { value: rng.unit() },
                _ if held.len() > 12 => {
                    held.clear();
                    EventKind::AllNotesOff
                }
                _ => EventKind::ControlChange { cc: 74, value: rng.unit() },
            };
            events.push(Event { time, kind });
        }
        events.sort_by_key(|e| e.time);

        let t = Instant::now();
        let ((), allocations) = count_allocations(|| engine.process(&events, &mut left[..block], &mut right[..block]));
        let ns = t.elapsed().as_nanos() as u64;
        if frames < tenth {
            first.add(ns);
        } else if frames >= total_frames - tenth {
            last.add(ns);
        }
        if rss_early.is_none() && frames >= tenth {
            rss_early = rss_kib();
        }
        blocks += 1;
        assert_eq!(allocations, 0, "process allocated at frame {frames}");
        for &x in left[..block].iter().chain(&right[..block]) {
            assert!(x.is_finite() && x.abs() <= 4.0, "sample {x} at frame {frames}");
            assert!(x == 0.0 || x.abs() >= f32::MIN_POSITIVE, "denormal {x} at frame {frames}");
            peak_seen = peak_seen.max(x.abs());
        }
        assert!(engine.runaway().is_none(), "runaway at frame {frames}: {:?}", engine.runaway());
        frames += block as u64;
    }
    let wall = started.elapsed().as_secs_f64();

    // Every old schedule comes back to be dropped: only the playing one (and a crossfade's old one) stay.
    for _ in 0..32 {
        engine.process(&[], &mut left[..256], &mut right[..256]);
        collected += control.collect_retired();
    }
    assert!(submitted - collected <= 1, "{} of {submitted} schedules never came back", submitted - collected);
    assert!(most_in_flight <= 2, "schedules in flight reached {most_in_flight}");

    // Still playable: a fresh chord is heard.
    let chord: Vec<Event> =
        [60, 64, 67].iter().map(|&note| Event { time: 0, kind: EventKind::NoteOn { note, velocity: 1.0 } }).collect();
    engine.process(&[Event { time: 0, kind: EventKind::AllNotesOff }], &mut left[..2048], &mut right[..2048]);
    engine.process(&chord, &mut left[..2048], &mut right[..2048]);
    engine.process(&[], &mut left[..2048], &mut right[..2048]);
    let peak = left[..2048].iter().fold(0.0f32, |p, x| p.max(x.abs()));
    assert!(peak > 0.01, "the instrument is silent after the session (peak {peak})");
    assert!(peak_seen > 0.01, "the session made sound");

    println!(
        "soak: {seconds} s of audio in {wall:.1} s ({:.0}x real time), {} blocks, {notes} notes, {reloads} reloads",
        seconds / wall,
        blocks
    );
    println!("soak: per-block time, first tenth: {}", first.summary());
    println!("soak: per-block time, last tenth:  {}", last.summary());
    println!(
        "soak: schedules in flight at most {most_in_flight}; RSS after the first tenth {rss_early:?} KiB, at the end {:?} KiB",
        rss_kib()
    );
}
