//! Focused runs across changes to the module trees: a `mod` or an inline module added,
//! renamed or removed, a file added or deleted. The resolution snapshot (see [`resolved`])
//! also holds the module trees it was resolved over ([`Tree`]); a later run maps the
//! snapshot's file ids (by path) and module ids (by [key](Key)) onto today's, and turns what
//! changed in the trees into *names whose lookup may answer otherwise*, which names mode
//! (`names::Renamed`) already knows how to follow: every `use` is resolved again, and only the
//! files that may see one of those names, or whose own modules changed, are resolved again.
//!
//! Why this is sound, beyond `names::Renamed`'s argument (which assumed the same trees).
//! Resolution reads the module trees in these ways only: a module's children by name (a path
//! segment), its parent (`super`), its crate and crate root, and which module each scope of a
//! file is (a file's own paths start there; a module's items are its file's items in its
//! scope, when that module is the one the file's scope was placed as). So:
//! - a module is the *same* in both versions when its key (crate, path, file, test code,
//!   whether it owns its file's scope) is, and its parent is the same (to a fixpoint: below a
//!   module that is not the same, none is). Its children are compared by name: every name a
//!   same module binds to another child (or to none) in one version is a changed name. A
//!   module present in one version only is reached by name through its parent's children
//!   (so its name is changed there, or its parent is new or gone, and so on up), or from its
//!   own file, resolved again; only a crate root has no parent (its name is changed then);
//! - a file any of whose scopes is placed as another module, or whose crate or test flag
//!   differs, is resolved again (its paths start elsewhere); so is every changed, added or
//!   moved file;
//! - the items and `use`s of a changed file's scopes are compared by the scope's chain of
//!   inline module names (`resolved::changes`; not by index, which an inline module added
//!   before it shifts); scopes present in one version only are new or gone modules, reached
//!   only through their names;
//! - a path that reaches a module that is not the same does so by one of the changed names,
//!   through a `use` whose fresh result differs from the snapshot's (its binding name is then
//!   changed), or from a file resolved again; an edge of the snapshot that still points at a
//!   module that is gone makes its file resolved again all the same (a second line).
//!
//! Anything this cannot map — other crates or packages, files in another order — resolves
//! everything again, as before. A module key held several times (`#[cfg]` alternatives)
//! matches in order when both versions hold it as often; otherwise those modules count as
//! gone and new.
//!
//! [`resolved`]: super::resolved

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt};
use serde::{Deserialize, Serialize};

use super::resolved::Resolutions;
use crate::facts::model::graph::{CrateId, FactGraph, FileId, ModId};
use crate::facts::resolve::{Memo, Res, Why};

/// The module trees a snapshot was resolved over.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Tree {
    /// Every file's path, by file id.
    pub files: Vec<String>,
    /// A digest of the packages and crates (with their root files' paths).
    pub crates: [u8; 32],
    /// How each file was placed (same index).
    pub placed: Vec<Placed>,
    pub modules: Vec<TreeModule>,
}

/// Where one file sits in the trees.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Placed {
    pub krate: Option<CrateId>,
    pub test: bool,
    /// The module of each of its scopes.
    pub scope_modules: Vec<ModId>,
}

/// One module of a [`Tree`].
#[derive(Debug, Serialize, Deserialize)]
pub struct TreeModule {
    pub krate: Option<CrateId>,
    pub path: String,
    pub file: FileId,
    pub scope: u32,
    pub parent: Option<ModId>,
    /// Every child by name, each `#[cfg]` alternative in order.
    pub children: Vec<(String, ModId)>,
    pub test: bool,
    pub not_test: bool,
    pub public: bool,
}

impl Tree {
    /// The trees of `g`.
    pub fn of(g: &FactGraph) -> Tree {
        Tree {
            files: g.files.iter().map(|f| f.path.clone()).collect(),
            crates: crates_digest(g),
            placed: g
                .files
                .iter()
                .map(|f| Placed {
                    krate: f.krate,
                    test: f.test,
                    scope_modules: f.scope_modules.clone(),
                })
                .collect(),
            modules: g
                .modules
                .iter()
                .map(|m| TreeModule {
                    krate: m.krate,
                    path: m.path.clone(),
                    file: m.file,
                    scope: m.scope,
                    parent: m.parent,
                    children: m
                        .children
                        .iter()
                        .flat_map(|(n, &c)| {
                            std::iter::successors(Some(c), |&a| g.modules[a as usize].alt)
                                .take(64)
                                .map(move |a| (n.clone(), a))
                        })
                        .collect(),
                    test: m.test,
                    not_test: m.not_test,
                    public: m.public,
                })
                .collect(),
        }
    }

    /// Whether module `m` is the module its file's scope was placed as (only then does it
    /// hold that scope's items).
    fn owns_scope(&self, m: ModId) -> bool {
        let Some(module) = self.modules.get(m as usize) else {
            return false;
        };
        self.placed
            .get(module.file as usize)
            .and_then(|p| p.scope_modules.get(module.scope as usize))
            == Some(&m)
    }
}

/// A digest of the packages and crates of `g` (crate roots by path, not file id).
fn crates_digest(g: &FactGraph) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(&postcard::to_allocvec(&g.packages).unwrap_or_default());
    for c in &g.crates {
        let root = g
            .files
            .get(c.root_file as usize)
            .map_or("", |f| f.path.as_str());
        for part in [format!("{:?}", c.kind).as_str(), &c.name, root] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.update(&(c.package as u64).to_le_bytes());
    }
    *h.finalize().as_bytes()
}

/// The files of a snapshot mapped onto today's, by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMap {
    /// By today's file id: its id in the snapshot (`None`: a file added since).
    pub old_of: Vec<Option<FileId>>,
    /// By the snapshot's file id: its id today (`None`: a file gone since).
    pub new_of: Vec<Option<FileId>>,
}

impl FileMap {
    /// The same files.
    pub fn identity(files: usize) -> FileMap {
        let ids: Vec<Option<FileId>> = (0..files as FileId).map(Some).collect();
        FileMap {
            old_of: ids.clone(),
            new_of: ids,
        }
    }

    /// The files `old` mapped onto `now` by path; `None` when the files both have are not in
    /// the same order (results are kept in file order) or a path is listed twice.
    pub fn between(old: &[String], now: &[String]) -> Option<FileMap> {
        let mut index: HashMap<&str, FileId> = HashMap::with_capacity(now.len());
        for (i, p) in now.iter().enumerate() {
            if index.insert(p.as_str(), i as FileId).is_some() {
                return None;
            }
        }
        let mut old_of = vec![None; now.len()];
        let mut new_of = Vec::with_capacity(old.len());
        let mut last: Option<FileId> = None;
        for (o, p) in old.iter().enumerate() {
            let n = index.get(p.as_str()).copied();
            if let Some(n) = n {
                if last.is_some_and(|l| l >= n) {
                    return None;
                }
                last = Some(n);
                old_of[n as usize] = Some(o as FileId);
            }
            new_of.push(n);
        }
        Some(FileMap { old_of, new_of })
    }

    /// Whether every file is the snapshot's file of the same id.
    pub fn is_identity(&self) -> bool {
        self.old_of.len() == self.new_of.len()
            && self
                .old_of
                .iter()
                .enumerate()
                .all(|(i, o)| *o == Some(i as FileId))
    }
}

/// `r`, the snapshot's resolutions by its own file ids, by today's file ids (`map`): the
/// entries of files gone are dropped, files added have none; modules keep the snapshot's ids
/// (see [`Reframed::apply`]), and an edge into a file gone keeps a file id past the end until
/// then. `None` when `r` does not have one entry per file of the snapshot.
pub fn reindex(mut r: Resolutions, map: &FileMap) -> Option<Resolutions> {
    if !r.fit_count(map.new_of.len()) {
        return None;
    }
    let gone = FileId::MAX;
    let file = |f: FileId| {
        map.new_of
            .get(f as usize)
            .copied()
            .flatten()
            .unwrap_or(gone)
    };
    let mut uses: Memo = (0..map.old_of.len()).map(|_| Vec::new()).collect();
    let mut counts = vec![[0u32; 3]; map.old_of.len()];
    for (o, (u, c)) in std::mem::take(&mut r.uses)
        .into_iter()
        .zip(&r.counts)
        .enumerate()
    {
        if let Some(n) = map.new_of[o] {
            uses[n as usize] = u;
            counts[n as usize] = *c;
        }
    }
    r.edges.retain(|e| file(e.from) != gone);
    for e in &mut r.edges {
        e.from = file(e.from);
        e.to_file = file(e.to_file);
        // A file gone: its `use`s are gone too, and the paths through them are resolved again
        // (their names changed).
        e.through = e.through.map(file).filter(|t| *t != gone);
    }
    for b in uses.iter_mut().flatten().flatten() {
        b.through = b.through.map(file).filter(|t| *t != gone);
    }
    r.external.retain(|x| file(x.file) != gone);
    for x in &mut r.external {
        x.file = file(x.file);
    }
    r.unresolved.retain(|u| file(u.file) != gone);
    for u in &mut r.unresolved {
        u.file = file(u.file);
    }
    r.uses = uses;
    r.counts = counts;
    Some(r)
}

/// What changed between a snapshot's trees and today's (see the module docs).
#[derive(Debug, Default)]
pub struct Reframed {
    /// Names whose lookup may answer otherwise.
    pub names: Vec<String>,
    /// By today's file id: files to resolve again whatever names they write.
    pub touched: Vec<bool>,
    /// By the snapshot's module id: the same module today (`None`: none is).
    pub modules: Vec<Option<ModId>>,
}

/// What identifies a module across two versions of the trees (files by today's id): crate,
/// path, file, test-only, absent from tests, public, owner of its file's scope.
type Key<'a> = (Option<CrateId>, &'a str, FileId, bool, bool, bool, bool);

/// How today's trees (`g`) differ from the snapshot's (`old`, its files mapped by `map`);
/// `None` when they cannot be compared: other packages or crates.
pub fn diff(g: &FactGraph, old: &Tree, map: &FileMap) -> Option<Reframed> {
    if old.crates != crates_digest(g)
        || old.placed.len() != map.new_of.len()
        || old.files.len() != map.new_of.len()
        || g.files.len() != map.old_of.len()
    {
        return None;
    }
    let owns_now = |m: usize| {
        let module = &g.modules[m];
        g.files
            .get(module.file as usize)
            .and_then(|f| f.scope_modules.get(module.scope as usize))
            == Some(&(m as ModId))
    };
    // A key held by several modules (`#[cfg]` alternatives: inline modules of one name in one
    // file) matches in order when both versions hold it as many times (the same scopes of an
    // unchanged file, or of a changed file whose frame is the same: `resolved::changes`
    // gives up on a frame change with a chain twice); otherwise none of them match.
    let mut keys: HashMap<Key<'_>, Vec<ModId>> = HashMap::with_capacity(g.modules.len());
    for (m, module) in g.modules.iter().enumerate() {
        let key = (
            module.krate,
            module.path.as_str(),
            module.file,
            module.test,
            module.not_test,
            module.public,
            owns_now(m),
        );
        keys.entry(key).or_default().push(m as ModId);
    }
    let mut old_keys: HashMap<Key<'_>, Vec<ModId>> = HashMap::with_capacity(old.modules.len());
    for (o, module) in old.modules.iter().enumerate() {
        if let Some(file) = map.new_of.get(module.file as usize).copied().flatten() {
            let key = (
                module.krate,
                module.path.as_str(),
                file,
                module.test,
                module.not_test,
                module.public,
                old.owns_scope(o as ModId),
            );
            old_keys.entry(key).or_default().push(o as ModId);
        }
    }
    let mut new_of: Vec<Option<ModId>> = vec![None; old.modules.len()];
    let mut old_of: Vec<Option<ModId>> = vec![None; g.modules.len()];
    for (key, then) in &old_keys {
        let Some(now) = keys.get(key).filter(|now| now.len() == then.len()) else {
            continue;
        };
        for (&o, &n) in then.iter().zip(now) {
            new_of[o as usize] = Some(n);
            old_of[n as usize] = Some(o);
        }
    }
    // A module whose parent is not the same module is not the same either; parents are made
    // before their children (lower ids), so one pass in today's order reaches the fixpoint.
    for (n, module) in g.modules.iter().enumerate() {
        let Some(o) = old_of[n] else { continue };
        let same_parent = match (old.modules[o as usize].parent, module.parent) {
            (None, None) => true,
            (Some(op), Some(np)) => new_of.get(op as usize).copied().flatten() == Some(np),
            _ => false,
        };
        if !same_parent {
            old_of[n] = None;
            new_of[o as usize] = None;
        }
    }
    let mut names: Vec<String> = Vec::new();
    let mut touched = vec![false; g.files.len()];
    let last = |path: &str| path.rsplit("::").next().unwrap_or(path).to_string();
    for (n, module) in g.modules.iter().enumerate() {
        match old_of[n] {
            None => {
                // Reached by name only through its parent's children (compared below, or
                // its parent is new and so reached the same way): a crate root is not.
                if module.parent.is_none() {
                    names.push(last(&module.path));
                }
                touched[module.file as usize] = true;
            }
            Some(o) => {
                // Each name's children (its alternatives, in order), mapped, in both versions.
                let then = &old.modules[o as usize];
                let mut before: BTreeMap<&str, Vec<Option<ModId>>> = BTreeMap::new();
                for (name, oc) in &then.children {
                    let mapped = new_of.get(*oc as usize).copied().flatten();
                    before.entry(name.as_str()).or_default().push(mapped);
                }
                let mut after: BTreeMap<&str, Vec<Option<ModId>>> = BTreeMap::new();
                for (name, &first) in &module.children {
                    let chain = std::iter::successors(Some(first), |&a| g.modules[a as usize].alt);
                    after
                        .entry(name.as_str())
                        .or_default()
                        .extend(chain.take(64).map(Some));
                }
                for (name, list) in &before {
                    if after.get(name) != Some(list) {
                        names.push(name.to_string());
                    }
                }
                for name in after.keys() {
                    if !before.contains_key(name) {
                        names.push(name.to_string());
                    }
                }
            }
        }
    }
    for (o, module) in old.modules.iter().enumerate() {
        if new_of[o].is_none() {
            if module.parent.is_none() {
                names.push(last(&module.path));
            }
            let file = map.new_of.get(module.file as usize).copied().flatten();
            if let Some(f) = file {
                touched[f as usize] = true;
            }
        }
    }
    for (n, f) in g.files.iter().enumerate() {
        let Some(placed) = map.old_of[n].and_then(|o| old.placed.get(o as usize)) else {
            touched[n] = true;
            continue;
        };
        let same_modules = placed.scope_modules.len() == f.scope_modules.len()
            && placed
                .scope_modules
                .iter()
                .zip(&f.scope_modules)
                .all(|(o, now)| new_of.get(*o as usize).copied().flatten() == Some(*now));
        if placed.krate != f.krate || placed.test != f.test || !same_modules {
            touched[n] = true;
        }
    }
    names.sort_unstable();
    names.dedup();
    Some(Reframed {
        names,
        touched,
        modules: new_of,
    })
}

impl Reframed {
    /// Puts today's module ids into `r` (already [reindexed](reindex)): a `use` that resolved
    /// to a module gone now resolves to nothing fresh resolution gives (its result differs),
    /// and a file with an edge into such a module is resolved again (`touched`).
    pub fn apply(&mut self, g: &FactGraph, r: &mut Resolutions) {
        let map = |m: ModId| self.modules.get(m as usize).copied().flatten();
        for b in r.uses.iter_mut().flatten().flatten() {
            // A module gone: a result no fresh resolution gives (it differs).
            b.res = match b.res {
                Res::Module(m) => map(m).map_or(Res::Unresolved(Why::Gone), Res::Module),
                Res::Item(m) => map(m).map_or(Res::Unresolved(Why::Gone), Res::Item),
                Res::Beyond(m) => map(m).map_or(Res::Unresolved(Why::Gone), Res::Beyond),
                ref other => other.clone(),
            };
            // The module defining the macro a `use` also binds (a module gone: none; a fresh
            // resolution gives another, or none, and the `use` differs or does not).
            b.macro_def = b.macro_def.and_then(map);
        }
        for e in &mut r.edges {
            match map(e.to) {
                Some(n) => {
                    e.to = n;
                    e.to_file = g.modules[n as usize].file;
                }
                None => {
                    // A placeholder that fits the graph (module 0 exists: the edge's file has
                    // one), never read: the file is marked to be resolved again, and its
                    // results replace the snapshot's.
                    if let Some(t) = self.touched.get_mut(e.from as usize) {
                        *t = true;
                    }
                    e.to = 0;
                    e.to_file = e.from;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn files_map_by_path_in_order() {
        let old = paths(&["a.rs", "b.rs", "d.rs"]);
        let now = paths(&["a.rs", "c.rs", "d.rs", "e.rs"]);
        let map = FileMap::between(&old, &now).expect("same order");
        assert_eq!(map.old_of, [Some(0), None, Some(2), None]);
        assert_eq!(map.new_of, [Some(0), None, Some(2)]);
        assert!(!map.is_identity());
        assert!(FileMap::between(&old, &old).expect("same").is_identity());
        assert_eq!(
            FileMap::identity(3),
            FileMap::between(&old, &old).expect("same")
        );
        // Reordered files: results are kept in file order, so nothing maps.
        assert_eq!(
            FileMap::between(&paths(&["b.rs", "a.rs"]), &paths(&["a.rs", "b.rs"])),
            None
        );
        assert_eq!(FileMap::between(&old, &paths(&["a.rs", "a.rs"])), None);
    }
}
