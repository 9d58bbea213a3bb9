//! The resource budget: a patch that would take too much memory or CPU is refused before it is built, with
//! an error a sound designer can act on; delay lines are as long as the times a patch can reach, no
//! longer and no shorter; and what a schedule holds is what the compiler counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ferrule_engine::compile::Budget;
use ferrule_engine::events::EventKind;
use ferrule_engine::render::{RenderSettings, TimedEvent, render};
use ferrule_engine::{CompileSettings, PatchSource, Schedule, compile};

/// Counts the bytes the current thread has live (allocated and not yet freed) and the most it had.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn add(bytes: isize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + bytes);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

// SAFETY: forwards every call to the system allocator unchanged; only counts on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: `layout` has a non-zero size (GlobalAlloc's contract for our caller), which is all
        // `System.alloc` requires; the pointer goes back to the caller unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: every allocation of this allocator comes from `System` (alloc and realloc above), so `ptr`
        // was allocated by `System` with this `layout`, as `System.dealloc` requires.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation here is `System`'s), and
        // `new_size` is non-zero and fits `isize` once rounded to the alignment (the caller's contract).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`, returning its result, the bytes it left live, and the most it had live at once (this thread).
fn measured<R>(f: impl FnOnce() -> R) -> (R, isize, isize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let result = f();
    (result, LIVE.with(Cell::get) - start, PEAK.with(Cell::get) - start)
}

const MIB: usize = 1 << 20;

fn source(text: String) -> PatchSource {
    PatchSource { path: "p.ron".into(), text }
}

/// A quiet voice (a sine through an envelope) and `count` effects of `effect` (RON after `kind`), `e0` first.
fn with_effects(effect: &str, count: usize) -> String {
    let effects: String = (0..count).map(|i| format!("        \"e{i}\": (kind: {effect}),\n")).collect();
    format!(
        "(\n    version: 1,\n    nodes: {{\n        \"osc\": (kind: \"sine\"),\n        \"env\": (kind: \"adsr\"),\n        \
         \"amp\": (kind: \"vca\"),\n    }},\n    connections: [(\"osc\", \"amp.in\"), (\"env\", \"amp.cv\")],\n    \
         output: Mono(\"amp.out\"),\n    effects: {{\n{effects}    }},\n)\n"
    )
}

/// The first line of each error, as `ferrule check` prints it, and its help.
fn errors(text: String, settings: &CompileSettings) -> Vec<(String, String)> {
    match compile(&source(text), settings) {
        Ok(_) => panic!("compiled"),
        Err(d) => d
            .located()
            .map(|(at, item)| {
                (
                    format!("p.ron:{}:{}: error: {}", at.line, at.col, item.message),
                    item.help.clone().unwrap_or_default(),
                )
            })
            .collect(),
    }
}

#[test]
fn four_thousand_delays_are_refused_before_any_delay_line_is_built() {
    let text = with_effects("\"delay\"", 4000);
    let ((), _, peak) = measured(|| {
        let errors = errors(text.clone(), &CompileSettings::default());
        assert_eq!(
            errors[0].0,
            "p.ron:11:9: error: `e0` needs 256.5 KiB of memory; this patch needs 1003.8 MiB in all, the limit is \
             256.0 MiB"
        );
        assert!(
            errors[0].1.starts_with(
                "the most: `e0` (delay) 256.5 KiB, `e1` (delay) 256.5 KiB, `e2` (delay) 256.5 KiB; 4000 `delay` \
                 nodes take 1001.8 MiB in all; shorten delay times"
            ),
            "{}",
            errors[0].1
        );
    });
    // Parsing and checking a 140 KB file, not a gigabyte of delay lines (which is what it used to allocate).
    assert!(peak < 32 * MIB as isize, "peak {} MiB", peak / MIB as isize);
}

#[test]
fn four_thousand_reverbs_are_refused_for_their_cpu_and_memory() {
    let errors = errors(with_effects("\"reverb\"", 4000), &CompileSettings::default());
    let cpu = errors.iter().find(|e| e.0.contains("of one core")).expect("a CPU error");
    assert!(
        cpu.0.starts_with("p.ron:11:9: error: this patch would take about ")
            && cpu.0.ends_with(" of one core at 48000 Hz with all 8 voices playing; the limit is 400 %"),
        "{}",
        cpu.0
    );
    assert!(cpu.1.contains("4000 `reverb` nodes take"), "{}", cpu.1);
    assert!(errors.iter().any(|e| e.0.contains("1.5 GiB in all")), "{errors:?}");
}

#[test]
fn a_raised_budget_lets_a_big_patch_compile_and_a_lowered_one_refuses_a_small_one() {
    let generous = CompileSettings { budget: Budget { memory: 2048 * MIB, load: 50.0 }, ..Default::default() };
    let schedule = compile(&source(with_effects("\"delay\"", 4000)), &generous).expect("within a raised budget");
    assert!((1000 * MIB..1010 * MIB).contains(&schedule.memory_bytes()), "{}", schedule.memory_bytes());
    let stingy = CompileSettings { budget: Budget { memory: MIB / 4, load: 2.0 }, ..Default::default() };
    assert!(errors(with_effects("\"delay\"", 1), &stingy)[0].0.contains("the limit is 256.0 KiB"));
}

#[test]
fn what_a_schedule_holds_is_what_the_compiler_counted() {
    let factory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../patches");
    for entry in std::fs::read_dir(factory).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "ron") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for rate in [44_100.0, 192_000.0] {
            let settings = CompileSettings { sample_rate: rate, ..Default::default() };
            let (schedule, kept, _) = measured(|| compile(&source(text.clone()), &settings).unwrap());
            let counted = schedule.memory_bytes() as f64;
            // The schedule's own fields and node ids are not counted: a few KiB at most.
            let held = kept as f64;
            assert!(
                held >= counted * 0.97 && held <= counted * 1.03 + 16_384.0,
                "{}: holds {held} bytes, counted {counted}",
                path.display()
            );
        }
    }
}

/// Renders a 2.5 s echo patch: one short blip at 0 s through a delay heard wet only. Returns the time in
/// seconds of the first echo (the first sample above −40 dBFS after 10 ms).
fn echo_at(schedule: Schedule) -> f64 {
    let note = TimedEvent { seconds: 0.0, kind: EventKind::NoteOn { note: 69, velocity: 1.0 } };
    let off = TimedEvent { seconds: 0.005, kind: EventKind::NoteOff { note: 69 } };
    let out = render(schedule, &[note, off], &RenderSettings { block: 64, seconds: 3.5 });
    let first = out.left.iter().skip(480).position(|x| x.abs() > 0.01).expect("an echo");
    (first + 480) as f64 / 48_000.0
}

const ECHO: &str = r#"(
    version: 1,
    nodes: {
        "osc": (kind: "sine"),
        "env": (kind: "ad", params: { "attack": 0.0, "decay": 0.002 }),
        "amp": (kind: "vca"),
    },
    connections: [("osc", "amp.in"), ("env", "amp.cv")],
    output: Mono("amp.out"),
    effects: {
        "echo": (kind: "delay", params: { "time": 0.1, "feedback": 0.0, "mix": 1.0 }),
    },
    EXTRA
)"#;

#[test]
fn a_delay_reaches_the_times_its_macro_and_host_parameter_can_ask_for() {
    // The file's own time: 100 ms.
    let plain = compile(&source(ECHO.replace("EXTRA", "")), &CompileSettings::default()).unwrap();
    let plain_bytes = plain.memory_bytes();
    assert!((echo_at(plain) - 0.1).abs() < 0.002);

    // A macro at its default (the top of its range) moves the time up 4.32 octaves: 0.1 s × 2^4.32 ≈ 2.0 s.
    let with_macro = ECHO.replace(
        "EXTRA",
        r#"macros: [(name: "Far", min: 0.0, max: 1.0, default: 1.0, targets: [(to: "echo.time", depth: 4.3219)])],"#,
    );
    let schedule = compile(&source(with_macro), &CompileSettings::default()).unwrap();
    // Two lines of 131,072 samples (2 s at 48 kHz rounded up to a power of two) instead of 8,192.
    // (and a route: a few bytes more).
    let grown = schedule.memory_bytes() - plain_bytes;
    assert!((2 * (131_072 - 8_192) * 4..2 * (131_072 - 8_192) * 4 + 64).contains(&grown), "{grown} bytes more");
    let at = echo_at(schedule);
    assert!((at - 2.0).abs() < 0.005, "echo at {at} s");

    // A host parameter whose range reaches 3 s, started at the top of it.
    let with_param = ECHO.replace("EXTRA", r#"params: [(name: "Time", to: "echo.time", min: 0.05, max: 3.0)],"#);
    let mut schedule = compile(&source(with_param), &CompileSettings::default()).unwrap();
    schedule.start_exposed_at(&[1.0]);
    let at = echo_at(schedule);
    assert!((at - 3.0).abs() < 0.005, "echo at {at} s");
}
