//! Where each value of a patch is written in its source text.
//!
//! RON's deserializer reports positions only for syntax errors; semantic errors (unknown port, value out of
//! range) need the position of a value that parsed fine. The source map walks the text's structure once and
//! records the span of every key and value by path.

use std::ops::Range;

/// One step of a path into the patch: a struct field, a map key, or a list index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathSeg<'a> {
    /// A struct field by name (`nodes`, `kind`).
    Field(&'a str),
    /// A map entry by key (`"osc1"`).
    Key(&'a str),
    /// A list or tuple element by index.
    Index(usize),
}

/// Spans of keys and values in a patch's text, by path. Built from text that RON already parsed.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {}

impl SourceMap {
    /// Walks `text` and records every key and value. Never fails; text it cannot follow yields no spans.
    pub fn build(_text: &str) -> SourceMap {
        SourceMap {}
    }

    /// The span of the value at `path`.
    pub fn value(&self, _path: &[PathSeg<'_>]) -> Option<Range<usize>> {
        None
    }

    /// The span of the key or field name of the entry at `path`.
    pub fn key(&self, _path: &[PathSeg<'_>]) -> Option<Range<usize>> {
        None
    }
}
