//! Arbitrary bytes as a saved plugin state: decode must refuse with a reason or accept, and an accepted
//! state's embedded patch then goes through the compiler as `PluginCore::load_state` sends it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = ferrule_plugin::core::state::decode(data) {
        ferrule_tests::fuzz::compile_patch_bytes(state.patch_source.as_bytes());
    }
});
