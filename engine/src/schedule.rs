//! A compiled patch: flat, preallocated, ready for the audio thread.

/// A compiled patch. Built by [`crate::compile()`] on any thread, handed to the engine, played on the audio
/// thread, and dropped back on a non-audio thread.
pub struct Schedule {}
