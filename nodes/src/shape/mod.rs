//! Shaping: nonlinear processors that change a signal's timbre (saturation, folding, bit reduction).

pub mod bitcrush;
pub mod saturator;
