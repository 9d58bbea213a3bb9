//! Filters: nodes that shape the spectrum of their input.

pub mod ladder;
pub mod svf;
