//! Oscillators: sound sources that follow the voice's pitch.

pub mod sine;
