//! Shared pieces of the property tests (`tests/fuzz_*.rs`): the case count, a corpus of real
//! inputs to mutate, and the mutations.
//!
//! Every property runs `PROPTEST_CASES` cases (default [`DEFAULT_CASES`], a few seconds in
//! CI); set it higher for a longer run, e.g. `PROPTEST_CASES=100000 cargo test --release
//! --test fuzz_rust` (see docs/reliability.md).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per property when `PROPTEST_CASES` is not set.
pub const DEFAULT_CASES: u32 = 256;

/// The proptest configuration: `PROPTEST_CASES` cases (else `default`), no regression files
/// written into the repository (a failure prints its minimal input instead).
pub fn config(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// Every file with extension `ext` under the given directories of the repository, read.
pub fn corpus(dirs: &[&str], ext: &str) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    for dir in dirs {
        collect(&manifest_dir().join(dir), ext, &mut paths);
    }
    let texts: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(!texts.is_empty(), "empty corpus for {dirs:?}");
    texts
}

/// One edit of a text.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Delete `len` bytes at `at` (a fraction of the length, in per mille).
    Delete { at: u16, len: u8 },
    /// Insert `text` at `at`.
    Insert { at: u16, text: Vec<u8> },
    /// Replace the byte at `at` with `byte`.
    Replace { at: u16, byte: u8 },
    /// Copy `len` bytes from `from` to `at`.
    Duplicate { from: u16, len: u16, at: u16 },
    /// Cut the text at `at`.
    Truncate { at: u16 },
}

fn pos(per_mille: u16, len: usize) -> usize {
    (usize::from(per_mille.min(1000)) * len) / 1000
}

/// Applies the mutations in order.
pub fn mutate(mut text: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = text.len();
        match m {
            Mutation::Delete { at, len: n } => {
                let start = pos(*at, len);
                let end = (start + usize::from(*n)).min(len);
                text.drain(start..end);
            }
            Mutation::Insert { at, text: t } => {
                let at = pos(*at, len);
                text.splice(at..at, t.iter().copied());
            }
            Mutation::Replace { at, byte } => {
                if len > 0 {
                    let at = pos(*at, len - 1);
                    text[at] = *byte;
                }
            }
            Mutation::Duplicate { from, len: n, at } => {
                let start = pos(*from, len);
                let end = (start + usize::from(*n)).min(len);
                let piece = text[start..end].to_vec();
                let at = pos(*at, len);
                text.splice(at..at, piece);
            }
            Mutation::Truncate { at } => text.truncate(pos(*at, len)),
        }
    }
    text
}

/// A mutation whose inserted text is drawn from `tokens` (or any bytes).
pub fn mutation(tokens: &'static [&'static str]) -> impl Strategy<Value = Mutation> {
    let token = prop_oneof![
        3 => proptest::sample::select(tokens).prop_map(|t| t.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..8),
    ];
    prop_oneof![
        3 => (any::<u16>(), any::<u8>()).prop_map(|(at, len)| Mutation::Delete { at, len }),
        4 => (any::<u16>(), token).prop_map(|(at, text)| Mutation::Insert { at, text }),
        2 => (any::<u16>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Replace { at, byte }),
        2 => (any::<u16>(), 0..400u16, any::<u16>())
            .prop_map(|(from, len, at)| Mutation::Duplicate { from, len, at }),
        1 => any::<u16>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

/// A text made of `tokens` (and a few arbitrary bytes), up to `max` pieces.
pub fn token_soup(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        8 => proptest::sample::select(tokens).prop_map(|t| t.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 1..4),
    ];
    proptest::collection::vec(piece, 0..max).prop_map(|pieces| pieces.concat())
}
