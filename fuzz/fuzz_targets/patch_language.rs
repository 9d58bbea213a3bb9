//! Structured input for the patch language: the bytes are decisions for `ferrule_tests::patch_gen`, which
//! writes a patch exercising parameters at their limits, numeric extremes, sizes, duplicates, odd ids and
//! encodings; `ferrule_tests::patch_check` then checks every invariant (no panic, well-formed and
//! consistent diagnostics, invalid refused and valid compiled, finite bounded output without allocation,
//! bounded compile memory). Defects being fixed elsewhere (`KNOWN_ISSUES`, `FOUND_ISSUES`) are not
//! reported.
#![no_main]

use libfuzzer_sys::fuzz_target;

ferrule_tests::install_alloc_trap!();

fuzz_target!(|data: &[u8]| {
    // libFuzzer's panic hook aborts at any panic, even one the checker catches and reports as a finding (a
    // known one is tolerated). Back to the default hook: a panic the checker does not catch still ends in
    // libfuzzer-sys's own `catch_unwind`, which aborts, so a new failure is still a crash.
    static DEFAULT_HOOK: std::sync::Once = std::sync::Once::new();
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
    let patch = ferrule_tests::patch_gen::generate(data);
    ferrule_tests::patch_check::assert_invariants(&patch);
});
