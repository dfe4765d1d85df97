//! The results cache: a run over exactly the same input as the last one reuses its results.
//!
//! The per-file facts cache (`facts::cache`) spares the parse of unchanged files; this one
//! spares everything after: when the spec, ribo, the queries and every file's content are
//! what they were, the violations are what they were. One file, `<cache dir>/results-v1.bin`,
//! framed like the facts cache (key, checksum: a foreign or corrupt file is ignored, never
//! trusted). Its key hashes the facts cache's key (ribo version, format, queries, the
//! user's secret), the spec's path, root and full text, and the input's digest (every Rust
//! file's path and content hash, every manifest, the walk's warnings).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::facts::{cache, Input, Warning};
use crate::rules::{Outcome, Violation};
use crate::spec::Spec;

const FILE_NAME: &str = "results-v1.bin";

/// The results of the last focused run over the disk that asked to be remembered (the state
/// before a proposed change, `--new`): a slot of its own, so that it never evicts a whole
/// run's results.
pub(crate) const FOCUSED_FILE_NAME: &str = "results-focused-v1.bin";

/// What a run reports, as cached.
#[derive(Debug, Deserialize)]
pub(crate) struct Stored {
    pub violations: Vec<Violation>,
    pub suppressed: usize,
    pub files: usize,
    pub unreadable: usize,
    pub warnings: Vec<Warning>,
}

/// The same, borrowed, for writing (postcard encodes a slice as it decodes a `Vec`).
#[derive(Serialize)]
struct ToStore<'a> {
    violations: &'a [Violation],
    suppressed: usize,
    files: usize,
    unreadable: usize,
    warnings: &'a [Warning],
}

/// The key of a run's results: `None` when the input was not hashed (no cache).
pub(crate) fn key(spec: &Spec, input: &Input, queries: &[String]) -> Option<[u8; 32]> {
    Some(key_of(spec, input.digest()?, queries))
}

/// [`key`] of an input whose digest is `digest`.
pub(crate) fn key_of(spec: &Spec, digest: &[u8; 32], queries: &[String]) -> [u8; 32] {
    let mut h = blake3::Hasher::new_keyed(&cache::cache_key(queries));
    for part in [
        spec.path.to_string_lossy().as_bytes(),
        spec.root.to_string_lossy().as_bytes(),
        spec.source.as_bytes(),
        digest,
    ] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    *h.finalize().as_bytes()
}

/// The results stored under `key`, if any (anything unreadable is a miss).
pub(crate) fn load(dir: &Path, key: &[u8; 32]) -> Option<Stored> {
    // A whole run's results can be tens of megabytes: a server does not keep them in memory.
    let body = cache::read_file_once(dir, FILE_NAME, key)?;
    postcard::from_bytes(&body).ok()
}

/// [`load`] from the slot `name`.
pub(crate) fn load_from(dir: &Path, name: &str, key: &[u8; 32]) -> Option<Stored> {
    let body = cache::read_file(dir, name, key)?;
    postcard::from_bytes(&body).ok()
}

/// `key` joined with more of what a run's results depend on (a focused run: its selection).
pub(crate) fn with(key: &[u8; 32], more: &[u8]) -> [u8; 32] {
    let mut h = blake3::Hasher::new_keyed(key);
    h.update(more);
    *h.finalize().as_bytes()
}

/// Stores a run's results under `key`. Failing to write is not an error: the next run
/// just computes them again.
pub(crate) fn save(
    dir: &Path,
    key: &[u8; 32],
    outcome: &Outcome,
    files: usize,
    unreadable: usize,
    warnings: &[Warning],
) {
    save_to(dir, FILE_NAME, key, outcome, files, unreadable, warnings)
}

/// [`save`] into the slot `name`.
pub(crate) fn save_to(
    dir: &Path,
    name: &str,
    key: &[u8; 32],
    outcome: &Outcome,
    files: usize,
    unreadable: usize,
    warnings: &[Warning],
) {
    let stored = ToStore {
        violations: &outcome.violations,
        suppressed: outcome.suppressed,
        files,
        unreadable,
        warnings,
    };
    // Streamed to the file: a large run's encoded results (tens of MB for 61k violations) are
    // never held beside the violations, at the end of the run, when its memory is highest.
    let _ = cache::write_stream(dir, name, key, |out| {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
        postcard::to_io(&stored, &mut buffered)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
        std::io::Write::flush(&mut buffered)
    });
}
