//! Paths of calls, macros and references expanded through the names in scope, for the patterns
//! of invariants (`calls: ["std::process::exit"]`, `paths: ["serde_json::**"]`): after
//! `use std::process;`, `process::exit` is `std::process::exit`; after `use std::process::*;`,
//! `exit` may be `std::process::exit`; `::std::process::exit` is `std::process::exit`; with
//! `json = { package = "serde_json" }` in Cargo.toml, `json::to_string` is also
//! `serde_json::to_string`. Lookup follows the scopes as resolution does (the innermost block
//! out to the module, items and explicit imports before globs); a name the scope declares
//! itself (a `mod std` at the crate root, a local `struct`) expands to its module's path
//! (`crate::std::process::exit`: not the standard library's), and a call of a local binding (a
//! parameter, a `let`, a closure parameter) expands to nothing.

use foldhash::{HashMap, HashMapExt};

use super::scope::MAX_DEPTH;
use crate::facts::model::graph::{FactGraph, FileId, SourceFile, UseTarget};
use crate::facts::model::{is_block, ScopeId, Segs, UseFact};

/// Expands the paths of one file through the names in its scopes (see the module docs). Best
/// effort; never fails. The file's bindings are indexed once and the expanded segments borrow
/// from the facts.
pub struct Expander<'g> {
    graph: &'g FactGraph,
    file: &'g SourceFile,
    bindings: HashMap<(ScopeId, &'g str), &'g UseFact>,
    globs: HashMap<ScopeId, Vec<usize>>,
    renamed: Renamed<'g>,
}

/// Dependencies a file's crate renames: the name the code uses -> the package.
pub type Renamed<'g> = HashMap<&'g str, &'g str>;

/// The dependencies `file`'s crate renames (`json = { package = "serde_json" }`).
pub fn renamed<'g>(graph: &'g FactGraph, file: &SourceFile) -> Renamed<'g> {
    let mut renamed = HashMap::new();
    if let Some(k) = file.krate {
        let package = &graph.packages[graph.crates[k as usize].package];
        for d in &package.dependencies {
            if d.is_renamed() {
                renamed.insert(d.name.as_str(), d.package.as_str());
            }
        }
    }
    renamed
}

/// A path as the code wrote it, then the alternatives it may stand for.
pub type Expansions<'p> = Vec<Vec<&'p str>>;

impl<'g> Expander<'g> {
    /// The expander of one file.
    pub fn new(graph: &'g FactGraph, file: FileId) -> Self {
        let file = graph.file(file);
        let mut bindings = HashMap::new();
        let mut globs: HashMap<ScopeId, Vec<usize>> = HashMap::new();
        for (i, u) in file.facts.uses.iter().enumerate() {
            if u.glob {
                globs.entry(u.scope).or_default().push(i);
            } else if let Some(name) = &u.name {
                bindings.entry((u.scope, name.as_str())).or_insert(u);
            }
        }
        let renamed = renamed(graph, file);
        Expander {
            graph,
            file,
            bindings,
            globs,
            renamed,
        }
    }

    /// `path` (written in `scope` of the file) with the names in scope followed: the most
    /// likely reading (see [`Expander::expansions`] for the others).
    pub fn expand<'p>(&self, scope: ScopeId, path: &'p Segs) -> Vec<&'p str>
    where
        'g: 'p,
    {
        self.expansions(scope, path, false)
            .into_iter()
            .next()
            .unwrap_or_default()
    }

    /// `path` (written in `scope`; `local`: a one-name call of a local binding) with the names
    /// in scope followed, then what else it may stand for: the path as written (patterns are
    /// written as the code writes paths: `*::delete_environment` matches
    /// `teardown::delete_environment(..)`), unless its first segment is a name the scope declares
    /// itself; through a glob of an external crate, whose names ribo cannot list; and the
    /// package a renamed dependency is.
    pub fn expansions<'p>(&self, scope: ScopeId, path: &'p Segs, local: bool) -> Expansions<'p>
    where
        'g: 'p,
    {
        let mut cur: Vec<&'p str> = path.iter().collect();
        // `::std::x` is `std::x`: a crate's path, whatever the scope names `std`.
        let global = cur.first() == Some(&"::") && cur.len() > 1;
        if global {
            cur.remove(0);
        }
        let written = cur.clone();
        let mut others: Expansions<'p> = Vec::new();
        let mut declared_here = false;
        if !(global || local && cur.len() == 1) {
            declared_here = self.follow(scope, &mut cur, &mut others);
        }
        if !declared_here {
            others.insert(0, written);
        }
        if let Some(package) = cur.first().and_then(|f| self.renamed.get(f)) {
            let mut p = vec![*package];
            p.extend_from_slice(&cur[1..]);
            others.push(p);
        }
        let mut out = vec![cur];
        for o in others {
            if !out.contains(&o) {
                out.push(o);
            }
        }
        out
    }

    /// Follows the names in scope in `cur`; whether its first segment is a name the scope
    /// declares itself.
    fn follow<'p>(
        &self,
        scope: ScopeId,
        cur: &mut Vec<&'p str>,
        others: &mut Expansions<'p>,
    ) -> bool
    where
        'g: 'p,
    {
        let facts = &self.file.facts;
        for step in 0..MAX_DEPTH {
            let Some(&first) = cur.first() else {
                return false;
            };
            if matches!(first, "self" | "super") {
                let module_scope = facts.module_scope(scope);
                let Some(&m) = self.file.scope_modules.get(module_scope as usize) else {
                    return false;
                };
                let mut module: Vec<&'p str> = self.graph.module(m).path.split("::").collect();
                let mut i = usize::from(cur[0] == "self");
                while cur.get(i).is_some_and(|s| *s == "super") && module.len() > 1 {
                    module.pop();
                    i += 1;
                }
                module.extend(cur.drain(i..));
                *cur = module;
                return false;
            }
            match self.lookup(scope, first) {
                Name::Item(m) => {
                    // Declared here: the path names this crate's item, not what it spells.
                    let mut p: Vec<&'p str> = self.graph.module(m).path.split("::").collect();
                    p.extend_from_slice(cur);
                    *cur = p;
                    return step == 0;
                }
                Name::Use(u) if u.path.first() != Some(first) || u.path.len() > 1 => {
                    let mut next: Vec<&'p str> = u.path.iter().collect();
                    next.extend(cur.drain(1..));
                    *cur = next;
                }
                Name::Glob(paths) => {
                    let mut internal = None;
                    for (g, certain) in paths {
                        let mut p: Vec<&'p str> = g.path.iter().collect();
                        p.extend_from_slice(cur);
                        if certain {
                            internal = Some(p);
                            break;
                        }
                        others.push(p);
                    }
                    match internal {
                        Some(p) => {
                            others.clear();
                            *cur = p;
                        }
                        None => return false,
                    }
                }
                _ => return false,
            }
        }
        false
    }

    /// What `name` is in `scope`: an explicit import of the scopes from the innermost block
    /// out to the module, an item there (no expansion), or the globs that have it (`true`:
    /// certainly, a module of the workspace that declares it; `false`: maybe, an external
    /// crate's).
    fn lookup(&self, scope: ScopeId, name: &str) -> Name<'g> {
        let facts = &self.file.facts;
        let mut s = scope;
        let mut globs = Vec::new();
        for _ in 0..=facts.blocks.len() {
            if let Some(u) = self.bindings.get(&(s, name)) {
                return Name::Use(u);
            }
            let module = self.file.scope_modules.get(facts.module_scope(s) as usize);
            if facts.items.lookup(s, name).is_some() {
                if let Some(&m) = module {
                    return Name::Item(m);
                }
            }
            if !is_block(s) {
                if let Some(&m) = module {
                    if self.graph.module(m).children.contains_key(name) {
                        return Name::Item(m);
                    }
                }
            }
            for &g in self.globs.get(&s).map_or(&[][..], Vec::as_slice) {
                let u = &facts.uses[g];
                match self.file.use_targets.get(g) {
                    Some(UseTarget::Module(m)) if self.module_has(*m, name) => {
                        globs.push((u, true));
                        return Name::Glob(globs);
                    }
                    Some(UseTarget::External) => globs.push((u, false)),
                    _ => {}
                }
            }
            if !globs.is_empty() {
                return Name::Glob(globs);
            }
            match facts.parent_scope(s) {
                Some(p) if is_block(s) => s = p,
                _ => break,
            }
        }
        Name::Nothing
    }

    /// Whether module `m` declares or imports `name`.
    fn module_has(&self, m: u32, name: &str) -> bool {
        let module = self.graph.module(m);
        let facts = &self.graph.file(module.file).facts;
        module.children.contains_key(name)
            || facts.items.lookup(module.scope, name).is_some()
            || facts
                .uses
                .iter()
                .any(|u| u.scope == module.scope && u.name.as_deref() == Some(name))
    }
}

/// What a name is in a scope, for expansion.
enum Name<'g> {
    Use(&'g UseFact),
    /// Declared by the scope (of this module).
    Item(u32),
    Glob(Vec<(&'g UseFact, bool)>),
    Nothing,
}
