//! The invariants every patch text must keep, whatever it says: checked on each patch
//! [`crate::patch_gen`] writes, by the property test, the corpus replay and the cargo-fuzz target.
//!
//! For every text: [`compile()`] at 44.1 kHz with 1-frame blocks and at 192 kHz with 4096-frame blocks,
//! [`warnings`] and [`graph_dot`] never panic. A refusal has at least one diagnostic, each placed at a
//! line and column inside the file, rendered without raw control characters, without lines longer than
//! [`MAX_LINE_CHARS`] or numbers written with absurdly many digits, and without contradicting itself (a
//! value reported out of a range must lie outside it as printed). A compiled schedule plays notes,
//! controllers, macros and exposed parameters with finite output within ±4 and without allocating. A
//! compile holds at most [`COMPILE_MEMORY_LIMIT`] bytes at once. A patch the generator knows is invalid
//! is refused; one it knows is valid compiles.
//!
//! Findings explained by a defect someone is fixing now are listed in [`KNOWN_ISSUES`], those this corpus
//! found and nobody fixes yet in [`FOUND_ISSUES`]; the generated tests tolerate both, and
//! `tests/tests/patch_language.rs` keeps one ignored test per issue that fails until the fix lands.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ferrule_engine::compile::Budget;
use ferrule_engine::{
    CompileSettings, Diagnostics, Engine, Event, EventKind, Expression, PatchSource, Schedule, compile, graph_dot,
    warnings,
};

use crate::alloc_trap::{count_allocations, peak_bytes};
use crate::patch_gen::{Expect, Generated};

/// The most bytes one compile may hold at once (its schedule included): the default resource budget
/// (256 MiB of schedule) plus 64 MiB for parsing and checking a file of at most 4 MiB.
pub const COMPILE_MEMORY_LIMIT: usize = ferrule_engine::compile::budget::DEFAULT_MEMORY + (64 << 20);

/// Longest line of a rendered diagnostic, in characters (message, snippet and hint lines alike).
pub const MAX_LINE_CHARS: usize = 400;

/// Most digits in one number in a diagnostic: 1e308 written out in full has 309.
pub const MAX_NUMBER_DIGITS: usize = 24;

/// The compile settings every patch is compiled at: the smallest block at a common rate, and the largest
/// block at the highest common rate.
pub const SETTINGS: [CompileSettings; 2] = [
    CompileSettings { sample_rate: 44_100.0, max_block: 1, polyphony: None, budget: Budget::DEFAULT },
    CompileSettings { sample_rate: 192_000.0, max_block: 4096, polyphony: None, budget: Budget::DEFAULT },
];

/// Which invariant a finding breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invariant {
    /// `compile`, `warnings`, `graph_dot` or rendering a diagnostic panicked.
    Panic,
    /// A refusal without any diagnostic.
    NoDiagnostic,
    /// A diagnostic without a place, or placed outside the file or inside a character.
    Placement,
    /// A raw control character in a rendered diagnostic.
    ControlCharacter,
    /// A rendered line longer than [`MAX_LINE_CHARS`].
    LongLine,
    /// A number with more than [`MAX_NUMBER_DIGITS`] digits in a diagnostic.
    LongNumber,
    /// A value reported out of a range it lies inside, as printed.
    Contradiction,
    /// A patch the generator knows is invalid compiled.
    AcceptedInvalid,
    /// A patch the generator knows is valid was refused.
    RefusedValid,
    /// Output not finite or beyond ±4.
    Output,
    /// `Engine::process` allocated or freed memory.
    AudioAllocation,
    /// A compile held more than [`COMPILE_MEMORY_LIMIT`].
    CompileMemory,
    /// A whole file written for another language version was refused without saying so.
    VersionNotReported,
}

/// One broken invariant, with what was seen.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Which invariant.
    pub invariant: Invariant,
    /// What happened (a message, a value, a size).
    pub detail: String,
}

fn finding(invariant: Invariant, detail: impl Into<String>) -> Finding {
    Finding { invariant, detail: detail.into() }
}

/// A defect that someone is fixing now, and how to recognise a finding it causes.
pub struct KnownIssue {
    /// The defect, as the issue names it.
    pub what: &'static str,
    /// Whether it explains `finding` on patch `patch`.
    pub explains: fn(&Finding, &Generated) -> bool,
}

/// Defects someone is fixing now, each with an ignored test in `tests/tests/patch_language.rs`; remove an
/// entry when its fix lands, and un-ignore its test. Empty: every issue-14 defect the corpus confirmed is
/// fixed.
pub const KNOWN_ISSUES: &[KnownIssue] = &[];

/// Defects this corpus found that nobody is fixing yet, each with an ignored test in
/// `tests/tests/patch_language.rs`; remove an entry when its fix lands, and un-ignore its test. Empty: the
/// four it found (a panic past column 65,535, an unbounded flood of errors, a loop named node by node, a
/// version out of any range) are fixed.
pub const FOUND_ISSUES: &[KnownIssue] = &[];

/// The known issue that explains `finding`, if any.
pub fn known_issue(finding: &Finding, patch: &Generated) -> Option<&'static str> {
    KNOWN_ISSUES.iter().chain(FOUND_ISSUES).find(|k| (k.explains)(finding, patch)).map(|k| k.what)
}

/// Checks every invariant on `patch` and returns what breaks (empty when all hold). Only meaningful in a
/// binary that installed the allocation trap ([`crate::install_alloc_trap!`]).
pub fn check(patch: &Generated) -> Vec<Finding> {
    let source = PatchSource { path: "generated.ron".into(), text: patch.text.clone() };
    let mut out = Vec::new();
    let mut compiled = Vec::new();
    // The same refusal comes from both compiles, `warnings` and `graph_dot`: each distinct one is checked
    // once (rendering thousands of diagnostics takes seconds, see `FOUND_ISSUES`).
    let mut checked: Vec<Vec<ferrule_engine::Diagnostic>> = Vec::new();
    let mut check_once = |d: &Diagnostics, out: &mut Vec<Finding>| {
        if !checked.contains(&d.items) {
            check_diagnostics(d, out);
            checked.push(d.items.clone());
        }
    };
    for settings in SETTINGS {
        let (result, peak) = peak_bytes(|| catch_unwind(AssertUnwindSafe(|| compile(&source, &settings))));
        let at = format!("{} Hz, {}-frame blocks", settings.sample_rate, settings.max_block);
        if peak > COMPILE_MEMORY_LIMIT {
            out.push(finding(Invariant::CompileMemory, format!("compiling at {at} held {} MiB", peak >> 20)));
        }
        match result {
            Err(panic) => out.push(finding(Invariant::Panic, format!("compile at {at}: {}", panic_text(&panic)))),
            Ok(Ok(schedule)) => compiled.push((settings, schedule)),
            Ok(Err(d)) => {
                check_once(&d, &mut out);
                if let Some(version) = foreign_version(patch)
                    && !d.items.iter().any(|i| i.message.contains("version"))
                {
                    let first = d.items.first().map_or(String::new(), |i| i.message.clone());
                    out.push(finding(
                        Invariant::VersionNotReported,
                        format!("version {version} refused with: {}", clip(&first)),
                    ));
                }
                // The resource budget depends on the rate, the polyphony and every node's cost together, which
                // the generator does not model: a refusal by the budget alone is never a wrong refusal here
                // (the budget's own tests are `engine/tests/budget.rs`).
                let budget_only = !d.items.is_empty() && d.items.iter().all(|i| is_budget_refusal(&i.message));
                if patch.expect == Expect::Compile && !budget_only {
                    let first = d.items.first().map_or(String::new(), |i| i.message.clone());
                    out.push(finding(Invariant::RefusedValid, format!("at {at}: {}", clip(&first))));
                }
            }
        }
    }
    if let Expect::Refuse(why) = &patch.expect
        && !compiled.is_empty()
    {
        out.push(finding(Invariant::AcceptedInvalid, format!("compiled although it has {why}")));
    }
    match catch_unwind(AssertUnwindSafe(|| warnings(&source))) {
        Err(panic) => out.push(finding(Invariant::Panic, format!("warnings: {}", panic_text(&panic)))),
        Ok(Ok(w)) => check_diagnostics_placed(&w, &mut out),
        Ok(Err(d)) => check_once(&d, &mut out),
    }
    match catch_unwind(AssertUnwindSafe(|| graph_dot(&source))) {
        Err(panic) => out.push(finding(Invariant::Panic, format!("graph_dot: {}", panic_text(&panic)))),
        Ok(Err(d)) => check_once(&d, &mut out),
        Ok(Ok(_)) => {}
    }
    // Big patches play fewer frames, so a case stays quick; the others a block of the largest size.
    let heavy = patch.text.len() > 20_000;
    for (settings, schedule) in compiled {
        let frames = if heavy { 64 } else { settings.max_block.max(2048) };
        play(schedule, settings.max_block, frames, &mut out);
    }
    out
}

/// Whether `message` is the resource budget's refusal (too much memory, or too much estimated CPU).
fn is_budget_refusal(message: &str) -> bool {
    message.contains(" of memory; this patch needs ") || message.contains(" of one core at ")
}

/// The version a whole (uncut) generated file says it is written in, when that is a whole number other
/// than the one this build reads: the first thing its refusal must say.
fn foreign_version(patch: &Generated) -> Option<i128> {
    if patch.about.iter().any(|a| a.starts_with("cut after")) {
        return None;
    }
    let at = patch.text.find("version:")?;
    let value = patch.text[at + "version:".len()..].trim_start();
    let sign = usize::from(value.starts_with('-'));
    let digits = value[sign..].chars().take_while(|c| c.is_ascii_digit()).count();
    let rest = &value[sign + digits..];
    let version: i128 = value[..sign + digits].parse().ok()?;
    (version != i128::from(ferrule_engine::patch::model::PATCH_VERSION) && !rest.starts_with(['.', 'e', 'E']))
        .then_some(version)
}

/// The findings of [`check`] that no [`KNOWN_ISSUES`] or [`FOUND_ISSUES`] entry explains.
pub fn unexplained(patch: &Generated) -> Vec<Finding> {
    check(patch).into_iter().filter(|f| known_issue(f, patch).is_none()).collect()
}

/// Panics, showing the patch and what broke, when [`check`] finds anything no known issue explains.
pub fn assert_invariants(patch: &Generated) {
    let findings = unexplained(patch);
    if !findings.is_empty() {
        panic!("{}", report(patch, &findings));
    }
}

/// A readable account of `findings` on `patch`: what it exercises, what broke, and its text (clipped).
pub fn report(patch: &Generated, findings: &[Finding]) -> String {
    let mut s = format!("patch exercising {} (expect {:?}):\n", patch.about.join(", "), patch.expect);
    for f in findings {
        s.push_str(&format!("  {:?}: {}\n", f.invariant, f.detail));
    }
    let shown: String = patch.text.chars().take(3000).collect();
    s.push_str(&format!("--- text ({} bytes) ---\n{}\n", patch.text.len(), shown.escape_debug()));
    s
}

/// At most 300 characters of `s`, control characters escaped: for messages quoted in a finding.
fn clip(s: &str) -> String {
    let escaped: String = s.chars().flat_map(char::escape_debug).collect();
    if escaped.chars().count() > 300 {
        format!("{}…", escaped.chars().take(300).collect::<String>())
    } else {
        escaped
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// The invariants of a refusal: at least one diagnostic, and each one well formed.
fn check_diagnostics(d: &Diagnostics, out: &mut Vec<Finding>) {
    if d.items.is_empty() {
        out.push(finding(Invariant::NoDiagnostic, "refused without a diagnostic"));
    }
    check_diagnostics_placed(d, out);
}

/// Each diagnostic placed inside the file, rendered without control characters or overlong lines or
/// numbers, and not contradicting itself.
fn check_diagnostics_placed(d: &Diagnostics, out: &mut Vec<Finding>) {
    let text = &d.source;
    let lines = text.split('\n').count();
    for item in &d.items {
        match &item.span {
            None => out.push(finding(Invariant::Placement, format!("no place: {}", clip(&item.message)))),
            Some(span) => {
                let inside = span.start <= span.end && span.end <= text.len() && text.is_char_boundary(span.start);
                let at = d.line_col(span.start);
                if !inside || at.line > lines {
                    out.push(finding(
                        Invariant::Placement,
                        format!(
                            "span {span:?} ({}:{}) in a {}-byte file: {}",
                            at.line,
                            at.col,
                            text.len(),
                            clip(&item.message)
                        ),
                    ));
                }
            }
        }
        for said in std::iter::once(&item.message).chain(&item.help) {
            if let Some(contradiction) = contradiction(said) {
                out.push(finding(Invariant::Contradiction, format!("{contradiction}: {}", clip(said))));
            }
        }
    }
    let rendered = match catch_unwind(AssertUnwindSafe(|| d.render(false))) {
        Ok(rendered) => rendered,
        Err(panic) => {
            out.push(finding(Invariant::Panic, format!("Diagnostics::render: {}", panic_text(&panic))));
            return;
        }
    };
    for line in rendered.lines() {
        if let Some(c) = line.chars().find(|c| c.is_control()) {
            out.push(finding(Invariant::ControlCharacter, format!("{c:?} in {}", clip(line))));
            break;
        }
    }
    if let Some(line) = rendered.lines().find(|l| l.chars().count() > MAX_LINE_CHARS) {
        out.push(finding(Invariant::LongLine, format!("{} characters: {}", line.chars().count(), clip(line))));
    }
    // Numbers the compiler writes (the snippet shows the file's own text, however its author wrote it).
    for item in &d.items {
        let said = format!("{} {}", item.message, item.help.as_deref().unwrap_or(""));
        if let Some(digits) = longest_digit_run(&said).filter(|&n| n > MAX_NUMBER_DIGITS) {
            out.push(finding(Invariant::LongNumber, format!("a number with {digits} digits: {}", clip(&said))));
        }
    }
}

/// The longest run of ASCII digits (with `.` between them) in `s`.
fn longest_digit_run(s: &str) -> Option<usize> {
    let mut best = 0;
    let mut run = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            run += 1;
            best = best.max(run);
        } else if c != '.' {
            run = 0;
        }
    }
    (best > 0).then_some(best)
}

/// The first number at the start of `s` (after spaces), as printed: `-1e-45`, `0.001`, `NaN`, `inf`.
fn leading_number(s: &str) -> Option<f64> {
    let s = s.trim_start();
    let end = s
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == 'e'
                || c == 'E'
                || (c == '-' && (i == 0 || s[..i].ends_with(['e', 'E']))))
        })
        .map_or(s.len(), |(i, _)| i);
    let word = &s[..end];
    if word.is_empty() {
        for special in ["NaN", "inf", "-inf"] {
            if s.starts_with(special) {
                return special.parse().ok();
            }
        }
        return None;
    }
    word.parse().ok()
}

/// A range `A to B` at the start of `s`.
fn leading_range(s: &str) -> Option<(f64, f64)> {
    let a = leading_number(s)?;
    let rest = s.trim_start();
    let after = rest.find(" to ")?;
    let b = leading_number(&rest[after + 4..])?;
    Some((a, b))
}

/// Describes the contradiction if `message` reports a value out of a range it lies in, as printed. Knows
/// the validator's shapes: "`n.p` = X unit is out of range (A to B unit)", "… must be A to B … (got X)",
/// "…: min X unit is outside `n.p`'s range (A to B unit)", "default X is outside A to B".
fn contradiction(message: &str) -> Option<String> {
    let inside = |v: f64, (a, b): (f64, f64)| v.is_finite() && a <= v && v <= b;
    let mut cases: Vec<(f64, (f64, f64))> = Vec::new();
    if let Some(at) = message.rfind(" is out of range (") {
        let value = message[..at].rfind(" = ").and_then(|eq| leading_number(&message[..at][eq + 3..]));
        let range = leading_range(&message[at + " is out of range (".len()..]);
        cases.extend(value.zip(range));
    }
    if let (Some(must), Some(got)) = (message.find(" must be "), message.rfind("(got ")) {
        let range = leading_range(&message[must + " must be ".len()..]);
        cases.extend(leading_number(&message[got + 5..]).zip(range));
    }
    if let Some(at) = message.find("'s range (") {
        for field in [": min ", ": max "] {
            if let Some(f) = message[..at].rfind(field) {
                let value = leading_number(&message[f + field.len()..]);
                cases.extend(value.zip(leading_range(&message[at + "'s range (".len()..])));
            }
        }
    }
    if let (Some(d), Some(o)) = (message.find(": default "), message.find(" is outside ")) {
        let value = leading_number(&message[d + ": default ".len()..]);
        cases.extend(value.zip(leading_range(&message[o + " is outside ".len()..])));
    }
    cases
        .into_iter()
        .find(|&(v, range)| inside(v, range))
        .map(|(v, (a, b))| format!("{v} is reported outside {a} to {b}"))
}

/// Plays `schedule` for at least two blocks and about `frames` frames, in blocks of `block` frames (at most
/// 4096 and at most `frames`, so big patches play short blocks): notes, a chord past the polyphony, bend, controllers, pressure, expressions, every macro
/// and exposed parameter at both ends, notes released and retriggered.
fn play(schedule: Schedule, block: usize, frames: usize, out: &mut Vec<Finding>) {
    let (mut engine, _control) = Engine::new(schedule);
    let block = block.clamp(1, 4096).min(frames.max(1));
    let blocks = frames.div_ceil(block).max(2);
    let last = (block - 1) as u32;
    let at = |time: u32, kind: EventKind| Event { time: time.min(last), kind };
    let mut start: Vec<Event> = (0..12).map(|i| at(0, EventKind::NoteOn { note: 36 + i * 7, velocity: 1.0 })).collect();
    start.extend([
        at(1, EventKind::PitchBend { value: 1.0 }),
        at(2, EventKind::ControlChange { cc: 1, value: 1.0 }),
        at(2, EventKind::ControlChange { cc: 74, value: 1.0 }),
        at(3, EventKind::ChannelPressure { value: 1.0 }),
        at(3, EventKind::PolyPressure { note: 36, value: 1.0 }),
        at(4, EventKind::NoteExpression { note: 43, expression: Expression::Tuning, value: 24.0 }),
        at(4, EventKind::NoteExpression { note: 50, expression: Expression::Brightness, value: 1.0 }),
    ]);
    start.extend((0..8).map(|i| at(5, EventKind::Macro { index: i, value: 1.0 })));
    start.extend((0..16).map(|i| at(6, EventKind::Param { index: i, position: 1.0 })));
    let mut middle: Vec<Event> = (0..12).map(|i| at(0, EventKind::NoteOff { note: 36 + i * 7 })).collect();
    middle.extend([
        at(1, EventKind::PitchBend { value: -1.0 }),
        at(2, EventKind::NoteOn { note: 127, velocity: 0.01 }),
        at(2, EventKind::NoteOn { note: 0, velocity: 1.0 }),
    ]);
    middle.extend((0..8).map(|i| at(3, EventKind::Macro { index: i, value: 0.0 })));
    middle.extend((0..16).map(|i| at(3, EventKind::Param { index: i, position: 0.0 })));
    let (mut left, mut right) = (vec![0.0f32; block], vec![0.0f32; block]);
    for b in 0..blocks {
        let events: &[Event] = if b == 0 {
            &start
        } else if b == blocks / 2 {
            &middle
        } else {
            &[]
        };
        let ((), allocations) = count_allocations(|| engine.process(events, &mut left, &mut right));
        if allocations > 0 {
            out.push(finding(
                Invariant::AudioAllocation,
                format!("block {b} of {block} frames: {allocations} allocations"),
            ));
            return;
        }
        if let Some(x) = left.iter().chain(&right).find(|x| !x.is_finite() || x.abs() > 4.0) {
            out.push(finding(Invariant::Output, format!("{x} in block {b} of {block} frames")));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::contradiction;

    #[test]
    fn contradictions_are_recognised_in_every_message_shape() {
        assert!(contradiction("`d.time` = 0.001 s is out of range (0.001 to 4 s)").is_some());
        assert!(contradiction("`d.time` = 0.0009 s is out of range (0.001 to 4 s)").is_none());
        assert!(contradiction("`d.time` = NaN s is out of range (0.001 to 4 s)").is_none());
        assert!(contradiction("polyphony must be 1 to 128 (got 8)").is_some());
        assert!(contradiction("polyphony must be 1 to 128 (got 129)").is_none());
        assert!(contradiction("glide must be 0 to 10 seconds (got -1)").is_none());
        assert!(contradiction("exposed `C`: min 100 Hz is outside `f.cutoff`'s range (20 to 20000 Hz)").is_some());
        assert!(contradiction("exposed `C`: max 1e-45 Hz is outside `f.cutoff`'s range (20 to 20000 Hz)").is_none());
        assert!(contradiction("macro `M`: default 0.5 is outside 0 to 1").is_some());
        assert!(contradiction("macro `M`: default 2 is outside 0 to 1").is_none());
    }
}
