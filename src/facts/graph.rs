//! Assembling the graph: module trees of every crate, then resolution of every path the code
//! writes to a module, an external crate, or an unresolved fact.
//!
//! Resolution follows the names `use` brings into scope (also `use` leaves that start from
//! another `use`'s name, and `use x::*` globs into known modules), `crate`/`self`/`super`,
//! child modules, items of the current module (local: no dependency), the crate's declared
//! dependencies (workspace members resolve into their own module tree), std/core/alloc and the
//! prelude. Anything else is kept as an unresolved fact with the reason.

use std::collections::{BTreeMap, VecDeque};

// foldhash, not SipHash: resolution hashes millions of short names and spans, and SipHash was
// 7% of a one-file check (docs/performance.md).
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::cargo::{join, parent_dir, Package, TargetKind};
use super::model::{FileFacts, RefFact, RefKind, ScopeId, Segs, Span, UseFact};
use super::parse::Parsed;
use super::query::QueryHit;
use super::Warning;

/// Index of a file in `FactGraph::files`.
pub type FileId = u32;
/// Index of a module in `FactGraph::modules`.
pub type ModId = u32;
/// Index of a crate in `FactGraph::crates`.
pub type CrateId = u32;

/// One Rust source file and its facts.
#[derive(Debug, Clone, Serialize)]
pub struct SourceFile {
    /// Relative to the root, `/`-separated.
    pub path: String,
    pub krate: Option<CrateId>,
    /// The module the file defines (its root scope).
    pub module: Option<ModId>,
    /// Reached from a crate root through `mod` declarations (otherwise its module path is
    /// guessed from its location).
    pub in_tree: bool,
    /// The whole file is test code (tests/, benches/, or a module under `#[cfg(test)]`).
    pub test: bool,
    /// False when the file could not be read or parsed: rules must not treat it as clean.
    pub parsed: bool,
    #[serde(skip)]
    pub facts: FileFacts,
    /// The module of each scope of the file (index = scope id).
    #[serde(skip)]
    pub scope_modules: Vec<ModId>,
    /// Matches of the spec's tree-sitter queries.
    #[serde(skip)]
    pub query_hits: Vec<QueryHit>,
    /// What each `use` of `facts.uses` resolves to (same index).
    #[serde(skip)]
    pub use_targets: Vec<UseTarget>,
}

/// What a `use` leaf resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UseTarget {
    /// A module of the workspace (the module the path names).
    Module(ModId),
    /// An external crate or std.
    External,
    /// An item of the current module, or nothing ribo could resolve.
    Other,
}

/// A crate: one target of a package, with the root of its module tree.
#[derive(Debug, Clone, Serialize)]
pub struct Crate {
    /// Index into `FactGraph::packages`.
    pub package: usize,
    pub kind: TargetKind,
    pub name: String,
    pub root_file: FileId,
    pub root_module: ModId,
}

/// A module: a file's root scope or an inline `mod x { }`, in one crate's tree.
#[derive(Debug, Clone, Serialize)]
pub struct Module {
    pub krate: Option<CrateId>,
    /// `crate::a::b` (the crate's own name is not included).
    pub path: String,
    pub file: FileId,
    pub scope: ScopeId,
    pub parent: Option<ModId>,
    pub children: BTreeMap<String, ModId>,
    pub test: bool,
}

/// A dependency of a file on a module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    pub from: FileId,
    pub to: ModId,
    /// The file that defines the target module.
    pub to_file: FileId,
    pub kind: RefKind,
    /// Index of the reference in its file's `facts.refs` (the path as written is there, or,
    /// for a file read without its references, in the cache: see [`FactGraph::edge_path`];
    /// ~200k edges on a large repository need not copy it).
    pub reference: u32,
    pub span: Span,
    pub test: bool,
    /// Reached through a name that a `use` brought into scope.
    pub via_use: bool,
    /// Reaches the same module as the `use` it goes through: the dependency is made (and
    /// reported) at the `use`; this reference only repeats it.
    pub repeats_use: bool,
}

/// A use of an external crate (std, core and alloc are not recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalUse {
    pub file: FileId,
    /// The name the code uses.
    pub name: String,
    /// The package it comes from (from Cargo.toml; the name itself when undeclared).
    pub package: String,
    /// Declared in a Cargo.toml that covers the file.
    pub declared: bool,
    pub path: String,
    pub kind: RefKind,
    pub span: Span,
    pub test: bool,
}

/// A path ribo could not resolve. Never treated as allowed or forbidden; listed in facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unresolved {
    pub file: FileId,
    pub path: String,
    pub kind: RefKind,
    pub span: Span,
    pub reason: String,
    pub test: bool,
}

/// Everything ribo knows about the code.
#[derive(Debug, Clone, Serialize)]
pub struct FactGraph {
    #[serde(skip)]
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    pub packages: Vec<Package>,
    pub crates: Vec<Crate>,
    pub modules: Vec<Module>,
    pub edges: Vec<Edge>,
    pub external_uses: Vec<ExternalUse>,
    pub unresolved: Vec<Unresolved>,
    pub warnings: Vec<Warning>,
    /// What the facts cache did (not part of the facts).
    #[serde(skip)]
    pub cache: super::CacheReport,
    /// Threads the graph was built with (0 = one per core); passes over it use as many.
    #[serde(skip)]
    pub threads: usize,
    /// Where the references of files whose `facts.refs` were not loaded can be read (a run
    /// that took their resolution from the snapshot: see `resolved`); `None` when every
    /// file's references are loaded.
    #[serde(skip)]
    pub lean_refs: Option<std::sync::Arc<super::cache::LeanRefs>>,
}

impl FactGraph {
    /// The file with this id.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id as usize]
    }

    /// The path of an edge as written: `crate::store::Db`.
    pub fn edge_path(&self, edge: &Edge) -> String {
        let file = self.file(edge.from);
        match file.facts.refs.get(edge.reference as usize) {
            Some(r) => r.path.join("::"),
            None => self
                .lean_refs
                .as_ref()
                .and_then(|l| l.path(edge.from, &file.path, edge.reference))
                .unwrap_or_default(),
        }
    }

    /// The module with this id.
    pub fn module(&self, id: ModId) -> &Module {
        &self.modules[id as usize]
    }

    /// The file id of a relative path.
    pub fn file_id(&self, path: &str) -> Option<FileId> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| i as FileId)
    }

    /// Full display name of a module: `<crate name>::a::b`.
    pub fn module_display(&self, id: ModId) -> String {
        let m = self.module(id);
        match m.krate {
            Some(k) => {
                let name = &self.crates[k as usize].name;
                match m.path.strip_prefix("crate") {
                    Some(rest) => format!("{name}{rest}"),
                    None => m.path.clone(),
                }
            }
            None => m.path.clone(),
        }
    }
}

/// Expands the paths of one file through its `use` bindings: names that `use` brought into
/// scope are replaced by what they import, and a leading `self`/`super` by the module's path
/// (after `use std::process;`, `process::exit` expands to `std::process::exit`). Best effort;
/// never fails. The file's bindings are indexed once and the expanded segments borrow from the
/// facts, so expanding allocates one vector per path.
pub struct Expander<'g> {
    graph: &'g FactGraph,
    file: &'g SourceFile,
    bindings: HashMap<(ScopeId, &'g str), &'g UseFact>,
}

impl<'g> Expander<'g> {
    /// The expander of one file.
    pub fn new(graph: &'g FactGraph, file: FileId) -> Self {
        let file = graph.file(file);
        let mut bindings = HashMap::new();
        for u in &file.facts.uses {
            if let (false, Some(name)) = (u.glob, &u.name) {
                bindings.entry((u.scope, name.as_str())).or_insert(u);
            }
        }
        Expander {
            graph,
            file,
            bindings,
        }
    }

    /// `path` (written in `scope` of the file) with `use` names and `self`/`super` followed.
    pub fn expand<'p>(&self, scope: ScopeId, path: &'p Segs) -> Vec<&'p str>
    where
        'g: 'p,
    {
        let mut cur: Vec<&'p str> = path.iter().collect();
        for _ in 0..MAX_DEPTH {
            let Some(&first) = cur.first() else { break };
            match first {
                "self" | "super" => {
                    let Some(&m) = self.file.scope_modules.get(scope as usize) else {
                        break;
                    };
                    let mut module: Vec<&'p str> = self.graph.module(m).path.split("::").collect();
                    let mut i = usize::from(cur[0] == "self");
                    while cur.get(i).is_some_and(|s| *s == "super") && module.len() > 1 {
                        module.pop();
                        i += 1;
                    }
                    module.extend(cur.drain(i..));
                    cur = module;
                    break;
                }
                name => match self.bindings.get(&(scope, name)) {
                    Some(u) if u.path.first() != Some(name) || u.path.len() > 1 => {
                        let mut next: Vec<&'p str> = u.path.iter().collect();
                        next.extend(cur.drain(1..));
                        cur = next;
                    }
                    _ => break,
                },
            }
        }
        cur
    }
}

/// Crates every Rust program can name without declaring them.
pub const STD_CRATES: [&str; 5] = ["std", "core", "alloc", "proc_macro", "test"];

/// Tool namespaces of attributes and lints (`#[allow(clippy::x)]`, `#[rustfmt::skip]`).
const TOOL_NAMESPACES: &[&str] = &[
    "clippy",
    "rustfmt",
    "rustdoc",
    "rustc",
    "diagnostic",
    "rust_analyzer",
    "miri",
];

/// Names in scope everywhere (the std prelude and primitive types).
const PRELUDE: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "ToString",
    "ToOwned",
    "Clone",
    "Copy",
    "Default",
    "Drop",
    "Eq",
    "PartialEq",
    "Ord",
    "PartialOrd",
    "Hash",
    "Debug",
    "Iterator",
    "IntoIterator",
    "DoubleEndedIterator",
    "ExactSizeIterator",
    "Extend",
    "FromIterator",
    "AsRef",
    "AsMut",
    "Into",
    "From",
    "TryFrom",
    "TryInto",
    "Fn",
    "FnMut",
    "FnOnce",
    "Send",
    "Sync",
    "Sized",
    "Unpin",
    "bool",
    "char",
    "str",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
];

const MAX_DEPTH: u32 = 16;

/// Builds modules, crates and resolves every reference.
pub fn assemble(
    root: PathBuf,
    rust_files: Vec<String>,
    parsed: Vec<Parsed>,
    packages: Vec<Package>,
    warnings: Vec<Warning>,
    threads: usize,
) -> FactGraph {
    assemble_with(root, rust_files, parsed, packages, warnings, threads, None).graph
}

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
/// - every `use` is resolved again first, fresh, in file order, exactly as a full resolution
///   does (a `use` cycle, and the depth limit, make a `use`'s result depend on the order in
///   which the first pass reaches it: it is not taken from the snapshot);
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
struct Closure<'n> {
    names: Names<'n>,
    touched: Vec<bool>,
    mentions: Vec<bool>,
}

impl Renamed<'_> {
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
        super::par::map(g.files.len(), threads, |fid| {
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
        unchanged: &[bool],
        items: Option<Closure<'n>>,
    ) -> Option<Vec<bool>> {
        if self.give_up {
            return None;
        }
        let mut c = items?;
        let before = c.names.list.len();
        // The `use`s whose result changed: exact, order effects included. By index where a
        // file's `use`s are the snapshot's one for one, else by the pairs `changes` matched.
        let mut differs = |fid: usize, now: usize, then: usize| {
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
        let mut grew = false;
        for (fid, f) in g.files.iter().enumerate() {
            for fact in &f.facts.uses {
                if fact.path.iter().any(|seg| names.contains(seg)) {
                    if fact.glob {
                        return None;
                    }
                    touched[fid] = true;
                    if let Some(n) = &fact.name {
                        grew |= names.insert(n);
                    }
                }
            }
        }
        if !grew {
            return Some(());
        }
    }
}

/// What every `use` leaf of every file resolved to (same indices as the files' `facts.uses`;
/// `None` for files no module tree reaches).
pub(super) type Memo = Vec<Vec<Option<Res>>>;

/// A set of names, looked up by every segment of every `use` and of some files' references:
/// a few names (the usual case) are compared in turn, which is cheaper than hashing each
/// segment.
struct Names<'a> {
    list: Vec<&'a str>,
    set: HashSet<&'a str>,
}

impl<'a> Names<'a> {
    /// Above this many names, lookups hash.
    const LINEAR: usize = 8;

    fn new(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut set = Names {
            list: Vec::new(),
            set: HashSet::new(),
        };
        for n in names {
            set.insert(n);
        }
        set
    }

    fn contains(&self, name: &str) -> bool {
        if self.list.len() <= Self::LINEAR {
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
        }
        new
    }
}

/// What [`assemble_with`] gives.
pub(super) struct Assembled {
    pub graph: FactGraph,
    /// What every `use` resolved to (for the snapshot).
    pub memo: Memo,
    /// How many files' results were taken from the prior (`None` without one).
    pub reused: Option<usize>,
    /// Every resolvable file's paths were resolved or taken from the prior (false when the
    /// references of a file read without them could not be read again: such a graph must
    /// not become a snapshot, which would hold that file's results as empty).
    pub complete: bool,
}

/// [`assemble`], taking the resolution of the files `prior` marks reusable from it instead of
/// resolving them again; also gives what every `use` resolved to (for the snapshot).
pub(super) fn assemble_with(
    root: PathBuf,
    rust_files: Vec<String>,
    parsed: Vec<Parsed>,
    packages: Vec<Package>,
    mut warnings: Vec<Warning>,
    threads: usize,
    prior: Option<Prior<'_>>,
) -> Assembled {
    let mut files = Vec::with_capacity(rust_files.len());
    for (path, p) in rust_files.into_iter().zip(parsed) {
        let (facts, ok, query_hits) = match p {
            Parsed::Ok {
                facts,
                not_utf8,
                hits,
                queries_incomplete,
                ..
            } => {
                if queries_incomplete {
                    warnings.push(Warning::new(
                        &path,
                        "a `query:` invariant gave up on this file (over its work budget, as \
                         on very deeply nested code): not fully checked",
                    ));
                }
                if not_utf8 {
                    warnings.push(Warning::new(
                        &path,
                        "is not valid UTF-8: checked as far as it could be parsed",
                    ));
                }
                if facts.syntax_error_count > 0 {
                    warnings.push(syntax_warning(&path, &facts));
                }
                (*facts, true, hits)
            }
            Parsed::Failed(message) => {
                warnings.push(Warning::new(&path, message));
                (FileFacts::default(), false, Vec::new())
            }
        };
        files.push(SourceFile {
            path,
            krate: None,
            module: None,
            in_tree: false,
            test: false,
            parsed: ok,
            facts,
            scope_modules: Vec::new(),
            query_hits,
            use_targets: Vec::new(),
        });
    }
    let mut g = FactGraph {
        root,
        files,
        packages,
        crates: Vec::new(),
        modules: Vec::new(),
        edges: Vec::new(),
        external_uses: Vec::new(),
        unresolved: Vec::new(),
        warnings,
        cache: super::CacheReport::default(),
        threads,
        lean_refs: None,
    };
    Trees::new(&mut g).build();
    let (memo, reused, complete) = resolve_all(&mut g, prior);
    g.warnings.sort();
    g.warnings.dedup();
    Assembled {
        graph: g,
        memo,
        reused,
        complete,
    }
}

fn syntax_warning(path: &str, facts: &FileFacts) -> Warning {
    let at = facts
        .syntax_errors
        .first()
        .map(|s| format!(" (first at {}:{})", s.line, s.col))
        .unwrap_or_default();
    Warning::new(
        path,
        format!(
            "has {} syntax error(s){at}: facts were extracted from the rest of the file",
            facts.syntax_error_count
        ),
    )
}

/// Builds the module tree of every crate, then places files no tree reaches.
struct Trees<'g> {
    g: &'g mut FactGraph,
    index: HashMap<String, FileId>,
    /// Files loaded through `#[path]` behave like `mod.rs` files for their children.
    path_loaded: HashSet<FileId>,
    /// `(crate, path) -> module`, for placing orphans under their guessed parent.
    by_path: HashMap<(Option<CrateId>, String), ModId>,
}

impl<'g> Trees<'g> {
    fn new(g: &'g mut FactGraph) -> Self {
        let index = g
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.clone(), i as FileId))
            .collect();
        Trees {
            g,
            index,
            path_loaded: HashSet::new(),
            by_path: HashMap::new(),
        }
    }

    fn build(mut self) {
        let mut roots: Vec<(TargetKind, usize, String, String)> = Vec::new();
        for (pi, p) in self.g.packages.iter().enumerate() {
            for t in &p.targets {
                roots.push((t.kind, pi, t.name.clone(), t.root.clone()));
            }
        }
        // Libraries first, so a file shared by a lib and a bin belongs to the lib.
        roots.sort_by(|a, b| a.0.cmp(&b.0).then(a.3.cmp(&b.3)));
        for (kind, package, name, root) in roots {
            let Some(&file) = self.index.get(&root) else {
                continue;
            };
            let krate = self.g.crates.len() as CrateId;
            let module = self.g.modules.len() as ModId;
            self.g.crates.push(Crate {
                package,
                kind,
                name,
                root_file: file,
                root_module: module,
            });
            self.add_tree(
                Some(krate),
                file,
                "crate".to_string(),
                None,
                kind.is_test(),
                true,
            );
        }
        self.place_orphans();
        for f in &mut self.g.files {
            if let Some(m) = f.module {
                f.test = f.test || self.g.modules[m as usize].test;
            }
        }
    }

    /// Adds the modules of `file` (and, through `mod x;`, of the files it declares).
    fn add_tree(
        &mut self,
        krate: Option<CrateId>,
        file: FileId,
        path: String,
        parent: Option<ModId>,
        test: bool,
        is_root: bool,
    ) -> ModId {
        let mut queue = VecDeque::new();
        let first = self.add_file(krate, file, path, parent, test, is_root, &mut queue);
        while let Some((file, scope_mods)) = queue.pop_front() {
            self.declare_children(krate, file, &scope_mods, &mut queue);
        }
        first
    }

    #[allow(clippy::too_many_arguments)]
    fn add_file(
        &mut self,
        krate: Option<CrateId>,
        file: FileId,
        path: String,
        parent: Option<ModId>,
        test: bool,
        is_root: bool,
        queue: &mut VecDeque<(FileId, Vec<ModId>)>,
    ) -> ModId {
        let scopes = self.g.files[file as usize].facts.scopes.clone();
        let mut scope_mods: Vec<ModId> = Vec::with_capacity(scopes.len().max(1));
        let root_mod = self.new_module(krate, path, file, 0, parent, test);
        scope_mods.push(root_mod);
        for (i, s) in scopes.iter().enumerate().skip(1) {
            let parent_mod = s
                .parent
                .and_then(|p| scope_mods.get(p as usize).copied())
                .unwrap_or(root_mod);
            let parent_path = self.g.modules[parent_mod as usize].path.clone();
            let parent_test = self.g.modules[parent_mod as usize].test;
            let m = self.new_module(
                krate,
                format!("{parent_path}::{}", s.name),
                file,
                i as ScopeId,
                Some(parent_mod),
                parent_test || s.test,
            );
            self.g.modules[parent_mod as usize]
                .children
                .insert(s.name.clone(), m);
            scope_mods.push(m);
        }
        let f = &mut self.g.files[file as usize];
        if f.module.is_none() {
            f.module = Some(root_mod);
            f.krate = krate;
            f.in_tree = krate.is_some() && (is_root || parent.is_some());
            f.scope_modules = scope_mods.clone();
            queue.push_back((file, scope_mods));
        }
        root_mod
    }

    fn new_module(
        &mut self,
        krate: Option<CrateId>,
        path: String,
        file: FileId,
        scope: ScopeId,
        parent: Option<ModId>,
        test: bool,
    ) -> ModId {
        let id = self.g.modules.len() as ModId;
        self.by_path.entry((krate, path.clone())).or_insert(id);
        self.g.modules.push(Module {
            krate,
            path,
            file,
            scope,
            parent,
            children: BTreeMap::new(),
            test,
        });
        id
    }

    /// The directory in which a scope's `mod x;` children live.
    fn scope_dir(&self, file: FileId, scope: ScopeId) -> String {
        let f = &self.g.files[file as usize];
        let dir = parent_dir(&f.path).to_string();
        let name = f.path.rsplit('/').next().unwrap_or("");
        let is_crate_root = self.g.crates.iter().any(|c| c.root_file == file);
        let mod_rs = is_crate_root || name == "mod.rs" || self.path_loaded.contains(&file);
        let mut base = if mod_rs {
            dir
        } else {
            let stem = name.strip_suffix(".rs").unwrap_or(name);
            join(&dir, stem).unwrap_or_default()
        };
        let mut chain = Vec::new();
        let mut s = Some(scope);
        while let Some(id) = s.filter(|id| *id != 0) {
            let Some(sc) = f.facts.scopes.get(id as usize) else {
                break;
            };
            chain.push(sc.path_attr.clone().unwrap_or_else(|| sc.name.clone()));
            s = sc.parent;
        }
        for part in chain.iter().rev() {
            base = join(&base, part).unwrap_or_default();
        }
        base
    }

    fn declare_children(
        &mut self,
        krate: Option<CrateId>,
        file: FileId,
        scope_mods: &[ModId],
        queue: &mut VecDeque<(FileId, Vec<ModId>)>,
    ) {
        let decls = self.g.files[file as usize].facts.mods.clone();
        for decl in decls {
            let Some(&parent) = scope_mods.get(decl.scope as usize) else {
                continue;
            };
            let from = &self.g.files[file as usize].path;
            let candidates: Vec<String> = match &decl.path_attr {
                Some(p) => {
                    let base = if decl.scope == 0 {
                        parent_dir(from).to_string()
                    } else {
                        self.scope_dir(file, decl.scope)
                    };
                    join(&base, p).into_iter().collect()
                }
                None => {
                    let dir = self.scope_dir(file, decl.scope);
                    vec![
                        join(&dir, &format!("{}.rs", decl.name)).unwrap_or_default(),
                        join(&dir, &format!("{}/mod.rs", decl.name)).unwrap_or_default(),
                    ]
                }
            };
            let found = candidates.iter().find_map(|c| self.index.get(c).copied());
            let Some(child_file) = found else {
                // The file exists but was not walked: left out on purpose (`system.exclude`,
                // .gitignore), not missing.
                let root = &self.g.root;
                if candidates
                    .iter()
                    .any(|c| !c.is_empty() && root.join(c).is_file())
                {
                    continue;
                }
                let from = from.clone();
                self.g.warnings.push(Warning::new(
                    &from,
                    format!(
                        "declares `mod {}` (line {}) but no file was found (looked for {})",
                        decl.name,
                        decl.span.line,
                        candidates.join(", ")
                    ),
                ));
                continue;
            };
            if decl.path_attr.is_some() {
                self.path_loaded.insert(child_file);
            }
            let parent_m = &self.g.modules[parent as usize];
            let path = format!("{}::{}", parent_m.path, decl.name);
            let test = parent_m.test || decl.test;
            if self.g.files[child_file as usize].module.is_some() {
                // Already placed (by another crate, or a `#[path]` cycle): link, don't recurse.
                let existing = self.g.files[child_file as usize].module;
                if let Some(m) = existing.filter(|m| self.g.modules[*m as usize].krate == krate) {
                    self.g.modules[parent as usize]
                        .children
                        .insert(decl.name.clone(), m);
                    continue;
                }
                let m = self.new_module(krate, path, child_file, 0, Some(parent), test);
                self.g.modules[parent as usize]
                    .children
                    .insert(decl.name.clone(), m);
                continue;
            }
            let m = self.add_file(krate, child_file, path, Some(parent), test, false, queue);
            self.g.modules[parent as usize]
                .children
                .insert(decl.name.clone(), m);
        }
    }

    /// Files no crate's module tree reaches: placed by their location in their package.
    fn place_orphans(&mut self) {
        for file in 0..self.g.files.len() as FileId {
            if self.g.files[file as usize].module.is_some() {
                continue;
            }
            let path = self.g.files[file as usize].path.clone();
            let package = self
                .g
                .packages
                .iter()
                .enumerate()
                .filter(|(_, p)| p.dir.is_empty() || path.starts_with(&format!("{}/", p.dir)))
                .max_by_key(|(_, p)| p.dir.len())
                .map(|(i, _)| i);
            let krate = package.and_then(|pi| {
                self.g
                    .crates
                    .iter()
                    .position(|c| c.package == pi)
                    .map(|c| c as CrateId)
            });
            let pkg_dir = package.map_or("", |pi| self.g.packages[pi].dir.as_str());
            let (mod_path, parent_path) = guess_module_path(&path, pkg_dir);
            let parent = parent_path.and_then(|p| self.by_path.get(&(krate, p)).copied());
            let in_tests = {
                let rel = path
                    .strip_prefix(pkg_dir)
                    .map(|r| r.trim_start_matches('/'))
                    .unwrap_or(&path);
                rel.starts_with("tests/") || rel.starts_with("benches/")
            };
            // An orphan `lib.rs`/`main.rs` is a crate root Cargo does not build (a second root
            // kept for docs, a template...): its children live in its own directory.
            if matches!(path.rsplit('/').next(), Some("lib.rs" | "main.rs")) {
                self.path_loaded.insert(file);
            }
            let m = self.add_tree(krate, file, mod_path, parent, in_tests, false);
            if let Some(p) = parent {
                let name = self.g.modules[m as usize]
                    .path
                    .rsplit("::")
                    .next()
                    .unwrap_or("")
                    .to_string();
                self.g.modules[p as usize].children.entry(name).or_insert(m);
            }
            self.g.files[file as usize].in_tree = false;
            self.g.files[file as usize].test |= in_tests;
        }
    }
}

/// `src/a/b.rs` -> (`crate::a::b`, Some(`crate::a`)); `src/a/mod.rs` -> (`crate::a`, ..).
fn guess_module_path(path: &str, pkg_dir: &str) -> (String, Option<String>) {
    let rel = path
        .strip_prefix(pkg_dir)
        .map(|r| r.trim_start_matches('/'))
        .unwrap_or(path);
    let rel = rel.strip_prefix("src/").unwrap_or(rel);
    let rel = rel.strip_suffix(".rs").unwrap_or(rel);
    let mut parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    if parts.last() == Some(&"mod") {
        parts.pop();
    }
    let mut path = String::from("crate");
    let mut parent = None;
    for p in parts {
        parent = Some(path.clone());
        path.push_str("::");
        path.push_str(&p.replace('-', "_"));
    }
    (path, parent)
}

/// What a path resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Res {
    Module(ModId),
    External {
        name: String,
        package: String,
        declared: bool,
    },
    Std,
    Local,
    Unresolved(String),
}

/// The crates a crate can name: dependency name -> what it is.
#[derive(Debug, Clone)]
enum Extern {
    Internal(CrateId),
    External { package: String },
}

fn extern_tables(g: &FactGraph) -> Vec<HashMap<String, Extern>> {
    let lib_of = |pi: usize| {
        g.crates
            .iter()
            .position(|c| c.package == pi && c.kind == TargetKind::Lib)
            .map(|c| c as CrateId)
    };
    g.crates
        .iter()
        .map(|c| {
            let mut t = HashMap::new();
            let pkg = &g.packages[c.package];
            for d in &pkg.dependencies {
                let member = g.packages.iter().position(|p| p.name == d.package);
                let e = match member.and_then(lib_of) {
                    Some(lib) => Extern::Internal(lib),
                    None => Extern::External {
                        package: d.package.clone(),
                    },
                };
                t.insert(d.name.clone(), e);
            }
            // The package's own library by name: what bins, tests and examples use, and what a
            // library reaches with `extern crate self as name;` (also files Cargo does not build).
            if let (Some(lib), Some(target)) = (lib_of(c.package), pkg.lib()) {
                t.entry(target.name.clone())
                    .or_insert(Extern::Internal(lib));
            }
            t
        })
        .collect()
}

/// Resolves every reference in two passes: every `use` of every file first, in file order, on
/// one thread (a `use` may follow others, in any file, and the memo of their resolutions,
/// cycles included, must not depend on thread timing); then every other path, file by file
/// in parallel, against that memo, now only read.
///
/// With `prior`, the first pass is the memo it holds (the same structure gives the same
/// memo), and only the files it does not hold for are resolved; the others' results are its.
/// With a prior whose item names or `use`s changed ([`Renamed`]), the first pass is run, and
/// the files whose results may differ are resolved (their references read first when they
/// were not).
/// Gives the memo, how many files' results were taken from the prior, and whether every
/// file's paths were resolved (see [`Assembled::complete`]).
fn resolve_all(g: &mut FactGraph, prior: Option<Prior<'_>>) -> (Memo, Option<usize>, bool) {
    let externs = extern_tables(g);
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
    let resolvable: Vec<bool> = g
        .files
        .iter()
        .map(|f| !f.scope_modules.is_empty())
        .collect();
    // References read here for files read without them (by file; empty when none were).
    let mut loaded: Vec<Option<Vec<RefFact>>> = Vec::new();
    let mut unreadable = Vec::new();
    // Which files' results the snapshot gives (none without one), and the snapshot's results.
    let (r, reused, reusable) = match prior {
        Some(Prior {
            mut resolutions,
            reusable: unchanged,
            renamed: Some(renamed),
        }) => {
            let old = std::mem::take(&mut resolutions.uses);
            let r = Resolver::new(g, &externs);
            // The first pass runs on one thread: what the changed names reach is worked
            // out on another meanwhile.
            let g_ref: &FactGraph = g;
            let items = if super::parse::thread_count(g.threads, 2) > 1 {
                std::thread::scope(|s| {
                    let items = s.spawn(|| renamed.close_items(g_ref));
                    r.first_pass(&resolvable);
                    items.join().unwrap_or_else(|_| renamed.close_items(g_ref))
                })
            } else {
                r.first_pass(&resolvable);
                renamed.close_items(g)
            };
            let reusable = renamed
                .reusable(g, &r, &old, &unchanged, items)
                .unwrap_or_else(|| vec![false; g.files.len()]);
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
            (r, Some(resolutions), reusable)
        }
        Some(Prior {
            mut resolutions,
            mut reusable,
            renamed: None,
        }) => {
            let memo = std::mem::take(&mut resolutions.uses);
            let r = Resolver::with_memo(g, &externs, memo);
            reusable.resize(g.files.len(), false);
            (r, Some(resolutions), reusable)
        }
        None => {
            let r = Resolver::new(g, &externs);
            r.first_pass(&resolvable);
            (r, None, vec![false; g.files.len()])
        }
    };
    let per_file = super::par::map(g.files.len(), g.threads, |fid| {
        let mut out = Resolved::default();
        if resolvable[fid] && !reusable[fid] {
            let refs = match loaded.get(fid) {
                Some(Some(refs)) => refs,
                _ => &g.files[fid].facts.refs,
            };
            r.resolve_file(fid as FileId, refs, &mut out);
        }
        out
    });
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
    for (fid, f) in g.files.iter_mut().enumerate() {
        if resolvable[fid] {
            f.use_targets = memo[fid].iter().map(use_target).collect();
        }
    }
    let reused_count = reused.is_some();
    let (edges, external, unresolved) = match reused {
        Some(res) => {
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
            (
                splice_files(res.edges, &ce, fresh_edges),
                splice_files(res.external, &cx, fresh_external),
                splice_files(res.unresolved, &cu, fresh_unresolved),
            )
        }
        None => {
            let total = |n: fn(&Resolved) -> usize| per_file.iter().map(n).sum::<usize>();
            let mut edges = Vec::with_capacity(total(|r| r.edges.len()));
            let mut external = Vec::with_capacity(total(|r| r.external.len()));
            let mut unresolved = Vec::with_capacity(total(|r| r.unresolved.len()));
            for mut done in per_file {
                edges.append(&mut done.edges);
                external.append(&mut done.external);
                unresolved.append(&mut done.unresolved);
            }
            (edges, external, unresolved)
        }
    };
    g.edges = edges;
    g.external_uses = external;
    g.unresolved = unresolved;
    let reused = reused_count.then(|| reusable.iter().filter(|r| **r).count());
    (memo, reused, complete)
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
    r.uses
        .iter()
        .flatten()
        .all(|res| !matches!(res, Some(Res::Module(m)) if !module(*m)))
        && r.edges
            .iter()
            .all(|e| module(e.to) && file(e.to_file) && file(e.from))
        && r.external.iter().all(|x| file(x.file))
        && r.unresolved.iter().all(|u| file(u.file))
}

/// What a `use` leaf resolved to, as rules see it.
fn use_target(res: &Option<Res>) -> UseTarget {
    match res {
        Some(Res::Module(m)) => UseTarget::Module(*m),
        Some(Res::External { .. } | Res::Std) => UseTarget::External,
        Some(Res::Local | Res::Unresolved(_)) | None => UseTarget::Other,
    }
}

/// What the resolution of one file's references gives.
#[derive(Default)]
struct Resolved {
    edges: Vec<Edge>,
    external: Vec<ExternalUse>,
    unresolved: Vec<Unresolved>,
}

/// The names one file's `use` declarations bring into each of its scopes.
struct FileIndex<'a> {
    bindings: HashMap<(ScopeId, &'a str), usize>,
    globs: HashMap<ScopeId, Vec<usize>>,
    /// The `use` leaf at each span, built on first use (only resolving a file's references
    /// reads it: a run that resolves every `use` but few files' paths builds few).
    use_at: OnceLock<HashMap<(u32, u32), usize>>,
    uses: &'a [UseFact],
}

impl<'a> FileIndex<'a> {
    fn use_at(&self) -> &HashMap<(u32, u32), usize> {
        self.use_at.get_or_init(|| {
            let mut use_at = HashMap::new();
            for (i, u) in self.uses.iter().enumerate() {
                use_at.entry((u.span.start, u.span.end)).or_insert(i);
            }
            use_at
        })
    }

    fn new(facts: &'a FileFacts) -> Self {
        let (bindings, globs) = import_slots(
            facts
                .uses
                .iter()
                .map(|u| (u.scope, u.name.as_deref(), u.glob)),
        );
        FileIndex {
            bindings,
            globs,
            use_at: OnceLock::new(),
            uses: &facts.uses,
        }
    }
}

/// What [`import_slots`] gives: `(scope, name)` bindings and each scope's globs.
pub(super) type ImportSlots<'a> = (
    HashMap<(ScopeId, &'a str), usize>,
    HashMap<ScopeId, Vec<usize>>,
);

/// The import index of one file's `use` leaves, given as `(scope, name, glob)` in order: the
/// `use` each `(scope, name)` binds to (the first `use` of that name in that scope that is not
/// a glob), and each scope's glob `use`s, in order. What the resolver reads of a file's `use`s
/// beyond their own resolution (`resolved::changes` compares two versions of a file by it).
pub(super) fn import_slots<'a>(
    uses: impl IntoIterator<Item = (ScopeId, Option<&'a str>, bool)>,
) -> ImportSlots<'a> {
    let mut bindings = HashMap::new();
    let mut globs: HashMap<ScopeId, Vec<usize>> = HashMap::new();
    for (i, (scope, name, glob)) in uses.into_iter().enumerate() {
        if glob {
            globs.entry(scope).or_default().push(i);
        } else if let Some(name) = name {
            bindings.entry((scope, name)).or_insert(i);
        }
    }
    (bindings, globs)
}

/// Resolves every reference of the graph. `use` resolutions are memoised across files, so a
/// name found through a glob (`use super::*`, `use crate::prelude::*`) can be followed into
/// the imports of the module the glob names, in any file.
struct Resolver<'a> {
    g: &'a FactGraph,
    externs: &'a [HashMap<String, Extern>],
    /// Names defined at module level in each module (items and macros; not impls), built on
    /// first use.
    items: Vec<OnceLock<HashSet<&'a str>>>,
    /// Built on first use (a run that resolves a few files reads few files' imports).
    index: Vec<OnceLock<FileIndex<'a>>>,
    memo: Vec<Vec<OnceLock<Res>>>,
    in_progress: Vec<Vec<AtomicBool>>,
}

impl<'a> Resolver<'a> {
    fn new(g: &'a FactGraph, externs: &'a [HashMap<String, Extern>]) -> Self {
        // Every file's index is read by the first pass: built ahead, in parallel.
        let index = super::par::map(g.files.len(), g.threads, |i| {
            OnceLock::from(FileIndex::new(&g.files[i].facts))
        });
        let memo = g
            .files
            .iter()
            .map(|f| (0..f.facts.uses.len()).map(|_| OnceLock::new()).collect())
            .collect();
        Self::from_parts(g, externs, index, memo)
    }

    /// A resolver whose memo of every `use` is given (by the snapshot).
    fn with_memo(g: &'a FactGraph, externs: &'a [HashMap<String, Extern>], memo: Memo) -> Self {
        let index = (0..g.files.len()).map(|_| OnceLock::new()).collect();
        let memo = memo
            .into_iter()
            .map(|uses| {
                uses.into_iter()
                    .map(|r| r.map_or_else(OnceLock::new, OnceLock::from))
                    .collect()
            })
            .collect();
        Self::from_parts(g, externs, index, memo)
    }

    fn from_parts(
        g: &'a FactGraph,
        externs: &'a [HashMap<String, Extern>],
        index: Vec<OnceLock<FileIndex<'a>>>,
        memo: Vec<Vec<OnceLock<Res>>>,
    ) -> Self {
        let in_progress = memo
            .iter()
            .map(|uses| uses.iter().map(|_| AtomicBool::new(false)).collect())
            .collect();
        Resolver {
            g,
            externs,
            items: (0..g.modules.len()).map(|_| OnceLock::new()).collect(),
            index,
            memo,
            in_progress,
        }
    }

    /// Resolves every `use` of every resolvable file, in file order, on this thread: the first
    /// pass of [`resolve_all`].
    fn first_pass(&self, resolvable: &[bool]) {
        for (fid, f) in self.g.files.iter().enumerate() {
            if resolvable[fid] {
                for u in 0..f.facts.uses.len() {
                    self.resolve_use(fid as FileId, u, 0);
                }
            }
        }
    }

    /// What `use` `u` of file `file` resolved to, if it was.
    fn memo_of(&self, file: usize, u: usize) -> Option<&Res> {
        self.memo.get(file)?.get(u)?.get()
    }

    /// The memo: what every `use` resolved to.
    fn into_memo(self) -> Memo {
        self.memo
            .into_iter()
            .map(|uses| uses.into_iter().map(OnceLock::into_inner).collect())
            .collect()
    }

    /// The names module `m` defines: the module-level items of its file in its scope.
    fn items(&self, m: ModId) -> &HashSet<&'a str> {
        self.items[m as usize].get_or_init(|| {
            let file = &self.g.files[self.g.modules[m as usize].file as usize];
            file.facts
                .items
                .names()
                .filter(|(scope, _)| file.scope_modules.get(*scope as usize) == Some(&m))
                .map(|(_, name)| name)
                .collect()
        })
    }

    fn index(&self, file: FileId) -> &FileIndex<'a> {
        self.index[file as usize].get_or_init(|| FileIndex::new(self.facts(file)))
    }

    fn facts(&self, file: FileId) -> &'a FileFacts {
        &self.g.files[file as usize].facts
    }

    /// Resolves `refs`, the references of `file`.
    fn resolve_file(&self, file: FileId, refs: &[RefFact], out: &mut Resolved) {
        let Resolved {
            edges,
            external,
            unresolved,
            ..
        } = out;
        let file_test = self.g.files[file as usize].test;
        for (ri, r) in refs.iter().enumerate() {
            let (res, via) = match r.kind {
                RefKind::Use => match self
                    .index(file)
                    .use_at()
                    .get(&(r.span.start, r.span.end))
                    .copied()
                {
                    Some(u) => (self.resolve_use(file, u, 0), None),
                    None => r
                        .path
                        .with_slice(|path| self.resolve_path(file, r.scope, path, None, 0)),
                },
                RefKind::ExternCrate => (
                    r.path
                        .with_slice(|path| self.extern_crate(file, r.scope, path)),
                    None,
                ),
                _ => r
                    .path
                    .with_slice(|path| self.resolve_path(file, r.scope, path, None, 0)),
            };
            let test = file_test || r.test;
            match res {
                Res::Module(to) => {
                    let repeats_use = via.is_some_and(|(vf, u)| {
                        self.memo[vf as usize].get(u).and_then(OnceLock::get)
                            == Some(&Res::Module(to))
                    });
                    edges.push(Edge {
                        from: file,
                        to,
                        to_file: self.g.modules[to as usize].file,
                        kind: r.kind,
                        reference: ri as u32,
                        span: r.span,
                        test,
                        via_use: via.is_some(),
                        repeats_use,
                    });
                }
                Res::External {
                    name,
                    package,
                    declared,
                } => {
                    if via.is_none() {
                        external.push(ExternalUse {
                            file,
                            name,
                            package,
                            declared,
                            path: r.path.join("::"),
                            kind: r.kind,
                            span: r.span,
                            test,
                        });
                    }
                }
                Res::Std | Res::Local => {}
                Res::Unresolved(reason) => unresolved.push(Unresolved {
                    file,
                    path: r.path.join("::"),
                    kind: r.kind,
                    span: r.span,
                    reason,
                    test,
                }),
            }
        }
    }

    fn scope_module(&self, file: FileId, scope: ScopeId) -> ModId {
        let mods = &self.g.files[file as usize].scope_modules;
        mods.get(scope as usize).copied().unwrap_or(mods[0])
    }

    fn crate_of(&self, m: ModId) -> Option<CrateId> {
        self.g.modules[m as usize].krate
    }

    fn extern_crate(&self, file: FileId, scope: ScopeId, path: &[&str]) -> Res {
        let Some(&name) = path.first() else {
            return Res::Unresolved("empty path".into());
        };
        if name == "self" {
            return Res::Std;
        }
        self.lookup_crate(self.scope_module(file, scope), name)
            .unwrap_or_else(|| undeclared(name))
    }

    /// A crate name visible from module `m`: a dependency, a workspace member, or std.
    fn lookup_crate(&self, m: ModId, name: &str) -> Option<Res> {
        if let Some(k) = self.crate_of(m) {
            match self.externs[k as usize].get(name) {
                Some(Extern::Internal(c)) => {
                    return Some(Res::Module(self.g.crates[*c as usize].root_module))
                }
                Some(Extern::External { package }) => {
                    return Some(Res::External {
                        name: name.to_string(),
                        package: package.clone(),
                        declared: true,
                    })
                }
                None => {}
            }
        }
        STD_CRATES.contains(&name).then_some(Res::Std)
    }

    /// The resolution of `use` `u` of `file`, memoised. (Called only from one thread until
    /// every `use` is memoised; after that, only read.)
    fn resolve_use(&self, file: FileId, u: usize, depth: u32) -> Res {
        let memo = &self.memo[file as usize][u];
        if let Some(r) = memo.get() {
            return r.clone();
        }
        let in_progress = &self.in_progress[file as usize][u];
        if in_progress.load(Ordering::Relaxed) || depth > MAX_DEPTH {
            return Res::Unresolved("circular imports".into());
        }
        in_progress.store(true, Ordering::Relaxed);
        let use_fact = &self.facts(file).uses[u];
        let (r, _) = use_fact
            .path
            .with_slice(|path| self.resolve_path(file, use_fact.scope, path, Some(u), depth + 1));
        in_progress.store(false, Ordering::Relaxed);
        memo.get_or_init(|| r).clone()
    }

    /// Resolves `path` written in `scope` of `file`; returns the first `use` followed
    /// (its file and index), if any.
    fn resolve_path(
        &self,
        file: FileId,
        scope: ScopeId,
        path: &[&str],
        exclude: Option<usize>,
        depth: u32,
    ) -> (Res, Option<(FileId, usize)>) {
        if depth > MAX_DEPTH {
            return (Res::Unresolved("too many nested imports".into()), None);
        }
        let Some(first) = path.first() else {
            return (Res::Unresolved("empty path".into()), None);
        };
        let m = self.scope_module(file, scope);
        let mut via = None;
        let (mut cur, mut i) = match *first {
            "crate" | "$crate" => match self.crate_of(m) {
                Some(k) => (self.g.crates[k as usize].root_module, 1),
                None => {
                    return (
                        Res::Unresolved(
                            "file belongs to no crate (no Cargo.toml covers it)".into(),
                        ),
                        None,
                    )
                }
            },
            "self" => (m, 1),
            "super" => {
                let mut c = m;
                let mut i = 0;
                while path.get(i).is_some_and(|s| *s == "super") {
                    match self.g.modules[c as usize].parent {
                        Some(p) => c = p,
                        None => {
                            return (
                                Res::Unresolved("`super` goes above the crate root".into()),
                                None,
                            )
                        }
                    }
                    i += 1;
                }
                (c, i)
            }
            "::" => {
                let Some(&name) = path.get(1) else {
                    return (Res::Unresolved("empty path".into()), None);
                };
                return (
                    self.lookup_crate(m, name)
                        .unwrap_or_else(|| undeclared(name)),
                    None,
                );
            }
            name => {
                let binding = self
                    .index(file)
                    .bindings
                    .get(&(scope, name))
                    .copied()
                    .filter(|u| Some(*u) != exclude);
                if let Some(u) = binding {
                    via = Some((file, u));
                    match self.resolve_use(file, u, depth) {
                        Res::Module(mm) => (mm, 1),
                        other => return (other, via),
                    }
                } else if let Some(&child) = self.g.modules[m as usize].children.get(name) {
                    (child, 1)
                } else if self.items(m).contains(name) {
                    return (Res::Local, None);
                } else if let Some(r) = self.lookup_crate(m, name) {
                    match r {
                        Res::Module(root) => (root, 1),
                        other => return (other, None),
                    }
                } else if PRELUDE.contains(&name) || TOOL_NAMESPACES.contains(&name) {
                    return (Res::Std, None);
                } else {
                    let globs = self
                        .index(file)
                        .globs
                        .get(&scope)
                        .map_or(&[][..], Vec::as_slice);
                    match self.through_globs(file, globs, name, depth) {
                        Found::Module(mm, g) => {
                            via = Some(g);
                            (mm, 1)
                        }
                        Found::Item(mm, g) => return (Res::Module(mm), Some(g)),
                        Found::Other(res, g) => return (res, Some(g)),
                        Found::Nothing(external_glob) => {
                            let reason = match external_glob {
                                Some(glob) => format!("`{name}` may come from `use {glob}::*`"),
                                None => {
                                    format!(
                                        "`{name}` is not a module, item, import or crate in scope"
                                    )
                                }
                            };
                            return (Res::Unresolved(reason), None);
                        }
                    }
                }
            }
        };
        while let Some(seg) = path.get(i) {
            match self.g.modules[cur as usize].children.get(*seg) {
                Some(&c) => {
                    cur = c;
                    i += 1;
                }
                None => break,
            }
        }
        (Res::Module(cur), via)
    }

    /// Looks for `name` in the modules named by the glob imports `globs` of `file`: their child
    /// modules, their items, their own imports, and (recursively) their own globs.
    fn through_globs(&self, file: FileId, globs: &[usize], name: &str, depth: u32) -> Found {
        let mut visited = Vec::new();
        self.through_globs_in(file, globs, name, depth, &mut visited)
    }

    fn through_globs_in(
        &self,
        file: FileId,
        globs: &[usize],
        name: &str,
        depth: u32,
        visited: &mut Vec<ModId>,
    ) -> Found {
        let mut external_glob = None;
        if depth > MAX_DEPTH {
            return Found::Nothing(None);
        }
        for &g in globs {
            let via = (file, g);
            match self.resolve_use(file, g, depth + 1) {
                Res::Module(gm) => {
                    if visited.contains(&gm) {
                        continue;
                    }
                    visited.push(gm);
                    if let Some(&child) = self.g.modules[gm as usize].children.get(name) {
                        return Found::Module(child, via);
                    }
                    if self.items(gm).contains(name) {
                        return Found::Item(gm, via);
                    }
                    let (gfile, gscope) = {
                        let module = &self.g.modules[gm as usize];
                        (module.file, module.scope)
                    };
                    let binding = self.index(gfile).bindings.get(&(gscope, name)).copied();
                    if let Some(u) = binding {
                        return match self.resolve_use(gfile, u, depth + 1) {
                            Res::Module(mm) => Found::Module(mm, via),
                            other => Found::Other(other, via),
                        };
                    }
                    let inner = self
                        .index(gfile)
                        .globs
                        .get(&gscope)
                        .map_or(&[][..], Vec::as_slice);
                    if !inner.is_empty() {
                        match self.through_globs_in(gfile, inner, name, depth + 1, visited) {
                            Found::Nothing(ext) => external_glob = external_glob.or(ext),
                            Found::Module(mm, _) => return Found::Module(mm, via),
                            Found::Item(mm, _) => return Found::Item(mm, via),
                            Found::Other(res, _) => return Found::Other(res, via),
                        }
                    }
                }
                Res::External { .. } | Res::Std => {
                    external_glob = Some(self.facts(file).uses[g].path.join("::"));
                }
                _ => {}
            }
        }
        Found::Nothing(external_glob)
    }
}

/// What a glob import provides for a name.
enum Found {
    /// A module: the path goes on from it.
    Module(ModId, (FileId, usize)),
    /// An item of this module.
    Item(ModId, (FileId, usize)),
    /// An import of something else (external, std...).
    Other(Res, (FileId, usize)),
    /// Nothing; the path of an external glob it may come from, if any.
    Nothing(Option<String>),
}

fn undeclared(name: &str) -> Res {
    Res::External {
        name: name.to_string(),
        package: name.to_string(),
        declared: false,
    }
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

    #[test]
    fn guesses_module_paths_from_layout() {
        assert_eq!(
            guess_module_path("src/a/b.rs", ""),
            ("crate::a::b".to_string(), Some("crate::a".to_string()))
        );
        assert_eq!(
            guess_module_path("pkg/src/a/mod.rs", "pkg"),
            ("crate::a".to_string(), Some("crate".to_string()))
        );
    }
}
