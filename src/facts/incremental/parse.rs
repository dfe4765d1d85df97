//! Parsing every file once, in parallel: worker threads pull the next file index from an
//! atomic counter, each with its own tree-sitter parser. (Measured in `engineering.md`:
//! rayon's `map_init` left ~10% of two cores idle on this workload; the counter keeps both
//! busy.) Each source text is dropped as soon as its facts are extracted. A file whose content
//! hash is in the facts cache is not parsed: its facts are read from the cache (see
//! [`CacheUse`]).

use super::cache::{content_hash, encode, Cache, CachedFile, Encoded, NewEntry};
use crate::facts::model::overlay::{Entry, Overlay};
use crate::facts::model::par::thread_count;
use crate::facts::model::Progress;
use crate::facts::rust;
use crate::facts::rust::parse::{read_source, ContentHash, Parsed};
use crate::facts::rust::query::QuerySet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The cache to read from and write to during a parse.
pub struct CacheUse<'a> {
    pub cache: &'a Cache,
    /// Collects the entries of every file parsed or reused, for writing the cache back.
    pub collect: bool,
    /// Content hashes already taken (same index as the files; may be empty): a file whose
    /// known hash is cached is not read at all.
    pub known: &'a [Option<ContentHash>],
    /// File sizes already taken (same index; may be empty).
    pub sizes: &'a [Option<u64>],
    /// Files (same index) whose cached facts are needed whole; the others are read without
    /// what only per-file rules use (see `cache::Body`). Empty: every file whole.
    pub whole: &'a [bool],
    /// Files (same index) whose references are not needed when their facts come from the
    /// cache (their resolution is known: see `resolved`). Empty: every file's are.
    pub lean: &'a [bool],
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
    overlay: Option<&Overlay>,
    files: &[String],
    threads: usize,
    queries: &QuerySet,
    cache: Option<CacheUse<'_>>,
    progress: Option<&Progress>,
) -> (Vec<Parsed>, Vec<NewEntry>, CacheStats) {
    let n = thread_count(threads, files.len());
    // Largest files first: the parse of a big file is the run's memory peak (its tree takes
    // about 100 bytes per byte of source), and memory it frees early is reused by the facts of
    // the files after it, instead of being left between facts kept to the end; the threads
    // also finish together (no big file left for one thread at the end). Results are placed
    // by index: the order never shows.
    let cache = cache.as_ref();
    let mut order: Vec<(u64, usize)> = files
        .iter()
        .enumerate()
        .map(|(i, rel)| {
            let known = cache.and_then(|c| c.sizes.get(i).copied().flatten());
            let size = known.unwrap_or_else(|| match overlay.map(|o| o.get(rel)) {
                Some(Entry::Content(bytes)) => bytes.len() as u64,
                _ => std::fs::metadata(root.join(rel)).map_or(0, |m| m.len()),
            });
            (size, i)
        })
        .collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    let next = AtomicUsize::new(0);
    let mut chunks: Vec<Vec<Outcome>> = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    let mut parser = rust::parser();
                    let mut out = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&(_, i)) = order.get(k) else { break };
                        let Some(rel) = files.get(i) else { break };
                        let known = cache.and_then(|c| c.known.get(i).copied().flatten());
                        let whole = cache.is_none_or(|c| c.whole.get(i).copied().unwrap_or(true));
                        let lean = cache.is_some_and(|c| c.lean.get(i).copied().unwrap_or(false));
                        let wanted = Wanted { whole, lean };
                        let (parsed, entry, hit, bytes) = parse_one(
                            &mut parser,
                            (root, overlay),
                            rel,
                            queries,
                            cache,
                            known,
                            wanted,
                        );
                        // A file parsed here is encoded from its facts when the cache is
                        // written.
                        let entry = entry.map(|(p, h, fresh)| (p, h, fresh.map(|_| i)));
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

/// Encodes the facts of a parsed file for the cache (setting its interface digest); `None` for
/// a file that could not be parsed.
pub fn encode_parsed(parsed: &mut Parsed) -> Option<Encoded> {
    let Parsed::Ok {
        facts,
        not_utf8,
        hits,
        queries_incomplete,
        interface,
        ..
    } = parsed
    else {
        return None;
    };
    let mut file = CachedFile {
        facts: std::mem::take(&mut **facts),
        hits: std::mem::take(hits),
        not_utf8: *not_utf8,
        queries_incomplete: *queries_incomplete,
        interface: None,
    };
    let encoded = encode(&mut file);
    **facts = file.facts;
    *hits = file.hits;
    *interface = file.interface;
    encoded
}

/// Encodes parsed files for the cache in the order the cache is written, a window of them at a
/// time on two threads: the encoded entries of a cold run (32 MB) are never all held at once,
/// and encoding is not left to one thread.
pub struct Encoder<'a> {
    parsed: &'a mut [Parsed],
    /// Indices of the files to encode, increasing.
    fresh: Vec<usize>,
    /// Position in `fresh` of the next window.
    next: usize,
    ready: std::collections::VecDeque<(usize, Option<Encoded>)>,
}

/// Files encoded per window.
const ENCODE_WINDOW: usize = 128;

impl<'a> Encoder<'a> {
    /// An encoder of the files of `parsed` at `fresh` (increasing indices).
    pub fn new(parsed: &'a mut [Parsed], mut fresh: Vec<usize>) -> Self {
        fresh.sort_unstable();
        fresh.dedup();
        Encoder {
            parsed,
            fresh,
            next: 0,
            ready: std::collections::VecDeque::new(),
        }
    }

    /// The encoded facts of file `i` (asked in increasing order; `None` for one that could not
    /// be encoded or was not among `fresh`).
    pub fn take(&mut self, i: usize) -> Option<Encoded> {
        while self.ready.front().is_some_and(|(k, _)| *k < i) {
            self.ready.pop_front();
        }
        if self.ready.is_empty() {
            self.fill(i);
        }
        match self.ready.front() {
            Some((k, _)) if *k == i => self.ready.pop_front().and_then(|(_, e)| e),
            _ => None,
        }
    }

    /// Encodes the window of fresh files starting at the first one at or after `i`.
    fn fill(&mut self, i: usize) {
        let start = self.next + self.fresh[self.next..].partition_point(|k| *k < i);
        let end = (start + ENCODE_WINDOW).min(self.fresh.len());
        self.next = end;
        let window = &self.fresh[start..end];
        let (Some(&lo), Some(&hi)) = (window.first(), window.last()) else {
            return;
        };
        let Some(slice) = self.parsed.get_mut(lo..=hi) else {
            return;
        };
        let mut wanted: Vec<(usize, &mut Parsed)> = slice
            .iter_mut()
            .enumerate()
            .map(|(k, p)| (lo + k, p))
            .filter(|(k, _)| window.binary_search(k).is_ok())
            .collect();
        let half = wanted.len() / 2;
        let (first, second) = wanted.split_at_mut(half);
        let encode = |part: &mut [(usize, &mut Parsed)]| -> Vec<(usize, Option<Encoded>)> {
            part.iter_mut()
                .map(|(k, p)| (*k, encode_parsed(p)))
                .collect()
        };
        let (a, b) = std::thread::scope(|s| {
            let other = s.spawn(|| encode(first));
            let b = encode(second);
            (other.join().unwrap_or_default(), b)
        });
        self.ready.extend(a);
        self.ready.extend(b);
    }
}

/// Gives every file read from the cache without its references (`lean`) its references:
/// from the cache, or by parsing the file again if its entry cannot give them. Returns how
/// many files were parsed again.
pub fn load_refs(
    root: &Path,
    overlay: Option<&Overlay>,
    files: &[String],
    parsed: &mut [Parsed],
    cache: &Cache,
    queries: &QuerySet,
    threads: usize,
) -> usize {
    let lean: Vec<usize> = (0..parsed.len())
        .filter(|&i| matches!(parsed[i], Parsed::Ok { lean: true, .. }))
        .collect();
    let found = crate::facts::model::par::map(lean.len(), threads, |k| {
        let i = lean[k];
        match &parsed[i] {
            Parsed::Ok {
                hash: Some(hash), ..
            } => files.get(i).and_then(|rel| cache.refs(rel, hash)),
            _ => None,
        }
    });
    let mut again = Vec::new();
    for (&i, refs) in lean.iter().zip(found) {
        match (&mut parsed[i], refs) {
            (Parsed::Ok { facts, lean, .. }, Some(refs)) => {
                facts.refs = refs;
                *lean = false;
            }
            _ => again.push(i),
        }
    }
    if again.is_empty() {
        return 0;
    }
    let rels: Vec<String> = again.iter().map(|&i| files[i].clone()).collect();
    let (fresh, _, _) = parse_all(root, overlay, &rels, threads, queries, None, None);
    let n = again.len();
    for (i, p) in again.into_iter().zip(fresh) {
        parsed[i] = p;
    }
    n
}

/// Files larger than this get a fresh parser afterwards (see `parse_all`).
const BIG_FILE: usize = 512 * 1024;

/// One file's result inside a worker: its index, facts, cache entry and whether it was a hit.
type Outcome = (usize, Parsed, Option<NewEntry>, bool);

/// Which parts of a file's cached facts are read.
#[derive(Clone, Copy)]
struct Wanted {
    /// With the body (see `cache::Body`).
    whole: bool,
    /// Without the references.
    lean: bool,
}

/// Reads one file; reuses its cached facts when its content is unchanged, else parses it.
fn parse_one(
    parser: &mut tree_sitter::Parser,
    (root, overlay): (&Path, Option<&Overlay>),
    rel: &str,
    queries: &QuerySet,
    cache: Option<&CacheUse<'_>>,
    known: Option<ContentHash>,
    wanted: Wanted,
) -> (Parsed, Option<NewEntry>, bool, usize) {
    if let (Some(c), Some(hash)) = (cache, known) {
        if let Some(hit) = reuse(c, rel, hash, wanted) {
            return hit;
        }
    }
    let read = match overlay.map(|o| o.get(rel)) {
        Some(Entry::Content(bytes)) => Ok(bytes.to_vec()),
        Some(Entry::Deleted) => Err("could not be read: NotFound".to_string()),
        _ => read_source(&root.join(rel)),
    };
    let source = match read {
        Ok(bytes) => bytes,
        Err(message) => return (Parsed::Failed(message), None, false, 0),
    };
    let size = source.len();
    let hash = cache.map(|_| content_hash(&source));
    if let (Some(c), Some(hash)) = (cache, hash) {
        // The content may differ from the hash taken before (the file changed meanwhile).
        if known != Some(hash) {
            if let Some(hit) = reuse(c, rel, hash, wanted) {
                return hit;
            }
        }
    }
    let parsed = rust::parse::parse_source(parser, source, queries, hash);
    let entry = match (&parsed, cache, hash) {
        (Parsed::Ok { .. }, Some(c), Some(hash)) if c.collect => {
            Some((rel.to_string(), hash, Some(0)))
        }
        _ => None,
    };
    (parsed, entry, false, size)
}

/// The cached facts of `rel` when its content hash is in the cache.
fn reuse(
    c: &CacheUse<'_>,
    rel: &str,
    hash: ContentHash,
    wanted: Wanted,
) -> Option<(Parsed, Option<NewEntry>, bool, usize)> {
    let file = c.cache.get(rel, &hash, !wanted.lean, wanted.whole)?;
    let entry = c.collect.then(|| (rel.to_string(), hash, None));
    let parsed = Parsed::Ok {
        facts: Box::new(file.facts),
        not_utf8: file.not_utf8,
        hits: file.hits,
        queries_incomplete: file.queries_incomplete,
        lean: wanted.lean,
        hash: Some(hash),
        interface: file.interface,
    };
    Some((parsed, entry, true, 0))
}
