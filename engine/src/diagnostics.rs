//! Compiler-style diagnostics: every problem in a patch, with file, line and column.
//!
//! The first line of each rendered diagnostic is `PATH:LINE:COL: error: MESSAGE`, so editors can jump to
//! it; a source snippet with the offending text underlined follows.

use std::fmt;
use std::ops::Range;

/// One problem found in a patch.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// What is wrong, in a sound designer's words (``unknown port `cutof` on `filter` ``).
    pub message: String,
    /// The byte range in the source it points at; `None` for problems with no place (an empty file).
    pub span: Option<Range<usize>>,
    /// A hint shown under the snippet (``did you mean `cutoff`?``).
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic pointing at `span`.
    pub fn new(message: impl Into<String>, span: Range<usize>) -> Diagnostic {
        Diagnostic { message: message.into(), span: Some(span), help: None }
    }

    /// The same diagnostic with a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// Every problem found in one patch file, with the source they point into. Returned by
/// [`crate::compile()`]; `Display` renders them all, each starting with `PATH:LINE:COL: error: MESSAGE`.
#[derive(Clone, Debug)]
pub struct Diagnostics {
    /// The file's path as the user named it.
    pub path: String,
    /// The file's text.
    pub source: String,
    /// The problems, in source order.
    pub items: Vec<Diagnostic>,
}

/// A diagnostic's position: 1-based line and column (column counted in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

impl Diagnostics {
    /// Line and column of byte `offset` in the source.
    pub fn line_col(&self, offset: usize) -> LineCol {
        line_col(&self.source, offset)
    }
}

/// Line and column of byte `offset` in `text` (clamped to the text's end).
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    LineCol { line, col: before[line_start..].chars().count() + 1 }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            let at = self.line_col(d.span.as_ref().map_or(0, |s| s.start));
            writeln!(f, "{}:{}:{}: error: {}", self.path, at.line, at.col, d.message)?;
            if let Some(help) = &d.help {
                writeln!(f, "  = help: {help}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
