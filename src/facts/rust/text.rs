//! Byte-level helpers: spans, node text, attribute normalisation. Nothing here panics on
//! arbitrary (even non-UTF-8) input.

use crate::facts::model::Span;
use std::cell::Cell;
use tree_sitter::Node;

fn clamp(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// The bytes of `start..end`, or nothing when the range is not inside `src`.
#[inline]
pub(crate) fn slice(src: &[u8], start: usize, end: usize) -> &[u8] {
    src.get(start..end).unwrap_or_default()
}

#[inline]
pub(crate) fn node_bytes<'s>(src: &'s [u8], node: Node<'_>) -> &'s [u8] {
    slice(src, node.start_byte(), node.end_byte())
}

/// The text of `start..end` as an owned string, invalid UTF-8 replaced.
pub(crate) fn text(src: &[u8], start: usize, end: usize) -> String {
    String::from_utf8_lossy(slice(src, start, end)).into_owned()
}

pub(crate) fn node_text(src: &[u8], node: Node<'_>) -> String {
    text(src, node.start_byte(), node.end_byte())
}

fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Computes spans. The column is counted in characters (bytes that are not UTF-8
/// continuation bytes) from the start of the line; the last position is remembered so that
/// many spans on one long line (minified code) cost the distance between them, not the
/// distance from the line start each time.
#[derive(Debug, Default)]
pub(crate) struct Spanner {
    /// (line start byte, byte, characters from the line start to that byte)
    last: Cell<(usize, usize, usize)>,
}

impl Spanner {
    fn chars_before(&self, src: &[u8], line_start: usize, start: usize) -> usize {
        let (ls, b, c) = self.last.get();
        let n = if ls == line_start && b <= start {
            c + count_chars(slice(src, b, start))
        } else if ls == line_start && start - line_start > b - start {
            c.saturating_sub(count_chars(slice(src, start, b)))
        } else {
            count_chars(slice(src, line_start, start))
        };
        self.last.set((line_start, start, n));
        n
    }

    /// A span from byte `start` (on 0-based `row`, `byte_col` bytes into its line) to `end`.
    pub(crate) fn at(
        &self,
        src: &[u8],
        start: usize,
        end: usize,
        row: usize,
        byte_col: usize,
    ) -> Span {
        let line_start = start.saturating_sub(byte_col);
        let chars = self.chars_before(src, line_start, start);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
            line: clamp(row.saturating_add(1)),
            col: clamp(chars.saturating_add(1)),
        }
    }

    pub(crate) fn node(&self, src: &[u8], node: Node<'_>) -> Span {
        let p = node.start_position();
        self.at(src, node.start_byte(), node.end_byte(), p.row, p.column)
    }

    /// A span from the start of `first` to the end of `last`.
    pub(crate) fn join(&self, src: &[u8], first: Node<'_>, last: Node<'_>) -> Span {
        let p = first.start_position();
        self.at(src, first.start_byte(), last.end_byte(), p.row, p.column)
    }
}

/// Number of lines: newlines, plus one for a last line without a newline.
pub(crate) fn count_lines(src: &[u8]) -> u32 {
    let newlines = src.iter().filter(|&&b| b == b'\n').count();
    let extra = usize::from(src.last().is_some_and(|&b| b != b'\n'));
    clamp(newlines.saturating_add(extra))
}

/// Nothing but spaces and tabs between the start of the line and byte `start`.
pub(crate) fn own_line(src: &[u8], start: usize, byte_col: usize) -> bool {
    slice(src, start.saturating_sub(byte_col), start)
        .iter()
        .rev()
        .all(|&b| b == b' ' || b == b'\t' || b == b'\r' || b == b'\x0c')
}

/// Attribute text without whitespace (kept inside string literals).
pub(crate) fn normalise_attr(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut in_str = false;
    let mut escaped = false;
    for &b in bytes {
        if in_str {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
        } else if b == b'"' {
            in_str = true;
            out.push(b);
        } else if !b.is_ascii_whitespace() {
            out.push(b);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a `cfg(..)` predicate (the argument token tree, parentheses included) holds only
/// in test builds: `test`, `all(.., test, ..)`, `any(..)` whose every branch implies test.
/// `not(..)` never does. Nesting deeper than a few dozen levels gives `false`.
pub(crate) fn cfg_implies_test(args: &[u8]) -> bool {
    let toks = cfg_tokens(args);
    let mut pos = 0;
    // The argument list is `( pred )`.
    if toks.first() != Some(&CfgTok::Open) {
        return false;
    }
    pos += 1;
    let r = cfg_pred(&toks, &mut pos, 0);
    r && toks.get(pos) == Some(&CfgTok::Close)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CfgTok<'a> {
    Word(&'a [u8]),
    Open,
    Close,
    Comma,
    Other,
}

fn cfg_tokens(b: &[u8]) -> Vec<CfgTok<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'(' => out.push(CfgTok::Open),
            b')' => out.push(CfgTok::Close),
            b',' => out.push(CfgTok::Comma),
            b'"' => {
                // Skip the string literal.
                i += 1;
                while let Some(&d) = b.get(i) {
                    if d == b'\\' {
                        i += 1;
                    } else if d == b'"' {
                        break;
                    }
                    i += 1;
                }
                out.push(CfgTok::Other);
            }
            _ if c.is_ascii_alphanumeric() || c == b'_' => {
                let start = i;
                while b
                    .get(i + 1)
                    .is_some_and(|d| d.is_ascii_alphanumeric() || *d == b'_')
                {
                    i += 1;
                }
                out.push(CfgTok::Word(slice(b, start, i + 1)));
            }
            _ if c.is_ascii_whitespace() => {}
            _ => out.push(CfgTok::Other),
        }
        i += 1;
    }
    out
}

/// Parses one predicate at `pos`; returns whether it implies `test`.
fn cfg_pred(toks: &[CfgTok<'_>], pos: &mut usize, depth: u32) -> bool {
    if depth > 32 {
        *pos = toks.len();
        return false;
    }
    let Some(CfgTok::Word(w)) = toks.get(*pos).copied() else {
        skip_pred(toks, pos);
        return false;
    };
    *pos += 1;
    if toks.get(*pos) != Some(&CfgTok::Open) {
        // `test`, `unix`, or `feature = "x"`.
        let plain = !matches!(toks.get(*pos), Some(CfgTok::Other));
        skip_pred(toks, pos);
        return plain && w == b"test";
    }
    *pos += 1;
    let mut results = Vec::new();
    while let Some(t) = toks.get(*pos).copied() {
        match t {
            CfgTok::Close => {
                *pos += 1;
                break;
            }
            CfgTok::Comma => *pos += 1,
            _ => results.push(cfg_pred(toks, pos, depth + 1)),
        }
    }
    match w {
        b"all" => results.iter().any(|&r| r),
        b"any" => !results.is_empty() && results.iter().all(|&r| r),
        _ => false,
    }
}

/// Skips to the end of the current predicate (the next `,` or `)` at this level).
fn skip_pred(toks: &[CfgTok<'_>], pos: &mut usize) {
    let mut depth = 0usize;
    while let Some(t) = toks.get(*pos) {
        match t {
            CfgTok::Open => depth += 1,
            CfgTok::Close if depth == 0 => return,
            CfgTok::Close => depth -= 1,
            CfgTok::Comma if depth == 0 => return,
            _ => {}
        }
        *pos += 1;
    }
}

/// The value of a string literal as written, quotes (and raw-string hashes) removed.
/// Escapes are left as written.
pub(crate) fn unquote(bytes: &[u8]) -> String {
    let mut b = bytes;
    if let Some(rest) = b.strip_prefix(b"b").or_else(|| b.strip_prefix(b"c")) {
        b = rest;
    }
    if let Some(rest) = b.strip_prefix(b"r") {
        b = rest;
    }
    while let (Some(rest), true) = (b.strip_prefix(b"#"), b.ends_with(b"#")) {
        b = rest.get(..rest.len().saturating_sub(1)).unwrap_or_default();
    }
    let b = b.strip_prefix(b"\"").unwrap_or(b);
    let b = b.strip_suffix(b"\"").unwrap_or(b);
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_test_predicates() {
        for (args, test) in [
            ("(test)", true),
            ("( test )", true),
            ("(all(test, feature = \"x\"))", true),
            ("(all(unix, any(test, all(test, windows))))", true),
            ("(any(test, feature = \"testing\"))", false),
            ("(not(test))", false),
            ("(feature = \"test\")", false),
            ("(testing)", false),
            ("(all())", false),
            ("(any())", false),
            ("(test, unix)", false),
            ("", false),
            ("(all(", false),
            ("((((", false),
        ] {
            assert_eq!(cfg_implies_test(args.as_bytes()), test, "{args}");
        }
        let deep = format!("({}test{})", "all(".repeat(10_000), ")".repeat(10_000));
        assert!(!cfg_implies_test(deep.as_bytes()));
    }

    #[test]
    fn unquote_forms() {
        assert_eq!(unquote(br#""x.rs""#), "x.rs");
        assert_eq!(unquote(br##"r#"a"b"#"##), "a\"b");
        assert_eq!(unquote(b"\""), "");
    }

    #[test]
    fn normalise_keeps_string_spaces() {
        assert_eq!(
            normalise_attr(br#"doc = "a b" "#),
            "doc=\"a b\"".to_string()
        );
        assert_eq!(
            normalise_attr(b"allow( clippy::unwrap_used )"),
            "allow(clippy::unwrap_used)"
        );
    }

    #[test]
    fn columns_count_characters() {
        let src = "é = 1;".as_bytes();
        // `=` is byte 3, character 3 (1-based col 3).
        let sp = Spanner::default();
        assert_eq!(sp.at(src, 3, 4, 0, 3).col, 3);
        // Remembered positions, forwards and backwards on one line, give the same columns.
        let line = "aé😀b c d é".as_bytes();
        let fresh = |i: usize| Spanner::default().at(line, i, i, 0, i).col;
        for order in [[0, 3, 7, 9, 12], [12, 9, 7, 3, 0], [7, 0, 12, 3, 9]] {
            for i in order {
                assert_eq!(sp.at(line, i, i, 0, i).col, fresh(i), "{i}");
            }
        }
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"a\n"), 1);
    }
}
