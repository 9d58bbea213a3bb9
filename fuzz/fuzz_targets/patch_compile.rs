//! Arbitrary bytes as a patch file: parse, validate, order and lower must refuse with a reason or compile,
//! never panic, overflow the stack or run unbounded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ferrule_tests::fuzz::compile_patch_bytes(data));
