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
    /// A diagnostic pointing at `span`. Control characters the message quotes from the patch (an id
    /// holding a NUL) are escaped ([`printable`]).
    pub fn new(message: impl Into<String>, span: Range<usize>) -> Diagnostic {
        Diagnostic { message: clip_quoted(&printable(&message.into())), span: Some(span), help: None }
    }

    /// The same diagnostic with a hint (escaped like the message).
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(clip_quoted(&printable(&help.into())));
        self
    }

    /// The same diagnostic with a hint when there is one.
    pub fn with_optional_help(mut self, help: Option<String>) -> Diagnostic {
        self.help = help.map(|h| clip_quoted(&printable(&h)));
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

/// A UTF-8 byte-order mark, which some editors put at the start of a file. It is not part of the patch:
/// the parser skips it and columns on the first line are counted after it.
pub const BOM: char = '\u{feff}';

/// `text` without a leading byte-order mark, and the number of bytes it took (0 or 3).
pub fn strip_bom(text: &str) -> (&str, usize) {
    match text.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len_utf8()),
        None => (text, 0),
    }
}

/// Line and column of byte `offset` in `text` (clamped to the text's end). A leading byte-order mark is
/// not counted: the first visible character is line 1, column 1.
pub fn line_col(text: &str, offset: usize) -> LineCol {
    let (text, bom) = strip_bom(text);
    let offset = offset.saturating_sub(bom).min(text.len());
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

/// `text` with every control or invisible formatting character escaped as in Rust source (`\0`, `\n`,
/// `\u{202e}`), so that an id holding a NUL, an escape sequence or a right-to-left override cannot
/// corrupt or disguise the line a terminal or editor shows. Printable text (any script) is unchanged.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_invisible) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else if is_invisible(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The most characters of one `quoted` name a message repeats; the middle of a longer one is cut.
const QUOTED_SHOWN: usize = 60;

/// `text` with every backtick-quoted name longer than 60 characters cut in the middle
/// (`` `aaaa…zzzz` ``), so a 100 KB id makes a readable message. The snippet still shows where it is.
pub fn clip_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let count = part.chars().count();
        if i % 2 == 1 && count > QUOTED_SHOWN {
            let keep = QUOTED_SHOWN / 2;
            out.extend(part.chars().take(keep));
            out.push('…');
            out.extend(part.chars().skip(count - keep));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Control characters and the invisible format characters that change how text around them reads
/// (zero-width spaces and joiners, bidirectional controls, byte-order marks).
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// A number as a diagnostic prints it: as short as it can be while still reading back as the same value,
/// with an exponent for very large or very small magnitudes (`4`, `0.001`, `-2.5`, `1e308`, `1.5e-7`).
pub fn number(x: f64) -> String {
    let magnitude = x.abs();
    if !x.is_finite() || magnitude == 0.0 || (1e-4..1e6).contains(&magnitude) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// [`number`] for a value held in single precision, printed by its own shortest decimal (`0.001`, not the
/// `0.0010000000474974513` its conversion to `f64` would show).
pub fn number32(x: f32) -> String {
    number(x.to_string().parse::<f64>().unwrap_or(f64::from(x)))
}

/// Widest source line a snippet shows, in characters; a longer line is clipped around the column, with
/// `...` where text was left out.
pub const SNIPPET_WIDTH: usize = 100;
/// Characters a clipped snippet keeps before the column.
const SNIPPET_BEFORE: usize = 40;

/// Terminal columns `c` takes: 0 for combining marks and zero-width characters, 2 for East Asian wide
/// characters and emoji, 1 otherwise. An approximation of Unicode's East Asian Width property, enough to
/// keep a caret under the character it points at.
fn display_width(c: char) -> usize {
    let within = |ranges: &[(u32, u32)]| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&(c as u32)));
    if within(ZERO_WIDTH) {
        0
    } else if within(WIDE) {
        2
    } else {
        1
    }
}

/// Combining marks and zero-width characters: no column of their own.
const ZERO_WIDTH: &[(u32, u32)] = &[
    (0x0300, 0x036f),
    (0x0483, 0x0489),
    (0x0591, 0x05bd),
    (0x0610, 0x061a),
    (0x064b, 0x065f),
    (0x0e31, 0x0e31),
    (0x0e34, 0x0e3a),
    (0x1ab0, 0x1aff),
    (0x1dc0, 0x1dff),
    (0x200b, 0x200f),
    (0x202a, 0x202e),
    (0x2060, 0x2069),
    (0x20d0, 0x20ff),
    (0xfe00, 0xfe0f),
    (0xfe20, 0xfe2f),
    (0xfeff, 0xfeff),
];

/// East Asian wide characters and emoji: two columns.
const WIDE: &[(u32, u32)] = &[
    (0x1100, 0x115f),
    (0x2e80, 0x303e),
    (0x3041, 0x33ff),
    (0x3400, 0x4dbf),
    (0x4e00, 0x9fff),
    (0xa000, 0xa4cf),
    (0xac00, 0xd7a3),
    (0xf900, 0xfaff),
    (0xfe30, 0xfe4f),
    (0xff00, 0xff60),
    (0xffe0, 0xffe6),
    (0x1f300, 0x1f64f),
    (0x1f900, 0x1f9ff),
    (0x20000, 0x3fffd),
];

/// A character of a source line as the snippet shows it: a tab as a space, other control characters as
/// their Unicode control pictures (`␀`), so that each still takes one column.
fn shown(c: char) -> char {
    match c {
        '\t' => ' ',
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
        '\u{7f}' => '\u{2421}',
        c if c.is_control() => '?',
        c => c,
    }
}

/// The snippet of one source line: the text shown (clipped to [`SNIPPET_WIDTH`] characters around the
/// column when longer) and the caret line under it, `width` characters from 0-based character `col`.
fn snippet(line: &str, col: usize, width: usize) -> (String, String) {
    // Only the shown window is collected: a 4 MiB line costs one count, not a copy per diagnostic.
    let total = line.chars().count();
    let col = col.min(total);
    let (start, end) = if total <= SNIPPET_WIDTH {
        (0, total)
    } else {
        let start = col.saturating_sub(SNIPPET_BEFORE).min(total - SNIPPET_WIDTH);
        (start, start + SNIPPET_WIDTH)
    };
    let chars: Vec<char> = line.chars().skip(start).take(end - start).map(shown).collect();
    let (col, width) = (col - start, width.min(end.saturating_sub(col)).max(1));
    let (lead, tail) = (if start > 0 { "..." } else { "" }, if end < total { "..." } else { "" });
    let text: String = chars.iter().collect();
    let pad = lead.len() + chars[..col].iter().map(|&c| display_width(c)).sum::<usize>();
    let carets = chars[col..(col + width).min(chars.len())].iter().map(|&c| display_width(c)).sum::<usize>().max(1);
    (format!("{lead}{text}{tail}"), format!("{:pad$}{}", "", "^".repeat(carets)))
}

impl Diagnostics {
    /// Every diagnostic with its position, in source order (for the editor).
    pub fn located(&self) -> impl Iterator<Item = (LineCol, &Diagnostic)> {
        self.items.iter().map(|d| (self.line_col(d.span.as_ref().map_or(0, |s| s.start)), d))
    }

    /// Renders every diagnostic: first `PATH:LINE:COL: error: MESSAGE` (the line editors jump to), then
    /// the source line with the offending text underlined, then the hint. With `color`, ANSI colours for a
    /// terminal. Control characters in messages are escaped ([`printable`]); a source line longer than
    /// [`SNIPPET_WIDTH`] characters is clipped around the column.
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
        let (body, _) = strip_bom(&self.source);
        let mut out = String::new();
        for (at, d) in self.located() {
            out.push_str(&format!(
                "{bold}{}:{}:{}: {red}{severity}:{reset}{bold} {}{reset}\n",
                printable(&self.path),
                at.line,
                at.col,
                clip_quoted(&printable(&d.message))
            ));
            if let Some(span) = &d.span {
                let line_text = body.lines().nth(at.line - 1).unwrap_or("");
                let gutter = at.line.to_string().len();
                let width =
                    self.source.get(span.clone()).map_or(1, |t| t.lines().next().unwrap_or("").chars().count().max(1));
                let (text, carets) = snippet(line_text, at.col - 1, width);
                out.push_str(&format!("{blue}{:gutter$} |{reset}\n", ""));
                out.push_str(&format!("{blue}{} |{reset} {text}\n", at.line));
                out.push_str(&format!("{blue}{:gutter$} |{reset} {red}{carets}{reset}\n", ""));
            }
            if let Some(help) = &d.help {
                out.push_str(&format!("  = help: {}\n", clip_quoted(&printable(help))));
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
