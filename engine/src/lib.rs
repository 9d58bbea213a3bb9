//! Ferrule engine.
