//! The resolution snapshot: what resolving every path of the repository gave, file by file, so
//! that a run that reports on a few files (`ribo check FILE`, `--changed`) resolves the paths
//! of the changed files only.
//!
//! `<cache dir>/resolved-v1.bin`, framed like the facts cache (magic, format, key, checksum:
//! a foreign or corrupt file is ignored). Written by a run that resolved every file (and by a
//! focused run once the files it resolved again add up, as for the facts cache), it holds
//! - the *structure* it was computed for: a digest of the packages, every file's path and
//!   every file's [interface](interface_digest) — what resolving the paths of other files reads
//!   from it: its inline module scopes, `mod` declarations, `use` declarations and the names of
//!   its module-level items, without spans;
//! - every file's content hash;
//! - per file: what each of its `use` leaves resolved to, and its edges, external uses and
//!   unresolved paths.
//!
//! A later run over the same structure (an edit inside function bodies, comments, spans moved)
//! builds the same module tree and the same resolution of every `use`, which read nothing
//! else; so a file whose content is unchanged resolves exactly as before, and its results are
//! taken from here without even reading its references from the facts cache. Only the changed
//! files' paths are resolved, against the stored `use` resolutions: the graph is the one a
//! full resolution gives (tests/cache.rs compares them). Any other change — a `use`, an item or
//! a `mod` added, renamed or removed, a file added or deleted, a manifest edited — changes the
//! structure: everything is resolved again, and the snapshot rewritten.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::cache::{read_file, write_stream, ContentHash};
use super::cargo::Package;
use super::graph::{names_in_module, Edge, ExternalUse, FactGraph, Memo, Unresolved};
use super::model::FileFacts;
use super::parse::Parsed;

const FILE_NAME: &str = "resolved-v1.bin";

/// A digest of what the resolution of the whole repository reads (see the module docs).
pub type Structure = [u8; 32];

/// What resolution gave every file: what each `use` leaf resolved to (by file, same index as
/// `facts.uses`), and every file's edges, external uses and unresolved paths, all in file
/// order, with their number per file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Resolutions {
    pub(super) uses: Memo,
    /// Per file: how many edges, external uses and unresolved paths it has.
    pub(super) counts: Vec<[u32; 3]>,
    pub(super) edges: Vec<Edge>,
    pub(super) external: Vec<ExternalUse>,
    pub(super) unresolved: Vec<Unresolved>,
}

/// The same, borrowed from a graph, for writing.
#[derive(Serialize)]
struct ResolutionsRef<'g> {
    uses: &'g Memo,
    counts: &'g [[u32; 3]],
    edges: &'g [Edge],
    external: &'g [ExternalUse],
    unresolved: &'g [Unresolved],
}

/// What is read first: enough to tell which files the snapshot holds for.
#[derive(Debug, Serialize, Deserialize)]
struct Head {
    structure: Structure,
    hashes: Vec<Option<ContentHash>>,
}

/// A snapshot on disk: its head decoded, the per-file resolutions still encoded.
#[derive(Debug)]
pub struct Snapshot {
    pub structure: Structure,
    /// Each file's content hash when the snapshot was written (by file index).
    pub hashes: Vec<Option<ContentHash>>,
    body: Vec<u8>,
    files_at: usize,
}

impl Snapshot {
    /// The snapshot in `dir` if there is one, intact and written under `key`.
    pub fn open(dir: &Path, key: &[u8; 32]) -> Option<Snapshot> {
        let body = read_file(dir, FILE_NAME, key)?;
        let (head, rest): (Head, &[u8]) = postcard::take_from_bytes(&body).ok()?;
        let files_at = body.len() - rest.len();
        Some(Snapshot {
            structure: head.structure,
            hashes: head.hashes,
            body,
            files_at,
        })
    }

    /// Which of the files (by index, content hashes as now) it holds for: the same content.
    pub fn unchanged(&self, hashes: &[Option<ContentHash>]) -> Vec<bool> {
        if hashes.len() != self.hashes.len() {
            return vec![false; hashes.len()];
        }
        hashes
            .iter()
            .zip(&self.hashes)
            .map(|(now, then)| now.is_some() && now == then)
            .collect()
    }

    /// The resolutions, if they decode.
    pub fn resolutions(&self) -> Option<Resolutions> {
        postcard::from_bytes(self.body.get(self.files_at..)?).ok()
    }
}

impl Resolutions {
    /// Whether these resolutions fit `parsed`: one `use` resolution per `use` leaf of every
    /// file, and counts that add up.
    pub fn fit(&self, parsed: &[Parsed]) -> bool {
        let sum = |k: usize| self.counts.iter().map(|c| c[k] as usize).sum::<usize>();
        self.uses.len() == parsed.len()
            && self.counts.len() == parsed.len()
            && (sum(0), sum(1), sum(2))
                == (self.edges.len(), self.external.len(), self.unresolved.len())
            && self.uses.iter().zip(parsed).all(|(uses, p)| match p {
                Parsed::Ok { facts, .. } => uses.len() == facts.uses.len(),
                Parsed::Failed(_) => uses.is_empty(),
            })
    }
}

/// Writes the snapshot of `graph`, resolved over `structure`, its files' contents having
/// `hashes`, its `use` leaves having resolved as `memo` says.
pub(super) fn save(
    dir: &Path,
    key: &[u8; 32],
    structure: &Structure,
    hashes: &[Option<ContentHash>],
    graph: &FactGraph,
    memo: &Memo,
) -> io::Result<()> {
    let head = Head {
        structure: *structure,
        hashes: hashes.to_vec(),
    };
    let mut counts = vec![[0u32; 3]; graph.files.len()];
    let mut count = |file: u32, k: usize| match counts.get_mut(file as usize) {
        Some(c) => {
            c[k] += 1;
            true
        }
        None => false,
    };
    let in_range = graph.edges.iter().all(|e| count(e.from, 0))
        && graph.external_uses.iter().all(|x| count(x.file, 1))
        && graph.unresolved.iter().all(|u| count(u.file, 2));
    let ordered = graph.edges.is_sorted_by_key(|e| e.from)
        && graph.external_uses.is_sorted_by_key(|x| x.file)
        && graph.unresolved.is_sorted_by_key(|u| u.file);
    if !in_range || !ordered || memo.len() != graph.files.len() {
        // Not what `resolve_all` gives: nothing a later run could trust.
        return Err(io::Error::from(io::ErrorKind::InvalidData));
    }
    let all = ResolutionsRef {
        uses: memo,
        counts: &counts,
        edges: &graph.edges,
        external: &graph.external_uses,
        unresolved: &graph.unresolved,
    };
    // Encoded straight to the file (through a buffer: the hashing under it wants chunks), not
    // into a 5 MB vector first.
    write_stream(dir, FILE_NAME, key, |out| {
        let invalid = |_| io::Error::from(io::ErrorKind::InvalidData);
        let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
        postcard::to_io(&head, &mut buffered).map_err(invalid)?;
        postcard::to_io(&all, &mut buffered).map_err(invalid)?;
        io::Write::flush(&mut buffered)
    })
    .map(|_| ())
}

/// The structure of a repository: its packages, and every file's path and interface digest
/// (`None`: it could not be parsed).
pub fn structure(
    packages: &[Package],
    files: &[String],
    interfaces: &[Option<[u8; 16]>],
) -> Structure {
    let mut h = blake3::Hasher::new();
    let packages = postcard::to_allocvec(packages).unwrap_or_default();
    put(&mut h, &packages);
    for (path, interface) in files.iter().zip(interfaces) {
        put(&mut h, path.as_bytes());
        match interface {
            Some(d) => put(&mut h, d),
            None => put(&mut h, b"unparsed"),
        }
    }
    *h.finalize().as_bytes()
}

/// The interface digest of every parsed file (as the cache gave it, else computed).
pub fn interfaces(parsed: &[Parsed]) -> Vec<Option<[u8; 16]>> {
    parsed.iter().map(Parsed::interface).collect()
}

/// A digest of what resolving any file's paths can read from this file's facts: its scopes,
/// `mod` declarations, `use` leaves and module-level item names, in order, without spans
/// (what `graph`'s module trees and resolver read; a change there must change this).
pub fn interface_digest(facts: &FileFacts) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    let opt = |h: &mut blake3::Hasher, s: Option<&str>| match s {
        Some(s) => {
            h.update(&[1]);
            put(h, s.as_bytes());
        }
        None => {
            h.update(&[0]);
        }
    };
    h.update(&(facts.scopes.len() as u64).to_le_bytes());
    for s in &facts.scopes {
        h.update(&s.parent.map_or(u64::MAX, u64::from).to_le_bytes());
        put(&mut h, s.name.as_bytes());
        opt(&mut h, s.path_attr.as_deref());
        h.update(&[u8::from(s.test)]);
    }
    h.update(&(facts.mods.len() as u64).to_le_bytes());
    for m in &facts.mods {
        h.update(&m.scope.to_le_bytes());
        put(&mut h, m.name.as_bytes());
        opt(&mut h, m.path_attr.as_deref());
        h.update(&[u8::from(m.test), u8::from(m.public)]);
    }
    h.update(&(facts.uses.len() as u64).to_le_bytes());
    for u in &facts.uses {
        h.update(&u.scope.to_le_bytes());
        h.update(&(u.path.len() as u64).to_le_bytes());
        for seg in u.path.iter() {
            put(&mut h, seg.as_bytes());
        }
        opt(&mut h, u.name.as_deref());
        h.update(&[u8::from(u.glob), u8::from(u.public), u8::from(u.test)]);
    }
    for it in facts.items.iter().filter(|it| names_in_module(it)) {
        h.update(&it.scope.to_le_bytes());
        put(&mut h, it.name.as_bytes());
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize().as_bytes()[..16]);
    out
}

fn put(h: &mut blake3::Hasher, bytes: &[u8]) {
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}
