//! Patches as written: the RON data model, parsing, and positions in the source.

pub mod exposed;
pub mod model;
pub mod source_map;

use std::ops::Range;

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
///
/// A leading UTF-8 byte-order mark is skipped (positions are still offsets into `source.text`, and
/// columns on the first line are counted from the first visible character). The `version` is checked
/// before anything else, so a file from a newer Ferrule is reported as such rather than by the first
/// field this build does not know.
pub fn parse(source: &PatchSource) -> Result<(Patch, SourceMap<'_>), Diagnostics> {
    let fail =
        |item: Diagnostic| Diagnostics { path: source.path.clone(), source: source.text.clone(), items: vec![item] };
    let (body, bom) = crate::diagnostics::strip_bom(&source.text);
    let map = SourceMap::build(&source.text);
    if let Some(wrong) = version_mismatch(&source.text, &map) {
        return Err(fail(wrong));
    }
    // The nesting limit keeps the recursive RON parser (and serde's buffering of untagged values) off the
    // end of the stack: 100,000 `[` get an error, not a crash.
    let options = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(MAX_NESTING);
    match options.from_str::<Patch>(body) {
        Ok(patch) => Ok((patch, map)),
        Err(e) => {
            let start = bom + offset_of(body, e.span.start.line, e.span.start.col);
            let end = (bom + offset_of(body, e.span.end.line, e.span.end.col)).max(start);
            let (message, help, span) = explain(&e.code, &source.text, &map, start..end);
            Err(fail(Diagnostic::new(message, span).with_optional_help(help)))
        }
    }
}

/// The diagnostic for a `version` other than [`model::PATCH_VERSION`], found by the source map before
/// the parser reads anything else. `None` when the version is right, missing or not a number (the parser
/// reports those).
fn version_mismatch(text: &str, map: &SourceMap<'_>) -> Option<Diagnostic> {
    let span = map.value(&[source_map::PathSeg::Field("version")])?;
    let written = text.get(span.clone())?.trim();
    let value: f64 = written.parse().ok()?;
    if value == f64::from(model::PATCH_VERSION) {
        return None;
    }
    Some(if value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX) {
        let (message, help) = version_message(value as u32);
        Diagnostic::new(message, span).with_optional_help(help)
    } else {
        Diagnostic::new(
            format!("`{written}` is not a patch version; this build reads version {}", model::PATCH_VERSION),
            span,
        )
        .with_help(format!("write `version: {}`", model::PATCH_VERSION))
    })
}

/// What a file of patch-language `version` (not this build's) is told, and a hint.
pub(crate) fn version_message(version: u32) -> (String, Option<String>) {
    let message =
        format!("this file is written for patch version {version}; this build reads version {}", model::PATCH_VERSION);
    let help = (version > model::PATCH_VERSION).then(|| "a newer Ferrule wrote it: update Ferrule to play it".into());
    (message, help)
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

/// A RON error in a sound designer's words, with a hint where one helps, and the span to point at
/// (`span`, where RON stopped, unless the message is about a whole value the source map knows).
fn explain(
    code: &ron::Error,
    text: &str,
    map: &SourceMap<'_>,
    span: Range<usize>,
) -> (String, Option<String>, Range<usize>) {
    use ron::Error as E;
    let suggest = |found: &str, expected: &[&str]| {
        crate::compile::validate::suggest(found, expected).map(|s| format!("did you mean `{s}`?"))
    };
    let (body, _) = crate::diagnostics::strip_bom(text);
    let (message, help) = match code {
        _ if body.trim().is_empty() => {
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
        E::DuplicateStructField { field, outer } => {
            let inside = outer.as_deref().map(section_name).unwrap_or("the patch");
            (
                format!("`{field}` is written twice in {inside}"),
                Some("each field is written once; remove one of them".into()),
            )
        }
        E::ExceededRecursionLimit => (format!("brackets are nested more than {MAX_NESTING} deep"), None),
        // A `version` no number type holds, written before another `version` (a lone one is reported before
        // parsing, by `version_mismatch`).
        E::IntegerOutOfBounds if map.field_at(span.start) == Some("version") => (
            format!(
                "`{}` is not a patch version; this build reads version {}",
                text.get(map.value_at(span.start).unwrap_or(span.clone())).unwrap_or("").trim(),
                model::PATCH_VERSION
            ),
            Some(format!("write `version: {}`", model::PATCH_VERSION)),
        ),
        E::Message(m) if m.contains("untagged enum ParamValue") => {
            ("a parameter value must be a number or an option name in quotes".into(), None)
        }
        E::Message(m) if m.starts_with(model::VALUE_ERROR) => {
            let message = m[model::VALUE_ERROR.len()..].to_string();
            // The value's whole span, from the source map (RON points near where it stopped reading).
            return (message, None, map.value_at(span.start).unwrap_or(span));
        }
        other => match quoted_name_field(text, map, span.start) {
            Some(field) => quoted_name(field, text, span.start),
            None => {
                let message = other.to_string();
                let mut chars = message.chars();
                let message = chars.next().map_or(String::new(), |c| c.to_lowercase().chain(chars).collect());
                (message, None)
            }
        },
    };
    (message, help, span)
}

/// The field (`mode`, `steal` or `output`, which take names without quotes) whose value is the quoted
/// string at `at`, if that is where RON stopped.
fn quoted_name_field<'t>(text: &str, map: &SourceMap<'t>, at: usize) -> Option<&'t str> {
    if !text.get(at..).is_some_and(|rest| rest.starts_with('"')) || map.value_at(at)?.start != at {
        return None;
    }
    map.field_at(at).filter(|field| matches!(*field, "mode" | "steal" | "output"))
}

/// The message for a quoted string where a name without quotes belongs (`mode: "Mono"`): which names
/// the field takes, and how to write the one that was meant.
fn quoted_name(field: &str, text: &str, at: usize) -> (String, Option<String>) {
    // At most a line's worth of what was written, so a huge string is not echoed whole.
    let inner: String = text[at + 1..].chars().take_while(|&c| c != '"' && c != '\n').take(64).collect();
    let choices = if field == "mode" { MODES } else { STEAL_POLICIES };
    if field == "output" {
        return (
            "`output` is written `Mono(\"node.port\")` or `Stereo(\"left.port\", \"right.port\")`".into(),
            Some(format!("write `output: Mono(\"{inner}\")`")),
        );
    }
    let meant = if choices.contains(&inner.as_str()) {
        Some(inner.as_str())
    } else {
        crate::compile::validate::suggest(&inner, choices)
    };
    let what = if field == "mode" { "voice modes are" } else { "steal policies are" };
    let example = meant.or(choices.first().copied()).unwrap_or(inner.as_str());
    (
        format!("{what} written without quotes, e.g. `{field}: {example}`"),
        Some(format!("choices: {}", choices.join(", "))),
    )
}

/// The names `mode` takes ([`model::VoiceMode`]'s variants).
const MODES: &[&str] = &["Poly", "Mono", "Legato"];
/// The names `steal` takes ([`model::StealPolicy`]'s variants).
const STEAL_POLICIES: &[&str] = &["ReleasedThenOldest", "Oldest", "Lowest", "Highest", "Never"];

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The variants serde knows for `T`, from the error an unknown one gets.
    fn variants<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> Vec<&'static str> {
        match ron::from_str::<T>("NotAVariant").map_err(|e| e.code) {
            Err(ron::Error::NoSuchEnumVariant { expected, .. }) => expected.to_vec(),
            other => panic!("expected an unknown-variant error, got {other:?}"),
        }
    }

    #[test]
    fn the_names_a_quoted_mode_is_told_about_are_the_models_own() {
        assert_eq!(MODES, variants::<model::VoiceMode>());
        assert_eq!(STEAL_POLICIES, variants::<model::StealPolicy>());
    }
}
