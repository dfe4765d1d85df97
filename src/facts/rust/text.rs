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

/// The name an identifier declares or names: a raw identifier's `r#` dropped (`r#type` is the
/// module `type`, in `type.rs`).
pub(crate) fn ident(src: &[u8], start: usize, end: usize) -> String {
    ident_str(src, start, end).into_owned()
}

/// [`ident`], borrowed from the source when it is valid UTF-8 (it is, but for a lossy read).
pub(crate) fn ident_str(src: &[u8], start: usize, end: usize) -> std::borrow::Cow<'_, str> {
    let bytes = slice(src, start, end);
    let bytes = bytes.strip_prefix(b"r#").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

/// [`ident`] of a node.
pub(crate) fn node_ident(src: &[u8], node: Node<'_>) -> String {
    ident(src, node.start_byte(), node.end_byte())
}

/// [`node_ident`] as an [`InlineStr`](crate::facts::model::InlineStr) (no allocation for a
/// short name).
pub(crate) fn node_ident_inline(src: &[u8], node: Node<'_>) -> crate::facts::model::InlineStr {
    ident_str(src, node.start_byte(), node.end_byte())
        .as_ref()
        .into()
}

/// The UTF-8 byte order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

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
        let mut chars = self.chars_before(src, line_start, start);
        // A byte order mark is not a column (rustc and editors count from after it).
        if line_start == 0 && start >= BOM.len() && src.starts_with(BOM) {
            chars = chars.saturating_sub(1);
        }
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
/// in test builds: `test` or `doctest`, `all(.., test, ..)`, `any(..)` whose every branch
/// implies test, `not(p)` where `p` holds in no test build. Nesting deeper than a few dozen
/// levels gives `false`.
pub(crate) fn cfg_implies_test(args: &[u8]) -> bool {
    cfg_eval(args).is_some_and(|t| t.only)
}

/// Whether a `cfg(..)` predicate holds in no test build: `not(test)`, `all(.., not(test), ..)`,
/// `any(..)` whose every branch does.
pub(crate) fn cfg_excludes_test(args: &[u8]) -> bool {
    cfg_eval(args).is_some_and(|t| t.never)
}

/// What a cfg predicate says about test builds.
#[derive(Debug, Clone, Copy, Default)]
struct TestCfg {
    /// True in test builds only.
    only: bool,
    /// True in no test build.
    never: bool,
    /// `only` may be negated into `never` (`doctest` holds in doctest builds only, but
    /// `not(doctest)` holds in ordinary test builds).
    invertible: bool,
}

fn cfg_eval(args: &[u8]) -> Option<TestCfg> {
    let toks = cfg_tokens(args);
    let mut pos = 0;
    // The argument list is `( pred )`.
    if toks.first() != Some(&CfgTok::Open) {
        return None;
    }
    pos += 1;
    let r = cfg_pred(&toks, &mut pos, 0);
    (toks.get(pos) == Some(&CfgTok::Close)).then_some(r)
}

/// The `path = ".."` of a `cfg_attr(pred, path = "..")` attribute's arguments (the token tree,
/// parentheses included), if that is what it sets.
pub(crate) fn cfg_attr_path(args: &[u8]) -> Option<String> {
    let inner = args.strip_prefix(b"(")?;
    // The first top-level comma ends the predicate.
    let mut depth = 0usize;
    let mut in_str = false;
    let mut at = None;
    for (i, &b) in inner.iter().enumerate() {
        match b {
            b'"' => in_str = !in_str,
            b'(' if !in_str => depth += 1,
            b')' if !in_str => depth = depth.checked_sub(1)?,
            b',' if !in_str && depth == 0 => {
                at = Some(i);
                break;
            }
            _ => {}
        }
    }
    let rest = inner.get(at? + 1..)?.trim_ascii_start();
    let rest = rest.strip_prefix(b"path")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"=")?.trim_ascii_start();
    let body = rest.strip_prefix(b"\"")?;
    let end = body.iter().position(|&b| b == b'"')?;
    let tail = body.get(end + 1..)?.trim_ascii();
    (tail == b")" || tail == b",)").then(|| String::from_utf8_lossy(&body[..end]).into_owned())
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

/// Parses one predicate at `pos`; returns what it says about test builds.
fn cfg_pred(toks: &[CfgTok<'_>], pos: &mut usize, depth: u32) -> TestCfg {
    let none = TestCfg::default();
    if depth > 32 {
        *pos = toks.len();
        return none;
    }
    let Some(CfgTok::Word(w)) = toks.get(*pos).copied() else {
        skip_pred(toks, pos);
        return none;
    };
    *pos += 1;
    if toks.get(*pos) != Some(&CfgTok::Open) {
        // `test`, `unix`, or `feature = "x"`.
        let plain = !matches!(toks.get(*pos), Some(CfgTok::Other));
        skip_pred(toks, pos);
        return match (plain, w) {
            (true, b"test") => TestCfg {
                only: true,
                never: false,
                invertible: true,
            },
            (true, b"doctest") => TestCfg {
                only: true,
                never: false,
                invertible: false,
            },
            _ => none,
        };
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
    let all = |f: fn(&TestCfg) -> bool| !results.is_empty() && results.iter().all(f);
    let any = |f: fn(&TestCfg) -> bool| results.iter().any(f);
    match w {
        b"all" => TestCfg {
            only: any(|r| r.only),
            never: any(|r| r.never),
            invertible: all(|r| r.invertible),
        },
        b"any" => TestCfg {
            only: all(|r| r.only),
            never: all(|r| r.never),
            invertible: all(|r| r.invertible),
        },
        b"not" if results.len() == 1 => {
            let r = results[0];
            TestCfg {
                only: r.never,
                never: r.only && r.invertible,
                invertible: true,
            }
        }
        _ => none,
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
            ("(doctest)", true),
            ("(any(test, doctest))", true),
            ("(not(not(test)))", true),
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
        for (args, never) in [
            ("(not(test))", true),
            ("(all(unix, not(test)))", true),
            ("(any(not(test), all(windows, not(test))))", true),
            ("(any(not(test), unix))", false),
            ("(test)", false),
            ("(not(doctest))", false),
            ("(not(any(test, doctest)))", false),
            ("(unix)", false),
            ("(not(test)", false),
        ] {
            assert_eq!(cfg_excludes_test(args.as_bytes()), never, "{args}");
        }
    }

    #[test]
    fn cfg_attr_paths() {
        assert_eq!(
            cfg_attr_path(br#"(unix, path = "sys/unix.rs")"#).as_deref(),
            Some("sys/unix.rs")
        );
        assert_eq!(
            cfg_attr_path(br#"(all(unix, not(x)), path="a.rs")"#).as_deref(),
            Some("a.rs")
        );
        assert_eq!(cfg_attr_path(br#"(unix, derive(Debug))"#), None);
        assert_eq!(cfg_attr_path(br#"(unix, path = "a.rs", allow(x))"#), None);
        assert_eq!(cfg_attr_path(b"(unix"), None);
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
        // After a byte order mark, columns count from the first character after it.
        let bom = "\u{feff}fn f() {}".as_bytes();
        assert_eq!(Spanner::default().at(bom, 3, 5, 0, 3).col, 1);
        assert_eq!(Spanner::default().at(bom, 6, 7, 0, 6).col, 4);
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"a\n"), 1);
    }
}
