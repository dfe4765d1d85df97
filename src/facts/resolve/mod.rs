//! Name resolution, by the Rust reference's rules, without a compiler.
//!
//! Every path the code writes is resolved to the module it names (a dependency), an external
//! crate, std, a name of its own scope (no dependency), or an unresolved fact with the reason.
//! What is modelled, with the part of the reference each follows (["Names"], ["Paths"],
//! ["Use declarations"], ["Macros by example"]):
//!
//! - **Scopes** ([`scope`]). A module's scope holds its items (including `mod` children), its
//!   `use` declarations and its glob imports. A `{ .. }` block that declares items or `use`s is
//!   a scope of its own (an anonymous module), visible in that block only, whichever statement
//!   of the block declares it; nested blocks see their parents'. Lexical lookup never leaves
//!   a module for its parent module (only `super::` does).
//! - **Namespaces** ([`ns`](super::model::items::ns)): types and modules, values, macros. The first
//!   segment of a multi-segment path and every middle segment are looked up in the type
//!   namespace (a `fn memchr` does not hide the crate `memchr` in `memchr::memchr(..)`); a `use`
//!   binds its name in every namespace its target has.
//! - **Lookup order** of a path's first segment: the scopes from the innermost block out to
//!   the module, each with its items and explicit `use`s, then its glob imports (a glob never
//!   shadows an item or an explicit import); then the extern prelude (the crate's
//!   dependencies, `extern crate` at its root, `std`/`core`/`alloc`); then the tool and
//!   standard preludes. Local bindings shadow value names for the calls invariants match
//!   (`expand`).
//! - **Imports** ([`path`]): `use` paths resolve like other paths (uniform paths, editions
//!   2018 and later) or from the crate root (edition 2015; `::x` there is `crate::x`). A path
//!   follows a `use` wherever it passes through one: at its first segment, in its middle
//!   (`crate::shared::db::q` after `pub use crate::infra::db` in `shared`) and through globs,
//!   which import what their target lets the glob's own module see: a private item or import
//!   reaches the code asking only if that code and every glob's module on the way are inside
//!   the module that declares it. A glob of an enum imports its variants, no module. A path
//!   through a re-export names the module the re-export names.
//! - **Macros** ([`macros`]): a `name!` resolves by textual scope (a `macro_rules!` is in scope
//!   after its definition, in its module and the modules declared after it, and after a
//!   `#[macro_use] mod`), then by path (`use`d macros, `#[macro_export]` ones at the crate root),
//!   then through `#[macro_use] extern crate` and the standard prelude. It depends on the
//!   module that defines the macro.
//! - **Modules** ([`trees`]): each crate's tree from its root through `mod` declarations
//!   (`#[path]`, `#[cfg_attr(.., path = ..)]`, `mod.rs` and nested directories); a module
//!   declared several times under different cfgs is one module per alternative, each with its
//!   own edges, and code outside `#[cfg(test)]` never resolves into a test-only alternative.
//!   A binary that declares its library's modules again gets its own copy of their tree.
//!
//! What cannot be resolved is an [`Unresolved`](super::model::graph::Unresolved) fact; when its
//! first segment names nothing ribo knows (no module, item, import or declared crate), it may
//! cross a boundary unseen, and it is also a warning about the input (one per file and name).
//!
//! The fact graph is assembled here ([`assemble`]): every file's facts, the module trees, then
//! every path resolved. This part of facts uses `model` (the ground) and `rust` (the outcome of
//! a file's parse); never `incremental`, which builds on it to reuse an earlier run's
//! resolution.
//!
//! ["Names"]: https://doc.rust-lang.org/reference/names.html
//! ["Paths"]: https://doc.rust-lang.org/reference/paths.html
//! ["Use declarations"]: https://doc.rust-lang.org/reference/items/use-declarations.html
//! ["Macros by example"]: https://doc.rust-lang.org/reference/macros-by-example.html

pub mod assemble;
pub mod expand;
pub(crate) mod macros;
pub(crate) mod path;
pub(crate) mod scope;
pub(crate) mod trees;

use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use super::model::graph::{CrateId, Edge, ExternalUse, FactGraph, FileId, ModId, Unresolved};
use super::model::items::ns;
use super::model::{FileFacts, RefFact, RefKind, ScopeId};

/// What a path resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Res {
    /// A module itself: a path through it goes on in it.
    Module(ModId),
    /// An item inside a module (or something inside the item, a variant...): the path names
    /// that module and goes no further in the module tree.
    Item(ModId),
    /// A name ribo does not know inside a module (one a macro generates): the path names that
    /// module, but what it imports (through a glob) cannot be listed.
    Beyond(ModId),
    /// An external crate (or something inside one).
    External {
        /// The name the code uses (crate names are short: held inline, no allocation for
        /// each of the tens of thousands of `use`s that name a crate).
        name: crate::facts::model::InlineStr,
        /// The package it comes from (the name itself when undeclared).
        package: crate::facts::model::InlineStr,
        /// Declared in a Cargo.toml that covers the file.
        declared: bool,
    },
    /// `std`, `core`, `alloc` and their preludes.
    Std,
    /// A name of the path's own scope (an item of its module or block): no dependency.
    Local,
    Unresolved(Why),
}

/// Why a path could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Why {
    /// The first segment names no module, item, import or crate in scope: it may cross a
    /// boundary unseen (a warning about the input).
    NotFound(String),
    /// The first segment may come from a glob import of an external crate (`use x::*`).
    ExternalGlob(String),
    /// The first segment may come from a glob import of something ribo cannot see into (a
    /// module a macro generates, a crate no manifest declares): a warning about the input, once
    /// per glob.
    OpaqueGlob(String),
    /// Written in a `macro_rules!` body: what it names is known where the macro is used.
    MacroBody(String),
    /// The file belongs to no crate.
    NoCrate,
    /// `super` goes above the crate root.
    AboveRoot,
    /// Imports that lead back to themselves, or nest too deep.
    Circular,
    /// No segment.
    Empty,
    /// A module of the resolution snapshot that is gone (never a fresh result).
    Gone,
}

impl Why {
    /// The reason, as `ribo facts` shows it.
    pub fn message(&self) -> String {
        match self {
            Why::NotFound(name) => format!(
                "`{name}` is not a module, item, import or crate in scope (one a macro or a \
                 build script generates?)"
            ),
            Why::ExternalGlob(glob) => format!("may come from `use {glob}::*`"),
            Why::OpaqueGlob(glob) => format!(
                "may come from `use {glob}::*`, which ribo cannot see into (a module a macro \
                 generates, or a crate no Cargo.toml declares)"
            ),
            Why::MacroBody(name) => format!(
                "`{name}` in a `macro_rules!` body: resolved where the macro is used, not here"
            ),
            Why::NoCrate => "file belongs to no crate (no Cargo.toml covers it)".into(),
            Why::AboveRoot => "`super` goes above the crate root".into(),
            Why::Circular => "circular or too deeply nested imports".into(),
            Why::Empty => "empty path".into(),
            Why::Gone => "a module gone since the resolution snapshot".into(),
        }
    }

    /// When the path may cross a boundary unseen (its first segment names nothing known, or
    /// may come from a glob ribo cannot see into), what its warning about the input is about:
    /// the name, or the glob (one warning per file and key).
    pub fn unchecked(&self) -> Option<String> {
        match self {
            Why::NotFound(name) => Some(name.clone()),
            Why::OpaqueGlob(glob) => Some(format!("use {glob}::*")),
            _ => None,
        }
    }
}

/// What a `use` leaf binds: what it resolves to, the namespaces its name is bound in, and the
/// file of the first re-export followed outside the `use`'s own file, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub res: Res,
    /// [`ns`] bits.
    pub ns: u8,
    pub through: Option<FileId>,
    /// When the name is a macro too, defined in another module than `res` names (`use
    /// tracing::span;` binds the module `span` and the `#[macro_export]` macro `span!`): the
    /// module that defines the macro.
    pub macro_def: Option<ModId>,
    /// The first pass's order may have made this result: while it was worked out, an import
    /// led back to one still being resolved, nesting went too deep, or such a result was read
    /// (see [`watch`]). Set on a `use`'s own binding only.
    pub tainted: bool,
    /// How many levels of imports below this `use` its resolution went through (imports
    /// whose results were read counted as if resolved there: the same whatever the order);
    /// capped at 255. Set on a `use`'s own binding only.
    pub height: u8,
}

impl Binding {
    /// A binding of `res` in the namespaces `ns`.
    fn at(res: Res, ns: u8) -> Binding {
        Binding {
            res,
            ns,
            through: None,
            macro_def: None,
            tainted: false,
            height: 0,
        }
    }

    fn of(res: Res) -> Binding {
        let ns = match &res {
            Res::Module(_) => ns::TYPE,
            Res::Unresolved(_) => 0,
            _ => ns::ALL,
        };
        Binding {
            res,
            ns,
            through: None,
            macro_def: None,
            tainted: false,
            height: 0,
        }
    }
}

/// What the first pass watches to tell a `use` whose result cannot depend on the order in
/// which `use`s are resolved. Resolving `use`s one by one, each once (the memo), makes a cycle
/// of imports (`glob` through `glob` back to itself) or the depth limit give a result that
/// depends on which `use` of the cycle was reached first; everything else is a function of the
/// code. On this thread: how many times a lookup met a `use` still being resolved, went past a
/// depth limit, or read a result marked [`Binding::tainted`] (the *hits*); and the deepest
/// level any lookup reached (the *reach*), a read result counting at the depth it was read
/// plus its [`Binding::height`], whatever the order. A `use` during whose resolution the hits
/// did not move is untainted, and its height is the reach less its own depth.
pub(crate) mod watch {
    use std::cell::Cell;

    thread_local! {
        static HITS: Cell<u64> = const { Cell::new(0) };
        static REACH: Cell<u32> = const { Cell::new(0) };
    }

    /// A lookup met a `use` being resolved, went past a depth limit or read a tainted result.
    pub fn hit() {
        HITS.with(|h| h.set(h.get() + 1));
    }

    /// The hits so far on this thread.
    pub fn hits() -> u64 {
        HITS.with(Cell::get)
    }

    /// A lookup reached `depth`.
    pub fn reach(depth: u32) {
        REACH.with(|r| {
            if depth > r.get() {
                r.set(depth);
            }
        });
    }

    /// The resolution of a `use` at `depth` starts: what [`leave`] needs.
    pub fn enter(depth: u32) -> (u64, u32) {
        (hits(), REACH.with(|r| r.replace(depth)))
    }

    /// The resolution of a `use` at `depth` that [`enter`] gave `at` for ends: whether it is
    /// tainted, and its height.
    pub fn leave(depth: u32, at: (u64, u32)) -> (bool, u8) {
        let reach = REACH.with(|r| {
            let reach = r.get();
            r.set(reach.max(at.1));
            reach
        });
        let height = reach.saturating_sub(depth).min(u32::from(u8::MAX)) as u8;
        (hits() != at.0, height)
    }
}

/// What every `use` leaf of every file resolved to (same indices as the files' `facts.uses`;
/// `None` for files no module tree reaches).
pub type Memo = Vec<Vec<Option<Binding>>>;

/// A [`Memo`] as a resolver holds it: each result set once.
pub type Cells = Vec<Vec<OnceLock<Binding>>>;

/// A memo as cells.
pub fn cells(memo: Memo) -> Cells {
    memo.into_iter()
        .map(|uses| {
            uses.into_iter()
                .map(|r| r.map_or_else(OnceLock::new, OnceLock::from))
                .collect()
        })
        .collect()
}

/// What the resolution of one file's references gives.
#[derive(Default)]
pub(crate) struct Resolved {
    pub edges: Vec<Edge>,
    pub external: Vec<ExternalUse>,
    pub unresolved: Vec<Unresolved>,
}

/// The crates a crate can name: dependency name -> what it is.
#[derive(Debug, Clone)]
pub(crate) enum Extern {
    Internal(CrateId),
    External {
        package: String,
        /// Declared only under `[dev-dependencies]`.
        dev_only: bool,
    },
}

/// Resolves every reference of the graph. `use` resolutions are memoised across files (a
/// name found through a glob or in the middle of a path is followed into the imports of the
/// module that has it, in any file); they are all resolved first, on one thread, in file
/// order, so that the memo never depends on thread timing; paths are resolved after, in
/// parallel, against the memo, then only read.
pub(crate) struct Resolver<'a> {
    pub g: &'a FactGraph,
    /// Per crate: the names of its extern prelude.
    externs: Vec<OnceLock<HashMap<String, Extern>>>,
    /// Per file: its imports and block scopes, built on first use.
    index: Vec<OnceLock<scope::FileIndex<'a>>>,
    /// Per module: the names its scope declares (items, `mod`s), built on first use.
    items: Vec<OnceLock<HashMap<&'a str, u8>>>,
    /// Per crate: the library names its registry dependencies may have that are not their
    /// package names (see `path::loose`), built on first use.
    guesses: Vec<OnceLock<HashMap<String, String>>>,
    /// Per crate: its `#[macro_export]` macros, by name (the module defining each).
    exports: Vec<OnceLock<HashMap<&'a str, ModId>>>,
    /// Per module: the macros a `#[macro_use]` on it brings after it, by name.
    macro_use: Vec<OnceLock<HashMap<&'a str, ModId>>>,
    /// Per module of a file's root scope: the macros in textual scope where it is declared.
    entry: Vec<OnceLock<HashMap<&'a str, ModId>>>,
    /// Per crate: `#[macro_use] extern crate` names, as resolved.
    macro_prelude: Vec<OnceLock<Vec<Res>>>,
    pub(crate) memo: Cells,
    in_progress: Vec<Vec<AtomicBool>>,
}

impl<'a> Resolver<'a> {
    /// A resolver of `g`, every `use` still to be resolved.
    pub fn new(g: &'a FactGraph) -> Self {
        // Every file's index is read by the first pass: built ahead, in parallel.
        let index = super::model::par::map(g.files.len(), g.threads, |i| {
            OnceLock::from(scope::FileIndex::new(&g.files[i].facts))
        });
        let memo = g
            .files
            .iter()
            .map(|f| (0..f.facts.uses.len()).map(|_| OnceLock::new()).collect())
            .collect();
        Self::from_parts(g, index, memo)
    }

    /// A resolver whose memo of every `use` is given (by the snapshot).
    pub fn with_memo(g: &'a FactGraph, memo: Memo) -> Self {
        Self::with_cells(g, cells(memo))
    }

    /// A resolver whose memo is `cells` as [`Resolver::into_cells`] gave them (a warm graph's,
    /// kept between resolutions: no conversion of every `use`'s result either way).
    pub fn with_cells(g: &'a FactGraph, cells: Cells) -> Self {
        let index = (0..g.files.len()).map(|_| OnceLock::new()).collect();
        Self::from_parts(g, index, cells)
    }

    /// The memo, as cells (see [`Resolver::with_cells`]).
    pub fn into_cells(self) -> Cells {
        self.memo
    }

    fn from_parts(
        g: &'a FactGraph,
        index: Vec<OnceLock<scope::FileIndex<'a>>>,
        memo: Cells,
    ) -> Self {
        let in_progress = memo
            .iter()
            .map(|uses| uses.iter().map(|_| AtomicBool::new(false)).collect())
            .collect();
        fn cells<T>(n: usize) -> Vec<OnceLock<T>> {
            (0..n).map(|_| OnceLock::new()).collect()
        }
        let (crates, modules) = (g.crates.len(), g.modules.len());
        Resolver {
            g,
            externs: cells(crates),
            index,
            items: cells(modules),
            guesses: cells(crates),
            exports: cells(crates),
            macro_use: cells(modules),
            entry: cells(modules),
            macro_prelude: cells(crates),
            memo,
            in_progress,
        }
    }

    /// Resolves every `use` of every resolvable file, in file order, on this thread: the first
    /// pass.
    pub fn first_pass(&self, resolvable: &[bool]) {
        for (fid, f) in self.g.files.iter().enumerate() {
            if resolvable[fid] {
                for u in 0..f.facts.uses.len() {
                    self.resolve_use(fid as FileId, u, 0);
                }
            }
        }
    }

    /// What `use` `u` of file `file` resolved to, if it was.
    pub fn memo_of(&self, file: usize, u: usize) -> Option<&Binding> {
        self.memo.get(file)?.get(u)?.get()
    }

    /// The memo: what every `use` resolved to.
    pub fn into_memo(self) -> Memo {
        self.memo
            .into_iter()
            .map(|uses| uses.into_iter().map(OnceLock::into_inner).collect())
            .collect()
    }

    pub(crate) fn facts(&self, file: FileId) -> &'a FileFacts {
        &self.g.files[file as usize].facts
    }

    pub(crate) fn index(&self, file: FileId) -> &scope::FileIndex<'a> {
        self.index[file as usize].get_or_init(|| scope::FileIndex::new(self.facts(file)))
    }

    /// The module a scope of a file belongs to (a block's: its enclosing module's).
    pub(crate) fn module_of(&self, file: FileId, scope: ScopeId) -> ModId {
        let f = &self.g.files[file as usize];
        let s = f.facts.module_scope(scope);
        let mods = &f.scope_modules;
        mods.get(s as usize).copied().unwrap_or(mods[0])
    }

    /// The extern prelude of crate `k` (built on first use: a run that resolves one file's
    /// paths reads one crate's).
    pub(crate) fn externs(&self, k: CrateId) -> &HashMap<String, Extern> {
        self.externs[k as usize].get_or_init(|| path::extern_table(self.g, k))
    }

    pub(crate) fn crate_of(&self, m: ModId) -> Option<CrateId> {
        self.g.modules[m as usize].krate
    }

    /// Resolves `refs`, the references of `file`.
    pub fn resolve_file(&self, file: FileId, refs: &[RefFact], out: &mut Resolved) {
        let Resolved {
            edges,
            external,
            unresolved,
        } = out;
        let file_test = self.g.files[file as usize].test;
        let mut in_macro_body = None;
        for (ri, r) in refs.iter().enumerate() {
            let test = file_test || r.test;
            let (b, via) = match r.kind {
                RefKind::Use => match self.index(file).use_at(r.span.start, r.span.end) {
                    Some(u) => (self.resolve_use(file, u, 0).clone(), None),
                    None => r.path.with_slice(|p| {
                        self.resolve_path(file, r.scope, p, path::Ask::use_path(test))
                    }),
                },
                RefKind::ExternCrate => (
                    Binding::of(r.path.with_slice(|p| self.extern_crate(file, r.scope, p))),
                    None,
                ),
                RefKind::MacroName if r.path.len() == 1 => {
                    let (res, via) = self.bare_macro(file, r.scope, r.span.start, r, test);
                    (Binding::of(res), via)
                }
                RefKind::MacroName => r.path.with_slice(|p| {
                    self.resolve_path(file, r.scope, p, path::Ask::macro_path(test))
                }),
                _ => r
                    .path
                    .with_slice(|p| self.resolve_path(file, r.scope, p, path::Ask::path(test))),
            };
            let Binding { res, through, .. } = b;
            match res {
                Res::Module(to) | Res::Item(to) | Res::Beyond(to) => {
                    let repeats_use = via.is_some_and(|(vf, u)| {
                        self.memo[vf as usize]
                            .get(u)
                            .and_then(OnceLock::get)
                            .is_some_and(|b| target(&b.res) == Some(to))
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
                        through,
                    });
                }
                Res::External {
                    name,
                    package,
                    declared,
                } => {
                    if via.is_none() {
                        let test = test || self.dev_only_in_production(file, &name);
                        external.push(ExternalUse {
                            file,
                            name,
                            package,
                            declared,
                            path: r.path.display().into(),
                            kind: r.kind,
                            span: r.span,
                            test,
                        });
                    }
                }
                Res::Std | Res::Local => {}
                Res::Unresolved(why) => {
                    // In a `macro_rules!` body, a name ribo cannot find is the macro's user's.
                    let why = match why {
                        Why::NotFound(name)
                            if self.in_macro_body(file, r.span.start, &mut in_macro_body) =>
                        {
                            Why::MacroBody(name)
                        }
                        other => other,
                    };
                    unresolved.push(Unresolved {
                        file,
                        path: r.path.display(),
                        kind: r.kind,
                        span: r.span,
                        reason: why.message(),
                        unchecked: why.unchecked(),
                        test,
                    });
                }
            }
        }
    }

    /// Whether `name` is a dependency only `[dev-dependencies]` declare, used from a library,
    /// binary or build script: Cargo gives those crates their dev-dependencies only when they
    /// are compiled for their tests, so code that uses one is test code whatever its cfg says
    /// (`#[cfg(loom)] use loom::sync;`).
    fn dev_only_in_production(&self, file: FileId, name: &str) -> bool {
        let Some(k) = self.g.files[file as usize].krate else {
            return false;
        };
        let kind = self.g.crates[k as usize].kind;
        !kind.is_test()
            && kind != crate::facts::model::cargo::TargetKind::Example
            && matches!(
                self.externs(k).get(name),
                Some(Extern::External { dev_only: true, .. })
            )
    }

    /// Whether byte `at` of `file` is inside a `macro_rules!` definition (`cursor`: the index
    /// of the definition that may hold it, as references come in source order).
    fn in_macro_body(&self, file: FileId, at: u32, cursor: &mut Option<usize>) -> bool {
        let defs = &self.facts(file).macro_defs;
        let mut i = cursor.unwrap_or(0);
        while defs.get(i).is_some_and(|d| d.span.end <= at) {
            i += 1;
        }
        *cursor = Some(i);
        defs.get(i).is_some_and(|d| d.span.start <= at)
    }
}

/// The module a resolution names, if any.
pub fn target(res: &Res) -> Option<ModId> {
    match res {
        Res::Module(m) | Res::Item(m) | Res::Beyond(m) => Some(*m),
        _ => None,
    }
}
