//! The spec as written: YAML parsed with spans into a structural form. (stub)
use super::SpecError;

/// The spec as written, with spans. (stub)
#[derive(Debug, Clone, Default)]
pub struct RawSpec {}

/// Checks the bytes are UTF-8 (stripping a BOM) and returns the text.
pub fn decode_text(bytes: &[u8]) -> (String, Vec<SpecError>) {
    (String::from_utf8_lossy(bytes).into_owned(), Vec::new())
}

/// Parses YAML text into the raw spec.
pub fn parse(_source: &str) -> Result<RawSpec, Vec<SpecError>> {
    Ok(RawSpec {})
}
