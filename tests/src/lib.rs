//! Helpers shared by Ferrule's cross-crate tests: an allocation trap and a page-fault counter for the audio
//! path, and measurements of what a listener hears (pitch, level, clicks).

pub mod alloc_trap;
pub mod fuzz;
pub mod measure;
pub mod page_faults;
pub mod patch;
