//! Reading and parsing one file: its source read (up to [`MAX_FILE_BYTES`]), parsed into its
//! facts with the queries' hits ([`parse_source`]), and the outcome ([`Parsed`]); spans from
//! byte offsets ([`Positions`]).

use super::query::QuerySet;
use crate::facts::model::{FileFacts, QueryHit, Span};

/// The content hash of a source file.
pub type ContentHash = [u8; 16];

/// The outcome of reading and parsing one file.
#[derive(Debug)]
pub enum Parsed {
    Ok {
        facts: Box<FileFacts>,
        /// The file is not valid UTF-8 (it was still parsed).
        not_utf8: bool,
        /// Matches of the queries, in source order.
        hits: Vec<QueryHit>,
        /// Some query gave up on this file before its end (over [`MAX_QUERY_STATES`]
        /// candidate matches at once, or over its work budget): its hits may be incomplete.
        queries_incomplete: bool,
        /// Read from the cache without its references (`facts.refs` is empty): see
        /// `incremental`'s `parse::CacheUse::lean`.
        lean: bool,
        /// The hash of the content the facts are of (`None` without a cache).
        hash: Option<ContentHash>,
        /// The facts' interface digest, when the cache gave or computed it.
        interface: Option<[u8; 16]>,
    },
    /// The file could not be read or parsed at all.
    Failed(String),
}

impl Parsed {
    /// The hash of the content the facts are of (`None` without a cache or when unparsed).
    pub fn hash(&self) -> Option<ContentHash> {
        match self {
            Parsed::Ok { hash, .. } => *hash,
            Parsed::Failed(_) => None,
        }
    }
}

/// Parses one file's `source` with `parser`, running `queries` on its tree while it is in
/// memory: the file's facts and query hits, of the content whose hash is `hash` (`None` without
/// a cache); a failure when tree-sitter gives up. The source is dropped as soon as the facts
/// are extracted.
pub fn parse_source(
    parser: &mut tree_sitter::Parser,
    source: Vec<u8>,
    queries: &QuerySet,
    hash: Option<ContentHash>,
) -> Parsed {
    let not_utf8 = std::str::from_utf8(&source).is_err();
    let mut source = source;
    super::make_parseable(&mut source);
    // The queries run on the nodes they can match at while the facts are extracted, or over
    // the whole tree after (see `query`).
    let mut run = queries.for_file(&source);
    let kinds = run.as_ref().and_then(|r| r.root_kinds());
    let skips = run.as_ref().map_or(&[][..], |r| r.skips());
    let extracted = match (&mut run, kinds) {
        (Some(r), Some(kinds)) => {
            super::extract_visiting(parser, &source, kinds, skips, &mut |node| {
                r.on_node(node);
            })
        }
        _ => super::extract(parser, &source),
    };
    match extracted {
        Some((tree, facts)) => {
            let (hits, queries_incomplete) = match run {
                Some(mut r) => {
                    if kinds.is_none() {
                        r.on_tree(&tree);
                    }
                    r.finish()
                }
                None => (Vec::new(), false),
            };
            drop(tree);
            drop(source);
            Parsed::Ok {
                facts: Box::new(facts),
                not_utf8,
                hits,
                queries_incomplete,
                lean: false,
                hash,
                interface: None,
            }
        }
        None => Parsed::Failed("could not be parsed (tree-sitter gave up)".into()),
    }
}

pub use crate::facts::model::source::{read_source, MAX_FILE_BYTES};

/// A span from byte offsets, with 1-based line and character column. Scans the source up
/// to `start`: for many spans of one file, use [`Positions`].
pub fn node_span(start: usize, end: usize, source: &[u8]) -> Span {
    Positions::new(source).span(start, end)
}

/// Line and column of spans asked for in increasing order of start, in one pass over the
/// source (a span before the previous one starts the scan again), so that many hits on one
/// very long line cost one scan of it, not one each.
pub struct Positions<'s> {
    source: &'s [u8],
    /// Bytes before `at` are counted.
    at: usize,
    /// 0-based line and character column of `at`.
    line: usize,
    col: usize,
}

impl<'s> Positions<'s> {
    /// Positions in `source`, from its start.
    pub fn new(source: &'s [u8]) -> Self {
        Positions {
            source,
            at: 0,
            line: 0,
            col: 0,
        }
    }

    /// The span from `start` to `end`, with the 1-based line and column of `start`.
    pub fn span(&mut self, start: usize, end: usize) -> Span {
        let start = start.min(self.source.len());
        if start < self.at {
            *self = Positions::new(self.source);
        }
        let from = self.at;
        for &b in &self.source[from..start] {
            if b == b'\n' {
                self.line += 1;
                self.col = 0;
            } else if (b & 0xC0) != 0x80 {
                self.col += 1;
            }
        }
        // A byte order mark is not a column.
        if from < 3 && start >= 3 && self.source.starts_with(b"\xEF\xBB\xBF") && self.line == 0 {
            self.col -= 1;
        }
        self.at = start;
        Span {
            start: start as u32,
            end: end.max(start) as u32,
            line: (self.line + 1) as u32,
            col: (self.col + 1) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_in_one_pass_match_a_fresh_scan() {
        let source = "fn é() {}\nlet x = 1; // ü\n\nend".as_bytes();
        let fresh = |i: usize| {
            let before = &source[..i];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1);
            let col = before[line_start..]
                .iter()
                .filter(|b| (**b & 0xC0) != 0x80)
                .count()
                + 1;
            (line as u32, col as u32)
        };
        let mut positions = Positions::new(source);
        let offsets: Vec<usize> = (0..=source.len()).chain([3, 0, 20, 500]).collect();
        for i in offsets {
            let span = positions.span(i, i + 1);
            assert_eq!(node_span(i, i + 1, source), span);
            let i = i.min(source.len());
            assert_eq!((span.line, span.col), fresh(i), "offset {i}");
        }
    }
}
