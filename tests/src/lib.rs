//! Helpers shared by Ferrule's cross-crate tests: an allocation trap and a page-fault counter for the audio
//! path, and measurements of what a listener hears (pitch, level, clicks); a generator of adversarial
//! patch text and the invariants every patch must keep.

pub mod alloc_trap;
pub mod fuzz;
pub mod measure;
pub mod page_faults;
pub mod patch;
pub mod patch_check;
pub mod patch_gen;
