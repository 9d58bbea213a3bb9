//! Helpers shared by Ferrule's cross-crate tests: an allocation trap for the audio path, and measurements of
//! what a listener hears (pitch, level, clicks).

pub mod alloc_trap;
pub mod fuzz;
pub mod measure;
pub mod patch;
