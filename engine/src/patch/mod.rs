//! Patches as written: the RON data model, parsing, and positions in the source.

pub mod model;
pub mod source_map;

use crate::diagnostics::{Diagnostic, Diagnostics};
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

/// Parses a patch's text into the data model, with a map of where each value is written.
/// RON syntax errors and type mismatches come back as one diagnostic with its position.
pub fn parse(source: &PatchSource) -> Result<(Patch, SourceMap), Diagnostics> {
    let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    match options.from_str::<Patch>(&source.text) {
        Ok(patch) => Ok((patch, SourceMap::build(&source.text))),
        Err(e) => {
            let start = offset_of(&source.text, e.span.start.line, e.span.start.col);
            let end = offset_of(&source.text, e.span.end.line, e.span.end.col).max(start);
            Err(Diagnostics {
                path: source.path.clone(),
                source: source.text.clone(),
                items: vec![Diagnostic { message: e.code.to_string(), span: Some(start..end), help: None }],
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
