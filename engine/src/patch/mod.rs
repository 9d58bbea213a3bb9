//! Patches as written: the RON data model, parsing, and positions in the source.

pub mod exposed;
pub mod model;
pub mod source_map;

use crate::diagnostics::{Diagnostic, Diagnostics};
pub use exposed::{ExposedParam, MAX_EXPOSED, exposed_params};
pub use model::Patch;
pub use source_map::SourceMap;

/// A patch file's text and the path it came from (used in diagnostics; any label for text not from a file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchSource {
    /// The path as the user named it, or a label such as `<embedded default>`.
    pub path: String,
    /// The file's text.
    pub text: String,
}

impl PatchSource {
    /// Reads a patch file: at most [`MAX_PATCH_BYTES`] of UTF-8 text. Reads no more than the limit plus
    /// one byte whatever the file's size, so a huge (or endless) file costs no more memory than a
    /// patch may. Any thread but the audio thread.
    pub fn read(path: impl AsRef<std::path::Path>) -> Result<PatchSource, ReadError> {
        use std::io::Read;
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(ReadError::Io)?;
        let size = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        let mut bytes = Vec::with_capacity(size.unwrap_or(0).min(MAX_PATCH_BYTES) as usize + 1);
        file.take(MAX_PATCH_BYTES + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
        if bytes.len() as u64 > MAX_PATCH_BYTES {
            return Err(ReadError::TooLarge { size: size.filter(|&s| s > MAX_PATCH_BYTES) });
        }
        let text = String::from_utf8(bytes).map_err(|e| ReadError::not_utf8(e.as_bytes(), e.utf8_error()))?;
        Ok(PatchSource { path: path.display().to_string(), text })
    }
}

/// The largest patch file [`PatchSource::read`] accepts, in bytes (4 MiB). Far above any real patch (the
/// factory patches are a few KiB; 4,096 nodes written one a line take about 120 KiB) and far below what
/// would strain memory.
pub const MAX_PATCH_BYTES: u64 = 4 * 1024 * 1024;

/// Why a patch file could not be read. `Display` gives a one-line reason (without the path, which the
/// caller prints first).
#[derive(Debug)]
pub enum ReadError {
    /// The file system refused: no such file, a directory, no permission…
    Io(std::io::Error),
    /// The file holds more than [`MAX_PATCH_BYTES`]; `size` is its length in bytes when the file system
    /// reports one.
    TooLarge {
        /// The file's length in bytes, if known.
        size: Option<u64>,
    },
    /// The file is not UTF-8 text. Where its first invalid byte is: byte offset from the start, and
    /// 1-based line and column (column in characters, as diagnostics count).
    NotUtf8 {
        /// Offset of the first invalid byte, from 0.
        offset: usize,
        /// The invalid byte's value.
        byte: u8,
        /// Its line, from 1.
        line: usize,
        /// Its column in characters, from 1.
        col: usize,
    },
}

impl ReadError {
    fn not_utf8(bytes: &[u8], error: std::str::Utf8Error) -> ReadError {
        let offset = error.valid_up_to();
        // Valid up to `offset` by definition, so this never fails.
        let before = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
        let at = crate::diagnostics::line_col(before, offset);
        ReadError::NotUtf8 { offset, byte: bytes[offset], line: at.line, col: at.col }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MIB: u64 = 1024 * 1024;
        match self {
            ReadError::Io(e) => e.fmt(f),
            ReadError::TooLarge { size: Some(size) } => write!(
                f,
                "the file is {size} bytes; a patch file may be at most {} MiB ({MAX_PATCH_BYTES} bytes)",
                MAX_PATCH_BYTES / MIB
            ),
            ReadError::TooLarge { size: None } => write!(
                f,
                "the file is larger than a patch file may be ({} MiB, {MAX_PATCH_BYTES} bytes)",
                MAX_PATCH_BYTES / MIB
            ),
            ReadError::NotUtf8 { offset, byte, line, col } => write!(
                f,
                "the file is not UTF-8 text: byte {offset} (line {line}, column {col}) is 0x{byte:02x}; save it as UTF-8"
            ),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Deepest nesting of brackets a patch may use (real patches use about 5).
pub const MAX_NESTING: usize = 128;

/// Parses a patch's text into the data model, with a map of where each value is written.
/// RON syntax errors and type mismatches come back as one diagnostic with its position.
pub fn parse(source: &PatchSource) -> Result<(Patch, SourceMap<'_>), Diagnostics> {
    // The nesting limit keeps the recursive RON parser (and serde's buffering of untagged values) off the
    // end of the stack: 100,000 `[` get an error, not a crash.
    let options = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(MAX_NESTING);
    match options.from_str::<Patch>(&source.text) {
        Ok(patch) => Ok((patch, SourceMap::build(&source.text))),
        Err(e) => {
            let start = offset_of(&source.text, e.span.start.line, e.span.start.col);
            let end = offset_of(&source.text, e.span.end.line, e.span.end.col).max(start);
            let (message, help) = explain(&e.code, &source.text);
            Err(Diagnostics {
                path: source.path.clone(),
                source: source.text.clone(),
                items: vec![Diagnostic { message, span: Some(start..end), help }],
            })
        }
    }
}

/// Byte offset of a 1-based line and column (column in characters).
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset + l.char_indices().nth(col.saturating_sub(1)).map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    text.len()
}

/// A RON error in a sound designer's words, with a hint where one helps.
fn explain(code: &ron::Error, text: &str) -> (String, Option<String>) {
    use ron::Error as E;
    let suggest = |found: &str, expected: &[&str]| {
        crate::compile::validate::suggest(found, expected).map(|s| format!("did you mean `{s}`?"))
    };
    match code {
        _ if text.trim().is_empty() => {
            ("the file is empty".into(), Some("a patch starts with `(version: 1, ...`".into()))
        }
        E::NoSuchStructField { expected, found, outer } => {
            let inside = outer.as_deref().map(section_name).unwrap_or("the patch");
            let help = suggest(found, expected).unwrap_or_else(|| format!("fields here: {}", expected.join(", ")));
            (format!("unknown field `{found}` in {inside}"), Some(help))
        }
        E::NoSuchEnumVariant { expected, found, outer } => {
            let inside = outer.as_deref().map(section_name).unwrap_or("this value");
            let help = suggest(found, expected).unwrap_or_else(|| format!("choices: {}", expected.join(", ")));
            (format!("unknown `{found}` for {inside}"), Some(help))
        }
        E::MissingStructField { field, outer } => {
            let inside = outer.as_deref().map(section_name).unwrap_or("the patch");
            (format!("missing field `{field}` in {inside}"), None)
        }
        E::ExceededRecursionLimit => (format!("brackets are nested more than {MAX_NESTING} deep"), None),
        E::Message(m) if m.contains("untagged enum ParamValue") => {
            ("a parameter value must be a number or an option name in quotes".into(), None)
        }
        other => {
            let message = other.to_string();
            let mut chars = message.chars();
            let message = chars.next().map_or(String::new(), |c| c.to_lowercase().chain(chars).collect());
            (message, None)
        }
    }
}

/// The patch-file section a serde struct name stands for.
fn section_name(name: &str) -> &str {
    match name {
        "Patch" => "the patch",
        "VoiceSettings" => "`voice`",
        "NodeDecl" => "a node",
        "ModulationDecl" => "a modulation",
        "MacroDecl" => "a macro",
        "MacroTarget" => "a macro target",
        "ExposedDecl" => "an exposed parameter",
        "OutputDecl" => "`output`",
        "VoiceMode" => "`mode`",
        "StealPolicy" => "`steal`",
        other => other,
    }
}
