//! Utilities: amplifiers, mixers and other small building blocks.

pub mod mixer;
pub mod vca;
