//! Structured input for the patch language: the bytes are decisions for `ferrule_tests::patch_gen`, which
//! writes a patch exercising parameters at their limits, numeric extremes, sizes, duplicates, odd ids and
//! encodings; `ferrule_tests::patch_check` then checks every invariant (no panic, well-formed and
//! consistent diagnostics, invalid refused and valid compiled, finite bounded output without allocation,
//! bounded compile memory). Defects being fixed elsewhere (`KNOWN_ISSUES`) are not reported.
#![no_main]

use libfuzzer_sys::fuzz_target;

ferrule_tests::install_alloc_trap!();

fuzz_target!(|data: &[u8]| {
    let patch = ferrule_tests::patch_gen::generate(data);
    ferrule_tests::patch_check::assert_invariants(&patch);
});
