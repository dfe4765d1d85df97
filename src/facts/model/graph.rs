//! The fact graph's data: files, crates, modules, and what every path the code writes resolved
//! to (a module, an external crate, or an unresolved fact). Built by `resolve` (and, reusing an
//! earlier run's resolution, by `incremental`); read by the rules.

use std::collections::BTreeMap;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::cargo::{Edition, Package, TargetKind};
use super::{FileFacts, QueryHit, RefKind, ScopeId, Span, Warning};

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
    pub edition: Edition,
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
    /// Child modules by name: the first declared of each name (see `alt`).
    pub children: BTreeMap<String, ModId>,
    /// Under `#[cfg(test)]`: present in test builds only.
    pub test: bool,
    /// Under `#[cfg(not(test))]`: absent from test builds.
    pub not_test: bool,
    /// Declared `pub` (any visibility but private): other modules' globs see it.
    pub public: bool,
    /// Declared with `#[macro_use]`.
    pub macro_use: bool,
    /// The next `#[cfg]` alternative of the same name under the same parent (a module
    /// declared several times, or with `#[cfg_attr(.., path = ..)]`), in declaration order.
    pub alt: Option<ModId>,
    /// Where it is declared in its parent's file (byte offset), for textual macro scope;
    /// `None` for crate roots and modules placed by location.
    pub decl_at: Option<u32>,
    /// The scope of its parent's file it is declared in.
    pub decl_scope: ScopeId,
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
    /// The file of the first re-export (a `use` in another file) the path went through, if
    /// any: the module the code wrote, whose `use` leads on to `to`.
    pub through: Option<FileId>,
}

/// A use of an external crate (std, core and alloc are not recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalUse {
    pub file: FileId,
    /// The name the code uses.
    pub name: crate::facts::model::InlineStr,
    /// The package it comes from (from Cargo.toml; the name itself when undeclared).
    pub package: crate::facts::model::InlineStr,
    /// Declared in a Cargo.toml that covers the file.
    pub declared: bool,
    pub path: crate::facts::model::InlineStr,
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
    /// It may cross a boundary unseen (its first segment names nothing known, or may come
    /// from a glob ribo cannot see into): what its warning about the input is about (a name or
    /// a glob; one warning per file and key). `None`: no warning.
    pub unchecked: Option<String>,
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
    pub cache: CacheReport,
    /// Threads the graph was built with (0 = one per core); passes over it use as many.
    #[serde(skip)]
    pub threads: usize,
    /// Where the references of files whose `facts.refs` were not loaded can be read (a run
    /// that took their resolution from the snapshot: see `resolved`); `None` when every
    /// file's references are loaded.
    #[serde(skip)]
    pub lean_refs: Option<std::sync::Arc<dyn LeanRefs>>,
    /// The proposed change the graph was built over, if any (see `overlay`): its files'
    /// texts are the overlay's, not the disk's.
    #[serde(skip)]
    pub overlay: Option<std::sync::Arc<super::overlay::Overlay>>,
}

/// Where the paths of the references a graph does not hold can be read
/// ([`FactGraph::lean_refs`]): the run's facts cache, kept for them (`incremental`'s
/// `cache::LeanRefs`).
pub trait LeanRefs: std::fmt::Debug + Send + Sync {
    /// The path of reference `reference` of file `id` (at `path`), as written.
    fn path(&self, id: FileId, path: &str, reference: u32) -> Option<String>;
    /// Whether the references of file `id` (at `path`) may write a segment whose name hash
    /// (`incremental`'s `resolved::name_hash`) is one of `names`: a filter that may say yes
    /// wrongly, never no.
    fn may_mention(&self, id: FileId, path: &str, names: &[u64]) -> bool {
        let _ = (id, path, names);
        true
    }
}

/// What the facts cache did during a build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheReport {
    pub enabled: bool,
    /// Files whose facts were reused.
    pub hits: usize,
    /// Files parsed (no entry, or their content changed).
    pub misses: usize,
    /// Why a cache on disk was ignored (another version, spec or machine; corrupt).
    pub rejected: Option<String>,
    /// Files whose resolution was taken from the resolution snapshot (see `resolved`).
    pub resolutions_reused: usize,
    /// `use`s whose result a run in names mode took from the snapshot instead of resolving
    /// them again (see `names::Renamed::seeds`).
    pub uses_seeded: usize,
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
