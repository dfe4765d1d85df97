//! Parsing every file once, in parallel: worker threads pull the next file index from an
//! atomic counter, each with its own tree-sitter parser. (Measured in `engineering.md`:
//! rayon's `map_init` left ~10% of two cores idle on this workload; the counter keeps both
//! busy.) Each source text is dropped as soon as its facts are extracted.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use tree_sitter::{Query, QueryCursor, StreamingIterator};

use super::model::{FileFacts, Span};
use super::rust;

/// A match of a user-written tree-sitter query (an invariant's `query:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QueryHit {
    /// Index of the query in the list given to the build.
    pub query: u32,
    pub span: Span,
}

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
    },
    /// The file could not be read or parsed at all.
    Failed(String),
}

/// Number of worker threads: `threads`, else `RAYON_NUM_THREADS`, else the core count.
pub fn thread_count(threads: usize, files: usize) -> usize {
    let n = if threads > 0 {
        threads
    } else if let Some(n) = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        n
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    n.clamp(1, files.max(1))
}

/// Parses `files` (relative to `root`); the result has one entry per file, in order.
pub fn parse_all(root: &Path, files: &[String], threads: usize, queries: &[Query]) -> Vec<Parsed> {
    let n = thread_count(threads, files.len());
    let next = AtomicUsize::new(0);
    let mut chunks: Vec<Vec<(usize, Parsed)>> = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    let mut parser = rust::parser();
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(rel) = files.get(i) else { break };
                        out.push((i, parse_one(&mut parser, &root.join(rel), queries)));
                    }
                    out
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(chunk) => chunks.push(chunk),
                Err(_) => chunks.push(Vec::new()),
            }
        }
    });
    let mut results: Vec<Option<Parsed>> = (0..files.len()).map(|_| None).collect();
    for (i, parsed) in chunks.into_iter().flatten() {
        results[i] = Some(parsed);
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Parsed::Failed("internal error: parser thread failed".into())))
        .collect()
}

/// The largest Rust file ribo parses (10 MiB). Parsing costs about 100 bytes of memory per
/// byte of source and a few seconds per 10 MiB; a larger file is generated code, and is
/// reported as not checked instead (exclude it with `system.exclude`).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Reads a source file of at most [`MAX_FILE_BYTES`]; the error is the warning's message.
pub fn read_source(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| format!("could not be read: {}", e.kind());
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len > MAX_FILE_BYTES {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // A file that grows while it is read stops at the limit too.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The warning for a file over [`MAX_FILE_BYTES`].
fn too_large(len: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    format!(
        "too large to check ({:.1} MiB > {} MiB limit): not checked",
        len as f64 / MIB,
        MAX_FILE_BYTES / (1024 * 1024)
    )
}

fn parse_one(parser: &mut tree_sitter::Parser, path: &Path, queries: &[Query]) -> Parsed {
    let source = match read_source(path) {
        Ok(bytes) => bytes,
        Err(message) => return Parsed::Failed(message),
    };
    let not_utf8 = std::str::from_utf8(&source).is_err();
    match rust::extract(parser, &source) {
        Some((tree, facts)) => {
            let (hits, queries_incomplete) = run_queries(queries, &tree, &source);
            Parsed::Ok {
                facts: Box::new(facts),
                not_utf8,
                hits,
                queries_incomplete,
            }
        }
        None => Parsed::Failed("could not be parsed (tree-sitter gave up)".into()),
    }
}

/// Most candidate matches a query cursor keeps in progress at once; past it tree-sitter drops
/// the oldest, and the file is reported as not fully checked.
pub const MAX_QUERY_STATES: u32 = 1024;

/// Work a query may do on a file, per byte of source (plus [`QUERY_WORK_BASE`]). tree-sitter
/// charges one unit per node visited plus one per candidate match in progress, so a pattern
/// over nested nodes on code nested 100 000 deep costs the square of the depth (it ran for
/// minutes). The budget is counted, not timed, so the outcome does not depend on the machine:
/// past it the query stops and the file is reported as not fully checked.
pub const QUERY_WORK_PER_BYTE: u64 = 256;

/// Work every query may do on a file, whatever its size.
pub const QUERY_WORK_BASE: u64 = 10_000_000;

/// tree-sitter consults the progress callback once per this many units of work.
const QUERY_WORK_PER_CALLBACK: u64 = 1000;

/// Runs every query over the tree already parsed for the facts: each `@violation` capture is
/// a hit, or each whole match (the range covering its captures) when there is none. The flag
/// is set when a query dropped candidates (see [`MAX_QUERY_STATES`]).
fn run_queries(
    queries: &[Query],
    tree: &tree_sitter::Tree,
    source: &[u8],
) -> (Vec<QueryHit>, bool) {
    // (start, end, query), positioned after sorting in one pass over the source.
    let mut ranges: Vec<(usize, usize, u32)> = Vec::new();
    let mut incomplete = false;
    for (qi, query) in queries.iter().enumerate() {
        let violation = query.capture_index_for_name("violation");
        let mut cursor = QueryCursor::new();
        cursor.set_match_limit(MAX_QUERY_STATES);
        let budget =
            (QUERY_WORK_BASE + QUERY_WORK_PER_BYTE * source.len() as u64) / QUERY_WORK_PER_CALLBACK;
        let mut callbacks = 0u64;
        let mut over_budget = |_: &tree_sitter::QueryCursorState| {
            callbacks += 1;
            if callbacks > budget {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        };
        let options = tree_sitter::QueryCursorOptions::new().progress_callback(&mut over_budget);
        let mut matches = cursor.matches_with_options(query, tree.root_node(), source, options);
        while let Some(m) = matches.next() {
            let mut any = false;
            for c in m.captures().iter().filter(|c| Some(c.index) == violation) {
                any = true;
                ranges.push((c.node.start_byte(), c.node.end_byte(), qi as u32));
            }
            if !any && violation.is_none() {
                let start = m.captures().iter().map(|c| c.node.start_byte()).min();
                let end = m.captures().iter().map(|c| c.node.end_byte()).max();
                if let (Some(start), Some(end)) = (start, end) {
                    ranges.push((start, end, qi as u32));
                }
            }
        }
        drop(matches);
        incomplete |= cursor.did_exceed_match_limit() || callbacks > budget;
    }
    ranges.sort_unstable();
    ranges.dedup();
    let mut positions = Positions::new(source);
    let mut hits: Vec<QueryHit> = ranges
        .into_iter()
        .map(|(start, end, query)| QueryHit {
            query,
            span: positions.span(start, end),
        })
        .collect();
    hits.sort_by_key(|h| (h.span.start, h.query));
    hits.dedup();
    (hits, incomplete)
}

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
        for &b in &self.source[self.at..start] {
            if b == b'\n' {
                self.line += 1;
                self.col = 0;
            } else if (b & 0xC0) != 0x80 {
                self.col += 1;
            }
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
