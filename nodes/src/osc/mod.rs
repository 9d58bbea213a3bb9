//! Oscillators: sound sources that follow the voice's pitch.

pub mod pulse;
pub mod saw;
pub mod sine;
