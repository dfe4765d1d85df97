//! Parsing every file once, in parallel: worker threads pull the next file index from an
//! atomic counter, each with its own tree-sitter parser. (Measured in `engineering.md`:
//! rayon's `map_init` left ~10% of two cores idle on this workload; the counter keeps both
//! busy.) Each source text is dropped as soon as its facts are extracted.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use tree_sitter::{Query, QueryCursor, StreamingIterator};

use super::cache::{content_hash, encode, Cache, CachedFile, NewEntry};
use super::model::{FileFacts, Span};
use super::rust;

/// A match of a user-written tree-sitter query (an invariant's `query:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// The cache to read from and write to during a parse.
pub struct CacheUse<'a> {
    pub cache: &'a Cache,
    /// Collects the entries of every file parsed or reused, for writing the cache back.
    pub collect: bool,
}

/// What the parse did with the cache.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: usize,
    pub misses: usize,
}

/// Parses `files` (relative to `root`); the result has one entry per file, in order, plus the
/// cache entries to write back (empty unless `cache.collect`). Each file is counted in
/// `progress.parsed`, when given.
pub fn parse_all(
    root: &Path,
    files: &[String],
    threads: usize,
    queries: &[Query],
    cache: Option<CacheUse<'_>>,
    progress: Option<&super::Progress>,
) -> (Vec<Parsed>, Vec<NewEntry>, CacheStats) {
    let n = thread_count(threads, files.len());
    let next = AtomicUsize::new(0);
    let mut chunks: Vec<Vec<Outcome>> = Vec::new();
    let cache = cache.as_ref();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    let mut parser = rust::parser();
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(rel) = files.get(i) else { break };
                        let (parsed, entry, hit, bytes) =
                            parse_one(&mut parser, root, rel, queries, cache);
                        out.push((i, parsed, entry, hit));
                        // tree-sitter keeps its stack at the size the largest file needed:
                        // after a big file, a fresh parser gives that memory back.
                        if bytes > BIG_FILE {
                            parser = rust::parser();
                        }
                        if let Some(p) = progress {
                            p.parsed.fetch_add(1, Ordering::Relaxed);
                        }
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
    let mut entries = Vec::new();
    let mut stats = CacheStats::default();
    for (i, parsed, entry, hit) in chunks.into_iter().flatten() {
        results[i] = Some(parsed);
        entries.extend(entry);
        if hit {
            stats.hits += 1;
        } else {
            stats.misses += 1;
        }
    }
    let parsed = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Parsed::Failed("internal error: parser thread failed".into())))
        .collect();
    (parsed, entries, stats)
}

/// Files larger than this get a fresh parser afterwards (see `parse_all`).
const BIG_FILE: usize = 512 * 1024;

/// One file's result inside a worker: its index, facts, cache entry and whether it was a hit.
type Outcome = (usize, Parsed, Option<NewEntry>, bool);

/// Reads one file; reuses its cached facts when its content is unchanged, else parses it.
fn parse_one(
    parser: &mut tree_sitter::Parser,
    root: &Path,
    rel: &str,
    queries: &[Query],
    cache: Option<&CacheUse<'_>>,
) -> (Parsed, Option<NewEntry>, bool, usize) {
    let source = match std::fs::read(root.join(rel)) {
        Ok(bytes) => bytes,
        Err(e) => {
            let failed = Parsed::Failed(format!("could not be read: {}", e.kind()));
            return (failed, None, false, 0);
        }
    };
    let size = source.len();
    let hash = cache.map(|_| content_hash(&source));
    if let (Some(c), Some(hash)) = (cache, hash) {
        if let Some(file) = c.cache.get(rel, &hash) {
            let entry = c.collect.then(|| (rel.to_string(), hash, None));
            let parsed = Parsed::Ok {
                facts: Box::new(file.facts),
                not_utf8: file.not_utf8,
                hits: file.hits,
            };
            return (parsed, entry, true, 0);
        }
    }
    let not_utf8 = std::str::from_utf8(&source).is_err();
    match rust::extract(parser, &source) {
        Some((tree, facts)) => {
            let hits = run_queries(queries, &tree, &source);
            drop(tree);
            drop(source);
            let entry = match (cache, hash) {
                (Some(c), Some(hash)) if c.collect => {
                    let file = CachedFile {
                        facts,
                        hits,
                        not_utf8,
                    };
                    let entry = encode(&file).map(|bytes| (rel.to_string(), hash, Some(bytes)));
                    let parsed = Parsed::Ok {
                        facts: Box::new(file.facts),
                        not_utf8,
                        hits: file.hits,
                    };
                    return (parsed, entry, false, size);
                }
                _ => None,
            };
            let parsed = Parsed::Ok {
                facts: Box::new(facts),
                not_utf8,
                hits,
            };
            (parsed, entry, false, size)
        }
        None => (
            Parsed::Failed("could not be parsed (tree-sitter gave up)".into()),
            None,
            false,
            size,
        ),
    }
}

/// Runs every query over the tree already parsed for the facts: each `@violation` capture is
/// a hit, or each whole match (the range covering its captures) when there is none.
fn run_queries(queries: &[Query], tree: &tree_sitter::Tree, source: &[u8]) -> Vec<QueryHit> {
    let mut hits = Vec::new();
    for (qi, query) in queries.iter().enumerate() {
        let violation = query.capture_index_for_name("violation");
        let mut cursor = QueryCursor::new();
        let mut matches = cursor.matches(query, tree.root_node(), source);
        while let Some(m) = matches.next() {
            let mut any = false;
            for c in m.captures().iter().filter(|c| Some(c.index) == violation) {
                any = true;
                hits.push(QueryHit {
                    query: qi as u32,
                    span: node_span(c.node.start_byte(), c.node.end_byte(), source),
                });
            }
            if !any && violation.is_none() {
                let start = m.captures().iter().map(|c| c.node.start_byte()).min();
                let end = m.captures().iter().map(|c| c.node.end_byte()).max();
                if let (Some(start), Some(end)) = (start, end) {
                    hits.push(QueryHit {
                        query: qi as u32,
                        span: node_span(start, end, source),
                    });
                }
            }
        }
    }
    hits.sort_by_key(|h| (h.span.start, h.query));
    hits.dedup();
    hits
}

/// A span from byte offsets, with 1-based line and character column.
pub fn node_span(start: usize, end: usize, source: &[u8]) -> Span {
    let start = start.min(source.len());
    let before = &source[..start];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let col = before[line_start..]
        .iter()
        .filter(|b| (**b & 0xC0) != 0x80)
        .count()
        + 1;
    Span {
        start: start as u32,
        end: end.max(start) as u32,
        line: line as u32,
        col: col as u32,
    }
}
