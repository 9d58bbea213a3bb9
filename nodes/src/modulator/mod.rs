//! Modulators: slow control signals for routing to parameters.

pub mod lfo;
