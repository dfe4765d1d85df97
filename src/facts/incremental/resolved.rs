//! The resolution snapshot: what resolving every path of the repository gave, file by file, so
//! that a run that reports on a few files (`ribo check FILE`, `--changed`) resolves the paths
//! of the changed files only.
//!
//! `<cache dir>/resolved-v2.bin`, framed like the facts cache (magic, format, key, checksum:
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
//! full resolution gives (tests/cache.rs compares them).
//!
//! The snapshot also holds the *layout* of the structure (the packages and the file paths) and,
//! in a section decoded only for the files that changed, every file's [`Outline`]: the digest
//! of its *frame* (inline module scopes and `mod` declarations: what builds the module trees),
//! its module-level item names by scope, and the scope, binding name and glob path of each
//! `use`. When the structure changed but the layout and every changed file's frame did not —
//! items or `use`s added, renamed or removed, nothing else — the module trees and module ids
//! are the same, and only the names whose lookup may answer otherwise can change a path's
//! resolution: every `use` is resolved again, and only the files that may see such a name are
//! (`names::Renamed` gives the rules and why they are sound; [`changes`] works out the names;
//! the facts cache's filter of each file's reference segments, [`ref_filter`], tells without
//! reading the references). When the module trees may differ too — a `mod` or an inline
//! module added, renamed or removed, a file added or deleted — the snapshot's trees (its last
//! section but the resolutions, decoded only then) are mapped onto today's and what changed
//! in them joins the changed names (see `reframe`). Any other change — a manifest edited, a
//! glob import added, removed or resolving otherwise — resolves everything again, and the
//! snapshot is rewritten. A run in names mode leaves the snapshot as it was and marks it
//! ([`seen_in_names_mode`]); the next one over the same snapshot and the same code structure
//! rewrites it.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

use foldhash::{HashMap, HashSet};
use serde::{Deserialize, Serialize};

use super::cache::{read_file, write_stream};
use super::reframe::{FileMap, Tree};
use crate::facts::model::cargo::Package;
use crate::facts::model::graph::{Edge, ExternalUse, FactGraph, Unresolved};
use crate::facts::model::{FileFacts, RefFact, Segs};
use crate::facts::resolve::Memo;
use crate::facts::rust::parse::{ContentHash, Parsed};

/// v2: outlines name the crate of each `extern crate`.
const FILE_NAME: &str = "resolved-v2.bin";

/// A digest of what the resolution of the whole repository reads (see the module docs).
pub type Structure = [u8; 32];

/// What resolution gave every file: what each `use` leaf resolved to (by file, same index as
/// `facts.uses`), and every file's edges, external uses and unresolved paths, all in file
/// order, with their number per file.
#[derive(Debug, Default, Deserialize)]
pub struct Resolutions {
    pub(super) uses: Memo,
    /// Per file: how many edges, external uses and unresolved paths it has.
    pub(super) counts: Vec<[u32; 3]>,
    /// Not encoded with the rest: a section of fixed-width records after it (see [`edges`]).
    #[serde(skip)]
    pub(super) edges: Vec<Edge>,
    pub(super) external: Vec<ExternalUse>,
    pub(super) unresolved: Vec<Unresolved>,
}

/// The same, borrowed from a graph, for writing.
#[derive(Serialize)]
struct ResolutionsRef<'g> {
    uses: &'g Memo,
    counts: &'g [[u32; 3]],
    external: &'g [ExternalUse],
    unresolved: &'g [Unresolved],
}

/// The edges, by far the snapshot's largest part (~200k on the large corpus), are its last
/// section: fixed-width records, written one by one (not gathered into a vector first) and
/// read in one loop. Decoding them field by field through serde took ~20 ms of a one-file
/// check's CPU.
mod edges {
    use crate::facts::model::graph::Edge;
    use crate::facts::model::{RefKind, Span};

    /// Bytes per edge: nine `u32`s and one byte of kind and flags.
    pub(super) const RECORD: usize = 9 * 4 + 1;

    /// Each kind by its code (see `record`).
    pub(super) const KINDS: [RefKind; 7] = [
        RefKind::Use,
        RefKind::Path,
        RefKind::MacroTokens,
        RefKind::MacroName,
        RefKind::Attribute,
        RefKind::ExternCrate,
        RefKind::Quoted,
    ];

    /// One edge's record.
    pub(super) fn record(e: &Edge) -> [u8; RECORD] {
        let mut out = [0u8; RECORD];
        let words = [
            e.from,
            e.to,
            e.to_file,
            e.reference,
            e.span.start,
            e.span.end,
            e.span.line,
            e.span.col,
            e.through.unwrap_or(u32::MAX),
        ];
        for (chunk, n) in out.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&n.to_le_bytes());
        }
        // Exhaustive: a new reference kind must be given a code here (and in `KINDS`).
        let kind: u8 = match e.kind {
            RefKind::Use => 0,
            RefKind::Path => 1,
            RefKind::MacroTokens => 2,
            RefKind::MacroName => 3,
            RefKind::Attribute => 4,
            RefKind::ExternCrate => 5,
            RefKind::Quoted => 6,
        };
        let flags = u8::from(e.test) | u8::from(e.via_use) << 1 | u8::from(e.repeats_use) << 2;
        out[RECORD - 1] = kind << 3 | flags;
        out
    }

    /// The edges of a section of records; `None` when it is not whole records or holds an
    /// unknown reference kind.
    pub(super) fn decode(bytes: &[u8]) -> Option<Vec<Edge>> {
        if !bytes.len().is_multiple_of(RECORD) {
            return None;
        }
        let word = |r: &[u8], i: usize| {
            u32::from_le_bytes([r[i * 4], r[i * 4 + 1], r[i * 4 + 2], r[i * 4 + 3]])
        };
        // Filled in place at its exact length: collecting through `Option` loses the length,
        // and doubling a vector of ~150,000 edges kept a copy of half of it alive on every
        // focused run (massif: 11.5 MB at the peak of a one-file check of the large corpus).
        let mut edges = Vec::with_capacity(bytes.len() / RECORD);
        for r in bytes.chunks_exact(RECORD) {
            let tag = r[RECORD - 1];
            edges.push(Edge {
                from: word(r, 0),
                to: word(r, 1),
                to_file: word(r, 2),
                kind: *KINDS.get(usize::from(tag >> 3))?,
                reference: word(r, 3),
                span: Span {
                    start: word(r, 4),
                    end: word(r, 5),
                    line: word(r, 6),
                    col: word(r, 7),
                },
                test: tag & 1 != 0,
                via_use: tag & 2 != 0,
                repeats_use: tag & 4 != 0,
                through: Some(word(r, 8)).filter(|t| *t != u32::MAX),
            });
        }
        Some(edges)
    }
}

/// What is read first: enough to tell which files the snapshot holds for.
#[derive(Debug, Serialize, Deserialize)]
struct Head {
    structure: Structure,
    layout: Structure,
    hashes: Vec<Option<ContentHash>>,
    /// Length of the outlines section that follows the head (see [`Snapshot::outlines`]).
    outlines_len: u64,
    /// Length of the trees section that follows the outlines (see [`Snapshot::tree`]).
    tree_len: u64,
}

/// A snapshot on disk: its head decoded, the outlines and per-file resolutions still encoded.
#[derive(Debug)]
pub struct Snapshot {
    pub structure: Structure,
    /// The packages and file paths (see [`layout`]).
    pub layout: Structure,
    /// Each file's content hash when the snapshot was written (by file index).
    pub hashes: Vec<Option<ContentHash>>,
    /// The outlines and trees sections.
    sections: Sections,
    /// Where the outlines section is in `sections`.
    outlines_at: std::ops::Range<usize>,
    /// Where the trees section is in `sections`.
    tree_at: std::ops::Range<usize>,
    /// The trees, decoded on first read.
    tree: std::sync::OnceLock<Option<Tree>>,
    /// The file's bytes, until [`Snapshot::take_resolutions`] has decoded the resolutions
    /// from them (from `files_at` on).
    rest: std::sync::Mutex<Option<super::cache::Framed>>,
    files_at: usize,
}

/// A snapshot's outlines and trees sections: the file's bytes when something else keeps them
/// in memory anyway (a server's resident cache files), else a copy of just these two sections
/// (~2 MB of the large corpus's 11 MB file), so that the rest of the file, the resolutions, is
/// freed once decoded: ~9 MB less at a focused run's peak.
#[derive(Debug)]
enum Sections {
    File(super::cache::Framed),
    Copied(Vec<u8>),
}

impl std::ops::Deref for Sections {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Sections::File(f) => f,
            Sections::Copied(v) => v,
        }
    }
}

/// The names one file's items declare, as `(scope, name, marks)` (see `Items::names`).
pub type ItemNames = Vec<(u32, String, u8)>;

/// What resolving other files' paths can read from one file beyond its module trees, with the
/// digest of what builds those (see the module docs).
#[derive(Debug, Serialize, Deserialize)]
pub struct Outline {
    /// Its [frame digest](frame_digest); `None` for a file that could not be parsed.
    pub frame: Option<[u8; 16]>,
    pub items: ItemNames,
    /// Each scope's chain of inline module names from the file's root (`""` for the root;
    /// `a::b`), by scope.
    pub chains: Vec<String>,
    /// Its `use` leaves, in order.
    pub uses: Vec<UseOutline>,
    /// Its `macro_rules!`: scope, name, `#[macro_export]`, and how many `mod` declarations and
    /// inline modules of the file start before it (what textual scope reads of its place).
    pub macros: Vec<(u32, String, bool, u32)>,
}

/// Of one `use` leaf: what the import index of its file (`graph::import_slots`) reads.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseOutline {
    pub scope: u32,
    /// The name it binds (`None` for a glob and for `as _`).
    pub name: Option<String>,
    /// A glob's path (what `graph`'s resolver names in a message when the glob is external).
    pub glob: Option<Segs>,
    /// `pub`: other modules (and their globs) see it.
    pub public: bool,
    /// `extern crate` (with `#[macro_use]`).
    pub extern_crate: bool,
    pub macro_use: bool,
    /// The crate an `extern crate` names (what its binding, and with `#[macro_use]` every
    /// bare macro name of the crate, resolve into); `None` for a `use`.
    pub krate: Option<Segs>,
}

impl Snapshot {
    /// The snapshot in `dir` if there is one, intact and written under `key`.
    pub fn open(dir: &Path, key: &[u8; 32]) -> Option<Snapshot> {
        let body = read_file(dir, FILE_NAME, key)?;
        let (head, rest): (Head, &[u8]) = postcard::take_from_bytes(&body).ok()?;
        let start = body.len() - rest.len();
        let end = start.checked_add(usize::try_from(head.outlines_len).ok()?)?;
        let tree_end = end.checked_add(usize::try_from(head.tree_len).ok()?)?;
        if tree_end > body.len() {
            return None;
        }
        let (sections, outlines_at, tree_at) = if body.is_shared() {
            (Sections::File(body.clone()), start..end, end..tree_end)
        } else {
            let copied = body.get(start..tree_end)?.to_vec();
            (
                Sections::Copied(copied),
                0..end - start,
                end - start..tree_end - start,
            )
        };
        Some(Snapshot {
            structure: head.structure,
            layout: head.layout,
            hashes: head.hashes,
            sections,
            outlines_at,
            tree_at,
            tree: std::sync::OnceLock::new(),
            rest: std::sync::Mutex::new(Some(body)),
            files_at: tree_end,
        })
    }

    /// The outline each of `files` (indices) had when the snapshot was written (in the order
    /// asked), if they decode. Only these files' entries are decoded.
    pub fn outlines(&self, files: &[usize]) -> Option<Vec<Outline>> {
        let section = self.sections.get(self.outlines_at.clone())?;
        let (ends, blob): (Vec<u32>, &[u8]) = postcard::take_from_bytes(section).ok()?;
        if ends.len() != self.hashes.len() || !ends.is_sorted() {
            return None;
        }
        files
            .iter()
            .map(|&i| {
                let start = match i {
                    0 => 0,
                    _ => *ends.get(i - 1)? as usize,
                };
                let end = *ends.get(i)? as usize;
                postcard::from_bytes(blob.get(start..end)?).ok()
            })
            .collect()
    }

    /// Which of today's files (content hashes as now) it holds for: the same content, today's
    /// files being the snapshot's as `map` says.
    pub fn unchanged_as(&self, map: &FileMap, hashes: &[Option<ContentHash>]) -> Vec<bool> {
        if hashes.len() != map.old_of.len() || self.hashes.len() != map.new_of.len() {
            return vec![false; hashes.len()];
        }
        hashes
            .iter()
            .zip(&map.old_of)
            .map(|(now, old)| {
                let then = old.and_then(|o| self.hashes.get(o as usize).copied().flatten());
                now.is_some() && *now == then
            })
            .collect()
    }

    /// The module trees it was resolved over, if they decode (decoded once).
    pub fn tree(&self) -> Option<&Tree> {
        self.tree
            .get_or_init(|| postcard::from_bytes(self.sections.get(self.tree_at.clone())?).ok())
            .as_ref()
    }

    /// Today's files (`files`, of layout `layout`) mapped onto the snapshot's: the identity
    /// when the layout is the same; `None` when they cannot be mapped (see
    /// [`FileMap::between`]) or the trees do not decode.
    pub fn file_map(&self, files: &[String], layout: &Structure) -> Option<FileMap> {
        if self.layout == *layout && files.len() == self.hashes.len() {
            return Some(FileMap::identity(files.len()));
        }
        let tree = self.tree()?;
        if tree.files.len() != self.hashes.len() {
            return None;
        }
        FileMap::between(&tree.files, files)
    }

    /// The resolutions, if they decode. Once: the file's bytes are let go of after (`None` the
    /// second time).
    pub fn take_resolutions(&self) -> Option<Resolutions> {
        let rest = self.rest.lock().ok()?.take()?;
        let (mut resolutions, records): (Resolutions, &[u8]) =
            postcard::take_from_bytes(rest.get(self.files_at..)?).ok()?;
        resolutions.edges = edges::decode(records)?;
        Some(resolutions)
    }
}

impl Resolutions {
    /// Whether these resolutions fit `parsed`: one `use` resolution per `use` leaf of every
    /// file, and counts that add up.
    pub fn fit(&self, parsed: &[Parsed]) -> bool {
        self.fit_files(parsed)
            && self.uses.iter().zip(parsed).all(|(uses, p)| match p {
                Parsed::Ok { facts, .. } => uses.len() == facts.uses.len(),
                Parsed::Failed(_) => uses.is_empty(),
            })
    }

    /// Whether they have an entry for each of `parsed`'s files, and counts that add up (what
    /// a run whose `use`s changed needs: it reads the `use` resolutions of changed files by
    /// [`changes`], and checks the bounds).
    pub fn fit_files(&self, parsed: &[Parsed]) -> bool {
        self.fit_count(parsed.len())
    }

    /// Whether they have an entry for each of `files` files, and counts that add up.
    pub(super) fn fit_count(&self, files: usize) -> bool {
        let sum = |k: usize| self.counts.iter().map(|c| c[k] as usize).sum::<usize>();
        self.uses.len() == files
            && self.counts.len() == files
            && (sum(0), sum(1), sum(2))
                == (self.edges.len(), self.external.len(), self.unresolved.len())
    }
}

/// The names `facts`' items declare (what the resolver's item sets hold), sorted.
fn item_names(facts: &FileFacts) -> ItemNames {
    facts
        .items
        .names()
        .map(|(scope, name, marks)| (scope, name.to_string(), marks))
        .collect()
}

/// Each `macro_rules!` of `facts` with what textual scope reads of it (see
/// [`Outline::macros`]).
fn macros_of(facts: &FileFacts) -> Vec<(u32, String, bool, u32)> {
    let mut starts: Vec<u32> = facts.mods.iter().map(|m| m.span.start).collect();
    starts.extend(facts.scopes.iter().skip(1).map(|s| s.span.start));
    starts.sort_unstable();
    facts
        .macro_defs
        .iter()
        .map(|d| {
            let before = starts.partition_point(|s| *s < d.span.start) as u32;
            (d.scope, d.name.clone(), d.export, before)
        })
        .collect()
}

/// The outline of a file's facts (`None`: it could not be parsed).
fn outline_of(facts: Option<&FileFacts>) -> Outline {
    let Some(facts) = facts else {
        return Outline {
            frame: None,
            items: Vec::new(),
            chains: Vec::new(),
            uses: Vec::new(),
            macros: Vec::new(),
        };
    };
    Outline {
        frame: Some(frame_digest(facts)),
        items: item_names(facts),
        chains: chains_of(facts),
        uses: facts
            .uses
            .iter()
            .map(|u| UseOutline {
                scope: u.scope,
                name: if u.glob { None } else { u.name.clone() },
                glob: u.glob.then(|| u.path.clone()),
                public: u.public,
                extern_crate: u.extern_crate,
                macro_use: u.macro_use,
                krate: u.extern_crate.then(|| u.path.clone()),
            })
            .collect(),
        macros: macros_of(facts),
    }
}

/// Each scope's chain of inline module names from the file's root (see [`Outline::chains`]).
fn chains_of(facts: &FileFacts) -> Vec<String> {
    let mut chains: Vec<String> = Vec::with_capacity(facts.scopes.len());
    for (i, s) in facts.scopes.iter().enumerate() {
        // A module in a block is keyed apart from its enclosing module's children.
        let in_block = s.parent.is_some_and(crate::facts::model::is_block);
        let parent = s
            .parent
            .map(|p| facts.module_scope(p))
            .filter(|&p| (p as usize) < i)
            .and_then(|p| chains.get(p as usize));
        let name = if in_block {
            format!("{{block}}{}", s.name)
        } else {
            s.name.clone()
        };
        chains.push(match (i, parent) {
            (0, _) => String::new(),
            (_, Some(p)) if !p.is_empty() => format!("{p}::{name}"),
            _ => name,
        });
    }
    chains
}

/// The outlines section: the end of each file's entry, then the entries (each file's
/// [`Outline`], postcard).
fn outlines_section(graph: &FactGraph) -> Option<Vec<u8>> {
    let mut blob = Vec::new();
    let mut ends = Vec::with_capacity(graph.files.len());
    for f in &graph.files {
        let outline = outline_of(f.parsed.then_some(&f.facts));
        blob = postcard::to_extend(&outline, blob).ok()?;
        ends.push(u32::try_from(blob.len()).ok()?);
    }
    let mut out = postcard::to_allocvec(&ends).ok()?;
    out.extend_from_slice(&blob);
    Some(out)
}

/// How the files whose content changed since a snapshot differ from their [`Outline`]s in it,
/// when only module-level item names, `use`s and the module trees did (see `names::Renamed`
/// and `reframe`, which read this).
#[derive(Debug, Default)]
pub struct Changes {
    /// Names whose lookup may answer otherwise, whatever the `use`s resolve to: module-level
    /// items added or removed (by scope), and names a scope binds by `use` in one version
    /// only.
    pub names: HashSet<String>,
    /// By file: its `use` leaves are not the snapshot's one for one (their results are
    /// compared through `pairs`, not by index).
    pub reshaped: Vec<bool>,
    /// `use`s of reshaped files to compare with the snapshot's, as `(file, index now, index
    /// then)`: for each `(scope, name)` both versions bind, the `use` each binds it to; and
    /// each glob `use`, matched in order within its scope. Sorted.
    pub pairs: Vec<(usize, usize, usize)>,
    /// The module trees may differ: a changed file's frame did, or files were added or
    /// deleted (`reframe` compares the trees).
    pub reframe: bool,
    /// Those of `names` that a private `use` binds, in one version only.
    pub private: HashSet<String>,
    /// Those of `names` there for another reason (an item, a macro, a public binding).
    pub general: HashSet<String>,
}

impl Changes {
    /// `name`, bound by a `use` (`public` or not) in one version only.
    fn bound(&mut self, name: &str, public: bool) {
        self.names.insert(name.to_string());
        match public {
            true => self.general.insert(name.to_string()),
            false => self.private.insert(name.to_string()),
        };
    }

    /// The names of `names` there only because a private `use` binds them in one version:
    /// what only code inside the binding's module can look up (the resolver offers a module's
    /// private names to code inside it only: `scope::offered`).
    pub fn private_only(&self) -> impl Iterator<Item = &str> {
        self.private
            .iter()
            .filter(|n| !self.general.contains(*n))
            .map(String::as_str)
    }
}

/// The [`Changes`] since snapshot `s` of the files whose content changed (`unchanged` false),
/// today's files being the snapshot's as `map` says; `None` when one of them changed
/// otherwise (its glob `use`s' paths in a scope both versions have; or its frame, when two of
/// its scopes have the same chain of names), or when the snapshot cannot give their outlines.
/// A file added since is reshaped and compared with nothing: its modules are new, reached only
/// through their names (`reframe` adds those).
pub fn changes(
    s: &Snapshot,
    parsed: &[Parsed],
    unchanged: &[bool],
    map: &FileMap,
) -> Option<Changes> {
    let changed: Vec<usize> = (0..parsed.len())
        .filter(|&i| !unchanged.get(i).copied().unwrap_or(false))
        .collect();
    let old: Vec<usize> = changed
        .iter()
        .filter_map(|&i| map.old_of.get(i).copied().flatten())
        .map(|o| o as usize)
        .collect();
    let mut before = s.outlines(&old)?.into_iter();
    let mut out = Changes {
        reshaped: vec![false; parsed.len()],
        reframe: !map.is_identity(),
        ..Changes::default()
    };
    for &i in &changed {
        if map.old_of.get(i).copied().flatten().is_none() {
            out.reshaped[i] = true;
            continue;
        }
        let then = before.next()?;
        let now = outline_of(match &parsed[i] {
            Parsed::Ok { facts, .. } => Some(facts),
            Parsed::Failed(_) => None,
        });
        compare(i, &then, &now, &mut out)?;
    }
    out.pairs.sort_unstable();
    Some(out)
}

/// Adds to `out` how file `i`'s outline `now` differs from `then` (see [`changes`]); `None`
/// when it changed otherwise than [`Changes`] can say.
fn compare(i: usize, then: &Outline, now: &Outline, out: &mut Changes) -> Option<()> {
    // Scopes are matched by their chain of names, not their index (an inline module added
    // before one shifts it); without a frame change the two are the same.
    let framed = now.frame != then.frame;
    let (key_then, key_now) = match scope_keys(&then.chains, &now.chains) {
        Some(keys) => keys,
        None if !framed => {
            let n = then.chains.len().max(now.chains.len()) as u32;
            ((0..n).map(Some).collect(), (0..n).map(Some).collect())
        }
        None => return None,
    };
    if framed {
        out.reframe = true;
        out.reshaped[i] = true;
    }
    // Block scopes have no key: what they declare is seen by their own file only, which
    // is resolved again (it changed).
    let shared = |key: &[Option<u32>], scope: u32| key.get(scope as usize).copied().flatten();
    let (a, b): (BTreeSet<_>, BTreeSet<_>) = (
        then.items
            .iter()
            .filter_map(|(sc, n, m)| Some((shared(&key_then, *sc)?, n, *m)))
            .collect(),
        now.items
            .iter()
            .filter_map(|(sc, n, m)| Some((shared(&key_now, *sc)?, n, *m)))
            .collect(),
    );
    let items: Vec<String> = a
        .symmetric_difference(&b)
        .map(|(_, n, _)| (*n).clone())
        .collect();
    out.general.extend(items.iter().cloned());
    out.names.extend(items);
    // Macros in textual scope: a name defined, moved past a `mod`, exported or not.
    let (a, b): (BTreeSet<_>, BTreeSet<_>) = (
        then.macros
            .iter()
            .filter_map(|(sc, n, e, o)| Some((shared(&key_then, *sc)?, n, *e, *o)))
            .collect(),
        now.macros
            .iter()
            .filter_map(|(sc, n, e, o)| Some((shared(&key_now, *sc)?, n, *e, *o)))
            .collect(),
    );
    let macros: Vec<String> = a
        .symmetric_difference(&b)
        .map(|(_, n, _, _)| (*n).clone())
        .collect();
    out.general.extend(macros.iter().cloned());
    out.names.extend(macros);
    // An `extern crate` added, removed or changed, in its name, its crate or its
    // `#[macro_use]` (which reaches every bare macro name of the crate, none of which writes
    // the binding): resolved again whole.
    let crates = |uses: &[UseOutline]| -> Vec<(Option<String>, bool, Option<Segs>)> {
        uses.iter()
            .filter(|u| u.extern_crate)
            .map(|u| (u.name.clone(), u.macro_use, u.krate.clone()))
            .collect()
    };
    if crates(&now.uses) != crates(&then.uses) {
        return None;
    }
    if now.uses == then.uses && !framed {
        return Some(());
    }
    out.reshaped[i] = true;
    let (bound_now, globs_now) = slots(&now.uses, &key_now);
    let (bound_then, globs_then) = slots(&then.uses, &key_then);
    // What a glob brings into scope is not one name: the same globs, in the same order,
    // or everything is resolved again.
    if globs_now.len() != globs_then.len() {
        return None;
    }
    for (scope, list) in &globs_now {
        let other = globs_then.get(scope)?;
        let same_paths = list.len() == other.len()
            && list.iter().zip(other).all(|(&n, &t)| {
                (&now.uses[n].glob, now.uses[n].public) == (&then.uses[t].glob, then.uses[t].public)
            });
        if !same_paths {
            return None;
        }
        out.pairs
            .extend(list.iter().zip(other).map(|(&n, &t)| (i, n, t)));
    }
    for (key, &n) in &bound_now {
        match bound_then.get(key) {
            Some(&t) => {
                out.pairs.push((i, n, t));
                // Made `pub` or private: what other modules see changed.
                if now.uses[n].public != then.uses[t].public {
                    out.names.insert(key.1.to_string());
                    out.general.insert(key.1.to_string());
                }
            }
            None => out.bound(key.1, now.uses[n].public),
        }
    }
    for (key, &t) in &bound_then {
        if !bound_now.contains_key(key) {
            out.bound(key.1, then.uses[t].public);
        }
    }
    Some(())
}

/// The [`Changes`] of files whose facts were `then` and are `now` (by file id), within one
/// graph (the same files, so the same trees when no frame changed); `None` as for
/// [`changes`]. A warm graph patched for a proposed change reads this (see `warm`).
pub fn changes_between(files: &[(usize, &FileFacts, &FileFacts)], count: usize) -> Option<Changes> {
    let mut out = Changes {
        reshaped: vec![false; count],
        ..Changes::default()
    };
    for &(i, then, now) in files {
        compare(i, &outline_of(Some(then)), &outline_of(Some(now)), &mut out)?;
    }
    out.pairs.sort_unstable();
    Some(out)
}

/// Whether two versions of a file's facts have the same *frame* (see [`frame_digest`]): the
/// same module trees.
pub fn same_frame(a: &FileFacts, b: &FileFacts) -> bool {
    frame_digest(a) == frame_digest(b)
}

/// Each scope of two versions of a file, by the chain of names both versions give it a key
/// for (`None`: a scope the other version does not have: a new or gone module); `None` when a
/// chain is there twice in one version (`#[cfg]`-alternative modules of one name).
#[allow(clippy::type_complexity)]
fn scope_keys(then: &[String], now: &[String]) -> Option<(Vec<Option<u32>>, Vec<Option<u32>>)> {
    fn index(chains: &[String]) -> Option<HashMap<&str, u32>> {
        let mut map = HashMap::default();
        for (i, c) in chains.iter().enumerate() {
            if map.insert(c.as_str(), i as u32).is_some() {
                return None;
            }
        }
        Some(map)
    }
    let (a, b) = (index(then)?, index(now)?);
    let keys = |chains: &[String], other: &HashMap<&str, u32>| {
        chains
            .iter()
            .map(|c| {
                let c = c.as_str();
                other.contains_key(c).then(|| a.get(c).copied()).flatten()
            })
            .collect()
    };
    Some((keys(then, &b), keys(now, &a)))
}

/// The import index of the `use`s of an outline (see `graph::import_slots`), by scope key
/// (`keys`, see [`scope_keys`]): the `use`s of scopes without one are left out.
fn slots<'a>(
    uses: &'a [UseOutline],
    keys: &[Option<u32>],
) -> crate::facts::resolve::scope::ImportSlots<'a> {
    let (mut bound, mut globs) = crate::facts::resolve::scope::import_slots(uses.iter().map(|u| {
        let key = keys.get(u.scope as usize).copied().flatten();
        (key.unwrap_or(u32::MAX), u.name.as_deref(), u.glob.is_some())
    }));
    bound.retain(|(scope, _), _| *scope != u32::MAX);
    globs.remove(&u32::MAX);
    (bound, globs)
}

/// Writes the snapshot of `graph`, resolved over `structure` (whose [layout](layout) is
/// `layout`), its files' contents having `hashes`, its `use` leaves having resolved as `memo`
/// says. Every file's outline is read from its facts (present in a lean file too).
#[allow(clippy::too_many_arguments)]
pub(crate) fn save(
    dir: &Path,
    key: &[u8; 32],
    structure: &Structure,
    layout: &Structure,
    hashes: &[Option<ContentHash>],
    graph: &FactGraph,
    memo: &Memo,
) -> io::Result<()> {
    let invalid = || io::Error::from(io::ErrorKind::InvalidData);
    let outlines = outlines_section(graph).ok_or_else(invalid)?;
    let tree = postcard::to_allocvec(&Tree::of(graph)).map_err(|_| invalid())?;
    let head = Head {
        structure: *structure,
        layout: *layout,
        hashes: hashes.to_vec(),
        outlines_len: outlines.len() as u64,
        tree_len: tree.len() as u64,
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
        external: &graph.external_uses,
        unresolved: &graph.unresolved,
    };
    // Encoded straight to the file (through a buffer: the hashing under it wants chunks), not
    // into a 5 MB vector first.
    write_stream(dir, FILE_NAME, key, |out| {
        let invalid = |_| io::Error::from(io::ErrorKind::InvalidData);
        let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
        postcard::to_io(&head, &mut buffered).map_err(invalid)?;
        io::Write::write_all(&mut buffered, &outlines)?;
        io::Write::write_all(&mut buffered, &tree)?;
        postcard::to_io(&all, &mut buffered).map_err(invalid)?;
        for edge in &graph.edges {
            io::Write::write_all(&mut buffered, &edges::record(edge))?;
        }
        io::Write::flush(&mut buffered)
    })?;
    // The snapshot of the format before, which no run reads any more.
    for old in OLD_FILE_NAMES {
        let _ = std::fs::remove_file(dir.join(old));
    }
    Ok(())
}

/// The files of earlier formats of the snapshot (removed when one is written).
const OLD_FILE_NAMES: [&str; 2] = ["resolved-v1.bin", "resolved-v1-names"];

/// Whether the run before this one was in names mode over the same snapshot (of structure
/// `then`) and the same code structure (`now`): the new structure held for two runs, so
/// writing its snapshot pays (while edit after edit changes it, it would not). If not, marks
/// this run (`<dir>/resolved-v2-names` holds both digests). Only decides when the snapshot is
/// rewritten: a lost or foreign mark costs one rewrite more or less, never a wrong result.
pub fn seen_in_names_mode(dir: &Path, then: &Structure, now: &Structure) -> bool {
    let mark = dir.join(NAMES_MARK);
    let this: Vec<u8> = then.iter().chain(now).copied().collect();
    if std::fs::read(&mark).is_ok_and(|seen| seen == this) {
        return true;
    }
    let _ = std::fs::write(&mark, &this);
    false
}

const NAMES_MARK: &str = "resolved-v2-names";

/// The structure of a repository: its packages, and every file's path and interface digest
/// (`None`: it could not be parsed).
pub fn structure(
    packages: &[Package],
    files: &[String],
    interfaces: &[Option<[u8; 16]>],
) -> Structure {
    digest_of(packages, files, Some(interfaces))
}

/// The layout of a repository: its packages and every file's path.
pub fn layout(packages: &[Package], files: &[String]) -> Structure {
    digest_of(packages, files, None)
}

fn digest_of(
    packages: &[Package],
    files: &[String],
    interfaces: Option<&[Option<[u8; 16]>]>,
) -> Structure {
    let mut h = blake3::Hasher::new();
    let packages = postcard::to_allocvec(packages).unwrap_or_default();
    put(&mut h, &packages);
    h.update(&[u8::from(interfaces.is_some())]);
    for (i, path) in files.iter().enumerate() {
        put(&mut h, path.as_bytes());
        match interfaces.map(|all| all.get(i).copied().flatten()) {
            Some(Some(d)) => put(&mut h, &d),
            Some(None) => put(&mut h, b"unparsed"),
            None => {}
        }
    }
    *h.finalize().as_bytes()
}

/// The interface digest of every parsed file (as the cache gave it, else computed).
pub fn interfaces(parsed: &[Parsed]) -> Vec<Option<[u8; 16]>> {
    parsed.iter().map(interface).collect()
}

/// The facts' interface digest (see [`interface_digest`]): as the cache gave it, else computed;
/// `None` for a file that could not be parsed.
fn interface(parsed: &Parsed) -> Option<[u8; 16]> {
    match parsed {
        Parsed::Ok {
            interface: Some(d), ..
        } => Some(*d),
        Parsed::Ok { facts, .. } => Some(interface_digest(facts)),
        Parsed::Failed(_) => None,
    }
}

/// A digest of what resolving any file's paths can read from this file's facts: its scopes,
/// `mod` declarations, `use` leaves and module-level item names, in order, without spans
/// (what `graph`'s module trees and resolver read; a change there must change this).
pub fn interface_digest(facts: &FileFacts) -> [u8; 16] {
    let mut h = frame_hasher(facts);
    h.update(&(facts.uses.len() as u64).to_le_bytes());
    for u in &facts.uses {
        h.update(&u.scope.to_le_bytes());
        h.update(&(u.path.len() as u64).to_le_bytes());
        for seg in u.path.iter() {
            put(&mut h, seg.as_bytes());
        }
        put_opt(&mut h, u.name.as_deref());
        h.update(&[
            u8::from(u.glob),
            u8::from(u.public),
            u8::from(u.test),
            u8::from(u.extern_crate),
            u8::from(u.macro_use),
        ]);
    }
    for (scope, name, marks) in facts.items.names() {
        h.update(&scope.to_le_bytes());
        put(&mut h, name.as_bytes());
        h.update(&[marks]);
    }
    h.update(&(facts.blocks.len() as u64).to_le_bytes());
    for b in &facts.blocks {
        h.update(&b.parent.to_le_bytes());
    }
    for (scope, name, export, before) in macros_of(facts) {
        h.update(&scope.to_le_bytes());
        put(&mut h, name.as_bytes());
        h.update(&[u8::from(export)]);
        h.update(&before.to_le_bytes());
    }
    short(&h)
}

/// A digest of the *frame* of a file's facts: its inline module scopes and `mod` declarations,
/// in order (what `graph`'s module trees are built of; a change there must change this).
fn frame_digest(facts: &FileFacts) -> [u8; 16] {
    short(&frame_hasher(facts))
}

/// A hasher fed with the frame of `facts` (see [`frame_digest`]).
fn frame_hasher(facts: &FileFacts) -> blake3::Hasher {
    let mut h = blake3::Hasher::new();
    h.update(&(facts.scopes.len() as u64).to_le_bytes());
    for s in &facts.scopes {
        h.update(&s.parent.map_or(u64::MAX, u64::from).to_le_bytes());
        put(&mut h, s.name.as_bytes());
        put_opt(&mut h, s.path_attr.as_deref());
        h.update(&[
            u8::from(s.test),
            u8::from(s.not_test),
            u8::from(s.macro_use),
        ]);
    }
    h.update(&(facts.mods.len() as u64).to_le_bytes());
    for m in &facts.mods {
        h.update(&m.scope.to_le_bytes());
        put(&mut h, m.name.as_bytes());
        put_opt(&mut h, m.path_attr.as_deref());
        h.update(&(m.path_alts.len() as u64).to_le_bytes());
        for p in &m.path_alts {
            put(&mut h, p.as_bytes());
        }
        h.update(&[
            u8::from(m.test),
            u8::from(m.public),
            u8::from(m.not_test),
            u8::from(m.macro_use),
        ]);
    }
    h
}

fn short(h: &blake3::Hasher) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize().as_bytes()[..16]);
    out
}

fn put_opt(h: &mut blake3::Hasher, s: Option<&str>) {
    match s {
        Some(s) => {
            h.update(&[1]);
            put(h, s.as_bytes());
        }
        None => {
            h.update(&[0]);
        }
    }
}

fn put(h: &mut blake3::Hasher, bytes: &[u8]) {
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// A hash of a name, the same in every run of one ribo build (FNV-1a, then mixed so that every
/// bit depends on every byte). Only [`ref_filter`] uses it: a collision can only make a filter
/// answer "maybe", never hide a name.
pub fn name_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// splitmix64's finaliser: every bit of the result depends on every bit of `h`.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Probes per name in a [`ref_filter`].
const PROBES: u64 = 8;

/// A Bloom filter of every segment of every path `refs` write (stored in the facts cache beside
/// a file's head, so that a run that reads the file without its references can still tell
/// whether they may name something): 32 bits per distinct segment rounded up to a power of two
/// (32 to 64 bits; at least 64), [`PROBES`] probes, little-endian 64-bit words. It never
/// answers "no" for a segment the references hold; "yes" for one they do not hold at most
/// about once in 100,000 (a file resolved again for nothing: with 16 bits and 6 probes, ~3
/// files of the large corpus's 3,643 were, for each new name).
pub fn ref_filter(refs: &[RefFact]) -> Vec<u8> {
    let mut seen = foldhash::HashSet::default();
    for r in refs {
        for seg in r.path.iter() {
            seen.insert(name_hash(seg));
        }
    }
    if seen.is_empty() {
        return Vec::new();
    }
    let bits = (seen.len() * 32).next_power_of_two().max(64);
    let mut words = vec![0u64; bits / 64];
    for h in seen {
        for bit in probes(h, bits as u64) {
            words[(bit / 64) as usize] |= 1 << (bit % 64);
        }
    }
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Whether the references a [`ref_filter`] was made of may hold a segment of hash `h`; `true`
/// for a malformed filter.
pub fn filter_may_hold(filter: &[u8], h: u64) -> bool {
    if filter.is_empty() {
        return false;
    }
    let bits = filter.len() as u64 * 8;
    if !filter.len().is_multiple_of(8) || !bits.is_power_of_two() {
        return true;
    }
    probes(h, bits).all(|bit| {
        let byte = (bit / 64) * 8 + (bit % 64) / 8;
        filter
            .get(byte as usize)
            .is_none_or(|b| b & (1 << (bit % 8)) != 0)
    })
}

/// The bits (below `bits`, a power of two) a name of hash `h` sets: each probe mixed apart
/// (double hashing, `h + i * step`, makes the probes of two names overlap as a whole far too
/// often in a small filter: ~1 in 1,000 instead of ~1 in 10^7 for 64 bits).
fn probes(h: u64, bits: u64) -> impl Iterator<Item = u64> {
    (0..PROBES).map(move |i| mix(h ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)) & (bits - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::model::{RefKind, Segs, Span};

    #[test]
    fn edges_survive_their_fixed_width_encoding() {
        use crate::facts::model::graph::Edge;
        let kinds = edges::KINDS;
        let edges: Vec<Edge> = (0..48u32)
            .map(|i| Edge {
                from: i,
                to: u32::MAX - i,
                to_file: i * 7,
                kind: kinds[i as usize % kinds.len()],
                reference: i * 3,
                span: Span {
                    start: i,
                    end: i + 1_000_000,
                    line: i + 2,
                    col: i + 3,
                },
                test: i & 1 != 0,
                via_use: i & 2 != 0,
                repeats_use: i & 4 != 0,
                through: (i % 3 == 0).then_some(i * 5),
            })
            .collect();
        let bytes: Vec<u8> = edges.iter().flat_map(edges::record).collect();
        assert_eq!(bytes.len(), edges.len() * edges::RECORD);
        assert_eq!(edges::decode(&bytes), Some(edges.clone()));
        // A record cut short or an unknown kind is an error, never a guess.
        assert_eq!(edges::decode(&bytes[..bytes.len() - 1]), None);
        let mut bad = bytes.clone();
        let last = bad.len() - 1;
        bad[last] = 7 << 3;
        assert_eq!(edges::decode(&bad), None);
    }

    #[test]
    fn a_ref_filter_holds_every_segment_and_few_others() {
        let refs: Vec<RefFact> = (0..200)
            .map(|i| RefFact {
                scope: 0,
                path: Segs::new([format!("seg{i}"), "common".to_string()]),
                kind: RefKind::Path,
                test: false,
                span: Span::default(),
            })
            .collect();
        let filter = ref_filter(&refs);
        for i in 0..200 {
            assert!(filter_may_hold(&filter, name_hash(&format!("seg{i}"))));
        }
        assert!(filter_may_hold(&filter, name_hash("common")));
        let false_positives = (0..10_000)
            .filter(|i| filter_may_hold(&filter, name_hash(&format!("other{i}"))))
            .count();
        assert!(false_positives < 5, "{false_positives} of 10000");
        assert!(!filter_may_hold(&ref_filter(&[]), name_hash("seg1")));
        // Small filters too (most files write few distinct segments): with double hashing
        // (`h + i * step`) a one-segment filter said "maybe" ~1 time in 1,000.
        for n in 1..8 {
            let small = ref_filter(&refs[..n]);
            let false_positives = (0..100_000)
                .filter(|i| filter_may_hold(&small, name_hash(&format!("name_{i}"))))
                .count();
            assert!(
                false_positives < 20,
                "{n} segments: {false_positives} of 100000"
            );
        }
        assert!(filter_may_hold(&filter[..12], name_hash("x")), "malformed");
    }
}
