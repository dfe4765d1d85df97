//! User-written tree-sitter queries: compiled at load time, and a compile error located at
//! the exact line and column of ribo.yaml, inside the YAML scalar that holds the query.

use std::ops::Range;

use tree_sitter::{Language, QueryError, QueryErrorKind};

use super::errors;
use crate::spec::lines::{clamp_to_char, Lines};
use crate::spec::model::Query;
use crate::spec::raw::RawQuery;
use crate::spec::suggest::nearest;
use crate::spec::SpecError;

/// Compiles every query as one (their texts joined by `\n`, in order): the query the parse
/// runs, compiled once. When that fails, or when a pattern of it would straddle two texts,
/// each query is compiled on its own to report its errors at their exact place (and a
/// set of queries valid one by one but not together gets no shared compilation).
pub(super) fn compile_all(
    source: &str,
    raws: &[&RawQuery],
) -> Result<Option<tree_sitter::Query>, Vec<SpecError>> {
    if raws.is_empty() {
        return Ok(None);
    }
    let language: Language = tree_sitter_rust::LANGUAGE.into();
    let mut combined = String::new();
    let mut bounds = Vec::with_capacity(raws.len());
    for raw in raws {
        let start = combined.len();
        combined.push_str(&raw.text.value);
        bounds.push(start..combined.len());
        combined.push('\n');
    }
    if let Ok(query) = tree_sitter::Query::new(&language, &combined) {
        let within = |p: usize| {
            let (start, end) = (
                query.start_byte_for_pattern(p),
                query.end_byte_for_pattern(p),
            );
            bounds
                .iter()
                .position(|b| b.start <= start && end <= b.end + 1)
        };
        let owners: Vec<Option<usize>> = (0..query.pattern_count()).map(within).collect();
        let every_text_has_a_pattern = (0..raws.len()).all(|i| owners.contains(&Some(i)));
        if owners.iter().all(Option::is_some) && every_text_has_a_pattern {
            return Ok(Some(query));
        }
    }
    let errors: Vec<SpecError> = raws
        .iter()
        .filter_map(|raw| compile(source, raw).err())
        .collect();
    if errors.is_empty() {
        Ok(None)
    } else {
        Err(errors)
    }
}

/// Compiles the query against the Rust grammar.
pub(super) fn compile(source: &str, raw: &RawQuery) -> Result<Query, SpecError> {
    let language: Language = tree_sitter_rust::LANGUAGE.into();
    match tree_sitter::Query::new(&language, &raw.text.value) {
        Ok(_) => Ok(Query {
            text: raw.text.clone(),
        }),
        Err(error) => Err(query_error(source, raw, &language, &error)),
    }
}

fn query_error(source: &str, raw: &RawQuery, language: &Language, error: &QueryError) -> SpecError {
    let start = source_offset(source, raw, error.offset);
    let span = token_span(source, start, &error.message);
    let name = error.message.trim().trim_matches('"');
    let suggestion = match error.kind {
        QueryErrorKind::NodeType => nearest(name, node_kinds(language)).map(str::to_owned),
        QueryErrorKind::Field => nearest(name, field_names(language)).map(str::to_owned),
        _ => None,
    };
    errors::query(&error.kind, name, span, suggestion)
}

fn node_kinds(language: &Language) -> Vec<&str> {
    let ids = 0..language.node_kind_count();
    ids.filter_map(|id| u16::try_from(id).ok())
        .filter(|&id| language.node_kind_is_named(id) && language.node_kind_is_visible(id))
        .filter_map(|id| language.node_kind_for_id(id))
        .collect()
}

fn field_names(language: &Language) -> Vec<&str> {
    let ids = 1..=language.field_count();
    ids.filter_map(|id| u16::try_from(id).ok())
        .filter_map(|id| language.field_name_for_id(id))
        .collect()
}

/// The span to underline from `start`: the name the error is about when it is there, else
/// the word (or the one character) at `start`.
fn token_span(source: &str, start: usize, name: &str) -> Range<usize> {
    let rest = &source[start..];
    let name = name.trim();
    if !name.is_empty() && rest.starts_with(name) {
        return start..start + name.len();
    }
    let word = rest
        .find(|c: char| {
            !(c.is_alphanumeric() || matches!(c, '_' | '-' | '@' | '.' | '#' | '?' | '!'))
        })
        .unwrap_or(rest.len());
    let one = rest
        .chars()
        .next()
        .filter(|c| *c != '\n' && *c != '\r')
        .map_or(0, char::len_utf8);
    start..start + word.max(one)
}

/// How the query's YAML scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `|`, `|-`, `|+`, with an optional explicit indentation digit.
    Literal { explicit_indent: Option<usize> },
    /// `>`, plain, single- or double-quoted: mapped by walking text and source together.
    Other { double_quoted: bool },
}

/// Maps a byte offset in the query text to a byte offset in the spec source.
fn source_offset(source: &str, raw: &RawQuery, offset: usize) -> usize {
    let value = &raw.text.value;
    let offset = clamp_to_char(value, offset);
    let mapped = match style(source, raw.after_key) {
        Style::Literal { explicit_indent } => literal_offset(source, raw, offset, explicit_indent),
        Style::Other { double_quoted } => walk_offset(source, raw, offset, double_quoted),
    };
    clamp_to_char(source, mapped.unwrap_or(raw.text.span.start))
}

/// Reads the scalar's indicator after `query:` (skipping a tag or an anchor).
fn style(source: &str, after_key: usize) -> Style {
    let mut rest = source
        .get(after_key..)
        .unwrap_or("")
        .trim_start_matches([' ', '\t']);
    rest = rest
        .strip_prefix(':')
        .unwrap_or(rest)
        .trim_start_matches([' ', '\t']);
    while rest.starts_with(['!', '&']) {
        let token = rest.find([' ', '\t', '\n']).unwrap_or(rest.len());
        rest = rest[token..].trim_start_matches([' ', '\t']);
    }
    match rest.chars().next() {
        Some('|') => {
            let header = &rest[1..rest.find(['\n', '#', ' ']).unwrap_or(rest.len())];
            let digit = header.chars().find_map(|c| c.to_digit(10));
            Style::Literal {
                explicit_indent: digit.and_then(|d| usize::try_from(d).ok()),
            }
        }
        Some('"') => Style::Other {
            double_quoted: true,
        },
        _ => Style::Other {
            double_quoted: false,
        },
    }
}

/// A literal block's line `r` is source line `header + 1 + r`, minus the block indentation.
fn literal_offset(
    source: &str,
    raw: &RawQuery,
    offset: usize,
    explicit: Option<usize>,
) -> Option<usize> {
    let lines = Lines::new(source);
    let value = &raw.text.value[..offset];
    let row = value.matches('\n').count();
    let column = value.len() - value.rfind('\n').map_or(0, |at| at + 1);
    let header = lines.line_of(raw.after_key);
    let indent = match explicit {
        Some(digit) => key_indent(&lines, raw.after_key) + digit,
        None => {
            let first = raw.text.span.start;
            first - lines.line_range(lines.line_of(first))?.start
        }
    };
    let line = lines.line_range(header + 1 + row)?;
    Some((line.start + indent + column).min(line.end))
}

/// Indentation of the mapping that holds the `query` key (its column).
fn key_indent(lines: &Lines<'_>, after_key: usize) -> usize {
    let key_start = after_key.saturating_sub("query".len());
    lines
        .line_range(lines.line_of(key_start))
        .map_or(0, |line| key_start.saturating_sub(line.start))
}

/// Walks the decoded text and its source together: equal characters match; a folded line
/// break matches a space or newline; indentation and quotes are skipped; a double-quoted
/// escape matches the character it stands for.
fn walk_offset(source: &str, raw: &RawQuery, offset: usize, double_quoted: bool) -> Option<usize> {
    let limit = raw.text.span.end;
    let mut at = raw.text.span.start;
    for wanted in raw.text.value[..offset].chars() {
        at = matching(source, at, limit, wanted, double_quoted)?.end;
    }
    match raw.text.value[offset..].chars().next() {
        Some(wanted) => matching(source, at, limit, wanted, double_quoted).map(|range| range.start),
        None => Some(at),
    }
}

/// The source range, at or after `from`, that produced the decoded character `wanted`.
fn matching(
    source: &str,
    from: usize,
    limit: usize,
    wanted: char,
    double_quoted: bool,
) -> Option<Range<usize>> {
    let mut at = from;
    while at < limit {
        let rest = source.get(at..)?;
        let found = rest.chars().next()?;
        if double_quoted && found == '\\' {
            return Some(at..at + escape_len(rest));
        }
        if found == wanted {
            return Some(at..at + found.len_utf8());
        }
        if matches!(wanted, ' ' | '\n') && matches!(found, '\r' | '\n') {
            let newline = if rest.starts_with("\r\n") { 2 } else { 1 };
            return Some(at..at + newline);
        }
        at += found.len_utf8();
    }
    None
}

/// Length of a double-quoted escape sequence starting at a backslash.
fn escape_len(rest: &str) -> usize {
    let digits = match rest.as_bytes().get(1) {
        Some(b'x') => 2,
        Some(b'u') => 4,
        Some(b'U') => 8,
        _ => 0,
    };
    let escaped = rest[1..].chars().next().map_or(0, char::len_utf8);
    (1 + escaped + digits).min(rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::raw::parse;

    /// The (line, column) in `source` of the error of the first invariant's query.
    fn error_at(source: &str) -> (usize, usize, String) {
        let raw = parse(source).unwrap();
        let forbid = raw.invariants[0].forbid.as_ref().unwrap();
        let error = compile(source, forbid.query.as_ref().unwrap()).unwrap_err();
        let lines = Lines::new(source);
        let text = source[error.span.clone()].to_owned();
        (
            lines.line_of(error.span.start),
            lines.column_of(error.span.start),
            text,
        )
    }

    fn spec(query: &str) -> String {
        format!("version: 1\ninvariants:\n  - id: q\n    forbid:\n      query: {query}\n")
    }

    #[test]
    fn valid_queries_compile() {
        let source = spec("|\n        (function_item name: (identifier) @violation)\n");
        let raw = parse(&source).unwrap();
        let forbid = raw.invariants[0].forbid.as_ref().unwrap();
        assert!(compile(&source, forbid.query.as_ref().unwrap()).is_ok());
    }

    /// The queries of every invariant of `source`, compiled together.
    fn all(source: &str) -> Result<Option<tree_sitter::Query>, Vec<SpecError>> {
        let raw = parse(source).unwrap();
        let queries: Vec<&RawQuery> = raw
            .invariants
            .iter()
            .filter_map(|i| i.forbid.as_ref()?.query.as_ref())
            .collect();
        compile_all(source, &queries)
    }

    fn specs(queries: &[&str]) -> String {
        let mut s = String::from("version: 1\ninvariants:\n");
        for (i, q) in queries.iter().enumerate() {
            s.push_str(&format!("  - id: q{i}\n    forbid:\n      query: {q}\n"));
        }
        s
    }

    #[test]
    fn queries_compile_once_together_and_errors_stay_located() {
        let good = specs(&["\"(unsafe_block) @violation\"", "\"(loop_expression) @x\""]);
        let compiled = all(&good).unwrap().expect("compiled together");
        assert_eq!(compiled.pattern_count(), 2);
        assert!(all(&specs(&[])).unwrap().is_none());

        // The second query is wrong: its error points into its own scalar, not the first's.
        let bad = specs(&["\"(unsafe_block) @violation\"", "\"(loop_expresion) @x\""]);
        let errors = all(&bad).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(&bad[errors[0].span.clone()], "loop_expresion");

        // Two halves of a pattern are valid together but not each alone: both are errors.
        let halves = specs(&["\"(call_expression\"", "\")\""]);
        assert_eq!(all(&halves).unwrap_err().len(), 2);
    }

    #[test]
    fn literal_block_errors_land_on_their_line() {
        let source = spec("|\n        (function_item\n          name: (identifer) @violation)\n");
        assert_eq!(error_at(&source), (7, 18, "identifer".to_owned()));
        let strip = spec("|-\n        (function_item\n          name: (identifer) @violation)\n");
        assert_eq!(error_at(&strip), (7, 18, "identifer".to_owned()));
        let keep = spec("|+\n\n        (function_item\n          nme: (identifier))\n");
        assert_eq!(error_at(&keep), (8, 11, "nme".to_owned()));
        let explicit = spec("|2\n        (function_item\n          name: (identifer))\n");
        assert_eq!(error_at(&explicit), (7, 18, "identifer".to_owned()));
    }

    #[test]
    fn folded_and_flow_scalars_are_walked() {
        let folded = spec(">\n        (function_item\n          name: (identifer))\n");
        assert_eq!(error_at(&folded), (7, 18, "identifer".to_owned()));
        let plain = spec("(function_item (identifer))");
        assert_eq!(error_at(&plain), (5, 30, "identifer".to_owned()));
        let quoted = spec("\"((string_literal) @s (#eq? @s \\\"\\x41\\\")) (identifer)\"");
        assert_eq!(error_at(&quoted), (5, 57, "identifer".to_owned()));
        let single = spec("'(function_item name: (identifer))'");
        assert_eq!(error_at(&single), (5, 37, "identifer".to_owned()));
    }

    #[test]
    fn crlf_sources_map_like_lf() {
        let source =
            spec("|\n        (function_item\n          name: (identifer))\n").replace('\n', "\r\n");
        assert_eq!(error_at(&source), (7, 18, "identifer".to_owned()));
        let folded = spec(">-\n        (function_item\n          name: (identifer))\n")
            .replace('\n', "\r\n");
        assert_eq!(error_at(&folded), (7, 18, "identifer".to_owned()));
    }

    #[test]
    fn unclosed_queries_point_at_the_end() {
        let source = spec("|\n        (function_item\n");
        let (line, _, _) = error_at(&source);
        assert!(line >= 6, "{line}");
    }
}
