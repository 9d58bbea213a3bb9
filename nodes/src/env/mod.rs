//! Envelopes: per-voice contours started by note-on and ended by note-off. Every kind runs the one stage
//! machine in `contour.rs`.

pub mod ad;
pub mod adsr;
pub mod ar;
pub(crate) mod contour;
pub mod dahdsr;
