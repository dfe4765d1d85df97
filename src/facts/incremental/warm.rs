//! The disk's fact graph kept warm between the calls of a long-lived process (`ribo mcp`): built
//! once (from the caches, as a focused run builds it), then, for a proposed change to a few
//! files, *patched* in place — those files' facts, the resolution of their paths and what
//! derives from them swapped in — and restored exactly afterwards. A call then pays for the
//! files it changes, not for the repository: no walk, no stamps, no facts decoded, no graph
//! assembled.
//!
//! A patch is taken only when it gives the graph a build of the changed tree gives (the rest is
//! left to that build: [`Warm::patch`] says no and the graph is untouched). It is, when:
//! - every changed file is a Rust file of the graph that its module trees reach, given new
//!   content that parses, whose *frame* (inline modules, `mod` declarations) is unchanged: the
//!   module trees and module ids are the same, only the byte offsets of the file's `mod`
//!   declarations may move (they are mapped);
//! - the names whose lookup may answer otherwise (`resolved::Changes`: items and `use`
//!   bindings added or removed, glob `use`s unchanged or the patch is refused) are written by
//!   no other file (its `use` paths, and its references, or for a file read without them its
//!   filter of their segments): by the argument of `names::Renamed`, every other file's
//!   paths and `use`s then resolve as before;
//! - the changed files' `use`s, resolved afresh against the memo of every other `use`, meet no
//!   import cycle or depth limit (`resolve::watch`), and each whose result differs binds a
//!   name no other file writes.
//!
//! - the files' warnings other than their parse's and their paths' are the module trees' (a
//!   `mod` with no file), whose lines move with their declarations.
//!
//! The changed files' paths are then resolved against that memo, and their edges, external
//! uses, unresolved paths and warnings replace theirs. A patch of files written on disk is
//! kept ([`Warm::commit`]): the graph is the disk's from then on. `tests/warm.rs` compares
//! patched graphs with graphs built from scratch over the changed trees.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::resolved;
use super::watcher::{Seen, Watcher};
use crate::facts::model::graph::{
    Edge, ExternalUse, FactGraph, FileId, ModId, SourceFile, Unresolved, UseTarget,
};
use crate::facts::model::overlay::{Entry, Overlay};
use crate::facts::model::{FileFacts, QueryHit, Warning};
use crate::facts::resolve::{assemble, trees, watch, Binding, Cells, Memo, Resolved, Resolver};
use crate::facts::rust::parse::{parse_source, Parsed};
use crate::facts::rust::query::QuerySet;

/// The disk's graph, kept warm (see the module docs).
pub struct Warm {
    /// `None` while it is lent out ([`Warm::lend`]), or after a lent graph was not given back.
    graph: Option<FactGraph>,
    /// What every `use` of the graph resolved to (same indices as the files' `use`s).
    memo: Cells,
    /// The files that write each segment in a `use` path or a reference the graph holds (for
    /// the files read without their references: their filters, see [`mentioned`]).
    mentions: foldhash::HashMap<String, Vec<FileId>>,
    /// The `use`s whose result the memo does not hold (of files no module tree reaches): a
    /// patch's resolution that reaches one leaves it as it was.
    unresolved_uses: Vec<(usize, usize)>,
    /// The warnings about the input of the scan the graph was built from (a patched file's
    /// own are among them).
    input_warnings: Vec<Warning>,
    queries: QuerySet,
    /// The watch set before the scan the graph was built from, when one could be set.
    watcher: Option<Watcher>,
    /// A walk was remembered when the graph was built (what a watch watches).
    walk_remembered: bool,
    /// The digest of that scan's input (see `facts::Input::digest`).
    digest: Option<[u8; 32]>,
    /// The patch the graph holds now, if any.
    applied: Option<Undo>,
}

/// How to take a patch back.
struct Undo {
    files: Vec<FileUndo>,
    warnings: Vec<Warning>,
    overlay: Option<Arc<Overlay>>,
    /// Byte offsets of `mod` declarations as they were: `(module, decl_at)`.
    decl_at: Vec<(ModId, Option<u32>)>,
}

/// One patched file as it was.
struct FileUndo {
    id: usize,
    facts: FileFacts,
    query_hits: Vec<QueryHit>,
    use_targets: Vec<UseTarget>,
    memo: Vec<std::sync::OnceLock<Binding>>,
    edges: Vec<Edge>,
    external: Vec<ExternalUse>,
    unresolved: Vec<Unresolved>,
    /// Its resolution was replaced (the four fields above hold the old one).
    resolved: bool,
}

/// A patch that passed the checks needing no resolution (see [`Warm::prepare`]).
struct Prepared {
    fresh: Vec<Fresh>,
    changes: resolved::Changes,
    patched: BTreeSet<usize>,
    /// The files' warnings a patch keeps (see [`kept_warnings`]).
    kept: Vec<Warning>,
}

/// A file's new facts, parsed from a patch's content.
struct Fresh {
    id: usize,
    facts: FileFacts,
    hits: Vec<QueryHit>,
    warnings: Vec<Warning>,
}

impl Warm {
    /// A warm graph: `graph` as built (with `memo`) from a scan whose input warnings were
    /// `input_warnings` and digest `digest`, `watcher` set before that scan over what a walk
    /// remembered then watches (`None` with `walk_remembered`: it could not be set; without:
    /// there was nothing to watch). `None` when the graph's per-file lists are not in file
    /// order (a patch splices them by file).
    pub fn new(
        graph: FactGraph,
        memo: Memo,
        input_warnings: Vec<Warning>,
        queries: QuerySet,
        (watcher, walk_remembered): (Option<Watcher>, bool),
        digest: Option<[u8; 32]>,
    ) -> Option<Warm> {
        let in_order = graph.edges.is_sorted_by_key(|e| e.from)
            && graph.external_uses.is_sorted_by_key(|e| e.file)
            && graph.unresolved.is_sorted_by_key(|u| u.file)
            && memo.len() == graph.files.len();
        if !in_order {
            return None;
        }
        let mut mentions: foldhash::HashMap<String, Vec<FileId>> = Default::default();
        for (fid, f) in graph.files.iter().enumerate() {
            for seg in segments(&f.facts) {
                let files = mentions.entry(seg.to_string()).or_default();
                if files.last() != Some(&(fid as FileId)) {
                    files.push(fid as FileId);
                }
            }
        }
        let unresolved_uses = memo
            .iter()
            .enumerate()
            .flat_map(|(fid, uses)| {
                let empty = uses.iter().enumerate().filter(|(_, b)| b.is_none());
                empty.map(move |(u, _)| (fid, u))
            })
            .collect();
        Some(Warm {
            graph: Some(graph),
            memo: crate::facts::resolve::cells(memo),
            mentions,
            unresolved_uses,
            input_warnings,
            queries,
            watcher,
            walk_remembered,
            digest,
            applied: None,
        })
    }

    /// What changed on the disk since the graph was built, or since this was last asked: by
    /// the watcher; `None` without one (the caller scans and compares [`Warm::digest`]s).
    pub fn disk_changes(&mut self) -> Option<Seen> {
        self.watcher.as_mut().map(Watcher::changes)
    }

    /// Makes the patch the graph holds the disk's state (the change was written: the files
    /// hold its content now). The index of segments follows; the graph's overlay goes.
    pub fn commit(&mut self) {
        let (Some(g), Some(undo)) = (self.graph.as_mut(), self.applied.take()) else {
            return;
        };
        for f in &undo.files {
            let id = f.id as FileId;
            for seg in segments(&f.facts) {
                if let Some(files) = self.mentions.get_mut(seg) {
                    files.retain(|&x| x != id);
                }
            }
            for seg in segments(&g.files[f.id].facts) {
                let files = self.mentions.entry(seg.to_string()).or_default();
                if !files.contains(&id) {
                    files.push(id);
                    files.sort_unstable();
                }
            }
        }
        g.overlay = undo.overlay;
        // The scan's digest is of the disk before: only a watch tells from now on.
        self.digest = None;
    }

    /// Whether a walk was remembered when the graph was built (see [`Warm::new`]).
    pub fn walk_remembered(&self) -> bool {
        self.walk_remembered
    }

    /// Whether the disk is watched (else [`Warm::disk_changes`] cannot tell).
    pub fn watched(&self) -> bool {
        self.watcher.is_some()
    }

    /// The digest of the input the graph was built from.
    pub fn digest(&self) -> Option<&[u8; 32]> {
        self.digest.as_ref()
    }

    /// The graph, with the patch applied if any (`None` while lent out).
    pub fn graph(&self) -> Option<&FactGraph> {
        self.graph.as_ref()
    }

    /// The graph handed out (with its patch, taken back by [`Warm::give_back`]).
    pub fn lend(&mut self) -> Option<FactGraph> {
        self.graph.take()
    }

    /// The graph [`Warm::lend`] handed out, given back; its patch is taken back.
    pub fn give_back(&mut self, graph: FactGraph) {
        self.graph = Some(graph);
        self.restore();
    }

    /// Applies the change `overlay` (every path it holds) to the graph: `true` when it could
    /// (see the module docs), the graph then being the one a build over the disk with the
    /// change gives; `false` otherwise, the graph as it was. A patch applied before is taken
    /// back first.
    pub fn patch(&mut self, overlay: &Arc<Overlay>) -> bool {
        self.restore();
        let Some(Prepared {
            fresh,
            changes,
            patched,
            kept,
        }) = self.prepare(overlay)
        else {
            return false;
        };
        let undo = self.swap_in(fresh, overlay);
        if let Some(g) = self.graph.as_mut() {
            g.warnings.extend(kept);
        }
        self.applied = Some(undo);
        if !self.resolve(&patched, &changes) {
            self.restore();
            return false;
        }
        true
    }

    /// Whether [`Warm::patch`] would take `overlay` as far as can be told without resolving
    /// it (a patch may still be refused by its `use`s' results: rare); the graph untouched.
    pub fn takes(&self, overlay: &Overlay) -> bool {
        self.prepare(overlay).is_some()
    }

    /// What a patch with `overlay` swaps in, once the checks that need no resolution passed
    /// (see the module docs).
    fn prepare(&self, overlay: &Overlay) -> Option<Prepared> {
        let g = self.graph.as_ref()?;
        let fresh = self.parse(g, overlay)?;
        let pairs: Vec<(usize, &FileFacts, &FileFacts)> = fresh
            .iter()
            .map(|f| (f.id, &g.files[f.id].facts, &f.facts))
            .collect();
        let changes = resolved::changes_between(&pairs, g.files.len()).filter(|c| !c.reframe)?;
        let patched: BTreeSet<usize> = fresh.iter().map(|f| f.id).collect();
        let private: Vec<&str> = changes.private_only().collect();
        let general: Vec<&str> = changes
            .names
            .iter()
            .map(String::as_str)
            .filter(|n| !private.contains(n))
            .collect();
        let private_seen = || {
            !private.is_empty()
                && mentioned(
                    g,
                    &self.mentions,
                    &patched,
                    &private,
                    Some(&inside(g, &patched)),
                )
        };
        if mentioned(g, &self.mentions, &patched, &general, None) || private_seen() {
            return None;
        }
        let kept = kept_warnings(g, &fresh)?;
        Some(Prepared {
            fresh,
            changes,
            patched,
            kept,
        })
    }

    /// The changed files' new facts, parsed; `None` when the change is not one a patch takes.
    fn parse(&self, g: &FactGraph, overlay: &Overlay) -> Option<Vec<Fresh>> {
        let mut parser = crate::facts::rust::parser();
        let mut fresh = Vec::new();
        for rel in overlay.paths() {
            let Entry::Content(bytes) = overlay.get(rel) else {
                return None;
            };
            let id = g.file_id(rel)? as usize;
            let file = &g.files[id];
            // A file the scan warned about (it could not be read as it is) is left to a build.
            let warned = self.input_warnings.iter().any(|w| w.path == rel);
            if !file.parsed || file.scope_modules.is_empty() || warned {
                return None;
            }
            let hash = super::cache::content_hash(bytes);
            let Parsed::Ok {
                facts,
                not_utf8,
                hits,
                queries_incomplete,
                ..
            } = parse_source(&mut parser, bytes.to_vec(), &self.queries, Some(hash))
            else {
                return None;
            };
            if !resolved::same_frame(&file.facts, &facts) {
                return None;
            }
            let warnings = assemble::parse_warnings(rel, &facts, not_utf8, queries_incomplete);
            fresh.push(Fresh {
                id,
                facts: *facts,
                hits,
                warnings,
            });
        }
        (!fresh.is_empty()).then_some(fresh)
    }

    /// Puts the new facts of `fresh` in the graph (the module trees' byte offsets mapped, the
    /// overlay set), their resolution still to be done; gives what undoes it.
    fn swap_in(&mut self, fresh: Vec<Fresh>, overlay: &Arc<Overlay>) -> Undo {
        let mut undo = Undo {
            files: Vec::new(),
            warnings: Vec::new(),
            overlay: None,
            decl_at: Vec::new(),
        };
        let Some(g) = self.graph.as_mut() else {
            return undo;
        };
        let mut warnings: Vec<Warning> = Vec::new();
        for f in fresh {
            let file = &mut g.files[f.id];
            let old = std::mem::replace(&mut file.facts, f.facts);
            let hits = std::mem::replace(&mut file.query_hits, f.hits);
            // The same frame: `mod` declarations and inline modules one for one.
            let moved: Vec<(u32, u32)> = old
                .mods
                .iter()
                .zip(&file.facts.mods)
                .map(|(a, b)| (a.span.start, b.span.start))
                .chain(
                    old.scopes
                        .iter()
                        .zip(&file.facts.scopes)
                        .map(|(a, b)| (a.span.start, b.span.start)),
                )
                .filter(|(a, b)| a != b)
                .collect();
            if !moved.is_empty() {
                let id = f.id as FileId;
                for m in 0..g.modules.len() {
                    let module = &g.modules[m];
                    let declared_here = match module.parent {
                        _ if module.file == id && module.scope != 0 => true,
                        Some(p) => g.modules[p as usize].file == id,
                        None => false,
                    };
                    let Some(at) = module.decl_at.filter(|_| declared_here) else {
                        continue;
                    };
                    if let Some(&(_, to)) = moved.iter().find(|(from, _)| *from == at) {
                        undo.decl_at.push((m as ModId, Some(at)));
                        g.modules[m].decl_at = Some(to);
                    }
                }
            }
            let memo = std::mem::take(&mut self.memo[f.id]);
            warnings.extend(f.warnings);
            undo.files.push(FileUndo {
                id: f.id,
                facts: old,
                query_hits: hits,
                use_targets: Vec::new(),
                memo,
                edges: Vec::new(),
                external: Vec::new(),
                unresolved: Vec::new(),
                resolved: false,
            });
        }
        // The patched files' warnings: the parse's now (the scan gave none: see `parse`); the
        // resolution's are added once it is done.
        let patched: BTreeSet<&str> = undo
            .files
            .iter()
            .map(|f| g.files[f.id].path.as_str())
            .collect();
        warnings.extend(
            g.warnings
                .iter()
                .filter(|w| !patched.contains(w.path.as_str()))
                .cloned(),
        );
        undo.warnings = std::mem::replace(&mut g.warnings, warnings);
        undo.overlay = g.overlay.replace(Arc::clone(overlay));
        undo
    }

    /// Resolves the patched files' `use`s and paths (see the module docs); `false` when a
    /// patch cannot give what a build gives (the caller restores the graph).
    fn resolve(&mut self, patched: &BTreeSet<usize>, changes: &resolved::Changes) -> bool {
        let (Some(g), Some(undo)) = (self.graph.as_mut(), self.applied.as_mut()) else {
            return false;
        };
        let mut memo = std::mem::take(&mut self.memo);
        for &id in patched {
            memo[id] = (0..g.files[id].facts.uses.len())
                .map(|_| std::sync::OnceLock::new())
                .collect();
        }
        let r = Resolver::with_cells(g, memo);
        let hits = watch::hits();
        for &id in patched {
            for u in 0..g.files[id].facts.uses.len() {
                r.resolve_use(id as FileId, u, 0);
            }
        }
        let clean = watch::hits() == hits;
        // The `use`s whose result differs from before: each binds a name no other file may
        // write (a glob's: refused).
        let (mut differ, mut differ_private): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
        let mut same = clean;
        let old_of = |id: usize| undo.files.iter().find(|f| f.id == id);
        for &id in patched {
            let (Some(before), facts) = (old_of(id), &g.files[id].facts) else {
                continue;
            };
            let pairs: Vec<(usize, usize)> = match changes.reshaped.get(id) {
                Some(true) => changes
                    .pairs
                    .iter()
                    .filter(|p| p.0 == id)
                    .map(|p| (p.1, p.2))
                    .collect(),
                _ => (0..facts.uses.len()).map(|u| (u, u)).collect(),
            };
            for (now, then) in pairs {
                let was = before.memo.get(then).and_then(std::sync::OnceLock::get);
                if r.memo_of(id, now) == was {
                    continue;
                }
                match &facts.uses[now] {
                    u if u.glob => same = false,
                    u if u.public => differ.extend(u.name.as_deref()),
                    u => differ_private.extend(u.name.as_deref()),
                }
            }
        }
        let mut resolved: Vec<(usize, Resolved)> = Vec::new();
        let seen = |names: &[&str], only: Option<&[bool]>| {
            mentioned(g, &self.mentions, patched, names, only)
        };
        let private_seen =
            !differ_private.is_empty() && seen(&differ_private, Some(&inside(g, patched)));
        if same && !seen(&differ, None) && !private_seen {
            for &id in patched {
                let mut out = Resolved::default();
                r.resolve_file(id as FileId, &g.files[id].facts.refs, &mut out);
                resolved.push((id, out));
            }
        } else {
            same = false;
        }
        self.memo = r.into_cells();
        for &(fid, u) in &self.unresolved_uses {
            if !patched.contains(&fid) {
                if let Some(cell) = self.memo.get_mut(fid).and_then(|m| m.get_mut(u)) {
                    *cell = std::sync::OnceLock::new();
                }
            }
        }
        if !same {
            return false;
        }
        // Spliced from the last file back: the ranges before stay where they are.
        let mut unchecked = Vec::new();
        for (id, out) in resolved.into_iter().rev() {
            let fid = id as FileId;
            let Some(before) = undo.files.iter_mut().find(|f| f.id == id) else {
                continue;
            };
            before.use_targets = std::mem::replace(
                &mut g.files[id].use_targets,
                self.memo[id]
                    .iter()
                    .map(|b| assemble::use_target(&b.get().cloned()))
                    .collect(),
            );
            unchecked.extend(assemble::unchecked_of(&g.files, &out.unresolved));
            before.edges = splice(&mut g.edges, |e| e.from, fid, out.edges);
            before.external = splice(&mut g.external_uses, |e| e.file, fid, out.external);
            before.unresolved = splice(&mut g.unresolved, |u| u.file, fid, out.unresolved);
            before.resolved = true;
        }
        g.warnings.extend(unchecked);
        g.warnings.sort();
        g.warnings.dedup();
        true
    }

    /// Takes back the patch the graph holds, if any: the graph is again the disk's.
    pub fn restore(&mut self) {
        let (Some(g), Some(undo)) = (self.graph.as_mut(), self.applied.take()) else {
            return;
        };
        for f in undo.files.into_iter().rev() {
            let fid = f.id as FileId;
            let file: &mut SourceFile = &mut g.files[f.id];
            file.facts = f.facts;
            file.query_hits = f.query_hits;
            if f.resolved {
                file.use_targets = f.use_targets;
                splice(&mut g.edges, |e| e.from, fid, f.edges);
                splice(&mut g.external_uses, |e| e.file, fid, f.external);
                splice(&mut g.unresolved, |u| u.file, fid, f.unresolved);
            }
            self.memo[f.id] = f.memo;
        }
        for (m, at) in undo.decl_at {
            g.modules[m as usize].decl_at = at;
        }
        g.warnings = undo.warnings;
        g.overlay = undo.overlay;
    }
}

/// The warnings about the files `fresh` changes that their new facts and paths do not give
/// again: the module trees' (a `mod` whose file is missing), their lines moved with their
/// declarations. `None` when one of them is of another kind (a patch cannot tell it again).
fn kept_warnings(g: &FactGraph, fresh: &[Fresh]) -> Option<Vec<Warning>> {
    let mut kept = Vec::new();
    for f in fresh {
        let file = &g.files[f.id];
        for w in g.warnings.iter().filter(|w| w.path == file.path) {
            if assemble::of_the_file_alone(&w.message) {
                continue;
            }
            // The same frame: the same `mod` declarations, in order.
            let moved = file
                .facts
                .mods
                .iter()
                .zip(&f.facts.mods)
                .find_map(|(a, b)| {
                    trees::missing_mod_moved(&w.message, &a.name, a.span.line, b.span.line)
                })?;
            kept.push(Warning::new(w.path.clone(), moved));
        }
    }
    Some(kept)
}

/// Every segment of every `use` path and reference `facts` holds.
fn segments(facts: &FileFacts) -> impl Iterator<Item = &str> {
    let uses = facts.uses.iter().flat_map(|u| u.path.iter());
    uses.chain(facts.refs.iter().flat_map(|r| r.path.iter()))
}

/// Replaces the run of `list` whose file (by `file_of`) is `fid` with `new` (the list is in
/// file order); gives the run it replaced.
fn splice<T>(
    list: &mut Vec<T>,
    file_of: impl Fn(&T) -> FileId,
    fid: FileId,
    new: Vec<T>,
) -> Vec<T> {
    let start = list.partition_point(|x| file_of(x) < fid);
    let end = list.partition_point(|x| file_of(x) <= fid);
    list.splice(start..end, new).collect()
}

/// Which files of `g` (by id) hold code inside a module of one of the `patched` files (the
/// module itself or one below it, in any crate's tree): the code a private name of theirs is
/// offered to.
fn inside(g: &FactGraph, patched: &BTreeSet<usize>) -> Vec<bool> {
    let mut within = vec![false; g.files.len()];
    for m in &g.modules {
        let mut at = Some(m);
        while let Some(module) = at {
            if patched.contains(&(module.file as usize)) {
                if let Some(w) = within.get_mut(m.file as usize) {
                    *w = true;
                }
                break;
            }
            at = module.parent.and_then(|p| g.modules.get(p as usize));
        }
    }
    within
}

/// Whether a file of `g` other than `patched` (and, with `only`, one it marks) writes one of
/// `names` in a `use` path or a reference: by `mentions` (the segments of every `use` path and
/// of every reference the graph holds), and for a file read without its references, by its
/// filter of their segments.
fn mentioned(
    g: &FactGraph,
    mentions: &foldhash::HashMap<String, Vec<FileId>>,
    patched: &BTreeSet<usize>,
    names: &[&str],
    only: Option<&[bool]>,
) -> bool {
    if names.is_empty() {
        return false;
    }
    let counts = |fid: usize| {
        !patched.contains(&fid) && only.is_none_or(|o| o.get(fid).copied().unwrap_or(true))
    };
    let other = |fid: &FileId| counts(*fid as usize);
    if names.iter().any(|n| {
        mentions
            .get(*n)
            .is_some_and(|files| files.iter().any(other))
    }) {
        return true;
    }
    let Some(lean) = &g.lean_refs else {
        return false;
    };
    let hashes: Vec<u64> = names.iter().map(|n| resolved::name_hash(n)).collect();
    g.files.iter().enumerate().any(|(fid, f)| {
        f.facts.refs.is_empty() && counts(fid) && lean.may_mention(fid as FileId, &f.path, &hashes)
    })
}
