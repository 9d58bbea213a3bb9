//! Arbitrary bytes as a host's event stream and block sizes, played through the default patch: output
//! finite and within ±4, no allocation in `process`, and a clean note afterwards is heard.
#![no_main]

use libfuzzer_sys::fuzz_target;

ferrule_tests::install_alloc_trap!();

fuzz_target!(|data: &[u8]| {
    let mut engine = ferrule_tests::fuzz::event_engine();
    ferrule_tests::fuzz::play_event_bytes(&mut engine, data);
});
