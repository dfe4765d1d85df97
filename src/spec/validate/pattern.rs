//! Small languages inside spec strings: call/macro/path patterns, item selectors, names.

use super::errors;
use crate::spec::model::{At, ItemKind, ItemSelector, PathPattern, PatternSegment};
use crate::spec::SpecError;

/// Which list a path pattern comes from; `macros` entries may end with `!`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PatternKind {
    Call,
    Macro,
    Path,
}

/// Parses `a::b::*`, `**::delete_stack`, `delete_*`, `panic!` (macros only).
pub(super) fn path_pattern(raw: &At<String>, kind: PatternKind) -> Result<PathPattern, SpecError> {
    let written = raw.value.trim();
    let text = match kind {
        PatternKind::Macro => written.strip_suffix('!').unwrap_or(written),
        _ => written,
    };
    let segments = segments(text).map_err(|reason| {
        let help = macro_hint(written, kind).unwrap_or(SHAPE);
        errors::pattern(
            "path pattern",
            written,
            &reason,
            raw.span.clone(),
            Some(help),
        )
    })?;
    Ok(PathPattern {
        text: text.to_owned(),
        span: raw.span.clone(),
        segments,
    })
}

/// `crate::api`, `my_crate::orders`: a module path without wildcards.
pub(super) fn module_path(raw: &At<String>) -> Result<String, SpecError> {
    let text = raw.value.trim();
    let invalid =
        |reason: &str| errors::pattern("module path", text, reason, raw.span.clone(), None);
    let segments = segments(text).map_err(|reason| invalid(&reason))?;
    let literal = segments.iter().all(|segment| match segment {
        PatternSegment::Name(name) => !name.contains('*'),
        _ => false,
    });
    match literal {
        true => Ok(text.to_owned()),
        false => Err(invalid("a module path has no wildcards")),
    }
}

fn macro_hint(written: &str, kind: PatternKind) -> Option<&'static str> {
    (kind != PatternKind::Macro && written.ends_with('!'))
        .then_some("macro invocations are matched by `forbid.macros`")
}

const SHAPE: &str = "a pattern is names separated by `::`; `*` stands for one segment, `**` \
                     for any number, and `*` inside a name for any characters";

/// The `::`-separated segments, or why there are none.
fn segments(text: &str) -> Result<Vec<PatternSegment>, String> {
    if text.is_empty() {
        return Err("the pattern is empty".to_owned());
    }
    if text.starts_with("::") {
        return Err("it starts with `::`".to_owned());
    }
    if text.ends_with("::") {
        return Err("it ends with `::`".to_owned());
    }
    let parts = text.split("::");
    parts
        .map(|part| match part {
            "" => Err("it has an empty segment".to_owned()),
            _ => segment(part).ok_or_else(|| format!("`{part}` is not a name")),
        })
        .collect()
}

fn segment(text: &str) -> Option<PatternSegment> {
    let name = text.strip_prefix("r#").unwrap_or(text);
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '*');
    match text {
        "*" => Some(PatternSegment::Any),
        "**" => Some(PatternSegment::AnyMany),
        _ if valid => Some(PatternSegment::Name(text.to_owned())),
        _ => None,
    }
}

/// Every accepted `items:` selector, for the help text.
pub(super) const ITEM_SELECTORS: &[&str] = &[
    "fn",
    "pub fn",
    "async fn",
    "pub async fn",
    "struct",
    "pub struct",
    "enum",
    "pub enum",
    "union",
    "pub union",
    "trait",
    "pub trait",
    "impl",
    "type",
    "pub type",
    "const",
    "pub const",
    "static",
    "pub static",
    "mod",
    "pub mod",
    "macro",
    "pub",
    "any",
];

/// Parses an `items:` selector: `[pub] [async] kind`, `pub` (any pub item), `any` or `*`.
/// `async` goes with `fn` only; `impl` and `macro` cannot be `pub`. Whitespace is free.
pub(super) fn item_selector(text: &str) -> Option<ItemSelector> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if matches!(words.as_slice(), ["any"] | ["*"]) {
        return Some(ItemSelector {
            public: false,
            asyncness: false,
            kind: None,
        });
    }
    let (public, rest) = match words.split_first() {
        Some((&"pub", rest)) => (true, rest),
        _ => (false, words.as_slice()),
    };
    let (asyncness, rest) = match rest.split_first() {
        Some((&"async", rest)) => (true, rest),
        _ => (false, rest),
    };
    let kind = match rest {
        [] if public && !asyncness => None,
        [word] => Some(item_kind(word)?),
        _ => return None,
    };
    let allowed = match kind {
        Some(ItemKind::Fn) => true,
        Some(ItemKind::Impl | ItemKind::Macro) => !public && !asyncness,
        _ => !asyncness,
    };
    allowed.then_some(ItemSelector {
        public,
        asyncness,
        kind,
    })
}

fn item_kind(word: &str) -> Option<ItemKind> {
    Some(match word {
        "fn" => ItemKind::Fn,
        "struct" => ItemKind::Struct,
        "enum" => ItemKind::Enum,
        "union" => ItemKind::Union,
        "trait" => ItemKind::Trait,
        "impl" => ItemKind::Impl,
        "type" => ItemKind::Type,
        "const" => ItemKind::Const,
        "static" => ItemKind::Static,
        "mod" => ItemKind::Mod,
        "macro" => ItemKind::Macro,
        _ => return None,
    })
}

/// A boundary name, invariant id or contract id: `[a-z][a-z0-9_-]*`.
pub(super) fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// A valid identifier close to `text`, if there is one: lower-cased, with spaces and dots as
/// `-` and a `-` between a lower-case letter or digit and an upper-case letter (`NoPanics` ->
/// `no-panics`).
pub(super) fn fixed_identifier(text: &str) -> Option<String> {
    let mut fixed = String::new();
    let mut previous = ' ';
    for c in text.trim().chars() {
        match c {
            ' ' | '.' | '/' => fixed.push('-'),
            c if c.is_uppercase() && (previous.is_lowercase() || previous.is_ascii_digit()) => {
                fixed.push('-');
                fixed.extend(c.to_lowercase());
            }
            c => fixed.extend(c.to_lowercase()),
        }
        previous = c;
    }
    is_identifier(&fixed).then_some(fixed)
}

/// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub(super) fn is_env_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An attribute as users may write it: `instrument`, `tracing::instrument` or
/// `#[instrument]`; the `#[...]` wrapper is dropped. `None` when nothing remains.
pub(super) fn attribute(text: &str) -> Option<String> {
    let text = text.trim();
    let inner = text
        .strip_prefix("#![")
        .or_else(|| text.strip_prefix("#["))
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(text)
        .trim();
    (!inner.is_empty()).then(|| inner.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use PatternSegment::{Any, AnyMany, Name};

    fn parse(text: &str, kind: PatternKind) -> Result<Vec<PatternSegment>, SpecError> {
        let raw = At::new(text.to_owned(), 0..text.len());
        path_pattern(&raw, kind).map(|pattern| pattern.segments)
    }

    fn name(text: &str) -> PatternSegment {
        Name(text.to_owned())
    }

    #[test]
    fn patterns_split_on_double_colons() {
        let call = PatternKind::Call;
        assert_eq!(parse("unwrap", call).unwrap(), [name("unwrap")]);
        assert_eq!(
            parse("std::process::exit", call).unwrap(),
            [name("std"), name("process"), name("exit")]
        );
        assert_eq!(parse("*::delete_*", call).unwrap(), [Any, name("delete_*")]);
        assert_eq!(
            parse("sqlx::**", PatternKind::Path).unwrap(),
            [name("sqlx"), AnyMany]
        );
        assert_eq!(
            parse("panic!", PatternKind::Macro).unwrap(),
            [name("panic")]
        );
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "",
            "::std::fs",
            "std::",
            "a::::b",
            "unwrap()",
            "a b",
            "panic!",
        ] {
            let error = parse(bad, PatternKind::Call).unwrap_err();
            assert_eq!(error.code, "spec::pattern", "{bad}");
        }
    }

    #[test]
    fn item_selectors() {
        let pub_fn = item_selector("pub  fn").unwrap();
        assert!(pub_fn.public && !pub_fn.asyncness);
        assert_eq!(pub_fn.kind, Some(ItemKind::Fn));
        assert_eq!(item_selector("pub").unwrap().kind, None);
        assert!(item_selector("pub async fn").unwrap().asyncness);
        assert!(item_selector("*").is_some());
        for bad in [
            "pub function",
            "async struct",
            "pub impl",
            "pub pub",
            "",
            "fn fn",
        ] {
            assert_eq!(item_selector(bad), None, "{bad}");
        }
        for good in ITEM_SELECTORS {
            assert!(item_selector(good).is_some(), "{good}");
        }
    }

    #[test]
    fn names() {
        assert!(is_identifier("no-unsafe_2"));
        assert!(!is_identifier("Domain"));
        assert!(!is_identifier("2fa"));
        assert_eq!(fixed_identifier("Order API"), Some("order-api".to_owned()));
        assert_eq!(fixed_identifier("NoPanics"), Some("no-panics".to_owned()));
        assert_eq!(fixed_identifier("9lives"), None);
        assert!(is_env_name("_DATABASE_URL2"));
        assert!(!is_env_name("DATABASE-URL"));
        assert!(!is_env_name("1X"));
        assert_eq!(attribute("#[instrument]").as_deref(), Some("instrument"));
        assert_eq!(
            attribute(" tracing::instrument ").as_deref(),
            Some("tracing::instrument")
        );
        assert_eq!(attribute("#[]"), None);
    }
}
