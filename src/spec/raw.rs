//! The spec as written: `ribo.yaml` decoded into typed structs whose values carry their byte
//! spans, before any semantic check.
//!
//! Three layers, each reporting located [`SpecError`]s:
//! 1. [`decode_text`]: bytes to text (UTF-8, an optional BOM stripped; CRLF is kept and works).
//! 2. `yaml`: text to a generic spanned YAML tree (serde-saphyr). A syntax error, an empty
//!    document or a document that is not a mapping stops here.
//! 3. `decode`: tree to [`RawSpec`], checking keys and value types only. It collects every
//!    problem (unknown keys, duplicate keys, wrong types, missing required keys) and keeps
//!    going; the problems travel in [`RawSpec::problems`] so that validation can report them
//!    together with its own.
//!
//! Conventions of the raw types: a scalar's span is its text in the source (quotes included);
//! an `At<Vec<_>>` carries the span of its key (`paths:`), which is where a diagnostic about
//! the list as a whole points. A required value that is `None` was absent or invalid, and that
//! problem is already in `problems`.

pub mod decode;
mod errors;
mod yaml;

use super::model::{At, SpecSpan};
use super::SpecError;

/// A list of strings as written, spanned by its key.
pub type RawList = At<Vec<At<String>>>;

/// The spec as written, with spans.
#[derive(Debug, Clone, Default)]
pub struct RawSpec {
    /// Structural problems found while decoding (reported with validation's own).
    pub problems: Vec<SpecError>,
    /// Where a missing top-level key is reported: the document's first key.
    pub anchor: SpecSpan,
    pub version: Option<At<RawVersion>>,
    pub system: Option<RawSystem>,
    pub options: Option<RawOptions>,
    /// Boundaries in declared order (a repeated name is reported and only the first kept).
    pub boundaries: Vec<RawBoundary>,
    pub layers: Option<RawList>,
    pub invariants: Vec<RawInvariant>,
    pub contracts: Vec<RawContract>,
}

/// `version:` as written: any scalar, kept with its source text for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawVersion {
    /// The value when it is an integer.
    pub number: Option<i128>,
    /// The source text of the value.
    pub text: String,
}

/// `system:` as written.
#[derive(Debug, Clone, Default)]
pub struct RawSystem {
    /// Span of the `system` key.
    pub key: SpecSpan,
    pub name: Option<At<String>>,
    pub intent: Option<At<String>>,
    /// Extension: the directory (relative to the spec's) that paths and globs are relative to.
    pub root: Option<At<String>>,
    pub exclude: Option<RawList>,
}

/// `options:` as written.
#[derive(Debug, Clone, Default)]
pub struct RawOptions {
    /// Span of the `options` key.
    pub key: SpecSpan,
    pub unassigned: Option<At<String>>,
    pub cycles: Option<At<String>>,
    pub tests: Option<At<String>>,
    pub unused_allowances: Option<At<String>>,
    pub baseline: Option<At<String>>,
    pub quoted: Option<At<String>>,
}

/// A boundary as written.
#[derive(Debug, Clone)]
pub struct RawBoundary {
    /// The boundary's name: its key under `boundaries`.
    pub name: At<String>,
    pub description: Option<At<String>>,
    pub paths: Option<RawList>,
    pub may_use: Option<RawList>,
    pub may_not_use: Option<RawList>,
    pub crates: Option<RawList>,
    pub interface: Option<RawList>,
}

/// An invariant as written.
#[derive(Debug, Clone, Default)]
pub struct RawInvariant {
    /// The whole entry.
    pub span: SpecSpan,
    /// Where to point about the entry as a whole: its `id` key, else its first key.
    pub anchor: SpecSpan,
    /// Every key present (first occurrences), with the key's span, in written order.
    pub keys: Vec<At<String>>,
    pub id: Option<At<String>>,
    pub message: Option<At<String>>,
    pub severity: Option<At<String>>,
    pub in_: Option<RawList>,
    pub except: Option<RawList>,
    pub tests: Option<At<String>>,
    pub forbid: Option<RawForbid>,
    pub require: Option<RawRequire>,
}

/// `forbid:` as written.
#[derive(Debug, Clone, Default)]
pub struct RawForbid {
    /// Span of the `forbid` key.
    pub key: SpecSpan,
    /// Every key present (first occurrences), with the key's span, in written order.
    pub keys: Vec<At<String>>,
    pub unsafe_: Option<At<bool>>,
    pub calls: Option<RawList>,
    pub macros: Option<RawList>,
    pub paths: Option<RawList>,
    pub attributes: Option<RawList>,
    pub query: Option<RawQuery>,
}

/// A tree-sitter query as written.
#[derive(Debug, Clone)]
pub struct RawQuery {
    /// The query text (the decoded scalar) and the span of its source text.
    pub text: At<String>,
    /// End of the `query` key: the scalar's indicator (`|`, `>`, a quote) follows it.
    pub after_key: usize,
}

/// `require:` as written.
#[derive(Debug, Clone, Default)]
pub struct RawRequire {
    /// Span of the `require` key.
    pub key: SpecSpan,
    /// Every key present (first occurrences), with the key's span, in written order.
    pub keys: Vec<At<String>>,
    pub items: Option<At<String>>,
    pub attribute: Option<At<String>>,
    pub doc: Option<At<bool>>,
}

/// A contract as written.
#[derive(Debug, Clone, Default)]
pub struct RawContract {
    /// The whole entry.
    pub span: SpecSpan,
    /// Where to point about the entry as a whole: its `id` key, else its first key.
    pub anchor: SpecSpan,
    /// Every key present (first occurrences), with the key's span, in written order.
    pub keys: Vec<At<String>>,
    pub id: Option<At<String>>,
    pub description: Option<At<String>>,
    pub module: Option<At<String>>,
    pub file: Option<At<String>>,
    pub krate: Option<At<String>>,
    pub exports: Option<RawList>,
    pub exhaustive: Option<At<bool>>,
    pub only_from: Option<RawList>,
    pub env: Option<RawList>,
}

/// Checks the bytes are UTF-8 and returns the text, without a leading BOM.
///
/// On invalid UTF-8 the text is decoded lossily (each bad sequence becomes U+FFFD, which
/// leaves every earlier byte offset unchanged) and one `spec::encoding` error points at the
/// first bad byte. Nothing else is normalised: spans are byte offsets into the returned text.
pub fn decode_text(bytes: &[u8]) -> (String, Vec<SpecError>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), Vec::new()),
        Err(error) => {
            let at = error.valid_up_to();
            let byte = bytes.get(at).copied().unwrap_or_default();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let end = at + text[at..].chars().next().map_or(0, char::len_utf8);
            (text, vec![errors::encoding(byte, at..end)])
        }
    }
}

/// `spec::too-large` for a spec file over [`crate::spec::MAX_SPEC_BYTES`].
pub fn file_too_large() -> SpecError {
    let limit = crate::spec::MAX_SPEC_BYTES;
    errors::too_large(
        &format!("the file is larger than {limit} bytes (1 MiB)"),
        0..0,
    )
}

/// Parses YAML text into the raw spec.
///
/// `Err` means the text could not be read as a spec at all (a YAML syntax error, an empty
/// document, a document that is not a mapping). Structural problems of a readable spec are
/// returned inside [`RawSpec::problems`].
pub fn parse(source: &str) -> Result<RawSpec, Vec<SpecError>> {
    let document = yaml::load(source).map_err(|error| vec![error])?;
    match &document.kind {
        yaml::YamlKind::Map(entries) => Ok(decode::spec(source, entries)),
        yaml::YamlKind::Null => Err(vec![errors::empty()]),
        other => Err(vec![errors::top_not_a_mapping(
            other.describe(),
            document.span.clone(),
        )]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_a_bom() {
        let (text, errors) = decode_text(b"\xEF\xBB\xBFversion: 1\r\n");
        assert_eq!(text, "version: 1\r\n");
        assert!(errors.is_empty());
    }

    #[test]
    fn reports_the_first_bad_byte() {
        let (text, errors) = decode_text(b"ab\xFFcd\xFE");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "spec::encoding");
        assert_eq!(errors[0].span, 2..5);
        assert_eq!(&text[errors[0].span.clone()], "\u{FFFD}");
    }

    #[test]
    fn empty_and_non_mapping_documents_are_errors() {
        assert_eq!(parse("").unwrap_err()[0].code, "spec::empty");
        assert_eq!(parse("# nothing\n").unwrap_err()[0].code, "spec::empty");
        assert_eq!(parse("- a\n").unwrap_err()[0].code, "spec::type");
        assert_eq!(parse("a: [\n").unwrap_err()[0].code, "spec::yaml");
    }

    #[test]
    fn a_clean_spec_has_no_problems() {
        let raw =
            parse("version: 1\nsystem: {name: x}\nboundaries:\n  a: {paths: [src/**]}\n").unwrap();
        assert!(raw.problems.is_empty(), "{:?}", raw.problems);
        assert_eq!(raw.boundaries.len(), 1);
        assert_eq!(raw.boundaries[0].name.value, "a");
    }
}
