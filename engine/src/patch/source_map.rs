//! Where each value of a patch is written in its source text.
//!
//! RON's deserializer reports positions only for syntax errors; semantic errors (unknown port, value out of
//! range) need the position of a value that parsed fine. The source map walks the text's structure once
//! with a small scanner of RON's grammar (comments, strings, raw strings, numbers, identifiers, structs,
//! tuples, enum variants, maps and lists) and records the span of every key and value as a tree: one entry
//! per value, and one hash-table slot per (parent, field name / map key / index) edge, the names borrowed
//! from the text. Written by hand because no RON crate exposes value positions.
//!
//! Built for every compile, so it is kept cheap: no allocation per value (a path is never stored, only the
//! edge to the parent), Fx hashing (the keys come from the patch being compiled, so hash flooding could only
//! slow its own author's compile), and the line table is built only when a diagnostic asks for a line.

use std::cell::OnceCell;
use std::ops::Range;

use rustc_hash::FxHashMap;

/// One step of a path into the patch: a struct field, a map key, or a list or tuple index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathSeg<'a> {
    /// A struct field by name (`nodes`, `kind`).
    Field(&'a str),
    /// A map entry by key (the text of a string key, without quotes).
    Key(&'a str),
    /// A list or tuple element (or enum-variant argument) by index.
    Index(usize),
}

/// An edge from a value to one inside it, names as bytes of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Seg<'t> {
    Field(&'t [u8]),
    Key(&'t [u8]),
    Index(usize),
}

impl<'t> From<&PathSeg<'t>> for Seg<'t> {
    fn from(seg: &PathSeg<'t>) -> Seg<'t> {
        match *seg {
            PathSeg::Field(f) => Seg::Field(f.as_bytes()),
            PathSeg::Key(k) => Seg::Key(k.as_bytes()),
            PathSeg::Index(i) => Seg::Index(i),
        }
    }
}

/// A map key written twice: its text, where it first appears and where it repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key's text.
    pub key: String,
    /// The first occurrence's span.
    pub first: Range<usize>,
    /// The repeat's span.
    pub repeat: Range<usize>,
}

/// One recorded value: its span and, for a struct field or map entry, the span of its name or key.
#[derive(Clone, Debug)]
struct Entry {
    value: Range<usize>,
    key: Option<Range<usize>>,
}

/// Spans of keys and values in a patch's text, by path. Built from text that RON already parsed; borrows
/// that text. Any thread but the audio thread.
#[derive(Clone, Debug, Default)]
pub struct SourceMap<'t> {
    text: &'t str,
    /// Every value, the root first (entry 0).
    entries: Vec<Entry>,
    /// `(parent entry, edge)` → child entry. A repeated map key points at its last value, as RON keeps it.
    children: FxHashMap<(u32, Seg<'t>), u32>,
    /// Repeated map keys, by the entry of the map holding them (a hostile file can hold hundreds of
    /// thousands; looking up one map's must not scan them all).
    duplicates: FxHashMap<u32, Vec<DuplicateKey>>,
    /// Byte offset where each line after the first starts, built on the first [`SourceMap::line_of`].
    line_starts: OnceCell<Vec<usize>>,
}

impl<'t> SourceMap<'t> {
    /// Walks `text` and records every key and value. Never fails or panics; text it cannot follow yields
    /// fewer spans. A leading byte-order mark is skipped (spans stay offsets into `text`).
    pub fn build(text: &'t str) -> SourceMap<'t> {
        let map = SourceMap { text, ..SourceMap::default() };
        let (_, bom) = crate::diagnostics::strip_bom(text);
        let mut scanner = Scanner { text: text.as_bytes(), pos: bom, map, depth: 0 };
        scanner.value(None, None);
        scanner.map
    }

    /// The 1-based line of byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let starts = self.line_starts.get_or_init(|| self.text.match_indices('\n').map(|(i, _)| i + 1).collect());
        starts.partition_point(|&start| start <= offset) + 1
    }

    /// The index of the entry at `path` (the root for an empty path).
    fn find(&self, path: &[PathSeg<'_>]) -> Option<u32> {
        let mut at = 0u32;
        for seg in path {
            at = *self.children.get(&(at, Seg::from(seg)))?;
        }
        Some(at)
    }

    fn entry(&self, path: &[PathSeg<'_>]) -> Option<&Entry> {
        self.entries.get(self.find(path)? as usize)
    }

    /// The span of the value at `path` (the root value for an empty path).
    pub fn value(&self, path: &[PathSeg<'_>]) -> Option<Range<usize>> {
        self.entry(path).map(|e| e.value.clone())
    }

    /// The span of the key or field name of the entry at `path` (for a list element, its value).
    pub fn key(&self, path: &[PathSeg<'_>]) -> Option<Range<usize>> {
        self.entry(path).map(|e| e.key.clone().unwrap_or_else(|| e.value.clone()))
    }

    /// Every key written more than once in any map of the patch (grouped by map, in no particular order).
    pub fn all_duplicate_keys(&self) -> impl Iterator<Item = &DuplicateKey> {
        self.duplicates.values().flatten()
    }

    /// The name of the innermost struct field whose value holds byte `offset` (`mode` for an offset
    /// inside `mode: "Mono"`'s value), if any.
    pub fn field_at(&self, offset: usize) -> Option<&'t str> {
        let text: &'t str = self.text;
        self.entries
            .iter()
            .rev()
            .filter(|e| e.value.start <= offset && offset < e.value.end.max(e.value.start + 1))
            .find_map(|e| e.key.clone())
            .map(|key| &text[key])
            .filter(|name| name.bytes().next().is_some_and(is_ident_start))
    }

    /// The span of the innermost scalar value (a number, name or string, not a bracketed one) holding byte
    /// `offset`, if any.
    pub fn value_at(&self, offset: usize) -> Option<Range<usize>> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.value.start <= offset && offset < e.value.end)
            .map(|e| e.value.clone())
            .filter(|v| !matches!(self.text.as_bytes().get(v.start), Some(b'(' | b'[' | b'{')))
    }

    /// Keys written more than once in the map at `path`.
    pub fn duplicate_keys(&self, path: &[PathSeg<'_>]) -> Vec<DuplicateKey> {
        if self.duplicates.is_empty() {
            return Vec::new();
        }
        let Some(map) = self.find(path) else { return Vec::new() };
        self.duplicates.get(&map).cloned().unwrap_or_default()
    }
}

/// Deeper nesting than this is not followed (keeps the scanner's recursion bounded on hostile input).
const MAX_DEPTH: usize = 64;

struct Scanner<'t> {
    text: &'t [u8],
    pos: usize,
    map: SourceMap<'t>,
    depth: usize,
}

/// Where a value hangs in the tree: its parent entry and the edge from it.
type Edge<'t> = (u32, Seg<'t>);

impl<'t> Scanner<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c.is_ascii_whitespace() => self.pos += 1,
                Some(b'/') if self.text.get(self.pos + 1) == Some(&b'/') => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                Some(b'/') if self.text.get(self.pos + 1) == Some(&b'*') => {
                    self.pos += 2;
                    let mut nesting = 1;
                    while nesting > 0 && self.pos < self.text.len() {
                        if self.text[self.pos..].starts_with(b"/*") {
                            nesting += 1;
                            self.pos += 2;
                        } else if self.text[self.pos..].starts_with(b"*/") {
                            nesting -= 1;
                            self.pos += 2;
                        } else {
                            self.pos += 1;
                        }
                    }
                }
                _ => return,
            }
        }
    }

    /// Scans one value at the cursor and records it (and everything inside) as a new entry under `edge`
    /// (none for the root, or for a map key, which is recorded as its entry's key span instead), with the
    /// key span `key`. Returns the new entry.
    fn value(&mut self, edge: Option<Edge<'t>>, key: Option<Range<usize>>) -> u32 {
        self.skip_space();
        let start = self.pos;
        let id = self.map.entries.len() as u32;
        self.map.entries.push(Entry { value: start..start, key });
        if let Some(edge) = edge {
            self.map.children.insert(edge, id);
        }
        self.depth += 1;
        match self.peek() {
            None => {}
            Some(_) if self.depth > MAX_DEPTH => self.pos = self.text.len(),
            Some(b'(') => self.sequence(b')', id),
            Some(b'[') => self.sequence(b']', id),
            Some(b'{') => self.map_body(id),
            Some(b'"') => self.quoted(b'"'),
            Some(b'\'') => self.quoted(b'\''),
            Some(b'r') if matches!(self.text.get(self.pos + 1), Some(b'"' | b'#')) => self.raw_string(),
            Some(_) => {
                self.atom();
                // An enum variant with arguments: `Mono("a.out")`, `Some(1)`.
                if self.pos > start && self.peek() == Some(b'(') && is_ident_start(self.text[start]) {
                    self.sequence(b')', id);
                }
            }
        }
        self.depth -= 1;
        if self.pos == start && self.pos < self.text.len() {
            self.pos += 1; // never stall on a stray character
        }
        self.map.entries[id as usize].value = start..self.pos;
        id
    }

    /// A quoted string or char literal ending at the next unescaped `quote`.
    fn quoted(&mut self, quote: u8) {
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == b'\\' {
                self.pos += 1;
            } else if c == quote {
                break;
            }
        }
        self.pos = self.pos.min(self.text.len());
    }

    fn raw_string(&mut self) {
        self.pos += 1;
        let mut hashes = 0;
        while self.peek() == Some(b'#') {
            hashes += 1;
            self.pos += 1;
        }
        if self.peek() != Some(b'"') {
            return;
        }
        self.pos += 1;
        while self.pos < self.text.len() {
            if self.text[self.pos] == b'"'
                && self.text[self.pos + 1..].iter().take(hashes).filter(|&&c| c == b'#').count() == hashes
            {
                self.pos += 1 + hashes;
                return;
            }
            self.pos += 1;
        }
    }

    /// Numbers, identifiers, booleans: everything up to a delimiter.
    fn atom(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() || b"(){}[],:\"/".contains(&c) {
                return;
            }
            self.pos += 1;
        }
    }

    /// `( … )` or `[ … ]` inside entry `parent`: fields (`name: value`) or positional elements.
    fn sequence(&mut self, close: u8, parent: u32) {
        self.pos += 1;
        let mut index = 0;
        loop {
            self.skip_space();
            match self.peek() {
                None => return,
                Some(c) if c == close => {
                    self.pos += 1;
                    return;
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let before = self.pos;
            if let Some(name) = self.field_name() {
                self.value(Some((parent, Seg::Field(&self.text[name.clone()]))), Some(name));
            } else {
                self.value(Some((parent, Seg::Index(index))), None);
                index += 1;
            }
            if self.pos == before {
                self.pos += 1;
            }
        }
    }

    /// `ident :` at the cursor (not `::`): consumes it and returns the name's span.
    fn field_name(&mut self) -> Option<Range<usize>> {
        let start = self.pos;
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        let mut end = start;
        while self.text.get(end).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_') {
            end += 1;
        }
        let save = self.pos;
        self.pos = end;
        self.skip_space();
        if self.peek() == Some(b':') && self.text.get(self.pos + 1) != Some(&b':') {
            self.pos += 1;
            Some(start..end)
        } else {
            self.pos = save;
            None
        }
    }

    /// `{ key: value, … }` inside entry `parent`.
    fn map_body(&mut self, parent: u32) {
        self.pos += 1;
        loop {
            self.skip_space();
            match self.peek() {
                None => return,
                Some(b'}') => {
                    self.pos += 1;
                    return;
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let before = self.pos;
            let key_start = self.pos;
            // A key is recorded as its entry's key span, not as a value of its own.
            match self.peek() {
                Some(b'"') => self.quoted(b'"'),
                _ => drop(self.value(None, None)),
            }
            let key_span = key_start..self.pos;
            let text: &'t [u8] = self.text;
            let raw = &text[key_span.clone()];
            let key = match raw {
                [b'"', inner @ .., b'"'] => inner,
                _ => raw,
            };
            self.skip_space();
            if self.peek() == Some(b':') {
                self.pos += 1;
            }
            let edge = (parent, Seg::Key(key));
            let first = self.map.children.get(&edge).map(|&e| self.map.entries[e as usize].key.clone());
            // Keep the first occurrence's key span; the value is the last one, as RON keeps it.
            let key_here = first.clone().flatten().unwrap_or_else(|| key_span.clone());
            self.value(Some(edge), Some(key_here));
            if let Some(Some(first)) = first {
                let key = String::from_utf8_lossy(key).into_owned();
                self.map.duplicates.entry(parent).or_default().push(DuplicateKey { key, first, repeat: key_span });
            }
            if self.pos == before {
                self.pos += 1;
            }
        }
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::PathSeg::*;
    use super::*;

    const TEXT: &str = r##"// a patch
(
    version: 1, /* nested /* comment */ */
    nodes: {
        "osc1": (kind: "saw", params: { "cutoff": 1200.0, "name": "a,b}" }),
        "osc1": (kind: "sine"),
    },
    connections: [("osc1.out", "amp.in"), ("x", r#"y"#)],
    output: Mono("amp.out"),
)"##;

    fn slice(range: Option<Range<usize>>) -> &'static str {
        let r = range.expect("span");
        &TEXT[r]
    }

    #[test]
    fn finds_fields_keys_and_nested_values() {
        let map = SourceMap::build(TEXT);
        assert_eq!(slice(map.value(&[Field("version")])), "1");
        assert_eq!(slice(map.key(&[Field("nodes")])), "nodes");
        assert_eq!(slice(map.key(&[Field("nodes"), Key("osc1")])), "\"osc1\"");
        assert_eq!(slice(map.value(&[Field("nodes"), Key("osc1"), Field("kind")])), "\"sine\"");
        assert_eq!(slice(map.value(&[Field("connections"), Index(0), Index(1)])), "\"amp.in\"");
        assert_eq!(slice(map.value(&[Field("connections"), Index(1), Index(1)])), "r#\"y\"#");
        assert_eq!(slice(map.value(&[Field("output"), Index(0)])), "\"amp.out\"");
        assert_eq!(slice(map.value(&[Field("output")])), "Mono(\"amp.out\")");
    }

    #[test]
    fn reports_duplicate_keys() {
        let map = SourceMap::build(TEXT);
        let dups = map.duplicate_keys(&[Field("nodes")]);
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0].key, "osc1");
        assert!(dups[0].first.start < dups[0].repeat.start);
        assert_eq!(&TEXT[dups[0].repeat.clone()], "\"osc1\"");
    }

    #[test]
    fn a_repeated_key_points_at_its_first_name_and_last_value() {
        let map = SourceMap::build(TEXT);
        let first = TEXT.find("\"osc1\"").expect("first osc1");
        assert_eq!(map.key(&[Field("nodes"), Key("osc1")]), Some(first..first + 6));
        assert_eq!(slice(map.value(&[Field("nodes"), Key("osc1")])), "(kind: \"sine\")");
        assert_eq!(map.value(&[Field("nodes"), Key("osc1"), Field("params")]), None, "the last value has none");
        assert_eq!(map.value(&[Field("nodes"), Key("osc2")]), None);
        assert_eq!(map.line_of(first), 5);
    }

    #[test]
    fn never_panics_on_garbage() {
        for text in ["", "(", "{\"a\":", "r#\"", "((((((((", "'\\", "(a: [1, {\"x\": r##\"y\"#}])", "\u{1F600}(é: 1)"]
        {
            let _ = SourceMap::build(text);
        }
        let deep = "(".repeat(10_000);
        let _ = SourceMap::build(&deep);
    }
}
