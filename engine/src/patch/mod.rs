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
    /// Reads a patch file. Any thread but the audio thread.
    pub fn read(path: impl AsRef<std::path::Path>) -> std::io::Result<PatchSource> {
        let path = path.as_ref();
        Ok(PatchSource { path: path.display().to_string(), text: std::fs::read_to_string(path)? })
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
