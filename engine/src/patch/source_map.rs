//! Where each value of a patch is written in its source text.
//!
//! RON's deserializer reports positions only for syntax errors; semantic errors (unknown port, value out of
//! range) need the position of a value that parsed fine. The source map walks the text's structure once
//! with a small scanner of RON's grammar (comments, strings, raw strings, numbers, identifiers, structs,
//! tuples, enum variants, maps and lists) and records the span of every key and value by path. Written by
//! hand because no RON crate exposes value positions.

use std::collections::HashMap;
use std::ops::Range;

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

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Seg {
    Field(String),
    Key(String),
    Index(usize),
}

impl From<&PathSeg<'_>> for Seg {
    fn from(seg: &PathSeg<'_>) -> Seg {
        match *seg {
            PathSeg::Field(f) => Seg::Field(f.to_string()),
            PathSeg::Key(k) => Seg::Key(k.to_string()),
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

/// Spans of keys and values in a patch's text, by path. Built from text that RON already parsed.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    values: HashMap<Vec<Seg>, Range<usize>>,
    keys: HashMap<Vec<Seg>, Range<usize>>,
    duplicates: Vec<(Vec<Seg>, DuplicateKey)>,
    /// Byte offset where each line after the first starts.
    line_starts: Vec<usize>,
}

impl SourceMap {
    /// Walks `text` and records every key and value. Never fails or panics; text it cannot follow yields
    /// fewer spans.
    pub fn build(text: &str) -> SourceMap {
        let mut scanner = Scanner { text: text.as_bytes(), pos: 0, map: SourceMap::default(), depth: 0 };
        let mut path = Vec::new();
        scanner.value(&mut path);
        let mut map = scanner.map;
        map.line_starts = text.match_indices('\n').map(|(i, _)| i + 1).collect();
        map
    }

    /// The 1-based line of byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset) + 1
    }

    /// The span of the value at `path` (the root value for an empty path).
    pub fn value(&self, path: &[PathSeg<'_>]) -> Option<Range<usize>> {
        self.values.get(&to_key(path)).cloned()
    }

    /// The span of the key or field name of the entry at `path` (for a list element, its value).
    pub fn key(&self, path: &[PathSeg<'_>]) -> Option<Range<usize>> {
        let key = to_key(path);
        self.keys.get(&key).or_else(|| self.values.get(&key)).cloned()
    }

    /// Keys written more than once in the map at `path`.
    pub fn duplicate_keys(&self, path: &[PathSeg<'_>]) -> Vec<DuplicateKey> {
        let key = to_key(path);
        self.duplicates.iter().filter(|(p, _)| *p == key).map(|(_, d)| d.clone()).collect()
    }
}

fn to_key(path: &[PathSeg<'_>]) -> Vec<Seg> {
    path.iter().map(Seg::from).collect()
}

/// Deeper nesting than this is not followed (keeps the scanner's recursion bounded on hostile input).
const MAX_DEPTH: usize = 64;

struct Scanner<'t> {
    text: &'t [u8],
    pos: usize,
    map: SourceMap,
    depth: usize,
}

impl Scanner<'_> {
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

    /// Scans one value at the cursor, recording it (and everything inside) under `path`.
    fn value(&mut self, path: &mut Vec<Seg>) {
        self.skip_space();
        let start = self.pos;
        self.depth += 1;
        match self.peek() {
            None => {}
            Some(_) if self.depth > MAX_DEPTH => self.pos = self.text.len(),
            Some(b'(') => self.sequence(b')', path),
            Some(b'[') => self.sequence(b']', path),
            Some(b'{') => self.map_body(path),
            Some(b'"') => self.quoted(b'"'),
            Some(b'\'') => self.quoted(b'\''),
            Some(b'r') if matches!(self.text.get(self.pos + 1), Some(b'"' | b'#')) => self.raw_string(),
            Some(_) => {
                self.atom();
                // An enum variant with arguments: `Mono("a.out")`, `Some(1)`.
                if self.pos > start && self.peek() == Some(b'(') && is_ident_start(self.text[start]) {
                    self.sequence(b')', path);
                }
            }
        }
        self.depth -= 1;
        if self.pos == start && self.pos < self.text.len() {
            self.pos += 1; // never stall on a stray character
        }
        self.map.values.insert(path.clone(), start..self.pos);
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

    /// `( … )` or `[ … ]`: fields (`name: value`) or positional elements.
    fn sequence(&mut self, close: u8, path: &mut Vec<Seg>) {
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
            if let Some((name, span)) = self.field_name() {
                path.push(Seg::Field(name));
                self.map.keys.insert(path.clone(), span);
            } else {
                path.push(Seg::Index(index));
                index += 1;
            }
            self.value(path);
            path.pop();
            if self.pos == before {
                self.pos += 1;
            }
        }
    }

    /// `ident :` at the cursor (not `::`): consumes it and returns the name and its span.
    fn field_name(&mut self) -> Option<(String, Range<usize>)> {
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
            Some((String::from_utf8_lossy(&self.text[start..end]).into_owned(), start..end))
        } else {
            self.pos = save;
            None
        }
    }

    /// `{ key: value, … }`.
    fn map_body(&mut self, path: &mut Vec<Seg>) {
        self.pos += 1;
        let mut seen: HashMap<String, Range<usize>> = HashMap::new();
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
            let mut scratch = Vec::new();
            self.value(&mut scratch);
            let key_span = key_start..self.pos;
            let raw = String::from_utf8_lossy(&self.text[key_span.clone()]).into_owned();
            let key = raw.strip_prefix('"').and_then(|k| k.strip_suffix('"')).map_or(raw.clone(), str::to_string);
            if let Some(first) = seen.get(&key) {
                self.map.duplicates.push((
                    path.clone(),
                    DuplicateKey { key: key.clone(), first: first.clone(), repeat: key_span.clone() },
                ));
            } else {
                seen.insert(key.clone(), key_span.clone());
            }
            self.skip_space();
            if self.peek() == Some(b':') {
                self.pos += 1;
            }
            path.push(Seg::Key(key));
            // Keep the first occurrence's key span; later values overwrite, as RON keeps the last value.
            self.map.keys.entry(path.clone()).or_insert(key_span);
            self.value(path);
            path.pop();
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
    fn never_panics_on_garbage() {
        for text in ["", "(", "{\"a\":", "r#\"", "((((((((", "'\\", "(a: [1, {\"x\": r##\"y\"#}])", "\u{1F600}(é: 1)"]
        {
            let _ = SourceMap::build(text);
        }
        let deep = "(".repeat(10_000);
        let _ = SourceMap::build(&deep);
    }
}
