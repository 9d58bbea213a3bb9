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

impl Diagnostics {
    /// Every diagnostic with its position, in source order (for the editor).
    pub fn located(&self) -> impl Iterator<Item = (LineCol, &Diagnostic)> {
        self.items.iter().map(|d| (self.line_col(d.span.as_ref().map_or(0, |s| s.start)), d))
    }

    /// Renders every diagnostic: first `PATH:LINE:COL: error: MESSAGE` (the line editors jump to), then
    /// the source line with the offending text underlined, then the hint. With `color`, ANSI colours for a
    /// terminal.
    ///
    /// Rendered by hand rather than with a diagnostics crate: those print their own header (`error: …`
    /// then `┌─ path:line:col`), which would repeat the message under our required first line.
    pub fn render(&self, color: bool) -> String {
        self.render_as("error", color)
    }

    /// Renders like [`Diagnostics::render`] with another severity word (`warning`) in the first line.
    pub fn render_as(&self, severity: &str, color: bool) -> String {
        let (red, blue, bold, reset) =
            if color { ("\x1b[31m", "\x1b[34m", "\x1b[1m", "\x1b[0m") } else { ("", "", "", "") };
        let mut out = String::new();
        for (at, d) in self.located() {
            out.push_str(&format!(
                "{bold}{}:{}:{}: {red}{severity}:{reset}{bold} {}{reset}\n",
                self.path, at.line, at.col, d.message
            ));
            if let Some(span) = &d.span {
                let line_text = self.source.lines().nth(at.line - 1).unwrap_or("");
                let gutter = at.line.to_string().len();
                let width =
                    self.source.get(span.clone()).map_or(1, |t| t.lines().next().unwrap_or("").chars().count().max(1));
                let width = width.min(line_text.chars().count().saturating_sub(at.col - 1).max(1));
                out.push_str(&format!("{blue}{:gutter$} |{reset}\n", ""));
                out.push_str(&format!("{blue}{} |{reset} {}\n", at.line, line_text.replace('\t', " ")));
                out.push_str(&format!(
                    "{blue}{:gutter$} |{reset} {:pad$}{red}{}{reset}\n",
                    "",
                    "",
                    "^".repeat(width),
                    pad = at.col - 1
                ));
            }
            if let Some(help) = &d.help {
                out.push_str(&format!("  = help: {help}\n"));
            }
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    /// [`Diagnostics::render`] without colour.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostics {}
