//! Parsing every file once, in parallel: worker threads pull the next file index from an
//! atomic counter, each with its own tree-sitter parser. (Measured in `engineering.md`:
//! rayon's `map_init` left ~10% of two cores idle on this workload; the counter keeps both
//! busy.) Each source text is dropped as soon as its facts are extracted.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::model::FileFacts;
use super::rust;

/// The outcome of reading and parsing one file.
#[derive(Debug)]
pub enum Parsed {
    Ok {
        facts: FileFacts,
        /// The file is not valid UTF-8 (it was still parsed).
        not_utf8: bool,
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
pub fn parse_all(root: &Path, files: &[String], threads: usize) -> Vec<Parsed> {
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
                        out.push((i, parse_one(&mut parser, &root.join(rel))));
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

fn parse_one(parser: &mut tree_sitter::Parser, path: &Path) -> Parsed {
    let source = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return Parsed::Failed(format!("could not be read: {}", e.kind())),
    };
    let not_utf8 = std::str::from_utf8(&source).is_err();
    match rust::extract(parser, &source) {
        Some((_tree, facts)) => Parsed::Ok { facts, not_utf8 },
        None => Parsed::Failed("could not be parsed (tree-sitter gave up)".into()),
    }
}
