//! Envelopes: per-voice contours started by note-on and ended by note-off.

pub mod adsr;
