//! The module tree of every crate, from its root file through `mod` declarations, then the
//! files no tree reaches, placed by their location.
//!
//! A `mod name;` finds its file as rustc does: `#[path]` (relative to the declaring file's
//! directory, or to the inline module's directory), else `name.rs` or `name/mod.rs` in the
//! directory of the declaring module (a `mod.rs`, crate root or `#[path]`-loaded file's own
//! directory, else the directory named after its file). Each `#[cfg_attr(.., path = "..")]` is
//! another alternative, as is every other declaration of the same name in the same scope (a
//! module declared under different cfgs): each alternative is a module of its own, linked from
//! the first by [`Module::alt`]. A crate that declares a file another crate of the repository
//! already placed (a bin declaring its library's modules again) gets its own copy of the
//! modules of that file and of the files it declares.

use std::collections::{BTreeMap, VecDeque};

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::facts::model::cargo::{join, parent_dir, TargetKind};
use crate::facts::model::graph::{Crate, CrateId, FactGraph, FileId, ModId, Module};
use crate::facts::model::Warning;
use crate::facts::model::{is_block, ScopeId};

/// Builds the module trees of `g`'s crates and places every file.
pub(crate) fn build(g: &mut FactGraph) {
    Trees::new(g).build();
}

/// How a module is declared.
#[derive(Debug, Clone, Copy, Default)]
struct Decl {
    test: bool,
    not_test: bool,
    public: bool,
    macro_use: bool,
    /// Byte offset of the declaration in its parent's file, and the scope there.
    at: Option<(u32, ScopeId)>,
}

struct Trees<'g> {
    g: &'g mut FactGraph,
    index: HashMap<String, FileId>,
    /// Files loaded through `#[path]` behave like `mod.rs` files for their children.
    path_loaded: HashSet<FileId>,
    /// `(crate, path) -> module`, for placing orphans under their guessed parent.
    by_path: HashMap<(Option<CrateId>, String), ModId>,
}

/// A file whose `mod` declarations are still to be followed: its id, the module of each of
/// its module scopes, and whether the modules are its own (not a copy for another crate).
type Pending = (FileId, Vec<ModId>, bool);

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
        let mut roots = Vec::new();
        for (pi, p) in self.g.packages.iter().enumerate() {
            for t in &p.targets {
                roots.push((t.kind, pi, t.name.clone(), t.root.clone(), t.edition));
            }
        }
        // Libraries first, so a file shared by a lib and a bin belongs to the lib.
        roots.sort_by(|a, b| a.0.cmp(&b.0).then(a.3.cmp(&b.3)));
        for (kind, package, name, root, edition) in roots {
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
                edition,
            });
            let decl = Decl {
                test: kind.is_test(),
                public: true,
                ..Decl::default()
            };
            self.add_tree(Some(krate), file, "crate".to_string(), None, decl, true);
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
        decl: Decl,
        is_root: bool,
    ) -> ModId {
        let mut queue = VecDeque::new();
        let mut copied = HashSet::new();
        let first = self.add_file(krate, file, path, parent, decl, is_root, &mut queue);
        while let Some((file, scope_mods, own)) = queue.pop_front() {
            self.declare_children(krate, file, &scope_mods, own, &mut queue, &mut copied);
        }
        first
    }

    /// Adds the modules of `file`'s module scopes; the file is placed there unless another
    /// crate placed it already (then these modules are a copy for `krate`).
    #[allow(clippy::too_many_arguments)]
    fn add_file(
        &mut self,
        krate: Option<CrateId>,
        file: FileId,
        path: String,
        parent: Option<ModId>,
        decl: Decl,
        is_root: bool,
        queue: &mut VecDeque<Pending>,
    ) -> ModId {
        let scopes = self.g.files[file as usize].facts.scopes.clone();
        let blocks_module = |scope_mods: &[ModId], s: ScopeId| -> Option<ModId> {
            scope_mods.get(s as usize).copied()
        };
        let mut scope_mods: Vec<ModId> = Vec::with_capacity(scopes.len().max(1));
        let root_mod = self.new_module(krate, path, file, 0, parent, decl);
        scope_mods.push(root_mod);
        let facts = &self.g.files[file as usize].facts;
        let owners: Vec<(ScopeId, bool)> = scopes
            .iter()
            .map(|s| match s.parent {
                Some(p) if is_block(p) => (facts.module_scope(p), true),
                Some(p) => (p, false),
                None => (0, false),
            })
            .collect();
        for (i, s) in scopes.iter().enumerate().skip(1) {
            let (owner, in_block) = owners[i];
            let parent_mod = blocks_module(&scope_mods, owner).unwrap_or(root_mod);
            let parent_path = self.g.modules[parent_mod as usize].path.clone();
            let parent_test = self.g.modules[parent_mod as usize].test;
            let inline = Decl {
                test: parent_test || s.test,
                not_test: s.not_test,
                public: true,
                macro_use: s.macro_use,
                at: Some((s.span.start, owner)),
            };
            let m = self.new_module(
                krate,
                format!("{parent_path}::{}", s.name),
                file,
                i as ScopeId,
                Some(parent_mod),
                inline,
            );
            // A module declared in a block is named in that block only (the resolver finds it
            // there), not among its parent module's children.
            if !in_block {
                self.link_child(parent_mod, &s.name, m);
            }
            scope_mods.push(m);
        }
        let f = &mut self.g.files[file as usize];
        let own = f.module.is_none();
        if own {
            f.module = Some(root_mod);
            f.krate = krate;
            f.in_tree = krate.is_some() && (is_root || parent.is_some());
            f.scope_modules = scope_mods.clone();
        }
        queue.push_back((file, scope_mods, own));
        root_mod
    }

    fn new_module(
        &mut self,
        krate: Option<CrateId>,
        path: String,
        file: FileId,
        scope: ScopeId,
        parent: Option<ModId>,
        decl: Decl,
    ) -> ModId {
        let id = self.g.modules.len() as ModId;
        self.by_path.entry((krate, path.clone())).or_insert(id);
        let (decl_at, decl_scope) = match decl.at {
            Some((at, scope)) => (Some(at), scope),
            None => (None, 0),
        };
        self.g.modules.push(Module {
            krate,
            path,
            file,
            scope,
            parent,
            children: BTreeMap::new(),
            test: decl.test,
            not_test: decl.not_test,
            public: decl.public,
            macro_use: decl.macro_use,
            alt: None,
            decl_at,
            decl_scope,
        });
        id
    }

    /// Makes `m` the child `name` of `parent`, or the last `#[cfg]` alternative of that name.
    fn link_child(&mut self, parent: ModId, name: &str, m: ModId) {
        let Some(&first) = self.g.modules[parent as usize].children.get(name) else {
            self.g.modules[parent as usize]
                .children
                .insert(name.to_string(), m);
            return;
        };
        let mut last = first;
        let mut steps = 0;
        while let Some(next) = self.g.modules[last as usize].alt {
            if last == m || steps > 4096 {
                return;
            }
            last = next;
            steps += 1;
        }
        if last != m {
            self.g.modules[last as usize].alt = Some(m);
        }
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
        let mut s = Some(f.facts.module_scope(scope));
        while let Some(id) = s.filter(|id| *id != 0) {
            let Some(sc) = f.facts.scopes.get(id as usize) else {
                break;
            };
            chain.push(sc.path_attr.clone().unwrap_or_else(|| sc.name.clone()));
            s = sc.parent.map(|p| f.facts.module_scope(p));
            if chain.len() > f.facts.scopes.len() {
                break;
            }
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
        own: bool,
        queue: &mut VecDeque<Pending>,
        copied: &mut HashSet<FileId>,
    ) {
        let decls = self.g.files[file as usize].facts.mods.clone();
        for decl in decls {
            let module_scope = self.g.files[file as usize].facts.module_scope(decl.scope);
            let Some(&parent) = scope_mods.get(module_scope as usize) else {
                continue;
            };
            let from = self.g.files[file as usize].path.clone();
            let base_for_path = || {
                if decl.scope == 0 {
                    parent_dir(&from).to_string()
                } else {
                    self.scope_dir(file, decl.scope)
                }
            };
            // Each cfg alternative: the `cfg_attr` paths, then `#[path]` or the default files.
            let mut alternatives: Vec<Vec<String>> = decl
                .path_alts
                .iter()
                .map(|p| join(&base_for_path(), p).into_iter().collect())
                .collect();
            alternatives.push(match &decl.path_attr {
                Some(p) => join(&base_for_path(), p).into_iter().collect(),
                None => {
                    let dir = self.scope_dir(file, decl.scope);
                    vec![
                        join(&dir, &format!("{}.rs", decl.name)).unwrap_or_default(),
                        join(&dir, &format!("{}/mod.rs", decl.name)).unwrap_or_default(),
                    ]
                }
            });
            let found: Vec<(FileId, bool)> = alternatives
                .iter()
                .enumerate()
                .filter_map(|(i, candidates)| {
                    let f = candidates.iter().find_map(|c| self.index.get(c).copied())?;
                    let by_path = i < decl.path_alts.len() || decl.path_attr.is_some();
                    Some((f, by_path))
                })
                .collect();
            if found.is_empty() {
                let all: Vec<&String> = alternatives.iter().flatten().collect();
                // A file there that was not walked is left out on purpose (`system.exclude`,
                // .gitignore), not missing.
                let root = &self.g.root;
                if !own || all.iter().any(|c| !c.is_empty() && root.join(c).is_file()) {
                    continue;
                }
                let looked: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
                self.g.warnings.push(Warning::new(
                    &from,
                    missing_mod(&decl.name, decl.span.line, &looked.join(", ")),
                ));
                continue;
            }
            let parent_m = &self.g.modules[parent as usize];
            let path = format!("{}::{}", parent_m.path, decl.name);
            let child_decl = Decl {
                test: parent_m.test || decl.test,
                not_test: decl.not_test,
                public: decl.public,
                macro_use: decl.macro_use,
                at: Some((decl.span.start, decl.scope)),
            };
            for (child_file, by_path) in found {
                if by_path {
                    self.path_loaded.insert(child_file);
                }
                let placed = self.g.files[child_file as usize].module;
                let m = match placed {
                    // Placed in this crate already (a `#[path]` loop, two alternatives of one
                    // file): linked, not followed again.
                    Some(m) if self.g.modules[m as usize].krate == krate => m,
                    // Placed by another crate: a copy of its modules for this one, followed
                    // once per file.
                    Some(_) => {
                        if !copied.insert(child_file) {
                            continue;
                        }
                        self.add_file(
                            krate,
                            child_file,
                            path.clone(),
                            Some(parent),
                            child_decl,
                            false,
                            queue,
                        )
                    }
                    None => self.add_file(
                        krate,
                        child_file,
                        path.clone(),
                        Some(parent),
                        child_decl,
                        false,
                        queue,
                    ),
                };
                self.link_child(parent, &decl.name, m);
            }
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
                    .position(|c| c.package == pi && c.kind != TargetKind::Build)
                    .map(|c| c as CrateId)
            });
            let pkg_dir = package.map_or("", |pi| self.g.packages[pi].dir.as_str());
            let (mod_path, parent_path) = guess_module_path(&path, pkg_dir);
            let parent = parent_path.and_then(|p| self.by_path.get(&(krate, p)).copied());
            // Test code: under a `tests/` or `benches/` directory, or beside the root of a
            // test or bench target of the package (a bench crate whose modules a macro
            // declares).
            let in_tests = {
                let rel = path
                    .strip_prefix(pkg_dir)
                    .map(|r| r.trim_start_matches('/'))
                    .unwrap_or(&path);
                let dirs = rel.rsplit_once('/').map_or("", |(d, _)| d);
                let test_dir = dirs.split('/').any(|d| d == "tests" || d == "benches");
                let beside_test_root = package.is_some_and(|pi| {
                    self.g.packages[pi].targets.iter().any(|t| {
                        t.kind.is_test() && {
                            let root_dir = parent_dir(&t.root);
                            root_dir != pkg_dir && path.starts_with(&format!("{root_dir}/"))
                        }
                    })
                });
                test_dir || beside_test_root
            };
            // An orphan `lib.rs`/`main.rs` is a crate root Cargo does not build (a second root
            // kept for docs, a template...): its children live in its own directory.
            if matches!(path.rsplit('/').next(), Some("lib.rs" | "main.rs")) {
                self.path_loaded.insert(file);
            }
            let decl = Decl {
                test: in_tests,
                public: true,
                ..Decl::default()
            };
            let m = self.add_tree(krate, file, mod_path, parent, decl, false);
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
pub(crate) fn guess_module_path(path: &str, pkg_dir: &str) -> (String, Option<String>) {
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

/// The warning about a `mod` declared at `line` whose file was not found in `looked`.
fn missing_mod(name: &str, line: u32, looked: &str) -> String {
    format!("declares `mod {name}` (line {line}) but no file was found (looked for {looked})")
}

/// A [`missing_mod`] warning's message with its declaration (`mod name`) moved from line
/// `from` to line `to`; `None` when `message` is not about that declaration.
pub(crate) fn missing_mod_moved(message: &str, name: &str, from: u32, to: u32) -> Option<String> {
    let rest = message.strip_prefix(&format!("declares `mod {name}` (line {from}) "))?;
    Some(format!("declares `mod {name}` (line {to}) {rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
