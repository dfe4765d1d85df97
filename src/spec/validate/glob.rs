//! Globs over file paths (relative to the spec root) and over crate names.

use std::path::Path;

use globset::GlobBuilder;

use super::errors;
use crate::spec::model::{At, CratePattern, Glob};
use crate::spec::SpecError;

/// Characters that make a glob more than a literal path.
const META: [char; 4] = ['*', '?', '[', '{'];

/// Compiles a path glob: `*` and `?` stay within one path component, `**` crosses them.
/// A leading `./` is dropped; an absolute glob or one with a `..` component is rejected.
pub(super) fn path_glob(raw: &At<String>) -> Result<Glob, SpecError> {
    let text = relative(raw)?;
    let matcher = compile(text, raw)?;
    Ok(Glob {
        text: text.to_owned(),
        span: raw.span.clone(),
        matcher,
        specificity: specificity(text),
    })
}

/// A crate-name glob; `-` and `_` are equivalent, so both the pattern and the names it is
/// matched against use `_`.
pub(super) fn crate_pattern(raw: &At<String>) -> Result<CratePattern, SpecError> {
    let text = raw.value.trim();
    if text.is_empty() {
        return Err(errors::glob(
            text,
            "a crate pattern cannot be empty",
            raw.span.clone(),
        ));
    }
    let normalised = text.replace('-', "_");
    let matcher = compile(&normalised, raw)?;
    Ok(CratePattern {
        text: text.to_owned(),
        span: raw.span.clone(),
        matcher,
    })
}

/// A plain path relative to the spec root (a contract's `file:`), checked like a glob's.
pub(super) fn relative_path(raw: &At<String>) -> Result<String, SpecError> {
    relative(raw).map(str::to_owned)
}

/// The text without leading `./`, refused when empty, absolute, or climbing out with `..`.
fn relative(raw: &At<String>) -> Result<&str, SpecError> {
    let mut text = raw.value.trim();
    while let Some(rest) = text.strip_prefix("./") {
        text = rest;
    }
    if text.is_empty() {
        return Err(errors::glob(
            &raw.value,
            "a glob cannot be empty",
            raw.span.clone(),
        ));
    }
    if is_absolute(text) {
        return Err(errors::glob_absolute(&raw.value, raw.span.clone()));
    }
    if text
        .split(['/', '\\', '{', '}', ','])
        .any(|part| part == "..")
    {
        return Err(errors::glob_parent(&raw.value, raw.span.clone()));
    }
    Ok(text)
}

/// `/x`, `\x`, `C:...`, or whatever the platform calls absolute.
fn is_absolute(text: &str) -> bool {
    let drive = text.as_bytes().get(1) == Some(&b':')
        && text.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    text.starts_with(['/', '\\']) || drive || Path::new(text).is_absolute()
}

fn compile(text: &str, raw: &At<String>) -> Result<globset::GlobMatcher, SpecError> {
    GlobBuilder::new(text)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|glob| glob.compile_matcher())
        .map_err(|error| errors::glob(&raw.value, &error.kind().to_string(), raw.span.clone()))
}

/// (length of the literal prefix, count of literal characters): `src/api/**` is more specific
/// than `src/**`, and `src/*.rs` more than `src/*`. Character classes count as one
/// wildcard; alternation braces and commas are not literal.
fn specificity(text: &str) -> (usize, usize) {
    let prefix = text.chars().take_while(|c| !META.contains(c)).count();
    let mut literal = 0;
    let mut in_class = false;
    for c in text.chars() {
        match c {
            '[' => in_class = true,
            ']' => in_class = false,
            '*' | '?' | '{' | '}' | ',' => {}
            _ if !in_class => literal += 1,
            _ => {}
        }
    }
    (prefix, literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> At<String> {
        At::new(text.to_owned(), 0..text.len())
    }

    fn code(text: &str) -> &'static str {
        path_glob(&at(text)).err().map_or("ok", |error| error.code)
    }

    #[test]
    fn star_stays_in_one_directory() {
        let glob = path_glob(&at("./src/*.rs")).unwrap();
        assert_eq!(glob.text, "src/*.rs");
        assert!(glob.matcher.is_match("src/lib.rs"));
        assert!(!glob.matcher.is_match("src/a/lib.rs"));
        let deep = path_glob(&at("src/**")).unwrap();
        assert!(deep.matcher.is_match("src/a/b/lib.rs"));
    }

    #[test]
    fn escaping_and_invalid_globs_are_refused() {
        assert_eq!(code("src/[a"), "spec::glob");
        assert_eq!(code(""), "spec::glob");
        assert_eq!(code("../x/**"), "spec::glob-escape");
        assert_eq!(code("src/../../x"), "spec::glob-escape");
        assert_eq!(code("src/{a,..}/x"), "spec::glob-escape");
        assert_eq!(code("/etc/**"), "spec::glob-escape");
        assert_eq!(code("C:/x"), "spec::glob-escape");
        assert_eq!(code("src/..x/y"), "ok");
    }

    #[test]
    fn specificity_prefers_longer_literals() {
        assert_eq!(specificity("src/**"), (4, 4));
        assert_eq!(specificity("src/api/**"), (8, 8));
        assert_eq!(specificity("src/*.rs"), (4, 7));
        assert_eq!(specificity("src/[ab].rs"), (4, 7));
        assert!(specificity("src/main.rs") > specificity("src/**"));
    }

    #[test]
    fn crate_patterns_treat_dash_as_underscore() {
        let pattern = crate_pattern(&at("aws-sdk-*")).unwrap();
        assert!(pattern.matcher.is_match("aws_sdk_s3"));
        assert!(!pattern.matcher.is_match("aws_config"));
    }
}
