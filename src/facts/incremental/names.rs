//! Names mode: the reuse of an earlier run's resolution (the snapshot, see `resolved`) for the
//! files it still holds for ([`Prior`]), also when item names, `use`s or the module trees
//! changed since ([`Renamed`]); the graph assembled that way ([`assemble_with`]).

// foldhash, not SipHash: resolution hashes millions of short names and spans, and SipHash was
// 7% of a one-file check (docs/performance.md).
use foldhash::{HashSet, HashSetExt};
use std::path::PathBuf;

use crate::facts::model::cargo::Package;
use crate::facts::model::graph::{FactGraph, FileId, ModId};
use crate::facts::model::{par, RefFact, Warning};
use crate::facts::resolve::assemble;
use crate::facts::resolve::{watch, Memo, Resolver};
use crate::facts::rust::parse::Parsed;

/// The resolution of every file by an earlier run over the same structure (see `resolved`),
/// and which files it still holds for (their content is unchanged); or, with `renamed`, over
/// a structure that differs from today's by module-level item names and `use`s only.
pub struct Prior<'a> {
    pub resolutions: super::resolved::Resolutions,
    pub reusable: Vec<bool>,
    pub renamed: Option<Renamed<'a>>,
}

/// Where the references of files read without them can be had.
pub trait RefSource: Sync {
    /// The references of each of `files` (id and path; `None`: they cannot be read any more,
    /// as when the file changed during the run and the cache does not hold them), read on
    /// `threads` threads.
    fn refs(&self, files: &[(FileId, &str)], threads: usize) -> Vec<Option<Vec<RefFact>>>;
    /// Whether the references of file `file` (at `path`) may write a segment whose
    /// [hash](super::resolved::name_hash) is one of `names` (a filter: it may say yes wrongly,
    /// never no).
    fn may_mention(&self, file: FileId, path: &str, names: &[u64]) -> bool;
}

/// A snapshot's structure differs from today's by module-level item names and `use`s only:
/// the packages, the files and every file's *frame* (its scopes and `mod`s, see
/// `resolved::frame_digest`) are the same, so the module trees and module ids are the same; the
/// item sets of some modules and the `use`s of some changed files are not
/// ([`resolved::Changes`](super::resolved::Changes) says how). When the trees differ too
/// (`reframe`), the snapshot's file and module ids are first mapped onto today's, and what
/// changed in the trees is added to `C` and to the files resolved again; the argument below
/// then holds as stated (`reframe`'s docs give the rest).
///
/// Why reusing a file's results is then sound. Item names enter resolution in one way only:
/// `Resolver::items(m).contains(name)`, asked by `resolve_path` and `through_globs_in`, where
/// `name` is always a segment of the path being resolved (its first), never an enumeration of
/// a module's names. A file's `use`s enter it through its import index (`import_slots`): the
/// `use` bound to `(scope, name)`, looked up by a segment too (by the file's own paths, or
/// through a glob that names the scope's module), and the scope's globs, which are enumerated.
/// Every other lookup reads the module trees, the crates' dependencies (all the same) or the
/// memo of `use` resolutions. So:
/// - the first pass takes from the snapshot the result of every `use` that reads no changed
///   name ([`Renamed::seeds`]) and resolves the others, in file order; when one of those
///   meets an import cycle, the depth limit, or a result either made (which depend on the
///   order in which the first pass reaches a `use`: see
///   [`watch`](crate::facts::resolve::watch)), every `use` is resolved again, fresh, in file
///   order, exactly as a full resolution does;
/// - `C`, the names whose lookup may answer otherwise, holds the names of items added or
///   removed (by scope) in the changed files, the names a scope of a changed file binds by
///   `use` in one version only ([`Changes::names`](super::resolved::Changes)); the binding
///   names of the `use`s whose fresh result differs from the snapshot's (compared one by one,
///   exact, order effects included: by index in a file whose `use`s are the snapshot's one for
///   one, else by `(scope, name)` binding, [`Changes::pairs`](super::resolved::Changes));
///   and, to a fixpoint, the binding name of every `use` a segment of whose path is in `C` (an
///   over-approximation the comparison makes redundant, kept as a second line: following names
///   alone would miss a `use` that the first pass reaches at another depth, which
///   `tests/cache.rs` shows). A glob `use` whose result changed or whose path has a segment in
///   `C`, or a changed file whose globs are not the snapshot's (same paths, same order, by
///   scope: `resolved::changes` gives up then), makes every file's paths be resolved again:
///   what a glob brings into scope is not one name;
/// - a path's resolution reads, beyond the shared structure: item sets by its own segments,
///   the `use` bound to its first segment (in its file or through a glob's module), and glob
///   `use`s (unchanged, else everything is resolved). A path none of whose segments is in `C`
///   therefore resolves as before, and a file whose content is unchanged, none of whose `use`s
///   changed or has a segment in `C`, and none of whose references has a segment in `C` (by
///   the facts cache's filter of its references' segments when they were not read: see
///   `resolved::ref_filter`) gets exactly its snapshot results. The others are resolved again,
///   their references read when they were not.
pub struct Renamed<'a> {
    /// How the changed files differ from the snapshot.
    pub changes: super::resolved::Changes,
    /// Which files were read without their references (same index).
    pub lean: Vec<bool>,
    pub refs: &'a dyn RefSource,
    /// When the module trees may differ ([`Changes::reframe`](super::resolved::Changes)): the
    /// snapshot's trees and its files mapped onto today's (see `reframe`).
    pub reframe: Option<(&'a super::reframe::Tree, super::reframe::FileMap)>,
    /// Files to resolve again whatever names they write (by `reframe`; empty: none).
    touched: Vec<bool>,
    /// The trees could not be compared: every file is resolved again.
    give_up: bool,
}

impl<'a> Renamed<'a> {
    /// A names-mode prior (see the type's docs); `reframe` as the field says.
    pub fn new(
        changes: super::resolved::Changes,
        lean: Vec<bool>,
        refs: &'a dyn RefSource,
        reframe: Option<(&'a super::reframe::Tree, super::reframe::FileMap)>,
    ) -> Self {
        Renamed {
            changes,
            lean,
            refs,
            reframe,
            touched: Vec::new(),
            give_up: false,
        }
    }
}

/// The names `C` a [`Renamed`] run looks for, and what they reach: which files have a `use`
/// that may resolve otherwise, and which files' references may write one of the names.
#[derive(Clone)]
struct Closure<'n> {
    names: Names<'n>,
    touched: Vec<bool>,
    mentions: Vec<bool>,
}

impl Renamed<'_> {
    /// Which `use`s (by file, same index as `facts.uses`) the first pass may take from the
    /// snapshot instead of resolving them: those of files whose content is unchanged, which
    /// `reframe` does not mark and whose snapshot result is known, none of whose path
    /// segments nor binding name is among `S`. `S` is the changed names, the binding names of
    /// every `use` of every other file, and, to a fixpoint, the binding name of every `use` a
    /// segment of whose path is in `S`. `None` when a glob `use` has a segment in `S` (what it
    /// imports may have changed): nothing is seeded.
    ///
    /// Why a seeded result is what the first pass of a full resolution gives. A `use`'s
    /// resolution reads item names and other `use`s' bindings by the segments of its own path
    /// (through globs too, whose paths are not in `S`): a seeded `use` reads no changed name
    /// and no `use` whose result may differ (those of other files and those with a segment in
    /// `S` bind names in `S`), so it reads what it read when the snapshot was made, down to
    /// the last import. In a full resolution, it may be reached first from another `use`, at
    /// another depth: its result is the same unless its resolution met an import cycle or a
    /// depth limit, which [`watch`](crate::facts::resolve::watch) tells (a tainted result, or
    /// one read deeper than the limit allows for its height): then nothing is seeded
    /// ([`seeded_first_pass`]). The `use`s resolved fresh read seeded results as a full
    /// resolution would have worked them out; what they give is compared with the snapshot
    /// as before ([`Renamed::reusable`]).
    fn seeds(
        &self,
        g: &FactGraph,
        old: &Memo,
        unchanged: &[bool],
        resolvable: &[bool],
    ) -> Option<Vec<Vec<bool>>> {
        if self.give_up {
            return None;
        }
        let seeded_file = |fid: usize| {
            unchanged.get(fid).copied().unwrap_or(false)
                && !self.touched.get(fid).copied().unwrap_or(false)
                && resolvable.get(fid).copied().unwrap_or(false)
        };
        let mut names = Names::new(self.changes.names.iter().map(String::as_str));
        for (fid, f) in g.files.iter().enumerate() {
            // A file no module tree reaches has no `use` anything reads.
            if !seeded_file(fid) && resolvable.get(fid).copied().unwrap_or(false) {
                for n in f.facts.uses.iter().filter_map(|u| u.name.as_deref()) {
                    names.insert(n);
                }
            }
        }
        // To a fixpoint: one scan of every `use` when no name is added (the usual case).
        loop {
            let mut seeds: Vec<Vec<bool>> = g
                .files
                .iter()
                .map(|f| Vec::with_capacity(f.facts.uses.len()))
                .collect();
            let grew = scan(g, &mut names, |fid, u, touches, named| {
                let known = old
                    .get(fid)
                    .and_then(|o| o.get(u))
                    .is_some_and(Option::is_some);
                seeds[fid].push(seeded_file(fid) && known && !touches && !named);
            })?;
            if !grew {
                return Some(seeds);
            }
        }
    }

    /// The closure of the changed names known before any `use` is resolved (items and
    /// bindings added or removed) under the `use`s (see [`close`]) and the files it reaches;
    /// `None` when a glob `use` has a segment among them. Needs no `use` resolution: computed
    /// while the first pass runs.
    fn close_items<'n>(&'n self, g: &'n FactGraph) -> Option<Closure<'n>> {
        let mut names = Names::new(self.changes.names.iter().map(String::as_str));
        let mut touched = self.touched.clone();
        touched.resize(g.files.len(), false);
        close(g, &mut names, &mut touched)?;
        // On this thread alone: the first pass has the other.
        let mentions = self.mentions(g, &names, &names.list, 1);
        Some(Closure {
            names,
            touched,
            mentions,
        })
    }

    /// Which files' references may write one of `new` (of `names`): by their filters for the
    /// files read without them; on `threads` threads.
    fn mentions(
        &self,
        g: &FactGraph,
        names: &Names<'_>,
        new: &[&str],
        threads: usize,
    ) -> Vec<bool> {
        let hashes: Vec<u64> = new.iter().map(|n| super::resolved::name_hash(n)).collect();
        par::map(g.files.len(), threads, |fid| {
            if self.lean.get(fid).copied().unwrap_or(false) {
                self.refs
                    .may_mention(fid as FileId, &g.files[fid].path, &hashes)
            } else {
                g.files[fid]
                    .facts
                    .refs
                    .iter()
                    .any(|r| r.path.iter().any(|seg| names.contains(seg)))
            }
        })
    }

    /// Which files' results the snapshot still gives (see the type's docs), the files whose
    /// content is unchanged being `unchanged`, every `use` having been resolved afresh by `r`
    /// (whose snapshot resolutions were `old`), and `items` being [`Renamed::close_items`];
    /// `None` when everything must be resolved.
    fn reusable<'n>(
        &'n self,
        g: &'n FactGraph,
        r: &Resolver<'_>,
        old: &Memo,
        seeded: &[Vec<bool>],
        unchanged: &[bool],
        items: &Option<Closure<'n>>,
    ) -> Option<Vec<bool>> {
        if self.give_up {
            return None;
        }
        let mut c = items.clone()?;
        let before = c.names.list.len();
        // The `use`s whose result changed: exact, order effects included. By index where a
        // file's `use`s are the snapshot's one for one, else by the pairs `changes` matched.
        let mut differs = |fid: usize, now: usize, then: usize| {
            if seeded
                .get(fid)
                .is_some_and(|f| f.get(now).copied().unwrap_or(false))
            {
                // The snapshot's result itself (see `Renamed::seeds`).
                return Some(());
            }
            let was = old
                .get(fid)
                .and_then(|b| b.get(then))
                .and_then(Option::as_ref);
            if r.memo_of(fid, now) == was {
                return Some(());
            }
            let fact = g.files[fid].facts.uses.get(now)?;
            if fact.glob {
                return None;
            }
            c.touched[fid] = true;
            if let Some(n) = &fact.name {
                c.names.insert(n);
            }
            Some(())
        };
        let reshaped = &self.changes.reshaped;
        for (fid, f) in g.files.iter().enumerate() {
            if !reshaped.get(fid).copied().unwrap_or(false) {
                for u in 0..f.facts.uses.len() {
                    differs(fid, u, u)?;
                }
            }
        }
        for &(fid, now, then) in &self.changes.pairs {
            differs(fid, now, then)?;
        }
        if c.names.list.len() > before {
            // closure(closure(C0) + M) is closure(C0 + M); a file mentions the union if it
            // mentions either part.
            close(g, &mut c.names, &mut c.touched)?;
            let more = self.mentions(g, &c.names, &c.names.list[before..], g.threads);
            for (m, more) in c.mentions.iter_mut().zip(more) {
                *m |= more;
            }
        }
        Some(
            (0..g.files.len())
                .map(|fid| {
                    unchanged.get(fid).copied().unwrap_or(false)
                        && !c.touched[fid]
                        && !c.mentions[fid]
                })
                .collect(),
        )
    }
}

/// Adds to `names`, until none is added, the binding name of every `use` a segment of whose
/// path is among them, marking the files of such `use`s in `touched`; `None` when one of them
/// is a glob.
fn close<'n>(g: &'n FactGraph, names: &mut Names<'n>, touched: &mut [bool]) -> Option<()> {
    loop {
        let grew = scan(g, names, |fid, _, touches, _| {
            if touches {
                touched[fid] = true;
            }
        })?;
        if !grew {
            return Some(());
        }
    }
}

/// One scan of every `use` of [`close`]: adds to `names` the binding name of each `use` a
/// segment of whose path is among them, and tells `visit` of each `use` (file, index) whether
/// its path has such a segment and whether its binding name is among them. `None` when a glob
/// `use`'s path has one; else whether a name was added.
fn scan<'n>(
    g: &'n FactGraph,
    names: &mut Names<'n>,
    mut visit: impl FnMut(usize, usize, bool, bool),
) -> Option<bool> {
    let mut grew = false;
    for (fid, f) in g.files.iter().enumerate() {
        for (u, fact) in f.facts.uses.iter().enumerate() {
            let touches = fact.path.iter().any(|seg| names.contains(seg));
            if touches {
                if fact.glob {
                    return None;
                }
                if let Some(n) = &fact.name {
                    grew |= names.insert(n);
                }
            }
            let named = fact.name.as_deref().is_some_and(|n| names.contains(n));
            visit(fid, u, touches, named);
        }
    }
    Some(grew)
}

/// The `use`s whose results the first pass takes from the snapshot ([`Renamed::seeds`]) given
/// in `seeds`, the first pass over the others; the resolver and which `use`s were seeded
/// (by file; empty: none). The seeded results are moved out of `old`. When a fresh resolution
/// met an import cycle, the depth limit or a result the order may have made (see
/// [`watch`](crate::facts::resolve::watch)), nothing is seeded: every `use` is resolved,
/// in file order, as a full resolution does.
fn seeded_first_pass<'g>(
    g: &'g FactGraph,
    seeds: Option<Vec<Vec<bool>>>,
    old: &mut Memo,
    resolvable: &[bool],
) -> (Resolver<'g>, Vec<Vec<bool>>) {
    if let Some(seeds) = seeds {
        let memo: Memo = seeds
            .iter()
            .enumerate()
            .map(|(fid, uses)| {
                uses.iter()
                    .enumerate()
                    .map(|(u, &seed)| match seed {
                        true => old.get_mut(fid)?.get_mut(u)?.take(),
                        false => None,
                    })
                    .collect()
            })
            .collect();
        let r = Resolver::with_memo(g, memo);
        let hits = watch::hits();
        // The others, in file order (a seeded one is not read here: only what the fresh
        // resolutions read counts).
        for (fid, uses) in seeds.iter().enumerate() {
            if resolvable.get(fid).copied().unwrap_or(false) {
                for (u, _) in uses.iter().enumerate().filter(|(_, s)| !**s) {
                    r.resolve_use(fid as FileId, u, 0);
                }
            }
        }
        if watch::hits() == hits {
            return (r, seeds);
        }
        restore(old, r.into_memo(), &seeds);
    }
    let r = Resolver::new(g);
    r.first_pass(resolvable);
    (r, Vec::new())
}

/// Moves the seeded results of `memo` back into `old`.
fn restore(old: &mut Memo, mut memo: Memo, seeded: &[Vec<bool>]) {
    for (fid, uses) in seeded.iter().enumerate() {
        for (u, _) in uses.iter().enumerate().filter(|(_, s)| **s) {
            let b = memo
                .get_mut(fid)
                .and_then(|m| m.get_mut(u))
                .and_then(Option::take);
            if let Some(slot) = old.get_mut(fid).and_then(|o| o.get_mut(u)) {
                *slot = b;
            }
        }
    }
}

/// A set of names, looked up by every segment of every `use` and of some files' references:
/// a few names (the usual case) are compared in turn, which is cheaper than hashing each
/// segment.
#[derive(Clone)]
struct Names<'a> {
    list: Vec<&'a str>,
    set: HashSet<&'a str>,
    /// Bit `n` (below 64): a name of `n` bytes is in the set; bit 63 also stands for every
    /// longer one. Most segments are rejected by their length alone.
    lengths: u64,
}

impl<'a> Names<'a> {
    /// Above this many names, lookups hash.
    const LINEAR: usize = 8;

    fn new(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut set = Names {
            list: Vec::new(),
            set: HashSet::new(),
            lengths: 0,
        };
        for n in names {
            set.insert(n);
        }
        set
    }

    fn length_bit(name: &str) -> u64 {
        1 << name.len().min(63)
    }

    fn contains(&self, name: &str) -> bool {
        if self.lengths & Self::length_bit(name) == 0 {
            false
        } else if self.list.len() <= Self::LINEAR {
            self.list.contains(&name)
        } else {
            self.set.contains(name)
        }
    }

    /// Adds `name`; whether it was new.
    fn insert(&mut self, name: &'a str) -> bool {
        let new = self.set.insert(name);
        if new {
            self.list.push(name);
            self.lengths |= Self::length_bit(name);
        }
        new
    }
}

/// What [`assemble_with`] gives.
pub(crate) struct Assembled {
    pub graph: FactGraph,
    /// What every `use` resolved to (for the snapshot).
    pub memo: Memo,
    /// How many files' results were taken from the prior (`None` without one).
    pub reused: Option<usize>,
    /// Every resolvable file's paths were resolved or taken from the prior (false when the
    /// references of a file read without them could not be read again: such a graph must
    /// not become a snapshot, which would hold that file's results as empty).
    pub complete: bool,
    /// How many `use` results the first pass took from the prior (see [`Renamed::seeds`]).
    pub seeded: usize,
}

/// [`assemble`](assemble::assemble), taking the resolution of the files `prior` marks reusable
/// from it instead of resolving them again; also gives what every `use` resolved to (for the
/// snapshot).
pub(crate) fn assemble_with(
    root: PathBuf,
    rust_files: Vec<String>,
    parsed: Vec<Parsed>,
    packages: Vec<Package>,
    warnings: Vec<Warning>,
    threads: usize,
    prior: Option<Prior<'_>>,
) -> Assembled {
    let mut g = assemble::modules(root, rust_files, parsed, packages, warnings, threads);
    let (memo, reused, complete, seeded) = resolve_all(&mut g, prior);
    assemble::finish(&mut g);
    Assembled {
        graph: g,
        memo,
        reused,
        complete,
        seeded,
    }
}

/// Resolves every reference as [`assemble::resolve_all`] does, in two passes.
///
/// With `prior`, the first pass is the memo it holds (the same structure gives the same
/// memo), and only the files it does not hold for are resolved; the others' results are its.
/// With a prior whose item names or `use`s changed ([`Renamed`]), the first pass is run, and
/// the files whose results may differ are resolved (their references read first when they
/// were not).
/// Gives the memo, how many files' results were taken from the prior, whether every file's
/// paths were resolved (see [`Assembled::complete`]), and how many `use` results the first
/// pass took from the prior (see [`Renamed::seeds`]).
fn resolve_all(g: &mut FactGraph, prior: Option<Prior<'_>>) -> (Memo, Option<usize>, bool, usize) {
    let prior = prior.map(|p| reframe(g, p));
    let prior = match prior {
        Some(p) if !consistent(g, &p.resolutions) => {
            // Only a snapshot written by something else than ribo (its key and checksum
            // intact) gets here: its results are not used, and the warning says that the files
            // read without their references were not resolved.
            g.warnings.push(Warning::new(
                "",
                "the resolution snapshot in the cache does not fit the code: it was ignored, \
                 and the paths of files unchanged since it was written were not resolved in \
                 this run (run `ribo check` on the whole repository to rebuild it)",
            ));
            None
        }
        other => other,
    };
    let Some(prior) = prior else {
        return (assemble::resolve_all(g), None, true, 0);
    };
    let resolvable = assemble::resolvable(g);
    // References read here for files read without them (by file; empty when none were).
    let mut loaded: Vec<Option<Vec<RefFact>>> = Vec::new();
    let mut unreadable = Vec::new();
    let mut seeded_count = 0;
    // Which files' results the snapshot gives, and the snapshot's results.
    let (r, res, reusable) = match prior {
        Prior {
            mut resolutions,
            reusable: unchanged,
            renamed: Some(renamed),
        } => {
            let mut old = std::mem::take(&mut resolutions.uses);
            // The first pass runs on one thread: what the changed names reach is worked
            // out on another meanwhile.
            let g_ref: &FactGraph = g;
            let (seeded, items) = if par::thread_count(g.threads, 2) > 1 {
                std::thread::scope(|s| {
                    let items = s.spawn(|| renamed.close_items(g_ref));
                    let seeds = renamed.seeds(g_ref, &old, &unchanged, &resolvable);
                    let seeded = seeded_first_pass(g_ref, seeds, &mut old, &resolvable);
                    let items = items.join().unwrap_or_else(|_| renamed.close_items(g_ref));
                    (seeded, items)
                })
            } else {
                let seeds = renamed.seeds(g, &old, &unchanged, &resolvable);
                let seeded = seeded_first_pass(g, seeds, &mut old, &resolvable);
                (seeded, renamed.close_items(g))
            };
            let (mut r, mut seeded) = seeded;
            let mut reusable = renamed.reusable(g, &r, &old, &seeded, &unchanged, &items);
            if reusable.is_none() && !seeded.is_empty() {
                // Everything is resolved again: from a first pass that seeds nothing (a glob
                // whose result changed may have changed what a seeded `use` finds).
                restore(&mut old, r.into_memo(), &seeded);
                r = Resolver::new(g);
                r.first_pass(&resolvable);
                seeded = Vec::new();
                reusable = renamed.reusable(g, &r, &old, &seeded, &unchanged, &items);
            }
            let reusable = reusable.unwrap_or_else(|| vec![false; g.files.len()]);
            seeded_count = seeded.iter().flatten().filter(|s| **s).count();
            let lean = |fid: usize| renamed.lean.get(fid).copied().unwrap_or(false);
            let wanted: Vec<(FileId, &str)> = (0..g.files.len())
                .filter(|&fid| resolvable[fid] && !reusable[fid] && lean(fid))
                .map(|fid| (fid as FileId, g.files[fid].path.as_str()))
                .collect();
            let read = renamed.refs.refs(&wanted, g.threads);
            loaded = (0..g.files.len()).map(|_| None).collect();
            for (&(fid, _), refs) in wanted.iter().zip(read) {
                match refs {
                    Some(refs) => loaded[fid as usize] = Some(refs),
                    None => unreadable.push(fid as usize),
                }
            }
            (r, resolutions, reusable)
        }
        Prior {
            mut resolutions,
            mut reusable,
            renamed: None,
        } => {
            let memo = std::mem::take(&mut resolutions.uses);
            let r = Resolver::with_memo(g, memo);
            reusable.resize(g.files.len(), false);
            (r, resolutions, reusable)
        }
    };
    let per_file = assemble::resolve_files(g, &r, &resolvable, &reusable, &loaded);
    let memo = r.into_memo();
    for (f, refs) in g.files.iter_mut().zip(loaded) {
        if let Some(refs) = refs {
            f.facts.refs = refs;
        }
    }
    let complete = unreadable.is_empty();
    for fid in unreadable {
        let path = g.files[fid].path.clone();
        g.warnings.push(Warning::new(
            path,
            "changed while ribo read it, and its paths could not be read again: they were not \
             resolved in this run",
        ));
    }
    assemble::set_use_targets(g, &resolvable, &memo);
    let counts = |k: usize| -> Vec<usize> {
        let of = |fid: usize| res.counts.get(fid).map_or(0, |c| c[k] as usize);
        (0..g.files.len()).map(of).collect()
    };
    let (ce, cx, cu) = (counts(0), counts(1), counts(2));
    let mut fresh_edges = Vec::new();
    let mut fresh_external = Vec::new();
    let mut fresh_unresolved = Vec::new();
    for (fid, done) in per_file.into_iter().enumerate() {
        if !reusable[fid] {
            fresh_edges.push((fid, done.edges));
            fresh_external.push((fid, done.external));
            fresh_unresolved.push((fid, done.unresolved));
        }
    }
    g.edges = splice_files(res.edges, &ce, fresh_edges);
    g.external_uses = splice_files(res.external, &cx, fresh_external);
    g.unresolved = splice_files(res.unresolved, &cu, fresh_unresolved);
    let reused = reusable.iter().filter(|r| **r).count();
    (memo, Some(reused), complete, seeded_count)
}

/// `p` with the snapshot's module ids mapped onto today's trees, and what changed in the trees
/// added to its changed names, when they may differ (see `reframe`). When they cannot be
/// compared, nothing of the snapshot is used: every file is resolved again.
fn reframe<'a>(g: &FactGraph, mut p: Prior<'a>) -> Prior<'a> {
    let Some(renamed) = &mut p.renamed else {
        return p;
    };
    let Some((tree, map)) = renamed.reframe.take() else {
        return p;
    };
    match super::reframe::diff(g, tree, &map) {
        Some(mut re) => {
            re.apply(g, &mut p.resolutions);
            renamed.changes.names.extend(std::mem::take(&mut re.names));
            renamed.touched = re.touched;
        }
        None => {
            renamed.give_up = true;
            let n = g.files.len();
            p.resolutions = super::resolved::Resolutions {
                uses: vec![Vec::new(); n],
                counts: vec![[0; 3]; n],
                ..Default::default()
            };
        }
    }
    p
}

/// `old`, the results of every file in file order (`counts[fid]` of file `fid`), with the
/// results of the files in `fresh` (increasing file ids) put in place of theirs. A few files
/// (the common case: one edited file) are spliced into `old` where it lies: ~200k edges were
/// copied into a new vector on every focused run, as many fresh pages to fault in; many are
/// gathered into a new vector in one pass.
fn splice_files<T>(mut old: Vec<T>, counts: &[usize], fresh: Vec<(usize, Vec<T>)>) -> Vec<T> {
    const SPLICED: usize = 8;
    let mut start = Vec::with_capacity(counts.len() + 1);
    let mut at = 0;
    for &n in counts {
        start.push(at);
        at += n;
    }
    start.push(at);
    let changed = fresh
        .iter()
        .filter(|(fid, new)| !new.is_empty() || counts.get(*fid).is_some_and(|&n| n > 0))
        .count();
    if changed <= SPLICED && at == old.len() {
        for (fid, new) in fresh.into_iter().rev() {
            let (Some(&from), Some(&n)) = (start.get(fid), counts.get(fid)) else {
                continue;
            };
            if n > 0 || !new.is_empty() {
                old.splice(from..from + n, new);
            }
        }
        return old;
    }
    let added: usize = fresh.iter().map(|(_, new)| new.len()).sum();
    let mut out = Vec::with_capacity(old.len() + added);
    let mut old = old.into_iter();
    let mut fresh = fresh.into_iter().peekable();
    for (fid, &n) in counts.iter().enumerate() {
        match fresh.next_if(|(f, _)| *f == fid) {
            Some((_, new)) => {
                old.by_ref().take(n).for_each(drop);
                out.extend(new);
            }
            None => out.extend(old.by_ref().take(n)),
        }
    }
    out
}

/// Whether every module and file a snapshot's resolutions name exists in `g`.
fn consistent(g: &FactGraph, r: &super::resolved::Resolutions) -> bool {
    let (modules, files) = (g.modules.len(), g.files.len());
    let module = |m: ModId| (m as usize) < modules;
    let file = |f: FileId| (f as usize) < files;
    r.uses.iter().flatten().all(|b| {
        b.as_ref()
            .and_then(|b| crate::facts::resolve::target(&b.res))
            .is_none_or(module)
    }) && r
        .edges
        .iter()
        .all(|e| module(e.to) && file(e.to_file) && file(e.from))
        && r.external.iter().all(|x| file(x.file))
        && r.unresolved.iter().all(|u| file(u.file))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file's results replaced or kept, naively: what `splice_files` must give.
    fn replaced(old: &[u32], counts: &[usize], fresh: &[(usize, Vec<u32>)]) -> Vec<u32> {
        let mut out = Vec::new();
        let mut at = 0;
        for (fid, &n) in counts.iter().enumerate() {
            match fresh.iter().find(|(f, _)| *f == fid) {
                Some((_, new)) => out.extend(new),
                None => out.extend(&old[at..at + n]),
            }
            at += n;
        }
        out
    }

    #[test]
    fn files_results_are_spliced_in_place_or_gathered_anew_alike() {
        let counts = [2, 0, 3, 1, 0, 4, 2, 0, 1, 3, 2, 1];
        let total: usize = counts.iter().sum();
        let old: Vec<u32> = (0..total as u32).collect();
        let cases: Vec<Vec<(usize, Vec<u32>)>> = vec![
            vec![],
            vec![(2, vec![100])],
            vec![(0, vec![]), (1, vec![101, 102]), (11, vec![103, 104, 105])],
            // More than are spliced: gathered into a new vector.
            (0..counts.len())
                .map(|f| (f, vec![200 + f as u32; f % 3]))
                .collect(),
        ];
        for fresh in cases {
            let want = replaced(&old, &counts, &fresh);
            assert_eq!(
                splice_files(old.clone(), &counts, fresh.clone()),
                want,
                "{fresh:?}"
            );
        }
    }
}
